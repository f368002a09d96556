//! The wasm-bindgen surface: one `Playground` handle built by an async factory, the training
//! handles, and a few free functions for tests and export. Each export converts JavaScript values
//! to the app layer's types (options and arguments through the options table), calls
//! [`crate::app`], and turns its errors into JS `Error`s. What is platform-specific here is the
//! canvas (its WebGPU surface or 2-D context) and the browser's clock and GPU probe.
//! Keep in sync with the calls in `www/js/main.js`.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::Clamped;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::app::backend::{self, Adapter, Clock, Path};
use crate::app::condition;
use crate::app::data_file;
use crate::app::kernel_tuning;
use crate::app::likelihood::PriorChoice;
use crate::app::measurement;
use crate::app::options::{self, OptionError, Options, RawOptions, RawValue};
use crate::app::peer_plan::PeerPlan;
use crate::app::picture_data;
use crate::app::python_export;
use crate::app::sample_files;
use crate::app::session::{self, Particles, Session};
use crate::app::training::{self, Learning, Training, TrainingPlan};
use crate::core::histogram::{self, Bins};
use crate::core::metrics;
use crate::core::param::Parametrization;
use crate::core::render::{self, View};
use crate::gpu::{context, ComputeEngine, GpuContext, GpuError, MlpKernelConfig, SurfaceRenderer};

/// What the functions that take options accept: any of the table's options, by name, as the
/// typed value or as a share link's text (the table reads and checks each).
#[wasm_bindgen(typescript_custom_section)]
const OPTION_VALUES: &str =
    "export type OptionValues = { [Name in keyof Options]?: Options[Name] | string | number | boolean };";

pub(super) fn js_error(message: impl std::fmt::Display) -> JsError {
    JsError::new(&message.to_string())
}

/// A refused option as a JavaScript `Error` whose `field`, `value` and `allowed` say which and
/// why, so the page can fall back on that field without reading the message.
fn option_error(e: OptionError) -> JsValue {
    let error = js_sys::Error::new(&e.to_string());
    for (key, value) in [("field", &e.field), ("value", &e.value), ("allowed", &e.allowed)] {
        // Setting a property of a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&error, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    error.into()
}

/// A JavaScript `Error` with `message` whose `kind` says what happened, so the page can tell it
/// apart from a failure without reading the message.
fn kinded_error(message: &str, kind: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property of a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    error.into()
}

/// A rejected promise's value with `message`.
fn js_reject(message: impl std::fmt::Display) -> JsValue {
    JsValue::from(js_error(message))
}

/// What a network trained in the page learns: `objective` on `schedule` with `coupling`
/// (`Learning::from_names`, `Learning::with_coupling`); a refusal is a structured option error.
fn learning(objective: &str, schedule: &str, coupling: &str) -> Result<Learning, JsValue> {
    Learning::from_names(objective, schedule).and_then(|l| l.with_coupling(coupling)).map_err(option_error)
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
}

fn raw_options(value: &JsValue) -> Result<RawOptions, JsError> {
    if value.is_undefined() || value.is_null() {
        return Ok(RawOptions::new());
    }
    if !value.is_object() || js_sys::Array::is_array(value) {
        return Err(js_error("options must be a plain object such as { steps: 100 }"));
    }
    serde_wasm_bindgen::from_value(value.clone())
        .map_err(|e| js_error(format!("options could not be read: {e}")))
}

/// The default options with `pairs` applied by the options table: how a named argument (a
/// dataset, a schedule) is read, with the table's message when it is not allowed.
pub(super) fn options_with(pairs: &[(&str, &str)]) -> Result<Options, JsError> {
    let raw: RawOptions =
        pairs.iter().map(|(k, v)| (k.to_string(), Some(RawValue::Text(v.to_string())))).collect();
    Options::default().merged(&raw).map_err(js_error)
}

fn points(name: &str, flat: &[f32]) -> Result<Vec<[f32; 2]>, JsError> {
    options::check_points(name, flat).map_err(js_error)
}

fn flat(points: &[[f32; 2]]) -> Vec<f32> {
    points.iter().flatten().copied().collect()
}

/// `performance.now()`.
struct PerformanceClock;

impl Clock for PerformanceClock {
    fn now_ms(&mut self) -> f64 {
        web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
    }
}

/// The GPU device, or why there is none (a clause for the backend policy's sentences).
async fn try_gpu() -> Result<(wgpu::Instance, GpuContext), String> {
    let has_webgpu = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &JsValue::from_str("gpu")).ok())
        .is_some_and(|gpu| !gpu.is_undefined() && !gpu.is_null());
    if !has_webgpu {
        return Err("WebGPU is not available in this browser (navigator.gpu is missing)".into());
    }
    let instance = context::instance();
    let context = context::request_context(&instance, None).await.map_err(|e| match e {
        GpuError::NoAdapter(_) => "this browser has WebGPU but offered no graphics adapter".to_string(),
        other => other.to_string(),
    })?;
    Ok((instance, context))
}

/// Times the same reverse steps on this browser's WebGPU adapter and on the CPU (a second or so
/// on a software adapter: the page calls it after its first frame when the automatic choice
/// started on the CPU). Resolves to `app::backend::PathComparison`: `{ adapter, software,
/// gpu_evaluations_per_second, cpu_evaluations_per_second, winner, note }`; rejects when there
/// is no WebGPU adapter.
#[wasm_bindgen(unchecked_return_type = "PathComparison")]
pub async fn compare_paths() -> Result<JsValue, JsError> {
    let (_instance, context) = try_gpu().await.map_err(js_error)?;
    to_js(&backend::compare_paths(&context, &mut PerformanceClock).await.map_err(js_error)?)
}

/// Times every MLP kernel shape on this browser's adapter (`app::kernel_tuning::tune_adapter`):
/// the report, whose `config` goes to [`Playground::set_gpu_kernel_shape`], or `null`.
#[wasm_bindgen(unchecked_return_type = "TuningReport | null")]
pub async fn tune_gpu_kernels(particles: Option<u32>, on_software: bool) -> Result<JsValue, JsError> {
    let (_instance, gpu) = try_gpu().await.map_err(js_error)?;
    let tuning = kernel_tuning::tune_adapter(&gpu, &mut PerformanceClock, particles, on_software).await;
    to_js(&tuning.map_err(js_error)?)
}

