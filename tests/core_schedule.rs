//! Noise schedules: closed forms, derivatives, the SDE coefficients they imply (theory seed 000,
//! "Forward process"), and a simulation of that SDE reproducing the marginal
//! N(alpha_t x0, sigma_t^2).

use diffusion_playground::core::rng;
use diffusion_playground::core::schedule::{Schedule, DDPM_BETA_MAX, DDPM_BETA_MIN};

/// Step of the central finite differences: truncation h^2 |f'''| / 6 ~ 1e-8,
/// rounding eps / h ~ 1e-11.
const H: f64 = 1e-5;

/// t in [0.02, t_max - 0.02], 49 points.
fn time_grid(schedule: Schedule) -> impl Iterator<Item = f64> {
    let (lo, hi) = (0.02, schedule.t_max() - 0.02);
    (0..49).map(move |i| lo + (hi - lo) * i as f64 / 48.0)
}

fn central_difference(f: impl Fn(f64) -> f64, t: f64) -> f64 {
    (f(t + H) - f(t - H)) / (2.0 * H)
}

fn assert_close(actual: f64, expected: f64, relative: f64, what: &str) {
    assert!((actual - expected).abs() <= relative * (1.0 + expected.abs()), "{what}: {actual} vs {expected}");
}

/// (alpha_t, sigma_t) written out from the definitions, independently of the crate.
fn closed_form(schedule: Schedule, t: f64) -> (f64, f64) {
    match schedule {
        Schedule::VpLinear => {
            let integrated_beta = DDPM_BETA_MIN * t + 0.5 * (DDPM_BETA_MAX - DDPM_BETA_MIN) * t * t;
            let alpha = (-0.5 * integrated_beta).exp();
            (alpha, (1.0 - alpha * alpha).sqrt())
        }
        Schedule::RectifiedFlow => (1.0 - t, t),
    }
}

#[test]
fn alpha_and_sigma_match_their_closed_forms() {
    for schedule in Schedule::ALL {
        for t in time_grid(schedule) {
            let (alpha, sigma) = closed_form(schedule, t);
            assert_close(schedule.alpha(t), alpha, 1e-12, &format!("{} alpha({t})", schedule.name()));
            assert_close(schedule.sigma(t), sigma, 1e-12, &format!("{} sigma({t})", schedule.name()));
        }
    }
}

#[test]
fn d_alpha_and_d_sigma_are_the_time_derivatives() {
    for schedule in Schedule::ALL {
        for t in time_grid(schedule) {
            let name = schedule.name();
            let d_alpha = central_difference(|s| schedule.alpha(s), t);
            let d_sigma = central_difference(|s| schedule.sigma(s), t);
            assert_close(schedule.d_alpha(t), d_alpha, 1e-6, &format!("{name} d_alpha({t})"));
            assert_close(schedule.d_sigma(t), d_sigma, 1e-6, &format!("{name} d_sigma({t})"));
        }
    }
}

#[test]
fn the_drift_is_the_time_derivative_of_log_alpha() {
    // f(t) = d/dt log alpha_t = -lambda_t.
    for schedule in Schedule::ALL {
        for t in time_grid(schedule) {
            let expected = central_difference(|s| schedule.alpha(s).ln(), t);
            assert_close(schedule.drift(t), expected, 1e-6, &format!("{} f({t})", schedule.name()));
        }
    }
}

#[test]
fn g_squared_is_sigma_squared_times_the_derivative_of_log_noise_to_signal() {
    // g^2 = sigma^2 d/dt log(sigma^2 / alpha^2), positive because the SNR decreases.
    for schedule in Schedule::ALL {
        for t in time_grid(schedule) {
            let sigma = schedule.sigma(t);
            let log_noise_to_signal = |s: f64| (schedule.sigma(s).powi(2) / schedule.alpha(s).powi(2)).ln();
            let expected = sigma * sigma * central_difference(log_noise_to_signal, t);
            let g2 = schedule.diffusion_squared(t);
            assert_close(g2, expected, 1e-6, &format!("{} g^2({t})", schedule.name()));
            assert!(g2 > 0.0, "{} g^2({t}) = {g2}", schedule.name());
        }
    }
}

#[test]
fn the_log_snr_is_log_alpha2_over_sigma2_and_strictly_decreasing() {
    for schedule in Schedule::ALL {
        let mut previous = f64::INFINITY;
        for t in time_grid(schedule) {
            let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
            let log_snr = schedule.log_snr(t);
            assert_close(log_snr, (alpha * alpha / (sigma * sigma)).ln(), 1e-12, schedule.name());
            assert!(log_snr < previous, "{}: log-SNR not decreasing at {t}", schedule.name());
            previous = log_snr;
        }
    }
}

#[test]
fn the_vp_schedule_preserves_variance_and_has_g_squared_beta() {
    let schedule = Schedule::VpLinear;
    for t in time_grid(schedule).chain([0.0, 1.0]) {
        let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
        assert_close(alpha * alpha + sigma * sigma, 1.0, 1e-14, &format!("alpha^2 + sigma^2 at {t}"));
        let beta = DDPM_BETA_MIN + t * (DDPM_BETA_MAX - DDPM_BETA_MIN);
        assert_close(schedule.diffusion_squared(t), beta, 1e-12, &format!("g^2 = beta at {t}"));
        assert_close(schedule.drift(t), -0.5 * beta, 1e-12, &format!("f = -beta/2 at {t}"));
    }
}

