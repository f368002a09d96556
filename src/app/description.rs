//! What the page and the CLIs are told about this build ([`describe`]): every choice with its
//! label, what each sampler and grid reads, the numeric limits and the defaults of the options
//! table (`app::options`).

use serde::Serialize;

use crate::app::measurement;
use crate::app::options::*;
use crate::core::classes;
use crate::core::dataset::Dataset;
use crate::core::drawing;
use crate::core::guidance::{MAX_GUIDANCE_NOISE, MAX_GUIDANCE_SCALE};
use crate::core::posterior_guidance::PosteriorMethod;
use crate::core::render::Palette;
use crate::core::sampler::{Sampler, MAX_CHURN_NOISE};
use crate::core::schedule::Schedule;
use crate::core::timesteps::TimeGrid;

/// A named choice as `describe()` lists it.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Choice {
    /// The identifier used in options and links.
    pub name: &'static str,
    /// Human label for the UI.
    pub label: &'static str,
}

/// An inclusive numeric range.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Range<T> {
    /// Smallest allowed value.
    pub min: T,
    /// Largest allowed value.
    pub max: T,
}

/// The particle counts allowed on each path.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct ParticleRange {
    /// Fewest particles.
    pub min: u32,
    /// Most particles on WebGPU.
    pub max: u32,
    /// Most particles on the CPU path.
    pub max_cpu: u32,
}

/// The numeric limits of the table.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Limits {
    /// Reverse steps of a run.
    pub steps: Range<u32>,
    /// Stochasticity eta.
    pub eta: Range<f64>,
    /// EDM's S_churn.
    pub churn: Range<f64>,
    /// The ends of the churn interval, in sigma / alpha (the maximum: no upper end).
    pub churn_noise: Range<f64>,
    /// k-diffusion's s_noise.
    pub s_noise: Range<f64>,
    /// The solver order of DEIS and UniPC.
    pub order: Range<u32>,
    /// Particles.
    pub particles: ParticleRange,
    /// Dot radius in device pixels.
    pub point_size: Range<f64>,
    /// The grid's time shift.
    pub shift: Range<f64>,
    /// rho of the Karras and polyexponential grids.
    pub rho: Range<f64>,
    /// Seeds.
    pub seed: Range<u32>,
    /// [`crate::core::schedule::MIN_START_SIGMA`]: the smallest noise a run starts from.
    pub min_start_sigma: f64,
    /// The guidance scale w.
    pub guidance_scale: Range<f64>,
    /// The ends of the guidance interval, in sigma / alpha (the maximum: no upper end).
    pub guidance_noise: Range<f64>,
    /// The measurement noise s.
    pub observation_noise: Range<f64>,
    /// The weight of DPS's and PiGDM's likelihood gradient.
    pub posterior_scale: Range<f64>,
    /// Largest |entry| of the measurement operator A.
    pub max_operator_entry: f64,
    /// Largest |y| of a measurement.
    pub max_observed_value: f64,
}

/// A dataset in [`describe`]: its choice and its classes (`core::classes`).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct DatasetChoice {
    /// The identifier.
    pub name: &'static str,
    /// Human label.
    pub label: &'static str,
    /// Its classes, in index order.
    pub classes: Vec<Choice>,
}

/// A guidance choice in [`describe`], with the scores it works with.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct GuidanceDescription {
    /// The identifier.
    pub name: &'static str,
    /// Human label.
    pub label: &'static str,
    /// The `score` choices it works with ([`GuidanceChoice::scores`]).
    pub scores: Vec<&'static str>,
}

/// A schedule in [`describe`]: its choice, and the smallest start fraction of the time slider
/// above 0 ([`Schedule::min_start_fraction`]; below it a run starts there instead).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct ScheduleChoice {
    /// The identifier.
    pub name: &'static str,
    /// Human label.
    pub label: &'static str,
    /// Smallest meaningful start fraction above 0.
    pub min_start_fraction: f64,
}

