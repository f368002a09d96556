//! The wasm-bindgen surface: one `Playground` handle built by an async factory, plus a few free
//! functions for tests and export. Every failure becomes a JS `Error` with a clear message.
//! Keep in sync with the calls in `www/js/main.js`.

use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::Clamped;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

use crate::core::dataset::Dataset;
use crate::core::drawing;
use crate::core::histogram::{self, Bins};
use crate::core::mlp::Mlp;
use crate::core::param::Parametrization;
use crate::core::render::{self, View};
use crate::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use crate::core::schedule::Schedule;
use crate::core::space_time::{self, SpaceTimeSize};
use crate::core::timesteps::TimeGrid;
use crate::core::train;
use crate::core::{embedded, metrics, race};
use crate::gpu::{context, ComputeEngine, DrawParams, GpuContext, GpuTrainer, ParticleRenderer, ScoreKind};
use crate::web::options::{self, BackendChoice, Options, RawOptions};
use crate::web::peer_plan::PeerPlan;
use crate::web::session::{self, Particles, Session};

/// Particles of the start-up race between a software WebGPU adapter and the CPU.
const CALIBRATION_PARTICLES: usize = 4096;
/// Timed reverse steps of that race.
const CALIBRATION_STEPS: u32 = 4;

fn js_error(message: impl std::fmt::Display) -> JsError {
    JsError::new(&message.to_string())
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

fn now_ms() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

/// How particles reach the canvas.
enum Display {
    /// Drawn by the render pipeline into the canvas's WebGPU context.
    Gpu(Box<GpuDisplay>),
    /// Rasterised on the CPU and put into the canvas's 2-D context.
    Cpu { context2d: CanvasRenderingContext2d },
}

/// The canvas's WebGPU context and the pipeline that draws into it.
struct GpuDisplay {
    context: GpuContext,
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    renderer: ParticleRenderer,
}

/// A playground bound to one canvas.
#[wasm_bindgen]
pub struct Playground {
    session: Session,
    canvas: HtmlCanvasElement,
    display: Display,
    backend_note: String,
    adapter_name: String,
    /// Started on the CPU for now: the automatic choice met a software adapter, and the page is
    /// to time both paths with [`compare_paths`] and switch when WebGPU wins.
    paths_to_compare: bool,
}

/// Why the GPU path was not taken, or `Ok` with a device when it was.
async fn try_gpu() -> Result<(wgpu::Instance, GpuContext), String> {
    let has_webgpu = web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w.navigator(), &JsValue::from_str("gpu")).ok())
        .is_some_and(|gpu| !gpu.is_undefined() && !gpu.is_null());
    if !has_webgpu {
        return Err("WebGPU is not available in this browser (navigator.gpu is missing)".into());
    }
    let instance = context::instance();
    let context = context::request_context(&instance, None).await.map_err(|e| match e {
        crate::gpu::GpuError::NoAdapter(_) => {
            "this browser has WebGPU but offered no graphics adapter".to_string()
        }
        other => other.to_string(),
    })?;
    Ok((instance, context))
}

/// Times the same reverse steps on the GPU and on the CPU; returns evaluations per second of each.
async fn calibrate(engine: &mut ComputeEngine) -> Result<(f64, f64), String> {
    let net = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).map_err(|e| e.to_string())?;
    let schedule = Schedule::VpLinear;
    let times =
        TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 1 + CALIBRATION_STEPS as usize);
    let plan = sampler::plan(
        schedule,
        NetFrame::eps(schedule),
        &SamplerSettings::new(Sampler::EulerMaruyama),
        &times,
    );
    let biases = sampler::hidden_biases(&net.mlp, &plan);
    let points = sampler::prior(schedule, schedule.t_max(), 0, CALIBRATION_PARTICLES);
    engine.set_weights(&net.mlp);
    engine.set_data(&points).map_err(|e| e.to_string())?;
    engine.set_plan(&plan, &biases);
    // Warm-up (pipeline compilation, first submit), then the timed run.
    engine.reverse(ScoreKind::Mlp, 0, 0, 1).map_err(|e| e.to_string())?;
    engine.read_particles().map_err(|e| e.to_string())?.bytes().await.map_err(|e| e.to_string())?;
    let started = now_ms();
    engine.reverse(ScoreKind::Mlp, 0, 1, CALIBRATION_STEPS).map_err(|e| e.to_string())?;
    engine.read_particles().map_err(|e| e.to_string())?.bytes().await.map_err(|e| e.to_string())?;
    let gpu_ms = (now_ms() - started).max(0.01);
    let mut cpu_points = points;
    let mut history = vec![[0.0; 2]; cpu_points.len()];
    let started = now_ms();
    sampler::run(ScoreSource::Mlp(&net.mlp), &plan[1..], &mut cpu_points, &mut history, 0, 0);
    let cpu_ms = (now_ms() - started).max(0.01);
    let evaluations = (CALIBRATION_PARTICLES as f64) * CALIBRATION_STEPS as f64;
    Ok((evaluations / gpu_ms * 1e3, evaluations / cpu_ms * 1e3))
}

