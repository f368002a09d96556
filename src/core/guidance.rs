//! Guidance toward a class (docs/features.md), with the exact classifier of a
//! Gaussian mixture whose class components are marked (`core::classes::marked`).
//!
//! Classifier guidance (Dhariwal and Nichol 2021, eq. 10 and Alg. 1) adds a scaled gradient of
//! the classifier to the score:
//!
//! ```text
//! grad log p~_t(x | c) = grad log p_t(x) + w grad log p_t(c | x),
//! grad log p_t(c | x)  = grad log p_t(x | c) - grad log p_t(x)            (Bayes' rule)
//! eps_guided           = eps_hat(x) - sigma_t w grad log p_t(c | x)         (eps = -sigma score)
//! ```
//!
//! Classifier-free guidance (Ho and Salimans 2022) combines a conditional and an unconditional
//! prediction, eps_guided = eps(x, empty) + w (eps(x, c) - eps(x, empty)). This is the
//! convention of diffusers' `guidance_scale` (w = 1: the conditional model, w = 0: the
//! unconditional one); Ho and Salimans write (1 + w') eps(x, c) - w' eps(x, empty), so their
//! w' = w - 1. With exact scores both forms are the same vector field: the score of the tilted
//! density p_t(x | c)^w p_t(x)^(1 - w) (its log is w ln p_t(x | c) + (1 - w) ln p_t(x) up to a
//! constant). Samplers driven by it do not sample the tilted density at t = 0 exactly, because
//! the tilted densities at different t are not related by the forward process;
//! [`tilted_probabilities`] gives it on bins so that a view can show by how much.
//!
//! Guidance may be limited to an interval of noise levels (Kynkaanniemi et al. 2024, "Applying
//! guidance in a limited interval improves sample and distribution quality in diffusion models",
//! eq. 6): inside [low, high] of EDM's noise level sigma / alpha the weight is w, outside it is 1
//! (the conditional score, no guidance). [`guidance_weights`] computes the weight of every
//! evaluation of a plan once; the GPU reads the same numbers (`shaders/common/guidance.wgsl`).

use crate::core::classes::log_sum_exp;
use crate::core::dataset::GaussianMixture;
use crate::core::histogram::{self, Bins};
use crate::core::mixture::{mixture_component_score, mixture_log_responsibility};
use crate::core::sampler::{Evaluation, ReverseStep};

/// Largest guidance scale w.
pub const MAX_GUIDANCE_SCALE: f64 = 20.0;
/// Largest end of the guidance interval, in EDM's noise level sigma / alpha; an upper end at
/// this value leaves the interval open above (every noise level from the lower end up).
pub const MAX_GUIDANCE_NOISE: f64 = 1000.0;

/// A guidance scale and the interval of noise levels it applies in.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Guidance {
    /// The weight w of the classifier gradient (1: conditional sampling, 0: unconditional).
    pub scale: f64,
    /// Lower end of the interval of sigma / alpha where the scale applies.
    pub noise_low: f64,
    /// Upper end ([`MAX_GUIDANCE_NOISE`]: no upper end).
    pub noise_high: f64,
}

impl Guidance {
    /// Guidance with `scale` at every noise level.
    pub fn everywhere(scale: f64) -> Guidance {
        Guidance { scale, noise_low: 0.0, noise_high: MAX_GUIDANCE_NOISE }
    }

    /// The weight of the classifier gradient at a point of the schedule with `alpha` and
    /// `sigma`: the scale where noise_low <= sigma / alpha <= noise_high (compared without
    /// dividing, so alpha = 0 is an infinite noise level), else 1.
    pub fn weight_at(&self, alpha: f32, sigma: f32) -> f32 {
        let (alpha, sigma) = (alpha as f64, sigma as f64);
        let above_low = sigma >= self.noise_low * alpha;
        let below_high = self.noise_high >= MAX_GUIDANCE_NOISE || sigma <= self.noise_high * alpha;
        if above_low && below_high {
            self.scale as f32
        } else {
            1.0
        }
    }

    /// [`Guidance::weight_at`] an evaluation.
    pub fn weight(&self, evaluation: &Evaluation) -> f32 {
        self.weight_at(evaluation.alpha, evaluation.sigma)
    }
}

/// The guidance weight of every evaluation of `steps`: rows 2i and 2i + 1 belong to the two
/// evaluations of step i, as the GPU reads them (`guidance_weights` of the reverse kernels).
/// Zero everywhere without guidance (the kernels then skip the classifier).
pub fn guidance_weights(steps: &[ReverseStep], guidance: Option<&Guidance>) -> Vec<f32> {
    steps.iter().flat_map(|s| [s.eval1, s.eval2]).map(|e| guidance.map_or(0.0, |g| g.weight(&e))).collect()
}