/// How particles reach the canvas.
enum Display {
    /// Drawn by the render pipeline into the canvas's WebGPU context.
    Gpu(Box<GpuDisplay>),
    /// Rasterised on the CPU and put into the canvas's 2-D context.
    Cpu { context2d: CanvasRenderingContext2d },
}

/// The canvas's WebGPU device and the surface renderer that draws into it.
struct GpuDisplay {
    context: GpuContext,
    surface: SurfaceRenderer,
}

fn cpu_display(canvas: &HtmlCanvasElement) -> Result<Display, JsError> {
    let context2d = canvas
        .get_context("2d")
        .map_err(|_| js_error("the canvas refused a 2-D context"))?
        .ok_or_else(|| {
            js_error("the canvas already has a WebGPU context; create the CPU playground on a fresh canvas")
        })?
        .dyn_into::<CanvasRenderingContext2d>()
        .map_err(|_| js_error("the canvas returned an unexpected context"))?;
    Ok(Display::Cpu { context2d })
}

fn gpu_display(
    instance: &wgpu::Instance,
    context: GpuContext,
    canvas: &HtmlCanvasElement,
) -> Result<Display, JsError> {
    let surface = instance
        .create_surface(wgpu::SurfaceTarget::Canvas(canvas.clone()))
        .map_err(|e| js_error(GpuError::Surface(e.to_string())))?;
    let surface =
        SurfaceRenderer::new(&context, surface, canvas.width(), canvas.height()).map_err(js_error)?;
    Ok(Display::Gpu(Box::new(GpuDisplay { context, surface })))
}

/// The number a share link's text stands for (`app::link_number::parse_number`: ASCII
/// whitespace trimmed, at most `MAX_NUMBER_LENGTH` characters, a plain decimal number), or
/// undefined. The page reads every number of a link through it.
#[wasm_bindgen]
pub fn link_number(text: &str) -> Option<f64> {
    options::parse_number(text)
}

/// `text` without the ASCII whitespace a link's values are trimmed of
/// (`app::link_number::trim_link_whitespace`).
#[wasm_bindgen]
pub fn link_text(text: &str) -> String {
    options::trim_link_whitespace(text).to_string()
}

/// The rows of the measurement operator A in `text` (`app::measurement::parse_operator`),
/// flattened row by row, or undefined when `text` is not one.
#[wasm_bindgen]
pub fn measurement_operator(text: &str) -> Option<Vec<f64>> {
    measurement::parse_operator(text).ok().map(|rows| rows.concat())
}

/// The one or two measured values in `text` (`app::measurement::parse_values`), or undefined.
#[wasm_bindgen]
pub fn measurement_values(text: &str) -> Option<Vec<f64>> {
    measurement::parse_value_list(text)
}

/// The canonical text of the operator whose rows are `flat`, row by row
/// (`app::measurement::operator_text`).
#[wasm_bindgen]
pub fn measurement_operator_text(flat: &[f64]) -> String {
    let rows: Vec<[f64; 2]> = flat.chunks_exact(2).map(|r| [r[0], r[1]]).collect();
    measurement::operator_text(&rows)
}

/// The canonical text of measured values (`app::measurement::values_text`).
#[wasm_bindgen]
pub fn measurement_values_text(values: &[f64]) -> String {
    measurement::values_text(values)
}

/// `options` (any of the table's, each valid on its own) with the fields that depend on each
/// other made consistent, and a notice for each field changed (`app::condition::settle`):
/// `drawing_classes`, the class of each drawn point when a drawing is in use; `latest`, the
/// fields just set, which win a conflict.
#[wasm_bindgen(unchecked_return_type = "Settled")]
pub fn settle_options(
    #[wasm_bindgen(unchecked_param_type = "OptionValues")] options: JsValue,
    drawing_classes: Option<Vec<u32>>,
    latest: Vec<String>,
) -> Result<JsValue, JsError> {
    let options = Options::default().with_fields(&raw_options(&options)?).map_err(js_error)?;
    let latest: Vec<&str> = latest.iter().map(String::as_str).collect();
    to_js(&condition::settle(&options, drawing_classes.as_deref(), &latest))
}

/// The data file `bytes` called `name` (CSV or TSV, NumPy .npy, or the drawing JSON) as a
/// drawing: its points fitted into the picture and cut to a drawing's limit, their classes, and
/// a notice for each change (`app::data_file::load`); a file that cannot be read is refused with
/// what is wrong.
#[wasm_bindgen(unchecked_return_type = "LoadedData")]
pub fn load_data(bytes: &[u8], name: &str) -> Result<JsValue, JsError> {
    to_js(&data_file::load(bytes, name).map_err(js_error)?)
}

/// The fewest evaluations among a racer's laps (`evaluations[i]` with `distances[i]`) whose
/// distance is within `core::race::REACHED_FLOOR_FACTOR` of `floor`, or undefined when none is
/// (`race::evaluations_to_floor`).
#[wasm_bindgen]
pub fn evaluations_to_floor(evaluations: &[u32], distances: &[f64], floor: f64) -> Option<u32> {
    let laps: Vec<(usize, f64)> = evaluations.iter().zip(distances).map(|(&e, &d)| (e as usize, d)).collect();
    crate::core::race::evaluations_to_floor(&laps, floor).map(|e| e as u32)
}

/// The first `n` training pairs (data point, noise) of a run from `seed` on the drawing `points`
/// (classes `labels`) learning `objective` on `schedule` with `coupling`, interleaved x0.x, x0.y, eps.x,
/// eps.y (`TrainingPlan::first_pairs`): what the drawing panel draws.
#[wasm_bindgen]
pub fn training_pairs(
    points: &[f32],
    labels: &[u32],
    objective: &str,
    schedule: &str,
    coupling: &str,
    seed: u32,
    n: u32,
) -> Result<Vec<f32>, JsValue> {
    let learning = learning(objective, schedule, coupling)?;
    let batch = n.clamp(1, crate::app::training::MAX_TRAIN_BATCH);
    let plan = TrainingPlan::for_labelled_drawing(
        &self::points("points", points)?,
        labels,
        1,
        batch,
        seed,
        learning,
    )
    .map_err(js_error)?;
    Ok(plan.first_pairs(n))
}

