//! Sample quality: how far a set of particles is from a data sample.
//!
//! The main measure is the sliced 2-Wasserstein distance (Rabin et al. 2011; Bonneel et al. 2015):
//! project both point sets on directions theta_k, compute the 1-D 2-Wasserstein distance of each
//! pair of projections by matching quantiles, and average the squares over the directions. It is
//! cheap (a sort per direction), needs no bandwidth, works for sets of different sizes, and is
//! zero exactly when every projection agrees.

/// Number of projection directions used by the default sliced Wasserstein distance.
pub const SLICED_WASSERSTEIN_PROJECTIONS: usize = 64;

/// Sliced 2-Wasserstein distance between two 2-D point sets (which may differ in size), with
/// [`SLICED_WASSERSTEIN_PROJECTIONS`] directions; see [`sliced_wasserstein_with`].
pub fn sliced_wasserstein(a: &[[f32; 2]], b: &[[f32; 2]]) -> f64 {
    sliced_wasserstein_with(a, b, SLICED_WASSERSTEIN_PROJECTIONS)
}

/// Sliced 2-Wasserstein distance with `projections` directions theta_k = pi k / K, k < K:
///
/// SW2(a, b) = sqrt( (1/K) sum_k W2^2(<a, u_k>, <b, u_k>) ),   u_k = (cos theta_k, sin theta_k),
///
/// where the 1-D W2^2 of two sorted projections is the mean over the levels (i + 1/2) / m,
/// i < m = max(|a|, |b|), of the squared difference of their empirical quantiles. Deterministic
/// (no random directions), symmetric in `a` and `b`, and in the same units as the points.
///
/// Returns `f64::INFINITY` if any coordinate is not finite (a diverged sampler is infinitely far
/// from the data), and `f64::NAN` if either set is empty or `projections` is 0 (no distance is
/// defined).
pub fn sliced_wasserstein_with(a: &[[f32; 2]], b: &[[f32; 2]], projections: usize) -> f64 {
    if a.is_empty() || b.is_empty() || projections == 0 {
        return f64::NAN;
    }
    let all_finite = |points: &[[f32; 2]]| points.iter().flatten().all(|v| v.is_finite());
    if !(all_finite(a) && all_finite(b)) {
        return f64::INFINITY;
    }
    let levels = a.len().max(b.len());
    let mut projected_a = vec![0.0f64; a.len()];
    let mut projected_b = vec![0.0f64; b.len()];
    let mut sum_w2_squared = 0.0;
    for k in 0..projections {
        let theta = std::f64::consts::PI * k as f64 / projections as f64;
        let direction = [theta.cos(), theta.sin()];
        project_sorted(a, direction, &mut projected_a);
        project_sorted(b, direction, &mut projected_b);
        let mut w2_squared = 0.0;
        for i in 0..levels {
            let level = (i as f64 + 0.5) / levels as f64;
            let d = quantile(&projected_a, level) - quantile(&projected_b, level);
            w2_squared += d * d;
        }
        sum_w2_squared += w2_squared / levels as f64;
    }
    (sum_w2_squared / projections as f64).sqrt()
}

/// Writes the projections <p, direction> of `points` into `out`, sorted ascending.
fn project_sorted(points: &[[f32; 2]], direction: [f64; 2], out: &mut [f64]) {
    for (o, p) in out.iter_mut().zip(points) {
        *o = p[0] as f64 * direction[0] + p[1] as f64 * direction[1];
    }
    out.sort_unstable_by(f64::total_cmp);
}

/// Empirical quantile of a sorted, non-empty sample at `level` in (0, 1): the value of rank
/// floor(level n) (the generalised inverse of the empirical CDF).
fn quantile(sorted: &[f64], level: f64) -> f64 {
    let rank = (level * sorted.len() as f64) as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// Mean and per-coordinate variance of a point set, in f64. The variance is that of the empirical
/// distribution (divided by n, not n - 1). Both are NaN for an empty set.
pub fn mean_and_variance(points: &[[f32; 2]]) -> ([f64; 2], [f64; 2]) {
    let n = points.len() as f64;
    let mut mean = [0.0; 2];
    for p in points {
        mean[0] += p[0] as f64;
        mean[1] += p[1] as f64;
    }
    mean = mean.map(|m| m / n);
    let mut variance = [0.0; 2];
    for p in points {
        let d = [p[0] as f64 - mean[0], p[1] as f64 - mean[1]];
        variance[0] += d[0] * d[0];
        variance[1] += d[1] * d[1];
    }
    (mean, variance.map(|v| v / n))
}
