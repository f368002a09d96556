//! Native benchmark of the playground's two paths, run by `cargo xtask bench`: the same reverse
//! run (reverse SDE with the embedded MLP, two moons, VP linear) through the CPU core (batched,
//! vectorised, single-threaded: it spawns no threads) and through the WGSL kernels on the first
//! Vulkan adapter (lavapipe without a GPU). Prints steps and MLP evaluations per second (median of
//! the repeats, with min and max) and the sliced W2 distance of the final particles to the data.
//!
//! Usage: `dp-bench [--cpu_only | --gpu_only] [--particles N[,N...]] [--threads N[,N...]|all]
//! [--fp32_peak_tflops P] [--json PATH] [--write_plan PATH]` (`--cpu-only` and `--write-plan` are
//! still accepted). `--write_plan PATH` writes the plan the native peers run
//! (`bench/torch_peer.py`) and exits; `--json PATH` also writes the measurements as JSON
//! (serde_json). Every row gives the achieved FLOP/s (network evaluations per second times
//! `mlp::FLOP_PER_EVALUATION`, the multiply-adds of the three layers); with `--fp32_peak_tflops`
//! (the device's FP32 peak, from its data sheet) also its fraction of the peak.
//! Before its GPU rows it times every shape of the MLP kernels the adapter can run (workgroup
//! size and weights format, `app::kernel_tuning`) and runs the rows in the fastest: `--tune auto`
//! (the default) does so on hardware adapters only (a software one takes minutes), `always` and
//! `never` say so; `--tune_particles N` sets the particles of the timed runs.
//! `bench/device-check.sh` runs it on a GPU machine.
//! Every row is measured for each architecture of `--architectures` (both by default, in the same
//! run, so the cost of the coordinate features is a ratio of one run): `plain` is the embedded
//! network, `fourier` the same network with Fourier features of its coordinates whose weights are
//! zero (`mlp::Architecture::FOURIER`: the same function, so the same SW2, at the new
//! architecture's cost, which does not depend on the weights' values).

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use diffusion_playground::app::backend::Clock;
use diffusion_playground::app::cli;
use diffusion_playground::app::kernel_tuning::{self, TuningReport};

use diffusion_playground::app::options::{Options, RawOptions, RawValue, MAX_PARTICLES, MAX_PARTICLES_CPU};
use diffusion_playground::app::peer_plan::PeerPlan;
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::embedded;
use diffusion_playground::core::metrics;
use diffusion_playground::core::mlp;
use diffusion_playground::core::sampler::{self, NetFrame, ScoreSource};
use diffusion_playground::core::weights::TrainedNet;
use diffusion_playground::gpu::engine::MAX_PARTICLES as ENGINE_MAX_PARTICLES;
use diffusion_playground::gpu::{context, ComputeEngine, GpuContext, MlpKernelConfig};

/// Particle counts measured unless `--particles` says otherwise.
const DEFAULT_PARTICLES: [u32; 2] = [16_384, 65_536];
/// Steps per timed run.
const STEPS: u32 = 20;
/// Timed runs per configuration.
const REPEATS: usize = 3;
/// Seed of the data sample the final particles are compared with (as in `bench/browser.mjs`).
const REFERENCE_SEED: u32 = 2002;
/// Size of that sample; the distance uses as many of the final particles.
const REFERENCE_POINTS: usize = 4096;
/// Threads our CPU core runs on unless `--threads` says otherwise (the peers' comparison in
/// `cargo xtask bench` is per thread).
const DEFAULT_THREADS: usize = 1;
/// Particles of the shape-tuning runs unless `--tune_particles` says otherwise (a
/// reference size for a real GPU).
const DEFAULT_TUNE_PARTICLES: u32 = 1 << 20;
/// Timed runs per shape when tuning (the best counts).
const TUNE_REPEATS: u32 = 3;

