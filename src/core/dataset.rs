//! Built-in datasets, each represented exactly as a Gaussian mixture with full covariances.
//!
//! A mixture p_0 = sum_k w_k N(mu_k, Sigma_k) stays a mixture under the forward process
//! x_t = alpha_t x_0 + sigma_t eps (Ho et al. 2020, eq. 4; Kingma et al. 2021):
//!
//! p_t = sum_k w_k N(alpha mu_k, C_k),   C_k = alpha^2 Sigma_k + sigma^2 I,
//!
//! so its noised density and score are exact at every t. The mixture of 8 Gaussians is one
//! directly, the pinwheel's arms are tilted, elongated components (full covariances), and the 1-D
//! mixture of two narrow normals (the picture of docs/theory.md) lives on the x axis with
//! components flat in y (Sigma_yy = 0: the y coordinate is pure noise that the reverse process
//! returns to 0, while x follows the 1-D process exactly, the coordinates being independent). The
//! curves (two moons, spiral) are many narrow components ("knots") placed densely
//! along the curve, closer together than their standard deviation, so the density is smooth along
//! the curve. The exact score is what the reverse process needs (Song et al. 2021, eq. 6), and
//! it is the reference a trained network is compared with.
//!
//! [`GaussianMixture::score_noised`] is the CPU twin of `mixture_score` in
//! `shaders/common/mixture.wgsl`, and [`MixtureComponent`] mirrors the WGSL struct of that file.

use serde::{Deserialize, Serialize};
use std::f64::consts::{PI, TAU};
use strum::{IntoStaticStr, VariantArray};

use crate::core::names;
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
/// Arms of the pinwheel.
pub const PINWHEEL_ARMS: usize = 5;
/// Distance of each pinwheel arm's centre from the origin.
pub const PINWHEEL_RADIUS: f64 = 1.3;
/// Standard deviation of a pinwheel arm along its length.
pub const PINWHEEL_LENGTH_STD: f64 = 0.5;
/// Standard deviation of a pinwheel arm across it.
pub const PINWHEEL_WIDTH_STD: f64 = 0.1;
/// Angle between a pinwheel arm's axis and the radius through its centre (the "swirl").
pub const PINWHEEL_TILT: f64 = 0.5;

/// Squares per side of the checkerboard (half of them filled).
pub const CHECKERBOARD_SQUARES: usize = 4;
/// Half the checkerboard's width: it covers [-2, 2]^2.
pub const CHECKERBOARD_HALF_WIDTH: f64 = 2.0;
/// Knots per side of each filled square (a KNOTS x KNOTS grid).
pub const CHECKERBOARD_KNOTS: usize = 5;
/// Knot std as a fraction of the knot spacing (above 1/2 the knots merge into a plateau).
pub const CHECKERBOARD_KNOT_STD: f64 = 0.6;

/// Radii of the two rings (equal mass on each).
pub const RINGS_RADII: [f64; 2] = [1.0, 2.0];
/// Arc length between neighbouring ring knots.
pub const RINGS_SPACING: f64 = 0.06;
/// Standard deviation of each ring knot.
pub const RINGS_STD: f64 = 0.06;

/// Ends of the line segment.
pub const LINE_ENDS: [[f64; 2]; 2] = [[-2.0, -1.0], [2.0, 1.0]];
/// Components along the line, each elongated along it (full covariance).
pub const LINE_KNOTS: usize = 12;
/// A line knot's std along the line, as a fraction of the knot spacing.
pub const LINE_ALONG_STD: f64 = 0.6;
/// A line knot's std across the line.
pub const LINE_ACROSS_STD: f64 = 0.04;

/// Radius of the smiley's face.
pub const SMILEY_FACE_RADIUS: f64 = 2.0;
/// Centres of the smiley's eyes.
pub const SMILEY_EYES: [[f64; 2]; 2] = [[-0.7, 0.6], [0.7, 0.6]];
/// Standard deviation of each eye.
pub const SMILEY_EYE_STD: f64 = 0.15;
/// Centre and radius of the circle the smile is an arc of, and the arc's angles (radians).
pub const SMILEY_MOUTH: ([f64; 2], f64, [f64; 2]) = ([0.0, 0.2], 1.15, [3.6, 5.82]);
/// Mass of the face outline, of each eye and of the mouth.
pub const SMILEY_MASSES: [f64; 3] = [0.5, 0.1, 0.3];
/// Arc length between neighbouring knots of the smiley's curves.
pub const SMILEY_SPACING: f64 = 0.06;
/// Standard deviation of the smiley's curve knots.
pub const SMILEY_STD: f64 = 0.06;

/// Means of the 1-D dataset's two narrow normals (on the x axis).
pub const TWO_NORMALS_MEANS: [f64; 2] = [-1.0, 1.0];
/// Weights of the 1-D dataset's two narrow normals (unequal, so that the weights visibly matter).
pub const TWO_NORMALS_WEIGHTS: [f64; 2] = [0.4, 0.6];
/// Standard deviation of each of the 1-D dataset's narrow normals.
pub const TWO_NORMALS_STD: f64 = 0.1;

