//! A network's noise prediction is kept consistent with data in the playground's disc: its
//! denoised point (Tweedie) is projected onto the disc, which only ever brings it closer to the
//! exact one.

use diffusion_playground::core::denoised_bound::{
    within_the_data, within_the_data_with_jacobian, DATA_RADIUS,
};

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

/// A smooth stand-in for a network's eps field, with its Jacobian `[o][i]` = d eps_o / d x_i.
fn field(x: [f32; 2]) -> ([f32; 2], [[f32; 2]; 2]) {
    let eps = [3.0 * x[0].sin() + 0.9 * x[1], 0.6 * x[0] * x[1] - 2.0];
    let jacobian = [[3.0 * x[0].cos(), 0.9], [0.6 * x[1], 0.6 * x[0]]];
    (eps, jacobian)
}

/// d/dx of `within_the_data(field(x), x, ..)` by central differences.
fn differenced_jacobian(x: [f32; 2], alpha: f32, sigma: f32) -> [[f32; 2]; 2] {
    let step = 1e-3;
    let kept = |x: [f32; 2]| within_the_data(field(x).0, x, alpha, sigma);
    let mut jacobian = [[0.0; 2]; 2];
    for i in 0..2 {
        let (mut ahead, mut behind) = (x, x);
        ahead[i] += step;
        behind[i] -= step;
        let (a, b) = (kept(ahead), kept(behind));
        for o in 0..2 {
            jacobian[o][i] = (a[o] - b[o]) / (2.0 * step);
        }
    }
    jacobian
}

#[test]
fn the_jacobian_carried_through_the_projection_is_that_of_the_kept_prediction() {
    // Near pure noise the field's x0_hat lies far outside the disc: the projection is active.
    let (alpha, sigma) = (0.05_f32, (1.0 - 0.05_f32 * 0.05).sqrt());
    for x in [[0.4, -0.3], [1.2, 0.8], [-0.7, 1.5]] {
        let (eps, jacobian) = field(x);
        assert_ne!(within_the_data(eps, x, alpha, sigma), eps, "the projection is active at {x:?}");
        let (kept, kept_jacobian) = within_the_data_with_jacobian(eps, jacobian, x, alpha, sigma);
        assert_eq!(kept, within_the_data(eps, x, alpha, sigma));
        let differenced = differenced_jacobian(x, alpha, sigma);
        for o in 0..2 {
            for i in 0..2 {
                let (carried, measured) = (kept_jacobian[o][i], differenced[o][i]);
                assert!(
                    (carried - measured).abs() < 1e-2 * (1.0 + measured.abs()),
                    "x {x:?}, d eps_{o} / d x_{i}: carried {carried}, differenced {measured}"
                );
            }
        }
        // The raw field's Jacobian is not the kept one's: the test would see a pass-through.
        let largest_change =
            (0..4).map(|k| (kept_jacobian[k / 2][k % 2] - jacobian[k / 2][k % 2]).abs()).fold(0.0, f32::max);
        assert!(largest_change > 0.1, "{kept_jacobian:?} vs {jacobian:?}");
    }
}

#[test]
fn inside_the_disc_the_jacobian_passes_through_unchanged() {
    let (alpha, sigma) = (0.8_f32, 0.6_f32);
    let x = [0.3, 0.2];
    let (eps, jacobian) = field(x);
    assert_eq!(within_the_data_with_jacobian(eps, jacobian, x, alpha, sigma), (eps, jacobian));
}
