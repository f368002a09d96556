//! Built-in 2-D datasets, each represented exactly as an isotropic Gaussian mixture.
//!
//! A mixture p_0 = sum_k w_k N(mu_k, v_k I) stays a mixture under the forward process
//! x_t = alpha_t x_0 + sigma_t eps (theory seed 000, "Forward process"):
//!
//! p_t = sum_k w_k N(alpha mu_k, s_k I),   s_k = alpha^2 v_k + sigma^2,
//!
//! so its noised density and score are exact at every t. The mixture of 8 Gaussians is one
//! directly; the curves (two moons, spiral) are many narrow components ("knots") placed densely
//! along the curve, closer together than their standard deviation, so the density is smooth along
//! the curve. The exact score is what the reverse process needs (seed 000, "Reverse process"), and
//! it is the reference a trained network is compared with.
//!
//! [`GaussianMixture::score_noised`] is the CPU twin of `mixture_score` in
//! `shaders/common/mixture.wgsl`, and [`MixtureComponent`] mirrors the WGSL struct of that file.

use serde::{Deserialize, Serialize};
use std::f64::consts::{PI, TAU};

use crate::core::rng;

/// Number of components of the "8 Gaussians" mixture.
pub const EIGHT_GAUSSIANS_COUNT: usize = 8;
/// Radius of the circle the 8 Gaussians sit on.
pub const EIGHT_GAUSSIANS_RADIUS: f64 = 2.0;
/// Standard deviation of each of the 8 Gaussians.
pub const EIGHT_GAUSSIANS_STD: f64 = 0.15;

/// Knots (components) along each of the two moons; spaced evenly in angle, hence in arc length.
pub const TWO_MOONS_KNOTS_PER_MOON: usize = 100;
/// Half the width of the two moons after scaling: they span [-2.2, 2.2] in x ([-1.1, 1.1] in y).
pub const TWO_MOONS_HALF_WIDTH: f64 = 2.2;
/// Standard deviation of each two-moons knot (after scaling). The knots are 0.046 apart.
pub const TWO_MOONS_STD: f64 = 0.08;
/// Width of sklearn's `make_moons` geometry before scaling: x spans [-1, 2].
const TWO_MOONS_RAW_WIDTH: f64 = 3.0;
/// Centre of sklearn's `make_moons` geometry (also its mean), moved to the origin.
const TWO_MOONS_RAW_CENTRE: [f64; 2] = [0.5, 0.25];
/// Vertical offset of sklearn's lower moon: (1 - cos th, 1/2 - sin th).
const TWO_MOONS_LOWER_OFFSET: f64 = 0.5;

/// Knots (components) along the spiral, spaced evenly in arc length (0.05 apart).
pub const SPIRAL_KNOTS: usize = 300;
/// Full turns of the spiral.
pub const SPIRAL_TURNS: f64 = 2.0;
/// Radius at the inner end of the spiral.
pub const SPIRAL_INNER_RADIUS: f64 = 0.2;
/// Radius at the outer end of the spiral.
pub const SPIRAL_OUTER_RADIUS: f64 = 2.2;
/// Standard deviation of each spiral knot.
pub const SPIRAL_STD: f64 = 0.07;
/// Bisection steps that invert the spiral's arc length (each halves an interval of < 15 radians).
const SPIRAL_BISECTION_STEPS: usize = 60;

/// A built-in 2-D data distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    /// "8 Gaussians": equal-weight components on a circle of radius [`EIGHT_GAUSSIANS_RADIUS`].
    GaussianMixture,
    /// Two interleaving half circles (the geometry of sklearn's `make_moons`), centred and scaled.
    TwoMoons,
    /// A two-turn Archimedean spiral with uniform density along its arc length.
    Spiral,
}

impl Dataset {
    /// Every dataset, in the order the UI lists them.
    pub const ALL: [Dataset; 3] = [Dataset::GaussianMixture, Dataset::TwoMoons, Dataset::Spiral];

