//! The versioned binary format of trained networks (`weights/*.dpw`), embedded in the crate.
//!
//! Layout, all little-endian:
//! ```text
//! magic            4 bytes  "DPW\0"
//! format_version   u32      FORMAT_VERSION
//! input_dim        u32      2
//! time_features    u32      16 (sinusoidal, frequencies mlp::TIME_FREQUENCY_MIN..MAX)
//! hidden           u32      64
//! hidden_layers    u32      2
//! output_dim       u32      2
//! activation       u32      0 = SiLU
//! parametrization  u32      Parametrization::id (0 = eps, 1 = x0, 2 = score, 3 = velocity)
//! schedule         u32      Schedule::id
//! dataset          u32      Dataset::id
//! training_seed    u32
//! training_steps   u32
//! quality          f32      sliced Wasserstein distance of 4,096 samples to fresh data
//! reference        f32      the same distance between two independent data samples
//! parameter_count  u32      mlp::PARAMETERS, or mlp::Architecture::parameters with coordinate
//!                           features (4 x 64 more per octave, after b3: core::mlp)
//! parameters       f16 x parameter_count (version 2; version 1 files hold f32)
//! ```
//!
//! Version 3 is a class-conditional network (`core::class_embedding`): one more header word,
//! `classes` (u32, 1 to MAX_CLASSES), after `parameter_count`, and after the network's
//! parameters the class embedding, (classes + 1) x hidden half floats, the null class's row
//! last. Its `quality` and `reference` are those of the null class (the unconditional
//! prediction); the per-class figures are in `dp-train --conditional`'s report.
//!
//! Version 4 is a network trained with a coupling other than the independent one
//! (`core::coupling`): four more header words after `parameter_count`, `classes` (u32, 0 for an
//! unconditional network), `coupling` (u32, `Coupling::id`), `coupling_batch` (u32) and
//! `bridge_sigma` (f32, 0 but for the Schrödinger bridge), then the parameters and, with classes,
//! the class embedding as in version 3. Networks trained with the independent coupling keep
//! versions 2 and 3, so the embedded files and the links made before couplings are unchanged.
//!
//! Version 2 stores the parameters as IEEE half floats: the networks are embedded in the wasm,
//! and halves halve their share of the download. The network that runs (and whose quality the
//! header records) is the half-float one, widened to f32 exactly; [`Mlp::quantized`] rounds a
//! freshly trained network the same way before it is measured. Version 1 files (f32) still load.

use std::fmt;

use crate::core::class_embedding::{ClassEmbedding, MAX_CLASSES};
use crate::core::coupling::Coupling;
use crate::core::dataset::Dataset;
use crate::core::mlp::{self, Mlp};
use crate::core::param::Parametrization;
use crate::core::schedule::Schedule;

/// File magic.
pub const MAGIC: [u8; 4] = *b"DPW\0";
/// Current format version (half-float parameters). The loader reads it and version 1 (f32
/// parameters) and rejects every other.
pub const FORMAT_VERSION: u32 = 2;
/// The version with f32 parameters, still read.
pub const FORMAT_VERSION_F32: u32 = 1;
/// The version of class-conditional networks (half floats and a class embedding).
pub const FORMAT_VERSION_CONDITIONAL: u32 = 3;
/// The version of networks trained with a coupling (half floats, classes optional).
pub const FORMAT_VERSION_COUPLED: u32 = 4;
/// Activation id of SiLU.
pub const ACTIVATION_SILU: u32 = 0;
/// Number of u32/f32 header words after the magic.
const HEADER_WORDS: usize = 15;
/// Bytes before the parameters.
pub const HEADER_BYTES: usize = MAGIC.len() + 4 * HEADER_WORDS;
/// Bytes before the parameters of a class-conditional file (one more word: `classes`).
pub const CONDITIONAL_HEADER_BYTES: usize = HEADER_BYTES + 4;
/// Bytes before the parameters of a coupled file (four more words: classes, coupling,
/// coupling_batch, bridge_sigma).
pub const COUPLED_HEADER_BYTES: usize = HEADER_BYTES + 16;

/// A trained network with what it was trained for and how good it is.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainedNet {
    /// The network.
    pub mlp: Mlp,
    /// What it predicts.
    pub parametrization: Parametrization,
    /// Schedule it was trained with.
    pub schedule: Schedule,
    /// Dataset it was trained on.
    pub dataset: Dataset,
    /// Seed of the training run (reproduces it exactly).
    pub training_seed: u32,
    /// Number of Adam steps.
    pub training_steps: u32,
    /// Sliced Wasserstein distance of its samples to fresh data.
    pub quality: f32,
    /// Sliced Wasserstein distance between two data samples of the same size.
    pub reference: f32,
    /// The class embedding of a class-conditional network; `None` for an unconditional one.
    pub class_embedding: Option<ClassEmbedding>,
    /// How its training paired noise with data (`core::coupling`): a network trained with OT
    /// or a Schrödinger bridge has a velocity but no score. The embedded format records none:
    /// its networks are independent.
    pub coupling: Coupling,
}

