//! A network that is not a trained one is refused wherever it comes in, and the network in use
//! stays: from a share link (`net=`, the weight format) and from a safetensors file, both with a
//! valid header and 5,506 random finite half floats (`core::network_check`).

use diffusion_playground::app::options::{Options, ScoreChoice};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded;
use diffusion_playground::core::mlp::{Mlp, PARAMETERS};
use diffusion_playground::core::safetensors_net;
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::weights::TrainedNet;

/// The embedded two-moons network with its weights replaced by random finite half floats.
fn garbage() -> TrainedNet {
    let mut state = 7u64;
    let weights = (0..PARAMETERS)
        .map(|_| loop {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let value = half::f16::from_bits((state >> 48) as u16);
            if value.is_finite() {
                break value.to_f32();
            }
        })
        .collect();
    let net = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).unwrap();
    TrainedNet { mlp: Mlp::from_weights(weights).unwrap(), ..net }
}

fn session() -> Session {
    let options = Options { score: ScoreChoice::Mlp, particles: 128, ..Options::default() };
    Session::new(options, Particles::Cpu(Vec::new())).unwrap()
}

#[test]
fn a_link_of_random_half_floats_is_refused_and_the_embedded_network_stays() {
    let mut target = session();
    let before = target.net().mlp.weights.clone();
    let refused = target.use_network_link_bytes(&garbage().to_bytes()).expect_err("not a trained network");
    assert!(refused.starts_with("it is not a trained network: at x = ("), "{refused}");
    assert_eq!(target.net().mlp.weights, before, "the network in use stays");
    assert_eq!(target.network_link_bytes(), None, "and the link carries none");
}

#[test]
fn a_safetensors_file_of_random_weights_is_refused_and_the_network_kept() {
    let mut target = session();
    let before = target.net().mlp.weights.clone();
    let file = safetensors_net::to_bytes(&garbage(), "two_moons");
    let refused = target.use_network_file(&file).expect_err("not a trained network");
    assert!(refused.contains("it is not a trained network"), "{refused}");
    assert_eq!(target.net().mlp.weights, before);
    // The same file with the embedded weights is taken.
    let good = safetensors_net::to_bytes(
        &embedded::net(Dataset::TwoMoons, Schedule::VpLinear).unwrap(),
        "two_moons",
    );
    target.use_network_file(&good).expect("a trained network");
}
