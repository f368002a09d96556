//! Reverse samplers: with the exact score they turn noise into the data distribution.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::quality;
use diffusion_playground::core::sampler::{self, Sampler, ScoreSource};
use diffusion_playground::core::schedule::Schedule;

const N: usize = 2048;

/// The distance bound of the slice: within 2x the distance between two independent data samples
/// of the same size (plus 0.02 for the last step's residual noise).
fn assert_reproduces(dataset: Dataset, schedule: Schedule, sampler: Sampler, steps: usize) {
    let mixture = dataset.mixture();
    let samples = quality::sample(ScoreSource::Exact(&mixture), schedule, sampler, steps, 17, N);
    let data = dataset.sample(18, N);
    let reference = sliced_wasserstein(&dataset.sample(19, N), &data);
    let distance = sliced_wasserstein(&samples, &data);
    assert!(
        distance < 2.0 * reference + 0.02,
        "{} / {} / {}: SW2 {distance:.4} vs data-vs-data {reference:.4}",
        dataset.name(),
        schedule.name(),
        sampler.name()
    );
}

#[test]
fn euler_maruyama_with_the_exact_score_turns_noise_into_the_mixture() {
    assert_reproduces(Dataset::GaussianMixture, Schedule::VpLinear, Sampler::EulerMaruyama, 200);
}

#[test]
fn the_probability_flow_ode_with_the_exact_score_turns_noise_into_the_mixture() {
    assert_reproduces(Dataset::GaussianMixture, Schedule::VpLinear, Sampler::ProbabilityFlowEuler, 200);
    assert_reproduces(Dataset::GaussianMixture, Schedule::RectifiedFlow, Sampler::ProbabilityFlowEuler, 200);
}

#[test]
fn every_dataset_is_reproduced_by_the_reverse_sde_with_its_exact_score() {
    for dataset in Dataset::ALL {
        assert_reproduces(dataset, Schedule::VpLinear, Sampler::EulerMaruyama, 200);
    }
}

#[test]
fn a_run_from_noise_that_is_not_stepped_stays_noise() {
    let mixture = Dataset::TwoMoons.mixture();
    let prior = sampler::prior(Schedule::VpLinear, 1.0, 3, N);
    let data = Dataset::TwoMoons.sample(4, N);
    // Zero steps: the prior is far from the data, so the bound above is not trivially met.
    let reference = sliced_wasserstein(&Dataset::TwoMoons.sample(5, N), &data);
    assert!(sliced_wasserstein(&prior, &data) > 3.0 * reference);
    let _ = mixture;
}

#[test]
fn the_plan_steps_from_t_max_to_zero_with_the_euler_maruyama_coefficients() {
    let schedule = Schedule::VpLinear;
    let plan = sampler::plan(schedule, Sampler::EulerMaruyama, 1.0, 10);
    assert_eq!(plan.len(), 10);
    assert_eq!(plan[0].t, 1.0);
    assert!((plan[9].t - 0.1).abs() < 1e-6);
    let (t, dt) = (0.5f64, 0.1f64);
    let step = plan[5];
    assert!((step.x_coef as f64 - (1.0 - schedule.drift(t) * dt)).abs() < 1e-6);
    let g2 = schedule.diffusion_squared(t);
    assert!((step.eps_coef as f64 + g2 * dt / schedule.sigma(t)).abs() < 1e-5);
    assert!((step.noise_coef as f64 - (g2 * dt).sqrt()).abs() < 1e-6);
    let ode = sampler::plan(schedule, Sampler::ProbabilityFlowEuler, 1.0, 10)[5];
    assert_eq!(ode.noise_coef, 0.0);
    assert!((ode.eps_coef - 0.5 * step.eps_coef).abs() < 1e-6, "the ODE halves the score term");
}

#[test]
fn every_coefficient_is_finite_at_the_endpoints_for_every_schedule_and_sampler() {
    for schedule in Schedule::ALL {
        for sampler_kind in Sampler::ALL {
            for steps in [1, 2, 10, 1000] {
                for s in sampler::plan(schedule, sampler_kind, schedule.t_max(), steps) {
                    let values = [s.t, s.alpha, s.sigma, s.x_coef, s.eps_coef, s.noise_coef];
                    assert!(
                        values.iter().all(|v| v.is_finite()),
                        "{schedule:?} {sampler_kind:?} {steps}: {s:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn a_run_gives_each_particle_the_same_path_whatever_the_batching() {
    use diffusion_playground::core::mlp::Mlp;
    let mlp = Mlp::initialise(2);
    let plan = sampler::plan(Schedule::VpLinear, Sampler::EulerMaruyama, 1.0, 5);
    // 21 particles: two full batches of 8 and a scalar tail of 5.
    let start = sampler::prior(Schedule::VpLinear, 1.0, 8, 21);
    let mut together = start.clone();
    sampler::run(ScoreSource::Mlp(&mlp), &plan, &mut together, 8, 0);
    for (i, x0) in start.iter().enumerate() {
        let mut alone = [*x0];
        sampler::run(ScoreSource::Mlp(&mlp), &plan, &mut alone, 8, i as u32);
        assert_eq!(alone[0].map(f32::to_bits), together[i].map(f32::to_bits), "particle {i}");
    }
}
