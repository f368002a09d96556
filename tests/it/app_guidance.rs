//! Guidance through the session (docs/features.md): the options that steer a run
//! toward a class are validated together, the session's target becomes the class conditional,
//! the views follow it, and the CPU and the GPU run the same guided map.

use diffusion_playground::app::options::{self, GuidanceChoice, Options, RawOptions, RawValue, ScoreChoice};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::guidance;
use diffusion_playground::core::histogram;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::gpu::ComputeEngine;

fn raw(pairs: &[(&str, &str)]) -> RawOptions {
    pairs.iter().map(|(k, v)| (k.to_string(), Some(RawValue::Text(v.to_string())))).collect()
}

fn merged(pairs: &[(&str, &str)]) -> Result<Options, String> {
    Options::default().merged(&raw(pairs)).map_err(|e| e.to_string())
}

fn guided(pairs: &[(&str, &str)]) -> Options {
    let mut all = vec![("score", "exact"), ("particles", "1500"), ("steps", "40"), ("sampler", "heun")];
    all.extend_from_slice(pairs);
    merged(&all).expect("valid guided options")
}

fn run(options: Options) -> (Session, Vec<[f32; 2]>) {
    let mut session = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
    while session.step(64).unwrap() > 0 {}
    let points = pollster::block_on(session.read_positions().unwrap().positions()).unwrap();
    (session, points)
}

#[test]
fn a_class_must_be_one_of_the_datasets_and_guidance_needs_a_score_it_works_with() {
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 6] = [
        (&[("class", "north"), ("guidance", "classifier")], &["'class'", "\"north\"", "upper, lower"]),
        (&[("guidance", "cfg"), ("score", "empirical")], &["'guidance'", "exact or mlp", "no classes"]),
        (
            &[("guidance", "classifier"), ("score", "empirical")],
            &["'guidance'", "exact or mlp", "no classes"],
        ),
        (&[("guidance_scale", "21")], &["'guidance_scale'", "from 0 to 20"]),
        (&[("guidance", "nope")], &["'guidance'", "none, cfg, classifier"]),
        (&[("guidance_low", "5"), ("guidance_high", "2")], &["'guidance_low'", "at most the upper end"]),
    ];
    for (pairs, fragments) in cases {
        let message = merged(pairs).expect_err("rejected");
        for fragment in fragments {
            assert!(message.contains(fragment), "{message:?} should contain {fragment:?}");
        }
    }
    // Guidance without a class steers toward the dataset's first class.
    let first = merged(&[("guidance", "classifier")]).unwrap();
    assert_eq!((first.class.as_str(), first.guided_class()), ("upper", Some(0)));
    // A new dataset replaces a class it does not have: its first class when guided, none when not.
    let moved = first.merged(&raw(&[("dataset", "smiley")])).unwrap();
    assert_eq!(moved.class, "outline");
    let unguided = merged(&[("class", "lower")]).unwrap().merged(&raw(&[("dataset", "rings")])).unwrap();
    assert_eq!((unguided.class.as_str(), unguided.guided_class()), ("", None));
    // A class without guidance is kept but does not guide.
    assert_eq!(merged(&[("class", "lower")]).unwrap().run_guidance(), None);
}

#[test]
fn describe_lists_every_datasets_classes_and_the_guidances_with_their_scores() {
    let description = options::describe();
    let moons = description.datasets.iter().find(|d| d.name == "two_moons").unwrap();
    assert_eq!(moons.classes.iter().map(|c| c.name).collect::<Vec<_>>(), ["upper", "lower"]);
    assert!(description.datasets.iter().all(|d| !d.classes.is_empty()));
    let cfg = description.guidances.iter().find(|g| g.name == "cfg").unwrap();
    assert_eq!(cfg.scores, ["exact", "mlp"]);
    assert_eq!(description.limits.guidance_scale.max, 20.0);
}

#[test]
fn with_the_exact_score_cfg_and_classifier_guidance_give_the_same_particles() {
    let (_, cfg) = run(guided(&[("guidance", "cfg"), ("class", "lower"), ("guidance_scale", "2.5")]));
    let (_, classifier) =
        run(guided(&[("guidance", "classifier"), ("class", "lower"), ("guidance_scale", "2.5")]));
    assert_eq!(cfg, classifier);
}

