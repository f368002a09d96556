//! What a network predicts, and the conversions between the four usual targets (Kingma et al.
//! 2021; Salimans & Ho 2022; Tweedie's formula, Efron 2011). For x = alpha x0 + sigma eps at one
//! time of a schedule:
//!
//! - eps: the noise, eps = (x - alpha x0) / sigma;
//! - x0: the clean data, E[x0 | x] by Tweedie, x0 = (x - sigma eps) / alpha = (x + sigma^2 score) / alpha;
//! - score: grad log p_t(x) = -eps / sigma;
//! - velocity: the flow dx/dt of the interpolation, v = alpha' x0 + sigma' eps, which equals the
//!   probability-flow drift f x - g^2/2 score (Song et al. 2021, eq. 13).
//!
//! A prediction in any of them fixes the pair (x0, eps) given x, since x = alpha x0 + sigma eps; every
//! conversion goes through that pair. Velocity inverts the 2x2 system [x; v] = [[alpha, sigma],
//! [alpha', sigma']] [x0; eps], whose determinant alpha sigma' - alpha' sigma = alpha^2 (sigma/alpha)'
//! is positive wherever the noise-to-signal ratio increases.

use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use crate::core::names;
use crate::core::schedule::Schedule;

/// The quantity a network predicts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum Parametrization {
    /// The noise eps (Ho et al. 2020).
    Eps,
    /// The clean data x0, i.e. the denoiser E[x0 | x_t] (Karras et al. 2022's D).
    X0,
    /// The score grad log p_t(x) (Song & Ermon 2019; Song et al. 2021).
    Score,
    /// The velocity d/dt (alpha_t x0 + sigma_t eps) (flow matching, Lipman et al. 2023; rectified
    /// flow, Liu et al. 2023: eps - x0).
    Velocity,
    /// EDM's preconditioned denoiser (Karras et al. 2022, eq. 7 and Table 1): the network sees
    /// c_in x / alpha at time c_noise and its output F gives the denoiser
    /// D = c_skip x / alpha + c_out F (see [`EdmPreconditioning`]). A network output, not one of
    /// the four targets the samplers and the page convert between ([`Parametrization::ALL`]).
    EdmDenoiser,
}

/// EDM's sigma_data: the standard deviation of the data the preconditioning and weighting assume
/// (Karras et al. 2022, Table 1).
pub const EDM_SIGMA_DATA: f64 = 0.5;

/// EDM's preconditioning at the noise level sigma = sigma_t / alpha_t (Karras et al. 2022,
/// Table 1, with sigma_data = [`EDM_SIGMA_DATA`]): c_skip = sigma_data^2 / (sigma^2 +
/// sigma_data^2), c_out = sigma sigma_data / sqrt(sigma^2 + sigma_data^2),
/// c_in = 1 / sqrt(sigma^2 + sigma_data^2), c_noise = ln(sigma) / 4.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EdmPreconditioning {
    /// Weight of the skip connection.
    pub c_skip: f64,
    /// Scale of the network's output.
    pub c_out: f64,
    /// Scale of the network's input.
    pub c_in: f64,
    /// The network's time input.
    pub c_noise: f64,
}

impl EdmPreconditioning {
    /// The coefficients at time t of a schedule: noise level sigma_t / alpha_t.
    pub fn of(c: &Coefficients) -> EdmPreconditioning {
        EdmPreconditioning::at(c.sigma as f64 / c.alpha as f64, EDM_SIGMA_DATA)
    }

    /// The coefficients at noise level `sigma` (> 0) for data of standard deviation `sigma_data`.
    pub fn at(sigma: f64, sigma_data: f64) -> EdmPreconditioning {
        let total = sigma * sigma + sigma_data * sigma_data;
        EdmPreconditioning {
            c_skip: sigma_data * sigma_data / total,
            c_out: sigma * sigma_data / total.sqrt(),
            c_in: 1.0 / total.sqrt(),
            c_noise: 0.25 * sigma.ln(),
        }
    }
}

impl Parametrization {
    /// The four targets (docs/theory.md), between which everything converts, in the order the
    /// UI lists them. Written out: a subset of the variants.
    pub const ALL: [Parametrization; 4] =
        [Parametrization::Eps, Parametrization::X0, Parametrization::Score, Parametrization::Velocity];

    /// Everything a network may output, every variant: the four targets and EDM's preconditioned
    /// denoiser.
    pub const NETWORK_OUTPUTS: [Parametrization; 5] = names::all(Parametrization::VARIANTS);

    /// The identifier used in options and share links.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`Parametrization::name`].
    pub fn from_name(name: &str) -> Option<Parametrization> {
        names::from_name(name)
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Parametrization::Eps => "Noise (eps)",
            Parametrization::X0 => "Clean data (x0)",
            Parametrization::Score => "Score",
            Parametrization::Velocity => "Velocity",
            Parametrization::EdmDenoiser => "EDM preconditioned denoiser",
        }
    }

    /// Stable numeric id, stored in weight files.
    pub fn id(self) -> u32 {
        match self {
            Parametrization::Eps => 0,
            Parametrization::X0 => 1,
            Parametrization::Score => 2,
            Parametrization::Velocity => 3,
            Parametrization::EdmDenoiser => 4,
        }
    }

    /// Inverse of [`Parametrization::id`].
    pub fn from_id(id: u32) -> Option<Parametrization> {
        Parametrization::NETWORK_OUTPUTS.into_iter().find(|p| p.id() == id)
    }
}