/// Bisection steps that invert the spiral's arc length (each halves an interval of < 15 radians).
const SPIRAL_BISECTION_STEPS: usize = 60;

/// A built-in 2-D data distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Dataset {
    /// "8 Gaussians": equal-weight components on a circle of radius [`EIGHT_GAUSSIANS_RADIUS`].
    GaussianMixture,
    /// Two interleaving half circles (the geometry of sklearn's `make_moons`), centred and scaled.
    TwoMoons,
    /// A two-turn Archimedean spiral with uniform density along its arc length.
    Spiral,
    /// Five elongated, tilted Gaussians (full covariances) arranged like a pinwheel.
    Pinwheel,
    /// A 4 x 4 checkerboard on [-2, 2]^2 with its 8 dark squares filled uniformly.
    Checkerboard,
    /// Two concentric rings (radii 1 and 2) of equal mass.
    Rings,
    /// A straight segment, of elongated (rank-nearly-one) components along it.
    Line,
    /// A smiley: the face's outline, two eyes and a smile.
    Smiley,
    /// The 1-D data: a mixture of two narrow normals on the x axis (flat in y).
    // snake_case would spell it two_normals1d; the name everywhere else is two_normals_1d.
    #[serde(rename = "two_normals_1d")]
    #[strum(serialize = "two_normals_1d")]
    TwoNormals1d,
}

impl Dataset {
    /// Every dataset, in the order the UI lists them (declaration order).
    pub const ALL: [Dataset; 9] = names::all(Dataset::VARIANTS);

    /// The identifier used in options, share links and weight file names.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`Dataset::name`].
    pub fn from_name(name: &str) -> Option<Dataset> {
        names::from_name(name)
    }

    /// Stable numeric id stored in weight files.
    pub fn id(self) -> u32 {
        match self {
            Dataset::GaussianMixture => 0,
            Dataset::TwoMoons => 1,
            Dataset::Spiral => 2,
            Dataset::Pinwheel => 3,
            Dataset::TwoNormals1d => 4,
            Dataset::Checkerboard => 5,
            Dataset::Rings => 6,
            Dataset::Line => 7,
            Dataset::Smiley => 8,
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
            Dataset::Pinwheel => "Pinwheel (tilted Gaussians)",
            Dataset::Checkerboard => "Checkerboard",
            Dataset::Rings => "Two rings",
            Dataset::Line => "A line",
            Dataset::Smiley => "Smiley",
            Dataset::TwoNormals1d => "Two narrow normals (1-D)",
        }
    }

    /// The exact distribution, built on each call (a few hundred components; cheap).
    pub fn mixture(self) -> GaussianMixture {
        match self {
            Dataset::GaussianMixture => eight_gaussians(),
            Dataset::TwoMoons => two_moons(),
            Dataset::Spiral => spiral(),
            Dataset::Pinwheel => pinwheel(),
            Dataset::Checkerboard => checkerboard(),
            Dataset::Rings => rings(),
            Dataset::Line => line(),
            Dataset::Smiley => smiley(),
            Dataset::TwoNormals1d => two_normals_1d(),
        }
    }

    /// `n` samples for `seed`: `self.mixture().sample(seed, 0, n)`.
    pub fn sample(self, seed: u32, n: usize) -> Vec<[f32; 2]> {
        self.mixture().sample(seed, 0, n)
    }
}

/// One component N(mean, Sigma) with weight exp(log_weight), laid out for the GPU.
///
/// Sigma = [[cov_xx, cov_xy], [cov_xy, cov_yy]] is symmetric positive semi-definite; `cov_det`
/// is its determinant, computed in f64 when the component is built, so that the determinant of
/// the noised covariance alpha^2 Sigma + sigma^2 I (see [`noised_determinant`]) is a sum of
/// non-negative terms without cancellation, even for a flat (rank-one) component.
///
/// The layout of `struct MixtureComponent` in `shaders/common/mixture.wgsl` (32 bytes; checked by
/// `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable, Serialize, Deserialize)]
pub struct MixtureComponent {
    /// Mean mu_k.
    pub mean: [f32; 2],
    /// Sigma_xx.
    pub cov_xx: f32,
    /// Sigma_xy = Sigma_yx.
    pub cov_xy: f32,
    /// Sigma_yy.
    pub cov_yy: f32,
    /// det Sigma = Sigma_xx Sigma_yy - Sigma_xy^2 >= 0 (in f64, then rounded).
    pub cov_det: f32,
    /// ln w_k of the normalised weight (the weights sum to 1).
    pub log_weight: f32,
    /// 1 when the component belongs to the class that guidance steers toward, else 0
    /// (`core::guidance`; ignored by the unguided score). Also pads the struct to 8 bytes.
    pub class_member: u32,
}

impl MixtureComponent {
    /// The component N(mean, covariance) with weight exp(log_weight); `covariance` is
    /// `[Sigma_xx, Sigma_xy, Sigma_yy]`, assumed positive semi-definite.
    pub fn new(mean: [f64; 2], covariance: [f64; 3], log_weight: f64) -> MixtureComponent {
        let [xx, xy, yy] = covariance;
        MixtureComponent {
            mean: [mean[0] as f32, mean[1] as f32],
            cov_xx: xx as f32,
            cov_xy: xy as f32,
            cov_yy: yy as f32,
            cov_det: (xx * yy - xy * xy).max(0.0) as f32,
            log_weight: log_weight as f32,
            class_member: 0,
        }
    }