#[test]
fn a_run_guided_with_scale_one_lands_on_the_class_and_the_readout_measures_against_it() {
    let (session, points) = run(guided(&[("guidance", "cfg"), ("class", "lower")]));
    assert_eq!(session.guided_class().map(|c| c.name), Some("lower"));
    // The target is p(x0 | lower): every component of it lies on the lower moon (y < 0.6).
    assert!(session.target().components.iter().all(|c| c.mean[1] < 0.6));
    let readout = session.distance_to_data(&points).unwrap();
    assert!(readout.distance < 2.0 * readout.floor + 0.01, "{readout:?}");
    // Unguided, the same particles would be far from it.
    let (_, unguided) = run(guided(&[]));
    assert!(session.distance_to_data(&unguided).unwrap().distance > 3.0 * readout.distance);
}

#[test]
fn stronger_guidance_moves_the_particles_away_from_the_conditional_and_the_density_view_says_what_it_targets()
{
    let options = guided(&[("guidance", "cfg"), ("class", "east"), ("dataset", "gaussian_mixture")]);
    let (conditional, at_one) = run(options.clone());
    let (strong_session, strong) = run(Options { guidance_scale: 6.0, ..options });
    let reference = conditional.reference_sample(strong.len());
    // Guidance w > 1 sharpens the class: the particles are closer together than the class is.
    let spread = |p: &[[f32; 2]]| {
        let m = p.iter().fold([0.0f64; 2], |m, x| [m[0] + x[0] as f64, m[1] + x[1] as f64]);
        let m = [m[0] / p.len() as f64, m[1] / p.len() as f64];
        p.iter().map(|x| (x[0] as f64 - m[0]).powi(2) + (x[1] as f64 - m[1]).powi(2)).sum::<f64>()
            / p.len() as f64
    };
    assert!(spread(&strong) < 0.8 * spread(&reference), "{} vs {}", spread(&strong), spread(&reference));
    assert!(sliced_wasserstein(&at_one, &reference) < sliced_wasserstein(&strong, &reference));
    // The density view shows the tilted density at the current time, normalised.
    let t = strong_session.current_t();
    let probabilities = strong_session.exact_probabilities(t.max(0.05), 32).unwrap();
    let total: f64 = probabilities.iter().map(|&p| p as f64).sum();
    assert!((0.95..=1.001).contains(&total), "{total}");
    let unguided =
        Session::new(guided(&[("dataset", "gaussian_mixture")]), Particles::Cpu(Vec::new())).unwrap();
    let everywhere = unguided.exact_probabilities(t.max(0.05), 32).unwrap();
    let tv = histogram::total_variation(
        &everywhere.iter().map(|&p| (p * 1e6) as u32).collect::<Vec<_>>(),
        1_000_000,
        &probabilities,
    );
    assert!(tv > 0.5, "the tilted target is not the unguided density: TV {tv}");
}

#[test]
fn classifier_guidance_steers_the_network_toward_the_class() {
    let options = Options {
        score: ScoreChoice::Mlp,
        guidance: GuidanceChoice::Classifier,
        class: "upper".into(),
        particles: 1500,
        steps: 60,
        ..Options::default()
    };
    let (session, points) = run(options);
    // By the exact classifier at a little noise, nearly every particle belongs to the upper moon.
    let marked = session.score_mixture();
    let upper = points
        .iter()
        .filter(|p| {
            guidance::log_class_posterior(marked, [p[0] as f64, p[1] as f64], 1.0, 0.05) > 0.5f64.ln()
        })
        .count() as f64
        / points.len() as f64;
    assert!(upper > 0.95, "{upper} of the particles on the upper moon");
    let readout = session.distance_to_data(&points).unwrap();
    assert!(readout.distance < 0.2, "{readout:?}");
}

/// Two strokes of two colours: a circle (blue) and a short bar (orange), 40 points each.
fn two_coloured_strokes() -> (Vec<[f32; 2]>, Vec<u32>) {
    let circle = (0..40).map(|i| (i as f32 * 0.157).sin_cos()).map(|(s, c)| [1.5 * c - 0.5, 1.5 * s]);
    let bar = (0..40).map(|i| [1.8, -1.0 + 0.05 * i as f32]);
    (circle.chain(bar).collect(), (0..80).map(|i| u32::from(i >= 40)).collect())
}