/// Measures the playground's CPU core and its WGSL kernels on the same reverse run: steps and
/// network evaluations per second, and the sliced W2 distance of the final particles to the data.
#[derive(Parser, Debug)]
#[command(name = "dp-bench", rename_all = "snake_case")]
struct Args {
    /// Measure the CPU core only (no GPU adapter needed)
    #[arg(long, alias = "cpu-only", conflicts_with = "gpu_only")]
    cpu_only: bool,
    /// Measure the wgpu path only (no CPU rows)
    #[arg(long)]
    gpu_only: bool,
    /// The device's FP32 peak in TFLOP/s, to report the achieved fraction of it
    #[arg(long, value_name = "P", value_parser = peak_tflops)]
    fp32_peak_tflops: Option<f64>,
    /// Particle counts to measure
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',', default_value = DEFAULT_PARTICLES.map(|n| n.to_string()).join(","),
          value_parser = cli::integer_from(1, u32::MAX))]
    particles: Vec<u32>,
    /// Thread counts of the CPU rows, or all (1 to every core)
    #[arg(long, value_name = "N[,N...]|all", default_value_t = Threads::List(vec![DEFAULT_THREADS]),
          value_parser = threads)]
    threads: Threads,
    /// Also write the measurements as JSON
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Write the plan the native peers run (`bench/torch_peer.py`) and exit
    #[arg(long, alias = "write-plan", value_name = "PATH")]
    write_plan: Option<PathBuf>,
    /// Time every shape of the MLP kernels first and run the GPU rows in the fastest: auto
    /// (hardware adapters only), always or never
    #[arg(long, value_enum, default_value_t = Tune::Auto)]
    tune: Tune,
    /// Particles of the shape-tuning runs
    #[arg(long, value_name = "N", default_value_t = DEFAULT_TUNE_PARTICLES,
          value_parser = cli::integer_from(64, ENGINE_MAX_PARTICLES))]
    tune_particles: u32,
    /// The network architectures measured: plain (the embedded network) and fourier (with
    /// coordinate features)
    #[arg(long, value_enum, value_delimiter = ',', default_value = "plain,fourier")]
    architectures: Vec<Measured>,
}

/// Which network a row runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Measured {
    /// The embedded two-moons network (`mlp 18-64-64-2`).
    Plain,
    /// The same with coordinate features whose weights are zero (`mlp 18+24-64-64-2`).
    Fourier,
}

impl Measured {
    fn architecture(self) -> mlp::Architecture {
        match self {
            Measured::Plain => mlp::Architecture::PLAIN,
            Measured::Fourier => mlp::Architecture::FOURIER,
        }
    }

    /// The network of the row: the embedded one, widened to the architecture with zeros.
    fn network(self, options: &Options) -> Result<TrainedNet, String> {
        let mut net = embedded::net_for(options.dataset, options.schedule).map_err(|e| e.to_string())?;
        net.mlp.weights.resize(self.architecture().parameters(), 0.0);
        Ok(net)
    }
}

/// When the GPU rows' kernel shape is tuned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Tune {
    /// On hardware adapters only.
    Auto,
    /// Always (slow on a software adapter).
    Always,
    /// Never: the default shape.
    Never,
}

/// Wall-clock milliseconds for the tuner.
struct WallClock(Instant);

impl Clock for WallClock {
    fn now_ms(&mut self) -> f64 {
        self.0.elapsed().as_secs_f64() * 1e3
    }
}

/// Times every shape of the MLP kernels on `gpu` and prints them; the report names the fastest.
fn tune_shape(gpu: &GpuContext, particles: u32, peak: Option<f64>) -> Result<TuningReport, String> {
    let mut engine = ComputeEngine::new(gpu);
    let mut clock = WallClock(Instant::now());
    let report =
        pollster::block_on(kernel_tuning::tune(&mut engine, &mut clock, particles as usize, TUNE_REPEATS))?;
    println!(
        "MLP kernel shapes on this adapter ({particles} particles, {} reverse steps, best of {TUNE_REPEATS}):",
        report.steps
    );
    let peak_column = if peak.is_some() { " | of FP32 peak" } else { "" };
    println!(
        "| shape (workgroup x weights) | M evaluations/s | GFLOP/s{peak_column} | agrees with the default |"
    );
    println!("| --- | --- | ---{} | --- |", if peak.is_some() { " | ---" } else { "" });
    for timing in &report.timings {
        let fraction =
            peak.map_or(String::new(), |p| format!(" | {:.1}%", 100.0 * timing.flop_per_second / p));
        println!(
            "| {} | {:.2} | {:.1}{fraction} | {} |",
            timing.shape,
            timing.evaluations_per_second / 1e6,
            timing.flop_per_second / 1e9,
            if timing.agrees { "yes" } else { "NO" }
        );
    }
    println!("chosen: {} ({:.2}x the default shape)\n", report.chosen, report.speedup_over_default);
    Ok(report)
}

