//! The score network: layout, forward pass and the hand-written backward pass.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::mlp::{self, Architecture, Mlp};
use diffusion_playground::core::schedule::Schedule;

fn loss(mlp: &Mlp, x: [f32; 2], t: f32, target: [f32; 2]) -> f64 {
    let out = mlp.forward_traced(x, t).output;
    let d = [out[0] as f64 - target[0] as f64, out[1] as f64 - target[1] as f64];
    d[0] * d[0] + d[1] * d[1]
}

#[test]
fn the_flat_layout_has_5506_parameters_and_10752_flop_per_evaluation() {
    assert_eq!(mlp::PARAMETERS, 64 * 18 + 64 + 64 * 64 + 64 + 2 * 64 + 2);
    assert_eq!(mlp::PARAMETERS, 5506);
    assert_eq!(mlp::FLOP_PER_EVALUATION, 10_752);
    assert_eq!(Mlp::initialise(3).weights.len(), mlp::PARAMETERS);
    assert!(Mlp::from_weights(vec![0.0; 10]).is_none());
}

/// A network with coordinate features starts as the plain network of the same seed: its WC at
/// zero (a new branch starts silent and learns what it adds), every other weight the plain one's.
#[test]
fn a_fresh_network_with_coordinate_features_starts_as_the_plain_one() {
    let plain = Mlp::initialise(5);
    let fourier = Mlp::initialise_as(Architecture::FOURIER, 5);
    assert_eq!(&fourier.weights[..mlp::PARAMETERS], &plain.weights[..]);
    assert!(fourier.weights[mlp::PARAMETERS..].iter().all(|w| *w == 0.0));
    for x in [[0.3, -1.2], [2.5, 0.7]] {
        assert_eq!(fourier.forward(x, 0.4), plain.forward(x, 0.4));
    }
}

#[test]
fn coordinate_features_widen_the_first_layer_by_four_weights_per_octave_and_neuron() {
    assert_eq!(Architecture::PLAIN.parameters(), 5506);
    assert_eq!(Architecture::FOURIER.parameters(), 5508 + 64 * 24, "b3 padded to a multiple of 4, then WC");
    assert_eq!(mlp::WC % 4, 0);
    assert!(Mlp::initialise_as(Architecture::FOURIER, 3).weights[mlp::PARAMETERS..mlp::WC]
        .iter()
        .all(|w| *w == 0.0));
    assert_eq!(Architecture::PLAIN.name(), "mlp 18-64-64-2");
    assert_eq!(Architecture::FOURIER.name(), "mlp 18+24-64-64-2");
    for architecture in [Architecture::PLAIN, Architecture::FOURIER] {
        let net = crate::support::networks::untrained(architecture, 3);
        assert_eq!(net.weights.len(), architecture.parameters());
        assert_eq!(Architecture::of_parameters(net.weights.len()), Some(architecture));
        assert_eq!(Mlp::from_weights(net.weights.clone()).map(|m| m.architecture()), Some(architecture));
    }
    assert_eq!(
        crate::support::networks::untrained(Architecture::PLAIN, 3),
        Mlp::initialise(3),
        "the earlier networks' start"
    );
    assert!(Mlp::from_weights(vec![0.0; 5506 + 64]).is_none(), "no architecture has 5,570 weights");
    // A plain network with a drawing's class embedding (4 rows of 64) is not read as a network.
    assert!(Mlp::from_weights(vec![0.0; 5506 + 4 * 64]).is_none());
}

#[test]
fn the_coordinate_features_are_sines_and_cosines_of_the_octaves() {
    for x in [[0.3f32, -1.2], [4.0, 5.5], [-6.0, 0.01]] {
        let mut features = [0.0; 24];
        mlp::coordinate_features(x, 6, &mut features);
        for k in 0..6 {
            for axis in 0..2 {
                let phase = (mlp::COORDINATE_FREQUENCY_MIN as f64) * 2f64.powi(k as i32) * x[axis] as f64;
                let (sine, cosine) =
                    (features[4 * k + 2 * axis] as f64, features[4 * k + 2 * axis + 1] as f64);
                // The double-angle recurrence loses about a bit an octave.
                assert!(
                    (sine - phase.sin()).abs() < 1e-4,
                    "sin, octave {k} of {x:?}: {sine} vs {}",
                    phase.sin()
                );
                assert!(
                    (cosine - phase.cos()).abs() < 1e-4,
                    "cos, octave {k} of {x:?}: {cosine} vs {}",
                    phase.cos()
                );
            }
        }
    }
}