/// What [`compare_paths`] measured.
#[derive(Serialize)]
struct PathComparison {
    /// The adapter, described.
    adapter: String,
    /// Whether it is a software emulation.
    software: bool,
    /// Network evaluations per second on WebGPU.
    gpu_evaluations_per_second: f64,
    /// Network evaluations per second on the CPU inside the wasm.
    cpu_evaluations_per_second: f64,
}

/// Times the same reverse steps on this browser's WebGPU adapter and on the CPU (a second or so on
/// a software adapter: the page calls it after its first frame when the automatic choice started
/// on the CPU). Resolves to `{ adapter, software, gpu_evaluations_per_second,
/// cpu_evaluations_per_second }`; rejects when there is no WebGPU adapter.
#[wasm_bindgen]
pub async fn compare_paths() -> Result<JsValue, JsError> {
    let (_instance, context) = try_gpu().await.map_err(js_error)?;
    let mut engine = ComputeEngine::new(&context);
    let (gpu_rate, cpu_rate) = calibrate(&mut engine).await.map_err(js_error)?;
    to_js(&PathComparison {
        adapter: context.describe(),
        software: context.is_software(),
        gpu_evaluations_per_second: gpu_rate,
        cpu_evaluations_per_second: cpu_rate,
    })
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
) -> Result<Display, String> {
    let surface = instance
        .create_surface(wgpu::SurfaceTarget::Canvas(canvas.clone()))
        .map_err(|e| format!("the canvas could not be set up for WebGPU: {e}"))?;
    let caps = surface.get_capabilities(&context.adapter);
    // Colours are computed in display space, so prefer a non-sRGB format.
    let format = caps
        .formats
        .iter()
        .copied()
        .find(|f| !f.is_srgb())
        .or_else(|| caps.formats.first().copied())
        .ok_or("the canvas supports no texture format for this adapter")?;
    let config = wgpu::SurfaceConfiguration {
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
        format,
        color_space: wgpu::SurfaceColorSpace::Auto,
        width: canvas.width().max(1),
        height: canvas.height().max(1),
        present_mode: wgpu::PresentMode::Fifo,
        desired_maximum_frame_latency: 2,
        alpha_mode: wgpu::CompositeAlphaMode::Auto,
        view_formats: vec![],
    };
    surface.configure(&context.device, &config);
    let renderer = ParticleRenderer::new(&context.device, &context.queue, format);
    Ok(Display::Gpu(Box::new(GpuDisplay { context, surface, config, renderer })))
}

#[derive(Serialize)]
struct Choice {
    name: &'static str,
    label: &'static str,
}

#[derive(Serialize)]
struct Range<T> {
    min: T,
    max: T,
}

#[derive(Serialize)]
struct ParticleRange {
    min: u32,
    max: u32,
    max_cpu: u32,
}

#[derive(Serialize)]
struct Limits {
    steps: Range<u32>,
    eta: Range<f64>,
    churn: Range<f64>,
    particles: ParticleRange,
    point_size: Range<f64>,
    seed: Range<u32>,
    /// [`crate::core::schedule::MIN_START_SIGMA`].
    min_start_sigma: f64,
}

/// A schedule in `describe()`: its choice, and the smallest start fraction of the time slider
/// above 0 ([`Schedule::min_start_fraction`]; below it a run starts there instead).
#[derive(Serialize)]
struct ScheduleChoice {
    name: &'static str,
    label: &'static str,
    min_start_fraction: f64,
}

/// What a drawing may hold ([`crate::core::drawing`]): coordinates within +-half_extent, at most
/// max_points points.
#[derive(Serialize)]
struct DrawingLimits {
    half_extent: f32,
    max_points: usize,
}

#[derive(Serialize)]
struct Description {
    datasets: Vec<Choice>,
    schedules: Vec<ScheduleChoice>,
    drawing: DrawingLimits,
    samplers: Vec<Choice>,
    time_grids: Vec<Choice>,
    scores: Vec<Choice>,
    palettes: Vec<Choice>,
    backends: Vec<&'static str>,
    limits: Limits,
    defaults: Options,
}

