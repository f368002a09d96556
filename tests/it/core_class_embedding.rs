//! Class-conditional networks (`core::class_embedding`): the embedding's gradient, the weight and
//! safetensors files that carry it, classifier-free guidance with the network (w = 1 is the
//! conditional prediction, w = 0 the unconditional one), and the embedded networks' quality per
//! class.

use diffusion_playground::core::class_embedding::{ClassEmbedding, LABEL_DROPOUT, MAX_CLASSES};
use diffusion_playground::core::classes::{self, class_members, marked};
use diffusion_playground::core::coupling::Coupling;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::guidance::{self, Guidance};
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::mlp::{self, Mlp, HIDDEN};
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::safetensors_net;
use diffusion_playground::core::sampler::{NetFrame, Sampler, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::train::{self, Labels, PreparedExample, TrainConfig};
use diffusion_playground::core::weights::{TrainedNet, WeightsError};
use diffusion_playground::core::{embedded, rng};

/// A small random embedding of `classes` classes.
fn random_embedding(classes: usize, seed: u32) -> ClassEmbedding {
    let rows = (0..(classes + 1) * HIDDEN)
        .map(|i| rng::uniform(rng::words(seed, i as u32, 1, rng::stream::INIT)[0]) - 0.5)
        .collect();
    ClassEmbedding::from_rows(rows).unwrap()
}

fn conditional_net(classes: usize) -> TrainedNet {
    TrainedNet {
        mlp: Mlp::initialise(4).quantized(),
        parametrization: diffusion_playground::core::param::Parametrization::Eps,
        schedule: Schedule::VpLinear,
        dataset: Dataset::TwoMoons,
        training_seed: 3,
        training_steps: 10,
        quality: 0.1,
        reference: 0.05,
        class_embedding: Some(random_embedding(classes, 8).quantized()),
        coupling: Coupling::Independent,
    }
}

#[test]
fn the_null_class_is_the_last_row_and_the_row_count_is_checked() {
    let embedding = ClassEmbedding::zeros(3);
    assert_eq!((embedding.classes(), embedding.null(), embedding.rows.len()), (3, 3, 4 * HIDDEN));
    assert!(ClassEmbedding::from_rows(vec![0.0; HIDDEN]).is_none(), "one row is only the null class");
    assert!(ClassEmbedding::from_rows(vec![0.0; 2 * HIDDEN + 1]).is_none(), "a partial row");
    assert!(ClassEmbedding::from_rows(vec![0.0; (MAX_CLASSES + 2) * HIDDEN]).is_none(), "too many classes");
    let shifted = random_embedding(2, 1).hidden_bias(&Mlp::initialise(1), 0.4, 1);
    let plain = Mlp::initialise(1).hidden_bias(0.4);
    let row = random_embedding(2, 1).row(1).to_vec();
    for j in 0..HIDDEN {
        assert_eq!(shifted[j], plain[j] + row[j]);
    }
}

/// The embedding row is a bias of the first layer: the network with b1 shifted by E[c] is the
/// conditional network (up to the order of the sums).
#[test]
fn a_class_row_acts_as_a_shift_of_the_first_layer_bias() {
    let mlp = Mlp::initialise(6);
    let embedding = random_embedding(3, 2);
    let mut shifted = mlp.clone();
    for j in 0..HIDDEN {
        shifted.weights[mlp::B1 + j] += embedding.row(2)[j];
    }
    for (x, t) in [([0.3, -0.7], 0.05), ([1.5, 0.2], 0.6)] {
        let conditional = mlp.forward_with_bias(x, &embedding.hidden_bias(&mlp, t, 2));
        let traced = mlp.forward_traced_shifted(x, t, Some(embedding.row(2))).output;
        let reference = shifted.forward(x, t);
        for k in 0..2 {
            assert!((conditional[k] - reference[k]).abs() < 1e-5, "{conditional:?} vs {reference:?}");
            assert!((traced[k] - reference[k]).abs() < 1e-5, "{traced:?} vs {reference:?}");
        }
    }
}

/// Gradient check of the loss in the embedding rows and the network: central differences with
/// h = 1e-2 in f64 of the f32 loss, 2% relative or 1e-4 absolute. Rows of classes no example
/// has get no gradient.
#[test]
fn the_embedding_gradient_matches_finite_differences() {
    let mut mlp = Mlp::initialise(5);
    mlp.weights.iter_mut().for_each(|w| *w *= 2.0);
    let embedding = random_embedding(3, 9);
    let examples = [
        (PreparedExample { x: [0.4, -0.3], t: 0.3, weight: 1.0, goal: [0.2, -1.0], label: 0, padding: 0 }, 0),
        (PreparedExample { x: [-1.1, 0.8], t: 0.7, weight: 0.5, goal: [-0.6, 0.4], label: 0, padding: 0 }, 3),
        (PreparedExample { x: [0.9, 0.1], t: 0.1, weight: 2.0, goal: [1.0, 0.3], label: 0, padding: 0 }, 0),
    ];
    let loss = |mlp: &Mlp, embedding: &ClassEmbedding| {
        let (mut g, mut ge) = (vec![0.0; mlp::PARAMETERS], vec![0.0; embedding.rows.len()]);
        train::conditional_loss_and_gradient(mlp, embedding, &examples, &mut g, &mut ge) as f64
    };
    let (mut gradient, mut embedding_gradient) =
        (vec![0.0; mlp::PARAMETERS], vec![0.0; embedding.rows.len()]);
    train::conditional_loss_and_gradient(&mlp, &embedding, &examples, &mut gradient, &mut embedding_gradient);
    let h = 1e-2f32;
    let close = |analytic: f32, numeric: f64, what: &str| {
        let ok = (analytic as f64 - numeric).abs() <= 0.02 * numeric.abs().max(analytic.abs() as f64) + 1e-4;
        assert!(ok, "{what}: analytic {analytic} vs numeric {numeric}");
    };
    for index in (0..embedding.rows.len()).step_by(7) {
        let (mut plus, mut minus) = (embedding.clone(), embedding.clone());
        plus.rows[index] += h;
        minus.rows[index] -= h;
        let numeric = (loss(&mlp, &plus) - loss(&mlp, &minus)) / (2.0 * h as f64);
        close(embedding_gradient[index], numeric, &format!("embedding {index}"));
        let row = index / HIDDEN;
        if row == 1 || row == 2 {
            assert_eq!(embedding_gradient[index], 0.0, "class {row} has no example");
        }
    }
    for index in (0..mlp::PARAMETERS).step_by(53) {
        let (mut plus, mut minus) = (mlp.clone(), mlp.clone());
        plus.weights[index] += h;
        minus.weights[index] -= h;
        let numeric = (loss(&plus, &embedding) - loss(&minus, &embedding)) / (2.0 * h as f64);
        close(gradient[index], numeric, &format!("weight {index}"));
    }
}

#[test]
fn labels_follow_the_components_and_drop_to_the_null_class_at_the_stated_rate() {
    let component_classes = classes::component_classes(Dataset::TwoMoons);
    let labels = Labels { component_classes: &component_classes, classes: 2 };
    let config = TrainConfig { batch: 4000, ..TrainConfig::default() };
    let mixture = Dataset::TwoMoons.mixture();
    let batch = train::prepare_labelled_batch(&mixture, &labels, Schedule::VpLinear, &config, 0);
    let null = batch.iter().filter(|(_, label)| *label == 2).count() as f32 / batch.len() as f32;
    // Binomial standard error at p = 0.2, n = 4000: 0.0063; five of them.
    assert!((null - LABEL_DROPOUT).abs() < 0.032, "null-class rate {null}");
    for index in 0..200u32 {
        let (_, component) = train::prepare_labelled(&mixture, Schedule::VpLinear, &config, index);
        let label = labels.label(component, config.seed, index);
        assert!(label == 2 || label == component_classes[component], "example {index}");
    }
    // The unlabelled examples are those of the unconditional run, bit for bit.
    let plain = train::prepare_batch(&mixture, Schedule::VpLinear, &config, 0);
    assert!(plain.iter().zip(&batch).all(|(a, (b, _))| a == b));
}

#[test]
fn a_conditional_weight_file_round_trips_and_bad_ones_are_refused() {
    let net = conditional_net(5);
    let bytes = net.to_bytes();
    assert_eq!(u32::from_le_bytes(bytes[4..8].try_into().unwrap()), 3, "format version 3");
    assert_eq!(
        bytes.len(),
        diffusion_playground::core::weights::CONDITIONAL_HEADER_BYTES + 2 * (mlp::PARAMETERS + 6 * HIDDEN)
    );
    assert_eq!(TrainedNet::from_bytes(&bytes).unwrap(), net);
    // An unconditional net keeps format version 2.
    let plain = TrainedNet { class_embedding: None, ..net.clone() };
    assert_eq!(u32::from_le_bytes(plain.to_bytes()[4..8].try_into().unwrap()), 2);
    let mut truncated = bytes.clone();
    truncated.truncate(bytes.len() - 2);
    assert!(matches!(TrainedNet::from_bytes(&truncated), Err(WeightsError::Truncated { .. })));
    let mut zero_classes = bytes.clone();
    zero_classes[64..68].copy_from_slice(&0u32.to_le_bytes());
    let error = TrainedNet::from_bytes(&zero_classes).unwrap_err();
    assert!(error.to_string().contains("'classes' is 0"), "{error}");
    let mut too_many = bytes.clone();
    too_many[64..68].copy_from_slice(&1000u32.to_le_bytes());
    assert!(matches!(TrainedNet::from_bytes(&too_many), Err(WeightsError::BadClassCount(1000))));
}

#[test]
fn a_conditional_safetensors_file_round_trips_with_its_embedding_tensor() {
    let net = conditional_net(3);
    let bytes = safetensors_net::to_bytes(&net, "two_moons");
    let read = safetensors_net::from_bytes(&bytes).unwrap();
    assert_eq!(read.class_embedding, net.class_embedding);
    assert_eq!(read.mlp, net.mlp);
    // Without the tensor the network is unconditional.
    let plain = TrainedNet { class_embedding: None, ..net.clone() };
    assert!(safetensors_net::from_bytes(&safetensors_net::to_bytes(&plain, "two_moons"))
        .unwrap()
        .class_embedding
        .is_none());
    // A wrongly shaped embedding is refused, naming the tensor.
    let file = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    let (_, header) = safetensors::SafeTensors::read_metadata(&bytes).unwrap();
    let wrong_rows = vec![0u8; 4 * 4 * (HIDDEN - 1)];
    let views: Vec<(String, safetensors::tensor::TensorView)> = file
        .tensors()
        .into_iter()
        .map(|(name, view)| match name == safetensors_net::CLASS_EMBEDDING_TENSOR {
            true => {
                let shape = vec![4, HIDDEN - 1];
                (
                    name,
                    safetensors::tensor::TensorView::new(safetensors::Dtype::F32, shape, &wrong_rows)
                        .unwrap(),
                )
            }
            false => (name, view),
        })
        .collect();
    let tampered = safetensors::serialize(views, header.metadata().clone()).unwrap();
    let error = safetensors_net::from_bytes(&tampered).unwrap_err();
    assert!(
        error.contains(safetensors_net::CLASS_EMBEDDING_TENSOR) && error.contains("[classes + 1, 64]"),
        "{error}"
    );
}

/// The run every sampler check below shares: DPM-Solver++(2M), 24 steps, VP linear.
fn setup() -> RunSetup {
    RunSetup::new(Schedule::VpLinear, Sampler::DpmSolver2M, 24)
}

#[test]
fn cfg_with_the_network_at_w_1_is_the_conditional_prediction_and_at_w_0_the_unconditional_one() {
    let net = embedded::conditional_net(Dataset::TwoMoons).unwrap();
    let embedding = net.class_embedding.as_ref().unwrap();
    let guided = |scale: f64| ScoreSource::ClassifierFree {
        mlp: &net.mlp,
        embedding,
        class: 1,
        guidance: Guidance::everywhere(scale),
    };
    let run = |source| quality::sample(source, &setup(), 11, 256);
    // w = 1 and w = 0 against the network with b1 shifted by the class's or the null row.
    let shifted = |label: usize| {
        let mut mlp = net.mlp.clone();
        (0..HIDDEN).for_each(|j| mlp.weights[mlp::B1 + j] += embedding.row(label)[j]);
        mlp
    };
    let (conditional, unconditional) = (shifted(1), shifted(embedding.null()));
    for (scale, reference) in [(1.0, &conditional), (0.0, &unconditional)] {
        let a = run(guided(scale));
        let b = run(ScoreSource::Mlp(reference));
        let worst =
            a.iter().zip(&b).map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs())).fold(0.0, f32::max);
        assert!(worst < 1e-3, "w = {scale}: {worst}");
    }
}

