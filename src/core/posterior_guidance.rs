//! Approximate posterior sampling for a linear-Gaussian measurement y = A x0 + n,
//! n ~ N(0, s^2 I) (docs/features.md, "Inverse problems"): the reverse run's score becomes
//! grad log p_t(x) + w grad log p~(y | x_t), with p(y | x_t) replaced by a Gaussian around the
//! measurement of the Tweedie denoiser x0_hat(x_t) = (x - sigma eps_hat) / alpha (Efron 2011):
//!
//! ```text
//! DPS   (Chung et al. 2023, "Diffusion Posterior Sampling for General Noisy Inverse Problems",
//!        eq. 16):        p(y | x_t) ~ N(y; A x0_hat(x_t), s^2 I)
//! PiGDM (Song et al. 2023, "Pseudoinverse-Guided Diffusion Models for Inverse Problems",
//!        eq. 7-8):       p(y | x_t) ~ N(y; A x0_hat(x_t), r_t^2 A A^T + s^2 I),
//!                        r_t^2 = sigma^2 / (alpha^2 + sigma^2)
//! grad_x log p~(y | x_t) = J^T A^T M^-1 (y - A x0_hat),   J = d x0_hat / d x = (I - sigma d eps_hat / d x) / alpha
//! eps_guided            = eps_hat - sigma w grad_x log p~(y | x_t)       (eps = -sigma score)
//! ```
//!
//! with M = s^2 I (DPS) or r_t^2 A A^T + s^2 I (PiGDM; their r_t^2 = sigma_t^2 / (1 + sigma_t^2)
//! for x_t = x0 + sigma_t eps, i.e. the variance of x0 given x_t under a unit Gaussian prior,
//! written here in the frame x_t = alpha x0 + sigma eps). Both treat M as constant in x, as
//! the papers do. DPS's Algorithm 1 takes a step zeta / |y - A x0_hat| on the squared residual
//! instead of the likelihood's 1 / s^2; here the likelihood form is kept and w scales it (w = 1:
//! eq. 16 as written). In 2-D the Jacobian d eps_hat / d x is exact: forward mode through the MLP
//! (`Mlp::forward_with_jacobian`), or the Hessian of the mixture's log-density
//! (`GaussianMixture::score_jacobian_noised`). Neither method samples p(x0 | y) exactly; the
//! exact posterior (`core::posterior`) is the reference they are measured against.

use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use crate::core::names;
use crate::core::posterior::Observation;
use crate::core::sampler::Evaluation;

/// How a run conditions on a measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum PosteriorMethod {
    /// No measurement: the prior.
    None,
    /// The exact posterior's score (`core::posterior`): samples p(x0 | y) up to the sampler's
    /// error.
    Exact,
    /// Diffusion posterior sampling (Chung et al. 2023).
    Dps,
    /// Pseudoinverse-guided diffusion (Song et al. 2023).
    Pigdm,
    /// Twisted sequential Monte Carlo (Wu et al. 2023; `core::smc`): PiGDM's likelihood as the
    /// twist, importance weights and resampling by effective sample size.
    Smc,
}

impl PosteriorMethod {
    /// Every method, in the order the UI lists them (declaration order).
    pub const ALL: [PosteriorMethod; 5] = names::all(PosteriorMethod::VARIANTS);

    /// The identifier of options and links.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`PosteriorMethod::name`].
    pub fn from_name(name: &str) -> Option<PosteriorMethod> {
        names::from_name(name)
    }

    /// Human label.
    pub fn label(self) -> &'static str {
        match self {
            PosteriorMethod::None => "None (the prior)",
            PosteriorMethod::Exact => "Exact posterior score",
            PosteriorMethod::Dps => "DPS (Chung et al. 2023)",
            PosteriorMethod::Pigdm => "PiGDM (Song et al. 2023)",
            PosteriorMethod::Smc => "SMC, twisted (Wu et al. 2023)",
        }
    }

    /// The code of the method in [`ObservationParams::method`] (0: no likelihood guidance, which
    /// is also what the exact posterior uses: its score needs none; SMC proposes with PiGDM's).
    fn code(self) -> u32 {
        match self {
            PosteriorMethod::None | PosteriorMethod::Exact => 0,
            PosteriorMethod::Dps => 1,
            PosteriorMethod::Pigdm | PosteriorMethod::Smc => 2,
        }
    }

    /// Whether the method adds a likelihood gradient to the prior's score (DPS and PiGDM).
    pub fn guides(self) -> bool {
        self.code() != 0
    }
}

/// The measurement and method as the GPU reads them (48 bytes, the layout of
/// `ObservationParams` in `shaders/common/posterior_guidance.wgsl`; checked by
/// `tests/it/gpu_layout.rs`). A second row of zeros with `row_count` 1 is a 1 x 2 A.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable, Serialize, Deserialize,
)]
pub struct ObservationParams {
    /// The first row of A.
    pub row0: [f32; 2],
    /// The second row of A (zeros for one row).
    pub row1: [f32; 2],
    /// The measured y (second value 0 for one row).
    pub y: [f32; 2],
    /// s^2.
    pub noise_variance: f32,
    /// Rows of A (1 or 2).
    pub row_count: u32,
    /// 0: none, 1: DPS, 2: PiGDM.
    pub method: u32,
    /// Padding to the WGSL struct's size.
    pub padding: [u32; 3],
}

impl ObservationParams {
    /// No likelihood guidance (every unconditioned run).
    pub fn none() -> ObservationParams {
        ObservationParams::default()
    }

