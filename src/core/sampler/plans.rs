//! The coefficients of every sampler (see the module docs of [`super`] for the update they feed).
//!
//! Notation for a step from t to s < t of the sampling schedule: alpha_t, sigma_t, f = d log alpha/dt,
//! g^2 (docs/theory.md), the probability-flow drift dx/dt = a(t) x + b(t) eps_hat with a = f and
//! b = g^2 / (2 sigma) (Song et al. 2021, eq. 13 with grad log p = -eps_hat / sigma),
//! x0_hat = (x - sigma eps_hat)/alpha (Tweedie; Efron 2011) and lambda = log(alpha / sigma) (half
//! the log-SNR; Lu et al. 2022).

use super::multistep::{self, Multistep};
use super::{Evaluation, NetFrame, ReverseStep, Sampler};
use crate::core::param::{self, Coefficients, EdmPreconditioning, Parametrization};
use crate::core::schedule::{self, Schedule};

/// A sampler and its knobs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SamplerSettings {
    /// The integrator.
    pub sampler: Sampler,
    /// Stochasticity: eta of the reverse-SDE family
    /// dx = [f x - (1 + eta^2)/2 g^2 grad log p] dt + eta g dW (Euler-Maruyama; eta = 1 is the
    /// reverse SDE, 0 the probability-flow ODE), and eta of DDIM (0 deterministic, 1 = DDPM's
    /// posterior variance). Ignored by the others.
    pub eta: f64,
    /// EDM's S_churn (Karras et al. 2022, Alg. 2) for Heun; applies to schedules with alpha = 1
    /// (VE, EDM), where it raises sigma by the factor 1 + gamma before each step,
    /// gamma = min(S_churn / steps, sqrt(2) - 1).
    pub churn: f64,
    /// EDM's S_tmin and S_tmax (Karras et al. 2022, Alg. 2): churn applies only to steps that
    /// start at a noise level sigma / alpha within [s_tmin, s_tmax] ([`MAX_CHURN_NOISE`]: no
    /// upper end).
    pub s_tmin: f64,
    /// See [`SamplerSettings::s_tmin`].
    pub s_tmax: f64,
    /// k-diffusion's `s_noise`: the factor on the fresh noise of the ancestral and SDE solvers
    /// ([`Sampler::uses_s_noise`]; 1 is the method itself).
    pub s_noise: f64,
    /// The order of DEIS and UniPC ([`Sampler::uses_order`]; 2 or 3, lower in the first steps
    /// where the history is short).
    pub order: usize,
}

/// The S_tmax that means no upper end of the churn interval (above every schedule's sigma / alpha
/// at its t_max, which reaches 152 on VP linear).
pub const MAX_CHURN_NOISE: f64 = 1000.0;

/// The default solver order of DEIS and UniPC (diffusers recommends 3 for unconditional
/// sampling).
pub const DEFAULT_ORDER: usize = 3;

impl SamplerSettings {
    /// The sampler with its default knobs (eta = 1, no churn, s_noise = 1, order 3).
    pub fn new(sampler: Sampler) -> SamplerSettings {
        SamplerSettings {
            sampler,
            eta: 1.0,
            churn: 0.0,
            s_tmin: 0.0,
            s_tmax: MAX_CHURN_NOISE,
            s_noise: 1.0,
            order: DEFAULT_ORDER,
        }
    }
}