/// The picture (or rendered word) called `name` as a drawing: the RGBA `pixels` of `width` x
/// `height` (at most `describe().drawing.max_picture_side` on a side), points drawn from their
/// ink and their colours as classes (`app::picture_data::from_pixels`).
#[wasm_bindgen(unchecked_return_type = "LoadedData")]
pub fn picture_data(pixels: &[u8], width: u32, height: u32, name: &str) -> Result<JsValue, JsError> {
    to_js(&picture_data::from_pixels(pixels, width, height, name).map_err(js_error)?)
}

/// The longest text read as a number (`app::link_number::MAX_NUMBER_LENGTH`).
#[wasm_bindgen]
pub fn link_number_max_length() -> u32 {
    options::MAX_NUMBER_LENGTH as u32
}

/// What the playground offers: choices with labels, numeric limits and default options
/// (`app::options::describe`).
#[wasm_bindgen(unchecked_return_type = "Description")]
pub fn describe() -> Result<JsValue, JsError> {
    to_js(&options::describe())
}

/// Checks an options object exactly as `Playground.create` does and returns the options it
/// would run with (defaults filled in); throws the same message, naming the field, otherwise.
#[wasm_bindgen(unchecked_return_type = "Options")]
pub fn validate_options(
    #[wasm_bindgen(unchecked_param_type = "OptionValues")] options: JsValue,
) -> Result<JsValue, JsError> {
    to_js(&Options::default().merged(&raw_options(&options)?).map_err(js_error)?)
}

/// The network and plan of a reverse run for peers in the benchmark (`app::peer_plan`).
#[wasm_bindgen(unchecked_return_type = "PeerPlan")]
pub fn peer_plan(
    #[wasm_bindgen(unchecked_param_type = "OptionValues")] options: JsValue,
) -> Result<JsValue, JsError> {
    let options = Options::default().merged(&raw_options(&options)?).map_err(js_error)?;
    to_js(&PeerPlan::for_options(&options).map_err(js_error)?)
}

/// `n` fresh samples of the built-in dataset `name` (interleaved x, y).
#[wasm_bindgen]
pub fn dataset_sample(name: &str, seed: u32, n: u32) -> Result<Vec<f32>, JsError> {
    let dataset = options_with(&[("dataset", name)])?.dataset;
    options::check_integer("n", n, 1, options::MAX_PARTICLES).map_err(js_error)?;
    Ok(flat(&dataset.sample(seed, n as usize)))
}

/// Total variation distance between a histogram of `total` particles and bin probabilities of
/// the same grid (`core::histogram::total_variation`).
#[wasm_bindgen]
pub fn total_variation(counts: &[u32], total: u32, probabilities: &[f32]) -> Result<f64, JsError> {
    options::check_length("probabilities", probabilities.len(), counts.len()).map_err(js_error)?;
    Ok(histogram::total_variation(counts, total as usize, probabilities))
}

/// The colours of the first `n` particles for `seed` (interleaved r, g, b in [0, 1]), as the
/// renderers draw them in `palette` (`render::particle_colour`): for layers that must match the
/// dots.
#[wasm_bindgen]
pub fn particle_colours(seed: u32, n: u32, palette: &str) -> Result<Vec<f32>, JsError> {
    let palette = options_with(&[("palette", palette)])?.palette;
    options::check_integer("n", n, 0, options::MAX_PARTICLES).map_err(js_error)?;
    Ok((0..n).flat_map(|i| render::particle_colour(seed, i, palette)).collect())
}

/// Sliced 2-Wasserstein distance between two point sets given as interleaved x, y arrays.
/// Particles `positions` (interleaved x, y) after step `step` as a file: "csv"
/// (`step,particle,x,y` lines) or "npy" (a float32 array of shape (particles, 2)), the formats of
/// dp-sample (`app::sample_files`).
#[wasm_bindgen]
pub fn particles_file(positions: &[f32], step: u32, format: &str) -> Result<Vec<u8>, JsError> {
    sample_files::particles_file(&[points("positions", positions)?], step as usize, format).map_err(js_error)
}

/// A fresh random seed from `crypto.getRandomValues` (`app::random_seed`).
#[wasm_bindgen]
pub fn random_seed() -> Result<u32, JsError> {
    crate::app::random_seed::random_seed().map_err(js_error)
}

#[wasm_bindgen]
pub fn sliced_wasserstein(a: &[f32], b: &[f32]) -> Result<f64, JsError> {
    Ok(metrics::sliced_wasserstein(&points("a", a)?, &points("b", b)?))
}

/// A network being trained on the CPU inside the wasm, a chunk of steps at a time
/// (`app::training::Training` on the CPU).
#[wasm_bindgen]
pub struct Trainer {
    inner: Training,
}

#[wasm_bindgen]
impl Trainer {
    /// A fresh network for the drawing `points` (interleaved x, y) whose point i has class
    /// `labels[i]` (empty: all the first), to train for `steps` Adam steps of `batch` examples
    /// from `seed`, learning the objective `objective` ("eps", "x0", "score", "velocity" or
    /// "edm_denoiser") on the schedule `schedule` with the coupling `coupling` ("independent",
    /// "ot" or "sb": `Learning::with_coupling`) (`TrainingPlan::for_labelled_drawing`: with
    /// points of two classes or more, a class-conditional network).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        points: &[f32],
        labels: &[u32],
        steps: u32,
        batch: u32,
        seed: u32,
        objective: &str,
        schedule: &str,
        coupling: &str,
    ) -> Result<Trainer, JsValue> {
        let learning = learning(objective, schedule, coupling)?;
        let plan = TrainingPlan::for_labelled_drawing(
            &self::points("points", points)?,
            labels,
            steps,
            batch,
            seed,
            learning,
        );
        Ok(Trainer { inner: Training::on_cpu(plan.map_err(js_error)?) })
    }

    /// A fresh network for the built-in dataset `name`, trained as `cargo xtask train` trains the
    /// embedded ones (`TrainingPlan::for_dataset`): what the benchmark times in the browser.
    pub fn for_dataset(name: &str, steps: u32, batch: u32, seed: u32) -> Result<Trainer, JsError> {
        let dataset = options_with(&[("dataset", name)])?.dataset;
        let plan = TrainingPlan::for_dataset(dataset, steps, batch, seed).map_err(js_error)?;
        Ok(Trainer { inner: Training::on_cpu(plan) })
    }

    /// Takes up to `n` more steps; returns their mean loss (NaN when the run is over).
    pub fn run(&mut self, n: u32) -> f32 {
        self.inner.run(n).ok().and_then(|ran| ran.mean_loss).unwrap_or(f32::NAN)
    }

    /// Steps taken so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> u32 {
        self.inner.step()
    }

    /// Steps of the run.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> u32 {
        self.inner.steps()
    }

    /// Every step's batch loss so far.
    pub fn losses(&self) -> Vec<f32> {
        self.inner.losses().to_vec()
    }
}

