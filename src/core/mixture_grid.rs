//! The noised density p_t of a Gaussian mixture at every point of a regular grid, fast: the
//! density view and the contours ask for it at 192 x 192 points for each time of a run.
//!
//! Component by component, p_t = sum_k w_k N(alpha mu_k, C_k) with C_k = alpha^2 Sigma_k +
//! sigma^2 I (`core::mixture`) is factored along the rows of the grid (the chain rule of a 2-D
//! normal, e.g. Bishop 2006, "Pattern Recognition and Machine Learning", eqs. 2.81-2.82):
//!
//! N(x; m, C) = N(y; m_y, c_yy) N(x; m_x + (c_xy / c_yy)(y - m_y), det C / c_yy),
//!
//! so each row costs one exponential for its y factor and one for its first column, and the
//! Gaussian in x along the row follows from the recurrence of a Gaussian on equally spaced
//! points, g(d + h) = g(d) r(d), r(d) = exp(-(2 d h + h^2) / 2v), r(d + h) = r(d) exp(-h^2 / v):
//! two multiplications a point instead of an exponential per component and point. Only the
//! points within [`REACH`] standard deviations of a component (along y, then along x given y)
//! receive its density; the rest of its mass is below exp(-REACH^2 / 2) of its peak.

use std::f64::consts::TAU;

use crate::core::mixture::GaussianMixture;

/// Standard deviations past which a component's density is left out: exp(-8^2 / 2) ~ 1.3e-14 of
/// its peak, below the resolution of the f32 bin probabilities the views show (6e-8 of the
/// largest) and of the contours drawn from them.
pub const REACH: f64 = 8.0;

/// A regular grid of points, `columns` x `rows`, `spacing` apart, row-major from the top-left
/// point (`left`, `top`); row i lies at y = top - i spacing (the picture's rows run downward).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridPoints {
    /// x of column 0.
    pub left: f64,
    /// y of row 0.
    pub top: f64,
    /// Distance between neighbouring points, along both axes.
    pub spacing: f64,
    /// Points per row.
    pub columns: usize,
    /// Rows.
    pub rows: usize,
}

/// p_t(x) of x_t = alpha x_0 + sigma eps, x_0 from `mixture`, at every point of `grid`
/// (row-major): the same values as `GaussianMixture::log_density_noised(x).exp()` up to rounding
/// (relative 1e-12) and the tails past [`REACH`]. A component whose noised covariance is
/// singular (sigma = 0 with a flat component) has no density and is left out.
pub fn noised_density(mixture: &GaussianMixture, alpha: f64, sigma: f64, grid: &GridPoints) -> Vec<f64> {
    let mut density = vec![0.0; grid.rows * grid.columns];
    let h = grid.spacing;
    if grid.rows == 0 || grid.columns == 0 || h.is_nan() || h <= 0.0 {
        return density;
    }
    let (a2, s2) = (alpha * alpha, sigma * sigma);
    for component in &mixture.components {
        let [xx, xy, yy] = component.covariance();
        let (c_xy, c_yy) = (a2 * xy, a2 * yy + s2);
        // det C without cancellation (`mixture::noised_determinant`).
        let det = a2 * a2 * component.cov_det as f64 + a2 * s2 * (xx + yy) + s2 * s2;
        if !(c_yy > 0.0 && det > 0.0 && det.is_finite()) {
            continue;
        }
        let (m_x, m_y) = (alpha * component.mean[0] as f64, alpha * component.mean[1] as f64);
        // The conditional of x given y: mean m_x + slope (y - m_y), variance det C / c_yy.
        let (slope, v) = (c_xy / c_yy, det / c_yy);
        let peak = (component.log_weight as f64).exp() / (TAU * det.sqrt());
        let (reach_y, reach_x) = (REACH * c_yy.sqrt(), REACH * v.sqrt());
        let step_ratio = (-h * h / v).exp();
        let Some((first_row, last_row)) =
            index_range(grid.top - (m_y + reach_y), grid.top - (m_y - reach_y), h, grid.rows)
        else {
            continue;
        };
        for row in first_row..=last_row {
            let dy = grid.top - row as f64 * h - m_y;
            let row_peak = peak * (-0.5 * dy * dy / c_yy).exp();
            let centre = m_x + slope * dy;
            let Some((first, last)) =
                index_range(centre - reach_x - grid.left, centre + reach_x - grid.left, h, grid.columns)
            else {
                continue;
            };
            if row_peak == 0.0 {
                continue;
            }
            let values = &mut density[row * grid.columns..(row + 1) * grid.columns];
            // Start at the column nearest the centre, where |d| <= h / 2 unless the centre lies
            // outside the window (then d has the sign that makes every ratio below at most 1).
            let nearest = (((centre - grid.left) / h).round().max(0.0) as usize).clamp(first, last);
            let d = grid.left + nearest as f64 * h - centre;
            let at_nearest = row_peak * (-0.5 * d * d / v).exp();
            values[nearest] += at_nearest;
            let (mut g, mut ratio) = (at_nearest, (-(2.0 * d * h + h * h) / (2.0 * v)).exp());
            for value in &mut values[nearest + 1..=last] {
                g *= ratio;
                ratio *= step_ratio;
                *value += g;
            }
            let (mut g, mut ratio) = (at_nearest, ((2.0 * d * h - h * h) / (2.0 * v)).exp());
            for value in values[first..nearest].iter_mut().rev() {
                g *= ratio;
                ratio *= step_ratio;
                *value += g;
            }
        }
    }
    density
}