/// Evaluation of eps_hat at time t of `schedule`, with a network in the frame `net`: the
/// network's time and input scale (through the log-SNR when its schedule differs) and the affine
/// map from its output to eps.
pub fn evaluation(schedule: Schedule, net: NetFrame, t: f64) -> Evaluation {
    if net.parametrization == Parametrization::EdmDenoiser {
        // EDM's preconditioning depends on the noise level sigma_t / alpha_t alone: the network
        // sees c_in x / alpha at c_noise, whatever schedule it was trained with.
        let c = Coefficients::at(schedule, t);
        let p = EdmPreconditioning::of(&c);
        let input_scale = p.c_in / c.alpha as f64;
        let (a, b) = param::eps_affine(Parametrization::EdmDenoiser, &c);
        return Evaluation {
            t_net: p.c_noise as f32,
            input_scale: input_scale as f32,
            alpha: c.alpha,
            sigma: c.sigma,
            eps_from_output: a as f32,
            // eps_affine's b multiplies x; the kernels multiply x_net = input_scale x.
            eps_from_input: (b / input_scale) as f32,
        };
    }
    let (t_net, input_scale) = if schedule == net.schedule {
        (t, 1.0)
    } else {
        schedule::equivalent_input(net.schedule, schedule, t).unwrap_or((t, 1.0))
    };
    let (eps_from_output, eps_from_input) =
        param::eps_affine(net.parametrization, &Coefficients::at(net.schedule, t_net));
    Evaluation {
        t_net: t_net as f32,
        input_scale: input_scale as f32,
        alpha: schedule.alpha(t) as f32,
        sigma: schedule.sigma(t) as f32,
        eps_from_output: eps_from_output as f32,
        eps_from_input: eps_from_input as f32,
    }
}

/// Probability-flow drift coefficients (a, b) at t: dx/dt = a x + b eps_hat.
fn drift(schedule: Schedule, t: f64) -> (f64, f64) {
    (schedule.drift(t), schedule.diffusion_squared(t) / (2.0 * schedule.sigma(t)))
}

/// Half the log-SNR, lambda = log(alpha / sigma).
pub(super) fn lambda(schedule: Schedule, t: f64) -> f64 {
    0.5 * schedule.log_snr(t)
}

/// What a sampler's step reads: the sampling schedule, the network's frame, the step's times
/// t > s, the run's knobs, and the run around the step (its times and the step's index, for the
/// multistep methods' history and the per-run churn). Every sampler is one function of it
/// ([`StepCoefficients`]), named in its row of the samplers' table (`Sampler::row`).
pub(super) struct StepContext<'a> {
    /// The sampling schedule.
    pub schedule: Schedule,
    /// The frame of the network that predicts eps_hat.
    pub net: NetFrame,
    /// The step's start time.
    pub t: f64,
    /// The step's end time, s < t.
    pub s: f64,
    /// The sampler's knobs (eta, churn, s_noise, order).
    pub settings: &'a SamplerSettings,
    /// The run around the step.
    pub run: Multistep<'a>,
}

/// Writes the coefficients of one step into `step`, whose first evaluation (at t) is set: the one
/// signature of every sampler.
pub(super) type StepCoefficients = fn(&mut ReverseStep, &StepContext);

/// The coefficients of every step of a run over `times` (decreasing, `steps + 1` of them), for a
/// sampling `schedule` and a network in the frame `net` (`NetFrame::eps(schedule)` for
/// the exact score).
pub fn plan(
    schedule: Schedule,
    net: NetFrame,
    settings: &SamplerSettings,
    times: &[f64],
) -> Vec<ReverseStep> {
    let coefficients = settings.sampler.row().coefficients;
    times
        .windows(2)
        .enumerate()
        .map(|(index, pair)| {
            let (t, s) = (pair[0], pair[1]);
            let mut step = ReverseStep {
                eval1: evaluation(schedule, net, t),
                index: index as u32,
                ..Default::default()
            };
            let run = Multistep { schedule, times, index };
            coefficients(&mut step, &StepContext { schedule, net, t, s, settings, run });
            step
        })
        .collect()
}

/// Euler-Maruyama on dx = [f x - (1 + eta^2)/2 g^2 grad log p] dt + eta g dW, backwards by
/// dt = t - s: x_s = (1 - f dt) x - dt (1 + eta^2)/2 g^2/sigma eps_hat + eta g sqrt(dt) z
/// (Song et al. 2021: the reverse SDE, eq. 6, for eta = 1; the probability-flow ODE, eq. 13, for
/// eta = 0).
pub(super) fn euler_maruyama(step: &mut ReverseStep, cx: &StepContext) {
    euler(step, cx, cx.settings.eta);
}

