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

/// A session on rectified flow with Heun, ready for a drawing's flow.
fn flow_session() -> Session {
    let options = Options {
        schedule: Schedule::RectifiedFlow,
        sampler: Sampler::Heun,
        particles: 256,
        ..Options::default()
    };
    Session::new(options, Particles::Cpu(Vec::new())).unwrap()
}

fn racer(sampler: &str) -> RawOptions {
    [("sampler".to_string(), Some(RawValue::Text(sampler.into())))].into_iter().collect()
}

#[test]
fn the_race_sits_a_noisy_racer_out_on_a_coupled_network() {
    let session = session_with(flow(Coupling::MinibatchOt { batch: 64 }));
    let refused = session.racer_lap(&racer("euler_maruyama"), 8, 256).unwrap_err().to_string();
    assert!(
        refused.contains("'sampler'")
            && refused.contains("draws no noise")
            && refused.contains("ot coupling"),
        "{refused}"
    );
    let lap = session.racer_lap(&racer("heun"), 8, 256).unwrap();
    assert!(lap.distance.is_finite() && lap.straightness.is_some());
}

#[test]
fn after_a_reflow_the_race_runs_the_flow_before_it_from_the_same_noise() {
    use diffusion_playground::app::training::{Learning, Training, TrainingPlan};
    let ring: Vec<[f32; 2]> = (0..48)
        .map(|k| {
            let a = k as f32 * std::f32::consts::TAU / 48.0;
            [1.5 * a.cos(), 1.5 * a.sin()]
        })
        .collect();
    let learning = Learning::from_names("velocity", "rectified_flow").unwrap();
    let mut session = flow_session();
    let mut first = Training::on_cpu(TrainingPlan::for_drawing_with(&ring, 300, 128, 1, learning).unwrap());
    first.run(300).unwrap();
    session.use_trained_drawing(&first).unwrap();
    let flow = session.drawing_network().unwrap().clone();
    let mut merged = session.options().clone();
    merged.score = ScoreChoice::Mlp;
    session.set_options(merged).unwrap();
    let teachers_own = session.racer_lap(&racer("heun"), 4, 256).unwrap();
    assert!(session.teacher_flow().is_none(), "a flow trained from scratch has no flow before it");
    assert!(session
        .racer_lap_on_teacher(&racer("heun"), 4, 256)
        .unwrap_err()
        .to_string()
        .contains("press Reflow or Distill"));

    let mut reflow = Training::on_cpu(TrainingPlan::reflow_of(&session, 200, 128, 2, 512).unwrap());
    reflow.run(200).unwrap();
    session.use_trained_drawing(&reflow).unwrap();
    assert_eq!(session.drawing_network().unwrap().coupling, Coupling::Reflow { round: 1 });
    let teacher = session.teacher_flow().expect("the teacher is kept beside its reflow");
    assert!(
        teacher.mlp == flow.mlp && teacher.coupling == Coupling::Independent,
        "it is the flow that was in use"
    );
    let before = session.racer_lap_on_teacher(&racer("heun"), 4, 256).unwrap();
    assert_eq!(before, teachers_own, "the flow before the reflow races exactly as it did when in use");
    let after = session.racer_lap(&racer("heun"), 4, 256).unwrap();
    assert_ne!(after.particles, before.particles);
    // The reflowed flow has no score: a noisy racer sits out on both sides of the comparison.
    assert!(session.racer_lap_on_teacher(&racer("euler_maruyama"), 4, 256).is_ok(), "the teacher has one");
    assert!(session.racer_lap(&racer("euler_maruyama"), 4, 256).is_err());

    // A new drawing forgets the teacher.
    session.use_drawing(&ring[..40], None).unwrap_err();
    let mut merged = session.options().clone();
    merged.score = ScoreChoice::Exact;
    session.set_options(merged).unwrap();
    session.use_drawing(&ring[..40], None).unwrap();
    assert!(session.teacher_flow().is_none());
}

#[test]
fn the_page_distills_the_drawings_flow_as_the_cli_does_and_keeps_the_teacher_beside_it() {
    use diffusion_playground::app::training::{Learning, Training, TrainingPlan};
    use diffusion_playground::core::consistency;
    let square: Vec<[f32; 2]> =
        (0..40).map(|k| [(k % 8) as f32 * 0.4 - 1.4, (k / 8) as f32 * 0.6 - 1.2]).collect();
    let mut session = flow_session();
    let refused = TrainingPlan::distillation_of(&session, 100, 64, 1).unwrap_err().to_string();
    assert!(refused.contains("a distillation of a drawing's trained flow"), "{refused}");
    let learning = Learning::from_names("velocity", "rectified_flow").unwrap();
    let mut flow = Training::on_cpu(TrainingPlan::for_drawing_with(&square, 200, 64, 1, learning).unwrap());
    flow.run(200).unwrap();
    session.use_trained_drawing(&flow).unwrap();
    let teacher = session.drawing_network().unwrap().clone();

    let plan = TrainingPlan::distillation_of(&session, 60, 64, 3).unwrap();
    let expected = consistency::distill(&teacher.mlp, &plan.mixture, &plan.config, |_, _| {});
    let mut distillation = Training::on_cpu(plan);
    while distillation.step() < distillation.steps() {
        distillation.run(7).unwrap();
    }
    assert!(
        distillation.mlp() == Some(&expected),
        "a few steps at a time, the same student as dp-train --distill"
    );
    assert_eq!(distillation.losses().len(), 60);
    session.use_trained_drawing(&distillation).unwrap();
    assert_eq!(session.drawing_network().unwrap().coupling, Coupling::Consistency);
    assert!(session.teacher_flow().is_some_and(|kept| kept.mlp == teacher.mlp));
    assert!(session.racer_lap_on_teacher(&racer("probability_flow_euler"), 1, 256).is_ok());
    let again = TrainingPlan::distillation_of(&session, 60, 64, 3).unwrap_err().to_string();
    assert!(again.contains("already a distilled one-step generator"), "{again}");
}