/// Stronger guidance concentrates the particles in the class: the share the exact classifier
/// gives the class at t_min grows with w.
#[test]
fn stronger_learned_guidance_puts_more_particles_in_the_class() {
    let dataset = Dataset::GaussianMixture;
    let net = embedded::conditional_net(dataset).unwrap();
    let embedding = net.class_embedding.as_ref().unwrap();
    let class = classes::class_index(dataset, "north").unwrap();
    let mixture = marked(&dataset.mixture(), &class_members(dataset, class)).unwrap();
    let share = |scale: f64| {
        let source = ScoreSource::ClassifierFree {
            mlp: &net.mlp,
            embedding,
            class,
            guidance: Guidance::everywhere(scale),
        };
        let points = quality::sample(source, &setup(), 5, 1024);
        let t = Schedule::VpLinear.t_min();
        let (alpha, sigma) = (Schedule::VpLinear.alpha(t), Schedule::VpLinear.sigma(t));
        let inside = points
            .iter()
            .filter(|p| {
                guidance::log_class_posterior(&mixture, [p[0] as f64, p[1] as f64], alpha, sigma)
                    > 0.5f64.ln()
            })
            .count();
        inside as f64 / points.len() as f64
    };
    let (unguided, conditional, strong) = (share(0.0), share(1.0), share(4.0));
    assert!(unguided < 0.25, "w = 0 samples every mode (1/8 each): {unguided}");
    assert!(conditional > 0.9, "w = 1 samples the class: {conditional}");
    assert!(strong >= conditional, "w = 4 at least as concentrated: {strong} vs {conditional}");
}