/// Euler on the probability-flow ODE: [`euler_maruyama`] with eta = 0.
pub(super) fn probability_flow_euler(step: &mut ReverseStep, cx: &StepContext) {
    euler(step, cx, 0.0);
}

/// The Euler-Maruyama step with stochasticity `eta`.
fn euler(step: &mut ReverseStep, cx: &StepContext, eta: f64) {
    let (schedule, t, s) = (cx.schedule, cx.t, cx.s);
    let dt = t - s;
    let (f, g2, sigma) = (schedule.drift(t), schedule.diffusion_squared(t), schedule.sigma(t));
    step.out_x = (1.0 - f * dt) as f32;
    step.out_e1 = (-dt * 0.5 * (1.0 + eta * eta) * g2 / sigma) as f32;
    step.out_noise = (eta * (g2 * dt).sqrt()) as f32;
}

/// Heun's method on the probability-flow ODE (Karras et al. 2022, Alg. 2, with Alg. 1 as the
/// churn-free case): an Euler predictor x' = x^ + h (a x^ + b e1), then the trapezoid
/// x_s = x^ + h/2 (a1 x^ + b1 e1 + a2 x' + b2 e2), h = s - t^.
///
/// The step into the end of the schedule stays Euler, as EDM's last step does: Karras et al.'s
/// algorithms end with an Euler step to sigma = 0, where no second evaluation is possible; our
/// runs end at t_min (sigma = 0.002 for EDM) instead, and a second evaluation there would divide
/// the predictor's error by sigma_min (a one-step Heun run from sigma = 80 lands ~1,000 units
/// off). Where sigma(s) = 0 the second evaluation is impossible anyway.
pub(super) fn heun(step: &mut ReverseStep, cx: &StepContext) {
    let (schedule, net, t, s, settings, steps) =
        (cx.schedule, cx.net, cx.t, cx.s, cx.settings, cx.run.steps());
    let mut t_hat = t;
    let churn = settings.churn;
    let level = scaled_sigma(schedule, t);
    let in_interval = settings.s_tmin <= level && level <= settings.s_tmax;
    if churn > 0.0 && in_interval && schedule.is_variance_exploding() {
        let gamma = (churn / steps.max(1) as f64).min(std::f64::consts::SQRT_2 - 1.0);
        let raised = schedule.log_snr(t) - 2.0 * (1.0 + gamma).ln();
        if let Some(t_raised) = schedule.t_for_log_snr(raised).filter(|&x| x <= schedule.t_max()) {
            t_hat = t_raised;
            let (sigma, sigma_hat) = (schedule.sigma(t), schedule.sigma(t_hat));
            step.pre_noise = (sigma_hat * sigma_hat - sigma * sigma).max(0.0).sqrt() as f32;
            step.eval1 = evaluation(schedule, net, t_hat);
        }
    }
    let h = s - t_hat;
    let (a1, b1) = drift(schedule, t_hat);
    if schedule.sigma(s) <= 0.0 || s <= schedule.t_min() {
        step.out_x = (1.0 + h * a1) as f32;
        step.out_e1 = (h * b1) as f32;
        return;
    }
    let (a2, b2) = drift(schedule, s);
    step.stage2 = 1;
    step.eval2 = evaluation(schedule, net, s);
    step.stage2_x = (1.0 + h * a1) as f32;
    step.stage2_e1 = (h * b1) as f32;
    step.out_x = (1.0 + 0.5 * h * (a1 + a2 * (1.0 + h * a1))) as f32;
    step.out_e1 = (0.5 * h * (b1 + a2 * h * b1)) as f32;
    step.out_e2 = (0.5 * h * b2) as f32;
}