/// What the playground offers: choices with labels, numeric limits and default options.
#[wasm_bindgen]
pub fn describe() -> Result<JsValue, JsError> {
    to_js(&Description {
        datasets: Dataset::ALL.iter().map(|d| Choice { name: d.name(), label: d.label() }).collect(),
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
        },
        samplers: Sampler::ALL.iter().map(|s| Choice { name: s.name(), label: s.label() }).collect(),
        time_grids: TimeGrid::ALL.iter().map(|g| Choice { name: g.name(), label: g.label() }).collect(),
        scores: options::ScoreChoice::ALL
            .iter()
            .map(|s| Choice { name: s.name(), label: s.label() })
            .collect(),
        palettes: render::Palette::ALL.iter().map(|p| Choice { name: p.name(), label: p.label() }).collect(),
        backends: vec!["auto", "webgpu", "cpu"],
        limits: Limits {
            steps: Range { min: options::MIN_STEPS, max: options::MAX_STEPS },
            eta: Range { min: 0.0, max: options::MAX_ETA },
            churn: Range { min: 0.0, max: options::MAX_CHURN },
            particles: ParticleRange {
                min: 1,
                max: options::MAX_PARTICLES,
                max_cpu: options::MAX_PARTICLES_CPU,
            },
            point_size: Range { min: options::MIN_POINT_SIZE, max: options::MAX_POINT_SIZE },
            seed: Range { min: 0, max: u32::MAX },
            min_start_sigma: crate::core::schedule::MIN_START_SIGMA,
        },
        defaults: Options::default(),
    })
}

/// Checks an options object exactly as `Playground.create` does and returns the options it
/// would run with (defaults filled in); throws the same message, naming the field, otherwise.
#[wasm_bindgen]
pub fn validate_options(options: JsValue) -> Result<JsValue, JsError> {
    to_js(&Options::default().merged(&raw_options(&options)?).map_err(js_error)?)
}

/// The network and plan of a reverse run for peers in the benchmark (see
/// [`crate::web::peer_plan::PeerPlan`]).
#[wasm_bindgen]
pub fn peer_plan(options: JsValue) -> Result<JsValue, JsError> {
    let options = Options::default().merged(&raw_options(&options)?).map_err(js_error)?;
    to_js(&PeerPlan::for_options(&options).map_err(js_error)?)
}

/// `n` fresh samples of a dataset (interleaved x, y).
#[wasm_bindgen]
pub fn dataset_sample(name: &str, seed: u32, n: u32) -> Result<Vec<f32>, JsError> {
    let dataset = Dataset::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Dataset::ALL.iter().map(|d| d.name()).collect();
        js_error(format!("unknown dataset {name:?} (allowed: one of {})", names.join(", ")))
    })?;
    if n == 0 || n > options::MAX_PARTICLES {
        return Err(js_error(format!(
            "n = {n} is not allowed (allowed: an integer from 1 to {})",
            options::MAX_PARTICLES
        )));
    }
    Ok(dataset.sample(seed, n as usize).into_iter().flatten().collect())
}

fn points(name: &str, flat: &[f32]) -> Result<Vec<[f32; 2]>, JsError> {
    if flat.is_empty() || !flat.len().is_multiple_of(2) {
        return Err(js_error(format!(
            "{name} must hold a positive, even number of values (x, y pairs), not {}",
            flat.len()
        )));
    }
    Ok(flat.chunks_exact(2).map(|c| [c[0], c[1]]).collect())
}

/// The curves of the schedule lab: alpha, sigma, log-SNR, the drift f and the squared diffusion
/// g^2 (seeds 000 and 001) at `samples` times spread like the time slider (`u` from 0 to 1 over
/// [t_min, t_max]), and the times of a `steps`-step `time_grid` (with their slider positions).
#[derive(Serialize)]
struct ScheduleCurves {
    u: Vec<f64>,
    t: Vec<f64>,
    alpha: Vec<f64>,
    sigma: Vec<f64>,
    log_snr: Vec<f64>,
    drift: Vec<f64>,
    diffusion_squared: Vec<f64>,
    grid_u: Vec<f64>,
    grid_t: Vec<f64>,
}

/// Most points of a schedule-lab curve.
const MAX_CURVE_SAMPLES: u32 = 4096;

/// The schedule lab's curves for `schedule` and `time_grid` with `steps` steps (see
/// [`ScheduleCurves`]); `samples` from 2 to 4096.
#[wasm_bindgen]
pub fn schedule_curves(
    schedule: &str,
    time_grid: &str,
    steps: u32,
    samples: u32,
) -> Result<JsValue, JsError> {
    let schedule = Schedule::from_name(schedule)
        .ok_or_else(|| unknown("schedule", schedule, Schedule::ALL.map(Schedule::name)))?;
    let grid = TimeGrid::from_name(time_grid)
        .ok_or_else(|| unknown("time_grid", time_grid, TimeGrid::ALL.map(TimeGrid::name)))?;
    if !(options::MIN_STEPS..=options::MAX_STEPS).contains(&steps) {
        return Err(js_error(format!(
            "steps = {steps} is not allowed (allowed: an integer from {} to {})",
            options::MIN_STEPS,
            options::MAX_STEPS
        )));
    }
    if !(2..=MAX_CURVE_SAMPLES).contains(&samples) {
        return Err(js_error(format!(
            "samples = {samples} is not allowed (allowed: 2 to {MAX_CURVE_SAMPLES})"
        )));
    }
    let (lo, hi) = (schedule.fraction_of_time(schedule.t_min()), schedule.fraction_of_time(schedule.t_max()));
    let u: Vec<f64> = (0..samples).map(|i| lo + (hi - lo) * i as f64 / (samples - 1) as f64).collect();
    let t: Vec<f64> =
        u.iter().map(|&u| schedule.time_at_fraction(u).clamp(schedule.t_min(), schedule.t_max())).collect();
    let curve = |f: fn(Schedule, f64) -> f64| t.iter().map(|&t| f(schedule, t)).collect::<Vec<f64>>();
    let grid_t = grid.times(schedule, schedule.t_max(), schedule.t_min(), steps as usize);
    to_js(&ScheduleCurves {
        alpha: curve(Schedule::alpha),
        sigma: curve(Schedule::sigma),
        log_snr: curve(Schedule::log_snr),
        drift: curve(Schedule::drift),
        diffusion_squared: curve(Schedule::diffusion_squared),
        grid_u: grid_t.iter().map(|&t| schedule.fraction_of_time(t)).collect(),
        grid_t,
        u,
        t,
    })
}

