//! Networks trained with a coupling (`core::coupling`) in a session: the OT coupling's flow is
//! far straighter than the independent one's (Tong et al. 2023, Liu et al. 2022), its file
//! carries the coupling, and what needs a score it has not got is refused naming the option.

use diffusion_playground::app::options::{Options, RawOptions, RawValue, ScoreChoice};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::coupling::Coupling;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::safetensors_net;
use diffusion_playground::core::sampler::Sampler;
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::train::{self, TrainConfig};
use diffusion_playground::core::weights::TrainedNet;

/// Adam steps of each network: enough for the flows to differ, a few seconds each.
const STEPS: u32 = 1500;

fn flow(coupling: Coupling) -> TrainedNet {
    let config = TrainConfig {
        steps: STEPS,
        objective: Parametrization::Velocity,
        coupling,
        ..TrainConfig::default()
    };
    let data = Dataset::GaussianMixture.mixture();
    TrainedNet {
        mlp: train::train(&data, Schedule::RectifiedFlow, &config, |_, _| {}),
        parametrization: Parametrization::Velocity,
        schedule: Schedule::RectifiedFlow,
        dataset: Dataset::GaussianMixture,
        training_seed: 0,
        training_steps: STEPS,
        quality: f32::NAN,
        reference: f32::NAN,
        class_embedding: None,
        coupling,
    }
}

fn session_with(net: TrainedNet) -> Session {
    let options = Options {
        dataset: Dataset::GaussianMixture,
        schedule: Schedule::RectifiedFlow,
        sampler: Sampler::Heun,
        score: ScoreChoice::Mlp,
        steps: 16,
        particles: 512,
        ..Options::default()
    };
    let mut session = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
    session.use_network(net).unwrap();
    session
}

#[test]
fn the_ot_couplings_flow_is_straighter_and_its_file_says_how_it_was_trained() {
    let independent = session_with(flow(Coupling::Independent)).straightness(512).unwrap();
    let ot_net = flow(Coupling::MinibatchOt { batch: 64 });
    // The file round trip keeps the coupling.
    let read = safetensors_net::from_bytes(&safetensors_net::to_bytes(&ot_net, "gaussian_mixture")).unwrap();
    assert_eq!(read.coupling, Coupling::MinibatchOt { batch: 64 });
    let ot = session_with(read.into_trained(Dataset::GaussianMixture)).straightness(512).unwrap();
    assert_eq!(ot.exact, independent.exact, "one exact flow from one start");
    assert!(
        ot.run.straightness < 0.25 * independent.run.straightness,
        "OT {:?} against independent {:?}",
        ot.run,
        independent.run
    );
}

#[test]
fn a_coupled_network_refuses_what_needs_a_score() {
    let mut session = session_with(flow(Coupling::MinibatchOt { batch: 64 }));
    let set = |session: &mut Session, field: &str, value: &str| {
        let raw: RawOptions = [(field.to_string(), Some(RawValue::Text(value.into())))].into_iter().collect();
        let next = session.options().merged(&raw).unwrap();
        session.set_options(next)
    };
    let refused = set(&mut session, "sampler", "euler_maruyama").unwrap_err();
    assert!(
        refused.starts_with("invalid option 'sampler': \"euler_maruyama\" draws noise and needs the score; the network in use was trained with the ot coupling"),
        "{refused}"
    );
    assert_eq!(session.options().sampler, Sampler::Heun, "nothing changes");
    set(&mut session, "sampler", "dpm_solver_2m").unwrap();
    set(&mut session, "score", "exact").unwrap();
    set(&mut session, "sampler", "euler_maruyama").expect("the exact score has a score");
}