/// Why a weight file was rejected.
#[derive(Clone, Debug, PartialEq)]
pub enum WeightsError {
    /// Fewer bytes than the header or the declared parameters need.
    Truncated { needed: usize, found: usize },
    /// More bytes than the header declares.
    TrailingBytes { expected: usize, found: usize },
    /// Not a weight file.
    BadMagic,
    /// A format version this build does not read.
    UnsupportedVersion(u32),
    /// A header field disagrees with the network this build runs.
    Mismatch { field: &'static str, expected: u32, found: u32 },
    /// Unknown schedule or dataset id.
    UnknownId { field: &'static str, found: u32 },
    /// A parameter is NaN or infinite.
    NonFinite { index: usize },
    /// A class-conditional file with a class count outside 1..=MAX_CLASSES.
    BadClassCount(u32),
    /// A network the build does not embed (the wasm leaves out all but one) and nobody has
    /// provided yet: the file to fetch.
    NotFetched(String),
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightsError::Truncated { needed, found } => {
                write!(f, "weight file truncated: needs {needed} bytes, has {found}")
            }
            WeightsError::TrailingBytes { expected, found } => {
                write!(f, "weight file has {found} bytes, expected exactly {expected}")
            }
            WeightsError::BadMagic => write!(f, "not a weight file (magic is not \"DPW\\0\")"),
            WeightsError::UnsupportedVersion(v) => write!(
                f,
                "weight file format version {v} is not supported (this build reads versions {FORMAT_VERSION_F32} to {FORMAT_VERSION_COUPLED})"
            ),
            WeightsError::Mismatch { field, expected, found } => {
                write!(f, "weight file field '{field}' is {found}, this build needs {expected}")
            }
            WeightsError::UnknownId { field, found } => {
                write!(f, "weight file field '{field}' has unknown id {found}")
            }
            WeightsError::NonFinite { index } => {
                write!(f, "weight file parameter {index} is NaN or infinite")
            }
            WeightsError::BadClassCount(found) => write!(
                f,
                "weight file field 'classes' is {found}, a class-conditional network has 1 to {MAX_CLASSES}"
            ),
            WeightsError::NotFetched(file) => write!(
                f,
                "the network {file} has not been fetched yet (the page fetches it from weights/ the first \
                 time a run needs it)"
            ),
        }
    }
}

impl std::error::Error for WeightsError {}

impl TrainedNet {
    /// The network an unguided run samples with: a class-conditional network with its null
    /// class folded into the first-layer bias ([`ClassEmbedding::folded`]), an unconditional one
    /// as it is.
    pub fn unconditional(&self) -> TrainedNet {
        match &self.class_embedding {
            Some(embedding) => TrainedNet {
                mlp: embedding.folded(&self.mlp, embedding.null()),
                class_embedding: None,
                ..self.clone()
            },
            None => self.clone(),
        }
    }