/// DDIM (Song, Meng and Ermon 2021, eq. 12) in (alpha, sigma) form:
/// x_s = alpha_s x0_hat + sqrt(sigma_s^2 - sigma_eta^2) eps_hat + sigma_eta z, with
/// sigma_eta^2 = eta^2 sigma_s^2 (1 - (alpha_t sigma_s)^2 / (alpha_s sigma_t)^2), the posterior
/// variance of DDPM (Ho et al. 2020, eq. 7) scaled by eta^2.
pub(super) fn ddim(step: &mut ReverseStep, cx: &StepContext) {
    let (schedule, t, s, eta) = (cx.schedule, cx.t, cx.s, cx.settings.eta);
    let (alpha_t, sigma_t, alpha_s, sigma_s) =
        (schedule.alpha(t), schedule.sigma(t), schedule.alpha(s), schedule.sigma(s));
    let ratio = (alpha_t * sigma_s) / (alpha_s * sigma_t);
    let sigma_eta2 = (eta * eta * sigma_s * sigma_s * (1.0 - ratio * ratio)).max(0.0);
    step.out_x = (alpha_s / alpha_t) as f32;
    step.out_e1 = ((sigma_s * sigma_s - sigma_eta2).max(0.0).sqrt() - alpha_s * sigma_t / alpha_t) as f32;
    step.out_noise = sigma_eta2.sqrt() as f32;
}

/// DDPM ancestral step: a draw from the posterior q(x_s | x_t, x0 = x0_hat) (Ho et al. 2020,
/// eqs. 6-7): with alpha_ts = alpha_t/alpha_s and sigma_ts^2 = sigma_t^2 - alpha_ts^2 sigma_s^2,
/// its mean is (alpha_ts sigma_s^2 / sigma_t^2) x_t + (alpha_s sigma_ts^2 / sigma_t^2) x0_hat and
/// its variance sigma_s^2 sigma_ts^2 / sigma_t^2.
pub(super) fn ddpm_ancestral(step: &mut ReverseStep, cx: &StepContext) {
    let (schedule, t, s) = (cx.schedule, cx.t, cx.s);
    let (alpha_t, sigma_t, alpha_s, sigma_s) =
        (schedule.alpha(t), schedule.sigma(t), schedule.alpha(s), schedule.sigma(s));
    let alpha_ts = alpha_t / alpha_s;
    let sigma_ts2 = (sigma_t * sigma_t - alpha_ts * alpha_ts * sigma_s * sigma_s).max(0.0);
    let (st2, x0_weight) = (sigma_t * sigma_t, alpha_s * sigma_ts2 / (sigma_t * sigma_t));
    step.out_x = (alpha_ts * sigma_s * sigma_s / st2 + x0_weight / alpha_t) as f32;
    step.out_e1 = (-x0_weight * sigma_t / alpha_t) as f32;
    step.out_noise = (sigma_s * sigma_s * sigma_ts2 / st2).sqrt() as f32;
}

/// The final step to sigma = 0 of the log-SNR solvers: x_s = alpha_s x0_hat.
pub(super) fn denoise_to_data(step: &mut ReverseStep, schedule: Schedule, t: f64, s: f64) {
    let (alpha_t, sigma_t, alpha_s) = (schedule.alpha(t), schedule.sigma(t), schedule.alpha(s));
    step.out_x = (alpha_s / alpha_t) as f32;
    step.out_e1 = (-alpha_s * sigma_t / alpha_t) as f32;
}

