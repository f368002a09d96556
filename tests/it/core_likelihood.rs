//! Log-likelihood through the probability-flow ODE and the variational bound (`core::likelihood`,
//! `core::elbo`): the divergence is exact (forward mode and closed form agree with finite
//! differences), the ODE likelihood of the exact score converges to the mixture's log-density at
//! the solver's order, and the bound lies below the exact log-likelihood, closer with more steps.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::elbo::Chain;
use diffusion_playground::core::embedded;
use diffusion_playground::core::likelihood::{
    self, LikelihoodSetup, Prior, LIKELIHOOD_SAMPLERS, LIKELIHOOD_SIGMA_MIN,
};
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, Unguided};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::space::Space;
use diffusion_playground::core::timesteps::TimeGrid;

/// Central finite differences of f at x with step h: the 2x2 Jacobian [output][input].
fn central_difference_jacobian(f: &impl Fn([f64; 2]) -> [f64; 2], x: [f64; 2], h: f64) -> [[f64; 2]; 2] {
    let mut jacobian = [[0.0; 2]; 2];
    for k in 0..2 {
        let (mut up, mut down) = (x, x);
        up[k] += h;
        down[k] -= h;
        let (fu, fd) = (f(up), f(down));
        for o in 0..2 {
            jacobian[o][k] = (fu[o] - fd[o]) / (2.0 * h);
        }
    }
    jacobian
}

/// The Jacobian by Richardson extrapolation of central differences at steps h and h/2,
/// (4 D(h/2) - D(h)) / 3: the h^2 truncation error cancels and O(h^4) remains, so h can stay
/// large enough that f32 rounding is negligible even where the network curves sharply (near t = 0).
fn finite_difference_jacobian(f: impl Fn([f64; 2]) -> [f64; 2], x: [f64; 2], h: f64) -> [[f64; 2]; 2] {
    let coarse = central_difference_jacobian(&f, x, h);
    let fine = central_difference_jacobian(&f, x, h / 2.0);
    let mut jacobian = [[0.0; 2]; 2];
    for o in 0..2 {
        for k in 0..2 {
            jacobian[o][k] = (4.0 * fine[o][k] - coarse[o][k]) / 3.0;
        }
    }
    jacobian
}

fn setup(schedule: Schedule, sampler: Sampler, steps: usize) -> LikelihoodSetup {
    let net = NetFrame::eps(schedule);
    LikelihoodSetup { schedule, net, sampler, grid: TimeGrid::Karras, steps, space: Space::Plane }
}

/// Mean |ln p_ODE - ln p_exact| over `points` for the exact score with the exact prior.
fn mean_error(dataset: Dataset, setup: &LikelihoodSetup, points: &[[f32; 2]]) -> f64 {
    let mixture = dataset.mixture();
    let got = setup.log_likelihood(Unguided::Exact(&mixture), Prior::Exact(&mixture), points).unwrap();
    let exact = setup.exact_log_density(&mixture, points);
    got.iter().zip(&exact).map(|(g, e)| (g.log_p - e).abs()).sum::<f64>() / points.len() as f64
}

#[test]
fn the_networks_jacobian_by_forward_mode_equals_finite_differences() {
    let net = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).unwrap();
    for t in [0.01f32, 0.3, 0.9] {
        let bias = net.mlp.hidden_bias(t);
        for x in [[0.3f32, -0.2], [1.5, 0.8], [-2.0, 2.5]] {
            let (out, jacobian) = net.mlp.forward_with_jacobian(x, &bias);
            assert_eq!(out, net.mlp.forward_with_bias(x, &bias), "the value is the plain forward pass");
            // f64 differences of the f32 network: h large enough that rounding stays below 1e-3.
            let f = |p: [f64; 2]| {
                let o = net.mlp.forward_with_bias([p[0] as f32, p[1] as f32], &bias);
                [o[0] as f64, o[1] as f64]
            };
            let numeric = finite_difference_jacobian(f, [x[0] as f64, x[1] as f64], 1e-2);
            for o in 0..2 {
                for k in 0..2 {
                    let (a, b) = (jacobian[o][k] as f64, numeric[o][k]);
                    assert!((a - b).abs() <= 2e-3 * (1.0 + b.abs()), "t {t} x {x:?} J[{o}][{k}]: {a} vs {b}");
                }
            }
        }
    }
}

