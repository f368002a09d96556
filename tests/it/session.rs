//! Options are validated once at the boundary, and a session behaves the same on the CPU and GPU.

use diffusion_playground::app::options::{Options, RawOptions, RawValue};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::gpu::ComputeEngine;

fn raw(pairs: &[(&str, RawValue)]) -> RawOptions {
    pairs.iter().map(|(k, v)| (k.to_string(), Some(v.clone()))).collect()
}

fn rejected(pairs: &[(&str, RawValue)]) -> String {
    Options::default().merged(&raw(pairs)).expect_err("rejected").to_string()
}

#[test]
fn defaults_are_valid_and_fields_merge() {
    let next = Options::default()
        .merged(&raw(&[("steps", RawValue::Number(50.0)), ("dataset", RawValue::Text("spiral".into()))]))
        .unwrap();
    assert_eq!(next.steps, 50);
    assert_eq!(next.dataset.name(), "spiral");
    assert_eq!(next.particles, Options::default().particles);
    // Share links carry numbers as text.
    assert_eq!(Options::default().merged(&raw(&[("seed", RawValue::Text("42".into()))])).unwrap().seed, 42);
    // undefined / null keep the current value.
    let keep: RawOptions = [("steps".to_string(), None)].into_iter().collect();
    assert_eq!(Options::default().merged(&keep).unwrap(), Options::default());
}

#[test]
fn every_invalid_option_is_rejected_with_its_field_value_and_allowed_range() {
    let cases = [
        (rejected(&[("steps", RawValue::Number(0.0))]), ["'steps'", "0", "from 1 to 1000"]),
        (rejected(&[("steps", RawValue::Number(2.5))]), ["'steps'", "2.5", "integer"]),
        (rejected(&[("particles", RawValue::Number(1e12))]), ["'particles'", "1000000000000", "1048576"]),
        (rejected(&[("seed", RawValue::Text("abc".into()))]), ["'seed'", "\"abc\"", "4294967295"]),
        (
            rejected(&[("dataset", RawValue::Text("<script>".into()))]),
            ["'dataset'", "\"<script>\"", "two_moons"],
        ),
        (rejected(&[("sampler", RawValue::Bool(true))]), ["'sampler'", "true", "euler_maruyama"]),
        (rejected(&[("point_size", RawValue::Number(f64::NAN))]), ["'point_size'", "NaN", "0.5 to 8"]),
        (
            rejected(&[("colour", RawValue::Text("red".into()))]),
            ["unknown option 'colour'", "dataset", "seed"],
        ),
    ];
    for (message, fragments) in cases {
        for fragment in fragments {
            assert!(message.contains(fragment), "{message:?} should contain {fragment:?}");
        }
    }
}

#[test]
fn hostile_strings_are_truncated_in_messages() {
    let long = "x".repeat(10_000);
    let message = rejected(&[("dataset", RawValue::Text(long))]);
    assert!(message.len() < 300, "{} characters", message.len());
}

#[test]
fn the_cpu_path_refuses_more_particles_than_it_can_animate() {
    let options = Options { particles: 1 << 20, ..Options::default() };
    let error = Session::new(options, Particles::Cpu(Vec::new())).err().expect("refused");
    assert!(error.contains("'particles'") && error.contains("262144"), "{error}");
}

fn small(score: &str, sampler: &str) -> Options {
    Options::default()
        .merged(&raw(&[
            ("particles", RawValue::Number(1024.0)),
            ("steps", RawValue::Number(40.0)),
            ("score", RawValue::Text(score.into())),
            ("sampler", RawValue::Text(sampler.into())),
            ("dataset", RawValue::Text("gaussian_mixture".into())),
        ]))
        .unwrap()
}

