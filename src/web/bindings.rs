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
use crate::app::kernel_tuning;
use crate::app::measurement;
use crate::app::options::{self, OptionError, Options, RawOptions, RawValue};
use crate::app::session::{self, Particles, Session};
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
pub(super) fn option_error(e: OptionError) -> JsValue {
    let error = js_sys::Error::new(&e.to_string());
    for (key, value) in [("field", &e.field), ("value", &e.value), ("allowed", &e.allowed)] {
        // Setting a property of a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&error, &JsValue::from_str(key), &JsValue::from_str(value));
    }
    error.into()
}

/// A JavaScript `Error` with `message` whose `kind` says what happened, so the page can tell it
/// apart from a failure without reading the message.
pub(super) fn kinded_error(message: &str, kind: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property of a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &JsValue::from_str("kind"), &JsValue::from_str(kind));
    error.into()
}

/// A rejected promise's value with `message`.
pub(super) fn js_reject(message: impl std::fmt::Display) -> JsValue {
    JsValue::from(js_error(message))
}

pub(super) fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsError> {
    value.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_error)
}

pub(super) fn raw_options(value: &JsValue) -> Result<RawOptions, JsError> {
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

pub(super) fn points(name: &str, flat: &[f32]) -> Result<Vec<[f32; 2]>, JsError> {
    options::check_points(name, flat).map_err(js_error)
}

pub(super) fn flat(points: &[[f32; 2]]) -> Vec<f32> {
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

/// The colours of the first `n` particles for `seed` (interleaved r, g, b in [0, 1]), as the
/// renderers draw them in `palette` (`render::particle_colour`): for layers that must match the
/// dots.
#[wasm_bindgen]
pub fn particle_colours(seed: u32, n: u32, palette: &str) -> Result<Vec<f32>, JsError> {
    let palette = options_with(&[("palette", palette)])?.palette;
    options::check_integer("n", n, 0, options::MAX_PARTICLES).map_err(js_error)?;
    Ok((0..n).flat_map(|i| render::particle_colour(seed, i, palette)).collect())
}

/// A fresh random seed from `crypto.getRandomValues` (`app::random_seed`).
#[wasm_bindgen]
pub fn random_seed() -> Result<u32, JsError> {
    crate::app::random_seed::random_seed().map_err(js_error)
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

    pub(super) fn check_device(&self) -> Result<(), JsError> {
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

    /// Whether the current run draws noise (`Session::draws_noise`): a network trained with an
    /// OT or bridge coupling, which has no score, cannot run it.
    pub fn draws_noise(&self) -> bool {
        self.session.draws_noise()
    }

    /// The network in use as a share link carries it (`Session::network_link_bytes`: half
    /// floats, 11,076 bytes), or undefined for an embedded network.
    pub fn network_link(&self) -> Option<Vec<u8>> {
        self.session.network_link_bytes()
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

#[cfg(feature = "full")]
impl Playground {
    /// The GPU that trains: this playground's WebGPU device; errors on the CPU backend or a lost
    /// device.
    pub(super) fn training_context(&self) -> Result<&GpuContext, JsError> {
        self.check_device()?;
        match &self.display {
            Display::Gpu(display) => Ok(&display.context),
            Display::Cpu { .. } => {
                Err(js_error("training on the GPU needs the WebGPU backend; this playground runs on the CPU"))
            }
        }
    }
}
