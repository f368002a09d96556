//! Noise schedules: the marginal x_t | x_0 ~ N(alpha_t x_0, sigma_t^2 I) and the SDE it implies.
//!
//! Every schedule is given by (alpha_t, sigma_t) and their time derivatives, all in closed form; the
//! drift and the diffusion of the forward SDE dx = f(t) x dt + g(t) dW follow from them (Song et al.
//! 2021, eq. 5, whose VE and VP SDEs are eqs. 9 and 11; docs/theory.md):
//!
//! - f(t) = d/dt log alpha_t = -lambda_t
//! - g(t)^2 = sigma_t^2 d/dt log(sigma_t^2 / alpha_t^2) = 2 sigma_t sigma_t' - 2 f(t) sigma_t^2
//!
//! g^2 is positive exactly when the signal-to-noise ratio alpha/sigma decreases; [`Schedule::check`]
//! verifies it (with alpha, sigma > 0) over the range a reverse run covers.
//!
//! Time runs over [`Schedule::t_min`]..[`Schedule::t_max`] in reverse runs: [0, 1] (or just below 1)
//! for every schedule but EDM, whose time is sigma itself, t in [0.002, 80].
//!
//! Schedules with the same log-SNR log(alpha^2/sigma^2) at two times see the same noisy data up to a
//! scale, so an eps-prediction network trained on one schedule serves them all through
//! [`Schedule::t_for_log_snr`] and [`equivalent_input`] (Kingma et al. 2021, "Variational Diffusion
//! Models": the continuous-time loss depends on the schedule only through its log-SNR endpoints).

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use crate::core::names;
use crate::core::timesteps::KARRAS_RHO;

/// beta_min of the DDPM linear schedule in continuous time (Song et al. 2021, VP SDE).
pub const DDPM_BETA_MIN: f64 = 0.1;
/// beta_max of the DDPM linear schedule in continuous time (Song et al. 2021, VP SDE).
pub const DDPM_BETA_MAX: f64 = 20.0;
/// Where reverse runs of rectified flow start: alpha = 0 at t = 1 makes f and g^2 infinite there,
/// so the run starts just below it (the mismatch with N(0, I) is alpha = 0.01 times the data).
pub const RECTIFIED_FLOW_T_MAX: f64 = 0.99;
/// Offset s of the iDDPM cosine schedule (Nichol & Dhariwal 2021, eq. 17), which keeps beta from
/// being tiny near t = 0.
pub const VP_COSINE_OFFSET: f64 = 0.008;
/// Where reverse runs of the cosine schedule start. alpha reaches 0 at t = 1, where f and g^2 blow
/// up (iDDPM clips the discrete beta_t at 0.999 for the same reason). The run starts where alpha
/// equals the VP-linear alpha(1) = exp(-(beta_min + beta_max)/4) ~ 6.57e-3: both schedules end at
/// the same log-SNR (~ -10.05), leave the same prior mismatch, and the VP-linear network covers
/// the whole run. A test checks this value against that rule.
pub const VP_COSINE_T_MAX: f64 = 0.9957832266380118;
/// sigma at t = 0 of the VE schedule (NCSN; Song et al. 2021 use 0.01).
pub const VE_SIGMA_MIN: f64 = 0.01;
/// sigma at t = 1 of the VE schedule. Song & Ermon (2020, "Improved techniques", technique 1) take
/// sigma_max about the largest distance between two data points; Song et al. 2021 use 50 for
/// CIFAR-10. The playground's datasets lie within radius ~2.2 (largest distances ~ 5), so 20 leaves
/// a prior N(0, 20^2 I) whose mismatch with the noised data is under 1% in variance, while
/// spending fewer steps on huge noise than 50 would.
pub const VE_SIGMA_MAX: f64 = 20.0;
/// Smallest sigma of EDM (Karras et al. 2022, Table 1): where its reverse runs end.
pub const EDM_SIGMA_MIN: f64 = 0.002;
/// Largest sigma of EDM (Karras et al. 2022, Table 1): where its reverse runs start.
pub const EDM_SIGMA_MAX: f64 = 80.0;

