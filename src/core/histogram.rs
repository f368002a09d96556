//! A square histogram of the particles over the picture's window, and the exact density of the
//! noised data on the same bins: the two halves of the page's density view. The GPU twin of
//! [`histogram`] is `shaders/histogram.wgsl` (one atomic add per particle).
//!
//! Bins cover [-h, h]^2 with `side` bins per axis, row 0 at the top (y = h), as the canvas shows
//! it; a particle outside the window, or not finite, is not counted.

use crate::core::dataset::GaussianMixture;
use crate::core::mixture_grid::{self, GridPoints};

/// Bins per axis of the page's density view.
pub const DEFAULT_SIDE: u32 = 64;
/// Most bins per axis.
pub const MAX_SIDE: u32 = 512;

/// The bin grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bins {
    /// Bins per axis.
    pub side: u32,
    /// Half the window's width in world units (the canvas shows [-3, 3]^2).
    pub half_extent: f32,
}

impl Bins {
    /// The bin of `p` (row-major, row 0 at the top), or `None` outside the window. Twin of
    /// `bin_of` in the WGSL: the same f32 operations in the same order.
    pub fn index(&self, p: [f32; 2]) -> Option<u32> {
        let width = 2.0 * self.half_extent;
        let column = (p[0] + self.half_extent) / width * self.side as f32;
        let row = (self.half_extent - p[1]) / width * self.side as f32;
        // NaN fails both comparisons, so non-finite points are dropped here too.
        if !(column >= 0.0 && column < self.side as f32 && row >= 0.0 && row < self.side as f32) {
            return None;
        }
        Some(row as u32 * self.side + column as u32)
    }

    /// The centre of bin (row, column) in world coordinates.
    pub fn centre(&self, row: u32, column: u32) -> [f64; 2] {
        let size = 2.0 * self.half_extent as f64 / self.side as f64;
        [
            -(self.half_extent as f64) + (column as f64 + 0.5) * size,
            self.half_extent as f64 - (row as f64 + 0.5) * size,
        ]
    }
}

/// Counts of `points` per bin (`side * side`, row-major).
pub fn histogram(points: &[[f32; 2]], bins: &Bins) -> Vec<u32> {
    let mut counts = vec![0u32; (bins.side * bins.side) as usize];
    for p in points {
        if let Some(k) = bins.index(*p) {
            counts[k as usize] += 1;
        }
    }
    counts
}

/// Sub-bins per axis of the quadrature in [`exact_probabilities`].
const QUADRATURE: u32 = 3;

/// The probability of each bin under p_t, the mixture noised to (alpha, sigma): the density at
/// the centres of a 3 x 3 grid of sub-bins times their area (the midpoint rule on sub-bins, so
/// that components narrower than a bin are still weighed well). 1-D data needs no special case:
/// its components are flat in y, so their noised covariance is diag(alpha^2 v + sigma^2,
/// sigma^2) and p_t is the x-marginal times N(y; 0, sigma^2).
///
/// The density on the sub-bins' centres comes from `mixture_grid::noised_density` (the pointwise
/// density, component by component, about a hundred times faster than evaluating the whole
/// mixture at each point: the page asks for it at every time of a run).
pub fn exact_probabilities(mixture: &GaussianMixture, alpha: f64, sigma: f64, bins: &Bins) -> Vec<f32> {
    let fine = (bins.side * QUADRATURE) as usize;
    let half_extent = bins.half_extent as f64;
    let spacing = 2.0 * half_extent / fine as f64;
    let grid = GridPoints {
        left: -half_extent + 0.5 * spacing,
        top: half_extent - 0.5 * spacing,
        spacing,
        columns: fine,
        rows: fine,
    };
    let density = mixture_grid::noised_density(mixture, alpha, sigma, &grid);
    sub_bin_sums(bins, |row, column| density[row as usize * fine + column as usize] * spacing * spacing)
}

/// The mass of each bin under `density`: the density at the centres of a 3 x 3 grid of
/// sub-bins times their area (the midpoint rule on sub-bins), row-major, row 0 at the top.
pub fn bin_probabilities(bins: &Bins, density: impl Fn([f64; 2]) -> f64) -> Vec<f32> {
    let fine = Bins { side: bins.side * QUADRATURE, half_extent: bins.half_extent };
    let area = (2.0 * fine.half_extent as f64 / fine.side as f64).powi(2);
    sub_bin_sums(bins, |row, column| density(fine.centre(row, column)) * area)
}

/// Each bin's sum of `mass(fine_row, fine_column)` over its 3 x 3 sub-bins, row-major.
fn sub_bin_sums(bins: &Bins, mass: impl Fn(u32, u32) -> f64) -> Vec<f32> {
    (0..bins.side)
        .flat_map(|row| (0..bins.side).map(move |column| (row, column)))
        .map(|(row, column)| {
            let mut total = 0.0;
            for i in 0..QUADRATURE {
                for j in 0..QUADRATURE {
                    total += mass(row * QUADRATURE + i, column * QUADRATURE + j);
                }
            }
            total as f32
        })
        .collect()
}

/// Total variation distance between the particles' histogram (as frequencies of all `total`
/// particles) and the bin probabilities: half the sum of absolute differences, in [0, 1].
/// Mass outside the window counts as one more bin on both sides.
pub fn total_variation(counts: &[u32], total: usize, probabilities: &[f32]) -> f64 {
    let n = total.max(1) as f64;
    let inside: f64 = probabilities.iter().map(|&p| p as f64).sum();
    let counted: f64 = counts.iter().map(|&c| c as f64).sum();
    let bins: f64 = counts.iter().zip(probabilities).map(|(&c, &p)| (c as f64 / n - p as f64).abs()).sum();
    let outside = ((n - counted) / n - (1.0 - inside).max(0.0)).abs();
    0.5 * (bins + outside)
}

/// The total variation distance that sampling noise alone leaves between `total` exact samples
/// and `probabilities`: half the sum over bins of E|c/N - p| with c ~ Binomial(N, p), taken as
/// sqrt(2 p (1 - p) / (pi N)) (the normal approximation) capped by 2 p (1 - p), its value when
/// N p is small. Twin of `noiseFloor` in `www/js/density.js`.
pub fn noise_floor(total: usize, probabilities: &[f32]) -> f64 {
    let n = total.max(1) as f64;
    let sum: f64 = probabilities
        .iter()
        .map(|&p| {
            let v = p as f64 * (1.0 - p as f64);
            (2.0 * v / (std::f64::consts::PI * n)).sqrt().min(2.0 * v)
        })
        .sum();
    0.5 * sum
}