#[test]
fn the_mixture_scores_divergence_equals_the_trace_of_its_finite_difference_jacobian() {
    for dataset in [Dataset::GaussianMixture, Dataset::Pinwheel, Dataset::Line] {
        let mixture = dataset.mixture();
        for (alpha, sigma) in [(1.0, 0.05), (0.8, 0.6), (0.1, 1.0)] {
            for x in [[0.1, 0.2], [1.9, 0.1], [-1.0, 1.4]] {
                let (score, divergence) = mixture.score_divergence_noised_f64(x, alpha, sigma);
                let plain = mixture.score_noised_f64(x, alpha, sigma);
                assert!((0..2).all(|k| (score[k] - plain[k]).abs() <= 1e-12 * (1.0 + plain[k].abs())));
                let numeric = finite_difference_jacobian(
                    |p| mixture.score_noised_f64(p, alpha, sigma),
                    x,
                    1e-5 * sigma,
                );
                let trace = numeric[0][0] + numeric[1][1];
                assert!(
                    (divergence - trace).abs() <= 1e-4 * (1.0 + trace.abs()),
                    "{} at {x:?}, sigma {sigma}: {divergence} vs {trace}",
                    dataset.name()
                );
                let (score32, divergence32) =
                    mixture.score_divergence_noised([x[0] as f32, x[1] as f32], alpha as f32, sigma as f32);
                assert!(
                    ((divergence32 as f64) - divergence).abs() <= 1e-3 * (1.0 + divergence.abs()),
                    "f32 twin: {divergence32} vs {divergence}"
                );
                assert!(((score32[0] as f64) - score[0]).abs() <= 1e-3 * (1.0 + score[0].abs()));
            }
        }
    }
}

#[test]
fn with_the_exact_score_heun_converges_to_the_exact_log_density_at_second_order() {
    for dataset in [Dataset::GaussianMixture, Dataset::TwoMoons] {
        let points = dataset.mixture().sample(5, 0, 64);
        for schedule in [Schedule::VpLinear, Schedule::Edm] {
            let errors: Vec<f64> = [16, 32, 64, 128]
                .iter()
                .map(|&n| mean_error(dataset, &setup(schedule, Sampler::Heun, n), &points))
                .collect();
            for pair in errors.windows(2) {
                let order = (pair[0] / pair[1]).log2();
                assert!(
                    (1.7..=2.6).contains(&order),
                    "{} {}: errors {errors:?}",
                    dataset.name(),
                    schedule.name()
                );
            }
            assert!(
                errors[3] < 0.01,
                "{} {}: below 0.01 nats at 128 Heun steps, got {errors:?}",
                dataset.name(),
                schedule.name()
            );
        }
    }
}

#[test]
fn every_solver_converges_at_its_order() {
    let dataset = Dataset::GaussianMixture;
    let points = dataset.mixture().sample(6, 0, 32);
    for (sampler, expected) in [
        (Sampler::ProbabilityFlowEuler, 1.0),
        (Sampler::Ddim, 1.0),
        (Sampler::Heun, 2.0),
        (Sampler::Dpm2, 2.0),
        (Sampler::DpmSolver2S, 2.0),
    ] {
        let coarse = mean_error(dataset, &setup(Schedule::RectifiedFlow, sampler, 64), &points);
        let fine = mean_error(dataset, &setup(Schedule::RectifiedFlow, sampler, 128), &points);
        let order = (coarse / fine).log2();
        assert!((order - expected).abs() < 0.4, "{}: order {order} ({coarse} -> {fine})", sampler.name());
    }
}

#[test]
fn only_deterministic_solvers_have_a_likelihood_and_the_refusal_names_the_sampler() {
    for sampler in Sampler::ALL {
        let result = setup(Schedule::VpLinear, sampler, 4).plan();
        if LIKELIHOOD_SAMPLERS.contains(&sampler) {
            assert!(result.is_ok(), "{}", sampler.name());
        } else {
            let message = result.unwrap_err();
            assert!(message.starts_with("sampler:") && message.contains(sampler.name()), "{message}");
            assert!(message.contains("heun"), "the message lists what works: {message}");
        }
    }
}