    /// `observation` guided by `method` (DPS or PiGDM; any other method gives
    /// [`ObservationParams::none`]).
    pub fn new(observation: &Observation, method: PosteriorMethod) -> ObservationParams {
        if !method.guides() {
            return ObservationParams::none();
        }
        let row = |i: usize| observation.rows.get(i).map_or([0.0; 2], |r| [r[0] as f32, r[1] as f32]);
        let y = |i: usize| observation.y.get(i).map_or(0.0, |&v| v as f32);
        ObservationParams {
            row0: row(0),
            row1: row(1),
            y: [y(0), y(1)],
            noise_variance: (observation.noise * observation.noise) as f32,
            row_count: observation.rows.len() as u32,
            method: method.code(),
            padding: [0; 3],
        }
    }

    /// Whether these parameters guide at all.
    pub fn guides(&self) -> bool {
        self.method != 0
    }
}

/// Smallest alpha at which x0_hat = (x - sigma eps_hat) / alpha is formed; below it (pure noise)
/// the likelihood gradient is skipped.
pub const MIN_GUIDED_ALPHA: f32 = 1e-4;

/// grad_x log p~(y | x_t) of DPS or PiGDM (see the module docs), from eps_hat at x and its
/// Jacobian `jacobian[i][j]` = d eps_i / d x_j. Zero where alpha < [`MIN_GUIDED_ALPHA`] or for
/// [`ObservationParams::none`]. Twin of `likelihood_gradient` in
/// `shaders/common/posterior_guidance.wgsl`.
pub fn likelihood_gradient(
    params: &ObservationParams,
    x: [f32; 2],
    eps: [f32; 2],
    jacobian: [[f32; 2]; 2],
    alpha: f32,
    sigma: f32,
) -> [f32; 2] {
    if !params.guides() || alpha < MIN_GUIDED_ALPHA {
        return [0.0; 2];
    }
    let x0 = [(x[0] - sigma * eps[0]) / alpha, (x[1] - sigma * eps[1]) / alpha];
    // J[i][j] = d x0_i / d x_j.
    let j = |i: usize, k: usize| ((i == k) as u32 as f32 - sigma * jacobian[i][k]) / alpha;
    let (a0, a1) = (params.row0, params.row1);
    let residual0 = params.y[0] - (a0[0] * x0[0] + a0[1] * x0[1]);
    let residual1 = params.y[1] - (a1[0] * x0[0] + a1[1] * x0[1]);
    let s2 = params.noise_variance;
    // v = M^-1 r.
    let v = if params.method == 1 {
        [residual0 / s2, residual1 / s2]
    } else {
        let r2 = sigma * sigma / (alpha * alpha + sigma * sigma);
        let m00 = r2 * (a0[0] * a0[0] + a0[1] * a0[1]) + s2;
        if params.row_count == 1 {
            [residual0 / m00, 0.0]
        } else {
            let m01 = r2 * (a0[0] * a1[0] + a0[1] * a1[1]);
            let m11 = r2 * (a1[0] * a1[0] + a1[1] * a1[1]) + s2;
            let det = m00 * m11 - m01 * m01;
            [(m11 * residual0 - m01 * residual1) / det, (m00 * residual1 - m01 * residual0) / det]
        }
    };
    // u = A^T v, then J^T u.
    let u = [a0[0] * v[0] + a1[0] * v[1], a0[1] * v[0] + a1[1] * v[1]];
    [j(0, 0) * u[0] + j(1, 0) * u[1], j(0, 1) * u[0] + j(1, 1) * u[1]]
}

/// Largest norm of the correction sigma w grad log p~(y | x_t) added to eps_hat, in units of eps
/// (whose norm is about 1.4 in 2-D). Both approximations are stiff where s is small and the
/// steps are long (the likelihood pulls with 1 / s^2): unclipped, a few steps overshoot without
/// bound and the particles overflow. Clipped, such a setting gives scattered but finite
/// particles, and the posterior table shows where it happens; below the clip (every
/// well-resolved run) the methods are exactly those of the papers.
pub const MAX_LIKELIHOOD_CORRECTION: f32 = 10.0;

/// eps_hat guided toward the measurement with weight `weight`: eps - sigma weight grad log
/// p~(y | x_t), the correction clipped to norm [`MAX_LIKELIHOOD_CORRECTION`]; `eps` itself where
/// the weight is 0 or the correction is not finite. Twin of `posterior_guided` in
/// `shaders/common/posterior_guidance.wgsl`.
pub fn posterior_guided_eps(
    params: &ObservationParams,
    x: [f32; 2],
    eps: [f32; 2],
    jacobian: [[f32; 2]; 2],
    evaluation: &Evaluation,
    weight: f32,
) -> [f32; 2] {
    if weight == 0.0 {
        return eps;
    }
    let g = likelihood_gradient(params, x, eps, jacobian, evaluation.alpha, evaluation.sigma);
    let k = evaluation.sigma * weight;
    let correction = [k * g[0], k * g[1]];
    let norm = (correction[0] * correction[0] + correction[1] * correction[1]).sqrt();
    if !norm.is_finite() {
        return eps;
    }
    let clip = if norm > MAX_LIKELIHOOD_CORRECTION { MAX_LIKELIHOOD_CORRECTION / norm } else { 1.0 };
    [eps[0] - clip * correction[0], eps[1] - clip * correction[1]]
}
