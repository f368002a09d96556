//! Command-line likelihood: the log-density of points under a score model by the
//! probability-flow ODE, and the variational bound of the discrete chain.
//!
//! ```text
//! dp-likelihood [--dataset D] [--schedule S] [--score exact|mlp|empirical] [--sampler S] [--steps N]
//!               [--time_grid G] [--points FILE.csv] [--data N | --data FILE] [--prior gaussian|exact] [--out FILE.csv]
//!               [--device cpu|gpu] [--weights FILE.safetensors]
//! dp-likelihood ... --elbo [--draws K]
//! ```
//!
//! The options are the playground's, validated by its options table (the sampler must be a
//! deterministic solver: probability_flow_euler, ddim, heun, dpm_2 or dpm_solver_2s; heun by
//! default, on the Karras grid by default). The points come from `--points` (CSV, one `x,y` per line) or are `--data N` fresh
//! draws of the dataset (1,024 by default). `--data FILE` makes a user's own data what is modelled,
//! as the page's "Load data" does (points as CSV or TSV, NumPy .npy, drawing JSON, or a PNG, JPEG,
//! WebP or GIF picture: `app::data_file`), with its exact score unless `--weights` names the
//! network `dp-train --data` trained on it; its own (fitted) points are evaluated unless
//! `--points` says otherwise. The output is CSV `x,y,log_p` (nats, at sigma/alpha =
//! 0.002) on stdout or in `--out`; a summary (mean NLL in bits per dimension with its standard
//! error, under the model and exactly) goes to stderr. With `--elbo` the output is the bound's
//! terms averaged over the points: `term,t,nats` rows (the prior, one KL per transition into the
//! latent at t, the reconstruction, and the total). `--device gpu` integrates the ODE with the
//! WGSL kernels (`shaders/likelihood_step_*.wgsl`) on the native GPU; the bound runs on the CPU.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};
use diffusion_playground::app::cli::{self, TableArgs};
use diffusion_playground::app::data_file::{self, LoadedData};
use diffusion_playground::app::likelihood::{
    NllSummary, PriorChoice, LIKELIHOOD_DATA_SEED, MAX_ELBO_DRAWS, MAX_LIKELIHOOD_POINTS,
};
use diffusion_playground::app::network_file;
use diffusion_playground::app::options::{Options, RawOptions, RawValue};
use diffusion_playground::app::points_file;
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::likelihood::LIKELIHOOD_SAMPLERS;
use diffusion_playground::core::space::Space;
use diffusion_playground::gpu::{context, ComputeEngine};

/// Fresh data points evaluated when no `--points` are given.
const DEFAULT_DATA_POINTS: &str = "1024";
/// Monte Carlo draws per latent of `--elbo` by default.
const DEFAULT_DRAWS: u32 = 8;
/// Most fresh data points of `--data`.
const MAX_DATA_POINTS: u32 = 1_000_000;

/// The log-density of points under a score model by the probability-flow ODE (`x,y,log_p`, nats),
/// or with --elbo the variational bound of the discrete chain (`term,t,nats`).
///
/// The options are the playground's, checked by its options table; the sampler must be a
/// deterministic solver. A summary (mean NLL in bits per dimension with its standard error,
/// under the model and exactly) goes to stderr.
#[derive(Parser, Debug)]
#[command(name = "dp-likelihood", rename_all = "snake_case")]
struct Args {
    /// The points to evaluate (CSV, one `x,y` per line) instead of fresh data
    #[arg(long, value_name = "FILE.csv")]
    points: Option<PathBuf>,
    /// Evaluate N fresh draws of the dataset, or model the data of FILE (points as CSV, TSV,
    /// .npy or drawing JSON, or a picture) and evaluate its points
    #[arg(long, value_name = "N|FILE", default_value = DEFAULT_DATA_POINTS, value_parser = data_choice)]
    data: DataChoice,
    /// The prior density at the end of the ODE: the Gaussian, or the exact noised data
    #[arg(long, default_value = PriorChoice::Gaussian.name(),
          value_parser = cli::named(&PriorChoice::ALL, PriorChoice::name))]
    prior: PriorChoice,
    /// Write the variational bound's terms averaged over the points instead (on the CPU)
    #[arg(long)]
    elbo: bool,
    /// Monte Carlo draws per latent of --elbo
    #[arg(long, value_name = "K", default_value_t = DEFAULT_DRAWS,
          value_parser = cli::integer_from(1, MAX_ELBO_DRAWS))]
    draws: u32,
    /// Write to FILE instead of stdout
    #[arg(long, value_name = "FILE.csv")]
    out: Option<PathBuf>,
    /// Where the ODE is integrated: the CPU core, or the WGSL kernels on the native GPU
    #[arg(long, value_enum, default_value_t = Device::Cpu)]
    device: Device,
    /// Use the network of this file (safetensors, or a .dpw of `cargo xtask train`; its dataset unless
    /// --dataset says otherwise)
    #[arg(long, value_name = "FILE.safetensors|FILE.dpw")]
    weights: Option<PathBuf>,
}

/// What `--data` names: a count of fresh draws, or a data file.
#[derive(Clone, Debug, PartialEq)]
enum DataChoice {
    Fresh(u32),
    File(PathBuf),
}

