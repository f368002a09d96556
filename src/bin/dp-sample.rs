//! Command-line sampling for people who want numbers rather than pictures:
//!
//! ```text
//! dp-sample [--OPTION VALUE]... [--weights FILE.safetensors] [--export_weights FILE.safetensors] [--from points.csv] [--trajectory] [--format csv|npy] [--out FILE]
//!           [--device cpu|gpu] [--threads N]
//! ```
//!
//! Every playground option is accepted as `--name value` (dataset, schedule, sampler, score,
//! steps, time_grid, shift, rho, eta, churn, s_tmin, s_tmax, s_noise, order, particles, seed (or `random`: drawn and printed), class, guidance, guidance_scale,
//! guidance_low, guidance_high, posterior, observe, observation, observation_noise,
//! posterior_scale), validated exactly as in the browser; `--class` also takes the
//! class's index, and `--guidance_interval LO,HI` sets both ends of the guidance interval. The run
//! starts from the prior noise, or from the points of `--from` (CSV, one `x,y` per line). The
//! final particles (or, with `--trajectory`, every step's) are written as CSV (`step,particle,x,y`)
//! or as a NumPy `.npy` array of shape (particles, 2) or (steps + 1, particles, 2).
//!
//! `--exact_posterior_samples N` writes N exact draws of what the run targets instead (the
//! dataset's distribution, or p(x0 | c) with a class and guidance), so that a sampler can be
//! measured against the truth outside the project. With a measurement y = A x0 + n,
//! n ~ N(0, s^2 I) (`--observe "a11,a12[;a21,a22]" --observation "y1[,y2]" --observation_noise S`),
//! the run conditions on y with `--posterior exact|dps|pigdm|smc` (exact, with the exact score,
//! when a measurement is given without a method; `core::posterior`, `core::posterior_guidance`,
//! `core::smc`), `--posterior_scale W`
//! weighting DPS's and PiGDM's likelihood term, and the exact draws are of p(x0 | y).
//!
//! `--emit python` writes the run as a runnable NumPy script instead (`app::python_export`: the
//! same samples from the same seed, and the nearest k-diffusion and diffusers calls).
//!
//! `--weights FILE.safetensors` samples with a network from a file (`core::safetensors_net`; its
//! dataset is the file's unless `--dataset` says otherwise), and `--export_weights FILE` writes
//! the network in use as such a file instead of sampling.

use std::io::Write;
use std::path::PathBuf;

use diffusion_playground::app::network_file;
use diffusion_playground::app::options::{self, Options, RawOptions, RawValue};
use diffusion_playground::app::points_file;
use diffusion_playground::app::python_export;
use diffusion_playground::app::random_seed;
use diffusion_playground::app::sample_files;
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::classes;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::sampler;
use diffusion_playground::gpu::{context, ComputeEngine};

const USAGE: &str =
    "usage: dp-sample [--dataset NAME] [--schedule NAME] [--sampler NAME] [--score mlp|exact] \
[--steps N] [--time_grid NAME] [--shift X] [--rho X] [--eta X] [--churn X] [--s_tmin X] [--s_tmax X] [--s_noise X] [--order 2|3] [--particles N] [--seed N|random] \
[--class NAME|INDEX] [--guidance none|cfg|classifier] [--guidance_scale W] [--guidance_interval LO,HI] \
[--observe \"A11,A12[;A21,A22]\" --observation \"Y1[,Y2]\" --observation_noise S [--posterior exact|dps|pigdm|smc] [--posterior_scale W]] \
[--exact_posterior_samples N] [--emit python] [--from points.csv] [--trajectory] [--format csv|npy] [--out FILE] [--device cpu|gpu] [--threads N]";