/// Every embedded class-conditional network: trained on its dataset's classes, its recorded
/// quality measured again, and per class (w = 1) the bar every embedded network meets
/// (`tests/it/core_weights.rs`): SW2 within 2x the data-vs-data distance plus 0.02, and a mean
/// log-density within 1.5 nats of fresh data's, both against the class's own data. The
/// unconditional prediction (w = 0) meets the SW2 bar.
#[test]
fn every_embedded_conditional_network_meets_the_quality_bar_in_every_class() {
    for dataset in Dataset::ALL {
        let net = embedded::conditional_net(dataset).unwrap_or_else(|e| panic!("{dataset:?}: {e}"));
        assert_eq!((net.dataset, net.schedule), (dataset, Schedule::VpLinear));
        let embedding = net.class_embedding.as_ref().expect("a class embedding");
        assert_eq!(embedding.classes(), classes::classes(dataset).len(), "{dataset:?}");
        let report = quality::measure_conditional(&net.mlp, embedding, NetFrame::of(&net), dataset);
        assert!(
            (report.unconditional.net - net.quality as f64).abs() < 1e-3,
            "{dataset:?}: recorded quality"
        );
        let u = report.unconditional;
        assert!(
            u.net < 2.0 * u.reference + 0.02,
            "{dataset:?} unconditional: SW2 {} vs {}",
            u.net,
            u.reference
        );
        for (class, q) in classes::classes(dataset).iter().zip(&report.classes) {
            let name = class.name;
            assert!(q.net < 2.0 * q.reference + 0.02, "{dataset:?} {name}: SW2 {} vs {}", q.net, q.reference);
            assert!(q.log_density_gap < 1.5, "{dataset:?} {name}: {} nats", q.log_density_gap);
        }
    }
}