/// The indices i in [0, count) with lo <= i h <= hi, or `None` when there are none.
fn index_range(lo: f64, hi: f64, h: f64, count: usize) -> Option<(usize, usize)> {
    let first = (lo / h).ceil().max(0.0);
    let last = (hi / h).floor().min(count as f64 - 1.0);
    if first.is_nan() || last.is_nan() || first > last {
        return None;
    }
    Some((first as usize, last as usize))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::dataset::Dataset;

    #[test]
    fn the_grid_density_is_the_pointwise_density_of_every_dataset_at_every_time() {
        let grid = GridPoints { left: -3.0 + 0.05, top: 3.0 - 0.05, spacing: 0.1, columns: 60, rows: 60 };
        for dataset in Dataset::ALL {
            let mixture = dataset.mixture();
            for (alpha, sigma) in [(1.0, 0.01), (0.95, 0.3), (0.4, 0.9), (0.006, 1.0), (1.0, 3.0)] {
                let fast = noised_density(&mixture, alpha, sigma, &grid);
                // What the tails past REACH may leave out, at most: that fraction of the peak.
                let peak = fast.iter().copied().fold(0.0, f64::max);
                let left_out = 2.0 * (-0.5 * REACH * REACH).exp() * peak;
                for row in 0..grid.rows {
                    for column in 0..grid.columns {
                        let x =
                            [grid.left + column as f64 * grid.spacing, grid.top - row as f64 * grid.spacing];
                        let exact = mixture.log_density_noised(x, alpha, sigma).exp();
                        let got = fast[row * grid.columns + column];
                        // The pointwise form divides by det C built from Sigma's determinant rounded
                        // to f32 (relative 6e-8, more for a thin tilted component), so the two
                        // differ by that times the exponent.
                        let exponent = if exact > 0.0 { exact.ln().abs() } else { 0.0 };
                        let tolerance = 1e-5 * (1.0 + exponent) * exact + left_out + 1e-300;
                        assert!(
                            (got - exact).abs() <= tolerance,
                            "{dataset:?} at alpha {alpha}, sigma {sigma}, {x:?}: {got} vs {exact}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_component_outside_the_window_still_lends_its_tail_and_a_singular_one_is_left_out() {
        let far = GaussianMixture::new(&[[3.0, -2.5]], &[1.0], &[1.0]).unwrap();
        let grid = GridPoints { left: -1.0, top: 1.0, spacing: 0.5, columns: 5, rows: 5 };
        let fast = noised_density(&far, 1.0, 0.0, &grid);
        let exact = far.log_density_noised([1.0, -1.0], 1.0, 0.0).exp();
        assert!((fast[4 * 5 + 4] - exact).abs() <= 1e-12 * exact);
        let flat = GaussianMixture::with_covariances(&[[0.0, 0.0]], &[1.0], &[[1.0, 0.0, 0.0]]).unwrap();
        assert!(noised_density(&flat, 1.0, 0.0, &grid).iter().all(|&p| p == 0.0));
    }
}