    /// The covariance `[Sigma_xx, Sigma_xy, Sigma_yy]` in f64.
    pub fn covariance(&self) -> [f64; 3] {
        [self.cov_xx as f64, self.cov_xy as f64, self.cov_yy as f64]
    }
}

/// det(alpha^2 Sigma + sigma^2 I) = alpha^4 det Sigma + alpha^2 sigma^2 tr Sigma + sigma^4: every
/// term is non-negative, so the determinant stays accurate when Sigma is flat and sigma is small.
fn noised_determinant(c: &MixtureComponent, alpha: f32, sigma: f32) -> f32 {
    let (a2, s2) = (alpha * alpha, sigma * sigma);
    a2 * a2 * c.cov_det + a2 * s2 * (c.cov_xx + c.cov_yy) + s2 * s2
}

/// A Gaussian mixture sum_k w_k N(mu_k, Sigma_k) in 2-D (1-D data is the special case of
/// components flat in y: Sigma_yy = 0 and mean y = 0).
///
/// Built by [`GaussianMixture::new`] or [`GaussianMixture::with_covariances`] it has at least one
/// component, finite means, valid covariances and normalised weights; the field is public so the
/// GPU can upload it as it is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GaussianMixture {
    /// The components; their weights exp(log_weight) sum to 1.
    pub components: Vec<MixtureComponent>,
}

impl GaussianMixture {
    /// An isotropic mixture whose component k is `N(means[k], variances[k] I)` with weight
    /// `weights[k] / sum(weights)`.
    ///
    /// Errors (naming the offending component) unless the three slices have the same, non-zero
    /// length, every mean is finite, every weight is finite and positive, and every variance is
    /// finite and positive (also after rounding to `f32`).
    pub fn new(means: &[[f64; 2]], weights: &[f64], variances: &[f64]) -> Result<GaussianMixture, String> {
        for (k, &variance) in variances.iter().enumerate() {
            if !(variance.is_finite() && variance as f32 > 0.0 && (variance as f32).is_finite()) {
                return Err(format!(
                    "component {k}: variance {variance} must be positive and finite (as an f32)"
                ));
            }
        }
        let covariances: Vec<[f64; 3]> = variances.iter().map(|&v| [v, 0.0, v]).collect();
        Self::with_covariances(means, weights, &covariances)
    }

    /// A mixture whose component k is `N(means[k], Sigma_k)`, `covariances[k]` being
    /// `[Sigma_xx, Sigma_xy, Sigma_yy]`, with weight `weights[k] / sum(weights)`.
    ///
    /// Errors (naming the offending component) unless the three slices have the same, non-zero
    /// length, every mean is finite, every weight is finite and positive, and every covariance is
    /// finite (as an f32), positive semi-definite (Sigma_xx, Sigma_yy >= 0 and
    /// Sigma_xy^2 <= Sigma_xx Sigma_yy) and not zero. Flat components (rank one: a segment, or
    /// 1-D data) are allowed.
    pub fn with_covariances(
        means: &[[f64; 2]],
        weights: &[f64],
        covariances: &[[f64; 3]],
    ) -> Result<GaussianMixture, String> {
        if means.is_empty() {
            return Err("a Gaussian mixture needs at least one component".to_string());
        }
        if weights.len() != means.len() || covariances.len() != means.len() {
            return Err(format!(
                "a Gaussian mixture needs as many weights and covariances as means \
                 ({} means, {} weights, {} covariances)",
                means.len(),
                weights.len(),
                covariances.len()
            ));
        }
        for (k, ((mean, &weight), covariance)) in means.iter().zip(weights).zip(covariances).enumerate() {
            if !mean.iter().all(|m| m.is_finite() && (*m as f32).is_finite()) {
                return Err(format!("component {k}: mean {mean:?} is not finite (as an f32)"));
            }
            if !(weight.is_finite() && weight > 0.0) {
                return Err(format!("component {k}: weight {weight} must be positive and finite"));
            }
            check_covariance(covariance).map_err(|why| format!("component {k}: covariance {why}"))?;
        }
        let total: f64 = weights.iter().sum();
        if !total.is_finite() {
            return Err(format!("the weights sum to {total}, which is not finite"));
        }
        let components = means
            .iter()
            .zip(weights)
            .zip(covariances)
            .map(|((mean, weight), covariance)| {
                MixtureComponent::new(*mean, *covariance, (weight / total).ln())
            })
            .collect();
        Ok(GaussianMixture { components })
    }

    /// An equal-weight mixture of `N(means[k], variance I)`; the errors of [`GaussianMixture::new`].
    pub fn equal_weights(means: &[[f64; 2]], variance: f64) -> Result<GaussianMixture, String> {
        Self::new(means, &vec![1.0; means.len()], &vec![variance; means.len()])
    }

