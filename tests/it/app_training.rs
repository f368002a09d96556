//! The training handle has one shape on the CPU and the GPU: it counts steps the same way,
//! stops at the plan's last, reads back a loss and the weights, and the weights it hands over
//! make the session sample the drawing with the learned score.

use diffusion_playground::app::options::{Options, ScoreChoice};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::app::training::{self, Training, TrainingPlan, MAX_TRAIN_BATCH};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::drawing::{DRAWN_ARCHITECTURE, DRAWN_TRAIN_STEPS};
use diffusion_playground::core::mlp::{Architecture, PARAMETERS};
use diffusion_playground::core::quality::AgainstExact;

use crate::support::drawings;

fn square() -> Vec<[f32; 2]> {
    (0..40).map(|i| [-1.0 + 0.05 * i as f32, 1.0]).collect()
}

/// Runs `training` in chunks of 7 to its end; checks the bookkeeping; returns (first, last) loss.
fn run_to_end(training: &mut Training) -> (f32, f32) {
    let first = {
        assert_eq!(training.run(1).unwrap().steps, 1);
        training::batch_loss(&pollster::block_on(training.loss().values()).unwrap())
    };
    while training.step() < training.steps() {
        let before = training.step();
        let ran = training.run(7).unwrap();
        assert_eq!(ran.steps, (training.steps() - before).min(7));
        assert_eq!(training.step(), before + ran.steps);
        assert_eq!(ran.mean_loss.is_some(), !training.on_gpu_path(), "the CPU knows its loss at once");
    }
    assert_eq!(training.run(5).unwrap().steps, 0, "no steps past the plan's last");
    let last = training::batch_loss(&pollster::block_on(training.loss().values()).unwrap());
    (first, last)
}

#[test]
fn the_plans_check_their_sizes_like_options() {
    let message = TrainingPlan::for_drawing(&square(), 0, 128, 1).unwrap_err();
    assert_eq!(message, "invalid option 'steps': 0 is not allowed (allowed: an integer from 1 to 100000)");
    let message =
        TrainingPlan::for_dataset(Dataset::Spiral, 10, MAX_TRAIN_BATCH + 1, 1).unwrap_err().to_string();
    assert!(message.starts_with("invalid option 'batch': 4097 is not allowed"), "{message}");
    assert!(TrainingPlan::for_drawing(&[[9.0, 0.0]], 10, 8, 1)
        .unwrap_err()
        .contains("not inside the picture"));
}

#[test]
fn cpu_and_gpu_training_have_the_same_shape_and_learn_the_drawing() {
    let plan = TrainingPlan::for_drawing(&square(), 150, 64, 3).unwrap();
    let mut cpu = Training::on_cpu(plan.clone());
    let (first, last) = run_to_end(&mut cpu);
    assert_eq!(cpu.losses().len(), 150, "every step's loss on the CPU");
    assert!(last < 0.8 * first, "the CPU's loss falls: {first} -> {last}");
    let weights = pollster::block_on(cpu.weights().values()).unwrap();
    assert_eq!(weights.len(), DRAWN_ARCHITECTURE.parameters(), "a drawing's network has coordinate features");
    assert_eq!(cpu.points(), square().as_slice());

    let Some(gpu) = crate::support::gpu::gpu() else { return };
    // The kernels fit the first-order loss only: a plan with the divergence term is refused.
    let mut second_order = plan.clone();
    second_order.config.divergence_weight = 0.3;
    let refused = Training::on_gpu(&gpu, second_order).err().expect("refused").to_string();
    assert!(refused.contains("divergence term") && refused.contains("CPU"), "{refused}");
    let mut on_gpu = Training::on_gpu(&gpu, plan).unwrap();
    assert!(on_gpu.on_gpu_path() && on_gpu.mlp().is_none() && on_gpu.losses().is_empty());
    let (gpu_first, gpu_last) = run_to_end(&mut on_gpu);
    eprintln!("loss CPU {first} -> {last}, GPU {gpu_first} -> {gpu_last}");
    assert!(
        (gpu_first - first).abs() < 1e-3 * first.abs().max(1.0),
        "the same first batch: {gpu_first} vs {first}"
    );
    assert!(gpu_last < 0.8 * gpu_first, "the GPU's loss falls: {gpu_first} -> {gpu_last}");
    let gpu_weights = pollster::block_on(on_gpu.weights().values()).unwrap();
    assert!(gpu_weights.iter().all(|w| w.is_finite()));
    // The weights it hands over become the session's network for the drawing.
    let options = Options { particles: 256, score: ScoreChoice::Mlp, ..Options::default() };
    let mut session = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
    let net = training::network_from_weights(gpu_weights.clone()).unwrap();
    session.use_drawing(on_gpu.points(), Some(net)).unwrap();
    assert_eq!(session.net().mlp.weights, gpu_weights);
    let message = training::network_from_weights(vec![0.0; 3]).unwrap_err();
    let (plain, fourier) = (Architecture::PLAIN.parameters(), Architecture::FOURIER.parameters());
    assert_eq!(
        message,
        format!("invalid option 'weights': a list of 3 values is not allowed (allowed: exactly {plain} or {fourier} values)")
    );
    let diverged = training::network_from_weights(vec![f32::NAN; PARAMETERS]).unwrap_err();
    assert!(diverged.contains("training diverged"), "{diverged}");
}

