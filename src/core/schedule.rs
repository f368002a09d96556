//! Noise schedules: the marginal x_t | x_0 ~ N(alpha_t x_0, sigma_t^2 I) and the SDE it implies.
//!
//! Every schedule is given by (alpha_t, sigma_t) and their time derivatives; the drift and the
//! diffusion of the forward SDE dx = f(t) x dt + g(t) dW follow from them (theory seed 000,
//! "Forward process"; seed 001, "unified forward process"):
//!
//! - f(t) = d/dt log alpha_t = -lambda_t
//! - g(t)^2 = sigma_t^2 d/dt log(sigma_t^2 / alpha_t^2) = 2 sigma_t sigma_t' - 2 f(t) sigma_t^2
//!
//! g^2 is positive exactly when the signal-to-noise ratio alpha/sigma decreases.

use serde::{Deserialize, Serialize};

/// beta_min of the DDPM linear schedule in continuous time (Song et al. 2021, VP SDE).
pub const DDPM_BETA_MIN: f64 = 0.1;
/// beta_max of the DDPM linear schedule in continuous time (Song et al. 2021, VP SDE).
pub const DDPM_BETA_MAX: f64 = 20.0;
/// Where reverse runs of rectified flow start: alpha = 0 at t = 1 makes f and g^2 infinite there,
/// so the run starts just below it (the mismatch with N(0, I) is alpha = 0.01 times the data).
pub const RECTIFIED_FLOW_T_MAX: f64 = 0.99;

/// A family of (alpha_t, sigma_t) on t in [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Schedule {
    /// Variance preserving, beta(t) = beta_min + t (beta_max - beta_min) (DDPM, Ho et al. 2020;
    /// continuous form of Song et al. 2021): alpha_t = exp(-B(t)/2), sigma_t = sqrt(1 - alpha_t^2),
    /// B(t) = beta_min t + (beta_max - beta_min) t^2 / 2.
    VpLinear,
    /// Rectified flow / flow matching (Liu et al. 2023; Lipman et al. 2023): alpha_t = 1 - t, sigma_t = t.
    RectifiedFlow,
}

impl Schedule {
    /// Every schedule, in the order the UI lists them.
    pub const ALL: [Schedule; 2] = [Schedule::VpLinear, Schedule::RectifiedFlow];

    /// The identifier used in options, share links and weight files.
    pub fn name(self) -> &'static str {
        match self {
            Schedule::VpLinear => "vp_linear",
            Schedule::RectifiedFlow => "rectified_flow",
        }
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Schedule::VpLinear => "VP linear (DDPM)",
            Schedule::RectifiedFlow => "Rectified flow",
        }
    }

    /// Parses [`Schedule::name`].
    pub fn from_name(name: &str) -> Option<Schedule> {
        Schedule::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Stable numeric id stored in weight files.
    pub fn id(self) -> u32 {
        match self {
            Schedule::VpLinear => 0,
            Schedule::RectifiedFlow => 1,
        }
    }

    /// Inverse of [`Schedule::id`].
    pub fn from_id(id: u32) -> Option<Schedule> {
        Schedule::ALL.into_iter().find(|s| s.id() == id)
    }

    /// The time at which reverse runs start (where x_t is close to N(0, sigma^2 I)).
    pub fn t_max(self) -> f64 {
        match self {
            Schedule::VpLinear => 1.0,
            Schedule::RectifiedFlow => RECTIFIED_FLOW_T_MAX,
        }
    }

    /// B(t) = integral of beta from 0 to t for the VP schedule.
    fn vp_integrated_beta(t: f64) -> f64 {
        DDPM_BETA_MIN * t + 0.5 * (DDPM_BETA_MAX - DDPM_BETA_MIN) * t * t
    }

    fn vp_beta(t: f64) -> f64 {
        DDPM_BETA_MIN + t * (DDPM_BETA_MAX - DDPM_BETA_MIN)
    }

    /// Signal scale alpha_t.
    pub fn alpha(self, t: f64) -> f64 {
        match self {
            Schedule::VpLinear => (-0.5 * Self::vp_integrated_beta(t)).exp(),
            Schedule::RectifiedFlow => 1.0 - t,
        }
    }

    /// Noise scale sigma_t.
    pub fn sigma(self, t: f64) -> f64 {
        match self {
            // sqrt(1 - exp(-B)) written with expm1 to stay accurate for small t.
            Schedule::VpLinear => (-(-Self::vp_integrated_beta(t)).exp_m1()).sqrt(),
            Schedule::RectifiedFlow => t,
        }
    }

    /// d alpha_t / dt.
    pub fn d_alpha(self, t: f64) -> f64 {
        match self {
            Schedule::VpLinear => -0.5 * Self::vp_beta(t) * self.alpha(t),
            Schedule::RectifiedFlow => -1.0,
        }
    }

    /// d sigma_t / dt (infinite for VP at t = 0, where sigma = 0).
    pub fn d_sigma(self, t: f64) -> f64 {
        match self {
            // sigma^2 = 1 - alpha^2  =>  sigma' = -alpha alpha' / sigma.
            Schedule::VpLinear => -self.alpha(t) * self.d_alpha(t) / self.sigma(t),
            Schedule::RectifiedFlow => 1.0,
        }
    }

    /// Drift coefficient f(t) = d/dt log alpha_t of the forward SDE dx = f x dt + g dW
    /// (seed 000 writes it as -lambda_t).
    pub fn drift(self, t: f64) -> f64 {
        self.d_alpha(t) / self.alpha(t)
    }

    /// Squared diffusion g(t)^2 = sigma^2 d/dt log(sigma^2/alpha^2) = 2 sigma sigma' - 2 f sigma^2.
    pub fn diffusion_squared(self, t: f64) -> f64 {
        match self {
            // Closed form (avoids 0 * inf at t = 0): g^2 = beta(t).
            Schedule::VpLinear => Self::vp_beta(t),
            _ => {
                let sigma = self.sigma(t);
                2.0 * sigma * self.d_sigma(t) - 2.0 * self.drift(t) * sigma * sigma
            }
        }
    }

    /// Log signal-to-noise ratio log(alpha_t^2 / sigma_t^2).
    pub fn log_snr(self, t: f64) -> f64 {
        2.0 * (self.alpha(t).ln() - self.sigma(t).ln())
    }
}