    /// The empirical distribution of `points` (equal weights, covariance 0). Its noised version
    /// p_t = (1/M) sum_i N(alpha_t x_i, sigma_t^2 I) is the distribution whose exact score the
    /// ideal denoiser of a finite training set follows: sampling with it reproduces the training
    /// points themselves (memorisation), which a network generalising from them does not.
    /// `None` when `points` is empty or holds a non-finite coordinate.
    pub fn empirical(points: &[[f32; 2]]) -> Option<GaussianMixture> {
        if points.is_empty() || points.iter().flatten().any(|v| !v.is_finite()) {
            return None;
        }
        let log_weight = -(points.len() as f64).ln();
        let components = points
            .iter()
            .map(|p| MixtureComponent::new([p[0] as f64, p[1] as f64], [0.0; 3], log_weight))
            .collect();
        Some(GaussianMixture { components })
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
    /// `uniform(w[0])` over the cumulative weights, and `x_i = mu_k + L_k box_muller(w[1], w[2])`
    /// with L_k the lower Cholesky factor of Sigma_k (sqrt(v) I for an isotropic component).
    pub fn sample(&self, seed: u32, first_index: u32, n: usize) -> Vec<[f32; 2]> {
        self.sample_labelled(seed, first_index, n).into_iter().map(|(x, _)| x).collect()
    }

    /// [`GaussianMixture::sample`] with the index of the component each sample came from (its
    /// class label through `classes::component_classes`).
    pub fn sample_labelled(&self, seed: u32, first_index: u32, n: usize) -> Vec<([f32; 2], usize)> {
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
                let [l11, l21, l22] = cholesky(c);
                ([c.mean[0] + l11 * z[0], c.mean[1] + l21 * z[0] + l22 * z[1]], k)
            })
            .collect()
    }

    /// ln p_t(x) of x_t = alpha x_0 + sigma eps, x_0 from the mixture:
    /// ln sum_k w_k N(x; alpha mu_k, C_k), C_k = alpha^2 Sigma_k + sigma^2 I (log-sum-exp, f64).
    pub fn log_density_noised(&self, x: [f64; 2], alpha: f64, sigma: f64) -> f64 {
        let log_terms: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                let noised = NoisedComponent::new(c, x, alpha, sigma);
                // 2-D normal: (2 pi)^-1 det(C)^-1/2 exp(-d^T C^-1 d / 2).
                c.log_weight as f64 - 0.5 * noised.quadratic_form() - 0.5 * noised.det.ln() - TAU.ln()
            })
            .collect();
        let max_log = log_terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        max_log + log_terms.iter().map(|l| (l - max_log).exp()).sum::<f64>().ln()
    }

    /// ln p_t(x) of the x coordinate alone (the marginal sum_k w_k N(x; alpha mu_k,x, alpha^2
    /// Sigma_k,xx + sigma^2)): the density of 1-D data, whose 2-D density is degenerate.
    pub fn log_density_noised_x(&self, x: f64, alpha: f64, sigma: f64) -> f64 {
        let log_terms: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                let variance = alpha * alpha * c.cov_xx as f64 + sigma * sigma;
                let d = x - alpha * c.mean[0] as f64;
                c.log_weight as f64 - 0.5 * d * d / variance - 0.5 * (TAU * variance).ln()
            })
            .collect();
        let max_log = log_terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        max_log + log_terms.iter().map(|l| (l - max_log).exp()).sum::<f64>().ln()
    }

    /// The exact score grad_x ln p_t(x) = sum_k r_k(x) C_k^-1 (alpha mu_k - x), with r_k the
    /// posterior responsibilities and C_k = alpha^2 Sigma_k + sigma^2 I.
    ///
    /// CPU twin of `mixture_score` in `shaders/common/mixture.wgsl`, written the same way: a first
    /// pass finds the largest log responsibility, a second accumulates exp(log r_k - max) and the
    /// weighted C_k^-1 (alpha mu_k - x). NaN for a mixture without components.
    pub fn score_noised(&self, x: [f32; 2], alpha: f32, sigma: f32) -> [f32; 2] {
        self.weighted_score(x, alpha, sigma).score
    }

    /// The two passes of [`GaussianMixture::score_noised`], keeping what the divergence reuses.
    fn weighted_score(&self, x: [f32; 2], alpha: f32, sigma: f32) -> WeightedScore {
        let mut max_log = f32::MIN;
        for c in &self.components {
            max_log = max_log.max(mixture_log_responsibility(c, x, alpha, sigma));
        }
        let mut total = 0.0;
        let mut score = [0.0f32; 2];
        for c in &self.components {
            let r = (mixture_log_responsibility(c, x, alpha, sigma) - max_log).exp();
            let pull = mixture_component_score(c, x, alpha, sigma);
            total += r;
            score[0] += r * pull[0];
            score[1] += r * pull[1];
        }
        WeightedScore { max_log, total, score: [score[0] / total, score[1] / total] }
    }

    /// [`GaussianMixture::score_noised`] in f64: the reference for tests.
    pub fn score_noised_f64(&self, x: [f64; 2], alpha: f64, sigma: f64) -> [f64; 2] {
        let noised: Vec<NoisedComponent> =
            self.components.iter().map(|c| NoisedComponent::new(c, x, alpha, sigma)).collect();
        let log_responsibility = |(c, n): (&MixtureComponent, &NoisedComponent)| {
            c.log_weight as f64 - 0.5 * n.quadratic_form() - 0.5 * n.det.ln()
        };
        let max_log = self.components.iter().zip(&noised).map(log_responsibility).fold(f64::MIN, f64::max);
        let mut total = 0.0;
        let mut score = [0.0f64; 2];
        for pair in self.components.iter().zip(&noised) {
            let r = (log_responsibility(pair) - max_log).exp();
            let pull = pair.1.score();
            total += r;
            score[0] += r * pull[0];
            score[1] += r * pull[1];
        }
        [score[0] / total, score[1] / total]
    }

    /// The exact score and its divergence (the trace of its Jacobian, the Laplacian of ln p_t):
    /// with s_k = C_k^-1 (alpha mu_k - x) and the responsibilities r_k,
    /// grad s = sum_k r_k (s_k s_k^T - C_k^-1) - s s^T, so
    /// div s = sum_k r_k (|s_k - s|^2 - tr C_k^-1), tr C^-1 = (C_xx + C_yy) / det C.
    ///
    /// Three passes (the largest log responsibility, the score, then the spread of the s_k around
    /// it), so the divergence is a sum of terms without the cancellation of
    /// sum r_k |s_k|^2 - |s|^2. CPU twin of `mixture_score_divergence` in
    /// `shaders/common/mixture_divergence.wgsl`.
    pub fn score_divergence_noised(&self, x: [f32; 2], alpha: f32, sigma: f32) -> ([f32; 2], f32) {
        let WeightedScore { max_log, total, score } = self.weighted_score(x, alpha, sigma);
        let mut divergence = 0.0f32;
        for c in &self.components {
            let r = (mixture_log_responsibility(c, x, alpha, sigma) - max_log).exp();
            let pull = mixture_component_score(c, x, alpha, sigma);
            let spread = [pull[0] - score[0], pull[1] - score[1]];
            divergence +=
                r * (spread[0] * spread[0] + spread[1] * spread[1] - noised_precision_trace(c, alpha, sigma));
        }
        (score, divergence / total)
    }

    /// The exact score and its Jacobian `jacobian[i][j]` = d s_i / d x_j (the Hessian of ln p_t):
    /// grad s = sum_k r_k ((s_k - s)(s_k - s)^T - C_k^-1), the form whose trace is the
    /// divergence of [`GaussianMixture::score_divergence_noised`] (three passes, no cancellation).
    /// What DPS and PiGDM need for the Jacobian of x0_hat with the exact score
    /// (`core::posterior_guidance`). CPU twin of `mixture_score_jacobian` in
    /// `shaders/common/mixture_divergence.wgsl`.
    pub fn score_jacobian_noised(&self, x: [f32; 2], alpha: f32, sigma: f32) -> ([f32; 2], [[f32; 2]; 2]) {
        let WeightedScore { max_log, total, score } = self.weighted_score(x, alpha, sigma);
        let mut hessian = [0.0f32; 3];
        for c in &self.components {
            let r = (mixture_log_responsibility(c, x, alpha, sigma) - max_log).exp();
            let pull = mixture_component_score(c, x, alpha, sigma);
            let spread = [pull[0] - score[0], pull[1] - score[1]];
            let precision = noised_precision(c, alpha, sigma);
            hessian[0] += r * (spread[0] * spread[0] - precision[0]);
            hessian[1] += r * (spread[0] * spread[1] - precision[1]);
            hessian[2] += r * (spread[1] * spread[1] - precision[2]);
        }
        let [xx, xy, yy] = hessian.map(|h| h / total);
        (score, [[xx, xy], [xy, yy]])
    }

    /// [`GaussianMixture::score_divergence_noised`] in f64: the reference for tests.
    pub fn score_divergence_noised_f64(&self, x: [f64; 2], alpha: f64, sigma: f64) -> ([f64; 2], f64) {
        let noised: Vec<NoisedComponent> =
            self.components.iter().map(|c| NoisedComponent::new(c, x, alpha, sigma)).collect();
        let log_r: Vec<f64> = self
            .components
            .iter()
            .zip(&noised)
            .map(|(c, n)| c.log_weight as f64 - 0.5 * n.quadratic_form() - 0.5 * n.det.ln())
            .collect();
        let max_log = log_r.iter().copied().fold(f64::MIN, f64::max);
        let r: Vec<f64> = log_r.iter().map(|l| (l - max_log).exp()).collect();
        let total: f64 = r.iter().sum();
        let mut score = [0.0f64; 2];
        for (r, n) in r.iter().zip(&noised) {
            let pull = n.score();
            score[0] += r * pull[0] / total;
            score[1] += r * pull[1] / total;
        }
        let divergence = r
            .iter()
            .zip(&noised)
            .map(|(r, n)| {
                let pull = n.score();
                let spread = [pull[0] - score[0], pull[1] - score[1]];
                r * (spread[0] * spread[0] + spread[1] * spread[1] - (n.c[0] + n.c[2]) / n.det)
            })
            .sum::<f64>()
            / total;
        (score, divergence)
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

    /// Covariance matrix sum_k w_k (Sigma_k + mu_k mu_k^T) - m m^T, m the mean.
    pub fn covariance(&self) -> [[f64; 2]; 2] {
        let m = self.mean();
        let mut cov = [[0.0; 2]; 2];
        for (c, w) in self.components.iter().zip(self.weights()) {
            // Centred means keep the sum accurate when the mean is far from the origin.
            let d = [c.mean[0] as f64 - m[0], c.mean[1] as f64 - m[1]];
            let [xx, xy, yy] = c.covariance();
            cov[0][0] += w * (xx + d[0] * d[0]);
            cov[0][1] += w * (xy + d[0] * d[1]);
            cov[1][0] += w * (xy + d[1] * d[0]);
            cov[1][1] += w * (yy + d[1] * d[1]);
        }
        cov
    }

    /// Trace of [`GaussianMixture::covariance`]: E|x - m|^2.
    pub fn covariance_trace(&self) -> f64 {
        let cov = self.covariance();
        cov[0][0] + cov[1][1]
    }

    /// True when every component is flat in y at y = 0: the mixture is 1-D data on the x axis.
    pub fn is_one_dimensional(&self) -> bool {
        self.components.iter().all(|c| c.mean[1] == 0.0 && c.cov_yy == 0.0 && c.cov_xy == 0.0)
    }
}