#[test]
fn a_drawing_guides_toward_its_stroke_colours() {
    let mut session =
        Session::new(Options { score: ScoreChoice::Exact, ..Options::default() }, Particles::Cpu(Vec::new()))
            .unwrap();
    let (points, labels) = two_coloured_strokes();
    session.use_labelled_drawing(&points, &labels, None).unwrap();
    let names: Vec<&str> = session.guidable_classes().iter().map(|c| c.name).collect();
    assert_eq!(names, ["blue", "orange"], "the colours the drawing has points of");
    // A dataset's class, or a colour the drawing has no points of, is refused by name.
    for class in ["upper", "green"] {
        let next =
            Options { guidance: GuidanceChoice::Cfg, class: class.into(), ..session.options().clone() };
        let message = session.set_options(next).unwrap_err();
        assert!(message.contains("'class'") && message.contains("blue, orange"), "{message}");
        assert_eq!(session.guidance(), None);
    }
    // Guidance toward the bar with the exact scores: the particles land on the bar (x = 1.8).
    let next = Options {
        guidance: GuidanceChoice::Cfg,
        class: "orange".into(),
        particles: 800,
        steps: 60,
        ..session.options().clone()
    };
    session.set_options(next).unwrap();
    assert_eq!(session.guided_class().map(|c| c.name), Some("orange"));
    assert_eq!(session.target().components.len(), 40, "the target is the class conditional");
    while session.step(64).unwrap() > 0 {}
    let end = pollster::block_on(session.read_positions().unwrap().positions()).unwrap();
    let on_bar = end.iter().filter(|p| (p[0] - 1.8).abs() < 0.3 && p[1].abs() < 1.3).count();
    assert!(on_bar as f64 > 0.95 * end.len() as f64, "{on_bar} of {} on the orange bar", end.len());
    // A new dataset ends the drawing, and its classes with it.
    let next = Options {
        dataset: Dataset::Rings,
        class: String::new(),
        guidance: GuidanceChoice::None,
        ..session.options().clone()
    };
    session.set_options(next).unwrap();
    assert!(session.drawing_labels().is_none() && !session.options().classes_of_drawing);
    assert_eq!(session.guidable_classes().len(), 2);
}

#[test]
fn a_guided_run_keeps_its_guidance_on_a_new_drawing_and_drawings_without_labels_are_one_class() {
    let options = guided(&[("guidance", "classifier"), ("class", "upper")]);
    let mut session = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
    let (points, labels) = two_coloured_strokes();
    session.use_labelled_drawing(&points, &labels, None).unwrap();
    assert_eq!(session.options().class, "blue", "the drawing's first class");
    assert_eq!(session.options().guidance, GuidanceChoice::Classifier);
    session.use_drawing(&points, None).unwrap();
    assert_eq!(session.drawing_labels().unwrap(), vec![0; points.len()].as_slice());
    let wrong = session.use_labelled_drawing(&points, &[7; 80], None).unwrap_err();
    assert!(wrong.contains("class 7") && wrong.contains("blue, orange, green, pink"), "{wrong}");
    let short = session.use_labelled_drawing(&points, &[0; 3], None).unwrap_err();
    assert!(short.contains("80 points, 3 classes"), "{short}");
}

/// A class-conditional network trained on a drawing of two colours (on the CPU, as the page
/// does): unguided it samples the whole drawing, with classifier-free guidance toward a colour
/// that colour's strokes.
#[test]
fn a_network_trained_on_stroke_colours_guides_without_a_classifier() {
    use diffusion_playground::app::training::{Learning, Training, TrainingPlan};
    let (points, labels) = two_coloured_strokes();
    let plan = TrainingPlan::for_labelled_drawing(&points, &labels, 2500, 128, 0, Learning::DEFAULT).unwrap();
    assert!(plan.conditional());
    let mut training = Training::on_cpu(plan);
    training.run(2500).unwrap();
    let net = training.trained().unwrap();
    assert_eq!(net.class_embedding.as_ref().map(|e| e.classes()), Some(4));
    let options = guided(&[("particles", "800"), ("steps", "60")]);
    let mut session = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
    session.use_labelled_drawing(&points, &labels, Some(net.clone())).unwrap();
    let next = Options {
        score: ScoreChoice::Mlp,
        guidance: GuidanceChoice::Cfg,
        class: "orange".into(),
        guidance_scale: 2.0,
        ..session.options().clone()
    };
    session.set_options(next).unwrap();
    assert!(session.classifier_free().is_some(), "the network's own embedding guides");
    while session.step(64).unwrap() > 0 {}
    let end = pollster::block_on(session.read_positions().unwrap().positions()).unwrap();
    let on_bar = end.iter().filter(|p| (p[0] - 1.8).abs() < 0.35 && p[1].abs() < 1.4).count();
    assert!(on_bar as f64 > 0.85 * end.len() as f64, "{on_bar} of {} on the orange bar", end.len());
    // Unguided, the folded null class samples both strokes.
    let next = Options { guidance: GuidanceChoice::None, class: String::new(), ..session.options().clone() };
    session.set_options(next).unwrap();
    assert!(session.net().class_embedding.is_none());
    while session.step(64).unwrap() > 0 {}
    let end = pollster::block_on(session.read_positions().unwrap().positions()).unwrap();
    let on_bar = end.iter().filter(|p| (p[0] - 1.8).abs() < 0.35 && p[1].abs() < 1.4).count();
    let share = on_bar as f64 / end.len() as f64;
    assert!((0.3..0.7).contains(&share), "half the drawing is the bar: {share}");
    // The link carries the conditional network; opened on the drawing it guides again.
    let bytes = session.network_link_bytes().unwrap();
    let mut other = Session::new(guided(&[]), Particles::Cpu(Vec::new())).unwrap();
    other.use_labelled_drawing(&points, &labels, None).unwrap();
    other.use_network_link_bytes(&bytes).unwrap();
    let next = Options {
        score: ScoreChoice::Mlp,
        guidance: GuidanceChoice::Cfg,
        class: "blue".into(),
        ..other.options().clone()
    };
    other.set_options(next).unwrap();
    assert!(other.classifier_free().is_some());
}