struct Args {
    options: RawOptions,
    exact_samples: Option<usize>,
    from: Option<PathBuf>,
    weights: Option<PathBuf>,
    export_weights: Option<PathBuf>,
    trajectory: bool,
    npy: bool,
    out: Option<PathBuf>,
    gpu: bool,
    /// Threads of the CPU path (all the machine's by default).
    threads: usize,
    /// `--emit python`: write the run as a NumPy script instead of running it.
    emit_python: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        options: RawOptions::new(),
        exact_samples: None,
        from: None,
        weights: None,
        export_weights: None,
        trajectory: false,
        npy: false,
        out: None,
        gpu: false,
        threads: sampler::available_threads(),
        emit_python: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let name =
            flag.strip_prefix("--").ok_or_else(|| format!("unexpected argument {flag:?}"))?.to_string();
        if name == "trajectory" {
            args.trajectory = true;
            continue;
        }
        if name == "help" {
            return Err(String::new());
        }
        let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
        match name.as_str() {
            "from" => args.from = Some(PathBuf::from(value)),
            "weights" => args.weights = Some(PathBuf::from(value)),
            "export_weights" => args.export_weights = Some(PathBuf::from(value)),
            "exact_posterior_samples" => {
                let n = value.parse::<usize>().ok().filter(|n| (1..=MAX_EXACT_SAMPLES).contains(n));
                args.exact_samples = Some(n.ok_or_else(|| {
                    format!("--exact_posterior_samples {value:?}: allowed an integer from 1 to {MAX_EXACT_SAMPLES}")
                })?);
            }
            "guidance_interval" => {
                let ends: Vec<&str> = value.split(',').collect();
                let [low, high] = ends.as_slice() else {
                    return Err(format!("--guidance_interval {value:?}: allowed two numbers LO,HI"));
                };
                args.options.insert("guidance_low".into(), Some(RawValue::Text(low.to_string())));
                args.options.insert("guidance_high".into(), Some(RawValue::Text(high.to_string())));
            }
            "seed" if value == "random" => {
                let seed = random_seed::random_seed()?;
                eprintln!("seed {seed}");
                args.options.insert("seed".into(), Some(RawValue::Number(seed as f64)));
            }
            "out" => args.out = Some(PathBuf::from(value)),
            "emit" => {
                args.emit_python = match value.as_str() {
                    "python" => true,
                    other => return Err(format!("--emit {other:?}: allowed python")),
                }
            }
            "format" => {
                args.npy = match value.as_str() {
                    "npy" => true,
                    "csv" => false,
                    other => return Err(format!("--format {other:?}: allowed csv or npy")),
                }
            }
            "threads" => {
                let n = value.parse::<usize>().ok().filter(|n| (1..=MAX_THREADS).contains(n));
                args.threads = n.ok_or_else(|| {
                    format!("--threads {value:?}: allowed an integer from 1 to {MAX_THREADS}")
                })?;
            }
            "device" => {
                args.gpu = match value.as_str() {
                    "gpu" => true,
                    "cpu" => false,
                    other => return Err(format!("--device {other:?}: allowed cpu or gpu")),
                }
            }
            _ => {
                args.options.insert(name, Some(RawValue::Text(value)));
            }
        }
    }
    Ok(args)
}

/// Most threads `--threads` asks for.
const MAX_THREADS: usize = 256;
/// Most exact draws `--exact_posterior_samples` writes.
const MAX_EXACT_SAMPLES: usize = 10_000_000;

