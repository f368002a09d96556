//! Reflow (Liu, Gong and Liu 2022, "Flow straight and fast", Sec. 2.2 and Alg. 1): the pairs a
//! teacher flow makes, each noise z_1 with where the teacher's ODE carries it, z_0 = ODE(z_1),
//! on which the next rectified flow is trained with straight interpolations
//! x_t = (1 - t) z_0 + t z_1 (`core::train`, [`Coupling::Reflow`]). The pairs are a
//! deterministic coupling whose paths cross less than the independent one's, so each round's
//! flow is straighter (their Theorem 3.7: min over k rounds of the straightness is O(1/k)).
//!
//! [`Coupling::Reflow`]: crate::core::coupling::Coupling::Reflow

use crate::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use crate::core::schedule::Schedule;
use crate::core::timesteps::TimeGrid;
use crate::core::train::ReflowPair;

/// Pairs made per reflow: far more than a batch, so that training draws each pair a few times.
pub const REFLOW_PAIRS: usize = 16_384;
/// Heun steps of the teacher's ODE (uniform in rectified flow's time): its discretisation error
/// on the data is below the sampling noise of the pairs.
pub const REFLOW_STEPS: usize = 64;
/// Seed of the pairs' noises (a stream of its own, so the student's batches do not reuse them).
pub const REFLOW_SEED: u32 = 0x2ef1;

/// The `n` reflow pairs of the teacher `source` (a velocity network on rectified flow, or the
/// exact score) in the frame `frame`: noises from the prior at rectified flow's t_max (seed
/// `seed`), each with where [`REFLOW_STEPS`] Heun steps of the probability-flow ODE carry it.
pub fn pairs(source: ScoreSource, frame: NetFrame, n: usize, seed: u32) -> Vec<ReflowPair> {
    let schedule = Schedule::RectifiedFlow;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), REFLOW_STEPS);
    let plan = sampler::plan(schedule, frame, &SamplerSettings::new(Sampler::Heun), &times);
    let noise = sampler::prior(schedule, times[0], seed, n);
    let mut ends = noise.clone();
    sampler::run_from_start(source, &plan, &mut ends, seed, 0);
    ends.into_iter().zip(noise).map(|(end, start)| [end, start]).collect()
}
