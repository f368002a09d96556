//! The options of a playground: one typed table with defaults, ranges and validation.
//!
//! Options arrive from JavaScript as a loose object ([`RawOptions`]); [`Options::merged`] checks
//! every field once, here at the boundary, and names the field, the value and what is allowed in
//! its error. Every other argument a page can pass (a count, a budget, a time, a list of points)
//! goes through the same checks ([`check_integer`], [`check_real`], [`check_choice`],
//! [`check_points`]), so every message has one form: "invalid option 'name': value is not allowed
//! (allowed: ...)". Keep in sync with the options table of `www/js/state.js`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

pub use crate::app::description::{
    describe, Choice, DatasetChoice, Description, DrawingLimits, GuidanceDescription, Limits, ParticleRange,
    Range, SamplerChoice, ScheduleChoice, TimeGridChoice,
};
pub use crate::app::link_number::{is_decimal_number, parse_number, trim_link_whitespace, MAX_NUMBER_LENGTH};
use crate::app::measurement;
use crate::core::classes;
use crate::core::dataset::Dataset;
use crate::core::dataset::GaussianMixture;
use crate::core::drawing;
use crate::core::guidance::{Guidance, MAX_GUIDANCE_NOISE, MAX_GUIDANCE_SCALE};
use crate::core::mlp::Mlp;
use crate::core::names;
use crate::core::posterior::Observation;
use crate::core::posterior_guidance::PosteriorMethod;
use crate::core::render::Palette;
use crate::core::sampler::{Sampler, SamplerSettings, ScoreSource, MAX_CHURN_NOISE};
use crate::core::schedule::Schedule;
use crate::core::timesteps::TimeGrid;
use crate::gpu::ScoreKind;

/// Fewest reverse steps of a run.
pub const MIN_STEPS: u32 = 1;
/// Most reverse steps of a run.
pub const MAX_STEPS: u32 = 1000;
/// Most particles on the GPU path (8 MiB of positions at 8 bytes each; well inside WebGPU's
/// default 128 MiB storage-buffer binding).
pub const MAX_PARTICLES: u32 = 1 << 20;
/// Most particles on the CPU path: a step of this many takes about 90 ms on the page's Web Workers
/// of a 2-core machine (3.1 M evaluations/s, `cargo xtask bench --quick`), what half as many took
/// on one thread before the workers; beyond it the flow is no longer watchable.
pub const MAX_PARTICLES_CPU: u32 = 1 << 18;
/// Largest stochasticity eta (Euler-Maruyama's dial and DDIM's eta).
pub const MAX_ETA: f64 = 1.0;
/// Largest EDM S_churn (Karras et al. 2022 use up to 80 on images).
pub const MAX_CHURN: f64 = 100.0;
/// Largest s_noise (k-diffusion's factor on fresh noise; 1 is the method, image users go to about
/// 1.1).
pub const MAX_S_NOISE: f64 = 2.0;
/// Lowest solver order of DEIS and UniPC as an option (1 would be DDIM).
pub const MIN_ORDER: u32 = 2;
/// Highest solver order of DEIS and UniPC (the history holds what order 3 needs).
pub const MAX_ORDER: u32 = 3;
/// Smallest dot radius in device pixels.
pub const MIN_POINT_SIZE: f64 = 0.5;
/// Largest dot radius in device pixels.
pub const MAX_POINT_SIZE: f64 = 8.0;
/// Largest prior temperature (twice the prior's spread).
pub const MAX_TEMPERATURE: f64 = 2.0;
/// Smallest time shift of the grid (`shift`; below 1 the steps crowd towards the data).
pub const MIN_SHIFT: f64 = 0.1;
/// Largest time shift of the grid (Stable Diffusion 3 samples with 3; Esser et al. 2024).
pub const MAX_SHIFT: f64 = 10.0;
/// Smallest rho of the Karras and polyexponential grids.
pub const MIN_RHO: f64 = 0.25;
/// Largest rho (Karras et al. 2022 find 7 best; their Fig. 13 goes to about 10).
pub const MAX_RHO: f64 = 20.0;

/// Which score eps_hat comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum ScoreChoice {
    /// The embedded MLP trained on the dataset.
    Mlp,
    /// The exact score of the dataset's Gaussian mixture.
    Exact,
    /// The exact score of the noised training set (EMPIRICAL_POINTS data samples): the ideal
    /// denoiser of a finite dataset, which memorises it.
    Empirical,
}