#[test]
fn the_split_first_layer_equals_the_full_forward_pass() {
    for architecture in [Architecture::PLAIN, Architecture::FOURIER] {
        let mlp = crate::support::networks::untrained(architecture, 7);
        for (x, t) in [([0.3, -1.2], 0.01), ([2.0, 0.5], 0.5), ([-1.0, 1.0], 0.99)] {
            let split = mlp.forward(x, t);
            let full = mlp.forward_traced(x, t).output;
            for k in 0..2 {
                assert!((split[k] - full[k]).abs() < 1e-5, "{architecture:?}: {split:?} vs {full:?}");
            }
        }
    }
}

/// The forward-mode Jacobian through the coordinate features (d sin(w x)/dx = w cos(w x)) equals
/// central differences of the network's output.
#[test]
fn the_jacobian_through_the_coordinate_features_equals_finite_differences() {
    let mlp = crate::support::networks::untrained(Architecture::FOURIER, 9);
    let bias = mlp.hidden_bias(0.3);
    for x in [[0.3f32, -1.2], [2.0, 0.5], [-1.0, 1.0]] {
        let (_, jacobian) = mlp.forward_with_jacobian(x, &bias);
        let h = 1e-3f32;
        for k in 0..2 {
            let (mut up, mut down) = (x, x);
            up[k] += h;
            down[k] -= h;
            let (a, b) = (mlp.forward_with_bias(up, &bias), mlp.forward_with_bias(down, &bias));
            for o in 0..2 {
                let numeric = (a[o] - b[o]) / (2.0 * h);
                assert!(
                    (numeric - jacobian[o][k]).abs() < 2e-2 * (1.0 + numeric.abs()),
                    "d out_{o} / d x_{k} at {x:?}: {} vs {numeric}",
                    jacobian[o][k]
                );
            }
        }
    }
}

#[test]
fn initialisation_is_reproducible_from_its_seed_and_bounded_by_one_over_sqrt_fan_in() {
    assert_eq!(Mlp::initialise(11), Mlp::initialise(11));
    assert_ne!(Mlp::initialise(11), Mlp::initialise(12));
    let w = Mlp::initialise(11).weights;
    let bound1 = 1.0 / (mlp::FEATURES as f32).sqrt();
    let bound2 = 1.0 / (mlp::HIDDEN as f32).sqrt();
    assert!(w[..mlp::W2].iter().all(|v| v.abs() <= bound1));
    assert!(w[mlp::W2..].iter().all(|v| v.abs() <= bound2));
}

#[test]
fn silu_derivative_matches_finite_differences() {
    for a in [-6.0f32, -1.5, -0.1, 0.0, 0.7, 3.0] {
        let h = 1e-2f32;
        let numeric = (mlp::silu(a + h) - mlp::silu(a - h)) / (2.0 * h);
        assert!((numeric - mlp::silu_derivative(a)).abs() < 1e-3, "a = {a}");
    }
}

/// Gradient check: every 37th parameter (covering all six blocks), central differences with
/// h = 1e-2 on the squared error, relative tolerance 2% (f32 arithmetic) or absolute 1e-4.
#[test]
fn the_backward_pass_matches_finite_differences_for_every_block() {
    for architecture in [Architecture::PLAIN, Architecture::FOURIER] {
        backward_pass_matches_finite_differences(architecture);
    }
}

