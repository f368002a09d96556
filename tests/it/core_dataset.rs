//! The built-in datasets are exact Gaussian mixtures: their noised score is the gradient of their
//! noised log density, the f32 twin of the GPU kernel agrees with the f64 reference, and their
//! samples follow the mixture.

use diffusion_playground::core::dataset::{
    Dataset, GaussianMixture, MixtureComponent, SPIRAL_STD, TWO_MOONS_STD, TWO_NORMALS_MEANS,
    TWO_NORMALS_WEIGHTS,
};
use diffusion_playground::core::metrics::mean_and_variance;
use diffusion_playground::core::rng;

/// (alpha, sigma) pairs from clean data (sigma small) to almost pure noise.
const NOISE_LEVELS: [(f64, f64); 5] = [(1.0, 0.01), (0.99, 0.05), (0.9, 0.3), (0.5, 0.8), (0.05, 1.0)];

/// Points where the score is checked: a grid over the data's range and beyond, and noised data
/// samples (where reverse runs actually evaluate the score).
fn probe_points(dataset: Dataset, alpha: f64, sigma: f64) -> Vec<[f64; 2]> {
    let grid = (0..9).flat_map(|i| (0..9).map(move |j| [-3.0 + 0.75 * i as f64, -3.0 + 0.75 * j as f64]));
    let noised = dataset.sample(11, 64).into_iter().enumerate().map(|(i, x0)| {
        let eps = rng::normal2(12, i as u32, 0, rng::stream::FORWARD);
        [alpha * x0[0] as f64 + sigma * eps[0] as f64, alpha * x0[1] as f64 + sigma * eps[1] as f64]
    });
    grid.chain(noised).collect()
}

fn norm(v: [f64; 2]) -> f64 {
    v[0].hypot(v[1])
}

#[test]
fn the_exact_score_is_the_gradient_of_the_noised_log_density() {
    // Central differences: error h^2 |d^3 log p| / 6 plus rounding eps |log p| / h.
    for dataset in Dataset::ALL {
        let mixture = dataset.mixture();
        for (alpha, sigma) in NOISE_LEVELS {
            let h = 1e-5 * (alpha * alpha * 0.0049 + sigma * sigma).sqrt();
            for x in probe_points(dataset, alpha, sigma) {
                let log_p =
                    |dx: f64, dy: f64| mixture.log_density_noised([x[0] + dx, x[1] + dy], alpha, sigma);
                let finite_difference = [
                    (log_p(h, 0.0) - log_p(-h, 0.0)) / (2.0 * h),
                    (log_p(0.0, h) - log_p(0.0, -h)) / (2.0 * h),
                ];
                let score = mixture.score_noised_f64(x, alpha, sigma);
                let error = norm([score[0] - finite_difference[0], score[1] - finite_difference[1]]);
                assert!(
                    error <= 1e-5 * (1.0 + norm(score)),
                    "{} at {x:?}, alpha {alpha}, sigma {sigma}: {score:?} vs {finite_difference:?}",
                    dataset.name()
                );
            }
        }
    }
}

#[test]
fn the_noised_density_of_a_single_gaussian_is_the_closed_form_normal() {
    // x_0 ~ N(mu, v I)  =>  x_t ~ N(alpha mu, (alpha^2 v + sigma^2) I).
    let mixture = GaussianMixture::new(&[[0.5, -1.0]], &[3.0], &[0.25]).unwrap();
    let (alpha, sigma, x) = (0.8, 0.6, [1.0, 0.2]);
    let s = alpha * alpha * 0.25 + sigma * sigma;
    let d: [f64; 2] = [x[0] - alpha * 0.5, x[1] + alpha];
    let expected = -(d[0] * d[0] + d[1] * d[1]) / (2.0 * s) - (2.0 * std::f64::consts::PI * s).ln();
    assert!((mixture.log_density_noised(x, alpha, sigma) - expected).abs() < 1e-12);
    let score = mixture.score_noised_f64(x, alpha, sigma);
    assert!((score[0] + d[0] / s).abs() < 1e-12 && (score[1] + d[1] / s).abs() < 1e-12);
}