/// `--data`: a whole number is a count of fresh draws (1 to [`MAX_DATA_POINTS`]), anything else
/// a file (write `./100` for a file called `100`).
fn data_choice(text: &str) -> Result<DataChoice, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return cli::integer_from(1, MAX_DATA_POINTS)(text).map(DataChoice::Fresh);
    }
    Ok(DataChoice::File(PathBuf::from(text)))
}

/// Where `--device` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Device {
    Cpu,
    Gpu,
}

/// The options a likelihood run starts from: Heun on the Karras grid (the uniform grid of the
/// page's runs spends few steps where the density sharpens near the data), and one particle
/// (the session's own particles are not used here).
fn presets() -> RawOptions {
    [("sampler", "heun"), ("time_grid", "karras"), ("particles", "1")]
        .into_iter()
        .map(|(field, value)| (field.to_string(), Some(RawValue::Text(value.into()))))
        .collect()
}

/// The playground's options as dp-likelihood takes them.
fn table() -> Result<TableArgs, String> {
    let defaults = Options::default().merged(&presets()).map_err(|e| e.to_string())?;
    let solvers: Vec<&str> = LIKELIHOOD_SAMPLERS.iter().map(|s| s.name()).collect();
    Ok(TableArgs::new(defaults)
        .note("sampler", format!("here a deterministic one: {}", solvers.join(", ")))
        .refuse("particles", "the points are --points or --data"))
}

/// Prints the notices of a data file read (fitted, cut, classes named).
fn tell(data: &LoadedData) {
    for notice in &data.notices {
        eprintln!("dp-likelihood: {notice}");
    }
}

fn run(args: Args, given: RawOptions) -> Result<(), String> {
    let imported = args.weights.as_deref().map(network_file::read_network).transpose()?;
    let (data, fresh) = match &args.data {
        DataChoice::File(path) => (Some(data_file::read(path)?), 0),
        DataChoice::Fresh(count) => (None, *count as usize),
    };
    let mut raw = presets();
    if data.is_some() && imported.is_none() {
        // Data without a network (--weights): its exact score is the model.
        raw.insert("score".into(), Some(RawValue::Text("exact".into())));
    }
    raw.extend(given);
    if let Some(dataset) = imported.as_ref().and_then(|net| net.dataset) {
        raw.entry("dataset".into()).or_insert(Some(RawValue::Text(dataset.name().into())));
    }
    let options = Options::for_data(data.is_some()).merged(&raw).map_err(|e| e.to_string())?;
    let (solver, grid, steps) = (options.sampler.name(), options.time_grid.name(), options.steps);
    let particles = if args.device == Device::Gpu {
        let gpu = context::native_context().map_err(|e| e.to_string())?;
        eprintln!("dp-likelihood: running on {}", gpu.describe());
        Particles::Gpu(Box::new(ComputeEngine::new(&gpu)))
    } else {
        Particles::Cpu(Vec::new())
    };
    let dataset = options.dataset;
    let mut session = Session::new(options, particles)?;
    let imported = imported.map(|net| net.into_trained(dataset));
    match &data {
        Some(data) => {
            tell(data);
            session.use_labelled_drawing(&data.point_pairs(), &data.labels, imported)?;
        }
        None => {
            if let Some(net) = imported {
                session.use_network(net)?;
            }
        }
    }
    // Checked before any work: a stochastic sampler, too many steps.
    session.likelihood_setup(solver, grid, steps).map_err(|e| e.to_string())?;
    let points = match (&args.points, &data) {
        (Some(path), _) => points_file::read_points(path)?,
        (None, Some(data)) => data.point_pairs(),
        (None, None) => session.target().sample(LIKELIHOOD_DATA_SEED, 0, fresh),
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
        let space = Space::of(session.target());
        let (m, e) = (NllSummary::of(&model, space), NllSummary::of(&exact, space));
        eprintln!(
            "dp-likelihood: {solver}, {steps} steps, prior {}: NLL {:.4} +- {:.4} bits/dim under the model, {:.4} +- {:.4} exactly ({} points{})",
            args.prior.name(),
            m.bits_per_dimension,
            m.standard_error,
            e.bits_per_dimension,
            e.standard_error,
            points.len(),
            if space == Space::Line { ", 1-D data: densities of x on its line" } else { "" }
        );
    }
    match &args.out {
        Some(path) => std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display())),
        None => std::io::stdout().write_all(text.as_bytes()).map_err(|e| e.to_string()),
    }
}

fn main() {
    let table = table().unwrap_or_else(|e| panic!("the presets of dp-likelihood are options: {e}"));
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
        cli::command::<Args>(Some(&table().unwrap())).debug_assert();
    }

    #[test]
    fn data_is_a_count_of_fresh_draws_or_a_file() {
        assert_eq!(data_choice("250"), Ok(DataChoice::Fresh(250)));
        assert_eq!(data_choice("./250"), Ok(DataChoice::File("./250".into())));
        assert_eq!(data_choice("logo.png"), Ok(DataChoice::File("logo.png".into())));
        assert!(data_choice("0").is_err());
        assert!(data_choice("99999999999").is_err());
    }
}
