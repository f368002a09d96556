//! Sample quality of a trained network, measured the way the weight files record it.
//!
//! Quality is the sliced 2-Wasserstein distance ([`metrics::sliced_wasserstein`]) between
//! [`QUALITY_SAMPLES`] particles sampled by the reverse SDE and as many fresh data samples;
//! the reference is the same distance between two independent data samples of that size, which is
//! the floor a perfect sampler reaches at this sample size.

use crate::core::class_embedding::ClassEmbedding;
use crate::core::classes;
use crate::core::dataset::{Dataset, GaussianMixture};
use crate::core::guidance::Guidance;
use crate::core::histogram::{self, Bins};
use crate::core::metrics;
use crate::core::mlp::Mlp;
use crate::core::render;
use crate::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use crate::core::schedule::Schedule;
use crate::core::timesteps::TimeGrid;
use crate::core::weights::TrainedNet;

/// Particles per quality measurement.
pub const QUALITY_SAMPLES: usize = 4096;
/// Reverse steps of the quality measurement.
pub const QUALITY_STEPS: usize = 200;
/// Seed of the sampled particles.
pub const SAMPLE_SEED: u32 = 1001;
/// Seed of the fresh data compared with them.
pub const DATA_SEED: u32 = 2002;
/// Seed of the second, independent data sample of the reference distance.
pub const REFERENCE_SEED: u32 = 3003;

/// Distances of one measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct QualityReport {
    /// SW2 between net samples and fresh data.
    pub net: f64,
    /// SW2 between two independent data samples.
    pub reference: f64,
    /// Mean log-density of fresh data minus that of the net's samples, both under the exact data
    /// distribution (nats; 0 for a perfect sampler up to sampling noise). Sliced distances compare
    /// 1-D projections only, and a blob with the right radial profile can pass them where a thin
    /// structure such as the spiral is missed; this gap cannot be fooled that way, since samples
    /// between the arms have a tiny density.
    pub log_density_gap: f64,
}

/// Mean log-density of `points` under `mixture` (nats); for 1-D data, the density of the x
/// coordinate (the 2-D density of data on a line is degenerate).
pub fn mean_log_density(mixture: &GaussianMixture, points: &[[f32; 2]]) -> f64 {
    let one_dimensional = mixture.is_one_dimensional();
    let log_density = |p: &[f32; 2]| {
        if one_dimensional {
            mixture.log_density_noised_x(p[0] as f64, 1.0, 0.0)
        } else {
            mixture.log_density_noised([p[0] as f64, p[1] as f64], 1.0, 0.0)
        }
    };
    points.iter().map(log_density).sum::<f64>() / points.len() as f64
}

/// How a run is set up: the sampling schedule, the network's schedule, the sampler and the grid.
#[derive(Clone, Copy, Debug)]
pub struct RunSetup {
    /// Schedule the particles follow.
    pub schedule: Schedule,
    /// Schedule the network was trained with and what it predicts (ignored by exact scores).
    pub net: NetFrame,
    /// Sampler and its knobs.
    pub settings: SamplerSettings,
    /// Time grid.
    pub grid: TimeGrid,
    /// Steps of the run.
    pub steps: usize,
}

impl RunSetup {
    /// `sampler` on `schedule` with its own network, `steps` uniform steps.
    pub fn new(schedule: Schedule, sampler: Sampler, steps: usize) -> RunSetup {
        RunSetup {
            schedule,
            net: NetFrame::eps(schedule),
            settings: SamplerSettings::new(sampler),
            grid: TimeGrid::Uniform,
            steps,
        }
    }
}

/// Samples `n` particles from the prior with `source` (a network or an exact score) as `setup` says.
pub fn sample(source: ScoreSource, setup: &RunSetup, seed: u32, n: usize) -> Vec<[f32; 2]> {
    let RunSetup { schedule, net, settings, grid, steps } = *setup;
    let times = grid.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    let mut particles = sampler::prior(schedule, times[0], seed, n);
    let plan = sampler::plan(schedule, net, &settings, &times);
    sampler::run_from_start(source, &plan, &mut particles, seed, 0);
    particles
}