/// DPM-Solver++(2S) (Lu et al. 2022, Alg. 1 with r = 1/2): with h = lambda_s - lambda_t and the
/// midpoint m at lambda_t + h/2, u = (sigma_m/sigma_t) x - alpha_m (e^(-h/2) - 1) x0_hat(x, t), then
/// x_s = (sigma_s/sigma_t) x - alpha_s (e^(-h) - 1) x0_hat(u, m).
pub(super) fn dpm_solver_2s(step: &mut ReverseStep, cx: &StepContext) {
    let (schedule, net, t, s) = (cx.schedule, cx.net, cx.t, cx.s);
    if schedule.sigma(s) <= 0.0 {
        return denoise_to_data(step, schedule, t, s);
    }
    let (alpha_t, sigma_t) = (schedule.alpha(t), schedule.sigma(t));
    let h = lambda(schedule, s) - lambda(schedule, t);
    let Some(m) = schedule.t_for_log_snr(2.0 * (lambda(schedule, t) + 0.5 * h)) else {
        // Unreachable inside a schedule's range; fall back to first order.
        return dpm_first_order(step, schedule, t, s);
    };
    let (alpha_m, sigma_m, alpha_s, sigma_s) =
        (schedule.alpha(m), schedule.sigma(m), schedule.alpha(s), schedule.sigma(s));
    let k = alpha_m * (1.0 - (-0.5 * h).exp());
    let (u_x, u_e) = (sigma_m / sigma_t + k / alpha_t, -k * sigma_t / alpha_t);
    let c = alpha_s * (1.0 - (-h).exp());
    step.stage2 = 1;
    step.eval2 = evaluation(schedule, net, m);
    step.stage2_x = u_x as f32;
    step.stage2_e1 = u_e as f32;
    step.out_x = (sigma_s / sigma_t + c * u_x / alpha_m) as f32;
    step.out_e1 = (c * u_e / alpha_m) as f32;
    step.out_e2 = (-c * sigma_m / alpha_m) as f32;
}

/// First-order DPM-Solver++ (= DDIM with eta = 0): x_s = (sigma_s/sigma_t) x + alpha_s (1 - e^(-h)) x0_hat.
fn dpm_first_order(step: &mut ReverseStep, schedule: Schedule, t: f64, s: f64) {
    let (alpha_t, sigma_t, alpha_s, sigma_s) =
        (schedule.alpha(t), schedule.sigma(t), schedule.alpha(s), schedule.sigma(s));
    let h = lambda(schedule, s) - lambda(schedule, t);
    let c = alpha_s * (1.0 - (-h).exp());
    step.out_x = (sigma_s / sigma_t + c / alpha_t) as f32;
    step.out_e1 = (-c * sigma_t / alpha_t) as f32;
}

/// DPM-Solver++(2M) (Lu et al. 2022, Alg. 2): with r = h_prev / h and
/// D = (1 + 1/(2r)) x0_hat_t - 1/(2r) x0_hat_prev, x_s = (sigma_s/sigma_t) x - alpha_s (e^(-h) - 1) D.
/// The first step (no history yet) is first order; the history kept is x0_hat_t.
pub(super) fn dpm_solver_2m(step: &mut ReverseStep, cx: &StepContext) {
    let history = &cx.run;
    history.keep_denoised(step);
    let (schedule, t, s) = (history.schedule, history.t(), history.s());
    if schedule.sigma(s) <= 0.0 {
        return denoise_to_data(step, schedule, t, s);
    }
    let (alpha_s, sigma_s, sigma_t) = (schedule.alpha(s), schedule.sigma(s), schedule.sigma(t));
    let h = history.h(0);
    let c = alpha_s * (1.0 - (-h).exp());
    let d = match history.previous_h(1) {
        Some(h_prev) => {
            let r = h_prev / h;
            history.denoised(0) * (1.0 + 0.5 / r) - history.denoised(1) * (0.5 / r)
        }
        None => history.denoised(0),
    };
    (multistep::Combination::x(sigma_s / sigma_t) + d * c).write_output(step);
}

/// The noise level sigma~ = sigma / alpha at t: the sigma of the variance-exploding variable
/// x~ = x / alpha = x0 + sigma~ eps in which k-diffusion writes its samplers (Karras et al. 2022,
/// eq. 4 with s(t) = alpha).
pub(super) fn scaled_sigma(schedule: Schedule, t: f64) -> f64 {
    schedule.sigma(t) / schedule.alpha(t)
}