/// Points per unit of the domain that [`Schedule::check`] samples (at least this many in all).
const CHECK_SAMPLES: usize = 2001;

/// The smallest noise level sigma a run may start from, in data units. Below it x_t = alpha x_0 +
/// sigma eps is x_0 itself in f32 (the picture spans |x| <= 3, where one f32 step is 2.4e-7), and
/// the noised density of a point-like component (the empirical score's training points) has
/// det C = sigma^4, which underflows f32 below sigma ~ 1e-10: scores become inf - inf. A start time
/// asked for below [`Schedule::min_start_time`] starts there instead.
pub const MIN_START_SIGMA: f64 = 1e-6;

/// Bisection steps that solve sigma(t) = [`MIN_START_SIGMA`] (each halves the bracket, so the
/// result is exact to f64 well before the last one).
const MIN_START_BISECTIONS: usize = 200;
/// How far (relative to the domain's length) a time from [`Schedule::t_for_log_snr`] may fall
/// outside the domain through rounding before it counts as outside.
const DOMAIN_TOLERANCE: f64 = 1e-9;

/// A family of (alpha_t, sigma_t); t in [0, 1] except for EDM (t in [0.002, 80]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum Schedule {
    /// Variance preserving, beta(t) = beta_min + t (beta_max - beta_min) (DDPM, Ho et al. 2020;
    /// continuous form of Song et al. 2021): alpha_t = exp(-B(t)/2), sigma_t = sqrt(1 - alpha_t^2),
    /// B(t) = beta_min t + (beta_max - beta_min) t^2 / 2.
    VpLinear,
    /// Variance preserving cosine schedule (Nichol & Dhariwal 2021, "Improved DDPM", eq. 17):
    /// alpha_t^2 = c(t)/c(0), c(t) = cos^2(phi(t)), phi(t) = (t + s)/(1 + s) pi/2, s = 0.008;
    /// sigma_t = sqrt(1 - alpha_t^2). Runs start at [`VP_COSINE_T_MAX`].
    VpCosine,
    /// Variance exploding (NCSN, Song & Ermon 2019; VE SDE of Song et al. 2021): alpha_t = 1,
    /// sigma_t = sigma_min (sigma_max/sigma_min)^t with [`VE_SIGMA_MIN`], [`VE_SIGMA_MAX`].
    /// sigma(0) = sigma_min > 0: runs end at t = 0 with that little noise left.
    Ve,
    /// EDM (Karras et al. 2022): alpha_t = 1, sigma_t = t. Time is sigma itself, so t lies in
    /// [0.002, 80] ([`EDM_SIGMA_MIN`], [`EDM_SIGMA_MAX`]), not [0, 1].
    Edm,
    /// Rectified flow / flow matching (Liu et al. 2023; Lipman et al. 2023): alpha_t = 1 - t, sigma_t = t.
    RectifiedFlow,
}

impl Schedule {
    /// Every schedule, in the order the UI lists them (declaration order).
    pub const ALL: [Schedule; 5] = names::all(Schedule::VARIANTS);