#[test]
fn a_drawing_can_be_learned_with_every_objective_on_every_schedule_and_sampled_with_it() {
    use diffusion_playground::app::likelihood::PriorChoice;
    use diffusion_playground::app::training::Learning;
    use diffusion_playground::core::param::Parametrization;
    use diffusion_playground::core::schedule::Schedule;
    const STEPS: u32 = 1500;
    let square = square();
    let mut report = Vec::new();
    for objective in Parametrization::NETWORK_OUTPUTS {
        for schedule in training::TRAINABLE_SCHEDULES {
            let learning = Learning::from_names(objective.name(), schedule.name()).unwrap();
            let plan = TrainingPlan::for_drawing_with(&square, STEPS, 128, 2, learning).unwrap();
            assert_eq!(plan.learning(), learning);
            let mut training = Training::on_cpu(plan);
            let (first, last) = run_to_end(&mut training);
            let net = training.mlp().unwrap().clone();
            // The page samples with it on VP linear with Heun, whatever it was trained with.
            let options = Options { particles: 512, score: ScoreChoice::Mlp, ..Options::default() };
            let mut session = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
            session.use_drawing_learned(&square, Some((net, learning))).unwrap();
            assert_eq!(session.net().parametrization, objective);
            let settings = session
                .racer_settings(
                    &[(
                        "sampler".to_string(),
                        Some(diffusion_playground::app::options::RawValue::Text("heun".into())),
                    )]
                    .into_iter()
                    .collect(),
                )
                .unwrap();
            let lap = session.race_lap(&settings, 64, 1024).unwrap();
            let points = session.likelihood_data(256).unwrap();
            let nll = session.likelihood("heun", "karras", 64, PriorChoice::Gaussian, &points).unwrap();
            report.push(format!(
                "{} on {}: loss {first:.3} -> {last:.3}, SW2 {:.3} (floor {:.3}), NLL {:.3} bits/dim (exact {:.3})",
                objective.name(),
                schedule.name(),
                lap.distance,
                lap.floor,
                nll.model.bits_per_dimension,
                nll.exact.bits_per_dimension
            ));
            assert!(last < first, "{}", report.last().unwrap());
            // With coordinate features, eps and the score learned on rectified flow land at SW2
            // 0.17-0.18 after 1,500 steps (0.165 after 3,000; the plain network 0.08): the
            // features' high frequencies serve these two objectives worst there (docs/measured.md,
            // "Networks trained on drawings"). Every other pair is held where it was.
            let noisy_target = matches!(objective, Parametrization::Eps | Parametrization::Score);
            let bound = if noisy_target && schedule == Schedule::RectifiedFlow { 0.2 } else { 0.15 };
            assert!(lap.distance < bound, "the drawing is learned: {}", report.last().unwrap());
            assert!(nll.model.bits_per_dimension.is_finite());
        }
    }
    eprintln!("{}", report.join("\n"));
    let refused = Learning::from_names("eps", "edm").unwrap_err().to_string();
    assert!(refused.contains("'schedule'") && refused.contains("edm_denoiser objective"), "{refused}");
    assert!(Learning::from_names("eps", "ve").is_err());
    assert!(Learning::from_names("noise", "ve").unwrap_err().to_string().contains("'objective'"));
    // The coupling: OT with any objective; the bridge trains the velocity on rectified flow only.
    let ot = Learning::from_names("eps", "vp_linear").unwrap().with_coupling("ot").unwrap();
    assert_eq!(ot.coupling.name(), "ot");
    let refused = Learning::from_names("eps", "vp_linear").unwrap().with_coupling("sb").unwrap_err();
    assert_eq!(refused.field, "coupling");
    assert!(
        refused.allowed.contains("the Schrödinger bridge trains the velocity on rectified_flow"),
        "{refused}"
    );
    assert!(Learning::from_names("velocity", "rectified_flow").unwrap().with_coupling("sb").is_ok());
    assert_eq!(
        Learning::from_names("eps", "vp_linear").unwrap().with_coupling("nearest").unwrap_err().field,
        "coupling"
    );
    let _ = Schedule::Edm;
}