#[test]
fn a_cpu_session_runs_to_the_end_and_reports_its_progress() {
    let mut session = Session::new(small("exact", "euler_maruyama"), Particles::Cpu(Vec::new())).unwrap();
    assert_eq!((session.step_index(), session.total_steps(), session.current_t()), (0, 40, 1.0));
    assert_eq!(session.step(15).unwrap(), 15);
    assert!((session.current_t() - 0.625).abs() < 1e-6);
    assert_eq!(session.step(100).unwrap(), 25);
    assert!(session.done() && session.current_t() == 0.0);
    assert_eq!(session.step(1).unwrap(), 0, "a finished run takes no more steps");
    let positions = pollster::block_on(session.read_positions().unwrap().positions()).unwrap();
    assert!(positions.iter().flatten().all(|v| v.is_finite()));
}

#[test]
fn noise_to_shows_the_forward_marginal_and_the_run_continues_from_there() {
    let mut session =
        Session::new(small("exact", "probability_flow_euler"), Particles::Cpu(Vec::new())).unwrap();
    session.noise_to(0.5).unwrap();
    assert_eq!((session.current_t(), session.total_steps()), (0.5, 20));
    assert!(session.noise_to(1.5).is_err() && session.noise_to(f64::NAN).is_err());
    session.noise_to(0.0).unwrap();
    assert!(session.done(), "at t = 0 the particles are the data");
}

#[test]
fn the_same_options_give_the_same_particles_on_the_gpu_and_the_cpu() {
    let Some(gpu) = crate::support::gpu::gpu() else { return };
    for (score, sampler) in
        [("mlp", "euler_maruyama"), ("exact", "probability_flow_euler"), ("empirical", "heun")]
    {
        let options = small(score, sampler);
        let mut on_gpu =
            Session::new(options.clone(), Particles::Gpu(Box::new(ComputeEngine::new(&gpu)))).unwrap();
        let mut on_cpu = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
        for session in [&mut on_gpu, &mut on_cpu] {
            session.step(7).unwrap();
            session.step(100).unwrap();
        }
        let a = pollster::block_on(on_gpu.read_positions().unwrap().positions()).unwrap();
        let b = pollster::block_on(on_cpu.read_positions().unwrap().positions()).unwrap();
        let worst =
            a.iter().zip(&b).map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs())).fold(0.0, f32::max);
        assert!(worst < 2e-3, "{score}/{sampler}: largest GPU-CPU difference {worst}");
        assert!(sliced_wasserstein(&a, &b) < 1e-3);
    }
}

#[test]
fn the_prior_temperature_scales_the_starting_noise_on_both_paths_and_nothing_else() {
    let warm = small("exact", "euler_maruyama");
    let cold = Options { temperature: 0.5, ..warm.clone() };
    let start = |options: &Options, particles| {
        let session = Session::new(options.clone(), particles).unwrap();
        pollster::block_on(session.read_positions().unwrap().positions()).unwrap()
    };
    let (prior, colder) =
        (start(&warm, Particles::Cpu(Vec::new())), start(&cold, Particles::Cpu(Vec::new())));
    for (p, q) in prior.iter().zip(&colder) {
        assert!(
            (0.5 * p[0] - q[0]).abs() <= 1e-6 * p[0].abs() && (0.5 * p[1] - q[1]).abs() <= 1e-6 * p[1].abs()
        );
    }
    let session = Session::new(cold.clone(), Particles::Cpu(Vec::new())).unwrap();
    assert_eq!(session.run_start_points(16), colder[..16], "where the run started, as the exports read it");
    // A run started from the data noised to t is not scaled.
    let mut noised =
        [warm.clone(), cold.clone()].map(|o| Session::new(o, Particles::Cpu(Vec::new())).unwrap());
    for session in &mut noised {
        session.noise_to(0.5).unwrap();
    }
    assert_eq!(noised[0].run_start_points(64), noised[1].run_start_points(64));
    let Some(gpu) = crate::support::gpu::gpu() else { return };
    let on_gpu = start(&cold, Particles::Gpu(Box::new(ComputeEngine::new(&gpu))));
    // The GPU's Box-Muller (sin, cos, log in WGSL) agrees with the CPU's to a few ulps.
    let worst = on_gpu
        .iter()
        .zip(&colder)
        .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
        .fold(0.0, f32::max);
    assert!(worst < 1e-4, "the GPU draws the same colder prior: largest difference {worst}");
}