#[test]
fn the_f32_score_twin_of_the_gpu_kernel_matches_the_f64_reference() {
    for dataset in Dataset::ALL {
        let mixture = dataset.mixture();
        for (alpha, sigma) in NOISE_LEVELS {
            let (alpha32, sigma32) = (alpha as f32, sigma as f32);
            for x in probe_points(dataset, alpha, sigma) {
                let x32 = [x[0] as f32, x[1] as f32];
                let reference =
                    mixture.score_noised_f64([x32[0] as f64, x32[1] as f64], alpha32 as f64, sigma32 as f64);
                let score = mixture.score_noised(x32, alpha32, sigma32);
                let error = norm([score[0] as f64 - reference[0], score[1] as f64 - reference[1]]);
                assert!(
                    error <= 1e-4 * (1.0 + norm(reference)),
                    "{} at {x:?}, alpha {alpha}, sigma {sigma}: f32 {score:?} vs f64 {reference:?}",
                    dataset.name()
                );
            }
        }
    }
}

#[test]
fn samples_have_the_mixture_mean_and_covariance() {
    // Tolerance: 5 standard errors, sqrt(var / n) for the mean and sqrt((m4 - var^2) / n) for the
    // variance, with the fourth central moment m4 estimated from the same sample.
    const N: usize = 100_000;
    for dataset in Dataset::ALL {
        let mixture = dataset.mixture();
        let samples = dataset.sample(5, N);
        let (mean, variance) = mean_and_variance(&samples);
        let (exact_mean, exact_cov) = (mixture.mean(), mixture.covariance());
        for axis in 0..2 {
            let exact_var = exact_cov[axis][axis];
            let m4 = samples.iter().map(|p| (p[axis] as f64 - mean[axis]).powi(4)).sum::<f64>() / N as f64;
            let mean_se = (exact_var / N as f64).sqrt();
            let var_se = ((m4 - variance[axis] * variance[axis]) / N as f64).sqrt();
            assert!(
                (mean[axis] - exact_mean[axis]).abs() <= 5.0 * mean_se,
                "{} axis {axis}: sample mean {} vs {}",
                dataset.name(),
                mean[axis],
                exact_mean[axis]
            );
            assert!(
                (variance[axis] - exact_var).abs() <= 5.0 * var_se,
                "{} axis {axis}: sample variance {} vs {exact_var}",
                dataset.name(),
                variance[axis]
            );
        }
        assert!((exact_cov[0][0] + exact_cov[1][1] - mixture.covariance_trace()).abs() < 1e-12);
    }
}

#[test]
fn sampling_follows_the_component_weights() {
    // Weights 0.1, 0.3, 0.6 on far-apart components: each sample's component is its nearest mean.
    const N: usize = 60_000;
    let means = [[-10.0, 0.0], [0.0, 0.0], [10.0, 0.0]];
    let weights = [0.1, 0.3, 0.6];
    let mixture = GaussianMixture::new(&means, &[1.0, 3.0, 6.0], &[0.01; 3]).unwrap();
    let mut counts = [0usize; 3];
    for p in mixture.sample(1, 0, N) {
        counts[((p[0] + 15.0) / 10.0) as usize] += 1;
    }
    for k in 0..3 {
        let se = (weights[k] * (1.0 - weights[k]) / N as f64).sqrt();
        let frequency = counts[k] as f64 / N as f64;
        assert!((frequency - weights[k]).abs() < 5.0 * se, "component {k}: {frequency} vs {}", weights[k]);
    }
}

#[test]
fn sample_i_is_a_function_of_seed_and_index_only() {
    for dataset in Dataset::ALL {
        let mixture = dataset.mixture();
        let all = dataset.sample(9, 100);
        assert_eq!(all, dataset.sample(9, 100), "deterministic per seed");
        assert_eq!(mixture.sample(9, 40, 10), all[40..50].to_vec(), "a window of indices is a slice");
        let other = dataset.sample(10, 100);
        assert!(all.iter().zip(&other).all(|(a, b)| a != b), "another seed gives other samples");
    }
}