    /// The identifier used in options, share links and weight file names.
    pub fn name(self) -> &'static str {
        match self {
            Dataset::GaussianMixture => "gaussian_mixture",
            Dataset::TwoMoons => "two_moons",
            Dataset::Spiral => "spiral",
        }
    }

    /// Parses [`Dataset::name`].
    pub fn from_name(name: &str) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.name() == name)
    }

    /// Stable numeric id stored in weight files.
    pub fn id(self) -> u32 {
        match self {
            Dataset::GaussianMixture => 0,
            Dataset::TwoMoons => 1,
            Dataset::Spiral => 2,
        }
    }

    /// Inverse of [`Dataset::id`].
    pub fn from_id(id: u32) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.id() == id)
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Dataset::GaussianMixture => "8 Gaussians",
            Dataset::TwoMoons => "Two moons",
            Dataset::Spiral => "Spiral",
        }
    }

    /// The exact distribution, built on each call (a few hundred components; cheap).
    pub fn mixture(self) -> GaussianMixture {
        match self {
            Dataset::GaussianMixture => eight_gaussians(),
            Dataset::TwoMoons => two_moons(),
            Dataset::Spiral => spiral(),
        }
    }

    /// `n` samples for `seed`: `self.mixture().sample(seed, 0, n)`.
    pub fn sample(self, seed: u32, n: usize) -> Vec<[f32; 2]> {
        self.mixture().sample(seed, 0, n)
    }
}

/// One isotropic component N(mean, variance I) with weight exp(log_weight), laid out for the GPU.
///
/// Keep in sync with `struct MixtureComponent` in `shaders/common/mixture.wgsl`
/// (`mean: vec2<f32>, variance: f32, log_weight: f32`; 16 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct MixtureComponent {
    /// Mean mu_k.
    pub mean: [f32; 2],
    /// Per-coordinate variance v_k > 0.
    pub variance: f32,
    /// ln w_k of the normalised weight (the weights sum to 1).
    pub log_weight: f32,
}

/// An isotropic Gaussian mixture sum_k w_k N(mu_k, v_k I) in 2-D.
///
/// Built by [`GaussianMixture::new`] it has at least one component, finite means, positive finite
/// variances and normalised weights; the field is public so the GPU can upload it as it is.
#[derive(Clone, Debug, PartialEq)]
pub struct GaussianMixture {
    /// The components; their weights exp(log_weight) sum to 1.
    pub components: Vec<MixtureComponent>,
}

impl GaussianMixture {
    /// A mixture whose component k is `N(means[k], variances[k] I)` with weight
    /// `weights[k] / sum(weights)`.
    ///
    /// Errors (naming the offending component) unless the three slices have the same, non-zero
    /// length, every mean is finite, every weight is finite and positive, and every variance is
    /// finite and positive (also after rounding to `f32`).
    pub fn new(means: &[[f64; 2]], weights: &[f64], variances: &[f64]) -> Result<GaussianMixture, String> {
        if means.is_empty() {
            return Err("a Gaussian mixture needs at least one component".to_string());
        }
        if weights.len() != means.len() || variances.len() != means.len() {
            return Err(format!(
                "a Gaussian mixture needs as many weights and variances as means \
                 ({} means, {} weights, {} variances)",
                means.len(),
                weights.len(),
                variances.len()
            ));
        }
        for (k, ((mean, &weight), &variance)) in means.iter().zip(weights).zip(variances).enumerate() {
            if !mean.iter().all(|m| m.is_finite() && (*m as f32).is_finite()) {
                return Err(format!("component {k}: mean {mean:?} is not finite (as an f32)"));
            }
            if !(weight.is_finite() && weight > 0.0) {
                return Err(format!("component {k}: weight {weight} must be positive and finite"));
            }
            if !(variance.is_finite() && variance as f32 > 0.0 && (variance as f32).is_finite()) {
                return Err(format!(
                    "component {k}: variance {variance} must be positive and finite (as an f32)"
                ));
            }
        }
        let total: f64 = weights.iter().sum();
        if !total.is_finite() {
            return Err(format!("the weights sum to {total}, which is not finite"));
        }
        Ok(Self::from_valid_parts(means, weights.iter().map(|w| w / total), variances.iter().copied()))
    }

    /// An equal-weight mixture of `N(means[k], variance I)`; the errors of [`GaussianMixture::new`].
    pub fn equal_weights(means: &[[f64; 2]], variance: f64) -> Result<GaussianMixture, String> {
        Self::new(means, &vec![1.0; means.len()], &vec![variance; means.len()])
    }