/// k-diffusion's `get_ancestral_step`: the levels sigma_down, sigma_up of an ancestral step from
/// sigma to sigma_next < sigma, sigma_up = min(sigma_next, eta sqrt(sigma_next^2 (sigma^2 -
/// sigma_next^2) / sigma^2)) and sigma_down = sqrt(sigma_next^2 - sigma_up^2), so that the
/// deterministic step to sigma_down plus fresh noise sigma_up lands at noise level sigma_next.
fn ancestral_levels(sigma: f64, sigma_next: f64, eta: f64) -> (f64, f64) {
    if eta <= 0.0 || sigma_next <= 0.0 {
        return (sigma_next.max(0.0), 0.0);
    }
    let up = (eta
        * (sigma_next * sigma_next * (sigma * sigma - sigma_next * sigma_next) / (sigma * sigma))
            .max(0.0)
            .sqrt())
    .min(sigma_next);
    ((sigma_next * sigma_next - up * up).max(0.0).sqrt(), up)
}

/// The time of the sampling schedule where sigma~ = `level`, if the schedule reaches it.
fn time_at_scaled_sigma(schedule: Schedule, level: f64) -> Option<f64> {
    schedule.t_for_log_snr(-2.0 * level.ln())
}

/// What every ancestral step of k-diffusion's starts from, in the scaled variable x~ = x / alpha:
/// alpha_s, sigma~_t and the deterministic target sigma~_down (sigma~_up is already in the step).
struct AncestralLevels {
    alpha_s: f64,
    level_t: f64,
    down: f64,
}

/// Starts an ancestral step from t to s: x_s = (alpha_s / alpha_t) x + ... + alpha_s sigma~_up z,
/// with the levels of [`ancestral_levels`] at `eta`.
fn ancestral_start(step: &mut ReverseStep, cx: &StepContext, eta: f64, s_noise: f64) -> AncestralLevels {
    let (schedule, t, s) = (cx.schedule, cx.t, cx.s);
    let (alpha_t, alpha_s) = (schedule.alpha(t), schedule.alpha(s));
    let level_t = scaled_sigma(schedule, t);
    let (down, up) = ancestral_levels(level_t, scaled_sigma(schedule, s), eta);
    step.out_x = (alpha_s / alpha_t) as f32;
    step.out_noise = (alpha_s * up * s_noise) as f32;
    AncestralLevels { alpha_s, level_t, down }
}

/// The Euler part of an ancestral step: x~ moves by eps_hat (sigma~_down - sigma~_t).
fn euler_to_down(step: &mut ReverseStep, levels: &AncestralLevels) {
    step.out_e1 = (levels.alpha_s * (levels.down - levels.level_t)) as f32;
}

/// The second stage of the two-evaluation ancestral steps: the Euler point x~_m = x~_t + e1
/// (sigma~_m - sigma~_t) at the geometric midpoint sigma~_m = sqrt(sigma~_t sigma~_down), where e2
/// is evaluated. Returns sigma~_m, or None where sigma~_down = 0 (the end), whose step is Euler.
fn midpoint_stage(step: &mut ReverseStep, cx: &StepContext, levels: &AncestralLevels) -> Option<f64> {
    let (schedule, net, t) = (cx.schedule, cx.net, cx.t);
    let midpoint = (levels.level_t * levels.down).sqrt();
    let m = time_at_scaled_sigma(schedule, midpoint).filter(|_| levels.down > 0.0)?;
    let (alpha_t, alpha_m) = (schedule.alpha(t), schedule.alpha(m));
    step.stage2 = 1;
    step.eval2 = evaluation(schedule, net, m);
    step.stage2_x = (alpha_m / alpha_t) as f32;
    step.stage2_e1 = (alpha_m * (midpoint - levels.level_t)) as f32;
    Some(midpoint)
}