/// Size of the training set whose exact (memorising) score the `empirical` choice uses.
pub const EMPIRICAL_POINTS: usize = 64;

impl ScoreChoice {
    /// Every choice, in the order the UI lists them (declaration order).
    pub const ALL: [ScoreChoice; 3] = names::all(ScoreChoice::VARIANTS);

    /// Whether the score is the network's (else it is a mixture's exact score: the dataset's, or
    /// the training set's for `empirical`, whose mixture the session builds).
    pub fn is_learned(self) -> bool {
        self == ScoreChoice::Mlp
    }

    /// eps_hat from `net` when the score is learned, else the exact score of `mixture`.
    pub fn source<'a>(self, net: &'a Mlp, mixture: &'a GaussianMixture) -> ScoreSource<'a> {
        if self.is_learned() {
            ScoreSource::Mlp(net)
        } else {
            ScoreSource::Exact(mixture)
        }
    }

    /// The reverse kernel that evaluates it on the GPU.
    pub fn kernel(self) -> ScoreKind {
        if self.is_learned() {
            ScoreKind::Mlp
        } else {
            ScoreKind::Exact
        }
    }

    /// The identifier used in options and share links.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`ScoreChoice::name`].
    pub fn from_name(name: &str) -> Option<ScoreChoice> {
        names::from_name(name)
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            ScoreChoice::Mlp => "Learned (MLP)",
            ScoreChoice::Exact => "Exact score",
            ScoreChoice::Empirical => "Exact score of 64 training points (memorises)",
        }
    }
}

/// How a run is steered toward the chosen class (`core::guidance`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum GuidanceChoice {
    /// No guidance: the unconditional distribution.
    None,
    /// Classifier-free guidance, eps(x, empty) + w (eps(x, c) - eps(x, empty)) (Ho and
    /// Salimans 2022): with the exact conditional and unconditional scores, or with the
    /// dataset's class-conditional network (`core::class_embedding`).
    Cfg,
    /// Classifier guidance, score + w grad log p_t(c | x) (Dhariwal and Nichol 2021), with the
    /// exact classifier.
    Classifier,
}

impl GuidanceChoice {
    /// Every choice, in the order the UI lists them (declaration order).
    pub const ALL: [GuidanceChoice; 3] = names::all(GuidanceChoice::VARIANTS);

    /// The identifier used in options and share links.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`GuidanceChoice::name`].
    pub fn from_name(name: &str) -> Option<GuidanceChoice> {
        names::from_name(name)
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            GuidanceChoice::None => "None (unconditional)",
            GuidanceChoice::Cfg => "Classifier-free (Ho & Salimans 2022)",
            GuidanceChoice::Classifier => "Classifier, exact (Dhariwal & Nichol 2021)",
        }
    }

    /// The score choices this guidance works with: classifier-free guidance needs conditional
    /// and unconditional scores (the exact ones, or the class-conditional network's);
    /// classifier guidance adds the exact classifier of the dataset to the network's or the
    /// exact score. The memorising empirical score has no classes.
    pub fn scores(self) -> &'static [ScoreChoice] {
        match self {
            GuidanceChoice::None => &ScoreChoice::ALL,
            GuidanceChoice::Cfg => &[ScoreChoice::Exact, ScoreChoice::Mlp],
            GuidanceChoice::Classifier => &[ScoreChoice::Exact, ScoreChoice::Mlp],
        }
    }
}

/// Where the particles live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum BackendChoice {
    /// WebGPU unless it is missing or a software emulation slower than the CPU.
    Auto,
    /// WebGPU (fails with a clear error where there is none).
    Webgpu,
    /// The CPU inside the wasm.
    Cpu,
}

impl BackendChoice {
    /// Every choice, in the order the UI lists them (declaration order).
    pub const ALL: [BackendChoice; 3] = names::all(BackendChoice::VARIANTS);

    /// The identifier used in options and share links.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`BackendChoice::name`].
    pub fn from_name(name: &str) -> Option<BackendChoice> {
        names::from_name(name)
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            BackendChoice::Auto => "Automatic",
            BackendChoice::Webgpu => "WebGPU",
            BackendChoice::Cpu => "CPU (WebAssembly)",
        }
    }
}

/// Smallest measurement noise s: below it DPS and PiGDM are stiff beyond any step count the
/// page offers, and the exact posterior is a point mass for the grid.
pub const MIN_OBSERVATION_NOISE: f64 = 0.01;
/// Largest measurement noise s (the measurement then says next to nothing).
pub const MAX_OBSERVATION_NOISE: f64 = 10.0;