/// The thread counts of `--threads`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Threads {
    /// 1 to every core.
    All,
    /// These counts.
    List(Vec<usize>),
}

impl Threads {
    fn counts(&self) -> Vec<usize> {
        match self {
            Threads::All => (1..=sampler::available_threads()).collect(),
            Threads::List(counts) => counts.clone(),
        }
    }
}

impl std::fmt::Display for Threads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Threads::All => write!(f, "all"),
            Threads::List(counts) => {
                let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
                write!(f, "{}", counts.join(","))
            }
        }
    }
}

/// `--threads all` or a list of positive counts.
fn threads(text: &str) -> Result<Threads, String> {
    if text == "all" {
        return Ok(Threads::All);
    }
    text.split(',')
        .map(|n| n.trim().parse().ok().filter(|&n| n > 0))
        .collect::<Option<Vec<usize>>>()
        .map(Threads::List)
        .ok_or_else(|| "allowed: all or a list of positive integers".into())
}

/// `--fp32_peak_tflops`: a finite number above 0 (TFLOP/s).
fn peak_tflops(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|p| p.is_finite() && *p > 0.0)
        .ok_or_else(|| "allowed: a number of TFLOP/s above 0".into())
}

/// The bench's options at `particles`: the options table's, except that counts above the page's
/// cap (`options::MAX_PARTICLES`) are allowed up to what one GPU dispatch covers
/// (`gpu::engine::MAX_PARTICLES`, 2^22), since the bench measures how far the paths scale.
fn options(particles: u32) -> Result<Options, String> {
    if particles > ENGINE_MAX_PARTICLES {
        return Err(format!(
            "{particles} particles: at most {ENGINE_MAX_PARTICLES} (the GPU engine's cap, 2^22)"
        ));
    }
    let raw: RawOptions = [("particles", particles.min(MAX_PARTICLES) as f64), ("steps", STEPS as f64)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Some(RawValue::Number(v))))
        .collect();
    let table = Options::default().merged(&raw).map_err(|e| e.to_string())?;
    Ok(Options { particles, ..table })
}

/// The data sample the final particles are compared with.
fn reference_points(options: &Options) -> Vec<[f32; 2]> {
    options.dataset.sample(REFERENCE_SEED, REFERENCE_POINTS)
}

/// Seconds of the timed runs (sorted) and the particles at the end of the last one.
struct Timed {
    seconds: Vec<f64>,
    final_points: Vec<[f32; 2]>,
}

