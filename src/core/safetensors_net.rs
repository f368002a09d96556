//! Networks as safetensors files (the `safetensors` crate; the format of Hugging Face's
//! `safetensors`: an 8-byte little-endian header length, a JSON header naming each tensor's dtype,
//! shape and byte range, with a `__metadata__` map of strings, then the raw little-endian data).
//!
//! The tensors are named as PyTorch names the parameters of
//! `nn.Sequential(nn.Linear(18, 64), nn.SiLU(), nn.Linear(64, 64), nn.SiLU(), nn.Linear(64, 2))`
//! held in an attribute `net` ([`TENSOR_NAMES`]); each weight is `[out][in]`, PyTorch's layout and
//! the flat layout of `core::mlp`. The metadata says everything needed to run the network
//! ([`REQUIRED_METADATA`]): its architecture, activation and time embedding
//! `[x, sin(w_k t), cos(w_k t)]`, w_k = 1 * 100^(k / 7), k = 0..7, what it predicts, the schedule
//! of its time t, and where it came from. `docs/weights.md` documents the layout with a PyTorch
//! module that loads the file.
//!
//! A network with Fourier features of its coordinates (`mlp::Architecture`) has one more tensor,
//! [`COORDINATE_TENSOR`] of shape `[64, 4 octaves]`, whose product with the features
//! ([`COORDINATE_FEATURES`]) is added to the first layer's pre-activations; its `architecture`
//! entry says how many (`mlp 18+24-64-64-2`).
//!
//! A class-conditional network (`core::class_embedding`) has one more tensor,
//! [`CLASS_EMBEDDING_TENSOR`] of shape `[classes + 1, 64]` (PyTorch's `nn.Embedding` weight,
//! the null class's row last), added to the first layer's pre-activations.
//!
//! Reading is strict and says what is wrong: a header over [`MAX_HEADER_BYTES`], other names,
//! shapes or dtypes (f32, or f16 widened exactly), a missing or different metadata entry, or a
//! value that is not finite.

use crate::core::class_embedding::{ClassEmbedding, MAX_CLASSES};
use crate::core::coupling::{Coupling, MAX_REFLOW_ROUND};
use crate::core::dataset::Dataset;
use crate::core::mlp::{self, Mlp};
use crate::core::param::Parametrization;
use crate::core::schedule::Schedule;
use crate::core::weights::TrainedNet;
use safetensors::{Dtype, SafeTensors};

/// The value of the `format` metadata entry.
pub const FORMAT: &str = "diffusion-playground-mlp";
/// The value of the `format_version` entry this build writes and reads.
pub const FORMAT_VERSION: &str = "1";
/// Largest JSON header read (the real one is about 2 KB): a larger claim is refused before it is
/// parsed, so a hostile file cannot make the reader allocate or scan much.
pub const MAX_HEADER_BYTES: u64 = 64 * 1024;
/// Size of the header-length prefix.
const LENGTH_BYTES: usize = 8;

/// The tensors, in the order of the flat weights: (name, shape, offset in `core::mlp`'s layout).
pub const TENSOR_NAMES: [(&str, [usize; 2], usize); 6] = [
    ("net.0.weight", [mlp::HIDDEN, mlp::FEATURES], mlp::W1),
    ("net.0.bias", [mlp::HIDDEN, 1], mlp::B1),
    ("net.2.weight", [mlp::HIDDEN, mlp::HIDDEN], mlp::W2),
    ("net.2.bias", [mlp::HIDDEN, 1], mlp::B2),
    ("net.4.weight", [mlp::OUTPUT_DIM, mlp::HIDDEN], mlp::W3),
    ("net.4.bias", [mlp::OUTPUT_DIM, 1], mlp::B3),
];

/// The name of the coordinate features' weight tensor (`mlp::WC`).
pub const COORDINATE_TENSOR: &str = "coordinate_features.weight";

/// How the coordinate features are made (the `coordinate_features` entry of a network that has
/// them).
pub const COORDINATE_FEATURES: &str =
    "[sin(w_k x), cos(w_k x), sin(w_k y), cos(w_k y) for k = 0..octaves-1], w_k = 0.5 * 2^k";

/// The name of a class-conditional network's embedding tensor.
pub const CLASS_EMBEDDING_TENSOR: &str = "class_embedding.weight";

