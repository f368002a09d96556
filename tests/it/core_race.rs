//! The sampler race: equal budgets, equal noise, and the distances show what the theory predicts.

use diffusion_playground::core::dataset::{Dataset, GaussianMixture};
use diffusion_playground::core::race::{self, Track};
use diffusion_playground::core::sampler::{NetFrame, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;

fn track(data: &GaussianMixture) -> Track<'_> {
    Track {
        data,
        schedule: Schedule::Edm,
        grid: TimeGrid::Karras,
        shift: 1.0,
        rho: 7.0,
        particles: 1024,
        seed: 3,
    }
}

#[test]
fn a_lap_spends_the_budget_and_every_racer_starts_from_the_same_noise() {
    let mixture = Dataset::GaussianMixture.mixture();
    let track = track(&mixture);
    let source = ScoreSource::Exact(&mixture);
    let net = NetFrame::eps(track.schedule);
    let euler = race::lap(&track, source, net, &SamplerSettings::new(Sampler::ProbabilityFlowEuler), 16);
    let heun = race::lap(&track, source, net, &SamplerSettings::new(Sampler::Heun), 16);
    assert_eq!((euler.steps, euler.evaluations), (16, 16));
    // Heun: two evaluations per step, except the last, which is Euler (as EDM's last step).
    assert_eq!((heun.steps, heun.evaluations), (8, 15));
    let again = race::lap(&track, source, net, &SamplerSettings::new(Sampler::ProbabilityFlowEuler), 16);
    assert_eq!(again, euler, "a lap is reproducible");
}

#[test]
fn more_evaluations_bring_every_sampler_to_the_data_and_few_separate_them() {
    // Sliced distances of 1,024 particles saturate near the data-vs-data floor from about 16
    // evaluations on this track, so the comparisons are made where the samplers differ.
    let mixture = Dataset::GaussianMixture.mixture();
    let track = track(&mixture);
    let (source, net) = (ScoreSource::Exact(&mixture), NetFrame::eps(track.schedule));
    let distance = |sampler: Sampler, budget: usize| {
        race::lap(&track, source, net, &SamplerSettings::new(sampler), budget).distance
    };
    let floor = race::floor(&track);
    for sampler in [Sampler::ProbabilityFlowEuler, Sampler::Heun, Sampler::DpmSolver2M, Sampler::DpmSolver2S]
    {
        let (few, many) = (distance(sampler, 4), distance(sampler, 64));
        assert!(many < few, "{sampler:?} improves with more evaluations: {few} -> {many}");
        assert!(many < 2.0 * floor + 0.02, "{sampler:?} reaches the data with 64 evaluations: {many}");
    }
    assert!(
        distance(Sampler::DpmSolver2M, 2) < 0.5 * distance(Sampler::ProbabilityFlowEuler, 2),
        "the multistep solver beats Euler at the smallest budget"
    );
    assert!(
        distance(Sampler::EulerMaruyama, 2) > 10.0 * floor,
        "two reverse-SDE steps from sigma = 80 are far off"
    );
}

#[test]
fn a_lap_that_draws_no_noise_has_a_straightness_and_the_floor_is_reached_where_the_distance_nears_it() {
    let mixture = Dataset::TwoMoons.mixture();
    let track = Track { schedule: Schedule::RectifiedFlow, grid: TimeGrid::Uniform, ..track(&mixture) };
    let source = ScoreSource::Exact(&mixture);
    let net = NetFrame::eps(track.schedule);
    let heun = race::lap(&track, source, net, &SamplerSettings::new(Sampler::Heun), 16);
    let sde = race::lap(&track, source, net, &SamplerSettings::new(Sampler::EulerMaruyama), 16);
    assert!(heun.straightness.is_some_and(|s| s > 0.0), "{:?}", heun.straightness);
    assert_eq!(sde.straightness, None, "the reverse SDE's paths are Brownian");
    // The lap's particles are the run's, step by step or at once.
    let mut at_once = diffusion_playground::core::sampler::prior(
        Schedule::RectifiedFlow,
        Schedule::RectifiedFlow.t_max(),
        3,
        1024,
    );
    let times =
        TimeGrid::Uniform.times(Schedule::RectifiedFlow, Schedule::RectifiedFlow.t_max(), 0.0, heun.steps);
    let plan = diffusion_playground::core::sampler::plan(
        Schedule::RectifiedFlow,
        net,
        &SamplerSettings::new(Sampler::Heun),
        &times,
    );
    diffusion_playground::core::sampler::run_from_start(source, &plan, &mut at_once, 3, 0);
    assert_eq!(at_once, heun.particles);
    let floor = 0.1;
    let laps = [(2, 0.9), (4, 0.3), (8, 0.124), (16, 0.13), (32, 0.11)];
    assert_eq!(
        race::evaluations_to_floor(&laps, floor),
        Some(8),
        "within 1.25 x the floor from 8 evaluations"
    );
    assert_eq!(race::evaluations_to_floor(&laps[..2], floor), None);
}