/// "unknown schedule "x" (allowed: one of a, b)".
fn unknown<const N: usize>(what: &str, value: &str, names: [&str; N]) -> JsError {
    js_error(format!("unknown {what} {value:?} (allowed: one of {})", names.join(", ")))
}

/// Size of the space-time view: heatmap columns and rows, paths of each kind, steps per path.
const SPACE_TIME_SIZE: SpaceTimeSize = SpaceTimeSize { columns: 240, rows: 120, paths: 16, steps: 200 };

/// The 1-D space-time view of seed 000 for `options` (any subset of the option table; dataset,
/// schedule, score and seed matter): the exact density of x_t over t and 16 forward SDE, reverse
/// SDE and probability-flow ODE paths (see `core::space_time`).
#[wasm_bindgen]
pub fn space_time(options: JsValue) -> Result<JsValue, JsError> {
    let options = Options::default().merged(&raw_options(&options)?).map_err(js_error)?;
    let net = embedded::net_for(options.dataset, options.schedule).map_err(js_error)?;
    let mixture = session::score_mixture(&options);
    let source = match options.score {
        options::ScoreChoice::Mlp => ScoreSource::Mlp(&net.mlp),
        options::ScoreChoice::Exact | options::ScoreChoice::Empirical => ScoreSource::Exact(&mixture),
    };
    let picture = space_time::space_time(
        options.dataset,
        options.schedule,
        source,
        NetFrame::of(&net),
        SPACE_TIME_SIZE,
        options.seed,
    );
    to_js(&picture)
}

/// A network being trained on a drawing, on the CPU inside the wasm, a chunk of steps at a time
/// (so the page can draw the loss between frames). `core::drawing::Trainer`.
#[wasm_bindgen]
pub struct Trainer {
    inner: drawing::Trainer,
    points: Vec<[f32; 2]>,
}

/// Refuses training runs outside [1, MAX_TRAIN_STEPS] steps or [1, MAX_TRAIN_BATCH] examples.
fn check_training_size(steps: u32, batch: u32) -> Result<(), JsError> {
    if !(1..=MAX_TRAIN_STEPS).contains(&steps) {
        return Err(js_error(format!("steps = {steps} is not allowed (allowed: 1 to {MAX_TRAIN_STEPS})")));
    }
    if !(1..=MAX_TRAIN_BATCH).contains(&batch) {
        return Err(js_error(format!("batch = {batch} is not allowed (allowed: 1 to {MAX_TRAIN_BATCH})")));
    }
    Ok(())
}

/// Most Adam steps of an in-page training run.
const MAX_TRAIN_STEPS: u32 = 100_000;
/// Most examples per Adam step of an in-page training run.
const MAX_TRAIN_BATCH: u32 = 4096;

#[wasm_bindgen]
impl Trainer {
    /// A fresh network for the drawing `points` (interleaved x, y), to train for `steps` Adam
    /// steps of `batch` examples from `seed` (eps objective, VP-linear schedule, cosine-decayed
    /// learning rate from `drawing::DRAWN_LEARNING_RATE`).
    #[wasm_bindgen(constructor)]
    pub fn new(points: &[f32], steps: u32, batch: u32, seed: u32) -> Result<Trainer, JsError> {
        let points = self::points("points", points)?;
        let mixture = drawing::drawn_mixture(&points).map_err(js_error)?;
        check_training_size(steps, batch)?;
        let config = drawing::drawn_config(seed, steps, batch);
        Ok(Trainer { inner: drawing::Trainer::new(mixture, drawing::DRAWN_SCHEDULE, config), points })
    }