#[test]
fn sample_i_is_the_inverse_cdf_component_plus_scaled_box_muller_noise() {
    let mixture = Dataset::TwoMoons.mixture();
    let weights = mixture.weights();
    for (i, x) in mixture.sample(3, 0, 20).into_iter().enumerate() {
        let w = rng::words(3, i as u32, 0, rng::stream::DATA);
        let u = rng::uniform(w[0]) as f64;
        let mut cumulative = 0.0;
        let k = weights.iter().position(|w| {
            cumulative += w;
            cumulative >= u
        });
        let c = mixture.components[k.unwrap_or(weights.len() - 1)];
        let z = rng::box_muller(w[1], w[2]);
        let std = c.cov_xx.sqrt();
        assert_eq!(c.cov_xx, c.cov_yy, "two moons' knots are isotropic");
        assert_eq!(x, [c.mean[0] + std * z[0], c.mean[1] + std * z[1]]);
    }
}

#[test]
fn the_datasets_are_normalised_mixtures_in_the_plot_window() {
    for dataset in Dataset::ALL {
        let mixture = dataset.mixture();
        let total: f64 = mixture.components.iter().map(|c| (c.log_weight as f64).exp()).sum();
        assert!((total - 1.0).abs() < 1e-5, "{}: weights sum to {total}", dataset.name());
        for c in &mixture.components {
            let trace = c.cov_xx + c.cov_yy;
            assert!(trace > 0.0 && trace < 0.3, "{}: covariance trace {trace}", dataset.name());
            assert!(c.mean.iter().all(|m| m.abs() <= 2.25), "{}: mean {:?}", dataset.name(), c.mean);
        }
        let samples = dataset.sample(2, 20_000);
        let inside = samples.iter().filter(|p| p.iter().all(|v| v.abs() <= 2.5)).count();
        assert!(inside as f64 >= 0.995 * samples.len() as f64, "{}: {inside} inside", dataset.name());
        let (_, variance) = mean_and_variance(&samples);
        let spread_coordinates = if mixture.is_one_dimensional() { 1 } else { 2 };
        for v in &variance[..spread_coordinates] {
            assert!((0.25..2.5).contains(v), "{}: per-coordinate variance {v}", dataset.name());
        }
    }
}

#[test]
fn seed_000s_two_narrow_normals_live_on_the_x_axis() {
    let mixture = Dataset::TwoNormals1d.mixture();
    assert!(mixture.is_one_dimensional());
    assert!(Dataset::ALL.iter().filter(|d| d.mixture().is_one_dimensional()).count() == 1);
    let samples = Dataset::TwoNormals1d.sample(4, 10_000);
    assert!(samples.iter().all(|p| p[1] == 0.0), "every sample has y = 0");
    let left = samples.iter().filter(|p| p[0] < 0.0).count() as f64 / samples.len() as f64;
    assert!((left - TWO_NORMALS_WEIGHTS[0]).abs() < 0.02, "{left} of the mass on the left");
    let near_a_mean =
        samples.iter().filter(|p| TWO_NORMALS_MEANS.iter().any(|m| (p[0] as f64 - m).abs() < 0.4)).count();
    assert_eq!(near_a_mean, samples.len(), "narrow: every sample within 4 std of a mean");
    // Noised, the density stays finite and the score is that of the 1-D mixture in x and of
    // N(0, sigma^2) in y (the coordinates are independent).
    let (alpha, sigma) = (0.8f32, 0.3f32);
    let score = mixture.score_noised([0.5, 0.2], alpha, sigma);
    assert!((score[1] - (-0.2 / (sigma * sigma))).abs() < 1e-4, "y score {}", score[1]);
}