/// What a drawing may hold ([`crate::core::drawing`]): coordinates within +-half_extent, at most
/// max_points points.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct DrawingLimits {
    /// Half the side of the window drawn points must lie in.
    pub half_extent: f32,
    /// Most points of a drawing.
    pub max_points: usize,
    /// A drawing's classes, one per stroke colour (`core::drawing::DRAWING_CLASSES`).
    pub classes: Vec<Choice>,
    /// Largest data file read as a drawing (`app::data_file::MAX_DATA_FILE_BYTES`).
    pub max_data_file_bytes: usize,
    /// Longest side of a picture's pixels handed to `picture_data`
    /// (`app::picture_data::MAX_PICTURE_SIDE`).
    pub max_picture_side: u32,
    /// Largest picture file read (`app::picture_data::MAX_PICTURE_FILE_BYTES`).
    pub max_picture_file_bytes: usize,
    /// Most pixels of a picture read (`app::picture_data::MAX_PICTURE_PIXELS`).
    pub max_picture_pixels: u32,
    /// Adam steps a training run in the page takes unless the user asks for others
    /// (`core::drawing::DRAWN_TRAIN_STEPS`).
    pub train_steps: u32,
    /// Fewest and most Adam steps the page starts a training run with
    /// (`core::drawing::MIN_PAGE_TRAIN_STEPS`, `MAX_PAGE_TRAIN_STEPS`).
    pub min_train_steps: u32,
    /// See `min_train_steps`.
    pub max_train_steps: u32,
    /// Examples per Adam step of training in the page (`core::drawing::DRAWN_BATCH`).
    pub train_batch: u32,
}

/// A time grid in the description: its choice, and whether it reads `rho` (the page shows the
/// control only there).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct TimeGridChoice {
    /// Identifier.
    pub name: &'static str,
    /// Label.
    pub label: &'static str,
    /// It reads `rho` ([`TimeGrid::uses_rho`]).
    pub uses_rho: bool,
}

/// A sampler in the description: its choice, and which knobs of the options it reads (the page
/// shows the `eta`, `churn`, `s_noise` and `order` controls only where they apply, from these
/// flags).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct SamplerChoice {
    /// Identifier.
    pub name: &'static str,
    /// Label.
    pub label: &'static str,
    /// It reads `eta` ([`Sampler::uses_eta`]).
    pub uses_eta: bool,
    /// It reads `churn` ([`Sampler::uses_churn`]).
    pub uses_churn: bool,
    /// It reads `s_noise` ([`Sampler::uses_s_noise`]).
    pub uses_s_noise: bool,
    /// It reads `order` ([`Sampler::uses_order`]).
    pub uses_order: bool,
    /// Network evaluations per step ([`Sampler::evaluations_per_step`]).
    pub evaluations_per_step: usize,
}

/// What a playground offers: every choice with its label, the numeric limits and the defaults.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Description {
    /// Built-in datasets, with their classes.
    pub datasets: Vec<DatasetChoice>,
    /// Ways to guide a run toward a class.
    pub guidances: Vec<GuidanceDescription>,
    /// Ways to condition a run on a measurement (`core::posterior_guidance`).
    pub posteriors: Vec<Choice>,
    /// Noise schedules.
    pub schedules: Vec<ScheduleChoice>,
    /// What a drawing may hold.
    pub drawing: DrawingLimits,
    /// Samplers, with the knobs each takes.
    pub samplers: Vec<SamplerChoice>,
    /// The deterministic samplers that integrate the log-likelihood (the likelihood panel's
    /// solvers; `core::likelihood::LIKELIHOOD_SAMPLERS`).
    pub likelihood_samplers: Vec<Choice>,
    /// What a network trained in the page may learn to predict (`app::training::Learning`).
    pub objectives: Vec<Choice>,
    /// The schedules it may be trained with (`app::training::TRAINABLE_SCHEDULES`).
    pub training_schedules: Vec<Choice>,
    /// How its training may pair noise with data (`core::coupling::COUPLINGS`).
    pub couplings: Vec<Choice>,
    /// Time grids.
    pub time_grids: Vec<TimeGridChoice>,
    /// Score sources.
    pub scores: Vec<Choice>,
    /// Colour palettes.
    pub palettes: Vec<Choice>,
    /// Backend preferences.
    pub backends: Vec<Choice>,
    /// Every option of the table, in order: label, range or list ([`OPTIONS`]).
    pub options: Vec<OptionDescription>,
    /// Numeric limits.
    pub limits: Limits,
    /// The default options.
    pub defaults: Options,
    /// The fields a share link's settings win conflicts with
    /// (`app::condition::LINK_SETTLES_WITH`).
    pub link_settles_with: Vec<&'static str>,
}