    /// A fresh network for the built-in dataset `name`, trained as `cargo xtask train` trains the
    /// embedded ones (eps objective, VP linear, learning rate 3e-3 decayed by a cosine): what the
    /// benchmark times in the browser.
    pub fn for_dataset(name: &str, steps: u32, batch: u32, seed: u32) -> Result<Trainer, JsError> {
        let (mixture, config) = dataset_training(name, steps, batch, seed)?;
        Ok(Trainer {
            inner: drawing::Trainer::new(mixture, drawing::DRAWN_SCHEDULE, config),
            points: Vec::new(),
        })
    }

    /// Takes up to `n` more steps; returns their mean loss (NaN when the run is over).
    pub fn run(&mut self, n: u32) -> f32 {
        self.inner.run(n)
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

/// A network being trained on a drawing on the playground's GPU (`gpu::GpuTrainer`: the WGSL
/// forward, backward and Adam kernels), a chunk of steps at a time. The examples are drawn on
/// the CPU exactly as `Trainer` draws them, so both paths train on the same batches.
#[wasm_bindgen]
pub struct GpuTraining {
    trainer: GpuTrainer,
    mixture: crate::core::dataset::GaussianMixture,
    config: crate::core::train::TrainConfig,
    points: Vec<[f32; 2]>,
    step: u32,
}

#[wasm_bindgen]
impl GpuTraining {
    /// Queues up to `n` more Adam steps on the GPU; returns how many were queued.
    pub fn run(&mut self, n: u32) -> Result<u32, JsError> {
        let end = self.step.saturating_add(n).min(self.config.steps);
        let first = self.step;
        while self.step < end {
            let examples =
                train::prepare_batch(&self.mixture, drawing::DRAWN_SCHEDULE, &self.config, self.step);
            let rate = train::learning_rate(&self.config, self.step);
            self.trainer.step(&examples, rate).map_err(js_error)?;
            self.step += 1;
        }
        Ok(self.step - first)
    }

    /// Steps queued so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> u32 {
        self.step
    }

    /// Steps of the run.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> u32 {
        self.config.steps
    }

    /// Resolves to the batch loss of the last step queued (waits for the GPU to get there).
    pub fn loss(&self) -> js_sys::Promise {
        let readback = self.trainer.read_losses();
        wasm_bindgen_futures::future_to_promise(async move {
            let losses = readback.floats().await.map_err(|e| JsValue::from(js_error(e)))?;
            Ok(JsValue::from_f64(losses.iter().sum::<f32>() as f64))
        })
    }

    /// Resolves to the network's weights as trained so far (a Float32Array for `use_weights`).
    pub fn weights(&self) -> js_sys::Promise {
        let readback = self.trainer.read_weights();
        wasm_bindgen_futures::future_to_promise(async move {
            let weights = readback.floats().await.map_err(|e| JsValue::from(js_error(e)))?;
            Ok(js_sys::Float32Array::from(weights.as_slice()).into())
        })
    }

    /// The drawing it trains on (interleaved x, y).
    pub fn points(&self) -> Vec<f32> {
        self.points.iter().flatten().copied().collect()
    }
}

/// The exact mixture of the built-in dataset `name` and the embedded networks' training recipe
/// with `steps`, `batch` and `seed`, validated.
fn dataset_training(
    name: &str,
    steps: u32,
    batch: u32,
    seed: u32,
) -> Result<(crate::core::dataset::GaussianMixture, train::TrainConfig), JsError> {
    let dataset =
        Dataset::from_name(name).ok_or_else(|| unknown("dataset", name, Dataset::ALL.map(Dataset::name)))?;
    check_training_size(steps, batch)?;
    Ok((dataset.mixture(), train::TrainConfig { seed, steps, batch, ..train::TrainConfig::default() }))
}

/// Most particles of one sampler-race lap (the race runs on the CPU, between frames).
const MAX_RACE_PARTICLES: u32 = 8192;
/// Largest network-evaluation budget of one lap.
const MAX_RACE_BUDGET: u32 = 1000;

/// One lap of a sampler race, for the page's chart.
#[derive(Serialize)]
struct RaceLap {
    steps: usize,
    evaluations: usize,
    distance: f64,
    particles: Vec<f32>,
    floor: f64,
}