/// The learned guided flow against the exact one (classifier-free guidance with the exact
/// conditional and unconditional scores) at w = 3: the network's samples are as close to the
/// exact guided samples as its unguided samples are to the data, within the quality bar.
#[test]
fn learned_and_exact_classifier_free_guidance_land_close_together() {
    for (dataset, class_name) in [(Dataset::TwoMoons, "lower"), (Dataset::Rings, "inner")] {
        let net = embedded::conditional_net(dataset).unwrap();
        let embedding = net.class_embedding.as_ref().unwrap();
        let class = classes::class_index(dataset, class_name).unwrap();
        let mixture = marked(&dataset.mixture(), &class_members(dataset, class)).unwrap();
        let guidance = Guidance::everywhere(3.0);
        let learned = ScoreSource::ClassifierFree { mlp: &net.mlp, embedding, class, guidance };
        let exact = ScoreSource::Exact(&mixture).guided(&mixture, guidance);
        let n = 2048;
        let learned = quality::sample(learned, &setup(), 21, n);
        let exact_a = quality::sample(exact, &setup(), 22, n);
        let exact_b = quality::sample(exact, &setup(), 23, n);
        let floor = sliced_wasserstein(&exact_a, &exact_b);
        let distance = sliced_wasserstein(&learned, &exact_a);
        assert!(distance < 2.0 * floor + 0.03, "{dataset:?} {class_name}: {distance} vs floor {floor}");
    }
}

