//! Reverse samplers: every one turns noise into the data with the exact score, the deterministic
//! ones converge at their stated order, and the coefficients are what the papers say.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::mlp::{self, Mlp};
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
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
    let setup = RunSetup { schedule, net: NetFrame::eps(schedule), settings, grid, steps };
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
    ode_paths_with(schedule, settings(sampler), steps, grid)
}

/// [`ode_paths`] of a sampler with its knobs, eta set to 0.
fn ode_paths_with(
    schedule: Schedule,
    settings: SamplerSettings,
    steps: usize,
    grid: TimeGrid,
) -> Vec<[f32; 2]> {
    let mixture = Dataset::GaussianMixture.mixture();
    let times = grid.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    let settings = SamplerSettings { eta: 0.0, ..settings };
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &settings, &times);
    let mut x = sampler::prior(schedule, times[0], 5, 64);
    sampler::run_from_start(ScoreSource::Exact(&mixture), &plan, &mut x, 5, 0);
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
    measured_order_with(settings(sampler))
}

/// [`measured_order`] of a sampler with its knobs (eta set to 0: the deterministic form).
fn measured_order_with(settings: SamplerSettings) -> f64 {
    let (schedule, grid, n) = (Schedule::Edm, TimeGrid::Karras, 40);
    let reference = ode_paths(schedule, Sampler::Heun, 4000, grid);
    let coarse = mean_distance(&ode_paths_with(schedule, settings, n, grid), &reference);
    let fine = mean_distance(&ode_paths_with(schedule, settings, 2 * n, grid), &reference);
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
fn the_multistep_methods_converge_at_their_orders() {
    // (sampler, order knob, lowest measured order at 40 -> 80 steps). The multistep methods warm
    // up with lower orders over the first steps (k-diffusion and diffusers do the same), whose
    // errors decay at second order, so at these step counts their measured order sits between 2
    // and theirs (LMS: 2.2, 2.8, 3.4 from 20 to 160 steps); UniPC's corrector raises its
    // predictor's order by one (Zhao et al. 2023, sec. 3.3), order 3 measures 4.1.
    let expectations = [
        (Sampler::Lms, 3, 2.4),
        (Sampler::Ipndm, 3, 2.4),
        (Sampler::Deis, 2, 1.5),
        (Sampler::Deis, 3, 2.1),
        (Sampler::UniPc, 2, 2.2),
        (Sampler::UniPc, 3, 3.5),
        (Sampler::UniPcBh1, 3, 3.5),
        (Sampler::DpmSolver2MSdeHeun, 3, 1.7),
        (Sampler::DpmSolver3MSde, 3, 2.1),
    ];
    for (sampler, order, lowest) in expectations {
        let measured = measured_order_with(SamplerSettings { order, ..settings(sampler) });
        assert!(measured > lowest && measured < 5.5, "{sampler:?} order {order}: measured {measured:.2}");
    }
}

#[test]
fn dpm_2_converges_at_second_order() {
    let order = measured_order(Sampler::Dpm2);
    assert!((1.6..2.6).contains(&order), "DPM-2 order {order:.2}");
}

/// The plans of two samplers (with their settings) agree coefficient by coefficient on every
/// schedule.
fn assert_same_plans(a: SamplerSettings, b: SamplerSettings, what: &str) {
    for schedule in Schedule::ALL {
        let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 25);
        let net = NetFrame::eps(schedule);
        let (first, second) =
            (sampler::plan(schedule, net, &a, &times), sampler::plan(schedule, net, &b, &times));
        for (x, y) in first.iter().zip(&second) {
            let pairs = [
                (x.out_x, y.out_x),
                (x.out_e1, y.out_e1),
                (x.out_e2, y.out_e2),
                (x.out_noise, y.out_noise),
                (x.out_hist[0], y.out_hist[0]),
                (x.out_hist[1], y.out_hist[1]),
                (x.out_hist[2], y.out_hist[2]),
                (x.hist_x, y.hist_x),
                (x.hist_e1, y.hist_e1),
                (x.stage2_noise, y.stage2_noise),
                (x.out_stage2_noise, y.out_stage2_noise),
                (x.stage2_x, y.stage2_x),
                (x.stage2_e1, y.stage2_e1),
                (x.eval2.sigma, y.eval2.sigma),
            ];
            for (u, v) in pairs {
                assert!(
                    (u - v).abs() <= 1e-4 * (1.0 + v.abs()),
                    "{what}, {schedule:?} step {}: {x:?} vs {y:?}",
                    x.index
                );
            }
            assert_eq!(x.stage2, y.stage2, "{what}, {schedule:?} step {}", x.index);
        }
    }
}