/// Why `[xx, xy, yy]` is not a usable covariance, if it is not.
fn check_covariance(&[xx, xy, yy]: &[f64; 3]) -> Result<(), String> {
    if ![xx, xy, yy].iter().all(|v| v.is_finite() && (*v as f32).is_finite()) {
        return Err(format!("[{xx}, {xy}, {yy}] is not finite (as an f32)"));
    }
    if xx < 0.0 || yy < 0.0 || xy * xy > xx * yy * (1.0 + 1e-12) {
        return Err(format!("[{xx}, {xy}, {yy}] is not positive semi-definite"));
    }
    if (xx as f32) + (yy as f32) <= 0.0 {
        return Err(format!("[{xx}, {xy}, {yy}] is zero (as an f32): the component is a point"));
    }
    Ok(())
}

/// Lower Cholesky factor [l11, l21, l22] of a component's covariance, in f32: Sigma = L L^T
/// (a flat component with Sigma_xx = 0 gets l11 = l21 = 0, l22 = sqrt(Sigma_yy)).
fn cholesky(c: &MixtureComponent) -> [f32; 3] {
    let l11 = c.cov_xx.sqrt();
    if l11 > 0.0 {
        let l21 = c.cov_xy / l11;
        [l11, l21, (c.cov_yy - l21 * l21).max(0.0).sqrt()]
    } else {
        [0.0, 0.0, c.cov_yy.sqrt()]
    }
}