/// Tweedie's formula in the page's "ghosts" layer: x0_hat = E[x0 | x_t]. At pure noise every
/// ghost sits near the data mean (the 8 Gaussians are centred); with little noise each ghost
/// sits next to its particle; and only the first `limit` particles come back.
#[test]
fn predicted_x0_ghosts_follow_tweedie_from_the_data_mean_to_the_particles() {
    let mut session = Session::new(small("exact", "euler_maruyama"), Particles::Cpu(Vec::new())).unwrap();
    let (positions, ghosts) =
        pollster::block_on(session.predict(Parametrization::X0, 100).unwrap().get()).unwrap();
    assert_eq!((positions.len(), ghosts.len()), (100, 100));
    let mean_radius = ghosts.iter().map(|g| g[0].hypot(g[1])).sum::<f32>() / 100.0;
    assert!(mean_radius < 0.1, "at t = 1 the ghosts are near the data mean: {mean_radius}");
    session.noise_to(0.02).unwrap();
    let (positions, ghosts) =
        pollster::block_on(session.predict(Parametrization::X0, 5000).unwrap().get()).unwrap();
    assert_eq!(positions.len(), 1024, "at most every particle");
    let far = positions.iter().zip(&ghosts).filter(|(x, g)| (x[0] - g[0]).hypot(x[1] - g[1]) > 0.2).count();
    assert!(far < 20, "at t = 0.02 the ghosts sit on their particles ({far} of 1024 farther than 0.2)");
    for target in Parametrization::ALL {
        let (_, values) = pollster::block_on(session.predict(target, 64).unwrap().get()).unwrap();
        assert!(values.iter().flatten().all(|v| v.is_finite()), "{target:?} inside the time range");
    }
}

/// The exact score of a finite training set is the ideal denoiser of that set: sampling with it
/// lands every particle on a training point (memorisation), unlike the data distribution's score.
#[test]
fn the_empirical_score_memorises_its_training_points() {
    use diffusion_playground::app::options::EMPIRICAL_POINTS;
    use diffusion_playground::app::session::EMPIRICAL_SEED;
    use diffusion_playground::core::dataset::Dataset;
    use diffusion_playground::core::timesteps::TimeGrid;
    let training = Dataset::GaussianMixture.sample(EMPIRICAL_SEED, EMPIRICAL_POINTS);
    let nearest =
        |p: &[f32; 2]| training.iter().map(|q| (p[0] - q[0]).hypot(p[1] - q[1])).fold(f32::MAX, f32::min);
    let run = |score: &str| {
        // DPM-Solver++ ends with x0_hat, the posterior mean, which for a memorised particle is
        // its training point exactly (no last-step noise or Euler residue).
        // On the Karras grid the last noise level (sigma/alpha = 0.002) is far below the spacing of
        // the training points, where the posterior has settled on one of them.
        let options = Options { steps: 100, time_grid: TimeGrid::Karras, ..small(score, "dpm_solver_2m") };
        let mut session = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
        while session.step(50).unwrap() > 0 {}
        pollster::block_on(session.read_positions().unwrap().positions()).unwrap()
    };
    let memorised = run("empirical").iter().filter(|p| nearest(p) < 0.01).count();
    let generalised = run("exact").iter().filter(|p| nearest(p) < 0.01).count();
    assert!(memorised > 1024 * 95 / 100, "{memorised} of 1024 particles on a training point");
    assert!(generalised < 1024 / 5, "the data's own score does not memorise ({generalised} of 1024)");
}

/// What `options()` hands back to JavaScript must parse again as the same options: the serde
/// names of every choice are the names the validator accepts.
#[test]
fn serialised_options_use_the_same_names_as_the_validator() {
    use diffusion_playground::core::sampler::Sampler;
    use diffusion_playground::core::schedule::Schedule;
    use diffusion_playground::core::timesteps::TimeGrid;
    for sampler in Sampler::ALL {
        assert_eq!(serde_plain(&sampler), sampler.name());
    }
    for schedule in Schedule::ALL {
        assert_eq!(serde_plain(&schedule), schedule.name());
    }
    for grid in TimeGrid::ALL {
        assert_eq!(serde_plain(&grid), grid.name());
    }
    // Every dataset too (two_normals_1d once serialised as "two_normals1d").
    for dataset in diffusion_playground::core::dataset::Dataset::ALL {
        assert_eq!(serde_plain(&dataset), dataset.name());
    }
    for score in diffusion_playground::app::options::ScoreChoice::ALL {
        assert_eq!(serde_plain(&score), score.name());
    }
}