/// The wasm does not embed the class-conditional networks; the page hands them over
/// (`embedded::provide_conditional`), checked like a weight file and against the dataset's
/// classes. Natively the embedded ones stand behind.
#[test]
fn a_provided_conditional_network_is_checked_against_the_datasets_classes() {
    let moons = embedded::conditional_bytes(Dataset::TwoMoons);
    embedded::provide_conditional(Dataset::TwoMoons, moons).unwrap();
    assert!(embedded::has_conditional(Dataset::TwoMoons));
    assert_eq!(embedded::conditional_net(Dataset::TwoMoons).unwrap().class_embedding.unwrap().classes(), 2);
    let eight = embedded::provide_conditional(
        Dataset::TwoMoons,
        embedded::conditional_bytes(Dataset::GaussianMixture),
    );
    assert!(eight.unwrap_err().contains("needs 2 classes; the file has 8"));
    let plain = embedded::provide_conditional(
        Dataset::TwoMoons,
        embedded::bytes(Dataset::TwoMoons, Schedule::VpLinear).unwrap(),
    );
    assert!(plain.unwrap_err().contains("none (an unconditional network)"));
    assert!(embedded::provide_conditional(Dataset::Rings, b"not a network")
        .unwrap_err()
        .contains("weight file"));
    // The refused files left the networks as they were.
    assert_eq!(embedded::conditional_net(Dataset::TwoMoons).unwrap().to_bytes(), moons);
    assert!(embedded::conditional_net(Dataset::Rings).is_ok(), "natively the embedded one");
}