#[test]
fn the_run_starts_at_sigma_over_alpha_0_002_and_ends_where_reverse_runs_start() {
    for schedule in Schedule::ALL {
        let times = likelihood::times(schedule, TimeGrid::Karras, 10);
        assert_eq!(times.len(), 11);
        assert!(times.windows(2).all(|w| w[0] < w[1]), "{}: increasing {times:?}", schedule.name());
        assert_eq!(*times.last().unwrap(), schedule.t_max());
        let first = times[0];
        let noise = schedule.sigma(first) / schedule.alpha(first);
        assert!(
            noise >= LIKELIHOOD_SIGMA_MIN * (1.0 - 1e-6),
            "{}: no division by sigma = 0 ({noise})",
            schedule.name()
        );
    }
}

#[test]
fn points_far_from_the_data_and_single_steps_give_finite_log_densities() {
    let mixture = Dataset::Spiral.mixture();
    let net = embedded::net(Dataset::Spiral, Schedule::VpLinear).unwrap();
    let far = [[40.0f32, -35.0], [0.0, 60.0], [1e3, 1e3]];
    for schedule in Schedule::ALL {
        for sampler in LIKELIHOOD_SAMPLERS {
            for steps in [1, 7] {
                let s = LikelihoodSetup {
                    schedule,
                    net: NetFrame::of(&net),
                    sampler,
                    grid: TimeGrid::Uniform,
                    steps,
                    space: Space::Plane,
                };
                for (source, prior) in [
                    (Unguided::Exact(&mixture), Prior::Exact(&mixture)),
                    (Unguided::Mlp(&net.mlp), Prior::Gaussian),
                ] {
                    let source = match source {
                        Unguided::Exact(m) => {
                            // The exact score lives in the sampling schedule's own frame.
                            let s = LikelihoodSetup { net: NetFrame::eps(schedule), ..s };
                            let got = s.log_likelihood(Unguided::Exact(m), prior, &far).unwrap();
                            assert!(
                                got.iter().all(|p| p.log_p.is_finite()),
                                "{} {} {steps}: {got:?}",
                                schedule.name(),
                                sampler.name()
                            );
                            continue;
                        }
                        other => other,
                    };
                    let got = s.log_likelihood(source, prior, &far).unwrap();
                    assert!(
                        got.iter().all(|p| p.log_p.is_finite()),
                        "{} {} {steps}: {got:?}",
                        schedule.name(),
                        sampler.name()
                    );
                }
            }
        }
    }
    // Far means very unlikely, in log space: the exact log-density of the farthest point is about -1e6.
    let exact = setup(Schedule::Ve, Sampler::Heun, 64).exact_log_density(&mixture, &far);
    assert!(exact[2] < -1e5 && exact[2].is_finite(), "{exact:?}");
}

#[test]
fn bits_per_dimension_divide_the_negative_log_likelihood_by_the_dimensions_times_ln_2() {
    assert!((Space::Plane.bits_per_dimension(-2.0 * std::f64::consts::LN_2) - 1.0).abs() < 1e-12);
    assert!((Space::Line.bits_per_dimension(-std::f64::consts::LN_2) - 1.0).abs() < 1e-12);
    assert_eq!(Space::Plane.bits_per_dimension(0.0), 0.0);
    assert_eq!(Space::of(&Dataset::TwoNormals1d.mixture()), Space::Line);
    assert_eq!(Space::of(&Dataset::TwoMoons.mixture()), Space::Plane);
}

