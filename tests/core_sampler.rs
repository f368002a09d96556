//! Reverse samplers: every one turns noise into the data with the exact score, the deterministic
//! ones converge at their stated order, and the coefficients are what the papers say.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::mlp::Mlp;
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{self, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;

const N: usize = 2048;

fn settings(sampler: Sampler) -> SamplerSettings {
    SamplerSettings::new(sampler)
}

/// The distance bound of the slice: within 2x the distance between two independent data samples
/// of the same size (plus 0.02 for the last step's residual noise).
fn assert_reproduces(dataset: Dataset, schedule: Schedule, settings: SamplerSettings, steps: usize) {
    // EDM's time is sigma in [0.002, 80]: only a grid dense at small sigma makes sense there.
    let grid = if schedule == Schedule::Edm { TimeGrid::Karras } else { TimeGrid::Uniform };
    let setup = RunSetup { schedule, net_schedule: schedule, settings, grid, steps };
    let mixture = dataset.mixture();
    let samples = quality::sample(ScoreSource::Exact(&mixture), &setup, 17, N);
    let data = dataset.sample(18, N);
    let reference = sliced_wasserstein(&dataset.sample(19, N), &data);
    let distance = sliced_wasserstein(&samples, &data);
    assert!(
        distance < 2.0 * reference + 0.02,
        "{} / {} / {:?}: SW2 {distance:.4} vs data-vs-data {reference:.4}",
        dataset.name(),
        schedule.name(),
        settings
    );
}

#[test]
fn euler_maruyama_with_the_exact_score_turns_noise_into_the_mixture() {
    assert_reproduces(Dataset::GaussianMixture, Schedule::VpLinear, settings(Sampler::EulerMaruyama), 200);
}

#[test]
fn every_sampler_with_the_exact_score_turns_noise_into_the_mixture() {
    for sampler in Sampler::ALL {
        for schedule in [Schedule::VpLinear, Schedule::RectifiedFlow] {
            assert_reproduces(Dataset::GaussianMixture, schedule, settings(sampler), 100);
        }
    }
    let churned = SamplerSettings { churn: 20.0, ..settings(Sampler::Heun) };
    assert_reproduces(Dataset::GaussianMixture, Schedule::Edm, churned, 60);
    let half = SamplerSettings { eta: 0.5, ..settings(Sampler::Ddim) };
    assert_reproduces(Dataset::GaussianMixture, Schedule::VpCosine, half, 100);
}

#[test]
fn every_dataset_is_reproduced_by_the_reverse_sde_with_its_exact_score() {
    for dataset in Dataset::ALL {
        assert_reproduces(dataset, Schedule::VpLinear, settings(Sampler::EulerMaruyama), 200);
    }
}

#[test]
fn every_schedule_samples_the_mixture_with_dpm_solver_2m() {
    for schedule in Schedule::ALL {
        assert_reproduces(Dataset::GaussianMixture, schedule, settings(Sampler::DpmSolver2M), 50);
    }
}

/// Deterministic paths from the same prior points.
fn ode_paths(schedule: Schedule, sampler: Sampler, steps: usize, grid: TimeGrid) -> Vec<[f32; 2]> {
    let mixture = Dataset::GaussianMixture.mixture();
    let times = grid.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    let plan = sampler::plan(schedule, schedule, &settings(sampler), &times);
    let mut x = sampler::prior(schedule, times[0], 5, 64);
    let mut history = vec![[0.0; 2]; x.len()];
    sampler::run(ScoreSource::Exact(&mixture), &plan, &mut x, &mut history, 5, 0);
    x
}

fn mean_distance(a: &[[f32; 2]], b: &[[f32; 2]]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| (((p[0] - q[0]) as f64).powi(2) + ((p[1] - q[1]) as f64).powi(2)).sqrt())
        .sum::<f64>()
        / a.len() as f64
}

/// Measured order: log2(error(n) / error(2n)) at n = 40 against a 4,000-step Heun reference, on
/// EDM's setting (sigma = t, Karras grid), where every method's order is textbook.
fn measured_order(sampler: Sampler) -> f64 {
    let (schedule, grid, n) = (Schedule::Edm, TimeGrid::Karras, 40);
    let reference = ode_paths(schedule, Sampler::Heun, 4000, grid);
    let coarse = mean_distance(&ode_paths(schedule, sampler, n, grid), &reference);
    let fine = mean_distance(&ode_paths(schedule, sampler, 2 * n, grid), &reference);
    (coarse / fine).log2()
}