/// Metadata entries a file must have, with the value it must have where there is only one.
pub const REQUIRED_METADATA: [(&str, Option<&str>); 9] = [
    ("format", Some(FORMAT)),
    ("format_version", Some(FORMAT_VERSION)),
    ("architecture", None),
    ("activation", Some("silu")),
    ("time_embedding", Some(TIME_EMBEDDING)),
    ("time_frequency_min", Some("1")),
    ("time_frequency_max", Some("100")),
    ("parametrization", None),
    ("schedule", None),
];

/// How the 16 time features are made (the `time_embedding` entry).
pub const TIME_EMBEDDING: &str =
    "[x, sin(w_k t) for k = 0..7, cos(w_k t) for k = 0..7], w_k = 1 * 100^(k / 7)";

/// The shape PyTorch gives a tensor: biases are 1-D.
fn torch_shape(shape: [usize; 2]) -> Vec<usize> {
    if shape[1] == 1 {
        vec![shape[0]]
    } else {
        shape.to_vec()
    }
}

/// A network read from a file, with what its metadata says.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedNet {
    /// The network (every parameter finite).
    pub mlp: Mlp,
    /// What it predicts.
    pub parametrization: Parametrization,
    /// The schedule of its time input.
    pub schedule: Schedule,
    /// The built-in dataset it was trained on, if the file names one (a drawing names none).
    pub dataset: Option<Dataset>,
    /// Training seed and steps, where recorded (0 otherwise).
    pub training_seed: u32,
    /// See `training_seed`.
    pub training_steps: u32,
    /// Its recorded quality (NaN where not recorded).
    pub quality: f32,
    /// The class embedding of a class-conditional network.
    pub class_embedding: Option<ClassEmbedding>,
    /// How its training paired noise with data (the independent coupling where the file says none).
    pub coupling: Coupling,
}

impl ImportedNet {
    /// As a [`TrainedNet`], on `dataset` where the file names none.
    pub fn into_trained(self, dataset: Dataset) -> TrainedNet {
        TrainedNet {
            mlp: self.mlp,
            parametrization: self.parametrization,
            schedule: self.schedule,
            dataset: self.dataset.unwrap_or(dataset),
            training_seed: self.training_seed,
            training_steps: self.training_steps,
            quality: self.quality,
            reference: f32::NAN,
            class_embedding: self.class_embedding,
            coupling: self.coupling,
        }
    }
}

/// The safetensors bytes of `net` (f32 tensors); `dataset` names what it learned ("drawing" for a
/// network trained on a drawing).
pub fn to_bytes(net: &TrainedNet, dataset: &str) -> Vec<u8> {
    let w = &net.mlp.weights;
    let bytes: Vec<(&str, Vec<usize>, Vec<u8>)> = TENSOR_NAMES
        .iter()
        .map(|&(name, shape, offset)| {
            let count = shape[0] * shape[1];
            let data = w[offset..offset + count].iter().flat_map(|v| v.to_le_bytes()).collect();
            (name, torch_shape(shape), data)
        })
        .chain((net.mlp.architecture().coordinate_features() > 0).then(|| {
            let count = net.mlp.architecture().coordinate_features();
            let data = w[mlp::WC..].iter().flat_map(|v| v.to_le_bytes()).collect();
            (COORDINATE_TENSOR, vec![mlp::HIDDEN, count], data)
        }))
        .chain(net.class_embedding.as_ref().map(|e| {
            let data = e.rows.iter().flat_map(|v| v.to_le_bytes()).collect();
            (CLASS_EMBEDDING_TENSOR, vec![e.classes() + 1, mlp::HIDDEN], data)
        }))
        .collect();
    let views = bytes.iter().map(|(name, shape, data)| {
        (
            *name,
            safetensors::tensor::TensorView::new(Dtype::F32, shape.clone(), data)
                .expect("sizes match shapes"),
        )
    });
    let metadata = [
        ("format", FORMAT.to_string()),
        ("format_version", FORMAT_VERSION.to_string()),
        ("architecture", net.mlp.architecture().name()),
        ("activation", "silu".to_string()),
        ("time_embedding", TIME_EMBEDDING.to_string()),
        ("time_frequency_min", format!("{}", mlp::TIME_FREQUENCY_MIN)),
        ("time_frequency_max", format!("{}", mlp::TIME_FREQUENCY_MAX)),
        ("parametrization", net.parametrization.name().to_string()),
        ("schedule", net.schedule.name().to_string()),
        ("dataset", dataset.to_string()),
        ("training_seed", net.training_seed.to_string()),
        ("training_steps", net.training_steps.to_string()),
        ("quality", format!("{}", net.quality)),
        ("coupling", net.coupling.name().to_string()),
    ]
    .into_iter()
    .chain(
        (net.mlp.architecture().coordinate_features() > 0)
            .then(|| ("coordinate_features", COORDINATE_FEATURES.to_string())),
    )
    .chain(net.coupling.group().map(|batch| ("coupling_batch", batch.to_string())))
    .chain(match net.coupling {
        Coupling::Reflow { round } => Some(("reflow_round", round.to_string())),
        _ => None,
    })
    .chain(match net.coupling {
        Coupling::SchrodingerBridge { sigma, .. } => Some(("bridge_sigma", format!("{sigma}"))),
        _ => None,
    });
    let metadata = Some(metadata.into_iter().map(|(k, v)| (k.to_string(), v)).collect());
    safetensors::serialize(views, metadata).expect("a small, valid header")
}

