//! Where the particles live: the backend policy, its calibration and the banner texts.
//!
//! - `cpu` runs on the CPU; `webgpu` runs on WebGPU or fails with a message that says why.
//! - `auto` takes WebGPU on a hardware adapter, the CPU where there is no WebGPU, and on a
//!   software adapter (SwiftShader, lavapipe, WARP) starts on the CPU at once, then times both
//!   paths ([`calibrate`]) and moves to WebGPU only if it measured faster ([`compare`]).
//!
//! Time comes from an injected [`Clock`] (`performance.now()` in the page, a scripted clock in
//! tests), so the whole policy runs and is tested natively.

use serde::Serialize;

use crate::app::options::BackendChoice;
use crate::core::dataset::Dataset;
use crate::core::embedded;
use crate::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use crate::core::schedule::Schedule;
use crate::core::timesteps::TimeGrid;
use crate::gpu::{ComputeEngine, GpuContext, ScoreKind};

/// A source of time for the calibration.
pub trait Clock {
    /// Milliseconds since some fixed origin; never decreasing.
    fn now_ms(&mut self) -> f64;
}

/// Particles of the calibration race between a software WebGPU adapter and the CPU.
pub const CALIBRATION_PARTICLES: usize = 4096;
/// Timed reverse steps of that race (after one untimed warm-up step).
pub const CALIBRATION_STEPS: u32 = 4;

/// What the policy knows about a GPU adapter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Adapter {
    /// The adapter's name ("" where the browser keeps it private).
    pub name: String,
    /// The API it is reached through ("WebGPU" in the page, "Vulkan" natively).
    pub backend: String,
    /// True for software rasterisers, often slower than the CPU path for the MLP.
    pub software: bool,
}

impl Adapter {
    /// The adapter behind `context`.
    pub fn of(context: &GpuContext) -> Adapter {
        let backend = match context.info.backend {
            wgpu::Backend::BrowserWebGpu => "WebGPU".to_string(),
            other => format!("{other:?}"),
        };
        Adapter { name: context.info.name.clone(), backend, software: context.is_software() }
    }

    /// The adapter as the subject of a sentence, named once: "The WebGPU adapter SwiftShader
    /// Device", or "This browser's WebGPU adapter" when it has no name.
    pub fn subject(&self) -> String {
        if self.name.is_empty() {
            format!("This browser's {} adapter", self.backend)
        } else {
            format!("The {} adapter {}", self.backend, self.name)
        }
    }

    /// A short description for readouts: "SwiftShader Device (WebGPU, software)", or "unnamed
    /// (WebGPU)".
    pub fn describe(&self) -> String {
        let name = if self.name.is_empty() { "unnamed" } else { &self.name };
        let kind = if self.software { ", software" } else { "" };
        format!("{name} ({}{kind})", self.backend)
    }
}

/// Where a playground's particles live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Path {
    /// On the CPU (inside the wasm in the page).
    Cpu,
    /// On the GPU.
    Gpu,
}

/// What the policy chose at creation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Where the playground starts.
    pub path: Path,
    /// True when it starts on the CPU provisionally: the page is to time both paths once its
    /// first frame is up ([`calibrate`]) and move to WebGPU if [`compare`] says so.
    pub compare_paths: bool,
    /// The banner's text: a sentence saying where it runs and why.
    pub note: String,
}

/// Where the CPU path runs, as the banners say it.
const ON_THE_CPU: &str = "the playground runs on the CPU inside the WebAssembly module";

/// True when `choice` needs the GPU probed before [`decide`] (every choice but `cpu`).
pub fn needs_probe(choice: BackendChoice) -> bool {
    choice != BackendChoice::Cpu
}

/// The backend for `choice`, given what probing the GPU found: `None` when it was not probed
/// (see [`needs_probe`]), the adapter, or why there is none (a clause such as "WebGPU is not
/// available in this browser"). Errs only when WebGPU was forced and there is none.
pub fn decide(choice: BackendChoice, probe: Option<Result<Adapter, String>>) -> Result<Decision, String> {
    let cpu = |note: String| Decision { path: Path::Cpu, compare_paths: false, note };
    if choice == BackendChoice::Cpu {
        return Ok(cpu(format!("The CPU backend was requested; {ON_THE_CPU}.")));
    }
    match (choice, probe.unwrap_or_else(|| Err("WebGPU was not looked for".into()))) {
        (BackendChoice::Webgpu, Err(why)) => {
            Err(format!("backend 'webgpu' was requested but {why}. Use backend 'cpu' or 'auto'."))
        }
        (_, Err(why)) => Ok(cpu(format!("{}; {ON_THE_CPU}.", sentence_case(&why)))),
        (BackendChoice::Auto, Ok(adapter)) if adapter.software => Ok(Decision {
            path: Path::Cpu,
            compare_paths: true,
            note: format!(
                "{} is a software emulation, so the playground starts on the CPU inside the WebAssembly \
                 module while it times both paths (add backend=webgpu to force WebGPU).",
                adapter.subject()
            ),
        }),
        (_, Ok(adapter)) => Ok(Decision { path: Path::Gpu, compare_paths: false, note: gpu_note(&adapter) }),
    }
}