/// One component after noising, seen from x, in f64: C = alpha^2 Sigma + sigma^2 I, det C and
/// d = alpha mu - x.
struct NoisedComponent {
    c: [f64; 3],
    det: f64,
    d: [f64; 2],
}

impl NoisedComponent {
    fn new(component: &MixtureComponent, x: [f64; 2], alpha: f64, sigma: f64) -> NoisedComponent {
        let [xx, xy, yy] = component.covariance();
        let (a2, s2) = (alpha * alpha, sigma * sigma);
        NoisedComponent {
            c: [a2 * xx + s2, a2 * xy, a2 * yy + s2],
            det: a2 * a2 * component.cov_det as f64 + a2 * s2 * (xx + yy) + s2 * s2,
            d: [alpha * component.mean[0] as f64 - x[0], alpha * component.mean[1] as f64 - x[1]],
        }
    }

    /// C^-1 d.
    fn score(&self) -> [f64; 2] {
        let ([cxx, cxy, cyy], [dx, dy]) = (self.c, self.d);
        [(cyy * dx - cxy * dy) / self.det, (cxx * dy - cxy * dx) / self.det]
    }

    /// d^T C^-1 d.
    fn quadratic_form(&self) -> f64 {
        let s = self.score();
        self.d[0] * s[0] + self.d[1] * s[1]
    }
}

/// C^-1 (alpha mu - x) for one component, C = alpha^2 Sigma + sigma^2 I, in f32 (the inverse of
/// a symmetric 2x2 matrix is its adjugate over the determinant). Twin of the WGSL function.
pub(crate) fn mixture_component_score(c: &MixtureComponent, x: [f32; 2], alpha: f32, sigma: f32) -> [f32; 2] {
    let (a2, s2) = (alpha * alpha, sigma * sigma);
    let (cxx, cxy, cyy) = (a2 * c.cov_xx + s2, a2 * c.cov_xy, a2 * c.cov_yy + s2);
    let det = noised_determinant(c, alpha, sigma);
    let d = [alpha * c.mean[0] - x[0], alpha * c.mean[1] - x[1]];
    [(cyy * d[0] - cxy * d[1]) / det, (cxx * d[1] - cxy * d[0]) / det]
}

/// The exact score with the largest log responsibility and the sum of exp(log r_k - max).
struct WeightedScore {
    max_log: f32,
    total: f32,
    score: [f32; 2],
}

