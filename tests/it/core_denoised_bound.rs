//! A network's noise prediction is kept consistent with data in the playground's disc: its
//! denoised point (Tweedie) is projected onto the disc, which only ever brings it closer to the
//! exact one.

use diffusion_playground::core::denoised_bound::{within_the_data, DATA_RADIUS};

/// x0_hat = (x - sigma eps) / alpha.
fn denoised(eps: [f32; 2], x: [f32; 2], alpha: f32, sigma: f32) -> [f32; 2] {
    [(x[0] - sigma * eps[0]) / alpha, (x[1] - sigma * eps[1]) / alpha]
}

#[test]
fn a_prediction_whose_denoised_point_lies_in_the_disc_is_kept_as_it_is() {
    let (x, alpha, sigma) = ([0.3, -0.2], 0.6, 0.8);
    for eps in [[0.0, 0.0], [1.0, -2.0], [-0.5, 0.25]] {
        assert_eq!(within_the_data(eps, x, alpha, sigma), eps);
    }
}

#[test]
fn a_denoised_point_outside_the_disc_moves_to_its_nearest_point_on_the_edge() {
    // Near pure noise (VP linear's t = 1) an eps 0.1 off puts x0_hat 15 away.
    let (x, alpha, sigma) = ([0.5, 0.1], 6.57e-3_f32, (1.0 - 6.57e-3_f32 * 6.57e-3).sqrt());
    let eps = [0.5 / sigma - 0.1, 0.1 / sigma];
    let before = denoised(eps, x, alpha, sigma);
    let after = denoised(within_the_data(eps, x, alpha, sigma), x, alpha, sigma);
    let norm = |p: [f32; 2]| (p[0] * p[0] + p[1] * p[1]).sqrt();
    assert!(norm(before) > 2.0 * DATA_RADIUS as f32, "{before:?}");
    assert!((norm(after) - DATA_RADIUS as f32).abs() < 1e-2, "on the edge: {after:?}");
    let cross = before[0] * after[1] - before[1] * after[0];
    assert!(
        cross.abs() < 1e-2 * norm(before) && before[0] * after[0] > 0.0,
        "the same direction: {before:?} {after:?}"
    );
}

#[test]
fn the_projected_prediction_is_never_farther_from_a_denoised_point_inside_the_disc() {
    let (x, alpha, sigma) = ([1.0, -1.0], 0.05, 0.9987);
    let truths = [[2.0, 0.0], [-1.5, 1.0], [0.0, -3.0]];
    for k in 0..200 {
        let angle = k as f32 * 0.37;
        let eps = [3.0 * angle.cos(), 3.0 * angle.sin()];
        let (raw, kept) = (
            denoised(eps, x, alpha, sigma),
            denoised(within_the_data(eps, x, alpha, sigma), x, alpha, sigma),
        );
        for truth in truths {
            let distance = |p: [f32; 2]| ((p[0] - truth[0]).powi(2) + (p[1] - truth[1]).powi(2)).sqrt();
            assert!(distance(kept) <= distance(raw) * (1.0 + 1e-4), "eps {eps:?}: {kept:?} vs {raw:?}");
        }
    }
}

#[test]
fn without_noise_or_signal_and_for_bad_numbers_the_prediction_passes_through() {
    let eps = [100.0, -100.0];
    assert_eq!(within_the_data(eps, [1.0, 1.0], 1.0, 0.0), eps, "sigma = 0: no eps to correct");
    assert_eq!(within_the_data(eps, [1.0, 1.0], 0.0, 1.0), eps, "alpha = 0: no x0 to speak of");
    let nan = within_the_data([f32::NAN, 0.0], [1.0, 1.0], 0.5, 0.5);
    assert!(nan[0].is_nan(), "a NaN stays a NaN, for the runaway check to see");
}
