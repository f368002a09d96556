//! Reflow (`core::reflow`, Liu et al. 2022): the pairs are the teacher's own ODE endpoints from
//! their noises, and a flow trained on them reads straighter than its teacher.

use diffusion_playground::core::coupling::Coupling;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::reflow::{pairs, REFLOW_STEPS};
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;
use diffusion_playground::core::train::{self, TrainConfig};

const FLOW: NetFrame =
    NetFrame { schedule: Schedule::RectifiedFlow, parametrization: Parametrization::Velocity };

#[test]
fn the_pairs_are_the_teachers_own_ode_endpoints_from_their_noises() {
    let data = Dataset::TwoMoons.mixture();
    let made = pairs(ScoreSource::Exact(&data), FLOW, 300, 17);
    assert_eq!(made.len(), 300);
    // The same noises (the prior of seed 17) carried by the same Heun ODE, particle by particle.
    let schedule = Schedule::RectifiedFlow;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), REFLOW_STEPS);
    let noise = sampler::prior(schedule, times[0], 17, 300);
    let mut ends = noise.clone();
    let plan = sampler::plan(schedule, FLOW, &SamplerSettings::new(Sampler::Heun), &times);
    sampler::run_from_start(ScoreSource::Exact(&data), &plan, &mut ends, 17, 0);
    for (i, [end, start]) in made.iter().enumerate() {
        assert_eq!((*end, *start), (ends[i], noise[i]), "pair {i}");
    }
}

#[test]
fn a_reflow_of_a_flow_trains_on_its_pairs_and_the_config_is_checked() {
    let data = Dataset::GaussianMixture.mixture();
    let made = pairs(ScoreSource::Exact(&data), FLOW, 64, 3);
    let config = TrainConfig {
        batch: 32,
        objective: Parametrization::Velocity,
        coupling: Coupling::Reflow { round: 1 },
        reflow_pairs: Some(made.clone().into()),
        ..TrainConfig::default()
    };
    train::check_coupling(&config, Schedule::RectifiedFlow).unwrap();
    for (example, _) in train::coupled_examples(&data, Schedule::RectifiedFlow, &config, 0) {
        assert!(
            made.iter().any(|p| p == &[example.x0, example.eps]),
            "every example is a pair of the teacher's"
        );
        let t = example.t;
        for k in 0..2 {
            assert!((example.x[k] - ((1.0 - t) * example.x0[k] + t * example.eps[k])).abs() < 1e-5);
        }
    }
    let refused = train::check_coupling(&config, Schedule::VpLinear).unwrap_err();
    assert!(
        refused.starts_with(
            "coupling reflow: a rectified flow trains the velocity objective on the rectified_flow schedule"
        ),
        "{refused}"
    );
    let without = TrainConfig { reflow_pairs: None, ..config };
    assert!(train::check_coupling(&without, Schedule::RectifiedFlow)
        .unwrap_err()
        .contains("the pairs of a teacher flow"));
}