/// tr C^-1 = (C_xx + C_yy) / det C of the noised covariance C = alpha^2 Sigma + sigma^2 I. Twin of
/// the WGSL function of this name.
pub(crate) fn noised_precision_trace(c: &MixtureComponent, alpha: f32, sigma: f32) -> f32 {
    let (a2, s2) = (alpha * alpha, sigma * sigma);
    (a2 * (c.cov_xx + c.cov_yy) + 2.0 * s2) / noised_determinant(c, alpha, sigma)
}

/// C_k^-1 = adj(C_k) / det C_k as [xx, xy, yy].
fn noised_precision(c: &MixtureComponent, alpha: f32, sigma: f32) -> [f32; 3] {
    let (a2, s2) = (alpha * alpha, sigma * sigma);
    let det = noised_determinant(c, alpha, sigma);
    [(a2 * c.cov_yy + s2) / det, -a2 * c.cov_xy / det, (a2 * c.cov_xx + s2) / det]
}

/// ln r_k up to a constant shared by all k: ln w_k - d^T C^-1 d / 2 - ln det(C) / 2 with
/// d = x - alpha mu_k (the 2-D normaliser's 2 pi cancels). Twin of the WGSL function of this name.
pub(crate) fn mixture_log_responsibility(c: &MixtureComponent, x: [f32; 2], alpha: f32, sigma: f32) -> f32 {
    let pull = mixture_component_score(c, x, alpha, sigma);
    let d = [alpha * c.mean[0] - x[0], alpha * c.mean[1] - x[1]];
    let quadratic = d[0] * pull[0] + d[1] * pull[1];
    c.log_weight - 0.5 * quadratic - 0.5 * noised_determinant(c, alpha, sigma).ln()
}