#[test]
fn the_ancestral_samplers_reduce_to_the_methods_they_extend() {
    let without_noise = |sampler| SamplerSettings { eta: 0.0, ..settings(sampler) };
    // Euler ancestral at eta = 0 is DDIM's deterministic step, written in x / alpha.
    assert_same_plans(
        without_noise(Sampler::EulerAncestral),
        without_noise(Sampler::Ddim),
        "Euler ancestral vs DDIM",
    );
    // At eta = 1 it is DDPM ancestral: fresh noise of the posterior's variance.
    assert_same_plans(
        settings(Sampler::EulerAncestral),
        settings(Sampler::DdpmAncestral),
        "Euler ancestral vs DDPM",
    );
    // DPM-2 ancestral at eta = 0 is DPM-2.
    assert_same_plans(
        without_noise(Sampler::Dpm2Ancestral),
        settings(Sampler::Dpm2),
        "DPM-2 ancestral vs DPM-2",
    );
    // DPM-Solver++(2S) ancestral at eta = 0 is DPM-Solver++(2S): lambda = -log(sigma / alpha).
    assert_same_plans(
        without_noise(Sampler::DpmSolver2SAncestral),
        settings(Sampler::DpmSolver2S),
        "DPM-Solver++(2S) ancestral vs DPM-Solver++(2S)",
    );
}

#[test]
fn the_sde_solvers_without_noise_are_the_ode_solvers_they_extend() {
    let without_noise = |sampler| SamplerSettings { eta: 0.0, ..settings(sampler) };
    assert_same_plans(
        without_noise(Sampler::DpmSolver2MSde),
        settings(Sampler::DpmSolver2M),
        "DPM-Solver++(2M) SDE (midpoint) at eta = 0 vs DPM-Solver++(2M)",
    );
    assert_same_plans(
        without_noise(Sampler::DpmSolverSde),
        settings(Sampler::DpmSolver2S),
        "DPM-Solver++ SDE at eta = 0 vs DPM-Solver++(2S)",
    );
}

#[test]
fn s_noise_scales_the_fresh_noise_and_nothing_else() {
    for sampler_kind in Sampler::ALL.into_iter().filter(|s| s.uses_s_noise()) {
        let schedule = Schedule::VpCosine;
        let times = TimeGrid::Karras.times(schedule, schedule.t_max(), schedule.t_min(), 12);
        let net = NetFrame::eps(schedule);
        let plain = sampler::plan(schedule, net, &settings(sampler_kind), &times);
        let louder =
            sampler::plan(schedule, net, &SamplerSettings { s_noise: 1.5, ..settings(sampler_kind) }, &times);
        for (a, b) in plain.iter().zip(&louder) {
            let what = format!("{sampler_kind:?} step {}", a.index);
            for (u, v) in [
                (a.out_noise, b.out_noise),
                (a.stage2_noise, b.stage2_noise),
                (a.out_stage2_noise, b.out_stage2_noise),
            ] {
                assert!((1.5 * u - v).abs() <= 1e-5 * (1.0 + v.abs()), "{what}: {u} -> {v}");
            }
            let unchanged = |s: &sampler::ReverseStep| {
                [s.out_x, s.out_e1, s.out_e2, s.stage2_x, s.stage2_e1, s.out_hist[0], s.hist_x, s.hist_e1]
            };
            assert_eq!(unchanged(a), unchanged(b), "{what}");
        }
        assert!(plain.iter().any(|s| s.out_noise > 0.0), "{sampler_kind:?} draws noise");
    }
}