/// `--class 2` names the dataset's third class: a class given by its index becomes its name.
fn class_by_index(raw: &mut RawOptions) -> Result<(), String> {
    let Some(Some(RawValue::Text(text))) = raw.get("class") else { return Ok(()) };
    let Ok(index) = text.parse::<usize>() else { return Ok(()) };
    // An unknown dataset is the options' to report.
    let dataset = match raw.get("dataset") {
        Some(Some(RawValue::Text(name))) => match Dataset::from_name(name) {
            Some(dataset) => dataset,
            None => return Ok(()),
        },
        _ => Options::default().dataset,
    };
    let names = classes::classes(dataset);
    let class = names.get(index).ok_or_else(|| {
        format!(
            "--class {index}: {} has classes 0 to {} ({})",
            dataset.name(),
            names.len() - 1,
            names.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
        )
    })?;
    raw.insert("class".into(), Some(RawValue::Text(class.name.into())));
    Ok(())
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let mut raw = args.options.clone();
    let imported = args.weights.as_deref().map(network_file::read_network).transpose()?;
    if let Some(dataset) = imported.as_ref().and_then(|net| net.dataset) {
        raw.entry("dataset".into()).or_insert(Some(RawValue::Text(dataset.name().into())));
    }
    class_by_index(&mut raw)?;
    let start = args.from.as_ref().map(|p| points_file::read_points(p)).transpose()?;
    if let Some(points) = &start {
        raw.insert("particles".into(), Some(RawValue::Number(points.len() as f64)));
    }
    let measured = ["observe", "observation", "observation_noise"].iter().any(|f| raw.contains_key(*f));
    if measured {
        // A measurement without a method: its exact posterior, with the exact score it needs.
        if !raw.contains_key("posterior") {
            raw.insert("posterior".into(), Some(RawValue::Text("exact".into())));
            raw.entry("score".into()).or_insert(Some(RawValue::Text("exact".into())));
        }
    }
    let options = Options::default().merged(&raw).map_err(|e| e.to_string())?;
    let particles = if args.gpu {
        let gpu = context::native_context().map_err(|e| e.to_string())?;
        eprintln!("dp-sample: running on {}", gpu.describe());
        Particles::Gpu(Box::new(ComputeEngine::new(&gpu)))
    } else {
        Particles::Cpu(Vec::new())
    };
    let dataset = options.dataset;
    let mut session = Session::new(options, particles)?;
    session.set_cpu_threads(args.threads);
    if let Some(net) = imported {
        session.use_network(net.into_trained(dataset))?;
    }
    if args.export_weights.is_some() {
        return write_out(&args.export_weights, session.network_file());
    }
    if args.emit_python {
        if let Some(from) = &args.from {
            eprintln!(
                "dp-sample: the script starts from the prior noise; run it with --start {} for these points",
                from.display()
            );
        }
        let command: Vec<String> = std::env::args().skip(1).collect();
        let origin = format!("`dp-sample {}`", command.join(" "));
        return write_out(&args.out, python_export::script(&session, &origin)?.into_bytes());
    }
    if let Some(n) = args.exact_samples {
        let seed = session.options().seed;
        // The target is p(x0 | y) with a measurement, p(x0 | c) with a class.
        let draws = session.target().sample(seed, 0, n);
        let flat: Vec<f32> = draws.iter().flatten().copied().collect();
        let bytes = if args.npy {
            sample_files::npy(&[n, 2], &flat)
        } else {
            let mut text = String::from("sample,x,y\n");
            for (i, p) in draws.iter().enumerate() {
                text.push_str(&format!("{i},{},{}\n", p[0], p[1]));
            }
            text.into_bytes()
        };
        return write_out(&args.out, bytes);
    }
    if let Some(points) = &start {
        session.start_from(points)?;
    }
    let read = |s: &Session| pollster::block_on(s.read_positions()?.positions()).map_err(|e| e.to_string());
    let mut frames = Vec::new();
    if args.trajectory {
        frames.push(read(&session)?);
        while session.step(1)? > 0 {
            frames.push(read(&session)?);
        }
    } else {
        while session.step(64)? > 0 {}
        frames.push(read(&session)?);
    }
    let bytes = if args.trajectory {
        sample_files::trajectory_file(&frames, if args.npy { "npy" } else { "csv" })
            .map_err(|e| e.to_string())?
    } else if args.npy {
        sample_files::particles_npy(&frames)
    } else {
        sample_files::particles_csv(&frames, session.step_index()).into_bytes()
    };
    write_out(&args.out, bytes)
}

/// Writes `bytes` to `out`, or to stdout.
fn write_out(out: &Option<PathBuf>, bytes: Vec<u8>) -> Result<(), String> {
    match out {
        Some(path) => {
            std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => std::io::stdout().write_all(&bytes).map_err(|e| e.to_string()),
    }
}

fn main() {
    if let Err(message) = run() {
        if message.is_empty() {
            println!(
                "{USAGE}\n\nthe playground's options, checked as in the page:\n{}",
                options::help_text()
            );
            return;
        }
        eprintln!("dp-sample: {message}\n{USAGE}");
        std::process::exit(2);
    }
}