/// An option as the page is told of it ([`OPTIONS`]): its name, label, how its value reads, and
/// its range or the list of `describe()` that names its choices. Its default is in
/// [`Description::defaults`].
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct OptionDescription {
    /// The option's name.
    pub name: &'static str,
    /// Human name, for controls and notices.
    pub label: &'static str,
    /// "integer", "number", "choice" or "text".
    pub kind: &'static str,
    /// Smallest allowed value, for numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest allowed value, for numbers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The list of [`Description`] that holds the choices, for choices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list: Option<&'static str>,
    /// When the option matters ([`applies_when`]); absent: always. The page hides its control
    /// elsewhere and keeps its value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applies_when: Option<AppliesWhen>,
}

/// An option matters only while the option `field` has one of `values`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct AppliesWhen {
    /// The option it depends on.
    pub field: &'static str,
    /// Its values under which the option is read.
    pub values: Vec<&'static str>,
}

impl OptionDescription {
    /// The description of `spec`.
    pub fn of(spec: &OptionSpec) -> OptionDescription {
        let (kind, min, max, list) = match spec.reader {
            Reader::Integer { min, max, .. } => ("integer", Some(min as f64), Some(max as f64), None),
            Reader::Number { min, max, .. } => ("number", Some(min), Some(max), None),
            Reader::Choice { list, .. } => ("choice", None, None, Some(list)),
            Reader::Text { .. } => ("text", None, None, None),
        };
        let applies_when = applies_when(spec.name);
        OptionDescription { name: spec.name, label: spec.label, kind, min, max, list, applies_when }
    }
}

/// When the option `name` is read: the sampler knobs by the samplers that read them
/// ([`Sampler::uses_eta`] and the like), rho by the grids that read it, the guidance settings
/// by the guidances that steer, the measurement by the methods that condition on it and the
/// likelihood weight by those that add a likelihood gradient ([`PosteriorMethod::guides`]).
/// `None` for an option that always matters.
pub fn applies_when(name: &str) -> Option<AppliesWhen> {
    fn samplers(reads: fn(Sampler) -> bool) -> Option<AppliesWhen> {
        let values = Sampler::ALL.iter().filter(|&&s| reads(s)).map(|s| s.name()).collect();
        Some(AppliesWhen { field: "sampler", values })
    }
    fn posteriors(reads: fn(PosteriorMethod) -> bool) -> Option<AppliesWhen> {
        let values = PosteriorMethod::ALL.iter().filter(|&&m| reads(m)).map(|m| m.name()).collect();
        Some(AppliesWhen { field: "posterior", values })
    }
    match name {
        "eta" => samplers(Sampler::uses_eta),
        "churn" | "s_tmin" | "s_tmax" => samplers(Sampler::uses_churn),
        "s_noise" => samplers(Sampler::uses_s_noise),
        "order" => samplers(Sampler::uses_order),
        "rho" => Some(AppliesWhen {
            field: "time_grid",
            values: TimeGrid::ALL.iter().filter(|g| g.uses_rho()).map(|g| g.name()).collect(),
        }),
        "class" | "guidance_scale" | "guidance_low" | "guidance_high" => Some(AppliesWhen {
            field: "guidance",
            values: GuidanceChoice::ALL
                .iter()
                .filter(|&&g| g != GuidanceChoice::None)
                .map(|g| g.name())
                .collect(),
        }),
        "observe" | "observation" | "observation_noise" => posteriors(|m| m != PosteriorMethod::None),
        "posterior_scale" => posteriors(PosteriorMethod::guides),
        _ => None,
    }
}