    /// The empirical distribution of `points` (equal weights, variance 0). Its noised version
    /// p_t = (1/M) sum_i N(alpha_t x_i, sigma_t^2 I) is the distribution whose exact score the
    /// ideal denoiser of a finite training set follows: sampling with it reproduces the training
    /// points themselves (memorisation), which a network generalising from them does not.
    /// `None` when `points` is empty or holds a non-finite coordinate.
    pub fn empirical(points: &[[f32; 2]]) -> Option<GaussianMixture> {
        if points.is_empty() || points.iter().flatten().any(|v| !v.is_finite()) {
            return None;
        }
        let log_weight = -(points.len() as f32).ln();
        let components =
            points.iter().map(|p| MixtureComponent { mean: *p, variance: 0.0, log_weight }).collect();
        Some(GaussianMixture { components })
    }

    /// Builds the components without checks; `weights` must already be normalised.
    fn from_valid_parts(
        means: &[[f64; 2]],
        weights: impl Iterator<Item = f64>,
        variances: impl Iterator<Item = f64>,
    ) -> GaussianMixture {
        let components = means
            .iter()
            .zip(weights)
            .zip(variances)
            .map(|((mean, weight), variance)| MixtureComponent {
                mean: [mean[0] as f32, mean[1] as f32],
                variance: variance as f32,
                log_weight: weight.ln() as f32,
            })
            .collect();
        GaussianMixture { components }
    }

    /// The normalised weights w_k = exp(log_weight_k) (in f64, renormalised to sum to 1 exactly
    /// up to rounding, so that the f32 log weights define the distribution).
    pub fn weights(&self) -> Vec<f64> {
        let raw: Vec<f64> = self.components.iter().map(|c| (c.log_weight as f64).exp()).collect();
        let total: f64 = raw.iter().sum();
        raw.into_iter().map(|w| w / total).collect()
    }

    /// `n` samples x_i, i = first_index..first_index + n, each keyed by
    /// `rng::words(seed, i, 0, rng::stream::DATA)`: the component is the inverse CDF of
    /// `uniform(w[0])` over the cumulative weights, and
    /// `x_i = mu_k + sqrt(v_k) box_muller(w[1], w[2])`.
    pub fn sample(&self, seed: u32, first_index: u32, n: usize) -> Vec<[f32; 2]> {
        let cumulative: Vec<f64> = self
            .weights()
            .into_iter()
            .scan(0.0, |sum, w| {
                *sum += w;
                Some(*sum)
            })
            .collect();
        let last = cumulative.len().saturating_sub(1);
        (0..n)
            .map(|offset| {
                let index = first_index.wrapping_add(offset as u32);
                let w = rng::words(seed, index, 0, rng::stream::DATA);
                let u = rng::uniform(w[0]) as f64;
                // First component whose cumulative weight reaches u; rounding can leave the last
                // cumulative weight a hair below 1, so clamp to the last component.
                let k = cumulative.partition_point(|&c| c < u).min(last);
                let c = &self.components[k];
                let z = rng::box_muller(w[1], w[2]);
                let std = c.variance.sqrt();
                [c.mean[0] + std * z[0], c.mean[1] + std * z[1]]
            })
            .collect()
    }