/// Euler ancestral (k-diffusion's `sample_euler_ancestral`) in the scaled variable x~ = x /
/// alpha: x~_s = x~_t + eps_hat (sigma~_down - sigma~_t) + s_noise sigma~_up z, then x_s =
/// alpha_s x~_s. With eta = 0 it is DDIM's deterministic step.
pub(super) fn euler_ancestral(step: &mut ReverseStep, cx: &StepContext) {
    let levels = ancestral_start(step, cx, cx.settings.eta, cx.settings.s_noise);
    euler_to_down(step, &levels);
}

/// DPM-2 (k-diffusion's `sample_dpm_2`; Karras et al. 2022, app. B) to sigma~_down, with fresh
/// noise sigma~_up after it (`eta` = 0: DPM-2 itself; else `sample_dpm_2_ancestral`). In x~ = x /
/// alpha: the midpoint sigma~_m = sqrt(sigma~_t sigma~_down), x~_m = x~_t + e1 (sigma~_m -
/// sigma~_t), e2 = eps_hat(x_m at sigma~_m), x~_s = x~_t + e2 (sigma~_down - sigma~_t) + sigma~_up z.
/// A step to sigma~_down = 0 (the end) is Euler, as in k-diffusion.
pub(super) fn dpm_2(step: &mut ReverseStep, cx: &StepContext) {
    dpm_2_with_noise(step, cx, 0.0, 1.0);
}

/// DPM-2 ancestral (k-diffusion's `sample_dpm_2_ancestral`): [`dpm_2`] with the run's eta and
/// s_noise.
pub(super) fn dpm_2_ancestral(step: &mut ReverseStep, cx: &StepContext) {
    dpm_2_with_noise(step, cx, cx.settings.eta, cx.settings.s_noise);
}

/// The DPM-2 step with ancestral noise `eta` scaled by `s_noise`.
fn dpm_2_with_noise(step: &mut ReverseStep, cx: &StepContext, eta: f64, s_noise: f64) {
    let levels = ancestral_start(step, cx, eta, s_noise);
    if midpoint_stage(step, cx, &levels).is_none() {
        return euler_to_down(step, &levels);
    }
    step.out_e2 = (levels.alpha_s * (levels.down - levels.level_t)) as f32;
}

/// DPM-Solver++(2S) ancestral (k-diffusion's `sample_dpm_2s_ancestral`): in x~ = x / alpha with
/// the data prediction D = x~ - sigma~ eps_hat and lambda = -log sigma~, the 2S step to
/// sigma~_down with r = 1/2: x~_m = (sigma~_m / sigma~_t) x~_t + (1 - sigma~_m / sigma~_t) D_1
/// (= x~_t + (sigma~_m - sigma~_t) e1), then x~_s = (sigma~_down / sigma~_t) x~_t + (1 -
/// sigma~_down / sigma~_t) D_2 + sigma~_up z, with sigma~_m = sqrt(sigma~_t sigma~_down) and D_2 =
/// x~_m - sigma~_m e2. A step to sigma~_down = 0 is Euler.
pub(super) fn dpm_solver_2s_ancestral(step: &mut ReverseStep, cx: &StepContext) {
    let levels = ancestral_start(step, cx, cx.settings.eta, cx.settings.s_noise);
    let Some(midpoint) = midpoint_stage(step, cx, &levels) else {
        return euler_to_down(step, &levels);
    };
    // x~_s = x~_t + c (x~_m - sigma~_m e2 - x~_t) with c = 1 - sigma~_down / sigma~_t, and
    // x~_m - x~_t = (sigma~_m - sigma~_t) e1.
    let c = 1.0 - levels.down / levels.level_t;
    step.out_e1 = (levels.alpha_s * c * (midpoint - levels.level_t)) as f32;
    step.out_e2 = (-levels.alpha_s * c * midpoint) as f32;
}