/// The [`Description`] of this build.
pub fn describe() -> Description {
    Description {
        datasets: Dataset::ALL
            .iter()
            .map(|&d| DatasetChoice {
                name: d.name(),
                label: d.label(),
                classes: classes::classes(d)
                    .iter()
                    .map(|c| Choice { name: c.name, label: c.label })
                    .collect(),
            })
            .collect(),
        guidances: GuidanceChoice::ALL
            .iter()
            .map(|&g| GuidanceDescription {
                name: g.name(),
                label: g.label(),
                scores: g.scores().iter().map(|s| s.name()).collect(),
            })
            .collect(),
        posteriors: PosteriorMethod::ALL
            .iter()
            .map(|p| Choice { name: p.name(), label: p.label() })
            .collect(),
        schedules: Schedule::ALL
            .iter()
            .map(|s| ScheduleChoice {
                name: s.name(),
                label: s.label(),
                min_start_fraction: s.min_start_fraction(),
            })
            .collect(),
        drawing: DrawingLimits {
            half_extent: drawing::DRAWN_HALF_EXTENT,
            max_points: drawing::MAX_DRAWN_POINTS,
            classes: drawing::DRAWING_CLASSES
                .iter()
                .map(|c| Choice { name: c.name, label: c.label })
                .collect(),
            max_data_file_bytes: crate::app::data_file::MAX_DATA_FILE_BYTES,
            max_picture_side: crate::app::picture_data::MAX_PICTURE_SIDE,
            max_picture_file_bytes: crate::app::picture_data::MAX_PICTURE_FILE_BYTES,
            max_picture_pixels: crate::app::picture_data::MAX_PICTURE_PIXELS,
            train_steps: drawing::DRAWN_TRAIN_STEPS,
            min_train_steps: drawing::MIN_PAGE_TRAIN_STEPS,
            max_train_steps: drawing::MAX_PAGE_TRAIN_STEPS,
            train_batch: drawing::DRAWN_BATCH,
        },
        samplers: Sampler::ALL
            .iter()
            .map(|&s| SamplerChoice {
                name: s.name(),
                label: s.label(),
                uses_eta: s.uses_eta(),
                uses_churn: s.uses_churn(),
                uses_s_noise: s.uses_s_noise(),
                uses_order: s.uses_order(),
                evaluations_per_step: s.evaluations_per_step(),
            })
            .collect(),
        likelihood_samplers: crate::core::likelihood::LIKELIHOOD_SAMPLERS
            .iter()
            .map(|s| Choice { name: s.name(), label: s.label() })
            .collect(),
        training_schedules: crate::app::training::TRAINABLE_SCHEDULES
            .iter()
            .map(|s| Choice { name: s.name(), label: s.label() })
            .collect(),
        couplings: crate::core::coupling::COUPLINGS
            .iter()
            .map(|c| Choice { name: c.name(), label: c.label() })
            .collect(),
        objectives: crate::core::param::Parametrization::NETWORK_OUTPUTS
            .iter()
            .map(|p| Choice { name: p.name(), label: p.label() })
            .collect(),
        time_grids: TimeGrid::ALL
            .iter()
            .map(|g| TimeGridChoice { name: g.name(), label: g.label(), uses_rho: g.uses_rho() })
            .collect(),
        scores: ScoreChoice::ALL.iter().map(|s| Choice { name: s.name(), label: s.label() }).collect(),
        palettes: Palette::ALL.iter().map(|p| Choice { name: p.name(), label: p.label() }).collect(),
        backends: BackendChoice::ALL.iter().map(|b| Choice { name: b.name(), label: b.label() }).collect(),
        limits: Limits {
            steps: Range { min: MIN_STEPS, max: MAX_STEPS },
            eta: Range { min: 0.0, max: MAX_ETA },
            churn: Range { min: 0.0, max: MAX_CHURN },
            churn_noise: Range { min: 0.0, max: MAX_CHURN_NOISE },
            s_noise: Range { min: 0.0, max: MAX_S_NOISE },
            order: Range { min: MIN_ORDER, max: MAX_ORDER },
            particles: ParticleRange { min: 1, max: MAX_PARTICLES, max_cpu: MAX_PARTICLES_CPU },
            point_size: Range { min: MIN_POINT_SIZE, max: MAX_POINT_SIZE },
            shift: Range { min: MIN_SHIFT, max: MAX_SHIFT },
            rho: Range { min: MIN_RHO, max: MAX_RHO },
            seed: Range { min: 0, max: u32::MAX },
            min_start_sigma: crate::core::schedule::MIN_START_SIGMA,
            guidance_scale: Range { min: 0.0, max: MAX_GUIDANCE_SCALE },
            guidance_noise: Range { min: 0.0, max: MAX_GUIDANCE_NOISE },
            observation_noise: Range { min: MIN_OBSERVATION_NOISE, max: MAX_OBSERVATION_NOISE },
            posterior_scale: Range { min: 0.0, max: MAX_GUIDANCE_SCALE },
            max_operator_entry: measurement::MAX_OPERATOR_ENTRY,
            max_observed_value: measurement::MAX_OBSERVED_VALUE,
        },
        options: OPTIONS.iter().map(OptionDescription::of).collect(),
        defaults: Options::default(),
        link_settles_with: crate::app::condition::LINK_SETTLES_WITH.to_vec(),
    }
}