/// Equal-weight mixture of narrow components at `means` (the datasets' constants are valid).
fn equal_weight_knots(means: &[[f64; 2]], std: f64) -> GaussianMixture {
    let weight = 1.0 / means.len() as f64;
    let variance = std * std;
    let components =
        means.iter().map(|m| MixtureComponent::new(*m, [variance, 0.0, variance], weight.ln())).collect();
    GaussianMixture { components }
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

/// Pinwheel: [`PINWHEEL_ARMS`] equal-weight components centred at radius [`PINWHEEL_RADIUS`] and
/// angles 2 pi k / arms, each elongated along an axis turned by [`PINWHEEL_TILT`] from its
/// radius: Sigma = R diag(length^2, width^2) R^T, R the rotation to that axis.
fn pinwheel() -> GaussianMixture {
    let (long, wide) = (PINWHEEL_LENGTH_STD * PINWHEEL_LENGTH_STD, PINWHEEL_WIDTH_STD * PINWHEEL_WIDTH_STD);
    let mut means = Vec::with_capacity(PINWHEEL_ARMS);
    let mut covariances = Vec::with_capacity(PINWHEEL_ARMS);
    for k in 0..PINWHEEL_ARMS {
        let angle = TAU * k as f64 / PINWHEEL_ARMS as f64;
        means.push([PINWHEEL_RADIUS * angle.cos(), PINWHEEL_RADIUS * angle.sin()]);
        let (sin, cos) = (angle + PINWHEEL_TILT).sin_cos();
        covariances.push([
            long * cos * cos + wide * sin * sin,
            (long - wide) * cos * sin,
            long * sin * sin + wide * cos * cos,
        ]);
    }
    GaussianMixture::with_covariances(&means, &[1.0; PINWHEEL_ARMS], &covariances)
        .expect("the pinwheel's constants make a valid mixture")
}

/// The 1-D data: N(mean_k, std^2) on the x axis with weights [`TWO_NORMALS_WEIGHTS`],
/// flat in y (Sigma = diag(std^2, 0)).
fn two_normals_1d() -> GaussianMixture {
    let means = TWO_NORMALS_MEANS.map(|m| [m, 0.0]);
    let variance = TWO_NORMALS_STD * TWO_NORMALS_STD;
    GaussianMixture::with_covariances(&means, &TWO_NORMALS_WEIGHTS, &[[variance, 0.0, 0.0]; 2])
        .expect("the two normals' constants make a valid mixture")
}

/// Knots evenly spaced (about `spacing` apart in arc length) along the arc of the circle of
/// `radius` about `centre` from angle `from` to `to` (radians; a full circle repeats no knot).
fn arc_knots(centre: [f64; 2], radius: f64, [from, to]: [f64; 2], spacing: f64) -> Vec<[f64; 2]> {
    let full = (to - from - TAU).abs() < 1e-12;
    let count = ((radius * (to - from) / spacing).round() as usize).max(2);
    let intervals = if full { count } else { count - 1 };
    (0..count)
        .map(|i| {
            let angle = from + (to - from) * i as f64 / intervals as f64;
            [centre[0] + radius * angle.cos(), centre[1] + radius * angle.sin()]
        })
        .collect()
}

/// Knots sharing one covariance and one total mass (spread evenly over them).
struct KnotGroup {
    knots: Vec<[f64; 2]>,
    mass: f64,
    covariance: [f64; 3],
}

impl KnotGroup {
    /// Isotropic knots of standard deviation `std`.
    fn isotropic(knots: Vec<[f64; 2]>, mass: f64, std: f64) -> KnotGroup {
        KnotGroup { knots, mass, covariance: [std * std, 0.0, std * std] }
    }
}

/// Builds a mixture from groups of knots.
fn grouped_knots(groups: &[KnotGroup]) -> GaussianMixture {
    let mut means = Vec::new();
    let mut weights = Vec::new();
    let mut covariances = Vec::new();
    for group in groups {
        for knot in &group.knots {
            means.push(*knot);
            weights.push(group.mass / group.knots.len() as f64);
            covariances.push(group.covariance);
        }
    }
    GaussianMixture::with_covariances(&means, &weights, &covariances)
        .expect("the datasets' constants make valid mixtures")
}

/// Checkerboard: the squares (i, j) of a [`CHECKERBOARD_SQUARES`]-square board over
/// [-2, 2]^2 with i + j even, each a [`CHECKERBOARD_KNOTS`]^2 grid of isotropic knots whose std
/// is [`CHECKERBOARD_KNOT_STD`] of their spacing, so each square is a soft-edged plateau.
fn checkerboard() -> GaussianMixture {
    let side = 2.0 * CHECKERBOARD_HALF_WIDTH / CHECKERBOARD_SQUARES as f64;
    let spacing = side / CHECKERBOARD_KNOTS as f64;
    let mut knots = Vec::new();
    for i in 0..CHECKERBOARD_SQUARES {
        for j in 0..CHECKERBOARD_SQUARES {
            if (i + j) % 2 != 0 {
                continue;
            }
            let corner =
                [-CHECKERBOARD_HALF_WIDTH + i as f64 * side, -CHECKERBOARD_HALF_WIDTH + j as f64 * side];
            for a in 0..CHECKERBOARD_KNOTS {
                for b in 0..CHECKERBOARD_KNOTS {
                    knots.push([
                        corner[0] + (a as f64 + 0.5) * spacing,
                        corner[1] + (b as f64 + 0.5) * spacing,
                    ]);
                }
            }
        }
    }
    grouped_knots(&[KnotGroup::isotropic(knots, 1.0, CHECKERBOARD_KNOT_STD * spacing)])
}

/// Two rings: circles of radii [`RINGS_RADII`] about the origin, knots [`RINGS_SPACING`] apart
/// with std [`RINGS_STD`], equal mass on each ring.
fn rings() -> GaussianMixture {
    let groups: Vec<KnotGroup> = RINGS_RADII
        .iter()
        .map(|&r| KnotGroup::isotropic(arc_knots([0.0, 0.0], r, [0.0, TAU], RINGS_SPACING), 0.5, RINGS_STD))
        .collect();
    grouped_knots(&groups)
}

/// A line: the segment between [`LINE_ENDS`] as [`LINE_KNOTS`] equal components centred on
/// equal sub-segments, each elongated along the line (std [`LINE_ALONG_STD`] of the spacing)
/// and thin across it ([`LINE_ACROSS_STD`]): Sigma = R diag(along^2, across^2) R^T.
fn line() -> GaussianMixture {
    let [a, b] = LINE_ENDS;
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length = dx.hypot(dy);
    let (cos, sin) = (dx / length, dy / length);
    let along = (LINE_ALONG_STD * length / LINE_KNOTS as f64).powi(2);
    let across = LINE_ACROSS_STD * LINE_ACROSS_STD;
    let covariance = [
        along * cos * cos + across * sin * sin,
        (along - across) * cos * sin,
        along * sin * sin + across * cos * cos,
    ];
    let knots = (0..LINE_KNOTS)
        .map(|i| {
            let f = (i as f64 + 0.5) / LINE_KNOTS as f64;
            [a[0] + f * dx, a[1] + f * dy]
        })
        .collect();
    grouped_knots(&[KnotGroup { knots, mass: 1.0, covariance }])
}

/// Smiley: the face's outline (a circle of radius [`SMILEY_FACE_RADIUS`]), two eyes (isotropic
/// Gaussians at [`SMILEY_EYES`]) and a smile (an arc, [`SMILEY_MOUTH`]), with the masses of
/// [`SMILEY_MASSES`].
fn smiley() -> GaussianMixture {
    let [face, eye, mouth] = SMILEY_MASSES;
    let (mouth_centre, mouth_radius, mouth_angles) = SMILEY_MOUTH;
    let outline = arc_knots([0.0, 0.0], SMILEY_FACE_RADIUS, [0.0, TAU], SMILEY_SPACING);
    let smile = arc_knots(mouth_centre, mouth_radius, mouth_angles, SMILEY_SPACING);
    grouped_knots(&[
        KnotGroup::isotropic(outline, face, SMILEY_STD),
        KnotGroup::isotropic(vec![SMILEY_EYES[0]], eye, SMILEY_EYE_STD),
        KnotGroup::isotropic(vec![SMILEY_EYES[1]], eye, SMILEY_EYE_STD),
        KnotGroup::isotropic(smile, mouth, SMILEY_STD),
    ])
}