/// "Running on WebGPU: SwiftShader Device, a software emulation."
fn gpu_note(adapter: &Adapter) -> String {
    let software = if adapter.software { ", a software emulation" } else { "" };
    if adapter.name.is_empty() {
        format!("Running on {}{software}.", adapter.backend)
    } else {
        format!("Running on {}: {}{software}.", adapter.backend, adapter.name)
    }
}

/// `text` with its first letter in upper case.
fn sentence_case(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Network evaluations per second measured on each path.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rates {
    /// On the GPU.
    pub gpu: f64,
    /// On the CPU.
    pub cpu: f64,
}

/// Times the same reverse steps ([`CALIBRATION_STEPS`] Euler-Maruyama steps of the two-moons
/// network on [`CALIBRATION_PARTICLES`] particles) on `engine`'s GPU and on the CPU, with
/// `clock`; a warm-up step (pipeline compilation, first submit) is not timed. Each measured
/// interval counts as at least 0.01 ms.
pub async fn calibrate(engine: &mut ComputeEngine, clock: &mut impl Clock) -> Result<Rates, String> {
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
    let gpu = |e: crate::gpu::GpuError| e.to_string();
    engine.set_weights(&net.mlp);
    engine.set_data(&points).map_err(gpu)?;
    engine.set_plan(&plan, &biases);
    engine.reverse(ScoreKind::Mlp, 0, 0, 1).map_err(gpu)?;
    engine.read_particles().map_err(gpu)?.bytes().await.map_err(gpu)?;
    let started = clock.now_ms();
    engine.reverse(ScoreKind::Mlp, 0, 1, CALIBRATION_STEPS).map_err(gpu)?;
    engine.read_particles().map_err(gpu)?.bytes().await.map_err(gpu)?;
    let gpu_ms = (clock.now_ms() - started).max(0.01);
    let mut cpu_points = points;
    let started = clock.now_ms();
    sampler::run_from_start(ScoreSource::Mlp(&net.mlp), &plan[1..], &mut cpu_points, 0, 0);
    let cpu_ms = (clock.now_ms() - started).max(0.01);
    let evaluations = CALIBRATION_PARTICLES as f64 * CALIBRATION_STEPS as f64;
    Ok(Rates { gpu: evaluations / gpu_ms * 1e3, cpu: evaluations / cpu_ms * 1e3 })
}

/// What timing both paths found, and what to do about it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct PathComparison {
    /// The adapter, described ([`Adapter::describe`]).
    pub adapter: String,
    /// Whether it is a software emulation.
    pub software: bool,
    /// Network evaluations per second on the GPU.
    pub gpu_evaluations_per_second: f64,
    /// Network evaluations per second on the CPU.
    pub cpu_evaluations_per_second: f64,
    /// "webgpu" when the GPU measured strictly faster, else "cpu".
    pub winner: &'static str,
    /// The sentence for the page: the banner when the CPU is kept, the notice when it switches.
    pub note: String,
}

/// The verdict on `rates` measured on `adapter`: WebGPU only if it measured strictly faster.
pub fn compare(adapter: &Adapter, rates: Rates) -> PathComparison {
    let gpu_wins = rates.gpu > rates.cpu;
    let millions = |rate: f64| format!("{:.2}", rate / 1e6);
    let (subject, ratio) = (adapter.subject(), |a: f64, b: f64| format!("{:.1}x", a / b));
    let rates_text = |a: f64, b: f64| {
        format!("({} vs {} million network evaluations per second)", millions(a), millions(b))
    };
    let note = match (gpu_wins, adapter.software) {
        (true, true) => format!(
            "{subject} is a software emulation but measured {} faster than the CPU {}: switching to WebGPU.",
            ratio(rates.gpu, rates.cpu),
            rates_text(rates.gpu, rates.cpu)
        ),
        (true, false) => format!(
            "{subject} measured {} faster than the CPU {}: switching to WebGPU.",
            ratio(rates.gpu, rates.cpu),
            rates_text(rates.gpu, rates.cpu)
        ),
        (false, software) => format!(
            "{subject} {} the CPU measured {} faster {}, so {ON_THE_CPU} (add backend=webgpu to force WebGPU).",
            if software { "is a software emulation and" } else { "was timed and" },
            ratio(rates.cpu, rates.gpu),
            rates_text(rates.cpu, rates.gpu)
        ),
    };
    PathComparison {
        adapter: adapter.describe(),
        software: adapter.software,
        gpu_evaluations_per_second: rates.gpu,
        cpu_evaluations_per_second: rates.cpu,
        winner: if gpu_wins { "webgpu" } else { "cpu" },
        note,
    }
}

/// Times both paths on `context`'s adapter with `clock` and gives the verdict: what the page
/// calls after its first frame when [`Decision::compare_paths`] is set.
pub async fn compare_paths(context: &GpuContext, clock: &mut impl Clock) -> Result<PathComparison, String> {
    let mut engine = ComputeEngine::new(context);
    let rates = calibrate(&mut engine, clock).await?;
    Ok(compare(&Adapter::of(context), rates))
}
