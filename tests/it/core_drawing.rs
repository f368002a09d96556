//! Drawn data: points become a distribution with an exact score, and a network trained on it in
//! chunks (as the page does between frames) is the network trained in one go, and learns it.

use diffusion_playground::core::drawing::{self, drawn_mixture, Trainer, DRAWN_SCHEDULE, MAX_DRAWN_POINTS};
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{Sampler, ScoreSource};
use diffusion_playground::core::train::{self, TrainConfig};

/// A circle of radius 1.5 drawn as 120 points.
fn circle() -> Vec<[f32; 2]> {
    (0..120)
        .map(|i| {
            let a = std::f32::consts::TAU * i as f32 / 120.0;
            [1.5 * a.cos(), 1.5 * a.sin()]
        })
        .collect()
}

#[test]
fn bad_drawings_are_refused_with_the_reason() {
    let err = |points: &[[f32; 2]]| drawn_mixture(points).expect_err("refused");
    assert!(err(&[]).contains("at least one point"));
    assert!(err(&vec![[0.0, 0.0]; MAX_DRAWN_POINTS + 1]).contains("at most 512 points"));
    assert!(err(&[[0.0, 0.0], [3.5, 0.0]]).contains("drawn point 1 (3.5, 0) is not inside the picture"));
    assert!(err(&[[f32::NAN, 0.0]]).contains("drawn point 0"));
    assert_eq!(drawn_mixture(&circle()).unwrap().components.len(), 120);
}

#[test]
fn training_in_chunks_is_training_in_one_go() {
    let mixture = drawn_mixture(&circle()).unwrap();
    // The first-order loss alone, and with the divergence term of the likelihood stage.
    for divergence_weight in [0.0, 0.3] {
        let config = TrainConfig { steps: 30, batch: 16, divergence_weight, ..TrainConfig::default() };
        let mut trainer = Trainer::new(mixture.clone(), DRAWN_SCHEDULE, config.clone());
        for chunk in [7, 1, 100] {
            trainer.run(chunk);
        }
        assert_eq!(trainer.step(), 30);
        assert!(trainer.run(5).is_nan(), "a finished run takes no more steps");
        let whole = train::train(&mixture, DRAWN_SCHEDULE, &config, |_, _| {});
        assert_eq!(trainer.mlp(), &whole, "divergence weight {divergence_weight}");
        assert_eq!(trainer.losses().len(), 30);
    }
}

#[test]
fn class_conditional_training_in_chunks_is_training_in_one_go() {
    let mixture = drawn_mixture(&circle()).unwrap();
    // The left half of the circle drawn in the first colour, the right half in the second.
    let labels: Vec<usize> = circle().iter().map(|p| usize::from(p[0] > 0.0)).collect();
    for divergence_weight in [0.0, 0.3] {
        let config = TrainConfig { steps: 20, batch: 16, divergence_weight, ..TrainConfig::default() };
        let mut trainer =
            Trainer::conditional(mixture.clone(), labels.clone(), DRAWN_SCHEDULE, config.clone());
        for chunk in [3, 50] {
            trainer.run(chunk);
        }
        let classes = train::Labels { component_classes: &labels, classes: drawing::DRAWING_CLASSES.len() };
        let (mlp, embedding) =
            train::train_conditional(&mixture, &classes, DRAWN_SCHEDULE, &config, |_, _| {});
        assert_eq!(trainer.mlp(), &mlp, "divergence weight {divergence_weight}");
        assert_eq!(trainer.embedding(), Some(&embedding), "divergence weight {divergence_weight}");
    }
}

#[test]
fn a_short_training_run_learns_a_drawn_circle() {
    let points = circle();
    let mixture = drawn_mixture(&points).unwrap();
    let config = drawing::drawn_config(0, drawing::DRAWN_TRAIN_STEPS, drawing::DRAWN_BATCH);
    let mut trainer = Trainer::new(mixture.clone(), DRAWN_SCHEDULE, config);
    while trainer.step() < trainer.steps() {
        trainer.run(250);
    }
    let losses = trainer.losses();
    let mean = |s: &[f32]| s.iter().sum::<f32>() / s.len() as f32;
    eprintln!(
        "loss: first 20 steps {}, last 100 {}",
        mean(&losses[..20]),
        mean(&losses[losses.len() - 100..])
    );
    assert!(mean(&losses[losses.len() - 100..]) < 0.7 * mean(&losses[..20]), "the loss falls");
    let setup = RunSetup::new(DRAWN_SCHEDULE, Sampler::EulerMaruyama, 100);
    let n = 2048;
    let samples = quality::sample(ScoreSource::Mlp(trainer.mlp()), &setup, 5, n);
    let data = mixture.sample(6, 0, n);
    let floor = sliced_wasserstein(&mixture.sample(7, 0, n), &data);
    let distance = sliced_wasserstein(&samples, &data);
    let untrained = sliced_wasserstein(
        &quality::sample(
            ScoreSource::Mlp(&diffusion_playground::core::mlp::Mlp::initialise(0)),
            &setup,
            5,
            n,
        ),
        &data,
    );
    eprintln!("distance {distance}, floor {floor}, untrained {untrained}");
    assert!(distance < 2.0 * floor + 0.02, "samples reach the drawing: {distance} (floor {floor})");
    assert!(distance < 0.25 * untrained, "and are far closer than an untrained net's ({untrained})");
}