/// One lap of the sampler race (`core::race`): `sampler` carries `particles` prior samples to
/// the data of `options` (dataset, schedule, time grid, score, eta, churn, seed) with about
/// `budget` network evaluations; returns its steps, evaluations, distance to fresh data, final
/// particles (interleaved x, y) and the data-vs-data floor.
#[wasm_bindgen]
pub fn race_lap(options: JsValue, sampler: &str, budget: u32, particles: u32) -> Result<JsValue, JsError> {
    let options = Options::default().merged(&raw_options(&options)?).map_err(js_error)?;
    let sampler = Sampler::from_name(sampler)
        .ok_or_else(|| unknown("sampler", sampler, Sampler::ALL.map(Sampler::name)))?;
    if !(1..=MAX_RACE_BUDGET).contains(&budget) {
        return Err(js_error(format!("budget = {budget} is not allowed (allowed: 1 to {MAX_RACE_BUDGET})")));
    }
    if !(2..=MAX_RACE_PARTICLES).contains(&particles) {
        return Err(js_error(format!(
            "particles = {particles} is not allowed (allowed: 2 to {MAX_RACE_PARTICLES})"
        )));
    }
    let net = embedded::net_for(options.dataset, options.schedule).map_err(js_error)?;
    let mixture = session::score_mixture(&options);
    let source = match options.score {
        options::ScoreChoice::Mlp => ScoreSource::Mlp(&net.mlp),
        options::ScoreChoice::Exact | options::ScoreChoice::Empirical => ScoreSource::Exact(&mixture),
    };
    let track = race::Track {
        dataset: options.dataset,
        schedule: options.schedule,
        grid: options.time_grid,
        particles: particles as usize,
        seed: options.seed,
    };
    let settings = SamplerSettings { sampler, eta: options.eta, churn: options.churn };
    let lap = race::lap(&track, source, NetFrame::of(&net), &settings, budget as usize);
    to_js(&RaceLap {
        steps: lap.steps,
        evaluations: lap.evaluations,
        distance: lap.distance,
        particles: lap.particles.into_iter().flatten().collect(),
        floor: race::floor(&track),
    })
}

/// The exact probability of each bin of a `side` x `side` grid over [-3, 3]^2 (row 0 at the
/// top) under p_t, the data of `options` (dataset and score: the empirical score's training set
/// for `empirical`) noised to time `t` of its schedule (in the schedule's own units, within its
/// range); comparable with the particles' `histogram` divided by their number.
#[wasm_bindgen]
pub fn exact_probabilities(options: JsValue, t: f64, side: u32) -> Result<Vec<f32>, JsError> {
    let options = Options::default().merged(&raw_options(&options)?).map_err(js_error)?;
    let schedule = options.schedule;
    let (lo, hi) = schedule.domain();
    if !(t.is_finite() && t >= lo && t <= hi) {
        return Err(js_error(format!(
            "t = {t} is not allowed (allowed: {lo} to {hi} for {})",
            schedule.name()
        )));
    }
    if side == 0 || side > histogram::MAX_SIDE {
        return Err(js_error(format!(
            "side = {side} is not allowed (allowed: 1 to {})",
            histogram::MAX_SIDE
        )));
    }
    let bins = Bins { side, half_extent: render::DEFAULT_HALF_EXTENT };
    let t = t.max(schedule.t_min());
    let mixture = session::score_mixture(&options);
    Ok(histogram::exact_probabilities(&mixture, schedule.alpha(t), schedule.sigma(t), &bins))
}

/// Total variation distance between a histogram of `total` particles and bin probabilities of
/// the same grid (`core::histogram::total_variation`).
#[wasm_bindgen]
pub fn total_variation(counts: &[u32], total: u32, probabilities: &[f32]) -> Result<f64, JsError> {
    if counts.len() != probabilities.len() {
        return Err(js_error(format!(
            "{} counts but {} probabilities: they must cover the same bins",
            counts.len(),
            probabilities.len()
        )));
    }
    Ok(histogram::total_variation(counts, total as usize, probabilities))
}

/// The colours of the first `n` particles for `seed` (interleaved r, g, b in [0, 1]), as the
/// renderers draw them in `palette` (`render::particle_colour`): for layers that must match the
/// dots.
#[wasm_bindgen]
pub fn particle_colours(seed: u32, n: u32, palette: &str) -> Result<Vec<f32>, JsError> {
    let palette = render::Palette::ALL
        .into_iter()
        .find(|p| p.name() == palette)
        .ok_or_else(|| unknown("palette", palette, render::Palette::ALL.map(render::Palette::name)))?;
    if n > options::MAX_PARTICLES {
        return Err(js_error(format!("n = {n} is not allowed (allowed: 0 to {})", options::MAX_PARTICLES)));
    }
    Ok((0..n).flat_map(|i| render::particle_colour(seed, i, palette)).collect())
}

/// Sliced 2-Wasserstein distance between two point sets given as interleaved x, y arrays.
#[wasm_bindgen]
pub fn sliced_wasserstein(a: &[f32], b: &[f32]) -> Result<f64, JsError> {
    Ok(metrics::sliced_wasserstein(&points("a", a)?, &points("b", b)?))
}

