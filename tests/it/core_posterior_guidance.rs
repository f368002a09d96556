//! DPS and PiGDM (`core::posterior_guidance`): the Jacobians they need are the finite-difference
//! Jacobians of eps_hat, their likelihood gradient is the finite-difference gradient of the
//! approximate log-likelihood, PiGDM is exact where its Gaussian assumption is (a Gaussian
//! prior), a zero weight is the prior's run, and a stiff setting stays finite.

use diffusion_playground::core::dataset::{Dataset, GaussianMixture};
use diffusion_playground::core::embedded;
use diffusion_playground::core::guidance::Guidance;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::mlp::Mlp;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::posterior::{posterior, Observation};
use diffusion_playground::core::posterior_guidance::{
    likelihood_gradient, ObservationParams, PosteriorMethod,
};
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{self, EvaluationModel, NetFrame, Sampler, ScoreSource};
use diffusion_playground::core::schedule::Schedule;

/// Central differences of `f` at `x` with step `h`: [d f / d x_0, d f / d x_1].
fn central(f: impl Fn([f64; 2]) -> [f64; 2], x: [f64; 2], h: f64) -> [[f64; 2]; 2] {
    let column = |k: usize| {
        let (mut plus, mut minus) = (x, x);
        plus[k] += h;
        minus[k] -= h;
        let (a, b) = (f(plus), f(minus));
        [(a[0] - b[0]) / (2.0 * h), (a[1] - b[1]) / (2.0 * h)]
    };
    let (dx, dy) = (column(0), column(1));
    [[dx[0], dy[0]], [dx[1], dy[1]]]
}

#[test]
fn the_mixture_score_jacobian_is_the_finite_difference_jacobian_of_its_score() {
    for dataset in [Dataset::TwoMoons, Dataset::Pinwheel, Dataset::Checkerboard] {
        let mixture = dataset.mixture();
        for (alpha, sigma) in [(0.995, 0.1), (0.8, 0.6), (0.2, 0.98)] {
            for x in [[0.3, -0.2], [1.1, 0.7], [-1.4, 0.05]] {
                let (_, jacobian) =
                    mixture.score_jacobian_noised([x[0] as f32, x[1] as f32], alpha as f32, sigma as f32);
                let fd = central(|p| mixture.score_noised_f64(p, alpha, sigma), x, 1e-5);
                let scale = fd.iter().flatten().fold(1.0f64, |m, v| m.max(v.abs()));
                for i in 0..2 {
                    for j in 0..2 {
                        let error = (jacobian[i][j] as f64 - fd[i][j]).abs();
                        assert!(
                            error < 2e-3 * scale,
                            "{dataset:?} alpha {alpha} x {x:?}: J[{i}][{j}] {} vs {}",
                            jacobian[i][j],
                            fd[i][j]
                        );
                    }
                }
            }
        }
    }
}

/// eps_hat of `model` at an f64 point (f32 inside).
fn eps(model: &EvaluationModel, p: [f64; 2]) -> [f64; 2] {
    let e = model.eps_hat([p[0] as f32, p[1] as f32]);
    [e[0] as f64, e[1] as f64]
}