#[test]
fn euler_converges_at_first_order() {
    let order = measured_order(Sampler::ProbabilityFlowEuler);
    assert!((0.8..1.3).contains(&order), "Euler order {order:.2}");
}

#[test]
fn heun_converges_at_second_order() {
    let order = measured_order(Sampler::Heun);
    assert!((1.7..2.5).contains(&order), "Heun order {order:.2}");
}

#[test]
fn dpm_solver_2m_and_2s_converge_at_second_order() {
    for sampler in [Sampler::DpmSolver2M, Sampler::DpmSolver2S] {
        let order = measured_order(sampler);
        assert!((1.6..2.5).contains(&order), "{sampler:?} order {order:.2}");
    }
}

#[test]
fn ddim_with_eta_zero_and_probability_flow_euler_agree_as_steps_grow() {
    let schedule = Schedule::VpLinear;
    let gap = |n| {
        let ddim = {
            let mixture = Dataset::GaussianMixture.mixture();
            let times = TimeGrid::Uniform.times(schedule, 1.0, 0.0, n);
            let plan = sampler::plan(
                schedule,
                schedule,
                &SamplerSettings { eta: 0.0, ..settings(Sampler::Ddim) },
                &times,
            );
            let mut x = sampler::prior(schedule, 1.0, 5, 64);
            let mut h = vec![[0.0; 2]; 64];
            sampler::run(ScoreSource::Exact(&mixture), &plan, &mut x, &mut h, 5, 0);
            x
        };
        mean_distance(&ddim, &ode_paths(schedule, Sampler::ProbabilityFlowEuler, n, TimeGrid::Uniform))
    };
    let (coarse, fine) = (gap(50), gap(800));
    assert!(
        fine < 0.25 * coarse && fine < 0.05,
        "DDIM(0) vs Euler: {coarse:.4} at 50 steps, {fine:.4} at 800"
    );
}

#[test]
fn ddim_with_eta_one_is_ddpm_ancestral_coefficient_by_coefficient() {
    for schedule in Schedule::ALL {
        let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 25);
        let ddim = sampler::plan(
            schedule,
            schedule,
            &SamplerSettings { eta: 1.0, ..settings(Sampler::Ddim) },
            &times,
        );
        let ddpm = sampler::plan(schedule, schedule, &settings(Sampler::DdpmAncestral), &times);
        for (a, b) in ddim.iter().zip(&ddpm) {
            for (u, v) in [(a.out_x, b.out_x), (a.out_e1, b.out_e1), (a.out_noise, b.out_noise)] {
                assert!(
                    (u - v).abs() <= 1e-4 * (1.0 + v.abs()),
                    "{schedule:?} step {}: {a:?} vs {b:?}",
                    a.index
                );
            }
        }
    }
}

#[test]
fn an_ode_run_from_data_to_noise_and_back_returns_the_starting_points() {
    let schedule = Schedule::VpLinear;
    let mixture = Dataset::GaussianMixture.mixture();
    let start = Dataset::GaussianMixture.sample(3, 64);
    // Integrate the same ODE upwards (times increasing: Heun's formulas hold for h > 0), then down.
    let down = TimeGrid::Uniform.times(schedule, 0.8, 1e-3, 400);
    let up: Vec<f64> = down.iter().rev().copied().collect();
    let heun = settings(Sampler::Heun);
    let mut x = start.clone();
    let mut h = vec![[0.0; 2]; x.len()];
    sampler::run(
        ScoreSource::Exact(&mixture),
        &sampler::plan(schedule, schedule, &heun, &up),
        &mut x,
        &mut h,
        0,
        0,
    );
    assert!(mean_distance(&x, &start) > 0.3, "the forward ODE moved the points");
    sampler::run(
        ScoreSource::Exact(&mixture),
        &sampler::plan(schedule, schedule, &heun, &down),
        &mut x,
        &mut h,
        0,
        0,
    );
    let error = mean_distance(&x, &start);
    assert!(error < 1e-3, "mean round-trip error {error}");
}

