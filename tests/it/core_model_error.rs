//! Where the network is wrong (`core::model_error`, `app::model_error`): the error field is the
//! squared distance of the network's noise prediction to the exact one, bin by bin, and the
//! denoising loss at each noise level splits into the network's error and the irreducible part.

use diffusion_playground::app::options::{Options, RawOptions, RawValue};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded;
use diffusion_playground::core::histogram::Bins;
use diffusion_playground::core::model_error::{error_field, error_profile};
use diffusion_playground::core::sampler::{self, EvaluationModel, NetFrame, ScoreSource};
use diffusion_playground::core::schedule::Schedule;

#[test]
fn the_field_is_the_squared_distance_to_the_exact_noise_at_each_bin_centre_row_0_at_the_top() {
    let net = embedded::net(Dataset::Spiral, Schedule::VpLinear).unwrap();
    let mixture = Dataset::Spiral.mixture();
    let bins = Bins { side: 8, half_extent: 3.0 };
    let t = 0.2;
    let field = error_field(&net.mlp, NetFrame::of(&net), &mixture, Schedule::VpLinear, t, &bins);
    assert_eq!(field.len(), 64);
    let network = EvaluationModel::new(
        ScoreSource::Mlp(&net.mlp),
        sampler::evaluation(Schedule::VpLinear, NetFrame::of(&net), t),
    );
    let exact = EvaluationModel::new(
        ScoreSource::Exact(&mixture),
        sampler::evaluation(Schedule::VpLinear, NetFrame::eps(Schedule::VpLinear), t),
    );
    // Row 0, column 7: the top-right bin, centred at (2.625, 2.625).
    let x = [2.625f32, 2.625];
    let (a, b) = (network.eps_hat(x), exact.eps_hat(x));
    let want = (a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2);
    assert!((field[7] - want).abs() <= 1e-5 * (1.0 + want), "{} vs {want}", field[7]);
    assert!(field.iter().all(|v| v.is_finite() && *v >= 0.0));
}

#[test]
fn the_denoising_loss_is_the_networks_error_plus_the_irreducible_part() {
    let net = embedded::net(Dataset::TwoMoons, Schedule::RectifiedFlow).unwrap();
    let mixture = Dataset::TwoMoons.mixture();
    let times = [0.05, 0.3, 0.6, 0.9];
    let profile =
        error_profile(&net.mlp, NetFrame::of(&net), &mixture, Schedule::RectifiedFlow, &times, 4096, 1);
    for p in &profile {
        let sum = p.network_error + p.irreducible;
        // The cross term 2 E[(eps_theta - eps*) . (eps* - eps)] is zero in expectation; 4,096 draws
        // leave it within a few percent of the loss.
        assert!((p.loss - sum).abs() <= 0.05 * p.loss + 1e-3, "{p:?}");
        assert!(p.irreducible > 0.0 && p.network_error >= 0.0);
    }
    // A trained network is much closer to the truth than the noise is to its mean, at every level.
    assert!(profile.iter().all(|p| p.network_error < 0.5 * p.irreducible), "{profile:?}");
    // Reproducible from its seed.
    assert_eq!(
        profile,
        error_profile(&net.mlp, NetFrame::of(&net), &mixture, Schedule::RectifiedFlow, &times, 4096, 1)
    );
}

fn session(pairs: &[(&str, &str)]) -> Session {
    let mut raw: RawOptions =
        pairs.iter().map(|(k, v)| (k.to_string(), Some(RawValue::Text(v.to_string())))).collect();
    raw.insert("particles".into(), Some(RawValue::Number(64.0)));
    Session::new(Options::default().merged(&raw).unwrap(), Particles::Cpu(Vec::new())).unwrap()
}

#[test]
fn the_session_compares_the_network_in_use_with_what_it_learned_and_says_when_it_cannot() {
    let s = session(&[("dataset", "rings")]);
    let field = s.model_error_field(0.3, 16).unwrap();
    assert_eq!(field.len(), 256);
    let profile = s.loss_profile(256, 10).unwrap();
    assert_eq!(profile.len(), 10);
    assert!(profile.windows(2).all(|w| w[0].t < w[1].t), "times increase along the slider");
    for (message, fragments) in [
        (s.model_error_field(0.3, 0).unwrap_err().to_string(), &["'side'"][..]),
        (s.model_error_field(f64::NAN, 8).unwrap_err().to_string(), &["'t'"]),
        (s.loss_profile(0, 10).unwrap_err().to_string(), &["'samples'"]),
        (s.loss_profile(10, 201).unwrap_err().to_string(), &["'times'"]),
    ] {
        for fragment in fragments {
            assert!(message.contains(fragment), "{message}");
        }
    }
    let guided = session(&[("guidance", "classifier"), ("class", "lower")]);
    assert!(guided.model_error_field(0.3, 8).unwrap_err().to_string().contains("'guidance'"));
    let mut drawn = session(&[("score", "exact")]);
    drawn.use_drawing(&[[0.0, 0.0], [1.0, 1.0]], None).unwrap();
    let message = drawn.loss_profile(16, 4).unwrap_err().to_string();
    assert!(message.contains("trained on the drawing"), "{message}");
}
