//! A network read from a link or a file is checked before it is sampled with (docs/features.md,
//! "Networks as files"): every embedded network passes, with room to
//! spare; a well-formed file of random half floats, which fills the picture with Infinity within
//! a few steps, is refused with where it went wrong; and particles that leave the finite range
//! are held where they were and counted (`core::runaway`, the CPU twin of
//! `shaders/contain_escaped.wgsl`).

use diffusion_playground::core::class_embedding::ClassEmbedding;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded;
use diffusion_playground::core::mlp::{Mlp, HIDDEN, PARAMETERS};
use diffusion_playground::core::network_check;
use diffusion_playground::core::runaway::{self, RUNAWAY_COORDINATE};
use diffusion_playground::core::weights::TrainedNet;

/// Random finite half floats over their whole range, as a hostile link could carry.
fn random_half_floats(count: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    (0..count)
        .map(|_| loop {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let value = half::f16::from_bits((state >> 48) as u16);
            if value.is_finite() {
                return value.to_f32();
            }
        })
        .collect()
}

/// The largest share of the check's allowance an embedded network may use: a trained network is
/// far inside it (0.09 to 0.12 for the twelve embedded networks when this test was written).
const MAX_SHARE: f64 = 0.25;

#[test]
fn every_embedded_network_is_plausible_with_a_margin() {
    for (dataset, schedule) in embedded::TRAINED {
        let net = embedded::net(dataset, schedule).expect("embedded natively");
        assert_eq!(network_check::check(&net), Ok(()), "{dataset:?} {schedule:?}");
        // A trained network uses a small share of the allowance (measured: at most MAX_SHARE).
        let share = network_check::worst(&net).unwrap();
        assert!(share < MAX_SHARE, "{dataset:?} {schedule:?} uses {share:.3} of the allowance");
    }
    for dataset in Dataset::ALL {
        if let Ok(net) = embedded::conditional_net(dataset) {
            let share = network_check::worst(&net).expect("a trained class-conditional network");
            assert!(share < MAX_SHARE, "{dataset:?}, class-conditional, uses {share:.3} of the allowance");
        }
    }
}

#[test]
fn random_half_floats_in_a_well_formed_network_are_refused_with_where() {
    let embedded =
        embedded::net(Dataset::TwoMoons, diffusion_playground::core::schedule::Schedule::VpLinear).unwrap();
    for seed in 1..=5 {
        let mlp = Mlp::from_weights(random_half_floats(PARAMETERS, seed)).expect("5,506 weights");
        let net = TrainedNet { mlp, ..embedded.clone() };
        // The weight format takes it: every number is a finite half float.
        assert!(TrainedNet::from_bytes(&net.to_bytes()).is_ok());
        let refused = network_check::check(&net).expect_err("random weights are not a trained network");
        let message = refused.to_string();
        assert!(message.starts_with("it is not a trained network: at x = ("), "{message}");
        assert!(message.contains("of its time range it predicts"), "{message}");
    }
}

#[test]
fn a_class_row_of_garbage_is_refused_and_named() {
    let net = embedded::conditional_net(Dataset::TwoMoons).expect("two moons has classes");
    let classes = net.class_embedding.as_ref().unwrap().classes();
    let mut rows = net.class_embedding.as_ref().unwrap().rows.clone();
    rows[HIDDEN..2 * HIDDEN].iter_mut().for_each(|w| *w = 6.0e4);
    let broken = TrainedNet { class_embedding: Some(ClassEmbedding { rows }), ..net };
    let refused = network_check::check(&broken).expect_err("class 1's row is garbage");
    assert_eq!(refused.class, Some(1), "of {classes} classes");
    assert!(refused.to_string().contains("for class 1"));
}

#[test]
fn escaped_particles_are_held_where_they_were_and_counted() {
    let before = [[0.5, -0.5], [1.0, 2.0], [3.0, 3.0], [-1.0, 0.0], [0.0, 0.0]];
    let mut after = [
        [0.6, -0.4],
        [f32::NAN, 2.0],
        [3.0, f32::INFINITY],
        [-2.0 * RUNAWAY_COORDINATE, 0.0],
        [RUNAWAY_COORDINATE, -RUNAWAY_COORDINATE],
    ];
    assert_eq!(runaway::contain(&mut after, &before), 3);
    assert_eq!(after[0], [0.6, -0.4], "a finite particle moves on");
    assert_eq!(&after[1..4], &before[1..4], "escaped ones are held");
    assert_eq!(after[4], [RUNAWAY_COORDINATE, -RUNAWAY_COORDINATE], "the limit itself is inside");
    let message = runaway::diverged_message(3, 5, 4, 60);
    assert!(message.contains("by step 4 of 60, 3 of 5 particles left the finite range"), "{message}");
}
