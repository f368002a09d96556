//! Sample quality of a trained network, measured the way the weight files record it.
//!
//! Quality is the sliced 2-Wasserstein distance ([`metrics::sliced_wasserstein`]) between
//! [`QUALITY_SAMPLES`] particles sampled by the reverse SDE and as many fresh data samples;
//! the reference is the same distance between two independent data samples of that size, which is
//! the floor a perfect sampler reaches at this sample size.

use crate::core::dataset::Dataset;
use crate::core::metrics;
use crate::core::mlp::Mlp;
use crate::core::sampler::{self, Sampler, ScoreSource};
use crate::core::schedule::Schedule;

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
}

/// Samples `n` particles with `source` by `sampler` in `steps` steps from the prior.
pub fn sample(
    source: ScoreSource,
    schedule: Schedule,
    sampler: Sampler,
    steps: usize,
    seed: u32,
    n: usize,
) -> Vec<[f32; 2]> {
    let t_start = schedule.t_max();
    let mut particles = sampler::prior(schedule, t_start, seed, n);
    let plan = sampler::plan(schedule, sampler, t_start, steps);
    sampler::run(source, &plan, &mut particles, seed, 0);
    particles
}

/// Measures a net trained on `dataset` with `schedule` (reverse SDE, [`QUALITY_STEPS`] steps).
pub fn measure(mlp: &Mlp, dataset: Dataset, schedule: Schedule) -> QualityReport {
    let samples = sample(
        ScoreSource::Mlp(mlp),
        schedule,
        Sampler::EulerMaruyama,
        QUALITY_STEPS,
        SAMPLE_SEED,
        QUALITY_SAMPLES,
    );
    let data = dataset.sample(DATA_SEED, QUALITY_SAMPLES);
    let reference = dataset.sample(REFERENCE_SEED, QUALITY_SAMPLES);
    QualityReport {
        net: metrics::sliced_wasserstein(&samples, &data),
        reference: metrics::sliced_wasserstein(&reference, &data),
    }
}
