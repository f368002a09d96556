//! A sampler race: several samplers carry the same prior noise to the data with the same budget
//! of network evaluations (NFE), and each is scored by its distance to fresh data. Every sampler
//! starts from the same particles and draws the same noise (both keyed by the seed), so the
//! differences are the samplers' own.

use crate::core::dataset::GaussianMixture;
use crate::core::metrics;
use crate::core::posterior_guidance::ObservationParams;
use crate::core::sampler::{self, NetFrame, SamplerSettings, ScoreSource};
use crate::core::schedule::Schedule;
use crate::core::smc::{self, SmcState};
use crate::core::straightness;
use crate::core::timesteps::TimeGrid;

/// Seed of the fresh data the racers are compared with (as in `quality`).
pub const RACE_DATA_SEED: u32 = 2002;
/// Seed of the second data sample that gives the floor.
pub const RACE_FLOOR_SEED: u32 = 3003;

/// What a race is run on.
#[derive(Clone, Copy, Debug)]
pub struct Track<'a> {
    /// The data distribution the racers must reach (a dataset's mixture, or a drawing's).
    pub data: &'a GaussianMixture,
    /// The noise schedule.
    pub schedule: Schedule,
    /// How the steps are spaced.
    pub grid: TimeGrid,
    /// The time shift applied to the grid ([`crate::core::timesteps::shift_time`]; 1: none).
    pub shift: f64,
    /// rho of the Karras and polyexponential grids.
    pub rho: f64,
    /// Particles per racer.
    pub particles: usize,
    /// Seed of the prior noise and of every noise draw.
    pub seed: u32,
}

/// One racer's result at one budget.
#[derive(Clone, Debug, PartialEq)]
pub struct Lap {
    /// Steps taken: the budget divided by the sampler's evaluations per step, at least 1.
    pub steps: usize,
    /// Network evaluations actually spent (a Heun run ends with a one-evaluation Euler step).
    pub evaluations: usize,
    /// Sliced Wasserstein distance of the particles to fresh data.
    pub distance: f64,
    /// Where the particles ended.
    pub particles: Vec<[f32; 2]>,
    /// The straightness S of the first [`RACE_STRAIGHTNESS_PATHS`] paths (`core::straightness`),
    /// for a racer that draws no noise and takes two steps or more.
    pub straightness: Option<f64>,
}

/// Paths of a lap whose straightness is measured.
pub const RACE_STRAIGHTNESS_PATHS: usize = 256;

/// A racer "reaches the floor" when its distance is within this factor of the data-vs-data
/// floor: two data samples of the race's size differ from sample to sample by about a tenth of
/// the floor, so 1.25 is clear of that noise and still close to a perfect sampler.
pub const REACHED_FLOOR_FACTOR: f64 = 1.25;

/// The fewest evaluations among `laps` (evaluations, distance) whose distance is within
/// [`REACHED_FLOOR_FACTOR`] of `floor`: the evaluations a racer needs to reach the floor.
pub fn evaluations_to_floor(laps: &[(usize, f64)], floor: f64) -> Option<usize> {
    laps.iter().filter(|(_, distance)| *distance <= REACHED_FLOOR_FACTOR * floor).map(|(e, _)| *e).min()
}

/// The time grid and the steps of a lap of `settings` on `track` with about `budget` network
/// evaluations: the budget divided by the sampler's evaluations per step, at least one step.
pub fn lap_plan(
    track: &Track,
    net: NetFrame,
    settings: &SamplerSettings,
    budget: usize,
) -> (Vec<f64>, Vec<sampler::ReverseStep>) {
    let steps = (budget / settings.sampler.evaluations_per_step()).max(1);
    let schedule = track.schedule;
    let times =
        track.grid.shifted_times(schedule, schedule.t_max(), schedule.t_min(), steps, track.shift, track.rho);
    let plan = sampler::plan(schedule, net, settings, &times);
    (times, plan)
}

/// Whether a lap of `settings` on `track` with `budget` evaluations draws noise (and so needs
/// the score, not only the probability-flow ODE's velocity).
pub fn lap_draws_noise(track: &Track, net: NetFrame, settings: &SamplerSettings, budget: usize) -> bool {
    !lap_plan(track, net, settings, budget).1.iter().all(|step| step.is_deterministic())
}

/// Runs `settings` on `track` with about `budget` network evaluations of `source`.
pub fn lap(
    track: &Track,
    source: ScoreSource,
    net: NetFrame,
    settings: &SamplerSettings,
    budget: usize,
) -> Lap {
    let (times, plan) = lap_plan(track, net, settings, budget);
    let steps = plan.len();
    let schedule = track.schedule;
    let mut particles = sampler::prior(schedule, times[0], track.seed, track.particles);
    // Step by step, keeping the first paths of a racer that draws no noise.
    let smooth =
        plan.len() >= straightness::MIN_MEASURED_STEPS && plan.iter().all(|step| step.is_deterministic());
    let kept = if smooth { RACE_STRAIGHTNESS_PATHS.min(particles.len()) } else { 0 };
    let mut frames = vec![particles[..kept].to_vec()];
    let mut history = sampler::empty_history(particles.len());
    for step in &plan {
        sampler::run(source, std::slice::from_ref(step), &mut particles, &mut history, track.seed, 0);
        frames.push(particles[..kept].to_vec());
    }
    let straightness = (kept > 0)
        .then(|| straightness::of_paths(&frames, schedule, &times))
        .flatten()
        .map(|measured| measured.straightness);
    let data = track.data.sample(RACE_DATA_SEED, 0, track.particles);
    Lap {
        steps,
        evaluations: plan.iter().map(|s| s.evaluations()).sum(),
        distance: metrics::sliced_wasserstein(&particles, &data),
        particles,
        straightness,
    }
}

/// A lap of twisted SMC (`core::smc`) on `track` with about `budget` network evaluations of
/// `source`'s prior score: `budget - 1` steps of `settings` (a Gaussian kernel: `smc::check_plan`)
/// and the final weighting, the proposal guided with weight `scale` toward `observation`.
#[allow(clippy::too_many_arguments)]
pub fn smc_lap(
    track: &Track,
    source: ScoreSource,
    observation: &ObservationParams,
    scale: f32,
    net: NetFrame,
    settings: &SamplerSettings,
    budget: usize,
) -> Result<Lap, String> {
    let steps = budget.saturating_sub(1).max(1);
    let schedule = track.schedule;
    let times =
        track.grid.shifted_times(schedule, schedule.t_max(), schedule.t_min(), steps, track.shift, track.rho);
    let plan = sampler::plan(schedule, net, settings, &times);
    smc::check_plan(&plan).map_err(|allowed| format!("posterior smc needs {allowed}"))?;
    let mut particles = sampler::prior(schedule, times[0], track.seed, track.particles);
    let mut state = SmcState::new(particles.len());
    let last = sampler::evaluation(schedule, net, *times.last().expect("a grid has its end"));
    smc::run(source, observation, scale, &plan, &mut particles, &mut state, track.seed, Some(last));
    let data = track.data.sample(RACE_DATA_SEED, 0, track.particles);
    Ok(Lap {
        steps,
        evaluations: steps + 1,
        distance: metrics::sliced_wasserstein(&particles, &data),
        particles,
        straightness: None,
    })
}

/// The distance between two independent data samples of the track's size: what a perfect
/// sampler reaches, up to sampling noise.
pub fn floor(track: &Track) -> f64 {
    let data = track.data.sample(RACE_DATA_SEED, 0, track.particles);
    metrics::sliced_wasserstein(&track.data.sample(RACE_FLOOR_SEED, 0, track.particles), &data)
}