/// Times a session's runs (a warm-up step first; runs end with a readback so GPU work is done).
fn time_session(mut session: Session) -> Result<Timed, String> {
    let finish = |s: &Session| pollster::block_on(s.read_positions()?.positions()).map_err(|e| e.to_string());
    session.step(1)?;
    finish(&session)?;
    let mut seconds = Vec::new();
    let mut final_points = Vec::new();
    for _ in 0..REPEATS {
        session.reset()?;
        let started = Instant::now();
        while session.step(STEPS)? > 0 {}
        final_points = finish(&session)?;
        seconds.push(started.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    Ok(Timed { seconds, final_points })
}

/// Our CPU path above the playground's CPU cap, where `Session` refuses to run on the CPU: the
/// calls a CPU session makes (`sampler::prior` on reset, `sampler::run` over the run's plan on
/// step), timed the same way.
fn time_cpu_core_uncapped(options: &Options, threads: usize, measured: Measured) -> Result<Timed, String> {
    let net = measured.network(options)?;
    let schedule = options.schedule;
    let times = options.full_run_times();
    let settings = options.sampler_settings();
    let plan = sampler::plan(schedule, NetFrame::of(&net), &settings, &times);
    let n = options.particles as usize;
    let source = ScoreSource::Mlp(&net.mlp);
    let prior = || sampler::prior(schedule, schedule.t_max(), options.seed, n);
    let mut points = prior();
    sampler::run_from_start(source, &plan[..1], &mut points, options.seed, 0);
    let mut seconds = Vec::new();
    for _ in 0..REPEATS {
        points = prior();
        let mut history = sampler::empty_history(n);
        let started = Instant::now();
        sampler::run_threaded(source, &plan, &mut points, &mut history, options.seed, 0, threads);
        seconds.push(started.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    Ok(Timed { seconds, final_points: points })
}

/// One measured configuration.
struct Row {
    /// `wgpu` or `cpu`.
    path: &'static str,
    /// The network's architecture.
    architecture: mlp::Architecture,
    label: String,
    /// Threads of a CPU row (1 for the GPU's).
    threads: usize,
    particles: u32,
    timed: Timed,
    sw2: f64,
}

impl Row {
    fn median(&self) -> f64 {
        self.timed.seconds[self.timed.seconds.len() / 2]
    }

    fn steps_per_second(&self) -> f64 {
        STEPS as f64 / self.median()
    }

    fn evaluations_per_second(&self) -> f64 {
        self.particles as f64 * STEPS as f64 / self.median()
    }

    /// Achieved FLOP/s: one network evaluation per particle and step, each the architecture's
    /// FLOP per evaluation.
    fn flops(&self) -> f64 {
        self.evaluations_per_second() * self.architecture.flop_per_evaluation() as f64
    }

    /// The row as JSON (non-finite numbers become null).
    fn to_json(&self) -> serde_json::Value {
        let (mean, variance) = metrics::mean_and_variance(&self.timed.final_points);
        serde_json::json!({
            "path": self.path,
            "architecture": self.architecture.name(),
            "flop_per_evaluation": self.architecture.flop_per_evaluation(),
            "label": self.label,
            "threads": self.threads,
            "particles": self.particles,
            "seconds": self.timed.seconds,
            "steps_per_second": self.steps_per_second(),
            "evaluations_per_second": self.evaluations_per_second(),
            "flop_per_second": self.flops(),
            "sw2_after_steps": self.sw2,
            "mean": mean,
            "std": variance.map(f64::sqrt),
        })
    }
}

fn write_file(path: &PathBuf, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Writes the plan of the measured run for the native peers: [`PeerPlan`] plus what they need
/// around it (the network's sizes, the prior's standard deviation, the data sample the final
/// particles are compared with).
fn write_plan(path: &PathBuf) -> Result<(), String> {
    let options = options(DEFAULT_PARTICLES[0])?;
    let plan = PeerPlan::for_options(&options)?;
    let schedule = options.schedule;
    let text = serde_json::json!({
        "dataset": options.dataset.name(),
        "schedule": schedule.name(),
        "steps": options.steps,
        "features": mlp::FEATURES,
        "hidden": mlp::HIDDEN,
        "output_dim": mlp::OUTPUT_DIM,
        "prior_sigma": schedule.sigma(schedule.t_max()),
        "weights": plan.weights,
        "hidden_biases": plan.hidden_biases,
        "out_x": plan.out_x,
        "out_e1": plan.out_e1,
        "out_noise": plan.out_noise,
        "input_scale": plan.input_scale,
        "reference_seed": REFERENCE_SEED,
        "reference_points": reference_points(&options),
    })
    .to_string();
    write_file(path, &text)?;
    println!("dp-bench: plan of the {}-step run written to {}", options.steps, path.display());
    Ok(())
}

fn measure(
    particles: u32,
    on_gpu: bool,
    threads: usize,
    gpu: Option<&GpuContext>,
    shape: MlpKernelConfig,
    measured: Measured,
) -> Result<Row, String> {
    let opts = options(particles)?;
    let with_network = |mut session: Session| -> Result<Session, String> {
        if measured != Measured::Plain {
            session.use_network(measured.network(&opts)?)?;
        }
        Ok(session)
    };
    let timed = match gpu.filter(|_| on_gpu) {
        Some(gpu) => {
            let mut engine = ComputeEngine::new(gpu);
            engine.set_mlp_config(shape).map_err(|e| e.to_string())?;
            time_session(with_network(Session::new(opts.clone(), Particles::Gpu(Box::new(engine)))?)?)?
        }
        None if particles > MAX_PARTICLES_CPU => time_cpu_core_uncapped(&opts, threads, measured)?,
        None => {
            let mut session = with_network(Session::new(opts.clone(), Particles::Cpu(Vec::new()))?)?;
            session.set_cpu_threads(threads);
            time_session(session)?
        }
    };
    let compared = timed.final_points.len().min(REFERENCE_POINTS);
    let sw2 = metrics::sliced_wasserstein(&timed.final_points[..compared], &reference_points(&opts));
    let threads_note = if threads == 1 { "1 thread".to_string() } else { format!("{threads} threads") };
    let (path, label) = match (on_gpu, particles > MAX_PARTICLES_CPU) {
        (true, _) => ("wgpu", format!("native wgpu (Vulkan), {}", shape.describe())),
        (false, false) => ("cpu", format!("native CPU core, {threads_note}")),
        (false, true) => ("cpu", format!("native CPU core, {threads_note} (no session: above the CPU cap)")),
    };
    let threads = if on_gpu { 1 } else { threads };
    let architecture = measured.architecture();
    let label = format!("{label}, {}", architecture.name());
    Ok(Row { path, architecture, label, threads, particles, timed, sw2 })
}

fn run() -> Result<(), String> {
    let args = Args::parse();
    let threads = args.threads.counts();
    if let Some(path) = &args.write_plan {
        return write_plan(path);
    }
    let gpu = if args.cpu_only {
        None
    } else {
        let gpu = context::native_context().map_err(|e| e.to_string())?;
        println!("native GPU adapter: {}", gpu.describe());
        Some(gpu)
    };
    let peak = args.fp32_peak_tflops.map(|p| p * 1e12);
    let tuning = match &gpu {
        Some(gpu) if args.tune == Tune::Always || (args.tune == Tune::Auto && !gpu.is_software()) => {
            match tune_shape(gpu, args.tune_particles, peak) {
                Ok(report) => Some(report),
                Err(why) => {
                    println!(
                        "timing the MLP kernel shapes failed ({why}); the rows run in the default shape\n"
                    );
                    None
                }
            }
        }
        _ => None,
    };
    let shape = tuning.as_ref().map_or(MlpKernelConfig::DEFAULT, |t| t.config);
    let peak_column = if peak.is_some() { " | of FP32 peak" } else { "" };
    println!("| path | N | steps/s | M evaluations/s | GFLOP/s{peak_column} | run seconds (min..max) | SW2 to data |");
    println!("| --- | --- | --- | --- | ---{} | --- | --- |", if peak.is_some() { " | ---" } else { "" });
    let cpu_threads = if args.gpu_only { &[][..] } else { &threads[..] };
    let mut rows = Vec::new();
    for &particles in &args.particles {
        let runs = gpu.iter().map(|_| (true, 1)).chain(cpu_threads.iter().map(|&t| (false, t)));
        let runs: Vec<_> = runs.flat_map(|run| args.architectures.iter().map(move |&a| (run, a))).collect();
        for ((on_gpu, threads), measured) in runs {
            let row = measure(particles, on_gpu, threads, gpu.as_ref(), shape, measured)?;
            let seconds = &row.timed.seconds;
            let fraction = peak.map_or(String::new(), |p| format!(" | {:.1}%", 100.0 * row.flops() / p));
            println!(
                "| {} | {particles} | {:.2} | {:.3} | {:.1}{fraction} | {:.2}..{:.2} | {:.3} |",
                row.label,
                row.steps_per_second(),
                row.evaluations_per_second() / 1e6,
                row.flops() / 1e9,
                seconds[0],
                seconds[seconds.len() - 1],
                row.sw2
            );
            rows.push(row);
        }
    }
    if let Some(path) = &args.json {
        let rows: Vec<serde_json::Value> = rows.iter().map(Row::to_json).collect();
        let text = serde_json::json!({
            "steps": STEPS,
            "repeats": REPEATS,
            "cpu_core_threads": cpu_threads,
            "flop_per_evaluation": mlp::FLOP_PER_EVALUATION,
            "architectures": args.architectures.iter().map(|a| a.architecture().name()).collect::<Vec<_>>(),
            "fp32_peak_flop_per_second": peak,
            "mlp_kernel_shape": gpu.as_ref().map(|_| shape.describe()),
            "mlp_kernel_tuning": tuning,
            "rows": rows,
        })
        .to_string();
        write_file(path, &text)?;
    }
    Ok(())
}

fn main() {
    if let Err(message) = run() {
        eprintln!("dp-bench: {message}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        <Args as clap::CommandFactory>::command().debug_assert();
    }
}