#[test]
fn a_guided_session_runs_the_same_on_the_gpu_and_the_cpu() {
    let Some(gpu) = crate::support::gpu::gpu() else { return };
    for (score, guidance) in [("exact", "classifier"), ("mlp", "classifier"), ("mlp", "cfg")] {
        let options = guided(&[
            ("guidance", guidance),
            ("guidance_scale", "2.5"),
            ("guidance_low", "0.3"),
            ("class", "outer"),
            ("dataset", "rings"),
            ("score", score),
            ("particles", "300"),
            ("steps", "12"),
        ]);
        let (_, cpu) = run(options.clone());
        let mut session = Session::new(options, Particles::Gpu(Box::new(ComputeEngine::new(&gpu)))).unwrap();
        while session.step(64).unwrap() > 0 {}
        let on_gpu = pollster::block_on(session.read_positions().unwrap().positions()).unwrap();
        let worst = cpu
            .iter()
            .zip(&on_gpu)
            .map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs()))
            .fold(0.0f32, f32::max);
        assert!(worst < 5e-3, "{score} {guidance}: GPU and CPU differ by {worst}");
    }
}

/// The options of a short, hostile guided run: 8 steps of 64 particles, churn 10, guidance
/// from t = 0.1 on, `scale` toward `class` with `score` and `guidance`.
fn hostile_guided(score: ScoreChoice, guidance: GuidanceChoice, class: &str, scale: f64) -> Options {
    Options {
        score,
        guidance,
        class: class.into(),
        guidance_scale: scale,
        guidance_low: 0.1,
        particles: 64,
        steps: 8,
        churn: 10.0,
        ..Options::default()
    }
}

/// Runs `options` to the end from the prior and from the smallest start time (noise of 1e-6);
/// fails naming `what` unless every particle stays finite. Returns the runs made.
fn runs_stay_finite(options: &Options, what: &str) -> usize {
    let starts = [1.0, 1e-300];
    for start in starts {
        let mut session = Session::new(options.clone(), Particles::Cpu(Vec::new())).unwrap();
        if start < 1.0 {
            session.noise_to(start).unwrap();
        }
        let what = format!("{what} from {start}");
        while session.step(64).unwrap_or_else(|e| panic!("{what}: {e}")) > 0 {}
        let points = session.cpu_particles().unwrap();
        assert!(points.iter().flatten().all(|v| v.is_finite()), "{what}: not finite");
    }
    starts.len()
}

/// Bad numbers never come out of guidance: every schedule and sampler, the network and the
/// exact score, the scale at 0, 1 and its maximum, from the prior and from the smallest start
/// time, keep every particle finite.
#[test]
fn guided_runs_stay_finite_for_every_schedule_sampler_score_and_scale() {
    use diffusion_playground::core::sampler::Sampler;
    use diffusion_playground::core::schedule::Schedule;
    let mut runs = 0;
    for schedule in Schedule::ALL {
        for sampler in Sampler::ALL {
            for (score, guidance) in [
                (ScoreChoice::Exact, GuidanceChoice::Cfg),
                (ScoreChoice::Mlp, GuidanceChoice::Classifier),
                (ScoreChoice::Mlp, GuidanceChoice::Cfg),
            ] {
                for scale in [0.0, 1.0, guidance::MAX_GUIDANCE_SCALE] {
                    let options =
                        Options { schedule, sampler, ..hostile_guided(score, guidance, "lower", scale) };
                    runs += runs_stay_finite(
                        &options,
                        &format!("{schedule:?} {sampler:?} {score:?} {guidance:?} w {scale}"),
                    );
                }
            }
        }
    }
    eprintln!("{runs} guided runs, every particle finite");
}