    /// ln p_t(x) of x_t = alpha x_0 + sigma eps, x_0 from the mixture:
    /// ln sum_k w_k N(x; alpha mu_k, s_k I), s_k = alpha^2 v_k + sigma^2 (log-sum-exp, f64).
    pub fn log_density_noised(&self, x: [f64; 2], alpha: f64, sigma: f64) -> f64 {
        let log_terms: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                let s = alpha * alpha * c.variance as f64 + sigma * sigma;
                let d = [x[0] - alpha * c.mean[0] as f64, x[1] - alpha * c.mean[1] as f64];
                // 2-D normal: (2 pi s)^-1 exp(-|d|^2 / (2 s)).
                c.log_weight as f64 - (d[0] * d[0] + d[1] * d[1]) / (2.0 * s) - (TAU * s).ln()
            })
            .collect();
        let max_log = log_terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        max_log + log_terms.iter().map(|l| (l - max_log).exp()).sum::<f64>().ln()
    }

    /// The exact score grad_x ln p_t(x) = sum_k r_k(x) (alpha mu_k - x) / s_k, with r_k the
    /// posterior responsibilities and s_k = alpha^2 v_k + sigma^2.
    ///
    /// CPU twin of `mixture_score` in `shaders/common/mixture.wgsl`, written the same way: a first
    /// pass finds the largest log responsibility, a second accumulates exp(log r_k - max) and the
    /// weighted (alpha mu_k - x) / s_k. NaN for a mixture without components.
    pub fn score_noised(&self, x: [f32; 2], alpha: f32, sigma: f32) -> [f32; 2] {
        let mut max_log = f32::MIN;
        for c in &self.components {
            max_log = max_log.max(mixture_log_responsibility(c, x, alpha, sigma));
        }
        let mut total = 0.0;
        let mut score = [0.0f32; 2];
        for c in &self.components {
            let r = (mixture_log_responsibility(c, x, alpha, sigma) - max_log).exp();
            let s = alpha * alpha * c.variance + sigma * sigma;
            total += r;
            score[0] += r * (alpha * c.mean[0] - x[0]) / s;
            score[1] += r * (alpha * c.mean[1] - x[1]) / s;
        }
        [score[0] / total, score[1] / total]
    }

    /// [`GaussianMixture::score_noised`] in f64: the reference for tests.
    pub fn score_noised_f64(&self, x: [f64; 2], alpha: f64, sigma: f64) -> [f64; 2] {
        let log_responsibility = |c: &MixtureComponent| {
            let s = alpha * alpha * c.variance as f64 + sigma * sigma;
            let d = [x[0] - alpha * c.mean[0] as f64, x[1] - alpha * c.mean[1] as f64];
            c.log_weight as f64 - (d[0] * d[0] + d[1] * d[1]) / (2.0 * s) - s.ln()
        };
        let max_log = self.components.iter().map(log_responsibility).fold(f64::MIN, f64::max);
        let mut total = 0.0;
        let mut score = [0.0f64; 2];
        for c in &self.components {
            let r = (log_responsibility(c) - max_log).exp();
            let s = alpha * alpha * c.variance as f64 + sigma * sigma;
            total += r;
            score[0] += r * (alpha * c.mean[0] as f64 - x[0]) / s;
            score[1] += r * (alpha * c.mean[1] as f64 - x[1]) / s;
        }
        [score[0] / total, score[1] / total]
    }

    /// Mean sum_k w_k mu_k of the mixture.
    pub fn mean(&self) -> [f64; 2] {
        let mut mean = [0.0; 2];
        for (c, w) in self.components.iter().zip(self.weights()) {
            mean[0] += w * c.mean[0] as f64;
            mean[1] += w * c.mean[1] as f64;
        }
        mean
    }

    /// Covariance matrix sum_k w_k (v_k I + mu_k mu_k^T) - m m^T, m the mean.
    pub fn covariance(&self) -> [[f64; 2]; 2] {
        let m = self.mean();
        let mut cov = [[0.0; 2]; 2];
        for (c, w) in self.components.iter().zip(self.weights()) {
            // Centred means keep the sum accurate when the mean is far from the origin.
            let d = [c.mean[0] as f64 - m[0], c.mean[1] as f64 - m[1]];
            let v = c.variance as f64;
            cov[0][0] += w * (v + d[0] * d[0]);
            cov[0][1] += w * d[0] * d[1];
            cov[1][0] += w * d[1] * d[0];
            cov[1][1] += w * (v + d[1] * d[1]);
        }
        cov
    }

    /// Trace of [`GaussianMixture::covariance`]: E|x - m|^2.
    pub fn covariance_trace(&self) -> f64 {
        let cov = self.covariance();
        cov[0][0] + cov[1][1]
    }
}

/// ln r_k up to a constant shared by all k: ln w_k - |x - alpha mu_k|^2 / (2 s_k) - ln s_k
/// (the 2-D normaliser is (2 pi s_k)^-1; the 2 pi cancels). Twin of the WGSL function of this name.
fn mixture_log_responsibility(c: &MixtureComponent, x: [f32; 2], alpha: f32, sigma: f32) -> f32 {
    let s = alpha * alpha * c.variance + sigma * sigma;
    let d = [x[0] - alpha * c.mean[0], x[1] - alpha * c.mean[1]];
    c.log_weight - (d[0] * d[0] + d[1] * d[1]) / (2.0 * s) - s.ln()
}