/// The networks' bars (`core_weights`): the network's density-view TV at most this many times
/// the exact score's on the same run, and its samples' log-density gap at most this (nats).
const MAX_TV_RATIO_AGAINST_EXACT: f64 = 1.2;
const MAX_GAP_AGAINST_EXACT: f64 = 0.2;

/// Fails unless `measured` is within the networks' bars, naming `what`.
fn within_the_bars(measured: AgainstExact, what: &str) {
    let ratio = measured.learned.total_variation / measured.exact.total_variation;
    eprintln!("{what}: TV ratio {ratio:.2}, gap {:.3} nats", measured.log_density_gap);
    assert!(
        ratio <= MAX_TV_RATIO_AGAINST_EXACT && measured.log_density_gap <= MAX_GAP_AGAINST_EXACT,
        "{what}: TV {:.3} against the exact score's {:.3} (ratio {ratio:.2}), gap {:.3} nats",
        measured.learned.total_variation,
        measured.exact.total_variation,
        measured.log_density_gap
    );
}

#[test]
fn a_network_trained_in_the_page_on_a_drawn_circle_samples_it_as_well_as_the_exact_score_to_the_eye() {
    let (points, labels) = drawings::drawn_circle();
    let measured =
        drawings::trained_against_exact(&points, &labels, DRAWN_TRAIN_STEPS, drawings::Recipe::PAGE);
    within_the_bars(measured, "the page's default training on a drawn circle, on the CPU");
}

#[test]
fn so_does_one_trained_with_the_gpu_training_kernels() {
    let Some(gpu) = crate::support::gpu::gpu() else { return };
    let (points, labels) = drawings::drawn_circle();
    let measured = drawings::trained_on_gpu_against_exact(&gpu, &points, &labels, DRAWN_TRAIN_STEPS);
    within_the_bars(measured, "the page's default training on a drawn circle, on the GPU");
}

/// A drawing of two colours trains a class-conditional network; its null class (what the page
/// samples without guidance) learns from the one example in five whose label is dropped, and
/// reaches the bars at the default budget with coordinate features (docs/measured.md, "Networks
/// trained on drawings": 1.18 times the exact score's TV on the CPU).
#[test]
fn a_network_trained_in_the_page_on_a_drawing_of_two_colours_samples_it_as_well_by_its_null_class() {
    let (points, labels) = drawings::drawn_two_colours();
    let measured =
        drawings::trained_against_exact(&points, &labels, DRAWN_TRAIN_STEPS, drawings::Recipe::PAGE);
    within_the_bars(measured, "the page's default training on a drawing of two colours, on the CPU");
}

#[test]
fn so_does_one_on_two_colours_trained_with_the_gpu_training_kernels() {
    let Some(gpu) = crate::support::gpu::gpu() else { return };
    let (points, labels) = drawings::drawn_two_colours();
    let measured = drawings::trained_on_gpu_against_exact(&gpu, &points, &labels, DRAWN_TRAIN_STEPS);
    within_the_bars(measured, "the page's default training on a drawing of two colours, on the GPU");
}
