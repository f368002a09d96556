//! Noise schedules: closed forms, derivatives, the SDE coefficients they imply (Song et al.
//! 2021, eq. 5), a simulation of that SDE reproducing the marginal N(alpha_t x0, sigma_t^2),
//! the inverse of the log-SNR, equivalent inputs across schedules, and the validity check.

use diffusion_playground::core::rng;
use diffusion_playground::core::schedule::{
    self, Schedule, DDPM_BETA_MAX, DDPM_BETA_MIN, EDM_SIGMA_MAX, EDM_SIGMA_MIN, VE_SIGMA_MAX, VE_SIGMA_MIN,
    VP_COSINE_OFFSET, VP_COSINE_T_MAX,
};

/// Step of the central finite differences: truncation h^2 |f'''| / 6 ~ 1e-8,
/// rounding eps / h ~ 1e-11.
const H: f64 = 1e-5;

/// t in [t_min + 0.02, t_max - 0.02], 49 points.
fn time_grid(schedule: Schedule) -> impl Iterator<Item = f64> {
    let (lo, hi) = (schedule.t_min() + 0.02, schedule.t_max() - 0.02);
    (0..49).map(move |i| lo + (hi - lo) * i as f64 / 48.0)
}

/// `n + 1` times covering [t_min, t_max], both included.
fn whole_range(schedule: Schedule, n: usize) -> impl Iterator<Item = f64> {
    let (lo, hi) = (schedule.t_min(), schedule.t_max());
    (0..=n).map(move |i| if i == n { hi } else { lo + (hi - lo) * i as f64 / n as f64 })
}

fn central_difference(f: impl Fn(f64) -> f64, t: f64) -> f64 {
    (f(t + H) - f(t - H)) / (2.0 * H)
}

fn assert_close(actual: f64, expected: f64, relative: f64, what: &str) {
    assert!((actual - expected).abs() <= relative * (1.0 + expected.abs()), "{what}: {actual} vs {expected}");
}