/// A network being trained on the playground's GPU (`app::training::Training` on the GPU), a
/// chunk of steps at a time.
#[wasm_bindgen]
pub struct GpuTraining {
    inner: Training,
}

#[wasm_bindgen]
impl GpuTraining {
    /// Queues up to `n` more Adam steps on the GPU; returns how many were queued.
    pub fn run(&mut self, n: u32) -> Result<u32, JsError> {
        Ok(self.inner.run(n).map_err(js_error)?.steps)
    }

    /// Steps queued so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> u32 {
        self.inner.step()
    }

    /// Steps of the run.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> u32 {
        self.inner.steps()
    }

    /// Resolves to the batch loss of the last step queued (waits for the GPU to get there).
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn loss(&self) -> js_sys::Promise {
        let pending = self.inner.loss();
        wasm_bindgen_futures::future_to_promise(async move {
            let values = pending.values().await.map_err(js_reject)?;
            Ok(JsValue::from_f64(training::batch_loss(&values) as f64))
        })
    }

    /// Resolves to the network's weights as trained so far (a Float32Array for `use_weights`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Float32Array>")]
    pub fn weights(&self) -> js_sys::Promise {
        let pending = self.inner.weights();
        wasm_bindgen_futures::future_to_promise(async move {
            let weights = pending.values().await.map_err(js_reject)?;
            Ok(js_sys::Float32Array::from(weights.as_slice()).into())
        })
    }

    /// The drawing it trains on (interleaved x, y).
    pub fn points(&self) -> Vec<f32> {
        flat(self.inner.points())
    }
}

/// A playground bound to one canvas.
#[wasm_bindgen]
pub struct Playground {
    pub(super) session: Session,
    canvas: HtmlCanvasElement,
    display: Display,
    backend_note: String,
    adapter_name: String,
    /// Started on the CPU for now (`app::backend::Decision::compare_paths`).
    paths_to_compare: bool,
}

#[wasm_bindgen]
impl Playground {
    /// Creates a playground on `canvas`. `options` may set any subset of the option table; the
    /// backend is chosen by `app::backend::decide`.
    pub async fn create(
        canvas: HtmlCanvasElement,
        #[wasm_bindgen(unchecked_param_type = "OptionValues")] options: JsValue,
    ) -> Result<Playground, JsValue> {
        console_error_panic_hook::set_once();
        let options = Options::default().merged(&raw_options(&options)?).map_err(option_error)?;
        let gpu = if backend::needs_probe(options.backend) { Some(try_gpu().await) } else { None };
        let probe =
            gpu.as_ref().map(|found| found.as_ref().map(|(_, c)| Adapter::of(c)).map_err(Clone::clone));
        let decision = backend::decide(options.backend, probe).map_err(js_error)?;
        let (display, particles, adapter_name) = match (decision.path, gpu) {
            (Path::Gpu, Some(Ok((instance, context)))) => {
                let engine = ComputeEngine::new(&context);
                let name = context.info.name.clone();
                let display = gpu_display(&instance, context, &canvas)?;
                (display, Particles::Gpu(Box::new(engine)), name)
            }
            _ => (cpu_display(&canvas)?, Particles::Cpu(Vec::new()), String::new()),
        };
        // Options the chosen path cannot run are refused with the field to fall back on.
        session::check_for_path(&options, matches!(particles, Particles::Gpu(_))).map_err(option_error)?;
        let session = Session::new(options, particles).map_err(js_error)?;
        Ok(Playground {
            session,
            canvas,
            display,
            backend_note: decision.note,
            adapter_name,
            paths_to_compare: decision.compare_paths,
        })
    }

    /// "webgpu" or "cpu".
    #[wasm_bindgen(getter)]
    pub fn backend(&self) -> String {
        if self.session.on_gpu() { "webgpu" } else { "cpu" }.into()
    }

    /// Why this backend was chosen, for a banner.
    #[wasm_bindgen(getter)]
    pub fn backend_note(&self) -> String {
        self.backend_note.clone()
    }

    /// True when the automatic choice started on the CPU provisionally (a software WebGPU
    /// adapter): the page should call [`compare_paths`] once the first frame is up.
    #[wasm_bindgen(getter)]
    pub fn paths_to_compare(&self) -> bool {
        self.paths_to_compare
    }

