//! Trains the embedded score networks: `cargo xtask train [--steps N] [--seed S] [--dataset NAME]
//! [--schedule NAME] [--out DIR]`. Writes `<dataset>.<schedule>.dpw` files (half-float weights,
//! format version 2) and prints the quality of the half-float network.
//!
//! `--objective eps|x0|score|velocity|edm_denoiser`, `--weighting unit|sigma2|edm` and
//! `--time-sampling uniform|log_normal` choose the loss (`core::train`); the file records the
//! objective as the network's parametrization.
//!
//! `--requantize` trains nothing: it reads each existing file from `--out`, rounds its weights to
//! half floats, measures them again and rewrites the file in the current format (for files
//! written by an older version; the training seed and steps are kept).

use std::path::PathBuf;
use std::time::Instant;

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::sampler::NetFrame;
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::train::{TimeSampling, TrainConfig, Weighting};
use diffusion_playground::core::weights::{file_name, TrainedNet};
use diffusion_playground::core::{embedded, quality, train};

struct Args {
    requantize: bool,
    config: TrainConfig,
    datasets: Vec<Dataset>,
    schedules: Vec<Schedule>,
    out: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        requantize: false,
        config: TrainConfig::default(),
        datasets: Dataset::ALL.to_vec(),
        schedules: embedded::TRAINED_SCHEDULES.to_vec(),
        out: PathBuf::from("weights"),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--steps" => args.config.steps = value()?.parse().map_err(|e| format!("--steps: {e}"))?,
            "--seed" => args.config.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--out" => args.out = PathBuf::from(value()?),
            "--requantize" => args.requantize = true,
            "--objective" => {
                let name = value()?;
                args.config.objective = Parametrization::from_name(&name)
                    .ok_or(format!("unknown objective {name} (eps, x0, score, velocity, edm_denoiser)"))?;
            }
            "--weighting" => {
                args.config.weighting = match value()?.as_str() {
                    "unit" => Weighting::Unit,
                    "sigma2" => Weighting::SigmaSquared,
                    "edm" => Weighting::Edm,
                    other => return Err(format!("unknown weighting {other} (unit, sigma2, edm)")),
                }
            }
            "--time-sampling" => {
                args.config.time_sampling = match value()?.as_str() {
                    "uniform" => TimeSampling::Uniform,
                    "log_normal" => TimeSampling::LogNormal,
                    other => return Err(format!("unknown time sampling {other} (uniform, log_normal)")),
                }
            }
            "--dataset" => {
                let name = value()?;
                args.datasets = vec![Dataset::from_name(&name).ok_or(format!("unknown dataset {name}"))?];
            }
            "--schedule" => {
                let name = value()?;
                args.schedules = vec![Schedule::from_name(&name).ok_or(format!("unknown schedule {name}"))?];
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("dp-train: {message}");
            std::process::exit(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("dp-train: cannot create {}: {e}", args.out.display());
        std::process::exit(1);
    }
    let jobs: Vec<(Dataset, Schedule)> =
        args.datasets.iter().flat_map(|&d| args.schedules.iter().map(move |&s| (d, s))).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    println!("| dataset | schedule | steps | final loss | SW2 net | SW2 data vs data | log-density gap (nats) | seconds |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let job = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(dataset, schedule)) = jobs.get(job) else { break };
                let started = Instant::now();
                let path = args.out.join(file_name(dataset, schedule));
                let mut recent_loss = 0.0f32;
                let (trained, seed, steps, parametrization) = if args.requantize {
                    let Ok(bytes) = std::fs::read(&path) else { continue };
                    match TrainedNet::from_bytes(&bytes) {
                        Ok(old) => (old.mlp, old.training_seed, old.training_steps, old.parametrization),
                        Err(e) => {
                            eprintln!("dp-train: {}: {e}", path.display());
                            std::process::exit(1);
                        }
                    }
                } else {
                    let mixture = dataset.mixture();
                    let mlp = train::train(&mixture, schedule, &args.config, |_, loss| {
                        recent_loss = 0.99 * recent_loss + 0.01 * loss;
                    });
                    (mlp, args.config.seed, args.config.steps, args.config.objective)
                };
                // The file stores half floats: measure the network the page will run.
                let mlp = trained.quantized();
                let report = quality::measure(&mlp, NetFrame { schedule, parametrization }, dataset);
                let net = TrainedNet {
                    mlp,
                    parametrization,
                    schedule,
                    dataset,
                    training_seed: seed,
                    training_steps: steps,
                    quality: report.net as f32,
                    reference: report.reference as f32,
                };
                if let Err(e) = std::fs::write(&path, net.to_bytes()) {
                    eprintln!("dp-train: cannot write {}: {e}", path.display());
                    std::process::exit(1);
                }
                println!(
                    "| {} | {} | {} | {:.4} | {:.4} | {:.4} | {:.3} | {:.1} |",
                    dataset.name(),
                    schedule.name(),
                    steps,
                    recent_loss,
                    report.net,
                    report.reference,
                    report.log_density_gap,
                    started.elapsed().as_secs_f64()
                );
            });
        }
    });
}
