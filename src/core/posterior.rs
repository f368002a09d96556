//! The exact posterior of a linear-Gaussian measurement of the data (docs/features.md, "Inverse
//! problems"): y = A x0 + n, n ~ N(0, s^2 I), A a 1 x 2 or 2 x 2 matrix. For a mixture
//! prior p_0 = sum_k w_k N(mu_k, Sigma_k) the posterior is again a Gaussian mixture, by
//! conditioning each component (the Kalman update; Bishop 2006, eq. 2.113-2.117) and reweighting
//! it by its evidence:
//!
//! ```text
//! S_k   = A Sigma_k A^T + s^2 I,        K_k = Sigma_k A^T S_k^-1
//! mu'_k = mu_k + K_k (y - A mu_k),      Sigma'_k = Sigma_k - K_k A Sigma_k
//! w'_k  proportional to w_k N(y; A mu_k, S_k)
//! ```
//!
//! The weights are computed in log space, so an observation far from the data (evidence
//! underflowing every component) still gives a normalised posterior. The result is a
//! [`GaussianMixture`], so its noised score, density and exact draws are those of the mixture
//! code: sampling with its exact score samples p(x0 | y), the reference the approximate methods
//! are measured against.

use std::f64::consts::TAU;

use crate::core::classes::log_sum_exp;
use crate::core::dataset::{GaussianMixture, MixtureComponent};

/// A measurement y = A x0 + n of the data, n ~ N(0, noise^2 I).
#[derive(Clone, Debug, PartialEq)]
pub struct Observation {
    /// The rows of A (one or two).
    pub rows: Vec<[f64; 2]>,
    /// The measured y, one value per row.
    pub y: Vec<f64>,
    /// The noise's standard deviation s > 0.
    pub noise: f64,
}

impl Observation {
    /// A measurement with the rows of A, the values y and the noise s; errors name what is
    /// wrong: one or two rows, as many values as rows, finite numbers, s positive and finite.
    pub fn new(rows: Vec<[f64; 2]>, y: Vec<f64>, noise: f64) -> Result<Observation, String> {
        if rows.is_empty() || rows.len() > 2 {
            return Err(format!(
                "observe: {} rows is not allowed (allowed: 1 or 2 rows of 2 numbers)",
                rows.len()
            ));
        }
        if !rows.iter().flatten().all(|v| v.is_finite()) {
            return Err("observe: every entry of A must be a finite number".into());
        }
        if y.len() != rows.len() {
            return Err(format!(
                "observation: {} values for {} rows of A (allowed: one value per row)",
                y.len(),
                rows.len()
            ));
        }
        if !y.iter().all(|v| v.is_finite()) {
            return Err("observation: every value must be a finite number".into());
        }
        if !(noise.is_finite() && noise > 0.0) {
            return Err(format!(
                "observation_noise: {noise} is not allowed (allowed: a positive, finite number)"
            ));
        }
        Ok(Observation { rows, y, noise })
    }

    /// ln N(y; A x, s^2 I), the log-likelihood of a data point x.
    pub fn log_likelihood(&self, x: [f64; 2]) -> f64 {
        let s2 = self.noise * self.noise;
        self.rows
            .iter()
            .zip(&self.y)
            .map(|(a, y)| {
                let r = y - (a[0] * x[0] + a[1] * x[1]);
                -0.5 * r * r / s2 - 0.5 * (TAU * s2).ln()
            })
            .sum()
    }
}

/// Symmetric 2 x 2 matrix [xx, xy, yy].
type Sym2 = [f64; 3];

/// The posterior p(x0 | y) of `prior` under `observation` (see the module docs).
pub fn posterior(prior: &GaussianMixture, observation: &Observation) -> GaussianMixture {
    let s2 = observation.noise * observation.noise;
    let a = &observation.rows;
    let updated: Vec<([f64; 2], Sym2, f64)> = prior
        .components
        .iter()
        .map(|c| {
            let [sxx, sxy, syy] = c.covariance();
            let mu = [c.mean[0] as f64, c.mean[1] as f64];
            // Sigma A^T: one column (2 values) per row of A.
            let sat: Vec<[f64; 2]> =
                a.iter().map(|r| [sxx * r[0] + sxy * r[1], sxy * r[0] + syy * r[1]]).collect();
            // S = A Sigma A^T + s^2 I (m x m, m = 1 or 2), and the residual y - A mu.
            let s = |i: usize, j: usize| {
                a[i][0] * sat[j][0] + a[i][1] * sat[j][1] + if i == j { s2 } else { 0.0 }
            };
            let residual: Vec<f64> =
                a.iter().zip(&observation.y).map(|(r, y)| y - (r[0] * mu[0] + r[1] * mu[1])).collect();
            // S^-1 (as rows), its log-determinant.
            let (inverse, log_det): (Vec<Vec<f64>>, f64) = if a.len() == 1 {
                (vec![vec![1.0 / s(0, 0)]], s(0, 0).ln())
            } else {
                let (p, q, r) = (s(0, 0), s(0, 1), s(1, 1));
                let det = p * r - q * q;
                (vec![vec![r / det, -q / det], vec![-q / det, p / det]], det.ln())
            };
            let m = a.len();
            // K = Sigma A^T S^-1 (2 x m).
            let gain: Vec<[f64; 2]> = (0..m)
                .map(|j| {
                    let mut column = [0.0; 2];
                    for (l, sat_l) in sat.iter().enumerate() {
                        column[0] += sat_l[0] * inverse[l][j];
                        column[1] += sat_l[1] * inverse[l][j];
                    }
                    column
                })
                .collect();
            let mut mean = mu;
            let mut quadratic = 0.0;
            for j in 0..m {
                mean[0] += gain[j][0] * residual[j];
                mean[1] += gain[j][1] * residual[j];
                for l in 0..m {
                    quadratic += residual[j] * inverse[j][l] * residual[l];
                }
            }
            // Sigma' = Sigma - K (Sigma A^T)^T, symmetrised.
            let mut cov = [sxx, sxy, syy];
            for j in 0..m {
                cov[0] -= gain[j][0] * sat[j][0];
                cov[1] -= 0.5 * (gain[j][0] * sat[j][1] + gain[j][1] * sat[j][0]);
                cov[2] -= gain[j][1] * sat[j][1];
            }
            cov[0] = cov[0].max(0.0);
            cov[2] = cov[2].max(0.0);
            let log_evidence = -0.5 * quadratic - 0.5 * log_det - 0.5 * m as f64 * TAU.ln();
            (mean, cov, c.log_weight as f64 + log_evidence)
        })
        .collect();
    let log_total = log_sum_exp(updated.iter().map(|u| u.2));
    GaussianMixture {
        components: updated
            .into_iter()
            .map(|(mean, cov, log_weight)| MixtureComponent::new(mean, cov, log_weight - log_total))
            .collect(),
    }
}