/// alpha, sigma and their time derivatives at one time of a schedule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    /// Signal scale alpha_t.
    pub alpha: f32,
    /// Noise scale sigma_t.
    pub sigma: f32,
    /// d alpha_t / dt.
    pub d_alpha: f32,
    /// d sigma_t / dt.
    pub d_sigma: f32,
}

impl Coefficients {
    /// The coefficients of `schedule` at time `t`.
    pub fn at(schedule: Schedule, t: f64) -> Coefficients {
        Coefficients {
            alpha: schedule.alpha(t) as f32,
            sigma: schedule.sigma(t) as f32,
            d_alpha: schedule.d_alpha(t) as f32,
            d_sigma: schedule.d_sigma(t) as f32,
        }
    }
}

/// The affine map from a prediction in `from` to eps at the same point: eps = a value + b x, as
/// the pair (a, b), in f64. Every parametrization is affine in (value, x) (see [`convert`]):
/// eps: (1, 0); x0: (-alpha/sigma, 1/sigma); score: (-sigma, 0);
/// velocity: (alpha/det, -alpha'/det) with det = alpha sigma' - alpha' sigma; EDM's denoiser
/// (x0 = c_skip x / alpha + c_out F): (-alpha c_out / sigma, (1 - c_skip) / sigma).
/// This is what the samplers use, once per evaluation, to feed any network to their eps form.
pub fn eps_affine(from: Parametrization, c: &Coefficients) -> (f64, f64) {
    let (alpha, sigma) = (c.alpha as f64, c.sigma as f64);
    let (d_alpha, d_sigma) = (c.d_alpha as f64, c.d_sigma as f64);
    match from {
        Parametrization::Eps => (1.0, 0.0),
        Parametrization::X0 => (-alpha / sigma, 1.0 / sigma),
        Parametrization::Score => (-sigma, 0.0),
        Parametrization::Velocity => {
            let determinant = alpha * d_sigma - d_alpha * sigma;
            (alpha / determinant, -d_alpha / determinant)
        }
        Parametrization::EdmDenoiser => {
            let p = EdmPreconditioning::of(c);
            (-alpha * p.c_out / sigma, (1.0 - p.c_skip) / sigma)
        }
    }
}

/// Converts a prediction `value` at the point `x` from one parametrization to another, per
/// coordinate, through the pair (x0, eps) fixed by x = alpha x0 + sigma eps (docs/theory.md):
/// eps = (x - alpha x0)/sigma; score = -eps/sigma; x0 = (x - sigma eps)/alpha (Tweedie);
/// v = alpha' x0 + sigma' eps. Arithmetic is in f64, rounded to f32 once at the end; `from == to`
/// returns `value` unchanged.
///
/// For t strictly inside a schedule's domain (alpha > 0, sigma > 0, finite derivatives) every
/// conversion is finite. At the ends some are undefined and give non-finite numbers: where
/// alpha = 0, x0 or velocity from eps or score (x0 cannot be recovered from x = sigma eps); where
/// sigma = 0, anything into score, and eps or velocity from x0 (and the VP schedules' sigma' is
/// infinite at t = 0).
pub fn convert(
    value: [f32; 2],
    from: Parametrization,
    to: Parametrization,
    x: [f32; 2],
    coefficients: &Coefficients,
) -> [f32; 2] {
    if from == to {
        return value;
    }
    std::array::from_fn(|k| convert_coordinate(value[k] as f64, from, to, x[k] as f64, coefficients) as f32)
}

/// [`convert`] for one coordinate, in f64.
fn convert_coordinate(
    value: f64,
    from: Parametrization,
    to: Parametrization,
    x: f64,
    c: &Coefficients,
) -> f64 {
    use Parametrization::{EdmDenoiser, Eps, Score, Velocity, X0};
    let (alpha, sigma) = (c.alpha as f64, c.sigma as f64);
    let (d_alpha, d_sigma) = (c.d_alpha as f64, c.d_sigma as f64);
    // Determinant of [[alpha, sigma], [alpha', sigma']]: the velocity's inverse divides by it.
    let determinant = alpha * d_sigma - d_alpha * sigma;
    let edm = || EdmPreconditioning::of(c);
    // EDM's denoiser from F, and F from x0: x0 = c_skip x / alpha + c_out F.
    let edm_x0 = || edm().c_skip * x / alpha + edm().c_out * value;
    let eps = || match from {
        Eps => value,
        X0 => (x - alpha * value) / sigma,
        Score => -sigma * value,
        Velocity => (alpha * value - d_alpha * x) / determinant,
        EdmDenoiser => (x - alpha * edm_x0()) / sigma,
    };
    let x0 = || match from {
        Eps => (x - sigma * value) / alpha,
        X0 => value,
        Score => (x + sigma * sigma * value) / alpha,
        Velocity => (d_sigma * x - sigma * value) / determinant,
        EdmDenoiser => edm_x0(),
    };
    match to {
        Eps => eps(),
        X0 => x0(),
        Score => -eps() / sigma,
        Velocity => d_alpha * x0() + d_sigma * eps(),
        EdmDenoiser => (x0() - edm().c_skip * x / alpha) / edm().c_out,
    }
}
