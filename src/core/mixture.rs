//! Gaussian mixtures with full covariances, exactly: a mixture p_0 = sum_k w_k N(mu_k, Sigma_k)
//! stays a mixture under the forward process x_t = alpha_t x_0 + sigma_t eps (Ho et al. 2020,
//! eq. 4; Kingma et al. 2021):
//!
//! p_t = sum_k w_k N(alpha mu_k, C_k),   C_k = alpha^2 Sigma_k + sigma^2 I,
//!
//! so its noised density and score are exact at every t. Every dataset (`core::dataset`) and
//! drawing (`core::drawing`) is one.
//!
//! [`GaussianMixture::score_noised`] is the CPU twin of `mixture_score` in
//! `shaders/common/mixture.wgsl`, and [`MixtureComponent`] mirrors the WGSL struct of that file.

use serde::{Deserialize, Serialize};

use crate::core::rng;
use std::f64::consts::TAU;

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
