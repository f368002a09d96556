//! Command-line sampling for people who want numbers rather than pictures:
//!
//! ```text
//! dp-sample [--OPTION VALUE]... [--data FILE] [--weights FILE.safetensors] [--export_weights FILE.safetensors]
//!           [--exact_posterior_samples N] [--emit python] [--from points.csv] [--trajectory] [--format csv|npy]
//!           [--out FILE] [--device cpu|gpu] [--threads N]
//! ```
//!
//! Every playground option is accepted as `--name value` (`app::cli`: one argument per option of
//! the table, whose `--help` says what it accepts), validated exactly as in the browser; `--seed`
//! also takes `random` (drawn and printed), `--class` also takes the class's index, and
//! `--guidance_interval LO,HI` sets both ends of the guidance interval. The run starts from the
//! prior noise, or from the points of `--from` (CSV, one `x,y` per line). `--data FILE` samples a
//! user's own points instead of a dataset (CSV or TSV, NumPy .npy, drawing JSON: `app::data_file`),
//! as the page's "Load data" does, with their exact score. The final particles
//! (or, with `--trajectory`, every step's) are written as CSV (`step,particle,x,y`) or as a NumPy
//! `.npy` array of shape (particles, 2) or (steps + 1, particles, 2).
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

use clap::{Parser, ValueEnum};
use diffusion_playground::app::cli::{self, TableArgs};
use diffusion_playground::app::data_file;
use diffusion_playground::app::network_file;
use diffusion_playground::app::options::{Options, RawOptions, RawValue};
use diffusion_playground::app::points_file;
use diffusion_playground::app::python_export;
use diffusion_playground::app::random_seed;
use diffusion_playground::app::sample_files;
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::app::straightness::STRAIGHTNESS_PATHS;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::sampler;
use diffusion_playground::core::{classes, drawing};
use diffusion_playground::gpu::{context, ComputeEngine};

/// Samples a playground run natively and writes the particles (or whole trajectories) as CSV or
/// NumPy.
///
/// Every playground option is taken as `--name VALUE` and checked exactly as in the page. The
/// run starts from the prior noise, or from the points of --from. With a measurement
/// y = A x0 + n (--observe, --observation, --observation_noise) the run conditions on y.
#[derive(Parser, Debug)]
#[command(name = "dp-sample", rename_all = "snake_case")]
struct Args {
    /// Sample this data instead of a dataset: points as CSV or TSV (`x,y` or `x,y,class`), a
    /// NumPy .npy array (N x 2 or N x 3) or the page's drawing JSON, fitted into the picture and
    /// cut to a drawing's 512 points (`app::data_file`), with its exact score unless --score says
    /// empirical
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Start from these points instead of the prior noise (CSV, one `x,y` per line; as many
    /// particles as points)
    #[arg(long, value_name = "POINTS.csv")]
    from: Option<PathBuf>,
    /// Sample with the network of this file (safetensors, or a .dpw of `cargo xtask train`; its dataset unless
    /// --dataset says otherwise)
    #[arg(long, value_name = "FILE.safetensors|FILE.dpw")]
    weights: Option<PathBuf>,
    /// Write the network in use as a file instead of sampling
    #[arg(long, value_name = "FILE.safetensors")]
    export_weights: Option<PathBuf>,
    /// Write N exact draws of what the run targets instead (`sample,x,y`): the dataset's
    /// distribution, p(x0 | c) with a class and guidance, p(x0 | y) with a measurement
    #[arg(long, value_name = "N", value_parser = cli::integer_from(1, MAX_EXACT_SAMPLES))]
    exact_posterior_samples: Option<usize>,
    /// Both ends of the guidance interval at once (--guidance_low LO --guidance_high HI)
    #[arg(
        long,
        value_name = "LO,HI",
        allow_hyphen_values = true,
        value_parser = interval,
        conflicts_with_all = ["guidance_low", "guidance_high"]
    )]
    guidance_interval: Option<(String, String)>,
    /// Write the run as code instead of running it: a NumPy script that lands on the same
    /// particles from the same seed (--start points.csv in the script for --from's points)
    #[arg(long, value_enum, value_name = "LANGUAGE")]
    emit: Option<Emit>,
    /// Write every step's particles (`step,particle,x,y`, or an array of shape (steps + 1,
    /// particles, 2)), not only the final ones
    #[arg(long)]
    trajectory: bool,
    /// The file format: CSV, or a NumPy `.npy` array of shape (particles, 2)
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    format: Format,
    /// Write to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Where the particles live: the CPU core, or the WGSL kernels on the native GPU
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    device: Device,
    /// Threads of the CPU path [default: every core]
    #[arg(long, value_name = "N", value_parser = cli::integer_from(1, MAX_THREADS))]
    threads: Option<usize>,
}

