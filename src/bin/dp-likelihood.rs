//! Command-line likelihood: the log-density of points under a score model by the
//! probability-flow ODE, and the variational bound of the discrete chain.
//!
//! ```text
//! dp-likelihood [--dataset D] [--schedule S] [--score exact|mlp|empirical] [--sampler S] [--steps N]
//!               [--time_grid G] [--points FILE.csv | --data N] [--prior gaussian|exact] [--out FILE.csv]
//!               [--device cpu|gpu] [--weights FILE.safetensors]
//! dp-likelihood ... --elbo [--draws K]
//! ```
//!
//! The options are the playground's, validated by its options table (the sampler must be a
//! deterministic solver: probability_flow_euler, ddim, heun, dpm_2 or dpm_solver_2s; heun by
//! default, on the Karras grid by default). The points come from `--points` (CSV, one `x,y` per line) or are `--data N` fresh
//! draws of the dataset (1,024 by default). The output is CSV `x,y,log_p` (nats, at sigma/alpha =
//! 0.002) on stdout or in `--out`; a summary (mean NLL in bits per dimension with its standard
//! error, under the model and exactly) goes to stderr. With `--elbo` the output is the bound's
//! terms averaged over the points: `term,t,nats` rows (the prior, one KL per transition into the
//! latent at t, the reconstruction, and the total). `--device gpu` integrates the ODE with the
//! WGSL kernels (`shaders/likelihood_step_*.wgsl`) on the native GPU; the bound runs on the CPU.

use std::io::Write;
use std::path::PathBuf;

use diffusion_playground::app::likelihood::{
    NllSummary, PriorChoice, LIKELIHOOD_DATA_SEED, MAX_ELBO_DRAWS, MAX_LIKELIHOOD_POINTS,
};
use diffusion_playground::app::network_file;
use diffusion_playground::app::options::{self, Options, RawOptions, RawValue};
use diffusion_playground::app::points_file;
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::gpu::{context, ComputeEngine};

const USAGE: &str = "usage: dp-likelihood [--dataset NAME] [--schedule NAME] [--score mlp|exact|empirical] \
[--sampler probability_flow_euler|ddim|heun|dpm_2|dpm_solver_2s] [--steps N] [--time_grid NAME] \
[--points FILE.csv | --data N] [--prior gaussian|exact] [--elbo [--draws K]] [--out FILE.csv] [--device cpu|gpu] [--weights FILE.safetensors]";

/// Fresh data points evaluated when no `--points` are given.
const DEFAULT_DATA_POINTS: u32 = 1024;
/// Monte Carlo draws per latent of `--elbo` by default.
const DEFAULT_DRAWS: u32 = 8;
/// Most fresh data points of `--data`.
const MAX_DATA_POINTS: u32 = 1_000_000;