#[wasm_bindgen]
impl Playground {
    /// Creates a playground on `canvas`. `options` may set any subset of the option table.
    pub async fn create(canvas: HtmlCanvasElement, options: JsValue) -> Result<Playground, JsError> {
        console_error_panic_hook::set_once();
        let options = Options::default().merged(&raw_options(&options)?).map_err(js_error)?;
        let cpu_note =
            |why: String| format!("{why}; the playground runs on the CPU inside the WebAssembly module.");
        let mut paths_to_compare = false;
        let (display, particles, backend_note, adapter_name) = match options.backend {
            BackendChoice::Cpu => (
                cpu_display(&canvas)?,
                Particles::Cpu(Vec::new()),
                "The CPU backend was requested; the playground runs on the CPU inside the WebAssembly module.".to_string(),
                String::new(),
            ),
            choice => match try_gpu().await {
                Err(why) if choice == BackendChoice::Webgpu => {
                    return Err(js_error(format!("backend 'webgpu' was requested but {why}. Use backend 'cpu' or 'auto'.")))
                }
                Err(why) => (cpu_display(&canvas)?, Particles::Cpu(Vec::new()), cpu_note(why), String::new()),
                Ok((instance, context)) => {
                    let adapter = context.describe();
                    if choice == BackendChoice::Auto && context.is_software() {
                        // Timing both paths takes a second on a software adapter; the first frame
                        // does not wait for it: the page starts on the CPU and calls
                        // `compare_paths` afterwards (see `paths_to_compare`).
                        let note = cpu_note(format!(
                            "The WebGPU adapter {adapter} is a software emulation, so the playground starts on the CPU \
                             while it times both paths (add backend=webgpu to force WebGPU)"
                        ));
                        paths_to_compare = true;
                        (cpu_display(&canvas)?, Particles::Cpu(Vec::new()), note, String::new())
                    } else {
                        let engine = ComputeEngine::new(&context);
                        let note = format!("Running on WebGPU: {adapter}.");
                        let name = context.info.name.clone();
                        let display = gpu_display(&instance, context, &canvas).map_err(js_error)?;
                        (display, Particles::Gpu(Box::new(engine)), note, name)
                    }
                }
            },
        };
        let session = Session::new(options, particles).map_err(js_error)?;
        Ok(Playground { session, canvas, display, backend_note, adapter_name, paths_to_compare })
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
    pub fn options(&self) -> Result<JsValue, JsError> {
        to_js(self.session.options())
    }

    /// Changes some options (validated; everything but point_size restarts the run).
    pub fn set_options(&mut self, options: JsValue) -> Result<(), JsError> {
        self.check_device()?;
        let next = self.session.options().merged(&raw_options(&options)?).map_err(js_error)?;
        self.session.set_options(next).map_err(js_error)
    }

    /// Particles back to the prior noise; the run restarts.
    pub fn reset(&mut self) -> Result<(), JsError> {
        self.check_device()?;
        self.session.reset().map_err(js_error)
    }

    /// Shows forward-noised data at time `t` in [0, 1].
    pub fn noise_to(&mut self, t: f64) -> Result<(), JsError> {
        self.check_device()?;
        self.session.noise_to(t).map_err(js_error)
    }

    /// Advances the reverse run by up to `n` steps; returns the number taken (0 when done).
    pub fn step(&mut self, n: u32) -> Result<u32, JsError> {
        self.check_device()?;
        self.session.step(n).map_err(js_error)
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
                let GpuDisplay { context, surface, config, renderer } = gpu.as_mut();
                if (config.width, config.height) != (width, height) {
                    config.width = width;
                    config.height = height;
                    surface.configure(&context.device, config);
                }
                let frame = match surface.get_current_texture() {
                    wgpu::CurrentSurfaceTexture::Success(frame)
                    | wgpu::CurrentSurfaceTexture::Suboptimal(frame) => frame,
                    wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                        surface.configure(&context.device, config);
                        return Ok(());
                    }
                    wgpu::CurrentSurfaceTexture::Timeout | wgpu::CurrentSurfaceTexture::Occluded => {
                        return Ok(())
                    }
                    other => {
                        return Err(js_error(format!("the canvas could not provide a frame: {other:?}")))
                    }
                };
                let target = frame.texture.create_view(&wgpu::TextureViewDescriptor::default());
                if let Some(engine) = self.session.engine() {
                    let params = DrawParams::new(&view, width, height, seed, engine.particle_count());
                    renderer.draw(engine, &target, &params, render::background_rgb());
                }
                context.queue.present(frame);
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
            let points = pending.positions().await.map_err(|e| JsValue::from(js_error(e)))?;
            let flat: Vec<f32> = points.into_iter().flatten().collect();
            Ok(js_sys::Float32Array::from(flat.as_slice()).into())
        }))
    }

    /// What the score source predicts now at the first `limit` particles, in the parametrization
    /// `target`: "x0" (the Tweedie denoised ghost of each particle), "eps", "score" or "velocity".
    /// Resolves to a Float32Array of 4 numbers per particle: x, y, then the prediction's two
    /// coordinates. Rejects any other target with a message listing the allowed ones.
    pub fn predict(&self, target: &str, limit: u32) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let parametrization = Parametrization::from_name(target)
            .filter(|p| Parametrization::ALL.contains(p))
            .ok_or_else(|| {
                let allowed: Vec<&str> = Parametrization::ALL.iter().map(|p| p.name()).collect();
                JsError::new(&format!(
                    "invalid prediction target '{target}' (allowed: {})",
                    allowed.join(", ")
                ))
            })?;
        let pending = self.session.predict(parametrization, limit as usize).map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let (positions, predictions) = pending.get().await.map_err(|e| JsValue::from(js_error(e)))?;
            let flat: Vec<f32> =
                positions.iter().zip(&predictions).flat_map(|(x, p)| [x[0], x[1], p[0], p[1]]).collect();
            Ok(js_sys::Float32Array::from(flat.as_slice()).into())
        }))
    }

    /// Counts of the particles in a `side` x `side` grid over the picture ([-3, 3]^2, row 0 at
    /// the top), counted on the GPU where the particles are there: a Uint32Array.
    pub fn histogram(&self, side: u32) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let bins = Bins { side, half_extent: render::DEFAULT_HALF_EXTENT };
        let pending = self.session.histogram(&bins).map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let counts = pending.counts().await.map_err(|e| JsValue::from(js_error(e)))?;
            Ok(js_sys::Uint32Array::from(counts.as_slice()).into())
        }))
    }

    /// Replaces the dataset by the drawing `points` (interleaved x, y; at most 512 inside the
    /// picture) with its exact score; the score option must be "exact" or "empirical" until a
    /// network is trained (`use_trainer`). Restarts the run.
    pub fn use_drawing(&mut self, points: &[f32]) -> Result<(), JsError> {
        self.check_device()?;
        let points = self::points("points", points)?;
        self.session.use_drawing(&points, None).map_err(js_error)
    }

    /// Replaces the dataset by the trainer's drawing and its network as trained so far (the
    /// learned score then samples the drawing). Restarts the run.
    pub fn use_trainer(&mut self, trainer: &Trainer) -> Result<(), JsError> {
        self.check_device()?;
        self.session.use_drawing(&trainer.points, Some(trainer.inner.mlp().clone())).map_err(js_error)
    }

    /// The WebGPU display whose device trains on the GPU; errors on the CPU backend or a lost device.
    fn training_display(&self) -> Result<&GpuDisplay, JsError> {
        self.check_device()?;
        match &self.display {
            Display::Gpu(display) => Ok(display),
            Display::Cpu { .. } => {
                Err(js_error("training on the GPU needs the WebGPU backend; this playground runs on the CPU"))
            }
        }
    }

    /// Starts training a fresh network on the drawing `points` on this playground's GPU (WebGPU
    /// backend only): `steps` Adam steps of `batch` examples from `seed`, as `Trainer` does on
    /// the CPU. Errors on the CPU backend.
    pub fn gpu_training(
        &self,
        points: &[f32],
        steps: u32,
        batch: u32,
        seed: u32,
    ) -> Result<GpuTraining, JsError> {
        let display = self.training_display()?;
        let points = self::points("points", points)?;
        let mixture = drawing::drawn_mixture(&points).map_err(js_error)?;
        check_training_size(steps, batch)?;
        let config = drawing::drawn_config(seed, steps, batch);
        let trainer = GpuTrainer::new(&display.context, &Mlp::initialise(seed), batch).map_err(js_error)?;
        Ok(GpuTraining { trainer, mixture, config, points, step: 0 })
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
        let display = self.training_display()?;
        let (mixture, config) = dataset_training(name, steps, batch, seed)?;
        let trainer = GpuTrainer::new(&display.context, &Mlp::initialise(seed), batch).map_err(js_error)?;
        Ok(GpuTraining { trainer, mixture, config, points: Vec::new(), step: 0 })
    }

    /// Replaces the dataset by the drawing `points` with a network of `weights` trained on it
    /// (from `GpuTraining.weights()`). Restarts the run.
    pub fn use_weights(&mut self, points: &[f32], weights: Vec<f32>) -> Result<(), JsError> {
        self.check_device()?;
        let points = self::points("points", points)?;
        let mlp = Mlp::from_weights(weights)
            .ok_or_else(|| js_error(format!("weights must hold {} values", crate::core::mlp::PARAMETERS)))?;
        if mlp.weights.iter().any(|w| !w.is_finite()) {
            return Err(js_error("the trained weights are not all finite (training diverged)"));
        }
        self.session.use_drawing(&points, Some(mlp)).map_err(js_error)
    }

    /// The drawn points in use (interleaved x, y), or undefined when the dataset is a built-in one.
    pub fn drawing(&self) -> Option<Vec<f32>> {
        self.session.drawing_points().map(|p| p.iter().flatten().copied().collect())
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

    /// Network evaluations per particle so far in this run (two per step for Heun and DPM-Solver++ 2S).
    #[wasm_bindgen(getter)]
    pub fn evaluations(&self) -> u32 {
        self.session.evaluations() as u32
    }

    /// Resolves when the GPU has finished all work submitted so far (immediately on the CPU path):
    /// lets the page pace its animation without reading particles back.
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
            receiver.await.map_err(|_| JsValue::from(js_error("the GPU device went away")))?;
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