/// (alpha_t, sigma_t) written out from the definitions, independently of the crate.
fn closed_form(schedule: Schedule, t: f64) -> (f64, f64) {
    use std::f64::consts::FRAC_PI_2;
    match schedule {
        Schedule::VpLinear => {
            let integrated_beta = DDPM_BETA_MIN * t + 0.5 * (DDPM_BETA_MAX - DDPM_BETA_MIN) * t * t;
            let alpha = (-0.5 * integrated_beta).exp();
            (alpha, (1.0 - alpha * alpha).sqrt())
        }
        Schedule::VpCosine => {
            // Nichol & Dhariwal 2021, eq. 17: alpha_bar = f(t)/f(0), f(t) = cos^2((t + s)/(1 + s) pi/2).
            let f = |t: f64| ((t + VP_COSINE_OFFSET) / (1.0 + VP_COSINE_OFFSET) * FRAC_PI_2).cos().powi(2);
            let alpha_bar = f(t) / f(0.0);
            (alpha_bar.sqrt(), (1.0 - alpha_bar).sqrt())
        }
        Schedule::Ve => (1.0, VE_SIGMA_MIN * (VE_SIGMA_MAX / VE_SIGMA_MIN).powf(t)),
        Schedule::Edm => (1.0, t),
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
fn g_squared_is_two_sigma_sigma_prime_minus_two_f_sigma_squared() {
    // g^2 = 2 (sigma sigma' - (alpha'/alpha) sigma^2) (docs/theory.md), from the crate's own derivatives.
    for schedule in Schedule::ALL {
        for t in time_grid(schedule) {
            let sigma = schedule.sigma(t);
            let expected = 2.0 * sigma * schedule.d_sigma(t) - 2.0 * schedule.drift(t) * sigma * sigma;
            assert_close(
                schedule.diffusion_squared(t),
                expected,
                1e-12,
                &format!("{} g^2({t})", schedule.name()),
            );
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
fn every_coefficient_is_finite_over_the_whole_reverse_run_range_ends_included() {
    // No 0 * inf or 0 / 0 at t_min (where sigma may be 0) or t_max; the log-SNR is +inf only where
    // sigma = 0, and sigma' is infinite only there (the VP schedules at t = 0).
    for schedule in Schedule::ALL {
        for t in whole_range(schedule, 1000) {
            let name = schedule.name();
            let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
            for (what, v) in [("alpha", alpha), ("sigma", sigma), ("d_alpha", schedule.d_alpha(t))] {
                assert!(v.is_finite(), "{name} {what}({t}) = {v}");
            }
            for (what, v) in [("f", schedule.drift(t)), ("g^2", schedule.diffusion_squared(t))] {
                assert!(v.is_finite() && !(what == "g^2" && v < 0.0), "{name} {what}({t}) = {v}");
            }
            let (d_sigma, log_snr) = (schedule.d_sigma(t), schedule.log_snr(t));
            assert!(
                !d_sigma.is_nan() && (d_sigma.is_finite() || sigma == 0.0),
                "{name} d_sigma({t}) = {d_sigma}"
            );
            assert!(log_snr.is_finite() || (sigma == 0.0 && log_snr == f64::INFINITY), "{name} log-SNR({t})");
        }
    }
}

#[test]
fn the_vp_schedules_preserve_variance_and_have_g_squared_minus_two_f() {
    for schedule in [Schedule::VpLinear, Schedule::VpCosine] {
        for t in time_grid(schedule).chain([0.0, schedule.t_max()]) {
            let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
            let what = format!("{} at {t}", schedule.name());
            assert_close(alpha * alpha + sigma * sigma, 1.0, 1e-14, &format!("alpha^2 + sigma^2, {what}"));
            assert_close(
                schedule.diffusion_squared(t),
                -2.0 * schedule.drift(t),
                1e-12,
                &format!("g^2 = -2f, {what}"),
            );
        }
    }
    let schedule = Schedule::VpLinear;
    for t in time_grid(schedule).chain([0.0, 1.0]) {
        let beta = DDPM_BETA_MIN + t * (DDPM_BETA_MAX - DDPM_BETA_MIN);
        assert_close(schedule.diffusion_squared(t), beta, 1e-12, &format!("g^2 = beta at {t}"));
        assert_close(schedule.drift(t), -0.5 * beta, 1e-12, &format!("f = -beta/2 at {t}"));
    }
}

#[test]
fn the_cosine_schedule_starts_clean_and_ends_where_vp_linear_ends() {
    let cosine = Schedule::VpCosine;
    assert_eq!((cosine.alpha(0.0), cosine.sigma(0.0)), (1.0, 0.0));
    // VP_COSINE_T_MAX: alpha reaches the VP-linear alpha(1) = exp(-(beta_min + beta_max)/4).
    let alpha_end = (-0.25 * (DDPM_BETA_MIN + DDPM_BETA_MAX)).exp();
    assert_close(cosine.alpha(VP_COSINE_T_MAX), alpha_end, 1e-13, "alpha(t_max)");
    assert_close(cosine.log_snr(VP_COSINE_T_MAX), Schedule::VpLinear.log_snr(1.0), 1e-9, "terminal log-SNR");
    assert!(cosine.alpha(1.0).abs() < 1e-15, "alpha(1) = 0 (up to rounding)");
    // iDDPM's discrete beta_t = 1 - alpha_bar_t / alpha_bar_(t-dt) is 1 - exp(-integral of g^2
    // over the step): -ln(1 - beta_t) / dt is g^2 at the midpoint, to O(dt^2).
    let dt = 1e-4;
    for t in time_grid(cosine) {
        let beta = 1.0 - (cosine.alpha(t) / cosine.alpha(t - dt)).powi(2);
        let g2 = cosine.diffusion_squared(t - 0.5 * dt);
        assert_close(-(1.0 - beta).ln() / dt, g2, 1e-5, &format!("beta_t at {t}"));
    }
}

#[test]
fn ve_keeps_the_signal_and_has_g_squared_the_derivative_of_sigma_squared() {
    let ve = Schedule::Ve;
    assert_eq!((ve.t_min(), ve.t_max()), (0.0, 1.0));
    assert_close(ve.sigma(0.0), VE_SIGMA_MIN, 1e-15, "sigma(0)");
    assert_close(ve.sigma(1.0), VE_SIGMA_MAX, 1e-13, "sigma(1)");
    for t in time_grid(ve).chain([0.0, 1.0]) {
        assert_eq!((ve.alpha(t), ve.d_alpha(t), ve.drift(t)), (1.0, 0.0, 0.0));
        let d_sigma2 = central_difference(|s| ve.sigma(s).powi(2), t);
        assert_close(ve.diffusion_squared(t), d_sigma2, 1e-6, &format!("g^2 = d sigma^2/dt at {t}"));
    }
}

#[test]
fn edm_time_is_sigma_on_its_own_range() {
    let edm = Schedule::Edm;
    assert_eq!((edm.t_min(), edm.t_max()), (EDM_SIGMA_MIN, EDM_SIGMA_MAX));
    assert_eq!(edm.domain(), (0.002, 80.0));
    for t in whole_range(edm, 100) {
        assert_eq!((edm.alpha(t), edm.sigma(t), edm.d_alpha(t), edm.d_sigma(t)), (1.0, t, 0.0, 1.0));
        assert_eq!((edm.drift(t), edm.diffusion_squared(t)), (0.0, 2.0 * t));
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
fn reverse_runs_lie_inside_the_domain_and_end_at_t_min() {
    for schedule in Schedule::ALL {
        let (lo, hi) = schedule.domain();
        assert_eq!(lo, schedule.t_min(), "{}", schedule.name());
        assert!(schedule.t_min() < schedule.t_max() && schedule.t_max() <= hi, "{}", schedule.name());
        assert_eq!(schedule.t_min() == 0.0, schedule != Schedule::Edm);
    }
}

#[test]
fn the_time_slider_fraction_spans_the_domain_and_inverts() {
    for schedule in Schedule::ALL {
        let (lo, hi) = schedule.domain();
        assert_eq!((schedule.time_at_fraction(0.0), schedule.time_at_fraction(1.0)), (lo, hi));
        let mut previous = f64::NEG_INFINITY;
        for i in 0..=100 {
            let u = i as f64 / 100.0;
            let t = schedule.time_at_fraction(u);
            assert!(t > previous, "{}: increasing", schedule.name());
            assert_close(schedule.fraction_of_time(t), u, 1e-12, schedule.name());
            previous = t;
        }
    }
    // EDM spaces its slider like its steps: the middle is sigma ~ 2.5, not 40.
    let middle = Schedule::Edm.time_at_fraction(0.5);
    assert!((2.0..3.0).contains(&middle), "EDM middle sigma {middle}");
}

#[test]
fn names_and_ids_round_trip() {
    for schedule in Schedule::ALL {
        assert_eq!(Schedule::from_name(schedule.name()), Some(schedule));
        assert_eq!(Schedule::from_id(schedule.id()), Some(schedule));
        assert!(!schedule.label().is_empty());
    }
    // Weight files already store these two.
    assert_eq!((Schedule::VpLinear.id(), Schedule::RectifiedFlow.id()), (0, 1));
    let mut ids: Vec<u32> = Schedule::ALL.iter().map(|s| s.id()).collect();
    ids.sort();
    assert_eq!(ids, [0, 1, 2, 3, 4]);
    let names: Vec<&str> = Schedule::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(names, ["vp_linear", "vp_cosine", "ve", "edm", "rectified_flow"]);
    assert_eq!(Schedule::from_name("cosine"), None);
    assert_eq!(Schedule::from_id(5), None);
}

#[test]
fn t_for_log_snr_inverts_the_log_snr_over_the_whole_run_range() {
    for schedule in Schedule::ALL {
        let span = schedule.t_max() - schedule.t_min();
        for t in whole_range(schedule, 500).chain([schedule.t_min() + 1e-6 * span]) {
            let back = schedule.t_for_log_snr(schedule.log_snr(t));
            let back = back.unwrap_or_else(|| panic!("{}: no time for the log-SNR at {t}", schedule.name()));
            assert!((back - t).abs() <= 1e-9 * (span + t), "{}: {back} vs {t}", schedule.name());
        }
    }
}

#[test]
fn t_for_log_snr_has_no_time_outside_the_domain() {
    let cases = [
        (Schedule::VpLinear, Schedule::VpLinear.log_snr(1.0) - 1.0),
        (Schedule::Ve, -2.0 * VE_SIGMA_MAX.ln() - 0.1),
        (Schedule::Ve, -2.0 * VE_SIGMA_MIN.ln() + 0.1),
        (Schedule::Edm, -2.0 * EDM_SIGMA_MAX.ln() - 0.1),
        (Schedule::Edm, -2.0 * EDM_SIGMA_MIN.ln() + 0.1),
    ];
    for (schedule, log_snr) in cases {
        assert_eq!(schedule.t_for_log_snr(log_snr), None, "{} at log-SNR {log_snr}", schedule.name());
    }
    for schedule in Schedule::ALL {
        assert_eq!(schedule.t_for_log_snr(f64::NAN), None);
    }
    // Where sigma or alpha reach 0, the infinite log-SNRs have times too.
    assert_eq!(Schedule::VpLinear.t_for_log_snr(f64::INFINITY), Some(0.0));
    assert_eq!(Schedule::RectifiedFlow.t_for_log_snr(f64::NEG_INFINITY), Some(1.0));
    assert_eq!(Schedule::VpCosine.t_for_log_snr(f64::NEG_INFINITY), Some(1.0));
}

#[test]
fn the_equivalent_input_has_the_same_noise_to_signal_ratio() {
    // For a network of schedule A serving schedule B at t: x_A = scale x_B must be distributed as
    // alpha_A(t_A) x0 + sigma_A(t_A) eps, i.e. scale alpha_B = alpha_A and scale sigma_B = sigma_A.
    for from in Schedule::ALL {
        for to in Schedule::ALL {
            for t in time_grid(to) {
                let Some((t_from, scale)) = schedule::equivalent_input(from, to, t) else { continue };
                let what = format!("{} for {} at {t}", from.name(), to.name());
                assert_close(scale * to.alpha(t), from.alpha(t_from), 1e-9, &format!("alpha, {what}"));
                assert_close(scale * to.sigma(t), from.sigma(t_from), 1e-9, &format!("sigma, {what}"));
            }
        }
    }
}

#[test]
fn a_vp_linear_network_serves_every_schedule_over_its_whole_run() {
    // The embedded networks are trained on VP linear; the other schedules borrow them.
    for to in Schedule::ALL {
        for t in whole_range(to, 200) {
            let (t_net, scale) = schedule::equivalent_input(Schedule::VpLinear, to, t)
                .unwrap_or_else(|| panic!("{} at {t}: no VP-linear time", to.name()));
            assert!((0.0..=1.0).contains(&t_net) && scale.is_finite() && scale > 0.0, "{} at {t}", to.name());
        }
    }
    assert_eq!(schedule::equivalent_input(Schedule::Edm, Schedule::Edm, 3.0), Some((3.0, 1.0)));
    // sigma = 0 is out of reach of a network whose sigma stays positive.
    assert_eq!(schedule::equivalent_input(Schedule::Ve, Schedule::VpLinear, 0.0), None);
    // alpha = 0 leaves nothing to rescale.
    assert_eq!(schedule::equivalent_input(Schedule::VpLinear, Schedule::RectifiedFlow, 1.0), None);
}

#[test]
fn every_schedule_passes_its_check() {
    for schedule in Schedule::ALL {
        assert_eq!(schedule.check(), Ok(()), "{}", schedule.name());
    }
}

#[test]
fn the_check_names_the_schedule_and_the_first_bad_time() {
    // Past t = 1 rectified flow has alpha <= 0.
    let error = Schedule::RectifiedFlow.check_interval(0.5, 1.5).unwrap_err();
    assert!(
        error.contains("rectified_flow") && error.contains("alpha = 0") && error.ends_with("t = 1"),
        "{error}"
    );
    // Before t = -0.005, beta(t) < 0: the SNR would increase (g^2 < 0).
    let error = Schedule::VpLinear.check_interval(-0.5, 0.5).unwrap_err();
    assert!(
        error.contains("vp_linear") && error.contains("g^2 = -") && error.ends_with("t = -0.5"),
        "{error}"
    );
    assert!(Schedule::Edm.check_interval(1.0, 1.0).is_err(), "an empty interval is refused");
}

/// Moments of the forward SDE dx = f x dt + g dW simulated by Euler-Maruyama over `times`
/// (increasing, from the schedule's t_min where x ~ N(alpha x0, sigma^2)), by `paths` independent
/// paths, at the indices `checkpoints` of `times`.
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
    times: &[f64],
    checkpoints: &[usize],
    paths: usize,
) -> Simulated {
    let steps = *checkpoints.iter().max().unwrap_or(&0);
    let (alpha0, sigma0) = (schedule.alpha(times[0]), schedule.sigma(times[0]));
    let mut x = vec![alpha0 * x0; paths];
    for pair in 0..paths / 2 {
        let z = rng::normal2(2025, pair as u32, 0, rng::stream::FORWARD);
        x[2 * pair] += sigma0 * z[0] as f64;
        x[2 * pair + 1] += sigma0 * z[1] as f64;
    }
    let (mut euler_mean, mut euler_variance) = (alpha0 * x0, sigma0 * sigma0);
    let (mut sample, mut euler) = (Vec::new(), Vec::new());
    for n in 0..=steps {
        if checkpoints.contains(&n) {
            let mean = x.iter().sum::<f64>() / paths as f64;
            let variance = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (paths - 1) as f64;
            sample.push((mean, variance));
            euler.push((euler_mean, euler_variance));
        }
        if n == steps {
            break;
        }
        let (t, dt) = (times[n], times[n + 1] - times[n]);
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

/// The simulation grid of each schedule over its own domain, and the indices checked: t = 0.5 and
/// t_max - 0.02 with dt = 1e-3 on [0, 1] (2.5e-4 for the cosine schedule, whose drift -phi' tan(phi)
/// is ~ -40 near its t_max and would leave an Euler variance bias of 2% at 1e-3); for EDM a
/// geometric grid of 4000 steps over [0.002, 79.98] (relative steps of 0.27%), checked at the
/// steps nearest sigma = 1 and at 79.98.
fn simulation_grid(schedule: Schedule) -> (Vec<f64>, Vec<usize>) {
    match schedule {
        Schedule::Edm => {
            let (lo, hi, steps) = (schedule.t_min(), schedule.t_max() - 0.02, 4000);
            let times: Vec<f64> = (0..=steps).map(|i| lo * (hi / lo).powf(i as f64 / steps as f64)).collect();
            let near_one = times.iter().position(|&t| t >= 1.0).unwrap_or(0);
            (times, vec![near_one, steps])
        }
        _ => {
            let dt = if schedule == Schedule::VpCosine { 2.5e-4 } else { 1e-3 };
            let end = schedule.t_max() - 0.02;
            let steps = (end / dt).round() as usize;
            let times: Vec<f64> = (0..=steps).map(|i| i as f64 * dt).collect();
            (times, vec![(0.5 / dt).round() as usize, steps])
        }
    }
}

#[test]
fn the_forward_sde_has_marginal_mean_alpha_x0_and_variance_sigma_squared() {
    // 20k Euler-Maruyama paths from x0 = 1.5 (from N(alpha x0, sigma^2) at t_min where sigma > 0 there).
    // Tolerance: 5 standard errors (sigma / sqrt(n) for the mean, sigma^2 sqrt(2 / (n - 1)) for the
    // variance: x_t is Gaussian) plus the Euler chain's own discretisation bias |Euler moment -
    // closed form|, which is computed exactly by its moment recurrence and must itself be small
    // (within 2% of sigma_t for the mean and of sigma_t^2 for the variance; the stiff drift
    // -1/(1 - t) of rectified flow near t = 1 makes the variance bias 1% there).
    const X0: f64 = 1.5;
    const PATHS: usize = 20_000;
    for schedule in Schedule::ALL {
        let (times, checkpoints) = simulation_grid(schedule);
        let simulated = simulate_forward_sde(schedule, X0, &times, &checkpoints, PATHS);
        for (i, &n) in checkpoints.iter().enumerate() {
            let t = times[n];
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