struct Args {
    options: RawOptions,
    points: Option<PathBuf>,
    data: u32,
    prior: PriorChoice,
    elbo: bool,
    draws: u32,
    out: Option<PathBuf>,
    gpu: bool,
    weights: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        options: RawOptions::new(),
        points: None,
        data: DEFAULT_DATA_POINTS,
        prior: PriorChoice::Gaussian,
        elbo: false,
        draws: DEFAULT_DRAWS,
        out: None,
        gpu: false,
        weights: None,
    };
    // Defaults of a likelihood run: Heun on the Karras grid (the uniform grid of the page's runs
    // spends few steps where the density sharpens near the data).
    args.options.insert("sampler".into(), Some(RawValue::Text("heun".into())));
    args.options.insert("time_grid".into(), Some(RawValue::Text("karras".into())));
    // The session's own particles are not used here.
    args.options.insert("particles".into(), Some(RawValue::Number(1.0)));
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let name =
            flag.strip_prefix("--").ok_or_else(|| format!("unexpected argument {flag:?}"))?.to_string();
        match name.as_str() {
            "help" => return Err(String::new()),
            "elbo" => {
                args.elbo = true;
                continue;
            }
            _ => {}
        }
        let value = it.next().ok_or_else(|| format!("--{name} needs a value"))?;
        let integer = |max: u32| {
            value
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=max).contains(n))
                .ok_or_else(|| format!("--{name} {value:?}: allowed an integer from 1 to {max}"))
        };
        match name.as_str() {
            "points" => args.points = Some(PathBuf::from(&value)),
            "weights" => args.weights = Some(PathBuf::from(&value)),
            "data" => args.data = integer(MAX_DATA_POINTS)?,
            "draws" => args.draws = integer(MAX_ELBO_DRAWS)?,
            "out" => args.out = Some(PathBuf::from(&value)),
            "prior" => {
                args.prior = options::check_choice("prior", &value, &PriorChoice::ALL, PriorChoice::name)
                    .map_err(|e| e.to_string())?
            }
            "device" => {
                args.gpu = match value.as_str() {
                    "gpu" => true,
                    "cpu" => false,
                    other => return Err(format!("--device {other:?}: allowed cpu or gpu")),
                }
            }
            "particles" => return Err("--particles: the points are --points or --data".into()),
            _ => {
                args.options.insert(name, Some(RawValue::Text(value)));
            }
        }
    }
    Ok(args)
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let imported = args.weights.as_deref().map(network_file::read_network).transpose()?;
    let mut raw = args.options.clone();
    if let Some(dataset) = imported.as_ref().and_then(|net| net.dataset) {
        raw.entry("dataset".into()).or_insert(Some(RawValue::Text(dataset.name().into())));
    }
    let options = Options::default().merged(&raw).map_err(|e| e.to_string())?;
    let (solver, grid, steps) = (options.sampler.name(), options.time_grid.name(), options.steps);
    let particles = if args.gpu {
        let gpu = context::native_context().map_err(|e| e.to_string())?;
        eprintln!("dp-likelihood: running on {}", gpu.describe());
        Particles::Gpu(Box::new(ComputeEngine::new(&gpu)))
    } else {
        Particles::Cpu(Vec::new())
    };
    let dataset = options.dataset;
    let mut session = Session::new(options, particles)?;
    if let Some(net) = imported {
        session.use_network(net.into_trained(dataset))?;
    }
    // Checked before any work: a stochastic sampler, too many steps.
    session.likelihood_setup(solver, grid, steps).map_err(|e| e.to_string())?;
    let points = match &args.points {
        Some(path) => points_file::read_points(path)?,
        None => session.target().sample(LIKELIHOOD_DATA_SEED, 0, args.data as usize),
    };
    let mut text = String::new();
    if args.elbo {
        let view = session.elbo(grid, steps, &points, args.draws).map_err(|e| e.to_string())?;
        text.push_str("term,t,nats\n");
        text.push_str(&format!("prior,{},{}\n", view.latent_times[0], -view.prior));
        for (kl, t) in view.transitions.iter().zip(&view.latent_times[1..]) {
            text.push_str(&format!("transition,{t},{}\n", -kl));
        }
        text.push_str(&format!(
            "reconstruction,{},{}\n",
            view.latent_times.last().unwrap_or(&0.0),
            view.reconstruction
        ));
        text.push_str(&format!("elbo,,{}\n", view.elbo));
        eprintln!(
            "dp-likelihood: ELBO {:.4} nats ({:.4} bits/dim) +- {:.4} nats over {} points, {} draws per latent; exact mean ln p {:.4} nats",
            view.elbo,
            view.bits_per_dimension,
            view.standard_error,
            points.len(),
            args.draws,
            view.exact_log_p
        );
    } else {
        text.push_str("x,y,log_p\n");
        let (mut model, mut exact) = (Vec::new(), Vec::new());
        for chunk in points.chunks(MAX_LIKELIHOOD_POINTS as usize) {
            let pending = session
                .likelihood_where_particles_are(solver, grid, steps, args.prior, chunk)
                .map_err(|e| e.to_string())?;
            let view = pollster::block_on(pending.view()).map_err(|e| e.to_string())?;
            for (p, log_p) in chunk.iter().zip(&view.log_p) {
                text.push_str(&format!("{},{},{log_p}\n", p[0], p[1]));
            }
            model.extend(view.log_p);
            exact.extend(view.exact_log_p);
        }
        let (m, e) = (NllSummary::of(&model), NllSummary::of(&exact));
        eprintln!(
            "dp-likelihood: {solver}, {steps} steps, prior {}: NLL {:.4} +- {:.4} bits/dim under the model, {:.4} +- {:.4} exactly ({} points)",
            args.prior.name(),
            m.bits_per_dimension,
            m.standard_error,
            e.bits_per_dimension,
            e.standard_error,
            points.len()
        );
    }
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout().write_all(text.as_bytes()).map_err(|e| e.to_string()),
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
        eprintln!("dp-likelihood: {message}\n{USAGE}");
        std::process::exit(2);
    }
}
