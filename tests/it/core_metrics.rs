//! The sliced 2-Wasserstein distance: a metric on point sets that is zero for identical sets, small
//! between samples of one distribution, and equal to d / sqrt(2) for a shift by d.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::metrics::{
    mean_and_variance, sliced_wasserstein, sliced_wasserstein_with, SLICED_WASSERSTEIN_PROJECTIONS,
};
use diffusion_playground::core::rng;

/// `n` standard normal points.
fn normals(seed: u32, n: usize) -> Vec<[f32; 2]> {
    (0..n as u32).map(|i| rng::normal2(seed, i, 0, rng::stream::PRIOR)).collect()
}

fn shifted(points: &[[f32; 2]], by: [f32; 2]) -> Vec<[f32; 2]> {
    points.iter().map(|p| [p[0] + by[0], p[1] + by[1]]).collect()
}

#[test]
fn a_set_is_at_distance_zero_from_itself() {
    for dataset in Dataset::ALL {
        let a = dataset.sample(1, 1000);
        assert_eq!(sliced_wasserstein(&a, &a), 0.0);
        let mut reversed = a.clone();
        reversed.reverse();
        assert_eq!(sliced_wasserstein(&a, &reversed), 0.0, "the order of the points does not matter");
    }
}

#[test]
fn a_set_is_at_distance_zero_from_itself_with_every_point_repeated() {
    // Same empirical distribution, twice the size: quantile matching handles unequal sizes.
    let a = normals(2, 300);
    let doubled: Vec<[f32; 2]> = a.iter().flat_map(|p| [*p, *p]).collect();
    assert_eq!(sliced_wasserstein(&a, &doubled), 0.0);
}

#[test]
fn the_distance_is_symmetric() {
    let (a, b) = (Dataset::TwoMoons.sample(3, 700), Dataset::Spiral.sample(4, 500));
    assert_eq!(sliced_wasserstein(&a, &b), sliced_wasserstein(&b, &a));
    assert!(sliced_wasserstein(&a, &b) > 0.1, "different datasets are far apart");
}

#[test]
fn a_shift_by_d_in_any_direction_is_at_distance_d_over_sqrt_2() {
    // Each projection moves by d cos(theta - phi), and the mean of cos^2 over the K equally spaced
    // directions pi k / K is exactly 1/2, so SW2 = d / sqrt(2).
    let a = normals(5, 2000);
    let d = 0.75f64;
    for phi in [0.0f64, 0.3, 1.0, 2.0] {
        let by = [(d * phi.cos()) as f32, (d * phi.sin()) as f32];
        let distance = sliced_wasserstein(&a, &shifted(&a, by));
        let expected = d / 2f64.sqrt();
        assert!((distance - expected).abs() < 1e-6, "phi {phi}: {distance} vs {expected}");
    }
    // Two single points one unit apart along x.
    let distance = sliced_wasserstein(&[[0.0, 0.0]], &[[1.0, 0.0]]);
    assert!((distance - 0.5f64.sqrt()).abs() < 1e-12);
}

#[test]
fn independent_samples_of_one_distribution_are_close_and_closer_with_more_points() {
    let distance = |n: usize| {
        let samples: Vec<f64> =
            (0..4).map(|r| sliced_wasserstein(&normals(10 + r, n), &normals(20 + r, n))).collect();
        samples.iter().sum::<f64>() / samples.len() as f64
    };
    let (small, large) = (distance(500), distance(8000));
    assert!(small < 0.15, "n = 500: {small}");
    assert!(large < 0.05, "n = 8000: {large}");
    // 16x the points: the distance falls roughly as 1/sqrt(n) (by ~4x; Gaussian tails make it
    // ~3x at these sizes); require at least 2x.
    assert!(large < small / 2.0, "{small} -> {large}");
    // And well below the distance to a set shifted by one standard deviation (0.71).
    assert!(small < 0.25 * sliced_wasserstein(&normals(10, 500), &shifted(&normals(20, 500), [1.0, 0.0])));
}

#[test]
fn a_scaled_gaussian_is_at_distance_of_the_std_difference() {
    // Every projection of N(0, I) vs N(0, s^2 I) is N(0, 1) vs N(0, s^2), at W2 distance |1 - s|.
    let a = normals(30, 20_000);
    let b: Vec<[f32; 2]> = normals(31, 20_000).iter().map(|p| [1.5 * p[0], 1.5 * p[1]]).collect();
    let distance = sliced_wasserstein(&a, &b);
    assert!((distance - 0.5).abs() < 0.03, "{distance}");
}

#[test]
fn more_projections_converge_to_the_same_distance() {
    let (a, b) = (Dataset::GaussianMixture.sample(1, 2000), Dataset::TwoMoons.sample(2, 2000));
    let coarse = sliced_wasserstein_with(&a, &b, SLICED_WASSERSTEIN_PROJECTIONS);
    let fine = sliced_wasserstein_with(&a, &b, 1024);
    assert!((coarse - fine).abs() < 0.005 * fine, "{coarse} vs {fine}");
}

#[test]
fn non_finite_points_are_infinitely_far_and_empty_sets_have_no_distance() {
    let a = normals(1, 10);
    let mut b = a.clone();
    b[3][1] = f32::NAN;
    assert_eq!(sliced_wasserstein(&a, &b), f64::INFINITY);
    b[3][1] = f32::INFINITY;
    assert_eq!(sliced_wasserstein(&b, &a), f64::INFINITY);
    assert!(sliced_wasserstein(&a, &[]).is_nan());
    assert!(sliced_wasserstein(&[], &a).is_nan());
    assert!(sliced_wasserstein_with(&a, &a, 0).is_nan());
}

#[test]
fn mean_and_variance_are_those_of_the_empirical_distribution() {
    let points = [[1.0, -2.0], [3.0, -2.0], [5.0, 4.0], [7.0, 4.0]];
    let (mean, variance) = mean_and_variance(&points);
    assert_eq!(mean, [4.0, 1.0]);
    assert_eq!(variance, [5.0, 9.0], "divided by n, not n - 1");
    let (mean, variance) = mean_and_variance(&[]);
    assert!(mean.iter().chain(&variance).all(|v| v.is_nan()));
}