#[test]
fn a_full_covariance_component_samples_and_scores_its_covariance() {
    // Sigma = [[1, 0.6], [0.6, 0.5]] (det 0.14): samples have this covariance, and the noised
    // score at x is C^-1 (alpha mu - x) with C = alpha^2 Sigma + sigma^2 I.
    let mixture = GaussianMixture::with_covariances(&[[0.5, -0.25]], &[1.0], &[[1.0, 0.6, 0.5]]).unwrap();
    let samples = mixture.sample(6, 0, 40_000);
    let (mean, variance) = mean_and_variance(&samples);
    let n = samples.len() as f64;
    let cross = samples.iter().map(|p| (p[0] as f64 - mean[0]) * (p[1] as f64 - mean[1])).sum::<f64>() / n;
    assert!((mean[0] - 0.5).abs() < 0.02 && (mean[1] + 0.25).abs() < 0.02, "{mean:?}");
    assert!((variance[0] - 1.0).abs() < 0.03 && (variance[1] - 0.5).abs() < 0.02, "{variance:?}");
    assert!((cross - 0.6).abs() < 0.02, "covariance {cross}");
    let (alpha, sigma) = (0.6f64, 0.5f64);
    let c = [alpha * alpha + sigma * sigma, alpha * alpha * 0.6, alpha * alpha * 0.5 + sigma * sigma];
    let det = c[0] * c[2] - c[1] * c[1];
    let x = [1.0f64, 1.0];
    let d = [alpha * 0.5 - x[0], alpha * -0.25 - x[1]];
    let expected = [(c[2] * d[0] - c[1] * d[1]) / det, (c[0] * d[1] - c[1] * d[0]) / det];
    let exact = mixture.score_noised_f64(x, alpha, sigma);
    let single = mixture.score_noised([1.0, 1.0], alpha as f32, sigma as f32);
    for k in 0..2 {
        // The component stores Sigma in f32 (0.6 is not exact), hence 1e-6 rather than 1e-12.
        assert!((exact[k] - expected[k]).abs() < 1e-6, "{exact:?} vs {expected:?}");
        assert!((single[k] as f64 - expected[k]).abs() < 1e-5, "{single:?} vs {expected:?}");
    }
}

#[test]
fn a_flat_component_keeps_an_accurate_noised_determinant_at_small_sigma() {
    // A segment: Sigma = R diag(4, 0) R^T at 30 degrees. With sigma = 1e-3 the determinant of C is
    // alpha^2 sigma^2 4 + sigma^4 ~ 4e-6, far below the f32 rounding of C_xx C_yy ~ 3; summing
    // non-negative terms keeps the f32 score within 1e-3 relative of the f64 one.
    let (s, c) = (30f64.to_radians().sin(), 30f64.to_radians().cos());
    let segment =
        GaussianMixture::with_covariances(&[[0.0, 0.0]], &[1.0], &[[4.0 * c * c, 4.0 * c * s, 4.0 * s * s]])
            .unwrap();
    let x = [0.3f32, 0.1];
    let exact = segment.score_noised_f64([0.3, 0.1], 1.0, 1e-3);
    let single = segment.score_noised(x, 1.0, 1e-3);
    for k in 0..2 {
        assert!(((single[k] as f64 - exact[k]) / exact[k]).abs() < 1e-3, "{single:?} vs {exact:?}");
    }
}

#[test]
fn the_eight_gaussians_sit_on_a_circle_of_radius_2_with_std_0_15() {
    let mixture = Dataset::GaussianMixture.mixture();
    assert_eq!(mixture.components.len(), 8);
    for c in &mixture.components {
        assert!(((c.mean[0].hypot(c.mean[1])) - 2.0).abs() < 1e-6);
        assert!((c.cov_xx - 0.0225).abs() < 1e-7 && c.cov_xx == c.cov_yy && c.cov_xy == 0.0);
        assert!((c.log_weight - (0.125f32).ln()).abs() < 1e-6);
    }
    let mean = mixture.mean();
    assert!(norm(mean) < 1e-6, "the circle is centred: {mean:?}");
}

/// Consecutive knots (k, k + 1) along the curves: `None` where k + 1 starts another curve (the
/// jump between the two moons).
fn neighbouring_knots(mixture: &GaussianMixture, std: f64) -> Vec<Option<([f64; 2], [f64; 2])>> {
    let means: Vec<[f64; 2]> =
        mixture.components.iter().map(|c| [c.mean[0] as f64, c.mean[1] as f64]).collect();
    means
        .windows(2)
        .map(|w| Some((w[0], w[1])).filter(|(a, b)| norm([a[0] - b[0], a[1] - b[1]]) < 2.0 * std))
        .collect()
}