/// Measures a net in the frame `net` (trained with its schedule, predicting its parametrization)
/// on `dataset` (reverse SDE with the net's schedule, [`QUALITY_STEPS`] steps).
pub fn measure(mlp: &Mlp, net: NetFrame, dataset: Dataset) -> QualityReport {
    measure_source(ScoreSource::Mlp(mlp), net, &dataset.mixture())
}

/// [`measure`] for any score source against samples of `data`.
pub fn measure_source(source: ScoreSource, net: NetFrame, data: &GaussianMixture) -> QualityReport {
    measure_with(source, net, data, Sampler::EulerMaruyama)
}

/// [`measure_source`] by the probability-flow ODE (Heun): for a network trained with an OT or
/// Schrödinger-bridge coupling (`core::coupling`), which has a velocity but no score.
pub fn measure_flow(source: ScoreSource, net: NetFrame, data: &GaussianMixture) -> QualityReport {
    measure_with(source, net, data, Sampler::Heun)
}

/// [`measure_source`]'s run with `sampler`.
fn measure_with(
    source: ScoreSource,
    net: NetFrame,
    data: &GaussianMixture,
    sampler: Sampler,
) -> QualityReport {
    let setup = RunSetup { net, ..RunSetup::new(net.schedule, sampler, QUALITY_STEPS) };
    let samples = sample(source, &setup, SAMPLE_SEED, QUALITY_SAMPLES);
    let fresh = data.sample(DATA_SEED, 0, QUALITY_SAMPLES);
    let reference = data.sample(REFERENCE_SEED, 0, QUALITY_SAMPLES);
    QualityReport {
        net: metrics::sliced_wasserstein(&samples, &fresh),
        reference: metrics::sliced_wasserstein(&reference, &fresh),
        log_density_gap: mean_log_density(data, &fresh) - mean_log_density(data, &samples),
    }
}

/// The quality of a class-conditional network: its unconditional prediction (the null class)
/// against the data, and each class's conditional prediction against that class's data.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionalQuality {
    /// eps(x, empty) against `dataset`'s samples.
    pub unconditional: QualityReport,
    /// eps(x, c) against samples of p_0(x | c), in class order.
    pub classes: Vec<QualityReport>,
}

/// Measures a class-conditional network (`mlp` with `embedding`) on `dataset`, whose classes
/// are `classes::classes(dataset)`: each prediction sampled by [`measure_source`]'s run.
pub fn measure_conditional(
    mlp: &Mlp,
    embedding: &ClassEmbedding,
    net: NetFrame,
    dataset: Dataset,
) -> ConditionalQuality {
    let mixture = dataset.mixture();
    let guided = |class: usize, scale: f64| ScoreSource::ClassifierFree {
        mlp,
        embedding,
        class,
        guidance: Guidance::everywhere(scale),
    };
    // w = 0: eps(x, empty) + 0 (eps(x, c) - eps(x, empty)) is the null class's prediction.
    let unconditional = measure_source(guided(0, 0.0), net, &mixture);
    let classes = (0..embedding.classes())
        .map(|class| {
            let members = classes::class_members(dataset, class);
            let conditional = classes::marked(&mixture, &members)
                .and_then(|marked| classes::conditional(&marked))
                .expect("every class of a dataset has components");
            measure_source(guided(class, 1.0), net, &conditional)
        })
        .collect();
    ConditionalQuality { unconditional, classes }
}

/// Particles of the density measurement (the page's default particle count).
pub const DENSITY_SAMPLES: usize = 16_384;
/// Seed of the density measurement's runs (the page's default seed).
pub const DENSITY_SEED: u32 = 1;

