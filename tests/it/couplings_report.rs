//! Prints the table of flows trained with each coupling (docs/straight-paths.md; not run by
//! default, its numbers are measurements):
//!
//! ```text
//! cargo xtask report couplings
//! ```
//!
//! For each dataset, a velocity network on rectified flow is trained with the independent
//! coupling, minibatch OT in groups of 64 and of 256, and the Schrödinger bridge (sigma_b 0.5,
//! groups of 64), [`STEPS`] Adam steps of 256 examples each from seed 0 (`core::train`, the
//! recipe of `dp-train --schedule rectified_flow --objective velocity --coupling ...`), and two
//! rounds of reflow from the independent flow (`dp-train --reflow FILE`: 16,384 pairs of the
//! teacher's 64-step Heun ODE, `core::reflow`), each [`STEPS`] more steps. Each then
//! carries 16,384 prior particles (seed 1) to the data with 1, 2, 4 and 8 Euler steps of the
//! probability-flow ODE; the table gives the straightness S of the 8-step paths (and the exact
//! flow's from the same start), the sliced Wasserstein distance to fresh data at each step count
//! against the data-vs-data floor, the density view's TV to the exact p_0 against the
//! sampling-noise floor, and the training time on this machine's CPU (one core).

use std::time::Instant;

use diffusion_playground::core::coupling::Coupling;
use diffusion_playground::core::dataset::{Dataset, GaussianMixture};
use diffusion_playground::core::metrics;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::quality::{
    density_distance, DATA_SEED, DENSITY_SAMPLES, DENSITY_SEED, REFERENCE_SEED,
};
use diffusion_playground::core::reflow;
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::straightness::{self, PathStraightness};
use diffusion_playground::core::timesteps::TimeGrid;
use diffusion_playground::core::train::{self, TrainConfig};

/// Adam steps of each network.
const STEPS: u32 = 5000;
/// Euler step counts of the table.
const STEP_COUNTS: [usize; 4] = [1, 2, 4, 8];
/// Paths whose straightness is measured.
const PATHS: usize = 2048;
/// The datasets of the table (the issue's four).
const DATASETS: [Dataset; 4] =
    [Dataset::GaussianMixture, Dataset::TwoMoons, Dataset::Spiral, Dataset::Checkerboard];
/// The flow's schedule: rectified flow, where the couplings are defined.
const SCHEDULE: Schedule = Schedule::RectifiedFlow;

/// The couplings of the table, with their labels.
fn couplings() -> [(&'static str, Coupling); 4] {
    [
        ("independent", Coupling::Independent),
        ("OT, groups of 64", Coupling::MinibatchOt { batch: 64 }),
        ("OT, groups of 256", Coupling::MinibatchOt { batch: 256 }),
        ("SB, sigma 0.5, groups of 64", Coupling::SchrodingerBridge { batch: 64, sigma: 0.5 }),
    ]
}

/// The frames of a `steps`-step Euler run of the probability-flow ODE from the prior (seed
/// [`DENSITY_SEED`]) with `source`, and their times.
fn euler_run(source: ScoreSource, frame: NetFrame, steps: usize, n: usize) -> (Vec<Vec<[f32; 2]>>, Vec<f64>) {
    let times = TimeGrid::Uniform.times(SCHEDULE, SCHEDULE.t_max(), SCHEDULE.t_min(), steps);
    let plan = sampler::plan(SCHEDULE, frame, &SamplerSettings::new(Sampler::ProbabilityFlowEuler), &times);
    let mut x = sampler::prior(SCHEDULE, times[0], DENSITY_SEED, n);
    let mut history = sampler::empty_history(n);
    let mut frames = vec![x.clone()];
    for step in &plan {
        sampler::run(source, std::slice::from_ref(step), &mut x, &mut history, DENSITY_SEED, 0);
        frames.push(x.clone());
    }
    (frames, times)
}

/// S of the 8-step paths of the first [`PATHS`] particles.
fn straightness_of(source: ScoreSource, frame: NetFrame) -> PathStraightness {
    let (frames, times) = euler_run(source, frame, 8, PATHS);
    straightness::of_paths(&frames, SCHEDULE, &times).expect("eight steps that move")
}

fn row(
    label: &str,
    seconds: Option<f64>,
    source: ScoreSource,
    frame: NetFrame,
    data: &GaussianMixture,
    exact_s: f64,
) {
    let fresh = data.sample(DATA_SEED, 0, DENSITY_SAMPLES);
    let floor = metrics::sliced_wasserstein(&data.sample(REFERENCE_SEED, 0, DENSITY_SAMPLES), &fresh);
    let s = straightness_of(source, frame).straightness;
    let mut cells = Vec::new();
    let mut tv_floor = 0.0;
    for steps in STEP_COUNTS {
        let (frames, _) = euler_run(source, frame, steps, DENSITY_SAMPLES);
        let end = frames.last().expect("a final frame");
        let density = density_distance(end, data, SCHEDULE, SCHEDULE.t_min());
        tv_floor = density.noise_floor;
        cells.push(format!(
            "{:.3} / {:.3}",
            metrics::sliced_wasserstein(end, &fresh),
            density.total_variation
        ));
    }
    println!(
        "| {label} | {s:.3} ({exact_s:.3}) | {} | {floor:.3} / {tv_floor:.3} | {} |",
        cells.join(" | "),
        seconds.map_or("–".into(), |s| format!("{s:.0}"))
    );
}

#[test]
#[ignore]
fn flows_trained_with_each_coupling() {
    println!("| coupling | S at 8 steps (exact flow) | 1 step: SW2 / TV | 2 steps | 4 steps | 8 steps | floors: SW2 / TV | training (s) |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    let frame = NetFrame { schedule: SCHEDULE, parametrization: Parametrization::Velocity };
    for dataset in DATASETS {
        let data = dataset.mixture();
        println!("| **{}** | | | | | | | |", dataset.name());
        let exact_s = straightness_of(ScoreSource::Exact(&data), frame).straightness;
        row("exact score", None, ScoreSource::Exact(&data), frame, &data, exact_s);
        let mut independent = None;
        for (label, coupling) in couplings() {
            let config = TrainConfig {
                steps: STEPS,
                objective: Parametrization::Velocity,
                coupling,
                ..TrainConfig::default()
            };
            let started = Instant::now();
            let mlp = train::train(&data, SCHEDULE, &config, |_, _| {});
            let seconds = started.elapsed().as_secs_f64();
            row(label, Some(seconds), ScoreSource::Mlp(&mlp), frame, &data, exact_s);
            if coupling == Coupling::Independent {
                independent = Some(mlp);
            }
        }
        let mut teacher = independent.expect("the independent flow is trained first");
        for round in 1..=2 {
            let started = Instant::now();
            let pairs =
                reflow::pairs(ScoreSource::Mlp(&teacher), frame, reflow::REFLOW_PAIRS, reflow::REFLOW_SEED);
            let config = TrainConfig {
                steps: STEPS,
                objective: Parametrization::Velocity,
                coupling: Coupling::Reflow { round },
                reflow_pairs: Some(pairs.into()),
                ..TrainConfig::default()
            };
            let mlp = train::train(&data, SCHEDULE, &config, |_, _| {});
            let seconds = started.elapsed().as_secs_f64();
            row(
                &format!("reflow, round {round}"),
                Some(seconds),
                ScoreSource::Mlp(&mlp),
                frame,
                &data,
                exact_s,
            );
            teacher = mlp;
        }
    }
}