#[test]
fn curve_knots_are_closer_than_their_std_so_the_density_along_the_curve_does_not_ripple() {
    for (dataset, std, knots) in [(Dataset::TwoMoons, TWO_MOONS_STD, 200), (Dataset::Spiral, SPIRAL_STD, 300)]
    {
        let mixture = dataset.mixture();
        assert_eq!(mixture.components.len(), knots);
        let slots = neighbouring_knots(&mixture, std);
        let pairs: Vec<([f64; 2], [f64; 2])> = slots.iter().flatten().copied().collect();
        // Every knot but the last of each curve has a successor on the curve.
        let curves = if dataset == Dataset::TwoMoons { 2 } else { 1 };
        assert_eq!(pairs.len(), knots - curves, "{}: neighbouring pairs", dataset.name());
        let spacings: Vec<f64> = pairs.iter().map(|(a, b)| norm([a[0] - b[0], a[1] - b[1]])).collect();
        let (min, max) = spacings.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &s| (lo.min(s), hi.max(s)));
        assert!(max < 0.75 * std, "{}: knot spacing {max} vs std {std}", dataset.name());
        assert!(max / min < 1.01, "{}: knots evenly spaced in arc length ({min}..{max})", dataset.name());
        // Density at a knot vs halfway to the next, at least 10 knots (5+ std) from a curve end.
        const AWAY_FROM_ENDS: usize = 10;
        for window in slots.windows(2 * AWAY_FROM_ENDS + 1) {
            if window.iter().any(Option::is_none) {
                continue;
            }
            let Some((a, b)) = window[AWAY_FROM_ENDS] else { continue };
            let midpoint = [0.5 * (a[0] + b[0]), 0.5 * (a[1] + b[1])];
            let ripple =
                mixture.log_density_noised(a, 1.0, 0.0) - mixture.log_density_noised(midpoint, 1.0, 0.0);
            assert!(ripple.abs() < 0.01, "{}: log density ripple {ripple} at {a:?}", dataset.name());
        }
    }
}