/// What the page's density view shows at the end of a run, as numbers: the total variation
/// distance between the particles' histogram and the exact p_t on its 64 x 64 bins, and the
/// distance that sampling noise alone leaves at this particle count.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DensityDistance {
    /// TV between the particles and the exact p_t (`histogram::total_variation`).
    pub total_variation: f64,
    /// TV that exact samples of the same count leave (`histogram::noise_floor`).
    pub noise_floor: f64,
}

/// The density view's distance for `particles` at time `t` of `schedule`: their histogram on the
/// page's bins ([`histogram::DEFAULT_SIDE`] over the picture) against the exact p_t of `data`.
pub fn density_distance(
    particles: &[[f32; 2]],
    data: &GaussianMixture,
    schedule: Schedule,
    t: f64,
) -> DensityDistance {
    let bins = Bins { side: histogram::DEFAULT_SIDE, half_extent: render::DEFAULT_HALF_EXTENT };
    let probabilities = histogram::exact_probabilities(data, schedule.alpha(t), schedule.sigma(t), &bins);
    let counts = histogram::histogram(particles, &bins);
    DensityDistance {
        total_variation: histogram::total_variation(&counts, particles.len(), &probabilities),
        noise_floor: histogram::noise_floor(particles.len(), &probabilities),
    }
}

/// A learned score next to the exact one on the same run: the density view's distance of each
/// and the log-density gap of the learned run's samples (what the eye sees, where SW2 sits at its
/// floor).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AgainstExact {
    /// The density view's distance of the run with the learned score.
    pub learned: DensityDistance,
    /// The same run with the exact score of `data`.
    pub exact: DensityDistance,
    /// Mean log-density of fresh data minus that of the learned run's samples (nats).
    pub log_density_gap: f64,
}

/// Runs `learned` (a network in the frame `net`) and the exact score of `data` through the same
/// reverse SDE ([`QUALITY_STEPS`] uniform steps of the network's schedule, [`DENSITY_SAMPLES`]
/// particles from [`DENSITY_SEED`]) and compares both with the exact p at the runs' last time.
pub fn against_exact(learned: ScoreSource, net: NetFrame, data: &GaussianMixture) -> AgainstExact {
    let schedule = net.schedule;
    let setup = RunSetup { net, ..RunSetup::new(schedule, Sampler::EulerMaruyama, QUALITY_STEPS) };
    let exact_setup = RunSetup::new(schedule, Sampler::EulerMaruyama, QUALITY_STEPS);
    let samples = sample(learned, &setup, DENSITY_SEED, DENSITY_SAMPLES);
    let exact_samples = sample(ScoreSource::Exact(data), &exact_setup, DENSITY_SEED, DENSITY_SAMPLES);
    let t_end = schedule.t_min();
    let fresh = data.sample(DATA_SEED, 0, DENSITY_SAMPLES);
    AgainstExact {
        learned: density_distance(&samples, data, schedule, t_end),
        exact: density_distance(&exact_samples, data, schedule, t_end),
        log_density_gap: mean_log_density(data, &fresh) - mean_log_density(data, &samples),
    }
}

/// [`against_exact`] for a network of a weight file, on its own dataset and frame; a
/// class-conditional network is measured by its null class (guidance w = 0: the unconditional
/// score it serves to classifier-free guidance).
pub fn network_against_exact(net: &TrainedNet) -> AgainstExact {
    against_exact(unguided_source(net), NetFrame::of(net), &net.dataset.mixture())
}

/// The score `net` gives without guidance: its own, or a class-conditional network's null class
/// (classifier-free guidance at w = 0: eps(x, empty) + 0 (eps(x, c) - eps(x, empty))).
pub fn unguided_source(net: &TrainedNet) -> ScoreSource<'_> {
    match &net.class_embedding {
        Some(embedding) => ScoreSource::ClassifierFree {
            mlp: &net.mlp,
            embedding,
            class: 0,
            guidance: Guidance::everywhere(0.0),
        },
        None => ScoreSource::Mlp(&net.mlp),
    }
}
