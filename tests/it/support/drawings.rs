//! Drawings as the browser tests make them (`tests/browser/helpers.mjs`), for the native tests
//! and the drawings report: the same points the page's drawing panel keeps; and how a network
//! trained on one in the page compares with the drawing's exact score.

use diffusion_playground::app::training::{self, Learning, Training, TrainingPlan};
use diffusion_playground::core::drawing::DRAWN_BATCH;
use diffusion_playground::core::mlp::Architecture;
use diffusion_playground::core::quality::{against_exact, unguided_source, AgainstExact};
use diffusion_playground::core::sampler::NetFrame;
use diffusion_playground::core::train::TimeSampling;
use diffusion_playground::gpu::GpuContext;

/// The page keeps a stroke's point only once it is this far from the last kept one
/// (`DRAW_SPACING` in `www/js/drawing.js`).
const DRAW_SPACING: f32 = 0.07;

/// Keeps the points of `stroke` as the page does: each at least [`DRAW_SPACING`] from the last kept.
fn kept(stroke: impl IntoIterator<Item = [f32; 2]>) -> Vec<[f32; 2]> {
    let mut points: Vec<[f32; 2]> = Vec::new();
    for p in stroke {
        let far = points.last().is_none_or(|q| (p[0] - q[0]).hypot(p[1] - q[1]) >= DRAW_SPACING);
        if far {
            points.push(p);
        }
    }
    points
}

/// A circle of `radius` drawn as `drawCircle` draws it: 90 mouse moves around it.
fn circle_stroke(radius: f32) -> Vec<[f32; 2]> {
    kept((0..=90).map(|i| {
        let a = std::f32::consts::TAU * i as f32 / 90.0;
        [radius * a.cos(), radius * a.sin()]
    }))
}

/// `drawCircle`'s circle: radius 1.5 (a quarter of the picture), one class.
pub fn drawn_circle() -> (Vec<[f32; 2]>, Vec<u32>) {
    let points = circle_stroke(1.5);
    let labels = vec![0; points.len()];
    (points, labels)
}

/// `drawTwoColours`' figure: a blue circle of radius 0.9, then an orange bar at x = 2.1 from
/// y = 0.9 down to -0.9 in 40 mouse moves.
pub fn drawn_two_colours() -> (Vec<[f32; 2]>, Vec<u32>) {
    let circle = circle_stroke(0.9);
    let bar = kept((0..=40).map(|i| [2.1, 0.9 - 1.8 * i as f32 / 40.0]));
    let labels = [vec![0; circle.len()], vec![1; bar.len()]].concat();
    ([circle, bar].concat(), labels)
}

/// A drawing saved as CSV (`x,y,class`) in `tests/data/drawings/`, read as the page reads a
/// data file (fitted into the picture).
pub fn saved(name: &str) -> (Vec<[f32; 2]>, Vec<u32>) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/drawings").join(name);
    let loaded = diffusion_playground::app::data_file::read(&path).expect("a saved drawing");
    (loaded.point_pairs(), loaded.labels.clone())
}

/// Seed of the training runs (the page's default).
const SEED: u32 = 1;

/// How a drawing is trained: the page's recipe, or an earlier one for comparison.
#[derive(Clone, Copy, Debug, Default)]
pub struct Recipe {
    /// Training times in place of the page's.
    pub times: Option<TimeSampling>,
    /// A network architecture in place of the page's (`drawing::DRAWN_ARCHITECTURE`).
    pub architecture: Option<Architecture>,
}

impl Recipe {
    /// The page's own.
    pub const PAGE: Recipe = Recipe { times: None, architecture: None };
}

/// The page's plan for `points` (of classes `labels`): `steps` Adam steps with its batch and
/// seed, with `recipe`'s changes.
fn page_plan(points: &[[f32; 2]], labels: &[u32], steps: u32, recipe: Recipe) -> TrainingPlan {
    let mut plan =
        TrainingPlan::for_labelled_drawing(points, labels, steps, DRAWN_BATCH, SEED, Learning::DEFAULT)
            .unwrap();
    if let Some(times) = recipe.times {
        plan.config.time_sampling = times;
    }
    if let Some(architecture) = recipe.architecture {
        plan.config.architecture = architecture;
    }
    plan
}

/// Trains on `points` (of classes `labels`) for `steps` as the page does on the CPU (with
/// `recipe`'s changes), and measures the network (a class-conditional one by its null class)
/// against the exact score.
pub fn trained_against_exact(
    points: &[[f32; 2]],
    labels: &[u32],
    steps: u32,
    recipe: Recipe,
) -> AgainstExact {
    let plan = page_plan(points, labels, steps, recipe);
    let mut training = Training::on_cpu(plan.clone());
    training.run(steps).unwrap();
    let net = training.trained().unwrap();
    against_exact(unguided_source(&net), NetFrame::of(&net), &plan.mixture)
}

/// Adam steps queued on the GPU before waiting for their loss (the page queues 25 a tick).
const GPU_STEPS_PER_WAIT: u32 = 200;

/// [`trained_against_exact`] with the WGSL training kernels on `gpu`, as the page trains on
/// WebGPU (the page's own times).
pub fn trained_on_gpu_against_exact(
    gpu: &GpuContext,
    points: &[[f32; 2]],
    labels: &[u32],
    steps: u32,
) -> AgainstExact {
    let plan = page_plan(points, labels, steps, Recipe::PAGE);
    let mut training = Training::on_gpu(gpu, plan.clone()).unwrap();
    while training.step() < steps {
        training.run(GPU_STEPS_PER_WAIT).unwrap();
        pollster::block_on(training.loss().values()).unwrap();
    }
    let weights = pollster::block_on(training.weights().values()).unwrap();
    let (mlp, embedding) = training::trained_from_weights(weights).unwrap();
    let net = training::drawn_network(mlp, embedding, Learning::DEFAULT);
    against_exact(unguided_source(&net), NetFrame::of(&net), &plan.mixture)
}
