//! A trained network travels with a share link (docs/features.md, "Networks as files"): the
//! drawing's network (or one loaded from a file) comes out as the weight format's half floats,
//! goes back in as the drawing's network with what it learned, and a second round trip changes
//! nothing; the embedded networks stay out of links, and malformed bytes are refused with the
//! network kept.

use diffusion_playground::app::options::Options;
use diffusion_playground::app::session::{Particles, Session, NETWORK_LINK_BYTES};
use diffusion_playground::core::mlp::Mlp;

fn circle() -> Vec<[f32; 2]> {
    (0..64)
        .map(|i| {
            let a = i as f32 * std::f32::consts::TAU / 64.0;
            [1.5 * a.cos(), 1.5 * a.sin()]
        })
        .collect()
}

fn session() -> Session {
    let options = Options {
        score: diffusion_playground::app::options::ScoreChoice::Exact,
        particles: 256,
        ..Options::default()
    };
    Session::new(options, Particles::Cpu(Vec::new())).unwrap()
}

#[test]
fn a_drawing_network_goes_out_and_back_in_as_half_floats() {
    let mut source = session();
    assert_eq!(source.network_link_bytes(), None, "the embedded networks stay out of links");
    let mut mlp = Mlp::initialise(3);
    mlp.weights[0] = 0.123_456_79;
    source.use_drawing(&circle(), Some(mlp.clone())).unwrap();
    let bytes = source.network_link_bytes().expect("a trained drawing's network");
    assert_eq!(bytes.len(), NETWORK_LINK_BYTES);
    // 11,076 bytes: 14,768 characters of base64url in the link.
    assert_eq!(bytes.len().div_ceil(3) * 4 - (3 - bytes.len() % 3) % 3, 14_768);

    let mut target = session();
    target.use_drawing(&circle(), None).unwrap();
    let loaded = target.use_network_link_bytes(&bytes).unwrap();
    assert_eq!((loaded.parametrization.name(), loaded.schedule.name()), ("eps", "vp_linear"));
    assert!(target.drawing_has_network());
    for (a, b) in target.net().mlp.weights.iter().zip(&mlp.weights) {
        assert_eq!(*a, half::f16::from_f32(*b).to_f32(), "each weight is its half float");
    }
    assert_eq!(target.network_link_bytes().unwrap(), bytes, "a second round trip changes nothing");
}

#[test]
fn malformed_network_bytes_are_refused_and_the_network_kept() {
    let mut target = session();
    let before = target.net().mlp.weights.clone();
    let mut good = {
        let mut source = session();
        source.use_drawing(&circle(), Some(Mlp::initialise(4))).unwrap();
        source.network_link_bytes().unwrap()
    };
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (good[..100].to_vec(), "bytes"),
        (vec![0; NETWORK_LINK_BYTES], "magic"),
        ([good.clone(), vec![0]].concat(), "bytes"),
    ];
    for (bytes, what) in cases {
        let message = target.use_network_link_bytes(&bytes).unwrap_err();
        assert!(message.to_lowercase().contains(what), "{message}");
        assert_eq!(target.net().mlp.weights, before, "the network is kept");
    }
    // A parametrization id no network has.
    good[4 + 4 * 7] = 200;
    let message = target.use_network_link_bytes(&good).unwrap_err();
    assert!(message.contains("parametrization"), "{message}");
}