/// What `--format` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Csv,
    Npy,
}

/// What `--emit` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Emit {
    Python,
}

/// Where `--device` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Device {
    Cpu,
    Gpu,
}

/// The playground's options as dp-sample takes them.
fn table() -> TableArgs {
    TableArgs::new(Options::default())
        .note("seed", "or random (drawn, and printed on stderr)")
        .note("class", "or its index")
        .note("particles", "with --from, the number of points")
        .note("posterior", "a measurement without it: exact, with the exact score")
}

/// `--guidance_interval LO,HI`: the two ends, as text for the table to check.
fn interval(text: &str) -> Result<(String, String), String> {
    match text.split(',').collect::<Vec<_>>().as_slice() {
        [low, high] => Ok((low.to_string(), high.to_string())),
        _ => Err("allowed: two numbers LO,HI".into()),
    }
}

/// Most threads `--threads` asks for.
const MAX_THREADS: usize = 256;
/// Most exact draws `--exact_posterior_samples` writes.
const MAX_EXACT_SAMPLES: usize = 10_000_000;

/// The table's options of the command line with dp-sample's own spellings resolved: `--seed
/// random` drawn (and printed), `--guidance_interval` as its two ends.
fn resolve(args: &Args, mut raw: RawOptions) -> Result<RawOptions, String> {
    if let Some(Some(RawValue::Text(seed))) = raw.get("seed") {
        if seed == "random" {
            let seed = random_seed::random_seed()?;
            eprintln!("seed {seed}");
            raw.insert("seed".into(), Some(RawValue::Number(seed as f64)));
        }
    }
    if let Some((low, high)) = &args.guidance_interval {
        raw.insert("guidance_low".into(), Some(RawValue::Text(low.clone())));
        raw.insert("guidance_high".into(), Some(RawValue::Text(high.clone())));
    }
    Ok(raw)
}

/// `--class 2` names the third class of the dataset (of the drawing's stroke colours, with
/// `--data`): a class given by its index becomes its name.
fn class_by_index(raw: &mut RawOptions, of_data: bool) -> Result<(), String> {
    let Some(Some(RawValue::Text(text))) = raw.get("class") else { return Ok(()) };
    let Ok(index) = text.parse::<usize>() else { return Ok(()) };
    // An unknown dataset is the options' to report.
    let (names, whose) = if of_data {
        (&drawing::DRAWING_CLASSES[..], "the data")
    } else {
        let dataset = match raw.get("dataset") {
            Some(Some(RawValue::Text(name))) => match Dataset::from_name(name) {
                Some(dataset) => dataset,
                None => return Ok(()),
            },
            _ => Options::default().dataset,
        };
        (classes::classes(dataset), dataset.name())
    };
    let class = names.get(index).ok_or_else(|| {
        format!(
            "--class {index}: {whose} has classes 0 to {} ({})",
            names.len() - 1,
            names.iter().map(|c| c.name).collect::<Vec<_>>().join(", ")
        )
    })?;
    raw.insert("class".into(), Some(RawValue::Text(class.name.into())));
    Ok(())
}