/// The string a unit enum variant serialises to.
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value).expect("serialisable") {
        serde_json::Value::String(name) => name,
        other => panic!("not a unit variant: {other}"),
    }
}

/// A drawing replaces the dataset: its exact score carries the particles onto the drawn points;
/// the learned score needs a network trained on it; choosing a dataset ends the drawing.
#[test]
fn a_drawing_stands_in_for_the_dataset_until_another_dataset_is_chosen() {
    let mut session = Session::new(small("exact", "euler_maruyama"), Particles::Cpu(Vec::new())).unwrap();
    let square: Vec<[f32; 2]> = (0..40).map(|i| [-1.0 + 0.05 * i as f32, 1.0]).collect();
    session.use_drawing(&square, None).unwrap();
    assert_eq!(session.drawing_points(), Some(square.as_slice()));
    session.step(1000).unwrap();
    let end = pollster::block_on(session.read_positions().unwrap().positions()).unwrap();
    let near = end.iter().filter(|p| (p[1] - 1.0).abs() < 0.25 && p[0] > -1.25 && p[0] < 1.25).count();
    assert!(near as f64 > 0.9 * end.len() as f64, "{near} of {} particles on the drawn segment", end.len());
    // The learned score is refused without a network trained on the drawing.
    let mlp_options = Options { score: small("mlp", "euler_maruyama").score, ..session.options().clone() };
    let error = session.set_options(mlp_options).unwrap_err();
    assert!(error.contains("'score'") && error.contains("without a trained network"), "{error}");
    // Another seed keeps the drawing; another dataset ends it.
    let reseeded = Options { seed: 99, ..session.options().clone() };
    session.set_options(reseeded).unwrap();
    assert!(session.drawing_points().is_some());
    let other = Options {
        dataset: diffusion_playground::core::dataset::Dataset::Spiral,
        ..session.options().clone()
    };
    session.set_options(other).unwrap();
    assert!(session.drawing_points().is_none());
    assert!(session.use_drawing(&[[9.0, 0.0]], None).unwrap_err().contains("not inside the picture"));
}

/// A network trained on a drawing (as the page's Train button does) samples the drawing.
#[test]
fn a_network_trained_on_a_drawing_samples_it() {
    use diffusion_playground::core::drawing::{self, drawn_mixture, Trainer, DRAWN_SCHEDULE};
    let circle: Vec<[f32; 2]> = (0..80)
        .map(|i| {
            let a = std::f32::consts::TAU * i as f32 / 80.0;
            [1.5 * a.cos(), 1.5 * a.sin()]
        })
        .collect();
    let config = drawing::drawn_config(1, drawing::DRAWN_TRAIN_STEPS, drawing::DRAWN_BATCH);
    let mut trainer = Trainer::new(drawn_mixture(&circle).unwrap(), DRAWN_SCHEDULE, config);
    trainer.run(drawing::DRAWN_TRAIN_STEPS);
    let mut session = Session::new(small("mlp", "euler_maruyama"), Particles::Cpu(Vec::new())).unwrap();
    session.use_drawing(&circle, Some(trainer.mlp().clone())).unwrap();
    session.step(1000).unwrap();
    let end = pollster::block_on(session.read_positions().unwrap().positions()).unwrap();
    let on_circle = end.iter().filter(|p| (p[0].hypot(p[1]) - 1.5).abs() < 0.3).count();
    assert!(
        on_circle as f64 > 0.9 * end.len() as f64,
        "{on_circle} of {} particles on the drawn circle",
        end.len()
    );
}