#[test]
fn the_euler_maruyama_coefficients_are_those_of_the_reverse_sde() {
    let schedule = Schedule::VpLinear;
    let times = TimeGrid::Uniform.times(schedule, 1.0, 0.0, 10);
    let plan = sampler::plan(schedule, schedule, &settings(Sampler::EulerMaruyama), &times);
    assert_eq!(plan.len(), 10);
    let (t, dt) = (0.5f64, 0.1f64);
    let step = plan[5];
    assert!((step.eval1.sigma as f64 - schedule.sigma(t)).abs() < 1e-6);
    assert!((step.out_x as f64 - (1.0 - schedule.drift(t) * dt)).abs() < 1e-6);
    let g2 = schedule.diffusion_squared(t);
    assert!((step.out_e1 as f64 + g2 * dt / schedule.sigma(t)).abs() < 1e-5);
    assert!((step.out_noise as f64 - (g2 * dt).sqrt()).abs() < 1e-6);
    let ode = sampler::plan(schedule, schedule, &settings(Sampler::ProbabilityFlowEuler), &times)[5];
    assert_eq!(ode.out_noise, 0.0);
    assert!((ode.out_e1 - 0.5 * step.out_e1).abs() < 1e-6, "the ODE halves the score term");
}

#[test]
fn every_schedule_sampler_and_grid_combination_has_finite_coefficients_at_the_endpoints() {
    for schedule in Schedule::ALL {
        for sampler in Sampler::ALL {
            for grid in TimeGrid::ALL {
                for steps in [1, 2, 10, 1000] {
                    let times = grid.times(schedule, schedule.t_max(), schedule.t_min(), steps);
                    let s = SamplerSettings { churn: 10.0, ..settings(sampler) };
                    for step in sampler::plan(schedule, Schedule::VpLinear, &s, &times) {
                        let v = [
                            step.eval1.t_net,
                            step.eval1.input_scale,
                            step.eval1.alpha,
                            step.eval1.sigma,
                            step.eval2.t_net,
                            step.eval2.input_scale,
                            step.eval2.alpha,
                            step.eval2.sigma,
                            step.pre_noise,
                            step.stage2_x,
                            step.stage2_e1,
                            step.out_x,
                            step.out_e1,
                            step.out_e2,
                            step.out_hist,
                            step.out_noise,
                            step.hist_x,
                            step.hist_e1,
                        ];
                        assert!(
                            v.iter().all(|c| c.is_finite()),
                            "{schedule:?} {sampler:?} {grid:?} {steps}: {step:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn a_run_gives_each_particle_the_same_path_whatever_the_batching() {
    let mlp = Mlp::initialise(2);
    let times = TimeGrid::Uniform.times(Schedule::VpLinear, 1.0, 0.0, 5);
    for sampler_kind in [Sampler::EulerMaruyama, Sampler::Heun, Sampler::DpmSolver2M] {
        let plan = sampler::plan(Schedule::VpLinear, Schedule::VpLinear, &settings(sampler_kind), &times);
        // 21 particles: two full batches of 8 and a scalar tail of 5.
        let start = sampler::prior(Schedule::VpLinear, 1.0, 8, 21);
        let mut together = start.clone();
        let mut history = vec![[0.0; 2]; 21];
        sampler::run(ScoreSource::Mlp(&mlp), &plan, &mut together, &mut history, 8, 0);
        for (i, x0) in start.iter().enumerate() {
            let (mut alone, mut h) = ([*x0], [[0.0; 2]]);
            sampler::run(ScoreSource::Mlp(&mlp), &plan, &mut alone, &mut h, 8, i as u32);
            assert_eq!(
                alone[0].map(f32::to_bits),
                together[i].map(f32::to_bits),
                "{sampler_kind:?} particle {i}"
            );
        }
    }
}

#[test]
fn a_run_from_noise_that_is_not_stepped_stays_noise() {
    let prior = sampler::prior(Schedule::VpLinear, 1.0, 3, N);
    let data = Dataset::TwoMoons.sample(4, N);
    let reference = sliced_wasserstein(&Dataset::TwoMoons.sample(5, N), &data);
    assert!(sliced_wasserstein(&prior, &data) > 3.0 * reference, "the bound above is not met trivially");
}