#[test]
fn the_two_moons_span_about_4_4_in_x_and_are_centred() {
    let mixture = Dataset::TwoMoons.mixture();
    let xs = mixture.components.iter().map(|c| c.mean[0]);
    let (min, max) = xs.fold((f32::MAX, f32::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    assert!((min + 2.2).abs() < 1e-5 && (max - 2.2).abs() < 1e-5, "x spans {min}..{max}");
    let mean = mixture.mean();
    assert!(norm(mean) < 1e-5, "centred: {mean:?}");
}

#[test]
fn names_labels_and_ids_round_trip() {
    for dataset in Dataset::ALL {
        assert_eq!(Dataset::from_name(dataset.name()), Some(dataset));
        assert_eq!(Dataset::from_id(dataset.id()), Some(dataset));
        assert!(!dataset.label().is_empty());
    }
    let names: Vec<&str> = Dataset::ALL.iter().map(|d| d.name()).collect();
    assert_eq!(
        names,
        [
            "gaussian_mixture",
            "two_moons",
            "spiral",
            "pinwheel",
            "checkerboard",
            "rings",
            "line",
            "smiley",
            "two_normals_1d"
        ]
    );
    let ids: Vec<u32> = Dataset::ALL.iter().map(|d| d.id()).collect();
    assert_eq!(ids, [0, 1, 2, 3, 5, 6, 7, 8, 4], "ids are stored in weight files and must not change");
    assert_eq!(Dataset::GaussianMixture.label(), "8 Gaussians");
    assert_eq!(Dataset::from_name("moons"), None);
    assert_eq!(Dataset::from_id(9), None);
}

#[test]
fn invalid_mixtures_are_rejected_with_a_message_naming_the_problem() {
    let err = |result: Result<GaussianMixture, String>| result.expect_err("should be rejected");
    assert!(err(GaussianMixture::new(&[], &[], &[])).contains("at least one component"));
    assert!(err(GaussianMixture::new(&[[0.0, 0.0]], &[1.0, 1.0], &[1.0])).contains("as many weights"));
    assert!(err(GaussianMixture::new(&[[0.0, 0.0]], &[1.0], &[0.0])).contains("component 0: variance"));
    assert!(err(GaussianMixture::new(&[[0.0, 0.0], [1.0, 1.0]], &[1.0; 2], &[1.0, -1.0]))
        .contains("component 1: variance"));
    assert!(err(GaussianMixture::new(&[[0.0, 0.0]], &[1.0], &[f64::NAN])).contains("variance"));
    assert!(err(GaussianMixture::new(&[[0.0, 0.0]], &[1.0], &[1e-60])).contains("variance"));
    assert!(err(GaussianMixture::new(&[[0.0, f64::INFINITY]], &[1.0], &[1.0])).contains("mean"));
    assert!(err(GaussianMixture::new(&[[0.0, 0.0]], &[-1.0], &[1.0])).contains("weight"));
    assert!(err(GaussianMixture::new(&[[0.0, 0.0]], &[0.0], &[1.0])).contains("weight"));
    assert!(err(GaussianMixture::new(&[[0.0, 0.0]; 2], &[f64::MAX; 2], &[1.0; 2])).contains("not finite"));
    assert!(err(GaussianMixture::equal_weights(&[[0.0, 0.0]], f64::INFINITY)).contains("variance"));
    let full = |cov: [f64; 3]| GaussianMixture::with_covariances(&[[0.0, 0.0]], &[1.0], &[cov]);
    assert!(err(full([1.0, 2.0, 1.0]))
        .contains("component 0: covariance [1, 2, 1] is not positive semi-definite"));
    assert!(err(full([-1.0, 0.0, 1.0])).contains("not positive semi-definite"));
    assert!(err(full([0.0, 0.0, 0.0])).contains("is zero"));
    assert!(err(full([f64::NAN, 0.0, 1.0])).contains("not finite"));
    assert!(full([1.0, 0.0, 0.0]).is_ok(), "flat components are allowed");
}

#[test]
fn weights_are_normalised_on_construction() {
    let mixture = GaussianMixture::new(&[[0.0, 0.0], [1.0, 0.0]], &[1.0, 3.0], &[1.0, 2.0]).unwrap();
    let weights = mixture.weights();
    assert!((weights[0] - 0.25).abs() < 1e-7 && (weights[1] - 0.75).abs() < 1e-7);
    assert_eq!(mixture.components[1], MixtureComponent::new([1.0, 0.0], [2.0, 0.0, 2.0], 0.75f64.ln()));
    // Mean 0.75 in x; covariance E[v] + Var[mu] = 1.75 + 0.1875 in x and 1.75 in y.
    let (mean, cov) = (mixture.mean(), mixture.covariance());
    assert!((mean[0] - 0.75).abs() < 1e-7 && mean[1] == 0.0);
    assert!((cov[0][0] - 1.9375).abs() < 1e-6 && (cov[1][1] - 1.75).abs() < 1e-6 && cov[0][1] == 0.0);
}

#[test]
fn mixture_component_matches_the_wgsl_struct_layout() {
    // struct MixtureComponent { mean: vec2<f32> @ 0, cov_xx @ 8, cov_xy @ 12, cov_yy @ 16,
    // cov_det @ 20, log_weight @ 24, class_member @ 28 }: 32 bytes.
    assert_eq!(std::mem::size_of::<MixtureComponent>(), 32);
    assert_eq!(std::mem::offset_of!(MixtureComponent, mean), 0);
    assert_eq!(std::mem::offset_of!(MixtureComponent, cov_xx), 8);
    assert_eq!(std::mem::offset_of!(MixtureComponent, cov_det), 20);
    assert_eq!(std::mem::offset_of!(MixtureComponent, log_weight), 24);
    let c = MixtureComponent::new([1.0, 2.0], [3.0, 1.0, 2.0], 4.0);
    assert_eq!(bytemuck::cast_slice::<MixtureComponent, f32>(&[c]), [1.0, 2.0, 3.0, 1.0, 2.0, 5.0, 4.0, 0.0]);
}