/// Every dataset's class-conditional network, not only the default dataset's, keeps every
/// particle finite under classifier-free guidance at its largest scale, on every schedule and
/// sampler, from the prior and from the smallest start time: a network's extrapolation far from
/// its data, amplified w times, is what can throw a particle away.
#[test]
fn every_class_conditional_network_stays_finite_under_the_strongest_guidance() {
    use diffusion_playground::core::classes;
    use diffusion_playground::core::sampler::Sampler;
    use diffusion_playground::core::schedule::Schedule;
    let mut runs = 0;
    for dataset in Dataset::ALL {
        let class = classes::classes(dataset)[0].name;
        let strongest =
            hostile_guided(ScoreChoice::Mlp, GuidanceChoice::Cfg, class, guidance::MAX_GUIDANCE_SCALE);
        for schedule in Schedule::ALL {
            for sampler in Sampler::ALL {
                let options = Options { dataset, schedule, sampler, ..strongest.clone() };
                runs += runs_stay_finite(
                    &options,
                    &format!("{dataset:?} {schedule:?} {sampler:?} w {}", options.guidance_scale),
                );
            }
        }
    }
    eprintln!("{runs} runs at the strongest guidance, every particle finite");
}

/// Classifier-free guidance with the network: the session samples with the dataset's
/// class-conditional network, lands on the class at w = 1 as the exact conditional score does,
/// and goes back to the unconditional network when guidance is switched off.
#[test]
fn cfg_with_the_network_uses_the_class_conditional_network_and_lands_on_the_class() {
    let options =
        guided(&[("score", "mlp"), ("guidance", "cfg"), ("class", "lower"), ("sampler", "dpm_solver_2m")]);
    let (mut session, points) = run(options.clone());
    assert!(session.net().class_embedding.is_some(), "the conditional network is in use");
    assert!(session.classifier_free().is_some());
    let readout = session.distance_to_data(&points).unwrap();
    let exact = run(Options { score: ScoreChoice::Exact, ..options.clone() }).1;
    let exact_readout = session.distance_to_data(&exact).unwrap();
    assert!(readout.distance < exact_readout.distance + 0.05, "{readout:?} vs exact {exact_readout:?}");
    session.set_options(Options { guidance: GuidanceChoice::None, ..options }).unwrap();
    assert!(session.net().class_embedding.is_none(), "unguided runs use the unconditional network");
}

/// A loaded network without classes cannot guide without a classifier: the message names the
/// field and what to do, and the session keeps running as it was.
#[test]
fn a_loaded_unconditional_network_refuses_cfg_and_a_conditional_one_is_accepted() {
    let options = guided(&[("score", "mlp")]);
    let mut session = Session::new(options.clone(), Particles::Cpu(Vec::new())).unwrap();
    let plain = diffusion_playground::core::embedded::net_for(options.dataset, options.schedule).unwrap();
    session.use_network(plain.clone()).unwrap();
    let next = Options { guidance: GuidanceChoice::Cfg, class: "upper".into(), ..options.clone() };
    let message = session.set_options(next.clone()).unwrap_err();
    assert!(message.contains("'guidance'") && message.contains("unconditional"), "{message}");
    assert_eq!(session.options().guidance, GuidanceChoice::None);
    let conditional = diffusion_playground::core::embedded::conditional_net(options.dataset).unwrap();
    session.use_network(conditional.clone()).unwrap();
    session.set_options(next).unwrap();
    assert_eq!(session.net(), &conditional);
    // Its share-link bytes round trip.
    let bytes = session.network_link_bytes().unwrap();
    assert!(diffusion_playground::app::session::network_link_size(bytes.len()));
    let mut other = Session::new(guided(&[("score", "mlp")]), Particles::Cpu(Vec::new())).unwrap();
    other.use_network_link_bytes(&bytes).unwrap();
    // Unguided, it samples with its null class folded into the first-layer bias; the link
    // still carries the whole conditional network.
    assert_eq!(other.net(), &conditional.unconditional());
    assert!(other.net().class_embedding.is_none());
    assert_eq!(other.network_link_bytes(), Some(bytes));
}