fn backward_pass_matches_finite_differences(architecture: Architecture) {
    let mut mlp = crate::support::networks::untrained(architecture, 5);
    // Larger weights so that every SiLU works away from its linear region.
    mlp.weights.iter_mut().for_each(|w| *w *= 2.0);
    let (x, t, target) = ([0.7f32, -1.1], 0.37f32, [0.2f32, -0.4]);
    let act = mlp.forward_traced(x, t);
    let d_out = [2.0 * (act.output[0] - target[0]), 2.0 * (act.output[1] - target[1])];
    let mut gradient = vec![0.0; architecture.parameters()];
    mlp.accumulate_gradient(&act, d_out, &mut gradient);
    let mut checked_blocks = std::collections::BTreeSet::new();
    for index in
        (0..architecture.parameters()).step_by(37).chain([mlp::B1, mlp::B2 + 5, mlp::B3, mlp::B3 + 1])
    {
        let h = 1e-2f32;
        let original = mlp.weights[index];
        mlp.weights[index] = original + h;
        let up = loss(&mlp, x, t, target);
        mlp.weights[index] = original - h;
        let down = loss(&mlp, x, t, target);
        mlp.weights[index] = original;
        let numeric = (up - down) / (2.0 * h as f64);
        let analytic = gradient[index] as f64;
        let tolerance = 1e-4 + 0.02 * numeric.abs().max(analytic.abs());
        assert!(
            (numeric - analytic).abs() <= tolerance,
            "parameter {index}: analytic {analytic}, numeric {numeric}"
        );
        let block = [mlp::W1, mlp::B1, mlp::W2, mlp::B2, mlp::W3, mlp::B3, mlp::WC]
            .iter()
            .rposition(|&o| index >= o)
            .unwrap();
        checked_blocks.insert(block);
    }
    let blocks = if architecture.coordinate_octaves == 0 { 6 } else { 7 };
    assert_eq!(checked_blocks.len(), blocks, "every weight block is checked");
}

#[test]
fn the_batched_forward_pass_is_bit_identical_to_one_input_at_a_time() {
    // Inputs from near the origin to far out (where SiLU's exponential is clamped), at several
    // times, through an untrained and a trained network.
    let trained = diffusion_playground::core::embedded::net(Dataset::Spiral, Schedule::VpLinear).unwrap().mlp;
    for mlp in [Mlp::initialise(13), trained, crate::support::networks::untrained(Architecture::FOURIER, 13)]
    {
        for t in [0.001, 0.42, 1.0] {
            let bias = mlp.hidden_bias(t);
            for batch in 0..64 {
                let inputs: [[f32; 2]; mlp::BATCH] = std::array::from_fn(|p| {
                    let k = (batch * mlp::BATCH + p) as f32;
                    let radius = 0.01 * 1.11f32.powf(k * 0.2);
                    [radius * (k * 2.4).cos(), radius * (k * 2.4).sin()]
                });
                // The dispatching entry (eight AVX2 lanes where the machine has them) and the
                // four-lane kernel the wasm runs.
                let batched = mlp.forward_batch_with_bias(&inputs, &bias);
                let four_lanes = mlp.forward_batch_four_lanes(&inputs, &bias);
                for (p, x) in inputs.iter().enumerate() {
                    let single = mlp.forward_with_bias(*x, &bias).map(f32::to_bits);
                    assert_eq!(batched[p].map(f32::to_bits), single, "input {x:?} at t = {t}");
                    assert_eq!(four_lanes[p].map(f32::to_bits), single, "four lanes, input {x:?} at t = {t}");
                }
            }
        }
    }
}

/// The vectorisable exp is within 2 ulp (relative 2.4e-7) of the correctly rounded e^x,
/// measured against f64 over the whole range the network can produce.
#[test]
fn the_arithmetic_exp_is_within_two_ulp_of_the_true_exponential() {
    let mut worst = 0.0f64;
    let mut x = -87.0f32;
    while x <= 88.0 {
        let exact = (x as f64).exp();
        let relative = ((mlp::exp(x) as f64 - exact) / exact).abs();
        worst = worst.max(relative);
        x += 0.001_7;
    }
    assert!(worst < 2.4e-7, "worst relative error {worst:e}");
    assert!(mlp::exp(-1000.0) >= 0.0 && mlp::exp(1000.0).is_finite(), "inputs are clamped");
    assert!(mlp::silu(-200.0).abs() < 1e-30, "SiLU of a very negative input is tiny, not NaN");
}