/// grad log p_t(c | x) = grad log p_t(x | c) - grad log p_t(x) of `mixture` (class c: its
/// marked components), in f32 as the GPU computes it: one pass finds the largest log
/// responsibility over all components and over the class, a second accumulates both scores.
/// CPU twin of `class_log_posterior_gradient` in `shaders/common/guidance.wgsl`. NaN when no
/// component is marked.
pub fn class_log_posterior_gradient(
    mixture: &GaussianMixture,
    x: [f32; 2],
    alpha: f32,
    sigma: f32,
) -> [f32; 2] {
    let (mut max_all, mut max_class) = (f32::MIN, f32::MIN);
    for c in &mixture.components {
        let l = mixture_log_responsibility(c, x, alpha, sigma);
        max_all = max_all.max(l);
        if c.class_member != 0 {
            max_class = max_class.max(l);
        }
    }
    let (mut total, mut total_class) = (0.0f32, 0.0f32);
    let (mut score, mut score_class) = ([0.0f32; 2], [0.0f32; 2]);
    for c in &mixture.components {
        let l = mixture_log_responsibility(c, x, alpha, sigma);
        let pull = mixture_component_score(c, x, alpha, sigma);
        let r = (l - max_all).exp();
        total += r;
        score[0] += r * pull[0];
        score[1] += r * pull[1];
        if c.class_member != 0 {
            let r = (l - max_class).exp();
            total_class += r;
            score_class[0] += r * pull[0];
            score_class[1] += r * pull[1];
        }
    }
    [score_class[0] / total_class - score[0] / total, score_class[1] / total_class - score[1] / total]
}

/// eps_hat guided with weight `weight`: eps - sigma weight grad log p_t(c | x); `eps` itself for
/// weight 0. Twin of `guided` in `shaders/common/guidance.wgsl`.
pub fn guided_eps(
    eps: [f32; 2],
    classes: &GaussianMixture,
    x: [f32; 2],
    evaluation: &Evaluation,
    weight: f32,
) -> [f32; 2] {
    if weight == 0.0 {
        return eps;
    }
    let gradient = class_log_posterior_gradient(classes, x, evaluation.alpha, evaluation.sigma);
    let k = evaluation.sigma * weight;
    [eps[0] - k * gradient[0], eps[1] - k * gradient[1]]
}

/// ln p_t(c | x) of the marked class (f64, log space: finite far from the data): the log of the
/// class's share of the posterior responsibilities.
pub fn log_class_posterior(mixture: &GaussianMixture, x: [f64; 2], alpha: f64, sigma: f64) -> f64 {
    let conditional = crate::core::classes::conditional(mixture);
    match conditional {
        Some(conditional) => {
            crate::core::classes::class_prior(mixture).ln() + conditional.log_density_noised(x, alpha, sigma)
                - mixture.log_density_noised(x, alpha, sigma)
        }
        None => f64::NEG_INFINITY,
    }
}

/// The unnormalised log of the tilted density w ln p_t(x | c) + (1 - w) ln p_t(x) (f64).
pub fn log_tilted_density(
    mixture: &GaussianMixture,
    conditional: &GaussianMixture,
    x: [f64; 2],
    alpha: f64,
    sigma: f64,
    scale: f64,
) -> f64 {
    let conditional_term = conditional.log_density_noised(x, alpha, sigma);
    if scale == 1.0 {
        return conditional_term;
    }
    scale * conditional_term + (1.0 - scale) * mixture.log_density_noised(x, alpha, sigma)
}

/// Points per axis of the grid on which the tilted density's normaliser is integrated.
const NORMALISER_POINTS: u32 = 160;
/// Standard deviations of the widest noised component the normaliser's grid reaches past the
/// farthest mean.
const NORMALISER_REACH: f64 = 8.0;

/// The probability of each bin of `bins` (row 0 at the top) under the tilted density
/// p_t(x | c)^w p_t(x)^(1 - w) / Z of `mixture`'s marked class noised to (alpha, sigma), with
/// w = `scale`. The bins' masses use the midpoint rule on 3 x 3 sub-bins
/// (`histogram::bin_probabilities`); Z is the midpoint rule on a grid wide enough for the
/// noised mixture (every mean plus [`NORMALISER_REACH`] standard deviations of the widest
/// component). For w = 1 the density is the class conditional, exactly normalised. `None`
/// without a marked component.
pub fn tilted_probabilities(
    mixture: &GaussianMixture,
    alpha: f64,
    sigma: f64,
    scale: f64,
    bins: &Bins,
) -> Option<Vec<f32>> {
    let conditional = crate::core::classes::conditional(mixture)?;
    if scale == 1.0 {
        return Some(histogram::exact_probabilities(&conditional, alpha, sigma, bins));
    }
    if scale == 0.0 {
        return Some(histogram::exact_probabilities(mixture, alpha, sigma, bins));
    }
    let log_q = |x: [f64; 2]| log_tilted_density(mixture, &conditional, x, alpha, sigma, scale);
    // Z on a wide grid, in log space.
    let reach = mixture
        .components
        .iter()
        .map(|c| {
            let spread = (alpha * alpha * c.cov_xx.max(c.cov_yy) as f64 + sigma * sigma).sqrt();
            alpha * (c.mean[0] as f64).abs().max((c.mean[1] as f64).abs()) + NORMALISER_REACH * spread
        })
        .fold(bins.half_extent as f64, f64::max);
    let wide = Bins { side: NORMALISER_POINTS, half_extent: reach as f32 };
    let wide_area = (2.0 * reach / NORMALISER_POINTS as f64).powi(2);
    let log_terms: Vec<f64> = (0..NORMALISER_POINTS)
        .flat_map(|row| (0..NORMALISER_POINTS).map(move |column| (row, column)))
        .map(|(row, column)| log_q(wide.centre(row, column)))
        .collect();
    let log_normaliser = log_sum_exp(log_terms.iter().copied()) + wide_area.ln();
    Some(histogram::bin_probabilities(bins, |x| (log_q(x) - log_normaliser).exp()))
}
