//! The measured choice of the MLP kernels' shape for an adapter: every workgroup size and
//! weights format it can run ([`MlpKernelConfig::candidates`]) is timed on the same reverse
//! steps, and the fastest is kept ([`tune`]). `dp-bench` tunes before its GPU rows and reports
//! every shape; a playground on a hardware adapter tunes once its first frame is up.
//!
//! Time comes from an injected [`Clock`], as for the backend calibration, so the choice is tested
//! natively with a scripted clock.

use serde::Serialize;

use crate::app::backend::Clock;
use crate::app::options;
use crate::core::dataset::Dataset;
use crate::core::embedded;
use crate::core::mlp;
use crate::core::sampler::{self, NetFrame, Sampler, SamplerSettings};
use crate::core::schedule::Schedule;
use crate::core::timesteps::TimeGrid;
use crate::gpu::engine::MAX_PARTICLES as ENGINE_MAX_PARTICLES;
use crate::gpu::{ComputeEngine, GpuContext, MlpKernelConfig, ScoreKind};

/// Timed reverse steps per shape and repeat (after one untimed warm-up step, which compiles the
/// shape's pipeline).
pub const TUNING_STEPS: u32 = 8;
/// Particles read back after each shape's runs and compared with the default shape's: a shape
/// that does not compile, or that a driver miscompiles, is caught here and never chosen.
const CHECKED_PARTICLES: u32 = 256;
/// How far a shape's checked particles may be from the default shape's (the shapes compute the
/// same f32 arithmetic; only a compiler's fused multiply-adds may differ).
const AGREEMENT: f32 = 1e-4;

/// How fast one shape ran.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct ShapeTiming {
    /// Invocations per workgroup.
    pub workgroup_size: u32,
    /// The weights' format and place ([`WeightsFormat::describe`](crate::gpu::WeightsFormat::describe)).
    pub weights: &'static str,
    /// The shape, for a report: "128 x f16 uniform (packed)".
    pub shape: String,
    /// Network evaluations per second (the best of the repeats).
    pub evaluations_per_second: f64,
    /// Achieved FLOP/s at that rate ([`mlp::FLOP_PER_EVALUATION`] per evaluation).
    pub flop_per_second: f64,
    /// Whether its particles agreed with the default shape's (only such a shape is chosen).
    pub agrees: bool,
}

/// What tuning measured and chose.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct TuningReport {
    /// Particles of the timed runs.
    pub particles: usize,
    /// Timed steps per run.
    pub steps: u32,
    /// Every shape, in the order timed (the default first).
    pub timings: Vec<ShapeTiming>,
    /// The fastest shape's description; the engine runs it now.
    pub chosen: String,
    /// Its rate over the default shape's.
    pub speedup_over_default: f64,
    /// The chosen shape itself (`{ workgroup_size, weights }`, weights in snake case:
    /// "f16_uniform").
    pub config: MlpKernelConfig,
}