#[test]
fn rectified_flow_interpolates_linearly_and_starts_below_one() {
    let schedule = Schedule::RectifiedFlow;
    assert!(schedule.t_max() < 1.0, "alpha = 0 at t = 1 makes the drift infinite");
    assert_eq!((schedule.alpha(0.25), schedule.sigma(0.25)), (0.75, 0.25));
    assert_eq!((schedule.d_alpha(0.25), schedule.d_sigma(0.25)), (-1.0, 1.0));
}

#[test]
fn names_and_ids_round_trip() {
    for schedule in Schedule::ALL {
        assert_eq!(Schedule::from_name(schedule.name()), Some(schedule));
        assert_eq!(Schedule::from_id(schedule.id()), Some(schedule));
        assert!(!schedule.label().is_empty());
    }
    assert_eq!(Schedule::from_name("cosine"), None);
}

/// Moments of the forward SDE dx = f x dt + g dW simulated by Euler-Maruyama from x0, at each of
/// `checkpoints` (multiples of `dt`), by `paths` independent paths.
struct Simulated {
    /// (sample mean, sample variance) at each checkpoint.
    sample: Vec<(f64, f64)>,
    /// (mean, variance) of the Euler-Maruyama chain itself, from its exact moment recurrence
    /// m' = (1 + f dt) m, v' = (1 + f dt)^2 v + g^2 dt: what the sample estimates without noise.
    euler: Vec<(f64, f64)>,
}

fn simulate_forward_sde(
    schedule: Schedule,
    x0: f64,
    dt: f64,
    checkpoints: &[usize],
    paths: usize,
) -> Simulated {
    let steps = *checkpoints.iter().max().unwrap_or(&0);
    let mut x = vec![x0; paths];
    let (mut euler_mean, mut euler_variance) = (x0, 0.0);
    let (mut sample, mut euler) = (Vec::new(), Vec::new());
    for n in 0..=steps {
        if checkpoints.contains(&n) {
            let mean = x.iter().sum::<f64>() / paths as f64;
            let variance = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (paths - 1) as f64;
            sample.push((mean, variance));
            euler.push((euler_mean, euler_variance));
        }
        let t = n as f64 * dt;
        let (f, g2) = (schedule.drift(t), schedule.diffusion_squared(t));
        for pair in 0..paths / 2 {
            let z = rng::normal2(2024, pair as u32, n as u32, rng::stream::FORWARD);
            for (k, zk) in z.into_iter().enumerate() {
                let xi = &mut x[2 * pair + k];
                *xi += f * *xi * dt + (g2 * dt).sqrt() * zk as f64;
            }
        }
        euler_mean *= 1.0 + f * dt;
        euler_variance = (1.0 + f * dt).powi(2) * euler_variance + g2 * dt;
    }
    Simulated { sample, euler }
}

#[test]
fn the_forward_sde_has_marginal_mean_alpha_x0_and_variance_sigma_squared() {
    // 20k Euler-Maruyama paths with dt = 1e-3 from x0 = 1.5. Tolerance: 5 standard errors
    // (sigma / sqrt(n) for the mean, sigma^2 sqrt(2 / (n - 1)) for the variance: x_t is Gaussian)
    // plus the Euler chain's own discretisation bias |Euler moment - closed form|, which is
    // computed exactly by its moment recurrence and must itself be small (within 2% of sigma_t
    // for the mean and of sigma_t^2 for the variance; the stiff drift -1/(1 - t) of rectified
    // flow near t = 1 makes the variance bias 1% there).
    const X0: f64 = 1.5;
    const DT: f64 = 1e-3;
    const PATHS: usize = 20_000;
    for schedule in Schedule::ALL {
        let times = [0.5, schedule.t_max() - 0.02];
        let checkpoints: Vec<usize> = times.iter().map(|t| (t / DT).round() as usize).collect();
        let simulated = simulate_forward_sde(schedule, X0, DT, &checkpoints, PATHS);
        for (i, &n) in checkpoints.iter().enumerate() {
            let t = n as f64 * DT;
            let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
            let (mean, variance) = simulated.sample[i];
            let (euler_mean, euler_variance) = simulated.euler[i];
            let (mean_bias, variance_bias) =
                ((euler_mean - alpha * X0).abs(), (euler_variance - sigma * sigma).abs());
            assert!(
                mean_bias < 0.02 * sigma && variance_bias < 0.02 * sigma * sigma,
                "{} t={t}: dt too coarse (biases {mean_bias}, {variance_bias})",
                schedule.name()
            );
            let mean_tolerance = 5.0 * sigma / (PATHS as f64).sqrt() + mean_bias;
            let variance_tolerance = 5.0 * sigma * sigma * (2.0 / (PATHS - 1) as f64).sqrt() + variance_bias;
            assert!(
                (mean - alpha * X0).abs() < mean_tolerance,
                "{} t={t}: mean {mean} vs alpha x0 = {}",
                schedule.name(),
                alpha * X0
            );
            assert!(
                (variance - sigma * sigma).abs() < variance_tolerance,
                "{} t={t}: variance {variance} vs sigma^2 = {}",
                schedule.name(),
                sigma * sigma
            );
        }
    }
}