#[test]
fn every_ancestral_and_sde_step_keeps_a_point_mass_at_its_noise_level() {
    // Data at one point, 0: eps_hat = x / sigma exactly, x0_hat = 0. A step of the k-diffusion
    // ancestral and SDE family from x ~ N(0, sigma_t^2) then lands at N(0, sigma_s^2) exactly,
    // whatever eta and s_noise = 1: the deterministic part and the fresh noise (both Brownian
    // increments of a two-stage step) together have variance sigma_s^2.
    for schedule in Schedule::ALL {
        let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 10);
        for sampler_kind in Sampler::ALL.into_iter().filter(|s| s.uses_s_noise()) {
            for eta in [0.3, 1.0] {
                let settings = SamplerSettings { eta, ..settings(sampler_kind) };
                let plan = sampler::plan(schedule, NetFrame::eps(schedule), &settings, &times);
                for (step, pair) in plan.iter().zip(times.windows(2)) {
                    let sigma_t = schedule.sigma(pair[0]);
                    let f = |v: f32| v as f64;
                    // x' = a2 x + stage2_noise z1, e2 = x' / sigma_m.
                    let a2 = f(step.stage2_x) + f(step.stage2_e1) / sigma_t;
                    let sigma_m = f(step.eval2.sigma).max(1e-30);
                    let (e2_x, e2_z1) = if step.stage2 != 0 {
                        (a2 / sigma_m, f(step.stage2_noise) / sigma_m)
                    } else {
                        (0.0, 0.0)
                    };
                    let along_x = f(step.out_x) + f(step.out_e1) / sigma_t + f(step.out_e2) * e2_x;
                    let along_z1 = f(step.out_e2) * e2_z1 + f(step.out_stage2_noise);
                    let variance = (along_x * sigma_t).powi(2) + along_z1.powi(2) + f(step.out_noise).powi(2);
                    let wanted = schedule.sigma(pair[1]).powi(2);
                    assert!(
                        (variance - wanted).abs() <= 2e-4 * (1.0 + wanted),
                        "{sampler_kind:?} {schedule:?} eta {eta} step {}: {variance} vs {wanted}",
                        step.index
                    );
                }
            }
        }
    }
}

#[test]
fn deis_has_the_closed_form_coefficients_of_diffusers() {
    // diffusers' DEISMultistepScheduler (algorithm "deis"), with rho = sigma / alpha:
    // second order x_t = alpha_t (x / alpha_s0 + coef1 eps_0 + coef2 eps_1), third order likewise.
    fn ind_2(t: f64, b: f64, c: f64) -> f64 {
        t * (-c.ln() + t.ln() - 1.0) / (b.ln() - c.ln())
    }
    fn ind_3(t: f64, b: f64, c: f64, d: f64) -> f64 {
        let (lt, lc, ld) = (t.ln(), c.ln(), d.ln());
        t * (lc * (ld - lt + 1.0) - ld * lt + ld + lt * lt - 2.0 * lt + 2.0) / ((b.ln() - lc) * (b.ln() - ld))
    }
    let schedule = Schedule::VpLinear;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 20);
    let rho = |t: f64| schedule.sigma(t) / schedule.alpha(t);
    for order in [2, 3] {
        let plan = sampler::plan(
            schedule,
            NetFrame::eps(schedule),
            &SamplerSettings { order, ..settings(Sampler::Deis) },
            &times,
        );
        let i = 5;
        let (t, s0, s1, s2) = (rho(times[i + 1]), rho(times[i]), rho(times[i - 1]), rho(times[i - 2]));
        let alpha_t = schedule.alpha(times[i + 1]);
        let wanted: Vec<f64> = if order == 2 {
            vec![ind_2(t, s0, s1) - ind_2(s0, s0, s1), ind_2(t, s1, s0) - ind_2(s0, s1, s0)]
        } else {
            vec![
                ind_3(t, s0, s1, s2) - ind_3(s0, s0, s1, s2),
                ind_3(t, s1, s2, s0) - ind_3(s0, s1, s2, s0),
                ind_3(t, s2, s0, s1) - ind_3(s0, s2, s0, s1),
            ]
        };
        let step = &plan[i];
        let got = [step.out_e1, step.out_hist[0], step.out_hist[1]];
        for (k, w) in wanted.iter().enumerate() {
            let w = alpha_t * w;
            assert!(
                (got[k] as f64 - w).abs() <= 1e-5 * (1.0 + w.abs()),
                "order {order} coefficient {k}: {} vs {w}",
                got[k]
            );
        }
        assert_eq!(step.hist_e1, 1.0, "DEIS keeps eps");
    }
}