/// Times every shape `engine`'s device can run on `particles` particles (the two-moons network,
/// [`TUNING_STEPS`] Euler-Maruyama steps, the best of `repeats`) and leaves the engine in the
/// fastest. A shape whose particles do not agree with the default shape's (one the device failed
/// to compile or run) is reported with `agrees: false` and never chosen. Replaces the engine's particles, plan and weights: tune before a run is set up.
pub async fn tune(
    engine: &mut ComputeEngine,
    clock: &mut impl Clock,
    particles: usize,
    repeats: u32,
) -> Result<TuningReport, String> {
    let net = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).map_err(|e| e.to_string())?;
    let schedule = Schedule::VpLinear;
    let times =
        TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 1 + TUNING_STEPS as usize);
    let settings = SamplerSettings::new(Sampler::EulerMaruyama);
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &settings, &times);
    let biases = sampler::hidden_biases(&net.mlp, &plan);
    let start = sampler::prior(schedule, schedule.t_max(), 0, particles);
    let gpu = |e: crate::gpu::GpuError| e.to_string();
    engine.set_data(&start).map_err(gpu)?;
    engine.set_plan(&plan, &biases);
    let mut timings = Vec::new();
    let mut best: Option<(MlpKernelConfig, f64)> = None;
    let mut reference: Option<Vec<[f32; 2]>> = None;
    // Set once: a new shape re-encodes the weights it has.
    engine.set_weights(&net.mlp);
    for config in MlpKernelConfig::candidates(engine.features()) {
        engine.set_mlp_config(config).map_err(gpu)?;
        engine.write_particles(&start).map_err(gpu)?;
        engine.reverse(ScoreKind::Mlp, 0, 0, 1).map_err(gpu)?;
        engine.read_first_particles(1).map_err(gpu)?.bytes().await.map_err(gpu)?;
        let mut fastest_ms = f64::INFINITY;
        for _ in 0..repeats.max(1) {
            let started = clock.now_ms();
            engine.reverse(ScoreKind::Mlp, 0, 1, TUNING_STEPS).map_err(gpu)?;
            engine.read_first_particles(1).map_err(gpu)?.bytes().await.map_err(gpu)?;
            fastest_ms = fastest_ms.min((clock.now_ms() - started).max(0.01));
        }
        let checked =
            engine.read_first_particles(CHECKED_PARTICLES).map_err(gpu)?.points().await.map_err(gpu)?;
        let agrees = match &reference {
            None => checked.iter().flatten().all(|v| v.is_finite()),
            Some(reference) => {
                let apart = |(a, b): (&[f32; 2], &[f32; 2])| (a[0] - b[0]).abs().max((a[1] - b[1]).abs());
                checked.len() == reference.len()
                    && checked.iter().zip(reference).all(|p| apart(p) <= AGREEMENT)
            }
        };
        reference.get_or_insert(checked);
        let rate = particles as f64 * f64::from(TUNING_STEPS) / fastest_ms * 1e3;
        timings.push(ShapeTiming {
            workgroup_size: config.workgroup_size,
            weights: config.weights.describe(),
            shape: config.describe(),
            evaluations_per_second: rate,
            flop_per_second: rate * mlp::FLOP_PER_EVALUATION as f64,
            agrees,
        });
        if agrees && best.is_none_or(|(_, fastest)| rate > fastest) {
            best = Some((config, rate));
        }
    }
    let (config, rate) = best.ok_or("no shape of the MLP kernels ran correctly on this device")?;
    engine.set_mlp_config(config).map_err(gpu)?;
    let default_rate = timings.first().map_or(rate, |t| t.evaluations_per_second);
    Ok(TuningReport {
        particles,
        steps: TUNING_STEPS,
        timings,
        chosen: config.describe(),
        speedup_over_default: rate / default_rate,
        config,
    })
}

/// Particles of the page's tuning runs: enough to fill a GPU's cores many times over, few enough
/// that timing every shape (15 x 17 steps, about 17 M network evaluations) takes a fraction of a
/// second on a discrete GPU and a second or two on a weak integrated one.
pub const PAGE_TUNING_PARTICLES: u32 = 1 << 16;
/// Timed runs per shape in the page.
pub const PAGE_TUNING_REPEATS: u32 = 2;

/// What the page calls once its first frame is up on WebGPU: [`tune`] on a fresh engine of
/// `context`'s device, on `particles` particles (64 to the engine's cap;
/// [`PAGE_TUNING_PARTICLES`] when `None`). `None` on a software
/// adapter unless `even_on_software` (there the CPU path usually runs, and timing fifteen
/// shapes takes seconds).
pub async fn tune_adapter(
    context: &GpuContext,
    clock: &mut impl Clock,
    particles: Option<u32>,
    even_on_software: bool,
) -> Result<Option<TuningReport>, String> {
    let particles = particles.unwrap_or(PAGE_TUNING_PARTICLES);
    options::check_integer("particles", particles, 64, ENGINE_MAX_PARTICLES).map_err(|e| e.to_string())?;
    if context.is_software() && !even_on_software {
        return Ok(None);
    }
    let mut engine = ComputeEngine::new(context);
    tune(&mut engine, clock, particles as usize, PAGE_TUNING_REPEATS).await.map(Some)
}