/// 1-D data measured on its line: the exact score's ODE of x alone, from the exact p_T of x,
/// lands on the exact density of x, the points stay on the axis, and that density is the
/// plane's without its degenerate factor in y (a Gaussian sigma wide at the data end).
#[test]
fn on_the_line_the_exact_score_by_the_ode_lands_on_the_exact_density_of_x() {
    let mixture = Dataset::TwoNormals1d.mixture();
    let points = mixture.sample(5, 0, 128);
    for schedule in [Schedule::VpLinear, Schedule::Edm] {
        let line = LikelihoodSetup { space: Space::Line, ..setup(schedule, Sampler::Heun, 128) };
        let got = line.log_likelihood(Unguided::Exact(&mixture), Prior::Exact(&mixture), &points).unwrap();
        let exact = line.exact_log_density(&mixture, &points);
        let error = got.iter().zip(&exact).map(|(p, e)| (p.log_p - e).abs()).sum::<f64>() / 128.0;
        assert!(error < 0.01, "{}: mean error {error} nats", schedule.name());
        assert!(got.iter().all(|p| p.end[1] == 0.0), "the points stay on the line");
        let t = line.data_time();
        let sigma = schedule.sigma(t);
        let plane = setup(schedule, Sampler::Heun, 128).exact_log_density(&mixture, &points);
        let flat_in_y = -0.5 * (std::f64::consts::TAU * sigma * sigma).ln();
        for (p, l) in plane.iter().zip(&exact) {
            assert!((p - (l + flat_in_y)).abs() < 1e-9, "plane {p}, line {l} + {flat_in_y}");
        }
    }
}

#[test]
fn the_bound_with_the_exact_score_lies_below_the_exact_log_likelihood_and_tightens_with_steps() {
    for dataset in [Dataset::GaussianMixture, Dataset::TwoMoons, Dataset::TwoNormals1d] {
        let mixture = dataset.mixture();
        // 1-D data's bound is of x on its line, as its likelihood is.
        let space = Space::of(&mixture);
        let data = mixture.sample(5, 0, 128);
        let exact: f64 = data
            .iter()
            .map(|p| space.log_density_noised(&mixture, [p[0] as f64, p[1] as f64], 1.0, 0.0))
            .sum::<f64>()
            / data.len() as f64;
        let mut gaps = Vec::new();
        for steps in [16, 64, 256] {
            let frame = NetFrame::eps(Schedule::VpLinear);
            let chain = Chain::new(Schedule::VpLinear, frame, TimeGrid::Karras, steps, space);
            let terms = chain.elbo(Unguided::Exact(&mixture), &data, 4, 9);
            assert!(
                terms.iter().all(|t| t.prior >= 0.0 && t.transitions.iter().all(|k| *k >= 0.0)),
                "KLs are non-negative"
            );
            assert_eq!(terms[0].transitions.len(), chain.latent_times.len() - 1);
            let bound = terms.iter().map(|t| t.total()).sum::<f64>() / data.len() as f64;
            assert!(bound < exact, "{} {steps} steps: ELBO {bound} vs ln p {exact}", dataset.name());
            gaps.push(exact - bound);
        }
        assert!(gaps.windows(2).all(|g| g[1] < g[0]), "{}: the gap shrinks, {gaps:?}", dataset.name());
    }
}

#[test]
fn the_bound_is_reproducible_from_its_seed() {
    let mixture = Dataset::Rings.mixture();
    let data = mixture.sample(1, 0, 8);
    let chain = Chain::new(Schedule::Edm, NetFrame::eps(Schedule::Edm), TimeGrid::Karras, 12, Space::Plane);
    assert_eq!(
        chain.elbo(Unguided::Exact(&mixture), &data, 2, 3),
        chain.elbo(Unguided::Exact(&mixture), &data, 2, 3)
    );
    assert_ne!(
        chain.elbo(Unguided::Exact(&mixture), &data, 2, 3),
        chain.elbo(Unguided::Exact(&mixture), &data, 2, 4)
    );
}

#[test]
fn a_likelihood_steps_evaluations_are_those_of_the_sampling_plan() {
    // The same evaluation (network time, input scale, affine map) as a reverse run at that time.
    let net = embedded::net(Dataset::TwoMoons, Schedule::RectifiedFlow).unwrap();
    let frame = NetFrame::of(&net);
    let s = LikelihoodSetup {
        schedule: Schedule::VpLinear,
        net: frame,
        sampler: Sampler::Heun,
        grid: TimeGrid::Karras,
        steps: 5,
        space: Space::Plane,
    };
    let times = s.times();
    for (step, pair) in s.plan().unwrap().iter().zip(times.windows(2)) {
        assert_eq!(step.eval1, sampler::evaluation(Schedule::VpLinear, frame, pair[0]));
        assert_eq!(step.eval2, sampler::evaluation(Schedule::VpLinear, frame, pair[1]));
        assert_eq!(step.evaluations(), 2);
    }
}