#[test]
fn an_ancestral_step_lands_at_the_next_noise_level() {
    // sigma~_down^2 + sigma~_up^2 = sigma~_s^2 (k-diffusion's get_ancestral_step): with an exact
    // eps the marginal noise after the step is that of s, whatever eta.
    for schedule in Schedule::ALL {
        let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 10);
        for eta in [0.3, 1.0] {
            let plan = sampler::plan(
                schedule,
                NetFrame::eps(schedule),
                &SamplerSettings { eta, ..settings(Sampler::EulerAncestral) },
                &times,
            );
            for (step, pair) in plan.iter().zip(times.windows(2)) {
                let (t, s) = (pair[0], pair[1]);
                let (alpha_t, alpha_s) = (schedule.alpha(t), schedule.alpha(s));
                let level_t = schedule.sigma(t) / alpha_t;
                // x_s = out_x x + out_e1 eps + out_noise z with x = alpha_t (x0 + level_t eps):
                // the eps part and the fresh noise together have sigma_s^2.
                let eps_part = step.out_x as f64 * alpha_t * level_t + step.out_e1 as f64;
                let variance = eps_part * eps_part + (step.out_noise as f64).powi(2);
                let wanted = schedule.sigma(s).powi(2);
                assert!(
                    (variance - wanted).abs() <= 1e-4 * (1.0 + wanted),
                    "{schedule:?} eta {eta} step {}: {variance} vs {wanted}",
                    step.index
                );
                assert!((step.out_x as f64 - alpha_s / alpha_t).abs() <= 1e-5 * (alpha_s / alpha_t));
            }
        }
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
                NetFrame::eps(schedule),
                &SamplerSettings { eta: 0.0, ..settings(Sampler::Ddim) },
                &times,
            );
            let mut x = sampler::prior(schedule, 1.0, 5, 64);
            sampler::run_from_start(ScoreSource::Exact(&mixture), &plan, &mut x, 5, 0);
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
            NetFrame::eps(schedule),
            &SamplerSettings { eta: 1.0, ..settings(Sampler::Ddim) },
            &times,
        );
        let ddpm =
            sampler::plan(schedule, NetFrame::eps(schedule), &settings(Sampler::DdpmAncestral), &times);
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
    let mut h = sampler::empty_history(x.len());
    sampler::run(
        ScoreSource::Exact(&mixture),
        &sampler::plan(schedule, NetFrame::eps(schedule), &heun, &up),
        &mut x,
        &mut h,
        0,
        0,
    );
    assert!(mean_distance(&x, &start) > 0.3, "the forward ODE moved the points");
    sampler::run(
        ScoreSource::Exact(&mixture),
        &sampler::plan(schedule, NetFrame::eps(schedule), &heun, &down),
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
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &settings(Sampler::EulerMaruyama), &times);
    assert_eq!(plan.len(), 10);
    let (t, dt) = (0.5f64, 0.1f64);
    let step = plan[5];
    assert!((step.eval1.sigma as f64 - schedule.sigma(t)).abs() < 1e-6);
    assert!((step.out_x as f64 - (1.0 - schedule.drift(t) * dt)).abs() < 1e-6);
    let g2 = schedule.diffusion_squared(t);
    assert!((step.out_e1 as f64 + g2 * dt / schedule.sigma(t)).abs() < 1e-5);
    assert!((step.out_noise as f64 - (g2 * dt).sqrt()).abs() < 1e-6);
    let ode =
        sampler::plan(schedule, NetFrame::eps(schedule), &settings(Sampler::ProbabilityFlowEuler), &times)[5];
    assert_eq!(ode.out_noise, 0.0);
    assert!((ode.out_e1 - 0.5 * step.out_e1).abs() < 1e-6, "the ODE halves the score term");
}