/// Equal-weight mixture of narrow components at `means` (the datasets' constants are valid).
fn equal_weight_knots(means: &[[f64; 2]], std: f64) -> GaussianMixture {
    let weight = 1.0 / means.len() as f64;
    GaussianMixture::from_valid_parts(
        means,
        std::iter::repeat_n(weight, means.len()),
        std::iter::repeat_n(std * std, means.len()),
    )
}

/// "8 Gaussians": [`EIGHT_GAUSSIANS_COUNT`] equal-weight components at angles 2 pi k / 8 on a
/// circle of radius [`EIGHT_GAUSSIANS_RADIUS`], each with std [`EIGHT_GAUSSIANS_STD`].
fn eight_gaussians() -> GaussianMixture {
    let means: Vec<[f64; 2]> = (0..EIGHT_GAUSSIANS_COUNT)
        .map(|k| {
            let angle = TAU * k as f64 / EIGHT_GAUSSIANS_COUNT as f64;
            [EIGHT_GAUSSIANS_RADIUS * angle.cos(), EIGHT_GAUSSIANS_RADIUS * angle.sin()]
        })
        .collect();
    equal_weight_knots(&means, EIGHT_GAUSSIANS_STD)
}

/// Two moons: sklearn's `make_moons` curves, upper (cos th, sin th) and lower
/// (1 - cos th, 1/2 - sin th) for th in [0, pi], with [`TWO_MOONS_KNOTS_PER_MOON`] knots each
/// (evenly spaced in th, so in arc length), moved so their centre (0.5, 0.25) is at the origin and
/// scaled so x spans [-TWO_MOONS_HALF_WIDTH, TWO_MOONS_HALF_WIDTH]. Knot std [`TWO_MOONS_STD`].
fn two_moons() -> GaussianMixture {
    let scale = 2.0 * TWO_MOONS_HALF_WIDTH / TWO_MOONS_RAW_WIDTH;
    let [cx, cy] = TWO_MOONS_RAW_CENTRE;
    let step = PI / (TWO_MOONS_KNOTS_PER_MOON - 1) as f64;
    let upper = (0..TWO_MOONS_KNOTS_PER_MOON).map(|i| {
        let th = step * i as f64;
        [th.cos(), th.sin()]
    });
    let lower = (0..TWO_MOONS_KNOTS_PER_MOON).map(|i| {
        let th = step * i as f64;
        [1.0 - th.cos(), TWO_MOONS_LOWER_OFFSET - th.sin()]
    });
    let means: Vec<[f64; 2]> =
        upper.chain(lower).map(|[x, y]| [scale * (x - cx), scale * (y - cy)]).collect();
    equal_weight_knots(&means, TWO_MOONS_STD)
}

/// Spiral: the Archimedean spiral r = b theta, going [`SPIRAL_TURNS`] turns from radius
/// [`SPIRAL_INNER_RADIUS`] out to [`SPIRAL_OUTER_RADIUS`], at polar angle theta; [`SPIRAL_KNOTS`]
/// equal-weight knots evenly spaced in arc length (so the density is uniform along the curve),
/// each with std [`SPIRAL_STD`].
fn spiral() -> GaussianMixture {
    let b = (SPIRAL_OUTER_RADIUS - SPIRAL_INNER_RADIUS) / (TAU * SPIRAL_TURNS);
    let (theta_inner, theta_outer) = (SPIRAL_INNER_RADIUS / b, SPIRAL_OUTER_RADIUS / b);
    // Arc length from theta = 0: s(theta) = (b / 2) (theta sqrt(1 + theta^2) + asinh theta).
    let arc_length = |theta: f64| 0.5 * b * (theta * (1.0 + theta * theta).sqrt() + theta.asinh());
    let (s_inner, s_outer) = (arc_length(theta_inner), arc_length(theta_outer));
    let means: Vec<[f64; 2]> = (0..SPIRAL_KNOTS)
        .map(|i| {
            let target = s_inner + (s_outer - s_inner) * i as f64 / (SPIRAL_KNOTS - 1) as f64;
            // s is increasing in theta: bisect for s(theta) = target.
            let (mut lo, mut hi) = (theta_inner, theta_outer);
            for _ in 0..SPIRAL_BISECTION_STEPS {
                let mid = 0.5 * (lo + hi);
                if arc_length(mid) < target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let theta = 0.5 * (lo + hi);
            [b * theta * theta.cos(), b * theta * theta.sin()]
        })
        .collect();
    equal_weight_knots(&means, SPIRAL_STD)
}