/// One loosely typed value as JavaScript sends it.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum RawValue {
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    Text(String),
    /// Anything else (objects, arrays): always rejected.
    #[serde(skip_serializing)]
    Other(serde::de::IgnoredAny),
}

impl fmt::Display for RawValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RawValue::Bool(b) => write!(f, "{b}"),
            RawValue::Number(n) => write!(f, "{n}"),
            RawValue::Text(s) => {
                // Quote, and keep hostile strings short in messages.
                let shown: String = s.chars().take(40).collect();
                let ellipsis = if s.chars().count() > 40 { "..." } else { "" };
                write!(f, "{shown:?}{ellipsis}")
            }
            RawValue::Other(_) => write!(f, "an object or array"),
        }
    }
}

/// Options as received: any subset of fields, values not yet checked. `None` values (JavaScript
/// `undefined` or `null`) mean "keep the current value".
pub type RawOptions = BTreeMap<String, Option<RawValue>>;

/// A rejected option.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionError {
    /// The option's name.
    pub field: String,
    /// The offending value, as text.
    pub value: String,
    /// What would have been accepted.
    pub allowed: String,
}

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.value.is_empty() {
            write!(f, "unknown option '{}' (allowed: {})", self.field, self.allowed)
        } else {
            write!(
                f,
                "invalid option '{}': {} is not allowed (allowed: {})",
                self.field, self.value, self.allowed
            )
        }
    }
}

impl std::error::Error for OptionError {}

/// How an option's value is read: a number in a range (the value goes to the options through
/// `set`), or by a rule of its own (a name of a list, a class, a measurement).
#[derive(Clone, Copy)]
pub enum Reader {
    /// A whole number from `min` to `max`.
    Integer {
        /// Smallest allowed value.
        min: u32,
        /// Largest allowed value.
        max: u32,
        /// Where the value goes.
        set: fn(&mut Options, u32),
    },
    /// A number from `min` to `max`.
    Number {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
        /// Where the value goes.
        set: fn(&mut Options, f64),
    },
    /// One of the names of the list `list` of `describe()`.
    Choice {
        /// The list of [`Description`] that holds the names and labels.
        list: &'static str,
        /// Reads the value into the options (`field` names it in the error).
        read: fn(&mut Options, &str, &RawValue) -> Result<(), OptionError>,
    },
    /// Text read by a rule of its own (a class name, a measurement).
    Text {
        /// Reads the value into the options (`field` names it in the error).
        read: fn(&mut Options, &str, &RawValue) -> Result<(), OptionError>,
    },
}

/// One option, declared once: its name in options, links and command lines, its label, and how
/// its value is read. Merging ([`Options::merged`]), the command lines' arguments (`app::cli`)
/// and what the page is told ([`describe`]: label, range or list, default) all come from
/// [`OPTIONS`]; the value itself is a field of [`Options`] with its default in `Default`.
#[derive(Clone, Copy)]
pub struct OptionSpec {
    /// The option's name.
    pub name: &'static str,
    /// Human name, for controls and notices.
    pub label: &'static str,
    /// How its value is read.
    pub reader: Reader,
}

impl OptionSpec {
    /// Reads `value` into `options`, or says why it is not allowed.
    fn read(&self, options: &mut Options, value: &RawValue) -> Result<(), OptionError> {
        match self.reader {
            Reader::Integer { min, max, set } => set(options, integer(self.name, value, min, max)?),
            Reader::Number { min, max, set } => set(options, real(self.name, value, min, max)?),
            Reader::Choice { read, .. } | Reader::Text { read } => read(options, self.name, value)?,
        }
        Ok(())
    }
}