/// Every network frame the page can meet: the trained schedules in every parametrization.
fn net_frames() -> Vec<NetFrame> {
    let mut frames = Vec::new();
    for schedule in [Schedule::VpLinear, Schedule::RectifiedFlow] {
        for parametrization in Parametrization::NETWORK_OUTPUTS {
            frames.push(NetFrame { schedule, parametrization });
        }
    }
    frames
}

#[test]
fn every_schedule_sampler_grid_and_parametrization_has_finite_coefficients_at_the_endpoints() {
    for schedule in Schedule::ALL {
        for sampler in Sampler::ALL {
            for grid in TimeGrid::ALL {
                for net in net_frames() {
                    for steps in [1, 2, 10, 1000] {
                        let times = grid.times(schedule, schedule.t_max(), schedule.t_min(), steps);
                        let s = SamplerSettings { churn: 10.0, ..settings(sampler) };
                        for step in sampler::plan(schedule, net, &s, &times) {
                            let words: &[f32] = bytemuck::cast_slice(std::slice::from_ref(&step));
                            // `stage2` and `index` are integers stored in the same words; as floats
                            // they are tiny denormals, finite too.
                            assert!(
                                words.iter().all(|c| c.is_finite()),
                                "{schedule:?} {sampler:?} {grid:?} {net:?} {steps}: {step:?}"
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn every_schedule_sampler_and_parametrization_keeps_particles_finite_from_noise_to_data() {
    // An untrained network predicts something arbitrary but bounded; read as eps, x0, score or
    // velocity it must still give finite particles over the whole interval, endpoints included.
    let mlp = Mlp::initialise(3);
    for schedule in Schedule::ALL {
        for sampler in Sampler::ALL {
            for net in net_frames() {
                let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 12);
                let plan = sampler::plan(schedule, net, &settings(sampler), &times);
                let mut x = sampler::prior(schedule, times[0], 1, 16);
                sampler::run_from_start(ScoreSource::Mlp(&mlp), &plan, &mut x, 1, 0);
                assert!(x.iter().flatten().all(|v| v.is_finite()), "{schedule:?} {sampler:?} {net:?}: {x:?}");
            }
        }
    }
}

/// An MLP whose output is the constant `value` (last layer's weights zero, bias `value`).
fn constant_net(value: [f32; 2]) -> Mlp {
    let mut mlp = Mlp::initialise(4);
    let n = mlp.weights.len();
    let last_layer = n - (mlp::HIDDEN * mlp::OUTPUT_DIM + mlp::OUTPUT_DIM);
    mlp.weights[last_layer..n - 2].fill(0.0);
    mlp.weights[n - 2..].copy_from_slice(&value);
    mlp
}

#[test]
fn a_network_that_predicts_a_constant_x0_sends_every_particle_there_under_ddim() {
    // DDIM with eta = 0 is x_s = alpha_s x0_hat + sigma_s eps_hat (Song et al. 2021, eq. 12): with
    // x0_hat = c at every step the last step lands on alpha_min c + sigma_min eps_hat, within
    // sigma_min |eps_hat| of c; the x0 -> eps conversion (Tweedie) is what makes this exact.
    let target = [0.75, -1.25];
    let mlp = constant_net(target);
    for schedule in [Schedule::VpLinear, Schedule::RectifiedFlow] {
        let net = NetFrame { schedule, parametrization: Parametrization::X0 };
        let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 20);
        let plan =
            sampler::plan(schedule, net, &SamplerSettings { eta: 0.0, ..settings(Sampler::Ddim) }, &times);
        let mut x = sampler::prior(schedule, times[0], 2, 32);
        sampler::run_from_start(ScoreSource::Mlp(&mlp), &plan, &mut x, 2, 0);
        let tolerance = 0.05;
        for p in &x {
            assert!(
                (p[0] - target[0]).abs() < tolerance && (p[1] - target[1]).abs() < tolerance,
                "{schedule:?}: {p:?} is not at {target:?}"
            );
        }
    }
}

#[test]
fn a_constant_velocity_network_moves_every_particle_by_that_velocity_over_the_interval() {
    // Rectified flow's probability-flow ODE is dx/dt = v (the velocity is the PF drift; docs/theory.md);
    // with v = c, Euler integrates it exactly: x(t_min) = x(t_max) - (t_max - t_min) c.
    let velocity = [0.5, -2.0];
    let mlp = constant_net(velocity);
    let schedule = Schedule::RectifiedFlow;
    let net = NetFrame { schedule, parametrization: Parametrization::Velocity };
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 7);
    let plan = sampler::plan(schedule, net, &settings(Sampler::ProbabilityFlowEuler), &times);
    let start = sampler::prior(schedule, times[0], 3, 16);
    let mut x = start.clone();
    sampler::run_from_start(ScoreSource::Mlp(&mlp), &plan, &mut x, 3, 0);
    let span = (schedule.t_max() - schedule.t_min()) as f32;
    for (a, b) in start.iter().zip(&x) {
        for k in 0..2 {
            let expected = a[k] - span * velocity[k];
            assert!((b[k] - expected).abs() < 1e-4, "{a:?} -> {b:?}, expected {expected} in coordinate {k}");
        }
    }
}

#[test]
fn a_score_network_and_the_eps_network_it_equals_give_the_same_samples() {
    // score = -eps / sigma: a net predicting the constant score s at every t is the eps net
    // -sigma_t s. Feeding each through its own conversion must give the same steps.
    let schedule = Schedule::VpLinear;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 5);
    let plan = sampler::plan(
        schedule,
        NetFrame { schedule, parametrization: Parametrization::Score },
        &settings(Sampler::EulerMaruyama),
        &times,
    );
    for step in &plan {
        let (a, b) = (step.eval1.eps_from_output, step.eval1.eps_from_input);
        assert!((a + step.eval1.sigma).abs() < 1e-6 && b == 0.0, "{step:?}");
    }
}

#[test]
fn a_run_gives_each_particle_the_same_path_whatever_the_batching() {
    let mlp = Mlp::initialise(2);
    let times = TimeGrid::Uniform.times(Schedule::VpLinear, 1.0, 0.0, 5);
    for sampler_kind in Sampler::ALL {
        let plan = sampler::plan(
            Schedule::VpLinear,
            NetFrame::eps(Schedule::VpLinear),
            &settings(sampler_kind),
            &times,
        );
        // 21 particles: two full batches of 8 and a scalar tail of 5.
        let start = sampler::prior(Schedule::VpLinear, 1.0, 8, 21);
        let mut together = start.clone();
        sampler::run_from_start(ScoreSource::Mlp(&mlp), &plan, &mut together, 8, 0);
        for (i, x0) in start.iter().enumerate() {
            let (mut alone, mut h) = ([*x0], sampler::empty_history(1));
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

#[test]
fn every_step_from_sigma_80_down_is_within_float32_rounding_of_its_f64_map() {
    // The step form combines x and eps_hat in f32. Against the same step in f64 in DPM-Solver++'s
    // data-prediction form, x_s = (sigma_s/sigma_t) x + (1 - sigma_s/sigma_t) x0_hat with the f64
    // exact score, every step of a 10-step Karras run on EDM (DDIM = first-order DPM-Solver++)
    // stays within a few float32 roundings of the result's size: measured 2.2e-5 at sigma 80 -> 45
    // (|x_s| up to 90, 2 roundings) down to 1.2e-7 at the last step. No form does better than
    // rounding the result: the best float32 x0_hat in the data-prediction form gives 1.0e-5 there.
    let schedule = Schedule::Edm;
    let mixture = Dataset::GaussianMixture.mixture();
    let steps = 10;
    let times = TimeGrid::Karras.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    let ddim = SamplerSettings { eta: 0.0, ..settings(Sampler::Ddim) };
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &ddim, &times);
    let mut x = sampler::prior(schedule, times[0], 5, 1024);
    let mut history = sampler::empty_history(x.len());
    for (i, step) in plan.iter().enumerate() {
        let before = x.clone();
        sampler::run(ScoreSource::Exact(&mixture), std::slice::from_ref(step), &mut x, &mut history, 5, 0);
        let (sigma_t, sigma_s) = (schedule.sigma(times[i]), schedule.sigma(times[i + 1]));
        let ratio = sigma_s / sigma_t;
        let (mut worst, mut largest) = (0.0f64, 1.0f64);
        for (p, q) in before.iter().zip(&x) {
            let y = [p[0] as f64, p[1] as f64];
            let score = mixture.score_noised_f64(y, 1.0, sigma_t);
            let wanted: Vec<f64> = (0..2)
                .map(|d| ratio * y[d] + (1.0 - ratio) * (y[d] + sigma_t * sigma_t * score[d]))
                .collect();
            worst = worst.max((q[0] as f64 - wanted[0]).hypot(q[1] as f64 - wanted[1]));
            largest = largest.max(wanted[0].abs().max(wanted[1].abs()));
        }
        let bound = 8.0 * f32::EPSILON as f64 * largest;
        assert!(worst <= bound, "step {i} (sigma {sigma_t:.3} -> {sigma_s:.3}): {worst:.2e} > {bound:.2e}");
    }
}

#[test]
fn churn_acts_only_inside_s_tmin_to_s_tmax() {
    // EDM's Alg. 2: gamma > 0 only for steps starting at sigma in [S_tmin, S_tmax].
    let schedule = Schedule::Edm;
    let times = TimeGrid::Karras.times(schedule, schedule.t_max(), schedule.t_min(), 12);
    let (s_tmin, s_tmax) = (0.05, 10.0);
    let churned = SamplerSettings { churn: 40.0, s_tmin, s_tmax, ..settings(Sampler::Heun) };
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &churned, &times);
    for (step, &t) in plan.iter().zip(&times) {
        let inside = (s_tmin..=s_tmax).contains(&schedule.sigma(t));
        assert_eq!(step.pre_noise > 0.0, inside, "step {} at sigma {}", step.index, schedule.sigma(t));
    }
    assert!(plan.iter().any(|s| s.pre_noise > 0.0) && plan.iter().any(|s| s.pre_noise == 0.0));
}

#[test]
fn the_evaluations_per_step_are_those_of_the_plan() {
    for sampler_kind in Sampler::ALL {
        let two_stage = matches!(
            sampler_kind,
            Sampler::Heun
                | Sampler::DpmSolver2S
                | Sampler::Dpm2
                | Sampler::Dpm2Ancestral
                | Sampler::DpmSolver2SAncestral
                | Sampler::DpmSolverSde
        );
        assert_eq!(sampler_kind.evaluations_per_step(), 1 + usize::from(two_stage), "{sampler_kind:?}");
    }
}

#[test]
fn a_run_on_several_threads_is_bit_identical_to_one_thread() {
    let mlp = Mlp::initialise(4);
    let schedule = Schedule::VpCosine;
    let times = TimeGrid::Karras.times(schedule, schedule.t_max(), schedule.t_min(), 7);
    for sampler_kind in Sampler::ALL {
        let plan = sampler::plan(schedule, NetFrame::eps(schedule), &settings(sampler_kind), &times);
        // 203 particles: uneven slices, and a scalar tail in the last one.
        let start = sampler::prior(schedule, times[0], 9, 203);
        let mut one = start.clone();
        sampler::run_from_start(ScoreSource::Mlp(&mlp), &plan, &mut one, 9, 5);
        for threads in [2, 3, 64] {
            let mut many = start.clone();
            let mut history = sampler::empty_history(many.len());
            sampler::run_threaded(ScoreSource::Mlp(&mlp), &plan, &mut many, &mut history, 9, 5, threads);
            let bits = |p: &[[f32; 2]]| p.iter().map(|x| x.map(f32::to_bits)).collect::<Vec<_>>();
            assert_eq!(bits(&many), bits(&one), "{sampler_kind:?} on {threads} threads");
        }
    }
}