/// Reads a network from safetensors `bytes`; the error says what is wrong with the file.
pub fn from_bytes(bytes: &[u8]) -> Result<ImportedNet, String> {
    let prefix: [u8; LENGTH_BYTES] =
        bytes.get(..LENGTH_BYTES).and_then(|b| b.try_into().ok()).ok_or_else(|| {
            format!(
                "a safetensors file starts with an 8-byte header length; this one has {} bytes",
                bytes.len()
            )
        })?;
    let header = u64::from_le_bytes(prefix);
    if header > MAX_HEADER_BYTES {
        return Err(format!(
            "the header claims {header} bytes; a network's header is a few KB (at most {MAX_HEADER_BYTES})"
        ));
    }
    let file = SafeTensors::deserialize(bytes).map_err(|e| format!("not a valid safetensors file: {e}"))?;
    let (_, header) =
        SafeTensors::read_metadata(bytes).map_err(|e| format!("not a valid safetensors file: {e}"))?;
    let metadata = header
        .metadata()
        .as_ref()
        .ok_or("the file has no __metadata__ (it says what the network predicts and on which schedule)")?;
    let entry = |key: &str| metadata.get(key).map(String::as_str);
    for (key, wanted) in REQUIRED_METADATA {
        let value = entry(key).ok_or_else(|| format!("the metadata has no '{key}'"))?;
        if let Some(wanted) = wanted {
            if value != wanted {
                return Err(format!("the metadata's '{key}' is {value:?}; this playground runs {wanted:?}"));
            }
        }
    }
    let architecture_name = entry("architecture").unwrap_or_default();
    let architecture =
        mlp::ARCHITECTURES.into_iter().find(|a| a.name() == architecture_name).ok_or_else(|| {
            format!(
                "the metadata's 'architecture' is {architecture_name:?}; this playground runs {:?} or {:?}",
                mlp::Architecture::PLAIN.name(),
                mlp::Architecture::FOURIER.name()
            )
        })?;
    if architecture.coordinate_features() > 0 && entry("coordinate_features") != Some(COORDINATE_FEATURES) {
        return Err(format!("the metadata's 'coordinate_features' must be {COORDINATE_FEATURES:?}"));
    }
    let parametrization_name = entry("parametrization").unwrap_or_default();
    let parametrization = Parametrization::from_name(parametrization_name).ok_or_else(|| {
        let names: Vec<&str> = Parametrization::NETWORK_OUTPUTS.iter().map(|p| p.name()).collect();
        format!(
            "the metadata's 'parametrization' {parametrization_name:?} is not one of {}",
            names.join(", ")
        )
    })?;
    let schedule_name = entry("schedule").unwrap_or_default();
    let schedule = Schedule::from_name(schedule_name).ok_or_else(|| {
        let names: Vec<&str> = Schedule::ALL.iter().map(|s| s.name()).collect();
        format!("the metadata's 'schedule' {schedule_name:?} is not one of {}", names.join(", "))
    })?;
    let mut names: Vec<&str> = file.names();
    names.sort_unstable();
    let expected: Vec<&str> = TENSOR_NAMES.iter().map(|t| t.0).collect();
    let coordinates = architecture.coordinate_features();
    let allowed = |n: &str| {
        expected.contains(&n) || n == CLASS_EMBEDDING_TENSOR || (coordinates > 0 && n == COORDINATE_TENSOR)
    };
    if let Some(extra) = names.iter().find(|n| !allowed(n)) {
        return Err(format!(
            "the file holds a tensor {extra:?}; a network has exactly {} (and {CLASS_EMBEDDING_TENSOR} if it is \
             class-conditional, {COORDINATE_TENSOR} if its architecture has coordinate features)",
            expected.join(", ")
        ));
    }
    let class_embedding = match file.tensor(CLASS_EMBEDDING_TENSOR) {
        Err(_) => None,
        Ok(tensor) => {
            let shape = tensor.shape();
            let rows = shape.first().copied().unwrap_or(0);
            if shape.len() != 2 || shape[1] != mlp::HIDDEN || !(2..=MAX_CLASSES + 1).contains(&rows) {
                return Err(format!(
                    "tensor {CLASS_EMBEDDING_TENSOR:?} has shape {shape:?}; a class-conditional network needs \
                     [classes + 1, {}] with 1 to {MAX_CLASSES} classes",
                    mlp::HIDDEN
                ));
            }
            let values = tensor_values(CLASS_EMBEDDING_TENSOR, &tensor)?;
            Some(ClassEmbedding::from_rows(values).expect("shape checked"))
        }
    };
    let mut weights = vec![0.0f32; architecture.parameters()];
    let coordinate_tensor = (COORDINATE_TENSOR, [mlp::HIDDEN, coordinates], mlp::WC);
    for (name, shape, offset) in
        TENSOR_NAMES.into_iter().chain((coordinates > 0).then_some(coordinate_tensor))
    {
        let tensor = file.tensor(name).map_err(|_| format!("the file has no tensor {name:?}"))?;
        let wanted = torch_shape(shape);
        if tensor.shape() != wanted.as_slice() {
            return Err(format!(
                "tensor {name:?} has shape {:?}; the network needs {wanted:?}",
                tensor.shape()
            ));
        }
        let values = tensor_values(name, &tensor)?;
        weights[offset..offset + values.len()].copy_from_slice(&values);
    }
    let number = |key: &str| entry(key).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
    // Files written before couplings existed name none: their networks are independent.
    let coupling = match entry("coupling") {
        None => Coupling::Independent,
        Some("consistency") => Coupling::Consistency,
        Some("reflow") => Coupling::from_id(3, number("reflow_round"), 0.0).ok_or_else(|| {
            format!(
                "the metadata's 'reflow_round' {:?} is not 1 to {MAX_REFLOW_ROUND}",
                entry("reflow_round")
            )
        })?,
        Some(name) => {
            let sigma = entry("bridge_sigma").and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
            Coupling::from_parts(name, number("coupling_batch"), sigma)
                .map_err(|e| format!("the metadata's coupling is not one this playground trains: {e}"))?
        }
    };
    Ok(ImportedNet {
        mlp: Mlp::from_weights(weights).expect("the architecture's weights"),
        parametrization,
        schedule,
        dataset: entry("dataset").and_then(Dataset::from_name),
        training_seed: number("training_seed"),
        training_steps: number("training_steps"),
        quality: entry("quality").and_then(|v| v.parse::<f32>().ok()).unwrap_or(f32::NAN),
        class_embedding,
        coupling,
    })
}

/// The values of tensor `name` as f32 (F16 widened exactly); an error for another dtype or a
/// value that is not finite.
fn tensor_values(name: &str, tensor: &safetensors::tensor::TensorView) -> Result<Vec<f32>, String> {
    let values: Vec<f32> = match tensor.dtype() {
        Dtype::F32 => {
            tensor.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
        }
        Dtype::F16 => {
            tensor.data().chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect()
        }
        other => return Err(format!("tensor {name:?} is {other:?}; the network reads F32 or F16")),
    };
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(format!(
            "tensor {name:?} holds {} at index {i}: every parameter must be finite",
            values[i]
        ));
    }
    Ok(values)
}