/// Declares every option once: `name: type = default, "label", reader(...)` with its doc
/// comment, where the reader is `integer(min, max)`, `number(min, max)`, `choice("list", ALL,
/// name_fn)` (`list`: the list of `describe()` holding the names) or `text(read_fn)`. It writes the
/// [`Options`] struct, its `Default` and the table [`OPTIONS`] that merging, the command lines and
/// `describe()` read.
macro_rules! options_table {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident: $ty:ty = $default:expr, $label:literal, $kind:ident($($args:tt)*);
    )*) => {
        /// Every option of a playground, with defaults: one row of [`OPTIONS`] each.
        #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
        #[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
        pub struct Options {
            $($(#[doc = $doc])* pub $name: $ty,)*
            /// True while a drawing stands in for the dataset: `class` then names one of its
            /// stroke classes (`core::drawing::DRAWING_CLASSES`). The session sets it; no link or
            /// option field does, and a new dataset clears it (it ends the drawing). Not an option.
            #[serde(skip)]
            pub classes_of_drawing: bool,
        }

        impl Default for Options {
            fn default() -> Self {
                Options { $($name: $default,)* classes_of_drawing: false }
            }
        }

        /// Every option of a playground, in table order (the order of share links and `--help`).
        pub const OPTIONS: &[OptionSpec] = &[
            $(OptionSpec { name: stringify!($name), label: $label, reader: options_table!(@reader $name $kind($($args)*)) },)*
        ];
    };
    (@reader $name:ident integer($min:expr, $max:expr)) => {
        Reader::Integer { min: $min, max: $max, set: |o, v| o.$name = v }
    };
    (@reader $name:ident number($min:expr, $max:expr)) => {
        Reader::Number { min: $min, max: $max, set: |o, v| o.$name = v }
    };
    (@reader $name:ident choice($list:literal, $all:expr, $names:expr)) => {
        Reader::Choice {
            list: $list,
            read: |o, field, value| {
                o.$name = choice(field, value, &$all, $names)?;
                Ok(())
            },
        }
    };
    (@reader $name:ident text($read:expr)) => {
        Reader::Text { read: $read }
    };
}

options_table! {
    /// Target distribution.
    dataset: Dataset = Dataset::TwoMoons, "Dataset", choice("datasets", Dataset::ALL, Dataset::name);
    /// Noise schedule.
    schedule: Schedule = Schedule::VpLinear, "Noise schedule", choice("schedules", Schedule::ALL, Schedule::name);
    /// Reverse-time integrator.
    sampler: Sampler = Sampler::EulerMaruyama, "Sampler", choice("samplers", Sampler::ALL, Sampler::name);
    /// Learned or exact score.
    score: ScoreChoice = ScoreChoice::Mlp, "Score", choice("scores", ScoreChoice::ALL, ScoreChoice::name);
    /// Reverse steps of a full run.
    steps: u32 = 100, "Steps", integer(MIN_STEPS, MAX_STEPS);
    /// How the run's times are spaced.
    time_grid: TimeGrid = TimeGrid::Uniform, "Time grid", choice("time_grids", TimeGrid::ALL, TimeGrid::name);
    /// The flow-matching time shift applied to the grid (`core::timesteps::shift_time`; 1: none).
    shift: f64 = 1.0, "Time shift", number(MIN_SHIFT, MAX_SHIFT);
    /// rho of the Karras and polyexponential grids ([`TimeGrid::uses_rho`]).
    rho: f64 = crate::core::timesteps::KARRAS_RHO, "Grid rho", number(MIN_RHO, MAX_RHO);
    /// Stochasticity eta of Euler-Maruyama and DDIM (0 deterministic, 1 the reverse SDE / DDPM).
    eta: f64 = 1.0, "Stochasticity (eta)", number(0.0, MAX_ETA);
    /// EDM's S_churn for Heun (schedules with alpha = 1 only).
    churn: f64 = 0.0, "Churn (S_churn)", number(0.0, MAX_CHURN);
    /// EDM's S_tmin: the lowest noise level sigma / alpha where churn applies.
    s_tmin: f64 = 0.0, "Churn from sigma (S_tmin)", number(0.0, MAX_CHURN_NOISE);
    /// EDM's S_tmax ([`MAX_CHURN_NOISE`]: no upper end).
    s_tmax: f64 = MAX_CHURN_NOISE, "Churn up to sigma (S_tmax)", number(0.0, MAX_CHURN_NOISE);
    /// k-diffusion's s_noise, the factor on the fresh noise of the ancestral and SDE solvers.
    s_noise: f64 = 1.0, "Noise factor (s_noise)", number(0.0, MAX_S_NOISE);
    /// The solver order of DEIS and UniPC.
    order: u32 = crate::core::sampler::DEFAULT_ORDER as u32, "Solver order", integer(MIN_ORDER, MAX_ORDER);
    /// Number of particles.
    particles: u32 = 16_384, "Particles", integer(1, MAX_PARTICLES);
    /// Seed of every random number (noise, data, sampler).
    seed: u32 = 1, "Seed", integer(0, u32::MAX);
    /// Scale of the prior noise a run starts from, x_T = temperature sigma(t_max) z (1: the
    /// prior; below 1 a colder start, the reduced-temperature sampling of Kingma and Dhariwal
    /// 2018, "Glow", whose samples at temperatures below 1 trade variety for typicality). A run
    /// started from the data noised to t < 1 is not scaled.
    temperature: f64 = 1.0, "Prior temperature", number(0.0, MAX_TEMPERATURE);
    /// Backend preference (used when the playground is created).
    backend: BackendChoice = BackendChoice::Auto, "Backend", choice("backends", BackendChoice::ALL, BackendChoice::name);
    /// Dot radius in device pixels.
    point_size: f64 = 1.5, "Dot size", number(MIN_POINT_SIZE, MAX_POINT_SIZE);
    /// How the dots are coloured.
    palette: Palette = Palette::Rainbow, "Colours", choice("palettes", Palette::ALL, Palette::name);
    /// The class guidance steers toward (a name of `core::classes::classes` of the dataset), or
    /// empty for none.
    class: String = String::new(), "Class", text(read_class);
    /// How the run is steered toward `class`.
    guidance: GuidanceChoice = GuidanceChoice::None, "Guidance", choice("guidances", GuidanceChoice::ALL, GuidanceChoice::name);
    /// The guidance scale w (1: the class conditional, 0: unconditional).
    guidance_scale: f64 = 1.0, "Guidance scale w", number(0.0, MAX_GUIDANCE_SCALE);
    /// Lower end of the noise levels sigma / alpha where the scale applies (Kynkaanniemi et al.
    /// 2024); outside the interval the weight is 1.
    guidance_low: f64 = 0.0, "Guide from noise level", number(0.0, MAX_GUIDANCE_NOISE);
    /// Upper end ([`MAX_GUIDANCE_NOISE`]: none).
    guidance_high: f64 = MAX_GUIDANCE_NOISE, "Guide up to noise level", number(0.0, MAX_GUIDANCE_NOISE);
    /// How the run conditions on the measurement y = A x0 + n (`none`: it does not).
    posterior: PosteriorMethod = PosteriorMethod::None, "Condition on a measurement", choice("posteriors", PosteriorMethod::ALL, PosteriorMethod::name);
    /// The rows of A, canonical text ("a11,a12" or "a11,a12;a21,a22"; `app::measurement`).
    observe: String = "1,0".into(), "Measurement operator A", text(read_observe);
    /// The measured y, canonical text (one value per row of A).
    observation: String = "0".into(), "Measured y", text(read_observation);
    /// The standard deviation s of the measurement noise.
    observation_noise: f64 = 0.1, "Measurement noise s", number(MIN_OBSERVATION_NOISE, MAX_OBSERVATION_NOISE);
    /// The weight w of DPS's and PiGDM's likelihood gradient (1: the papers' approximation).
    posterior_scale: f64 = 1.0, "Likelihood weight", number(0.0, MAX_GUIDANCE_SCALE);
}

/// Reads `class`: a name, checked against the dataset's or drawing's classes once every field is
/// merged (`settle_condition`).
fn read_class(o: &mut Options, field: &str, value: &RawValue) -> Result<(), OptionError> {
    o.class = text(field, value)?;
    Ok(())
}

/// Reads `observe`: the rows of A, kept in their canonical text.
fn read_observe(o: &mut Options, field: &str, value: &RawValue) -> Result<(), OptionError> {
    let rows = measurement::parse_operator(&text(field, value)?)?;
    o.observe = measurement::operator_text(&rows);
    Ok(())
}

/// Reads `observation`: the measured values, as text (one value may come as a number, from a
/// slider or a script); checked against A once every field is merged (`settle_measurement`).
fn read_observation(o: &mut Options, field: &str, value: &RawValue) -> Result<(), OptionError> {
    o.observation = match value {
        RawValue::Number(n) => n.to_string(),
        _ => text(field, value)?,
    };
    Ok(())
}

/// Names of every option, in table order ([`OPTIONS`]).
pub const FIELDS: [&str; OPTIONS.len()] = {
    let mut names = [""; OPTIONS.len()];
    let mut i = 0;
    while i < OPTIONS.len() {
        names[i] = OPTIONS[i].name;
        i += 1;
    }
    names
};

/// Longest text of any option, in UTF-16 code units as JavaScript counts them: that of the
/// longest legal value of a link, a drawing of the most points in base64url (2,731 for 512
/// points). Longer texts are rejected before they are read, here and in `www/js/state.js`
/// (`maxValueLength`), so a value padded with thousands of spaces is refused on both sides.
pub const MAX_VALUE_LENGTH: usize = (4 * 4 * drawing::MAX_DRAWN_POINTS).div_ceil(3);

fn error(field: &str, value: &RawValue, allowed: impl Into<String>) -> OptionError {
    OptionError { field: field.into(), value: value.to_string(), allowed: allowed.into() }
}

fn choice<T: Copy>(
    field: &str,
    value: &RawValue,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, OptionError> {
    let names: Vec<&str> = all.iter().map(|&c| name(c)).collect();
    match value {
        RawValue::Text(s) => all.iter().copied().find(|&c| name(c) == s),
        _ => None,
    }
    .ok_or_else(|| error(field, value, format!("one of {}", names.join(", "))))
}

fn text(field: &str, value: &RawValue) -> Result<String, OptionError> {
    match value {
        RawValue::Text(s) => Ok(trim_link_whitespace(s).to_string()),
        _ => Err(error(field, value, "a name")),
    }
}

fn integer(field: &str, value: &RawValue, min: u32, max: u32) -> Result<u32, OptionError> {
    let allowed = || format!("an integer from {min} to {max}");
    let number = match value {
        RawValue::Number(n) => *n,
        // Share links carry numbers as text.
        RawValue::Text(s) => parse_number(s).ok_or_else(|| error(field, value, allowed()))?,
        _ => return Err(error(field, value, allowed())),
    };
    if number.fract() != 0.0 || !(min as f64..=max as f64).contains(&number) {
        return Err(error(field, value, allowed()));
    }
    Ok(number as u32)
}

fn real(field: &str, value: &RawValue, min: f64, max: f64) -> Result<f64, OptionError> {
    let allowed = || format!("a number from {min} to {max}");
    let number = match value {
        RawValue::Number(n) => *n,
        RawValue::Text(s) => parse_number(s).ok_or_else(|| error(field, value, allowed()))?,
        _ => return Err(error(field, value, allowed())),
    };
    if !(min..=max).contains(&number) {
        return Err(error(field, value, allowed()));
    }
    Ok(number)
}

impl Options {
    /// The defaults, with the drawing's classes (its stroke colours) as the classes when a user's
    /// own data (`--data FILE`, a drawing) is what is sampled, so that `--class orange` is
    /// checked against them.
    pub fn for_data(of_data: bool) -> Options {
        Options { classes_of_drawing: of_data, ..Options::default() }
    }

    /// A copy with the fields of `raw` applied, or the first invalid field.
    pub fn merged(&self, raw: &RawOptions) -> Result<Options, OptionError> {
        let mut next = self.with_fields(raw)?;
        next.settle_condition(self, raw)?;
        Ok(next)
    }

    /// A copy with the fields of `raw` read in, each checked on its own (its range, its list, its
    /// grammar), or the first invalid field; the fields that depend on each other (the class,
    /// guidance and measurement) are left as given: [`Options::merged`] refuses a conflict,
    /// `app::condition::settle` resolves it.
    pub fn with_fields(&self, raw: &RawOptions) -> Result<Options, OptionError> {
        let mut next = self.clone();
        for (field, value) in raw {
            let Some(value) = value else { continue };
            if let RawValue::Text(text) = value {
                if text.encode_utf16().count() > MAX_VALUE_LENGTH {
                    return Err(error(
                        field,
                        value,
                        format!("a text of at most {MAX_VALUE_LENGTH} characters"),
                    ));
                }
            }
            match OPTIONS.iter().find(|spec| spec.name == field) {
                Some(spec) => spec.read(&mut next, value)?,
                None => {
                    let shown: String = field.chars().take(40).collect();
                    return Err(OptionError {
                        field: shown,
                        value: String::new(),
                        allowed: FIELDS.join(", "),
                    });
                }
            }
        }
        if next.dataset != self.dataset {
            next.classes_of_drawing = false;
        }
        Ok(next)
    }

    /// Checks the fields that depend on each other, after a merge from `previous` with `raw`:
    /// the class must be one of the dataset's (a class left over from another dataset, not set
    /// by `raw`, gives way to the new dataset's first class, or to none when unguided);
    /// guidance needs a class (the dataset's first when none is set) and a score it works with
    /// ([`GuidanceChoice::scores`]); the interval must not be empty.
    fn settle_condition(&mut self, previous: &Options, raw: &RawOptions) -> Result<(), OptionError> {
        let given = |field: &str| raw.get(field).is_some_and(Option::is_some);
        let names: Vec<&str> = self.class_list().iter().map(|c| c.name).collect();
        let first = names.first().copied().unwrap_or_default();
        if !self.class.is_empty() && !names.contains(&self.class.as_str()) {
            if given("class") || self.dataset == previous.dataset {
                return Err(OptionError {
                    field: "class".into(),
                    value: format!("{:?}", self.class.chars().take(40).collect::<String>()),
                    allowed: format!(
                        "a class of {}: {} (or empty for none)",
                        if self.classes_of_drawing { "the drawing" } else { self.dataset.name() },
                        names.join(", ")
                    ),
                });
            }
            self.class = if self.guidance == GuidanceChoice::None { String::new() } else { first.into() };
        }
        if self.guidance != GuidanceChoice::None {
            if self.class.is_empty() {
                self.class = first.into();
            }
            if !self.guidance.scores().contains(&self.score) {
                let allowed: Vec<&str> = self.guidance.scores().iter().map(|s| s.name()).collect();
                let why = "the memorising empirical score has no classes";
                return Err(OptionError {
                    field: "guidance".into(),
                    value: format!("{:?} with score {:?}", self.guidance.name(), self.score.name()),
                    allowed: format!("score {} ({why})", allowed.join(" or ")),
                });
            }
        }
        if self.s_tmin > self.s_tmax {
            return Err(OptionError {
                field: "s_tmin".into(),
                value: format!("{} above s_tmax {}", self.s_tmin, self.s_tmax),
                allowed: "a lower end at most the upper end".into(),
            });
        }
        if self.guidance_low > self.guidance_high {
            return Err(OptionError {
                field: "guidance_low".into(),
                value: format!("{} above guidance_high {}", self.guidance_low, self.guidance_high),
                allowed: "a lower end at most the upper end".into(),
            });
        }
        self.settle_measurement(raw)
    }

    /// The measurement's values follow its operator: given, they must be one per row of A; not
    /// given, they are resized to it. The exact posterior's score needs an exact score (the
    /// network conditions with DPS, PiGDM or SMC). Conditioning on a measurement and guidance
    /// toward a class do not combine.
    fn settle_measurement(&mut self, raw: &RawOptions) -> Result<(), OptionError> {
        let given = |field: &str| raw.get(field).is_some_and(Option::is_some);
        let rows = measurement::parse_operator(&self.observe)?.len();
        let values = if given("observation") {
            measurement::parse_values(&self.observation, rows)?
        } else {
            let old: Vec<f64> = self.observation.split(',').filter_map(parse_number).collect();
            measurement::resized(&old, rows)
        };
        self.observation = measurement::values_text(&values);
        if self.posterior == PosteriorMethod::Exact && self.score == ScoreChoice::Mlp {
            return Err(OptionError {
                field: "posterior".into(),
                value: "\"exact\" with score \"mlp\"".into(),
                allowed:
                    "score exact or empirical (the exact posterior's score is the mixture's; the network \
                          conditions with dps, pigdm or smc)"
                        .into(),
            });
        }
        if self.posterior != PosteriorMethod::None && self.guidance != GuidanceChoice::None {
            return Err(OptionError {
                field: "posterior".into(),
                value: format!("{:?} with guidance {:?}", self.posterior.name(), self.guidance.name()),
                allowed: "guidance none while conditioning on a measurement".into(),
            });
        }
        Ok(())
    }

    /// The measurement the run conditions on, when `posterior` is not `none`.
    pub fn measurement(&self) -> Option<Observation> {
        if self.posterior == PosteriorMethod::None {
            return None;
        }
        let rows = measurement::parse_operator(&self.observe).ok()?;
        let values = measurement::parse_values(&self.observation, rows.len()).ok()?;
        Observation::new(rows, values, self.observation_noise).ok()
    }

    /// The guidance of the run, when it is guided toward a class: the scale and interval of
    /// the options.
    pub fn run_guidance(&self) -> Option<Guidance> {
        (self.guidance != GuidanceChoice::None && !self.class.is_empty()).then_some(Guidance {
            scale: self.guidance_scale,
            noise_low: self.guidance_low,
            noise_high: self.guidance_high,
        })
    }

    /// The index of the class guidance steers toward (in [`Options::class_list`]), when the run
    /// is guided.
    pub fn guided_class(&self) -> Option<usize> {
        self.run_guidance()?;
        self.class_list().iter().position(|c| c.name == self.class)
    }

    /// The classes `class` names one of: the dataset's, or a drawing's stroke classes while one
    /// stands in for it.
    pub fn class_list(&self) -> &'static [classes::DataClass] {
        if self.classes_of_drawing {
            &crate::core::drawing::DRAWING_CLASSES
        } else {
            classes::classes(self.dataset)
        }
    }

    /// The sampler with the knobs of these options.
    pub fn sampler_settings(&self) -> SamplerSettings {
        SamplerSettings {
            sampler: self.sampler,
            eta: self.eta,
            churn: self.churn,
            s_tmin: self.s_tmin,
            s_tmax: self.s_tmax,
            s_noise: self.s_noise,
            order: self.order as usize,
        }
    }

    /// The `steps + 1` times of a run from `t_start` down to the schedule's t_min: the time grid
    /// with the time shift ([`TimeGrid::shifted_times`]).
    pub fn run_times(&self, t_start: f64, steps: usize) -> Vec<f64> {
        let schedule = self.schedule;
        self.time_grid.shifted_times(schedule, t_start, schedule.t_min(), steps, self.shift, self.rho)
    }

    /// The times of a whole run, from t_max in `steps` steps ([`Options::run_times`]).
    pub fn full_run_times(&self) -> Vec<f64> {
        self.run_times(self.schedule.t_max(), self.steps as usize)
    }

    /// The particle limit of the CPU path, as an error when exceeded.
    pub fn check_cpu_particles(&self) -> Result<(), OptionError> {
        if self.particles > MAX_PARTICLES_CPU {
            return Err(OptionError {
                field: "particles".into(),
                value: self.particles.to_string(),
                allowed: format!("an integer from 1 to {MAX_PARTICLES_CPU} on the CPU path (WebGPU allows up to {MAX_PARTICLES})"),
            });
        }
        Ok(())
    }
}

/// What option `field` accepts over `base` (the classes are those of its dataset), in the words
/// of the table's own refusal of an impossible value: the command-line tools' `--help` shows it
/// (`app::cli`), so it cannot drift from what is checked (a sampler added to the table appears
/// there by itself).
pub fn allowed(field: &str, base: &Options) -> String {
    // U+0001 is no name, number or class of anything, so every field refuses it.
    let raw: RawOptions = [(field.to_string(), Some(RawValue::Text("\u{1}".into())))].into();
    match base.merged(&raw) {
        Err(e) => e.allowed,
        Ok(_) => "text".to_string(),
    }
}

/// Checks an integer argument that is not in the table (a count, a budget, a grid size) as the
/// table checks its integers: `min..=max`, with the same message naming `field`.
pub fn check_integer(field: &str, value: u32, min: u32, max: u32) -> Result<u32, OptionError> {
    integer(field, &RawValue::Number(value as f64), min, max)
}

/// Checks a real argument that is not in the table (a time, a fraction) as the table checks its
/// numbers: finite and within `min..=max`, with the same message naming `field`.
pub fn check_real(field: &str, value: f64, min: f64, max: f64) -> Result<f64, OptionError> {
    real(field, &RawValue::Number(value), min, max)
}

/// Reads a named choice that is not in the table (a prediction target, say) as the table reads
/// its choices: one of `all` by `name`, with the same message listing them.
pub fn check_choice<T: Copy>(
    field: &str,
    text: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, OptionError> {
    choice(field, &RawValue::Text(text.into()), all, name)
}

/// Reads interleaved x, y values as points: a positive, even number of values (the shape checks
/// of what the points may be, such as a drawing's window, are the caller's).
pub fn check_points(field: &str, flat: &[f32]) -> Result<Vec<[f32; 2]>, OptionError> {
    if flat.is_empty() || !flat.len().is_multiple_of(2) {
        return Err(OptionError {
            field: field.into(),
            value: format!("a list of {} values", flat.len()),
            allowed: "a positive, even number of values (x, y pairs)".into(),
        });
    }
    Ok(flat.chunks_exact(2).map(|c| [c[0], c[1]]).collect())
}

/// Checks that a list argument holds exactly `expected` values (`len` of them given).
pub fn check_length(field: &str, len: usize, expected: usize) -> Result<(), OptionError> {
    if len != expected {
        return Err(OptionError {
            field: field.into(),
            value: format!("a list of {len} values"),
            allowed: format!("exactly {expected} values"),
        });
    }
    Ok(())
}