#[test]
fn the_eps_jacobian_by_forward_mode_is_the_finite_difference_jacobian_of_eps_hat() {
    let net = embedded::net_for(Dataset::TwoMoons, Schedule::VpLinear).unwrap();
    let mixture = Dataset::TwoMoons.mixture();
    // An eps network on its own schedule, an x0-predicting one used on another schedule
    // (input_scale != 1 and eps_from_input != 0), and the exact score.
    let x0_net = Mlp::initialise(3);
    let cases: [(ScoreSource, NetFrame, Schedule); 3] = [
        (ScoreSource::Mlp(&net.mlp), NetFrame::of(&net), Schedule::VpLinear),
        (
            ScoreSource::Mlp(&x0_net),
            NetFrame { schedule: Schedule::VpCosine, parametrization: Parametrization::X0 },
            Schedule::Edm,
        ),
        (ScoreSource::Exact(&mixture), NetFrame::eps(Schedule::VpLinear), Schedule::VpLinear),
    ];
    for (source, frame, schedule) in cases {
        for fraction in [0.1, 0.5, 0.9] {
            let t = schedule.t_min() + fraction * (schedule.t_max() - schedule.t_min());
            let model = EvaluationModel::new(source, sampler::evaluation(schedule, frame, t));
            for x in [[0.4f64, -0.3], [-1.0, 0.8]] {
                let (_, jacobian) = model.unguided_eps_and_jacobian([x[0] as f32, x[1] as f32]);
                let h = 1e-2 * (1.0 + x[0].abs().max(x[1].abs()));
                let fd = central(|p| eps(&model, p), x, h);
                let scale = fd.iter().flatten().fold(0.1f64, |m, v| m.max(v.abs()));
                for i in 0..2 {
                    for j in 0..2 {
                        let error = (jacobian[i][j] as f64 - fd[i][j]).abs();
                        assert!(
                            error < 2e-2 * scale,
                            "{schedule:?} t {t}: J[{i}][{j}] {} vs {}",
                            jacobian[i][j],
                            fd[i][j]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn the_likelihood_gradient_is_the_finite_difference_gradient_of_the_approximate_log_likelihood() {
    let mixture = Dataset::Pinwheel.mixture();
    let observations = [
        Observation::new(vec![[1.0, 0.0]], vec![0.7], 0.3).unwrap(),
        Observation::new(vec![[0.6, 0.8], [-0.8, 0.6]], vec![0.2, -0.9], 0.4).unwrap(),
    ];
    let schedule = Schedule::VpLinear;
    let frame = NetFrame::eps(schedule);
    for observation in &observations {
        for method in [PosteriorMethod::Dps, PosteriorMethod::Pigdm] {
            let params = ObservationParams::new(observation, method);
            for t in [0.2, 0.6] {
                let evaluation = sampler::evaluation(schedule, frame, t);
                let model = EvaluationModel::new(ScoreSource::Exact(&mixture), evaluation);
                let (alpha, sigma) = (evaluation.alpha as f64, evaluation.sigma as f64);
                // r_t^2 of PiGDM, 0 for DPS: M = r_t^2 A A^T + s^2 I, held constant in x.
                let r2 = if method == PosteriorMethod::Pigdm {
                    sigma * sigma / (alpha * alpha + sigma * sigma)
                } else {
                    0.0
                };
                let log_likelihood = |p: [f64; 2]| {
                    let e = eps(&model, p);
                    let x0 = [(p[0] - sigma * e[0]) / alpha, (p[1] - sigma * e[1]) / alpha];
                    let rows = &observation.rows;
                    let residual: Vec<f64> = rows
                        .iter()
                        .zip(&observation.y)
                        .map(|(a, y)| y - (a[0] * x0[0] + a[1] * x0[1]))
                        .collect();
                    let m = |i: usize, j: usize| {
                        let aa = rows[i][0] * rows[j][0] + rows[i][1] * rows[j][1];
                        r2 * aa + if i == j { observation.noise * observation.noise } else { 0.0 }
                    };
                    if rows.len() == 1 {
                        -0.5 * residual[0] * residual[0] / m(0, 0)
                    } else {
                        let det = m(0, 0) * m(1, 1) - m(0, 1) * m(0, 1);
                        let q = (m(1, 1) * residual[0] * residual[0]
                            - 2.0 * m(0, 1) * residual[0] * residual[1]
                            + m(0, 0) * residual[1] * residual[1])
                            / det;
                        -0.5 * q
                    }
                };
                for x in [[0.3, 0.4], [-0.6, -0.2]] {
                    let xf = [x[0] as f32, x[1] as f32];
                    let (e, jacobian) = model.unguided_eps_and_jacobian(xf);
                    let g = likelihood_gradient(&params, xf, e, jacobian, evaluation.alpha, evaluation.sigma);
                    let h = 1e-3;
                    let fd = [
                        (log_likelihood([x[0] + h, x[1]]) - log_likelihood([x[0] - h, x[1]])) / (2.0 * h),
                        (log_likelihood([x[0], x[1] + h]) - log_likelihood([x[0], x[1] - h])) / (2.0 * h),
                    ];
                    let scale = fd[0].abs().max(fd[1].abs()).max(1.0);
                    for k in 0..2 {
                        assert!(
                            (g[k] as f64 - fd[k]).abs() < 2e-2 * scale,
                            "{method:?} t {t} x {x:?}: gradient {g:?} vs {fd:?}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn pigdm_samples_the_exact_posterior_of_a_gaussian_prior() {
    // For x0 ~ N(0, I) the posterior p(x0 | x_t) is Gaussian with covariance r_t^2 I, so PiGDM's
    // likelihood is exact and its guided score is the exact posterior's.
    let prior = GaussianMixture::new(&[[0.0, 0.0]], &[1.0], &[1.0]).unwrap();
    let observation = Observation::new(vec![[1.0, 0.5]], vec![1.5], 0.3).unwrap();
    let exact = posterior(&prior, &observation);
    let params = ObservationParams::new(&observation, PosteriorMethod::Pigdm);
    let n = 2000;
    let setup = RunSetup::new(Schedule::VpLinear, Sampler::Heun, 60);
    let source = ScoreSource::Exact(&prior).posterior_guided(&params, Guidance::everywhere(1.0));
    let samples = quality::sample(source, &setup, 5, n);
    let reference = exact.sample(6, 0, n);
    let distance = sliced_wasserstein(&samples, &reference);
    let floor = sliced_wasserstein(&exact.sample(7, 0, n), &reference);
    assert!(distance < 2.0 * floor + 0.01, "SW2 {distance} against floor {floor}");
    // DPS is not exact there: it overweights the likelihood at high noise.
    let dps = ObservationParams::new(&observation, PosteriorMethod::Dps);
    let source = ScoreSource::Exact(&prior).posterior_guided(&dps, Guidance::everywhere(1.0));
    let dps_distance = sliced_wasserstein(&quality::sample(source, &setup, 5, n), &reference);
    assert!(dps_distance > distance, "DPS {dps_distance}, PiGDM {distance}");
}

#[test]
fn a_zero_weight_is_the_unconditioned_run_and_a_stiff_setting_stays_finite() {
    let mixture = Dataset::TwoMoons.mixture();
    let setup = RunSetup::new(Schedule::VpLinear, Sampler::EulerMaruyama, 30);
    let prior_run = quality::sample(ScoreSource::Exact(&mixture), &setup, 3, 256);
    let observation = Observation::new(vec![[1.0, 0.0]], vec![0.5], 0.2).unwrap();
    for method in [PosteriorMethod::Dps, PosteriorMethod::Pigdm] {
        let params = ObservationParams::new(&observation, method);
        let unweighted = ScoreSource::Exact(&mixture).posterior_guided(&params, Guidance::everywhere(0.0));
        assert_eq!(quality::sample(unweighted, &setup, 3, 256), prior_run, "{method:?} with w = 0");
    }
    // s = 0.01 with w = 20 in 8 steps: stiff far beyond what the steps resolve.
    let stiff = Observation::new(vec![[1.0, 0.0], [0.0, 1.0]], vec![900.0, -900.0], 0.01).unwrap();
    for method in [PosteriorMethod::Dps, PosteriorMethod::Pigdm] {
        let params = ObservationParams::new(&stiff, method);
        for sampler_kind in Sampler::ALL {
            let setup = RunSetup::new(Schedule::VpLinear, sampler_kind, 8);
            let source = ScoreSource::Exact(&mixture).posterior_guided(&params, Guidance::everywhere(20.0));
            let samples = quality::sample(source, &setup, 3, 64);
            assert!(samples.iter().flatten().all(|v| v.is_finite()), "{method:?} {sampler_kind:?}");
        }
    }
}