fn run(args: Args, raw: RawOptions) -> Result<(), String> {
    let mut raw = resolve(&args, raw)?;
    let imported = args.weights.as_deref().map(network_file::read_network).transpose()?;
    if let Some(dataset) = imported.as_ref().and_then(|net| net.dataset) {
        raw.entry("dataset".into()).or_insert(Some(RawValue::Text(dataset.name().into())));
    }
    let data = args.data.as_deref().map(data_file::read).transpose()?;
    class_by_index(&mut raw, data.is_some())?;
    if data.is_some() && imported.is_none() {
        // Data without a network (--weights): its exact score (or the empirical one) samples it.
        raw.entry("score".into()).or_insert(Some(RawValue::Text("exact".into())));
    }
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
    let options = Options::for_data(data.is_some()).merged(&raw).map_err(|e| e.to_string())?;
    let particles = if args.device == Device::Gpu {
        let gpu = context::native_context().map_err(|e| e.to_string())?;
        eprintln!("dp-sample: running on {}", gpu.describe());
        Particles::Gpu(Box::new(ComputeEngine::new(&gpu)))
    } else {
        Particles::Cpu(Vec::new())
    };
    let dataset = options.dataset;
    let mut session = Session::new(options, particles)?;
    session.set_cpu_threads(args.threads.unwrap_or_else(sampler::available_threads));
    let imported = imported.map(|net| net.into_trained(dataset));
    match &data {
        Some(data) => {
            for notice in &data.notices {
                eprintln!("dp-sample: {notice}");
            }
            // With --weights, the network trained on the data (`dp-train --data`) samples it.
            session.use_labelled_drawing(&data.point_pairs(), &data.labels, imported)?;
        }
        None => {
            if let Some(net) = imported {
                session.use_network(net)?;
            }
        }
    }
    if args.export_weights.is_some() {
        return write_out(&args.export_weights, session.network_file());
    }
    if args.emit == Some(Emit::Python) {
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
    if let Some(n) = args.exact_posterior_samples {
        let seed = session.options().seed;
        // The target is p(x0 | y) with a measurement, p(x0 | c) with a class.
        let draws = session.target().sample(seed, 0, n);
        let flat: Vec<f32> = draws.iter().flatten().copied().collect();
        let bytes = if args.format == Format::Npy {
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
    summarise(&session);
    let bytes = if args.trajectory {
        sample_files::trajectory_file(&frames, if args.format == Format::Npy { "npy" } else { "csv" })
            .map_err(|e| e.to_string())?
    } else if args.format == Format::Npy {
        sample_files::particles_npy(&frames)
    } else {
        sample_files::particles_csv(&frames, session.step_index()).into_bytes()
    };
    write_out(&args.out, bytes)
}

/// The run's summary on stderr: its sampler, steps and evaluations, and for a deterministic run
/// the straightness of its paths next to the exact flow's (`app::straightness`).
fn summarise(session: &Session) {
    let sampler = session.options().sampler.name();
    let evaluations: usize = session.plan().iter().map(|step| step.evaluations()).sum();
    let straightness = match session.straightness(STRAIGHTNESS_PATHS) {
        Ok(view) => format!(
            "straightness={:.6} (exact flow {:.6}, relative {:.4}) mean_curvature={:.4} over {} paths",
            view.run.straightness,
            view.exact.straightness,
            view.run.relative,
            view.run.mean_curvature,
            view.run.paths
        ),
        Err(why) => format!("straightness=none ({})", why.allowed),
    };
    eprintln!(
        "dp-sample: {sampler}, {} steps, {evaluations} evaluations: {straightness}",
        session.plan().len()
    );
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
    let table = table();
    let cli::Parsed { args, options, mut command } = cli::parse::<Args>(Some(&table));
    if let Err(message) = run(args, options) {
        cli::fail(&mut command, message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        cli::command::<Args>(Some(&table())).debug_assert();
    }
}