    /// Serialises to the format of the module docs.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(CONDITIONAL_HEADER_BYTES + 2 * self.mlp.weights.len());
        out.extend_from_slice(&MAGIC);
        let coupled = self.coupling != Coupling::Independent;
        let version = match (coupled, self.class_embedding.is_some()) {
            (true, _) => FORMAT_VERSION_COUPLED,
            (false, true) => FORMAT_VERSION_CONDITIONAL,
            (false, false) => FORMAT_VERSION,
        };
        let words = [
            version,
            mlp::INPUT_DIM as u32,
            mlp::TIME_FEATURES as u32,
            mlp::HIDDEN as u32,
            2,
            mlp::OUTPUT_DIM as u32,
            ACTIVATION_SILU,
            self.parametrization.id(),
            self.schedule.id(),
            self.dataset.id(),
            self.training_seed,
            self.training_steps,
            self.quality.to_bits(),
            self.reference.to_bits(),
            self.mlp.weights.len() as u32,
        ];
        for word in words {
            out.extend_from_slice(&word.to_le_bytes());
        }
        let classes = self.class_embedding.as_ref().map_or(0, |e| e.classes() as u32);
        if coupled {
            let sigma = match self.coupling {
                Coupling::SchrodingerBridge { sigma, .. } => sigma as f32,
                _ => 0.0,
            };
            let group = self.coupling.number().unwrap_or(0);
            for word in [classes, self.coupling.id(), group, sigma.to_bits()] {
                out.extend_from_slice(&word.to_le_bytes());
            }
        } else if classes > 0 {
            out.extend_from_slice(&classes.to_le_bytes());
        }
        let embedding = self.class_embedding.as_ref().map_or(&[][..], |e| &e.rows[..]);
        for w in self.mlp.weights.iter().chain(embedding) {
            out.extend_from_slice(&half::f16::from_f32(*w).to_le_bytes());
        }
        out
    }

    /// Parses and validates a weight file.
    pub fn from_bytes(bytes: &[u8]) -> Result<TrainedNet, WeightsError> {
        if bytes.len() < HEADER_BYTES {
            return Err(WeightsError::Truncated { needed: HEADER_BYTES, found: bytes.len() });
        }
        if bytes[..4] != MAGIC {
            return Err(WeightsError::BadMagic);
        }
        let word = |i: usize| {
            let at = MAGIC.len() + 4 * i;
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        let version = word(0);
        let bytes_per_parameter = match version {
            FORMAT_VERSION | FORMAT_VERSION_CONDITIONAL | FORMAT_VERSION_COUPLED => 2,
            FORMAT_VERSION_F32 => 4,
            _ => return Err(WeightsError::UnsupportedVersion(version)),
        };
        let coupled = version == FORMAT_VERSION_COUPLED;
        let header_bytes = match version {
            FORMAT_VERSION_CONDITIONAL => CONDITIONAL_HEADER_BYTES,
            FORMAT_VERSION_COUPLED => COUPLED_HEADER_BYTES,
            _ => HEADER_BYTES,
        };
        if bytes.len() < header_bytes {
            return Err(WeightsError::Truncated { needed: header_bytes, found: bytes.len() });
        }
        let classes = if version == FORMAT_VERSION_CONDITIONAL || coupled { word(15) } else { 0 };
        let conditional = classes > 0 || version == FORMAT_VERSION_CONDITIONAL;
        if conditional && !(1..=MAX_CLASSES as u32).contains(&classes) {
            return Err(WeightsError::BadClassCount(classes));
        }
        let coupling = if coupled {
            let sigma = f32::from_bits(word(18)) as f64;
            let coupling = Coupling::from_id(word(16), word(17), sigma)
                .ok_or(WeightsError::UnknownId { field: "coupling", found: word(16) })?;
            if coupling == Coupling::Independent {
                return Err(WeightsError::UnknownId { field: "coupling", found: word(16) });
            }
            coupling
        } else {
            Coupling::Independent
        };
        let embedding_len = if conditional { (classes as usize + 1) * mlp::HIDDEN } else { 0 };
        let expect = |field: &'static str, i: usize, expected: u32| {
            let found = word(i);
            if found == expected {
                Ok(())
            } else {
                Err(WeightsError::Mismatch { field, expected, found })
            }
        };
        expect("input_dim", 1, mlp::INPUT_DIM as u32)?;
        expect("time_features", 2, mlp::TIME_FEATURES as u32)?;
        expect("hidden", 3, mlp::HIDDEN as u32)?;
        expect("hidden_layers", 4, 2)?;
        expect("output_dim", 5, mlp::OUTPUT_DIM as u32)?;
        expect("activation", 6, ACTIVATION_SILU)?;
        let parametrization = Parametrization::from_id(word(7))
            .ok_or(WeightsError::UnknownId { field: "parametrization", found: word(7) })?;
        let schedule = Schedule::from_id(word(8))
            .ok_or(WeightsError::UnknownId { field: "schedule", found: word(8) })?;
        let dataset =
            Dataset::from_id(word(9)).ok_or(WeightsError::UnknownId { field: "dataset", found: word(9) })?;
        let architecture =
            mlp::Architecture::of_parameters(word(14) as usize).ok_or(WeightsError::Mismatch {
                field: "parameter_count",
                expected: mlp::PARAMETERS as u32,
                found: word(14),
            })?;
        let parameters = architecture.parameters();
        let expected_len = header_bytes + bytes_per_parameter * (parameters + embedding_len);
        if bytes.len() < expected_len {
            return Err(WeightsError::Truncated { needed: expected_len, found: bytes.len() });
        }
        if bytes.len() > expected_len {
            return Err(WeightsError::TrailingBytes { expected: expected_len, found: bytes.len() });
        }
        let mut weights: Vec<f32> = if bytes_per_parameter == 2 {
            bytes[header_bytes..]
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect()
        } else {
            bytes[header_bytes..]
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        };
        if let Some(index) = weights.iter().position(|w| !w.is_finite()) {
            return Err(WeightsError::NonFinite { index });
        }
        let class_embedding = conditional.then(|| {
            ClassEmbedding::from_rows(weights.split_off(parameters)).expect("1 to MAX_CLASSES rows")
        });
        Ok(TrainedNet {
            mlp: Mlp { weights },
            parametrization,
            schedule,
            dataset,
            training_seed: word(10),
            training_steps: word(11),
            quality: f32::from_bits(word(12)),
            reference: f32::from_bits(word(13)),
            class_embedding,
            coupling,
        })
    }
}

/// File name of the embedded net for a dataset and schedule, e.g. `two_moons.vp_linear.dpw`.
pub fn file_name(dataset: Dataset, schedule: Schedule) -> String {
    format!("{}.{}.dpw", dataset.name(), schedule.name())
}

/// File name of the embedded class-conditional net, e.g. `two_moons.vp_linear.conditional.dpw`.
pub fn conditional_file_name(dataset: Dataset, schedule: Schedule) -> String {
    format!("{}.{}.conditional.dpw", dataset.name(), schedule.name())
}