/// DPM-Solver++ SDE (k-diffusion's `sample_dpmpp_sde` with r = 1/2) in x~ = x / alpha, with D =
/// x~ - sigma~ eps_hat and the midpoint sigma~_m = sqrt(sigma~_t sigma~_s) (halfway in log sigma~):
///
/// ```text
/// (d1, u1) = ancestral levels from sigma~_t to sigma~_m,   (d2, u2) = from sigma~_t to sigma~_s
/// x~_m = (d1 / sigma~_t) x~_t + (1 - d1 / sigma~_t) D_1 + s_noise u1 z_a        (D_1 at x_t)
/// x~_s = (d2 / sigma~_t) x~_t + (1 - d2 / sigma~_t) D_2 + s_noise u2 z_full     (D_2 at x_m, sigma~_m)
/// ```
///
/// z_a and z_full are the normalised increments of one Brownian path in sigma~ over [sigma~_m,
/// sigma~_t] and [sigma~_s, sigma~_t] (k-diffusion's `BrownianTreeNoiseSampler`), so
/// z_full = sqrt(a / (a + b)) z_a + sqrt(b / (a + b)) z with a = sigma~_t - sigma~_m, b = sigma~_m -
/// sigma~_s and z independent of z_a (our z1 is z_a). With eta = 0 it is DPM-Solver++(2S). A step
/// into sigma = 0 is Euler, as in k-diffusion.
pub(super) fn dpm_solver_sde(step: &mut ReverseStep, cx: &StepContext) {
    let (schedule, net, t, s, eta, s_noise) =
        (cx.schedule, cx.net, cx.t, cx.s, cx.settings.eta, cx.settings.s_noise);
    if schedule.sigma(s) <= 0.0 {
        return denoise_to_data(step, schedule, t, s);
    }
    let (level_t, level_s) = (scaled_sigma(schedule, t), scaled_sigma(schedule, s));
    let level_m = (level_t * level_s).sqrt();
    let Some(m) = time_at_scaled_sigma(schedule, level_m) else {
        return dpm_first_order(step, schedule, t, s);
    };
    let (alpha_t, alpha_m, alpha_s) = (schedule.alpha(t), schedule.alpha(m), schedule.alpha(s));
    let (down_1, up_1) = ancestral_levels(level_t, level_m, eta);
    let (down_2, up_2) = ancestral_levels(level_t, level_s, eta);
    // x~_m = x~_t + (d1 - sigma~_t) e1 + s_noise u1 z_a, scaled by alpha_m.
    step.stage2 = 1;
    step.eval2 = evaluation(schedule, net, m);
    let stage2_x = alpha_m / alpha_t;
    let stage2_e1 = alpha_m * (down_1 - level_t);
    let stage2_noise = alpha_m * up_1 * s_noise;
    step.stage2_x = stage2_x as f32;
    step.stage2_e1 = stage2_e1 as f32;
    step.stage2_noise = stage2_noise as f32;
    // x_s = alpha_s [(d2/sigma~_t) x~_t + c D_2] + alpha_s s_noise u2 z_full with c = 1 - d2/sigma~_t
    // and D_2 = x_m / alpha_m - sigma~_m e2.
    let c = 1.0 - down_2 / level_t;
    // The shares of the two halves in the whole increment (a step too short to split in f64
    // draws no noise: up_2 = 0).
    let (a, b) = (level_t - level_m, level_m - level_s);
    let (share_a, share_b) = if a + b > 0.0 { (a / (a + b), b / (a + b)) } else { (0.0, 1.0) };
    let noise = alpha_s * up_2 * s_noise;
    step.out_x = (alpha_s * (down_2 / level_t / alpha_t + c * stage2_x / alpha_m)) as f32;
    step.out_e1 = (alpha_s * c * stage2_e1 / alpha_m) as f32;
    step.out_e2 = (-alpha_s * c * level_m) as f32;
    step.out_stage2_noise = (alpha_s * c * stage2_noise / alpha_m + noise * share_a.sqrt()) as f32;
    step.out_noise = (noise * share_b.sqrt()) as f32;
}