    /// The identifier used in options, share links and weight files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Schedule::VpLinear => "VP linear (DDPM)",
            Schedule::VpCosine => "VP cosine (iDDPM)",
            Schedule::Ve => "VE (NCSN)",
            Schedule::Edm => "EDM (sigma = t)",
            Schedule::RectifiedFlow => "Rectified flow",
        }
    }

    /// Parses [`Schedule::name`].
    pub fn from_name(name: &str) -> Option<Schedule> {
        names::from_name(name)
    }

    /// Stable numeric id stored in weight files.
    pub fn id(self) -> u32 {
        match self {
            Schedule::VpLinear => 0,
            Schedule::RectifiedFlow => 1,
            Schedule::VpCosine => 2,
            Schedule::Ve => 3,
            Schedule::Edm => 4,
        }
    }

    /// Inverse of [`Schedule::id`].
    pub fn from_id(id: u32) -> Option<Schedule> {
        Schedule::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The time at which reverse runs start (where x_t is close to N(0, sigma^2 I)).
    pub fn t_max(self) -> f64 {
        match self {
            Schedule::VpLinear | Schedule::Ve => 1.0,
            Schedule::VpCosine => VP_COSINE_T_MAX,
            Schedule::Edm => EDM_SIGMA_MAX,
            Schedule::RectifiedFlow => RECTIFIED_FLOW_T_MAX,
        }
    }

    /// The time at which reverse runs end: 0 (sigma = 0, or sigma_min for VE), and for EDM its
    /// sigma_min = 0.002.
    pub fn t_min(self) -> f64 {
        match self {
            Schedule::Edm => EDM_SIGMA_MIN,
            _ => 0.0,
        }
    }

    /// True for the schedules whose signal scale is alpha = 1 at every time (variance exploding:
    /// VE and EDM). A property of the family, not of rounding: VP's alpha also rounds to 1 near
    /// t = 0, but EDM's churn (which assumes alpha = 1) must not apply there.
    pub fn is_variance_exploding(self) -> bool {
        matches!(self, Schedule::Ve | Schedule::Edm)
    }

    /// The earliest time a run may start from (forward noising to an earlier time starts from
    /// here): the time where sigma reaches [`MIN_START_SIGMA`], or [`Schedule::t_min`] where sigma
    /// is already that large there (VE, EDM).
    pub fn min_start_time(self) -> f64 {
        let (mut lo, mut hi) = (self.t_min(), self.t_max());
        if self.sigma(lo) >= MIN_START_SIGMA {
            return lo;
        }
        // sigma increases with t on every schedule (its log-SNR decreases): bisect.
        for _ in 0..MIN_START_BISECTIONS {
            let mid = 0.5 * (lo + hi);
            if mid <= lo || mid >= hi {
                break;
            }
            if self.sigma(mid) >= MIN_START_SIGMA {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }

    /// [`Schedule::min_start_time`] as a fraction of the time slider ([`Schedule::fraction_of_time`]):
    /// a start fraction u with 0 < u below it starts at it instead (u = 0 is the data itself).
    pub fn min_start_fraction(self) -> f64 {
        self.fraction_of_time(self.min_start_time())
    }

    /// The closed interval of times the schedule is defined on, and the span of the time slider:
    /// [0, 1] for all but EDM ([0.002, 80]). It reaches past [`Schedule::t_max`] where alpha = 0
    /// at t = 1 (rectified flow, cosine): forward noising may go there, reverse runs start below.
    pub fn domain(self) -> (f64, f64) {
        match self {
            Schedule::Edm => (EDM_SIGMA_MIN, EDM_SIGMA_MAX),
            _ => (0.0, 1.0),
        }
    }

    /// The time at the fraction `u` in [0, 1] of [`Schedule::domain`] (for a 0..1 slider): linear,
    /// except for EDM where sigma = t spans 0.002..80 and the fraction is spaced like Karras et
    /// al.'s steps, sigma = (sigma_min^(1/rho) + u (sigma_max^(1/rho) - sigma_min^(1/rho)))^rho
    /// (u = 1/2 is sigma ~ 2.5, not 40). `u` is clamped to [0, 1].
    pub fn time_at_fraction(self, u: f64) -> f64 {
        let (lo, hi) = self.domain();
        if u.is_nan() || u <= 0.0 {
            return lo;
        }
        if u >= 1.0 {
            return hi;
        }
        match self {
            Schedule::Edm => {
                let (a, b) = (lo.powf(1.0 / KARRAS_RHO), hi.powf(1.0 / KARRAS_RHO));
                (a + u * (b - a)).powf(KARRAS_RHO).clamp(lo, hi)
            }
            _ => lo + u * (hi - lo),
        }
    }

    /// Inverse of [`Schedule::time_at_fraction`]; times outside the domain give 0 or 1.
    pub fn fraction_of_time(self, t: f64) -> f64 {
        let (lo, hi) = self.domain();
        let t = if t.is_nan() { lo } else { t.clamp(lo, hi) };
        match self {
            Schedule::Edm => {
                let (a, b) = (lo.powf(1.0 / KARRAS_RHO), hi.powf(1.0 / KARRAS_RHO));
                ((t.powf(1.0 / KARRAS_RHO) - a) / (b - a)).clamp(0.0, 1.0)
            }
            _ => (t - lo) / (hi - lo),
        }
    }

    /// B(t) = integral of beta from 0 to t for the VP schedule.
    fn vp_integrated_beta(t: f64) -> f64 {
        DDPM_BETA_MIN * t + 0.5 * (DDPM_BETA_MAX - DDPM_BETA_MIN) * t * t
    }

    fn vp_beta(t: f64) -> f64 {
        DDPM_BETA_MIN + t * (DDPM_BETA_MAX - DDPM_BETA_MIN)
    }

    /// d phi / dt of the cosine schedule, phi(t) = (t + s)/(1 + s) pi/2.
    const COSINE_PHI_RATE: f64 = std::f64::consts::FRAC_PI_2 / (1.0 + VP_COSINE_OFFSET);

    /// phi(t) of the cosine schedule.
    fn cosine_phi(t: f64) -> f64 {
        (t + VP_COSINE_OFFSET) * Self::COSINE_PHI_RATE
    }

    /// ln(sigma_max / sigma_min) of the VE schedule.
    fn ve_log_ratio() -> f64 {
        (VE_SIGMA_MAX / VE_SIGMA_MIN).ln()
    }

    /// Signal scale alpha_t.
    pub fn alpha(self, t: f64) -> f64 {
        match self {
            Schedule::VpLinear => (-0.5 * Self::vp_integrated_beta(t)).exp(),
            Schedule::VpCosine => Self::cosine_phi(t).cos() / Self::cosine_phi(0.0).cos(),
            Schedule::Ve | Schedule::Edm => 1.0,
            Schedule::RectifiedFlow => 1.0 - t,
        }
    }

    /// Noise scale sigma_t.
    pub fn sigma(self, t: f64) -> f64 {
        match self {
            // sqrt(1 - exp(-B)) written with expm1 to stay accurate for small t.
            Schedule::VpLinear => (-(-Self::vp_integrated_beta(t)).exp_m1()).sqrt(),
            // 1 - cos^2(phi)/cos^2(phi0) = sin(phi - phi0) sin(phi + phi0) / cos^2(phi0), which keeps
            // its accuracy near t = 0 where the difference of cosines would cancel.
            Schedule::VpCosine => {
                let (phi, phi0) = (Self::cosine_phi(t), Self::cosine_phi(0.0));
                let sin_product = (t * Self::COSINE_PHI_RATE).sin() * (phi + phi0).sin();
                (sin_product.max(0.0)).sqrt() / phi0.cos()
            }
            Schedule::Ve => VE_SIGMA_MIN * (t * Self::ve_log_ratio()).exp(),
            Schedule::Edm | Schedule::RectifiedFlow => t,
        }
    }

    /// d alpha_t / dt.
    pub fn d_alpha(self, t: f64) -> f64 {
        match self {
            Schedule::VpLinear => -0.5 * Self::vp_beta(t) * self.alpha(t),
            Schedule::VpCosine => {
                -Self::COSINE_PHI_RATE * Self::cosine_phi(t).sin() / Self::cosine_phi(0.0).cos()
            }
            Schedule::Ve | Schedule::Edm => 0.0,
            Schedule::RectifiedFlow => -1.0,
        }
    }

    /// d sigma_t / dt (infinite for the VP schedules at t = 0, where sigma = 0).
    pub fn d_sigma(self, t: f64) -> f64 {
        match self {
            // sigma^2 = 1 - alpha^2  =>  sigma' = -alpha alpha' / sigma.
            Schedule::VpLinear | Schedule::VpCosine => -self.alpha(t) * self.d_alpha(t) / self.sigma(t),
            Schedule::Ve => self.sigma(t) * Self::ve_log_ratio(),
            Schedule::Edm | Schedule::RectifiedFlow => 1.0,
        }
    }

    /// Drift coefficient f(t) = d/dt log alpha_t of the forward SDE dx = f x dt + g dW
    /// (also written -lambda_t).
    pub fn drift(self, t: f64) -> f64 {
        match self {
            // d/dt log cos(phi) = -phi' tan(phi).
            Schedule::VpCosine => -Self::COSINE_PHI_RATE * Self::cosine_phi(t).tan(),
            Schedule::Ve | Schedule::Edm => 0.0,
            _ => self.d_alpha(t) / self.alpha(t),
        }
    }

    /// Squared diffusion g(t)^2 = sigma^2 d/dt log(sigma^2/alpha^2) = 2 sigma sigma' - 2 f sigma^2,
    /// in closed form where the general one would meet 0 * inf or a division by sigma = 0.
    pub fn diffusion_squared(self, t: f64) -> f64 {
        match self {
            // Variance preserving: g^2 = -2 f (from alpha^2 + sigma^2 = 1); for DDPM that is beta(t).
            Schedule::VpLinear => Self::vp_beta(t),
            Schedule::VpCosine => -2.0 * self.drift(t),
            // alpha = 1: g^2 = d sigma^2/dt.
            Schedule::Ve => 2.0 * self.sigma(t).powi(2) * Self::ve_log_ratio(),
            Schedule::Edm => 2.0 * t,
            Schedule::RectifiedFlow => {
                let sigma = self.sigma(t);
                2.0 * sigma * self.d_sigma(t) - 2.0 * self.drift(t) * sigma * sigma
            }
        }
    }

    /// Log signal-to-noise ratio log(alpha_t^2 / sigma_t^2) (+infinity where sigma = 0, -infinity
    /// where alpha = 0).
    pub fn log_snr(self, t: f64) -> f64 {
        2.0 * (self.alpha(t).ln() - self.sigma(t).ln())
    }

    /// The time in [`Schedule::domain`] at which the log-SNR equals `log_snr`: the inverse of
    /// [`Schedule::log_snr`], in closed form. None where no time of the domain has it (or for NaN).
    ///
    /// - VP linear: alpha^2/sigma^2 = 1/(e^B - 1), so B = ln(1 + e^(-lambda)); then the quadratic
    ///   B(t) = beta_min t + (beta_max - beta_min) t^2/2 is solved for its positive root.
    /// - VP cosine: alpha^2 = sigmoid(lambda), so cos^2(phi) = sigmoid(lambda) cos^2(phi0) and
    ///   sin^2(phi) = sigmoid(-lambda) + sigmoid(lambda) sin^2(phi0); phi from both (atan2).
    /// - VE, EDM: sigma = e^(-lambda/2), then t = ln(sigma/sigma_min)/ln(sigma_max/sigma_min), t = sigma.
    /// - Rectified flow: alpha/sigma = (1 - t)/t, so t = 1/(1 + e^(lambda/2)).
    pub fn t_for_log_snr(self, log_snr: f64) -> Option<f64> {
        if log_snr.is_nan() {
            return None;
        }
        let t = match self {
            Schedule::VpLinear => {
                let integrated_beta = (-log_snr).exp().ln_1p();
                if integrated_beta.is_infinite() {
                    // lambda -> -infinity: B ~ -lambda, past any finite domain.
                    return None;
                }
                let slope = DDPM_BETA_MAX - DDPM_BETA_MIN;
                // Positive root of slope/2 t^2 + beta_min t - B, in the form without cancellation.
                let root = (DDPM_BETA_MIN * DDPM_BETA_MIN + 2.0 * slope * integrated_beta).sqrt();
                2.0 * integrated_beta / (DDPM_BETA_MIN + root)
            }
            Schedule::VpCosine => {
                let signal = sigmoid(log_snr);
                let phi0 = Self::cosine_phi(0.0);
                let cos2 = signal * phi0.cos().powi(2);
                let sin2 = sigmoid(-log_snr) + signal * phi0.sin().powi(2);
                sin2.sqrt().atan2(cos2.sqrt()) / Self::COSINE_PHI_RATE - VP_COSINE_OFFSET
            }
            Schedule::Ve => ((-0.5 * log_snr).exp() / VE_SIGMA_MIN).ln() / Self::ve_log_ratio(),
            Schedule::Edm => (-0.5 * log_snr).exp(),
            Schedule::RectifiedFlow => 1.0 / (1.0 + (0.5 * log_snr).exp()),
        };
        let (lo, hi) = self.domain();
        let slack = DOMAIN_TOLERANCE * (hi - lo);
        (t >= lo - slack && t <= hi + slack).then(|| t.clamp(lo, hi))
    }

    /// Verifies over the reverse-run range [`Schedule::t_min`]..[`Schedule::t_max`] what the theory
    /// requires of a schedule (docs/theory.md): alpha > 0, sigma > 0 (sigma = 0 allowed at t_min only),
    /// g^2 > 0 (>= 0 where sigma = 0) and a strictly decreasing log-SNR, all finite. The error
    /// names the schedule and the first bad time.
    pub fn check(self) -> Result<(), String> {
        self.check_interval(self.t_min(), self.t_max())
    }

    /// [`Schedule::check`] on [t_lo, t_hi] (sampled at least 2001 times, ends included).
    pub fn check_interval(self, t_lo: f64, t_hi: f64) -> Result<(), String> {
        if !(t_lo.is_finite() && t_hi.is_finite() && t_lo < t_hi) {
            return Err(format!("schedule {}: cannot check the interval [{t_lo}, {t_hi}]", self.name()));
        }
        let samples = CHECK_SAMPLES.max((CHECK_SAMPLES as f64 * (t_hi - t_lo)).ceil() as usize);
        let mut previous_log_snr = f64::INFINITY;
        for i in 0..samples {
            let t =
                if i + 1 == samples { t_hi } else { t_lo + (t_hi - t_lo) * i as f64 / (samples - 1) as f64 };
            let fail =
                |what: String| Err(format!("schedule {} ({}): {what} at t = {t}", self.name(), self.label()));
            let (alpha, sigma, g2) = (self.alpha(t), self.sigma(t), self.diffusion_squared(t));
            let at_clean_end = t == self.t_min() && sigma == 0.0;
            if !(alpha.is_finite() && alpha > 0.0) {
                return fail(format!("alpha = {alpha} is not positive"));
            }
            if !(sigma.is_finite() && (sigma > 0.0 || at_clean_end)) {
                return fail(format!("sigma = {sigma} is not positive"));
            }
            if !(g2.is_finite() && (g2 > 0.0 || (at_clean_end && g2 == 0.0))) {
                return fail(format!(
                    "g^2 = {g2} is not positive (the signal-to-noise ratio alpha/sigma must decrease)"
                ));
            }
            let log_snr = self.log_snr(t);
            if i > 0 && log_snr.partial_cmp(&previous_log_snr) != Some(Ordering::Less) {
                return fail(format!("the log-SNR {log_snr} does not decrease (it was {previous_log_snr})"));
            }
            previous_log_snr = log_snr;
        }
        Ok(())
    }
}

/// 1 / (1 + e^(-x)), without overflow for large |x|.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// Where a network trained on schedule `from` (A) is evaluated to serve schedule `to` (B) at its
/// time `t`: returns (t_A, input_scale) with t_A = A.t_for_log_snr(B.log_snr(t)) and
/// input_scale = alpha_A(t_A) / alpha_B(t), so that eps_hat_B(x, t) = eps_hat_A(input_scale x, t_A).
///
/// Why it is exact: x_B = alpha_B x0 + sigma_B eps, so input_scale x_B = alpha_A x0 + sigma_A eps
/// because sigma_A/alpha_A = sigma_B/alpha_B at equal log-SNR: the rescaled input has the law the
/// network was trained on, with the same noise eps (Kingma et al. 2021, "Variational Diffusion
/// Models", sec. 5: the continuous-time loss depends on the schedule only through its log-SNR).
///
/// None where A never reaches B's log-SNR at t (e.g. sigma_B(t) = 0 for a network trained on VE or
/// EDM, whose sigma stays positive) or where alpha_B(t) = 0. Same schedule: (t, 1) exactly.
pub fn equivalent_input(from: Schedule, to: Schedule, t: f64) -> Option<(f64, f64)> {
    if from == to {
        return Some((t, 1.0));
    }
    let alpha_to = to.alpha(t);
    if !(alpha_to > 0.0 && alpha_to.is_finite()) {
        return None;
    }
    let t_from = from.t_for_log_snr(to.log_snr(t))?;
    let scale = from.alpha(t_from) / alpha_to;
    scale.is_finite().then_some((t_from, scale))
}