    /// Runs the WebGPU path's MLP kernels in `shape` (`Session::set_mlp_kernel_shape`).
    pub fn set_gpu_kernel_shape(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "MlpKernelConfig")] shape: JsValue,
    ) -> Result<(), JsError> {
        let shape: MlpKernelConfig = serde_wasm_bindgen::from_value(shape)
            .map_err(|e| js_error(format!("a kernel shape is {{ workgroup_size, weights }}: {e}")))?;
        self.session.set_mlp_kernel_shape(shape).map_err(js_error)
    }

    /// The WebGPU path's MLP kernel shape, "64 x f16 uniform (packed)" ("" on the CPU path).
    #[wasm_bindgen(getter)]
    pub fn gpu_kernel_shape(&self) -> String {
        self.session.mlp_kernel_shape().map(MlpKernelConfig::describe).unwrap_or_default()
    }

    /// Name of the WebGPU adapter ("" on the CPU path).
    #[wasm_bindgen(getter)]
    pub fn adapter_name(&self) -> String {
        self.adapter_name.clone()
    }

    /// Why the GPU device was lost, or `undefined` while it is fine.
    #[wasm_bindgen(getter)]
    pub fn device_lost(&self) -> Option<String> {
        match &self.display {
            Display::Gpu(gpu) => gpu.context.lost.reason(),
            Display::Cpu { .. } => None,
        }
    }

    fn check_device(&self) -> Result<(), JsError> {
        match self.device_lost() {
            Some(reason) => Err(js_error(format!(
                "the GPU device was lost ({reason}); reload the page, or create the playground with backend 'cpu'"
            ))),
            None => Ok(()),
        }
    }

    /// The full current options.
    #[wasm_bindgen(unchecked_return_type = "Options")]
    pub fn options(&self) -> Result<JsValue, JsError> {
        to_js(self.session.options())
    }

    /// Changes some options (validated; everything but point_size restarts the run).
    pub fn set_options(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "OptionValues")] options: JsValue,
    ) -> Result<(), JsError> {
        self.check_device()?;
        let next = self.session.options().merged(&raw_options(&options)?).map_err(js_error)?;
        self.session.set_options(next).map_err(js_error)
    }

    /// Changes whenever the options or what is sampled change (a dataset, a drawing, a trained
    /// network), and differs between playgrounds: a cache key for what the views derive.
    #[wasm_bindgen(getter)]
    pub fn revision(&self) -> f64 {
        self.session.revision() as f64
    }

    /// Particles back to the prior noise; the run restarts.
    pub fn reset(&mut self) -> Result<(), JsError> {
        self.check_device()?;
        self.session.reset().map_err(js_error)
    }

    /// Starts the run from `positions` (interleaved x, y, one point per particle, each finite
    /// and within the runaway limit: `Session::start_from`), at the start of the time range.
    pub fn start_from(&mut self, positions: &[f32]) -> Result<(), JsError> {
        self.check_device()?;
        self.session.start_from(&points("positions", positions)?).map_err(js_error)
    }

    /// Shows forward-noised data at the fraction `t` in [0, 1] of the time range.
    pub fn noise_to(&mut self, t: f64) -> Result<(), JsError> {
        self.check_device()?;
        self.session.noise_to(t).map_err(js_error)
    }

    /// Advances the reverse run by up to `n` steps; returns the number taken (0 when done).
    /// Throws an `Error` whose `kind` is `"diverged"` when the run was stopped because particles
    /// left the finite range (`Session::diverged`), or a plain `Error` when the step failed.
    pub fn step(&mut self, n: u32) -> Result<u32, JsValue> {
        self.check_device()?;
        self.session.step(n).map_err(|message| match self.session.diverged() {
            true => kinded_error(&message, "diverged"),
            false => js_error(message).into(),
        })
    }

    /// Draws the particles onto the canvas.
    pub fn render(&mut self) -> Result<(), JsError> {
        self.check_device()?;
        let (width, height) = (self.canvas.width(), self.canvas.height());
        if width == 0 || height == 0 {
            return Ok(());
        }
        let options = self.session.options();
        let view =
            View { dot_radius_px: options.point_size as f32, palette: options.palette, ..View::default() };
        let seed = options.seed;
        match &mut self.display {
            Display::Cpu { context2d } => {
                let particles = self.session.cpu_particles().unwrap_or(&[]);
                let pixels = render::rasterize(particles, seed, &view, width, height);
                let image =
                    web_sys::ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), width, height)
                        .map_err(|_| js_error("could not create the image for the canvas"))?;
                context2d
                    .put_image_data(&image, 0.0, 0.0)
                    .map_err(|_| js_error("could not draw onto the canvas"))?;
            }
            Display::Gpu(gpu) => {
                let GpuDisplay { context, surface } = gpu.as_mut();
                surface
                    .draw(context, self.session.engine(), &view, (width, height), seed)
                    .map_err(js_error)?;
            }
        }
        Ok(())
    }

    /// The current run's paths for the first `particles` particles as a file, "csv" or "npy"
    /// (shape (steps + 1, particles, 2)), replayed on the CPU (`Session::trajectory_file`).
    pub fn trajectory_file(&self, particles: u32, format: &str) -> Result<Vec<u8>, JsError> {
        self.session.trajectory_file(particles, format).map_err(js_error)
    }

    /// Copies the positions back (interleaved x, y): all of them, or the first `limit` (the
    /// trajectories layer reads a few every frame; a full read is for tests and export).
    pub fn read_positions(&self, limit: Option<u32>) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let limit = limit.map_or(usize::MAX, |n| n as usize);
        let pending = self.session.read_first_positions(limit).map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let points = pending.positions().await.map_err(js_reject)?;
            Ok(js_sys::Float32Array::from(flat(&points).as_slice()).into())
        }))
    }

    /// What the score source predicts now at the first `limit` particles, in the parametrization
    /// `target`: "x0" (the Tweedie denoised ghost of each particle), "eps", "score" or "velocity".
    /// Resolves to a Float32Array of 4 numbers per particle: x, y, then the prediction's two
    /// coordinates. Rejects any other target with a message listing the allowed ones.
    pub fn predict(&self, target: &str, limit: u32) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let parametrization =
            options::check_choice("target", target, &Parametrization::ALL, Parametrization::name)
                .map_err(js_error)?;
        let pending = self.session.predict(parametrization, limit as usize).map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let (positions, predictions) = pending.get().await.map_err(js_reject)?;
            let flat: Vec<f32> =
                positions.iter().zip(&predictions).flat_map(|(x, p)| [x[0], x[1], p[0], p[1]]).collect();
            Ok(js_sys::Float32Array::from(flat.as_slice()).into())
        }))
    }

    /// Counts of the particles in a `side` x `side` grid over the picture ([-3, 3]^2, row 0 at
    /// the top), counted on the GPU where the particles are there: a Uint32Array.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint32Array>")]
    pub fn histogram(&self, side: u32) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let bins = Bins { side, half_extent: render::DEFAULT_HALF_EXTENT };
        let pending = self.session.histogram(&bins).map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let counts = pending.counts().await.map_err(js_reject)?;
            Ok(js_sys::Uint32Array::from(counts.as_slice()).into())
        }))
    }

    /// Resolves, once the GPU has finished the work queued so far, to why the run must stop
    /// (some particles left the finite range: `Session::divergence`), or null. On the CPU path
    /// `step` throws that at once, and this resolves to null.
    #[wasm_bindgen(unchecked_return_type = "Promise<string | null>")]
    pub fn divergence(&self) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let pending = self.session.divergence().map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let message = pending.message().await.map_err(js_reject)?;
            Ok(message.map_or(JsValue::NULL, |m| JsValue::from_str(&m)))
        }))
    }

    /// The exact probability of each bin of the same grid under p_t of what is sampled (the
    /// drawing's distribution when one is in use) at time `t` in the schedule's own units
    /// (`Session::exact_probabilities`).
    pub fn exact_probabilities(&self, t: f64, side: u32) -> Result<Vec<f32>, JsError> {
        self.session.exact_probabilities(t, side).map_err(js_error)
    }

    /// The distance readout for `positions` (interleaved x, y): `{ distance, floor }`, the sliced
    /// Wasserstein distance to as many fresh points of what is sampled, and that of a second
    /// sample (`Session::distance_to_data`).
    #[wasm_bindgen(unchecked_return_type = "Distance")]
    pub fn distance_to_data(&self, positions: &[f32]) -> Result<JsValue, JsError> {
        to_js(&self.session.distance_to_data(&points("positions", positions)?).map_err(js_error)?)
    }

    /// The conditional paths of flow matching and the marginal trajectories of the run and of
    /// the exact flow for the first `paths` particles (`Session::path_comparison`); refused
    /// (field `sampler`) for a run that draws noise.
    #[wasm_bindgen(unchecked_return_type = "PathComparison")]
    pub fn path_comparison(&self, paths: u32) -> Result<JsValue, JsValue> {
        let picture = self.session.path_comparison(paths).map_err(option_error)?;
        Ok(to_js(&picture)?)
    }

    /// Whether the current run draws noise (`Session::draws_noise`): a network trained with an
    /// OT or bridge coupling, which has no score, cannot run it.
    pub fn draws_noise(&self) -> bool {
        self.session.draws_noise()
    }

    /// The straightness readout of the current run's first `paths` paths, and of the exact
    /// flow's from the same start, replayed on the CPU (`Session::straightness`); refused (field
    /// `sampler`) for a run that draws noise.
    #[wasm_bindgen(unchecked_return_type = "StraightnessView")]
    pub fn straightness(&self, paths: u32) -> Result<JsValue, JsValue> {
        let view = self.session.straightness(paths).map_err(option_error)?;
        Ok(to_js(&view)?)
    }

    /// One lap of the sampler race: the racer `{ sampler, eta?, churn?, ..., posterior? }`
    /// (checked by the options table over the playground's own) carries `particles` prior samples
    /// to what is sampled with about `budget` evaluations of the playground's score, or with
    /// `posterior` conditioned by that method on the playground's measurement
    /// (`Session::racer_lap`). Returns `{ steps, evaluations, distance, particles, floor }`.
    #[wasm_bindgen(unchecked_return_type = "RaceLap")]
    pub fn race_lap(
        &self,
        #[wasm_bindgen(unchecked_param_type = "OptionValues")] racer: JsValue,
        budget: u32,
        particles: u32,
    ) -> Result<JsValue, JsError> {
        to_js(&self.session.racer_lap(&raw_options(&racer)?, budget, particles).map_err(js_error)?)
    }

    /// `race_lap` run on the teacher of the drawing's network, the flow a reflow or a
    /// distillation here trained it from, from the same noise (`Session::racer_lap_on_teacher`);
    /// refused when neither trained it here.
    #[wasm_bindgen(unchecked_return_type = "RaceLap")]
    pub fn race_lap_on_teacher(
        &self,
        #[wasm_bindgen(unchecked_param_type = "OptionValues")] racer: JsValue,
        budget: u32,
        particles: u32,
    ) -> Result<JsValue, JsError> {
        to_js(&self.session.racer_lap_on_teacher(&raw_options(&racer)?, budget, particles).map_err(js_error)?)
    }

    /// How the network in use paired noise with data when it was trained (`core::coupling`:
    /// "independent", "ot", "sb", "reflow" or "consistency").
    pub fn network_coupling(&self) -> String {
        self.session.net().coupling.name().to_string()
    }

    /// How the drawing's network was trained from a teacher kept beside it ("reflow" or
    /// "consistency", the race then also runs the teacher: `race_lap_on_teacher`), or undefined
    /// when it has none.
    pub fn teacher_coupling(&self) -> Option<String> {
        self.session.teacher_flow().map(|_| self.session.net().coupling.name().to_string())
    }

    /// The log-likelihood of `points` (interleaved x, y; 1 to 16,384) under the playground's
    /// model by the probability-flow ODE with the deterministic sampler `solver` in `steps` steps
    /// on the time grid `grid` (on the GPU when the particles are there), next to the exact log-density of what is
    /// sampled (`Session::likelihood`). Resolves to `{ solver, steps, evaluations, data_time,
    /// log_p, exact_log_p, model, exact, histogram }`; refused while the run is guided.
    #[wasm_bindgen(unchecked_return_type = "Promise<LikelihoodView>")]
    pub fn likelihood(
        &self,
        solver: &str,
        grid: &str,
        steps: u32,
        points: &[f32],
    ) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let points = self::points("points", points)?;
        let pending = self
            .session
            .likelihood_where_particles_are(solver, grid, steps, PriorChoice::Gaussian, &points)
            .map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let view = pending.view().await.map_err(js_reject)?;
            view.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_reject)
        }))
    }

    /// `n` fresh points of what is sampled (the likelihood panel's test set), interleaved x, y.
    pub fn likelihood_data(&self, n: u32) -> Result<Vec<f32>, JsError> {
        Ok(flat(&self.session.likelihood_data(n).map_err(js_error)?))
    }

    /// The variational bound of the discrete chain of the playground's schedule on the time grid
    /// `grid` in `steps` steps, averaged over `points` with `draws` Monte Carlo draws per latent
    /// (`Session::elbo`): `{ latent_times, prior, transitions, reconstruction, elbo,
    /// standard_error, bits_per_dimension, exact_log_p }`, in nats.
    #[wasm_bindgen(unchecked_return_type = "ElboView")]
    pub fn elbo(&self, grid: &str, steps: u32, points: &[f32], draws: u32) -> Result<JsValue, JsError> {
        to_js(&self.session.elbo(grid, steps, &self::points("points", points)?, draws).map_err(js_error)?)
    }

    /// ||eps_theta - eps*||^2 of the network in use against the exact noise of what is sampled
    /// on a `side` x `side` grid over the picture at time `t` (`Session::model_error_field`).
    pub fn model_error_field(&self, t: f64, side: u32) -> Result<Vec<f32>, JsError> {
        self.session.model_error_field(t, side).map_err(js_error)
    }

    /// The denoising loss of the network in use at `count` times along the time slider, split
    /// into `{ t, network_error, irreducible, loss }` (`Session::loss_profile`).
    #[wasm_bindgen(unchecked_return_type = "LossAtTime[]")]
    pub fn loss_profile(&self, samples: u32, count: u32) -> Result<JsValue, JsError> {
        to_js(&self.session.loss_profile(samples, count).map_err(js_error)?)
    }

    /// The 1-D space-time view (docs/theory.md) for what is sampled (`Session::space_time`).
    #[wasm_bindgen(unchecked_return_type = "SpaceTime")]
    pub fn space_time(&self) -> Result<JsValue, JsError> {
        to_js(&self.session.space_time())
    }

    /// The schedule lab's curves for the playground's schedule, time grid and steps, with
    /// `samples` points per curve (`Session::schedule_curves`).
    #[wasm_bindgen(unchecked_return_type = "ScheduleCurves")]
    pub fn schedule_curves(&self, samples: u32) -> Result<JsValue, JsError> {
        to_js(&self.session.schedule_curves(samples).map_err(js_error)?)
    }

    /// Replaces the dataset by the drawing `points` (interleaved x, y; at most 512 inside the
    /// picture) whose point i has class `labels[i]` (an index of `describe().drawing.classes`;
    /// empty: all the first), with its exact score; the score option must be "exact" or
    /// "empirical" until a network is trained (`use_trainer`). A guided run keeps its guidance,
    /// toward the drawing's first class unless its class is one of the drawing's (read
    /// `options()` back). Restarts the run.
    pub fn use_drawing(&mut self, points: &[f32], labels: &[u32]) -> Result<(), JsError> {
        self.check_device()?;
        self.session.use_labelled_drawing(&self::points("points", points)?, labels, None).map_err(js_error)
    }

    /// A CPU trainer of the next rectified flow of the drawing in use (reflow, Liu et al. 2022):
    /// `pairs` pairs of the drawing's trained flow, then `steps` Adam steps of `batch` examples
    /// from `seed` on them (`TrainingPlan::reflow_of`); refused, naming what is missing, without
    /// a drawing's unconditional flow.
    pub fn reflow_trainer(&self, steps: u32, batch: u32, seed: u32, pairs: u32) -> Result<Trainer, JsValue> {
        let plan = TrainingPlan::reflow_of(&self.session, steps, batch, seed, pairs).map_err(option_error)?;
        Ok(Trainer { inner: Training::on_cpu(plan) })
    }

    /// A CPU trainer that distills the drawing's flow into a one-step generator (consistency
    /// distillation, Song et al. 2023, Alg. 2): `steps` Adam steps of `batch` examples from
    /// `seed` (`TrainingPlan::distillation_of`); it runs on the CPU whatever the backend. Refused,
    /// naming what is missing, without a drawing's unconditional flow.
    pub fn distillation_trainer(&self, steps: u32, batch: u32, seed: u32) -> Result<Trainer, JsValue> {
        let plan = TrainingPlan::distillation_of(&self.session, steps, batch, seed).map_err(option_error)?;
        Ok(Trainer { inner: Training::on_cpu(plan) })
    }

    /// `reflow_trainer` on this playground's GPU (WebGPU backend only).
    pub fn gpu_reflow_training(
        &self,
        steps: u32,
        batch: u32,
        seed: u32,
        pairs: u32,
    ) -> Result<GpuTraining, JsValue> {
        let context = self.training_context()?;
        let plan = TrainingPlan::reflow_of(&self.session, steps, batch, seed, pairs).map_err(option_error)?;
        Ok(GpuTraining { inner: Training::on_gpu(context, plan).map_err(js_error)? })
    }

    /// Replaces the dataset by `gpu`'s drawing with the network of `weights` (from its
    /// `weights()`), which learned what its plan says (objective, schedule, coupling). Restarts the run.
    pub fn use_gpu_weights(&mut self, gpu: &GpuTraining, weights: Vec<f32>) -> Result<(), JsValue> {
        self.check_device()?;
        let plan = gpu.inner.plan();
        let (mlp, embedding) = training::trained_from_weights(weights).map_err(js_error)?;
        let net = training::drawn_network(mlp, embedding, plan.learning());
        Ok(self.session.use_planned_drawing(plan, Some(net)).map_err(js_error)?)
    }

    /// Replaces the dataset by the trainer's drawing and its network as trained so far (the
    /// learned score then samples the drawing; a class-conditional one can guide without a
    /// classifier). Restarts the run.
    pub fn use_trainer(&mut self, trainer: &Trainer) -> Result<(), JsError> {
        self.check_device()?;
        self.session.use_trained_drawing(&trainer.inner).map_err(js_error)
    }

    /// The classes a run may be guided toward, `[{ name, label }]`: the dataset's, or the
    /// stroke classes the drawing in use has points of.
    #[wasm_bindgen(unchecked_return_type = "DataClass[]")]
    pub fn guidable_classes(&self) -> Result<JsValue, JsError> {
        to_js(&self.session.guidable_classes())
    }

    /// The class of each drawn point in use, or undefined when the dataset is a built-in one.
    pub fn drawing_labels(&self) -> Option<Vec<u32>> {
        self.session.drawing_labels().map(|labels| labels.iter().map(|&l| l as u32).collect())
    }

    /// Starts training a fresh network on the drawing `points` on this playground's GPU (WebGPU
    /// backend only): `steps` Adam steps of `batch` examples from `seed`, as `Trainer` does on
    /// the CPU. Errors on the CPU backend.
    // The same arguments as `Trainer`'s constructor, which JavaScript calls the same way.
    #[allow(clippy::too_many_arguments)]
    pub fn gpu_training(
        &self,
        points: &[f32],
        labels: &[u32],
        steps: u32,
        batch: u32,
        seed: u32,
        objective: &str,
        schedule: &str,
        coupling: &str,
    ) -> Result<GpuTraining, JsValue> {
        let context = self.training_context()?;
        let learning = learning(objective, schedule, coupling)?;
        let plan = TrainingPlan::for_labelled_drawing(
            &self::points("points", points)?,
            labels,
            steps,
            batch,
            seed,
            learning,
        );
        Ok(GpuTraining { inner: Training::on_gpu(context, plan.map_err(js_error)?).map_err(js_error)? })
    }

    /// Starts training a fresh network on the built-in dataset `name` on this playground's GPU,
    /// with the embedded networks' recipe (see `Trainer.for_dataset`): what the benchmark times.
    pub fn gpu_training_dataset(
        &self,
        name: &str,
        steps: u32,
        batch: u32,
        seed: u32,
    ) -> Result<GpuTraining, JsError> {
        let context = self.training_context()?;
        let dataset = options_with(&[("dataset", name)])?.dataset;
        let plan = TrainingPlan::for_dataset(dataset, steps, batch, seed).map_err(js_error)?;
        Ok(GpuTraining { inner: Training::on_gpu(context, plan).map_err(js_error)? })
    }

    /// The GPU that trains: this playground's WebGPU device; errors on the CPU backend or a lost
    /// device.
    fn training_context(&self) -> Result<&GpuContext, JsError> {
        self.check_device()?;
        match &self.display {
            Display::Gpu(display) => Ok(&display.context),
            Display::Cpu { .. } => {
                Err(js_error("training on the GPU needs the WebGPU backend; this playground runs on the CPU"))
            }
        }
    }

    /// Replaces the dataset by the drawing `points` (classes `labels`) with a network of
    /// `weights` trained on it (from `GpuTraining.weights()`: a class-conditional network's
    /// embedding rows follow its weights), which learned `objective` on `schedule`. Restarts
    /// the run.
    pub fn use_weights(
        &mut self,
        points: &[f32],
        labels: &[u32],
        weights: Vec<f32>,
        objective: &str,
        schedule: &str,
        coupling: &str,
    ) -> Result<(), JsValue> {
        self.check_device()?;
        let points = self::points("points", points)?;
        let learning = learning(objective, schedule, coupling)?;
        let (mlp, embedding) = training::trained_from_weights(weights).map_err(js_error)?;
        let net = training::drawn_network(mlp, embedding, learning);
        Ok(self.session.use_labelled_drawing(&points, labels, Some(net)).map_err(js_error)?)
    }

    /// The run as a runnable NumPy script (`app::python_export`), with the page's share link
    /// `origin` in its header; a posterior method it cannot write out is refused by name.
    pub fn python_script(&self, origin: &str) -> Result<String, JsError> {
        python_export::script(&self.session, origin).map_err(js_error)
    }

    /// The file name the script is offered under.
    pub fn python_script_name(&self) -> String {
        python_export::file_name(&self.session)
    }

    /// The network in use as a safetensors file (`core::safetensors_net`; `docs/weights.md`).
    pub fn network_file(&self) -> Vec<u8> {
        self.session.network_file()
    }

    /// Uses the network in the safetensors `bytes` (at most 1 MiB) in place of the embedded one
    /// (`Session::use_network`; on the file's dataset where it names one, else the playground's).
    /// Returns `{ parametrization, schedule, dataset }` of the file (dataset null when it names
    /// none); a malformed file is refused with what is wrong and the current network is kept.
    #[wasm_bindgen(unchecked_return_type = "LoadedNetwork")]
    pub fn use_network_file(&mut self, bytes: &[u8]) -> Result<JsValue, JsError> {
        self.check_device()?;
        to_js(&self.session.use_network_file(bytes).map_err(js_error)?)
    }

    /// The network in use as a share link carries it (`Session::network_link_bytes`: half
    /// floats, 11,076 bytes), or undefined for an embedded network.
    pub fn network_link(&self) -> Option<Vec<u8>> {
        self.session.network_link_bytes()
    }

    /// Uses the network of a share link (`Session::use_network_link_bytes`): the drawing's when
    /// one is in use, else in place of the embedded one. Returns `{ parametrization, schedule,
    /// dataset }`; malformed bytes are refused with what is wrong and the network kept.
    #[wasm_bindgen(unchecked_return_type = "LoadedNetwork")]
    pub fn use_network_link(&mut self, bytes: &[u8]) -> Result<JsValue, JsError> {
        self.check_device()?;
        to_js(&self.session.use_network_link_bytes(bytes).map_err(js_error)?)
    }

    /// The drawn points in use (interleaved x, y), or undefined when the dataset is a built-in one.
    pub fn drawing(&self) -> Option<Vec<f32>> {
        self.session.drawing_points().map(flat)
    }

    /// Time of the particles now.
    #[wasm_bindgen(getter)]
    pub fn current_t(&self) -> f64 {
        self.session.current_t()
    }

    /// Time of the particles as a fraction of the schedule's time range (for a 0..1 slider).
    #[wasm_bindgen(getter)]
    pub fn time_fraction(&self) -> f64 {
        self.session.time_fraction()
    }

    /// The effective sample size of an SMC run (`posterior` smc) after its latest step, as a
    /// fraction of the particles; NaN for other runs.
    #[wasm_bindgen(getter)]
    pub fn smc_ess(&self) -> f64 {
        self.session.smc_state().map_or(f64::NAN, |s| s.latest_ess())
    }

    /// How many times an SMC run has resampled its particles (0 for other runs).
    #[wasm_bindgen(getter)]
    pub fn smc_resamplings(&self) -> u32 {
        self.session.smc_state().map_or(0, |s| s.resamplings as u32)
    }

    /// Network evaluations per particle so far in this run (two per step for Heun and DPM-Solver++ 2S).
    #[wasm_bindgen(getter)]
    pub fn evaluations(&self) -> u32 {
        self.session.evaluations() as u32
    }

    /// Resolves when the GPU has finished all work submitted so far (immediately on the CPU path):
    /// lets the page pace its animation without reading particles back.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn gpu_idle(&self) -> js_sys::Promise {
        let (sender, receiver) = futures_channel::oneshot::channel::<()>();
        match &self.display {
            Display::Gpu(gpu) => gpu.context.queue.on_submitted_work_done(move || {
                let _ = sender.send(());
            }),
            Display::Cpu { .. } => {
                let _ = sender.send(());
            }
        }
        wasm_bindgen_futures::future_to_promise(async move {
            receiver.await.map_err(|_| js_reject("the GPU device went away"))?;
            Ok(JsValue::UNDEFINED)
        })
    }

    /// Steps done in the current run.
    #[wasm_bindgen(getter)]
    pub fn step_index(&self) -> u32 {
        self.session.step_index() as u32
    }

    /// Steps of the current run.
    #[wasm_bindgen(getter)]
    pub fn total_steps(&self) -> u32 {
        self.session.total_steps() as u32
    }

    /// True when the run has reached t = 0.
    #[wasm_bindgen(getter)]
    pub fn done(&self) -> bool {
        self.session.done()
    }
}
