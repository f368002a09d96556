//! Trains the embedded score networks: `cargo xtask train [--steps N] [--seed S] [--dataset NAME]
//! [--schedule NAME] [--out DIR]`. Writes `<dataset>.<schedule>.dpw` files (half-float weights,
//! format version 2) and prints the quality of the half-float network.
//!
//! `--data FILE` trains one network on a user's own points instead (CSV or TSV, NumPy `.npy`,
//! drawing JSON: `app::data_file`, as the page's "Load data"), the page's recipe for a drawing
//! with the schedule and objective of the flags, and writes `<DIR>/<stem>.<schedule>.safetensors`
//! (`core::safetensors_net`), which `dp-sample --weights FILE --data FILE` samples with.
//!
//! `--objective eps|x0|score|velocity|edm_denoiser`, `--weighting unit|sigma2|edm` and
//! `--time_sampling uniform|log_normal|log_normal_and_uniform|uniform_log_snr` and
//! `--divergence_weight W` choose the loss (`core::train`;
//! `--time-sampling`, the older spelling, is still accepted); the file records the objective as
//! the network's parametrization. Where they are not given, the embedded 2-D networks, the
//! class-conditional ones included, have their recipe (`embedded_recipe`: EDM's log-normal times,
//! one in five uniform, 160,000 steps or 320,000, the rectified-flow ones predicting the
//! velocity) and every other network
//! 40,000 steps of uniform times predicting eps. The VP-linear networks of 8 Gaussians, the
//! spiral, checkerboard and smiley then train a likelihood stage (`likelihood_stage`: times
//! uniform in log-SNR and the divergence term of second-order score matching) for
//! `--likelihood_steps`; `--init FILE.dpw` takes the first stage's network from a file and trains
//! only that stage. `--help` lists every flag with its values and default.
//!
//! `--conditional` trains class-conditional networks instead (`core::class_embedding`: the
//! dataset's classes, label dropout for the null class), writing
//! `<dataset>.<schedule>.conditional.dpw` (format version 3; VP-linear only unless `--schedule`
//! says otherwise), and prints each class's quality beside the unconditional prediction's. Their
//! likelihood stage may hold each class's guidance direction to the first stage's
//! (`--guidance_hold W`, `train::guidance_hold_loss_and_gradient`).
//!
//! `--requantize` trains nothing: it reads each existing file from `--out`, rounds its weights to
//! half floats, measures them again and rewrites the file in the current format (for files
//! written by an older version; the training seed and steps are kept).

use std::path::PathBuf;
use std::time::Instant;

use clap::Parser;
use diffusion_playground::app::cli;
use diffusion_playground::app::data_file;
use diffusion_playground::app::network_file;
use diffusion_playground::app::training::{self, Learning, Training, TrainingPlan};
use diffusion_playground::core::class_embedding::ClassEmbedding;
use diffusion_playground::core::coupling::{self, Coupling};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::mlp::{Architecture, Mlp, ARCHITECTURES};
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::reflow;
use diffusion_playground::core::safetensors_net;
use diffusion_playground::core::sampler::NetFrame;
use diffusion_playground::core::sampler::ScoreSource;
use diffusion_playground::core::sampler::{Sampler, SamplerSettings};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;
use diffusion_playground::core::train::{TimeSampling, TrainConfig, Weighting};
use diffusion_playground::core::weights::{conditional_file_name, file_name, TrainedNet};
use diffusion_playground::core::{classes, embedded, quality, train};
use diffusion_playground::core::{consistency, metrics, sampler};

/// Trains the embedded score networks: writes `<dataset>.<schedule>.dpw` files (half-float
/// weights) and prints the quality of the half-float networks.
#[derive(Parser, Debug, Clone)]
#[command(name = "dp-train", rename_all = "snake_case")]
struct Args {
    /// Adam steps [default: 160000 for the embedded 2-D networks (the .dpw files; 320000 for the
    /// spiral's and the class-conditional ones of 8 Gaussians, checkerboard and smiley), 40000
    /// otherwise]
    #[arg(long, value_name = "N")]
    steps: Option<u32>,
    /// Seed of initialisation and batches
    #[arg(long, value_name = "S", default_value_t = TrainConfig::default().seed)]
    seed: u32,
    /// Train for this dataset only [default: every dataset]
    #[arg(long, value_parser = cli::named(&Dataset::ALL, Dataset::name))]
    dataset: Option<Dataset>,
    /// Train for this schedule only
    #[arg(long, value_parser = cli::named(&Schedule::ALL, Schedule::name), help = schedule_help())]
    schedule: Option<Schedule>,
    /// What the network learns to predict (recorded in the file as its parametrization)
    /// [default: velocity for the embedded rectified-flow networks, eps otherwise]
    #[arg(long, value_parser = cli::named(&Parametrization::NETWORK_OUTPUTS, Parametrization::name))]
    objective: Option<Parametrization>,
    /// The weighting lambda(t) of the squared errors
    #[arg(long, default_value = weighting_name(TrainConfig::default().weighting),
          value_parser = cli::named(&WEIGHTINGS, weighting_name))]
    weighting: Weighting,
    /// How training times are drawn [default: log_normal_and_uniform (EDM's noise levels, one
    /// example in five uniform) for the embedded 2-D networks (the .dpw files),
    /// uniform otherwise]
    #[arg(long, alias = "time-sampling", value_parser = cli::named(&TIME_SAMPLINGS, time_sampling_name))]
    time_sampling: Option<TimeSampling>,
    /// How each batch pairs noise with data: independent (I-CFM), ot (exact optimal transport
    /// within groups of --coupling_batch, OT-CFM) or sb (a Schrödinger bridge of width
    /// --bridge_sigma, SB-CFM; rectified_flow and velocity only)
    #[arg(long, default_value = "independent", value_parser = ["independent", "ot", "sb"])]
    coupling: String,
    /// Examples per OT or SB group (a divisor of the batch of 256)
    #[arg(long, value_name = "N", default_value_t = coupling::DEFAULT_COUPLING_BATCH)]
    coupling_batch: u32,
    /// The Schrödinger bridge's sigma_b (its plan's regularisation is 2 sigma_b^2)
    #[arg(long, value_name = "SIGMA", default_value_t = coupling::DEFAULT_BRIDGE_SIGMA)]
    bridge_sigma: f64,
    /// Reflow (Liu et al. 2022): train the next rectified flow on the pairs of the flow in this
    /// file (velocity on rectified_flow, of --dataset or its own), each noise with where the
    /// file's ODE carries it; writes --out FILE.safetensors, its round one more than the file's
    #[arg(long, value_name = "FILE.safetensors", conflicts_with_all = ["data", "requantize", "conditional"])]
    reflow: Option<PathBuf>,
    /// Consistency distillation (Song et al. 2023, Alg. 2): distill the flow in this file
    /// (velocity on rectified_flow) into a one-step generator, --steps steps; writes --out
    /// FILE.safetensors
    #[arg(long, value_name = "FILE.safetensors", conflicts_with_all = ["data", "requantize", "conditional", "reflow"])]
    distill: Option<PathBuf>,
    /// Train nothing: read each existing file of --out, round its weights to half floats,
    /// measure them again and rewrite the file in the current format (seed and steps kept)
    #[arg(long)]
    requantize: bool,
    /// Train class-conditional networks (a class embedding, labels dropped with probability
    /// 0.2 for classifier-free guidance) into <dataset>.<schedule>.conditional.dpw
    #[arg(long)]
    conditional: bool,
    /// The folder of the weight files; or FILE.safetensors: train the one network of --dataset
    /// (and --schedule, vp_linear by default) and write it there, in f32
    #[arg(long, value_name = "DIR|FILE.safetensors", default_value = "weights")]
    out: PathBuf,
    /// Train one network on your own data instead (points as CSV or TSV, x,y or x,y,class; a
    /// NumPy .npy array; or the page's drawing JSON; fitted into the picture and cut to 512
    /// points as the page does: `app::data_file`), written to <DIR>/<file stem>.<schedule>.safetensors
    /// (class-conditional when the data has two classes or more)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dataset", "requantize", "conditional"])]
    data: Option<PathBuf>,
    /// The network trained: plain (mlp 18-64-64-2) or fourier (with sinusoidal features of the
    /// coordinates, mlp 18+24-64-64-2: `core::mlp::Architecture`) [default: fourier for the
    /// embedded networks listed in `embedded_recipe` and for --data, plain otherwise]
    #[arg(long, value_parser = cli::named(&ARCHITECTURES, architecture_flag))]
    architecture: Option<Architecture>,
    /// Take the first stage's network from this .dpw file (of --dataset on --schedule) instead of
    /// training it, and train only the likelihood stage (--likelihood_steps) from it into --out DIR
    #[arg(long, value_name = "FILE.dpw", requires_all = ["dataset", "schedule"],
          conflicts_with_all = ["data", "requantize", "reflow", "distill"])]
    init: Option<PathBuf>,
    /// Weight of the trace of second-order score matching beside the eps loss (Lu et al. 2022:
    /// fits the divergence the probability-flow ODE's likelihood integrates; `core::train`)
    /// [default: 0.3 in the likelihood stage, which alone takes it when there is one; 0 otherwise]
    #[arg(long, value_name = "W")]
    divergence_weight: Option<f32>,
    /// Weight of the term that holds each class's guidance direction eps_c - eps_null to the
    /// first stage's in the likelihood stage of a class-conditional network
    /// (`train::guidance_hold_loss_and_gradient`) [default: 0, none]
    #[arg(long, value_name = "W", requires = "conditional")]
    guidance_hold: Option<f32>,
    /// Steps of the likelihood stage after the first: ELBO-weighted times and the divergence term,
    /// from the first stage's half-float network (`likelihood_stage`) [default: 20000 for the
    /// embedded VP-linear networks listed in `LIKELIHOOD_TUNED` (40000 for the spiral's) and the
    /// class-conditional ones in `CONDITIONAL_LIKELIHOOD_TUNED`, 0 otherwise]
    #[arg(long, value_name = "N")]
    likelihood_steps: Option<u32>,
    /// How the likelihood stage draws its times [default: uniform_log_snr, the ELBO's weighting]
    #[arg(long, value_parser = cli::named(&TIME_SAMPLINGS, time_sampling_name))]
    likelihood_time_sampling: Option<TimeSampling>,
    /// Examples per Adam step
    #[arg(long, value_name = "N", default_value_t = TrainConfig::default().batch)]
    batch: u32,
    /// Peak learning rate of Adam, decayed by a cosine to --final_learning_rate
    #[arg(long, value_name = "RATE", default_value_t = TrainConfig::default().learning_rate)]
    learning_rate: f32,
    /// Learning rate at the last step
    #[arg(long, value_name = "RATE", default_value_t = TrainConfig::default().final_learning_rate)]
    final_learning_rate: f32,
}

/// The name of `architecture` on the command line.
fn architecture_flag(architecture: Architecture) -> &'static str {
    if architecture == Architecture::FOURIER {
        "fourier"
    } else {
        "plain"
    }
}

/// The help of `--schedule`, with the schedules trained by default.
fn schedule_help() -> String {
    let names: Vec<&str> = embedded::TRAINED_SCHEDULES.iter().map(|s| s.name()).collect();
    format!("Train for this schedule only [default: the embedded networks' {}]", names.join(", "))
}

/// The weightings of `--weighting`.
const WEIGHTINGS: [Weighting; 3] = [Weighting::Unit, Weighting::SigmaSquared, Weighting::Edm];

fn weighting_name(weighting: Weighting) -> &'static str {
    match weighting {
        Weighting::Unit => "unit",
        Weighting::SigmaSquared => "sigma2",
        Weighting::Edm => "edm",
    }
}

/// The time samplings of `--time_sampling`.
const TIME_SAMPLINGS: [TimeSampling; 4] = [
    TimeSampling::Uniform,
    TimeSampling::LogNormal,
    TimeSampling::LogNormalAndUniform,
    TimeSampling::UniformLogSnr,
];

fn time_sampling_name(sampling: TimeSampling) -> &'static str {
    match sampling {
        TimeSampling::Uniform => "uniform",
        TimeSampling::LogNormal => "log_normal",
        TimeSampling::LogNormalAndUniform => "log_normal_and_uniform",
        TimeSampling::UniformLogSnr => "uniform_log_snr",
    }
}

/// Adam steps of the embedded networks: four times the 40,000 they had, which left their samples
/// visibly blurred (the spiral's total variation to the exact p_0 2.3 times the exact score's;
/// docs/measured.md, "The embedded networks against the exact score").
const EMBEDDED_STEPS: u32 = 160_000;

/// Adam steps of the spiral's embedded networks: its inner turn is the thinnest structure of the
/// datasets, and at [`EMBEDDED_STEPS`] its samples stayed 1.25 times the exact score's TV (0.25
/// nats of log-density gap); twice the steps bring it to 1.16 (0.16 nats).
const SPIRAL_STEPS: u32 = 320_000;

/// The datasets whose class-conditional networks train for [`SPIRAL_STEPS`]: at [`EMBEDDED_STEPS`]
/// their null class stayed above 1.2 times the exact score's TV (docs/measured.md).
const CONDITIONAL_LONGER: [Dataset; 4] =
    [Dataset::GaussianMixture, Dataset::Spiral, Dataset::Checkerboard, Dataset::Smiley];

/// The datasets whose unconditional VP-linear embedded networks have coordinate features
/// ([`embedded_architecture`]). Trained with them on the embedded recipe, checkerboard's samples
/// measured 1.02 times the exact score's TV (gap 0.015 nats) against the plain network's 1.20
/// (0.118), at the same NLL by the ODE (0.062 bits/dim above the data's exact NLL, against
/// 0.059). 8 Gaussians' and smiley's so trained sampled better too (1.10 -> 1.03, 1.12 -> 1.01)
/// but their NLL by the ODE rose from 0.037 and 0.041 bits/dim above the exact to 0.071 and
/// 0.103, so they stay plain (docs/measured.md, "The embedded networks against the exact score").
const WITH_COORDINATE_FEATURES: [Dataset; 1] = [Dataset::Checkerboard];

/// The datasets whose class-conditional embedded networks have coordinate features: with them
/// two moons' null class measured 1.10 times the exact score's TV (gap 0.048 nats) against 1.29
/// (0.145) without, the spiral's 1.08 (0.060) against 1.23 (0.218), and smiley's 1.00 (0.081)
/// against 1.17 (0.206); checkerboard's, with its likelihood stage, 1.01 (0.037) and 0.017
/// bits/dim above the exact NLL, against 1.18 (0.120) and 0.067 plain without a stage.
const CONDITIONAL_WITH_COORDINATE_FEATURES: [Dataset; 4] =
    [Dataset::TwoMoons, Dataset::Spiral, Dataset::Checkerboard, Dataset::Smiley];

/// The VP-linear embedded networks that train a likelihood stage ([`likelihood_stage`]) after
/// the first: after the first alone their NLL by the probability-flow ODE stayed 0.037 (8
/// Gaussians), 0.033 (spiral), 0.062 (checkerboard) and 0.041 (smiley) bits/dim above the data's
/// exact NLL; after the stage 0.025, 0.022, 0.013 and 0.024, their samples still within the bars
/// (docs/measured.md, "The likelihood stage").
const LIKELIHOOD_TUNED: [Dataset; 4] =
    [Dataset::GaussianMixture, Dataset::Spiral, Dataset::Checkerboard, Dataset::Smiley];

/// The class-conditional VP-linear embedded networks that train a likelihood stage after the
/// first (`train::train_conditional_further`: the divergence term for each example's own label,
/// so for the null class on the examples whose label was dropped). Their null classes came from
/// 0.037 (8 Gaussians), 0.040 (spiral) and 0.067 (checkerboard's plain network; now with
/// coordinate features) to 0.026, 0.016 and 0.017 bits/dim above the exact NLL, their samples within
/// the bars and every class's guided samples at w = 3 within `guidance_report::every_class_at_w_3`'s
/// bar. Others' guided samples strayed (two moons' upper moon: SW2 0.065 -> 0.099, past its bar
/// of 0.083), so they keep their first stage (docs/measured.md, "The likelihood stage").
const CONDITIONAL_LIKELIHOOD_TUNED: [Dataset; 3] =
    [Dataset::GaussianMixture, Dataset::Spiral, Dataset::Checkerboard];

/// Adam steps of the likelihood stage.
const LIKELIHOOD_STEPS: u32 = 20_000;
/// Adam steps of the spiral's likelihood stage: after 20,000 one point of its outer tail,
/// (1.744, 1.588), still lay 30 nats below its exact log-density and the NLL by the ODE 0.033
/// bits/dim above the exact; after 40,000, 8.6 nats and 0.022.
const SPIRAL_LIKELIHOOD_STEPS: u32 = 40_000;
/// Weight of the divergence term in the likelihood stage (`train::divergence_loss_and_gradient`):
/// at 1 the stage diverged on 8 Gaussians.
const LIKELIHOOD_DIVERGENCE_WEIGHT: f32 = 0.3;
/// Peak and final learning rates of the likelihood stage, a tenth of the first stage's: it
/// refines a trained network.
const LIKELIHOOD_LEARNING_RATE: f32 = 3e-4;
/// See [`LIKELIHOOD_LEARNING_RATE`].
const LIKELIHOOD_FINAL_LEARNING_RATE: f32 = 3e-6;

/// The likelihood stage of a network trained with `first` (the same objective, architecture,
/// batch and seed): `steps` steps of times uniform in log-SNR, which with the eps objective is
/// the continuous-time ELBO's weighting and VP's likelihood weighting (Kingma et al. 2021, eq.
/// 17; Song et al. 2021, "Maximum likelihood training of score-based diffusion models"), and the
/// trace of second-order score matching (Lu et al. 2022), which fits the divergence the
/// probability-flow ODE's likelihood integrates. It starts from the first stage's network
/// rounded to half floats, as `--init FILE.dpw` starts from the file, with fresh Adam moments.
/// Its examples are drawn from the seed after the first stage's, so they are new ones; its
/// times are the recipe's (`--likelihood_time_sampling`'s where given) and its divergence
/// weight `--divergence_weight`'s where given.
fn likelihood_stage(first: &TrainConfig, recipe: &Recipe, args: &Args) -> TrainConfig {
    TrainConfig {
        steps: recipe.likelihood_steps,
        seed: first.seed.wrapping_add(1),
        time_sampling: recipe.likelihood_time_sampling,
        divergence_weight: args.divergence_weight.unwrap_or(LIKELIHOOD_DIVERGENCE_WEIGHT),
        learning_rate: LIKELIHOOD_LEARNING_RATE,
        final_learning_rate: LIKELIHOOD_FINAL_LEARNING_RATE,
        ..first.clone()
    }
}

/// What a network is trained with where the flags do not say.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Recipe {
    /// Adam steps.
    steps: u32,
    /// How training times are drawn.
    time_sampling: TimeSampling,
    /// What the network learns to predict.
    objective: Parametrization,
    /// The network's architecture.
    architecture: Architecture,
    /// Steps of the likelihood stage after the first ([`likelihood_stage`]; 0: none).
    likelihood_steps: u32,
    /// How the likelihood stage draws its times.
    likelihood_time_sampling: TimeSampling,
}

/// The recipe of the embedded network of `dataset` on `schedule` (the `.dpw` files of `cargo
/// xtask train`), unconditional or `conditional`. The 2-D unconditional networks draw EDM's
/// log-normal noise levels (Karras et al. 2022, Table 1: ln sigma ~ N(-1.2, 1.2^2), mapped to the
/// time of equal log-SNR), which weights the loss toward the low noise levels where the data's
/// fine structure is decided (a non-uniform time density is a weighting of the loss over log-SNR:
/// Kingma and Gao 2023, eq. 10), for [`EMBEDDED_STEPS`] steps ([`SPIRAL_STEPS`] for the
/// spiral's); measured on the spiral, each of the two halves the blur and together they bring it
/// near 1.2 times the exact score's. One example in five keeps a uniform time
/// (`TimeSampling::LogNormalAndUniform`): the log-normal alone left the high-noise end
/// untrained, and runs started there (VP cosine at t = 1) diverged.
///
/// The networks predict eps, but rectified flow's learn the velocity eps - x0 (flow matching:
/// Lipman et al. 2023, eq. 23; Liu et al. 2022, eq. 1): an eps network's velocity is
/// (eps - x_t) / (1 - t), whose division amplifies the network's error near the noise end
/// without bound, and with the log-normal's few examples there it threw particles of two moons
/// 10^4 away.
///
/// The 1-D dataset's networks keep [`default_recipe`]: trained so, its VP-linear network let a
/// particle run away on VP cosine from a start near t = 1 (2 of the 6,000 runs of
/// `hostile_input::starts_near_both_endpoints_stay_finite`), and its class-conditional one used
/// 0.36 of the plausibility check's allowance off its line (`core::network_check`).
///
/// The class-conditional networks draw the same times for [`EMBEDDED_STEPS`] steps, and those of
/// [`CONDITIONAL_LONGER`] for [`SPIRAL_STEPS`]: their null class, the unconditional score the page
/// samples without guidance, learns from the one example in five whose label is dropped, and at
/// 160,000 steps it stayed 1.22 to 1.44 times the exact score's TV on those datasets (1.13 to 1.23
/// at 320,000; two moons' measured 1.29 at 160,000 and 1.35 at 320,000, so it stays at 160,000). Before the samplers kept x0_hat in the data's disc, two moons' network so trained
/// let a particle run away under classifier-free guidance at its largest scale (w = 20, DPM-2
/// ancestral, 8 steps), and the spiral's at 320,000 steps threw one to infinity; with the
/// projection both stay finite
/// (`app_guidance::every_class_conditional_network_stays_finite_under_the_strongest_guidance`).
///
/// Trained so, the unconditional VP-linear networks' runs from VP cosine's top (log-SNR -10, one
/// leading-grid step from sigma/alpha 152 to 4) left the data with DPM-2 and Euler ancestral, to
/// 1e10 on 8 Gaussians, until the samplers kept each network's x0_hat in the data's disc
/// (`core::denoised_bound`;
/// `hostile_input::vp_cosine_runs_from_its_top_stay_near_the_data_with_every_network`).
fn embedded_recipe(dataset: Dataset, schedule: Schedule, conditional: bool) -> Recipe {
    let one_dimensional = dataset.mixture().is_one_dimensional();
    if one_dimensional {
        return default_recipe();
    }
    let longer = if conditional { CONDITIONAL_LONGER.contains(&dataset) } else { dataset == Dataset::Spiral };
    Recipe {
        steps: if longer { SPIRAL_STEPS } else { EMBEDDED_STEPS },
        time_sampling: TimeSampling::LogNormalAndUniform,
        objective: if schedule == Schedule::RectifiedFlow {
            Parametrization::Velocity
        } else {
            Parametrization::Eps
        },
        architecture: embedded_architecture(dataset, schedule, conditional),
        likelihood_steps: match dataset {
            _ if schedule != Schedule::VpLinear => 0,
            _ if conditional && CONDITIONAL_LIKELIHOOD_TUNED.contains(&dataset) => LIKELIHOOD_STEPS,
            _ if conditional => 0,
            _ if !LIKELIHOOD_TUNED.contains(&dataset) => 0,
            Dataset::Spiral => SPIRAL_LIKELIHOOD_STEPS,
            _ => LIKELIHOOD_STEPS,
        },
        likelihood_time_sampling: TimeSampling::UniformLogSnr,
    }
}

/// The architecture of the embedded network of `dataset` on `schedule`: with coordinate features
/// (`Architecture::FOURIER`, Tancik et al. 2020) for those of [`WITH_COORDINATE_FEATURES`] and
/// [`CONDITIONAL_WITH_COORDINATE_FEATURES`], plain for the others, which met the bars without them
/// (docs/measured.md, "The embedded networks against the exact score").
fn embedded_architecture(dataset: Dataset, schedule: Schedule, conditional: bool) -> Architecture {
    let with_features = if conditional {
        CONDITIONAL_WITH_COORDINATE_FEATURES.contains(&dataset)
    } else {
        schedule == Schedule::VpLinear && WITH_COORDINATE_FEATURES.contains(&dataset)
    };
    if with_features {
        Architecture::FOURIER
    } else {
        Architecture::PLAIN
    }
}

/// The recipe of every other network (a user's data, reflow, distillation, a single file):
/// `TrainConfig::default()`'s 40,000 steps of uniform times, predicting eps.
fn default_recipe() -> Recipe {
    let defaults = TrainConfig::default();
    Recipe {
        steps: defaults.steps,
        time_sampling: defaults.time_sampling,
        objective: defaults.objective,
        architecture: defaults.architecture,
        likelihood_steps: 0,
        likelihood_time_sampling: TimeSampling::UniformLogSnr,
    }
}

impl Args {
    /// The recipe of the flags, where they do not say that of the embedded network of `embedded`
    /// (a dataset and schedule: `embedded_recipe`), else of any other network (`default_recipe`).
    fn recipe(&self, embedded: Option<(Dataset, Schedule)>) -> Recipe {
        let recipe = embedded.map_or_else(default_recipe, |(d, s)| embedded_recipe(d, s, self.conditional));
        Recipe {
            steps: self.steps.unwrap_or(recipe.steps),
            time_sampling: self.time_sampling.unwrap_or(recipe.time_sampling),
            objective: self.objective.unwrap_or(recipe.objective),
            architecture: self.architecture.unwrap_or(recipe.architecture),
            likelihood_steps: self.likelihood_steps.unwrap_or(recipe.likelihood_steps),
            likelihood_time_sampling: self
                .likelihood_time_sampling
                .unwrap_or(recipe.likelihood_time_sampling),
        }
    }

    /// The training hyper-parameters of the command line, the coupling checked: those of the
    /// embedded network of `embedded` (a dataset and schedule), else of any other network.
    fn config(&self, embedded: Option<(Dataset, Schedule)>) -> Result<TrainConfig, String> {
        let recipe = self.recipe(embedded);
        let divergence_weight = self.divergence_weight.unwrap_or(0.0);
        // Where a likelihood stage follows, the flag is its weight (`likelihood_stage`) and the
        // first stage trains without the term.
        let first_stage_weight = if recipe.likelihood_steps > 0 { 0.0 } else { divergence_weight };
        if !(divergence_weight.is_finite() && divergence_weight >= 0.0) {
            return Err(format!("--divergence_weight {divergence_weight}: a weight of 0 or more"));
        }
        if divergence_weight > 0.0 && recipe.objective != Parametrization::Eps {
            return Err(format!(
                "--divergence_weight trains the divergence of an eps network; this one learns {}",
                recipe.objective.name()
            ));
        }
        Ok(TrainConfig {
            steps: recipe.steps,
            seed: self.seed,
            objective: recipe.objective,
            weighting: self.weighting,
            time_sampling: recipe.time_sampling,
            coupling: Coupling::from_parts(&self.coupling, self.coupling_batch, self.bridge_sigma)?,
            architecture: recipe.architecture,
            batch: self.batch,
            divergence_weight: first_stage_weight,
            learning_rate: self.learning_rate,
            final_learning_rate: self.final_learning_rate,
            ..TrainConfig::default()
        })
    }

    /// Whether --out names one network's file rather than a folder.
    fn one_file(&self) -> bool {
        self.out.extension().is_some_and(|e| e == "safetensors")
    }
}

/// Examples per Adam step of a network trained on a data file (as `cargo xtask train`'s).
const DATA_BATCH: u32 = 256;

/// Trains one network on the data of `path` (`--data`) and writes it as a safetensors file,
/// printing its quality against the data's exact (kernel-smoothed) distribution.
fn train_on_data(args: &Args, path: &std::path::Path) -> Result<(), String> {
    let data = data_file::read(path)?;
    for notice in &data.notices {
        eprintln!("dp-train: {notice}");
    }
    let schedule = args.schedule.unwrap_or(Schedule::VpLinear);
    let learning = Learning {
        coupling: args.config(None)?.coupling,
        ..Learning::from_names(args.recipe(None).objective.name(), schedule.name())
            .map_err(|e| e.to_string())?
    };
    let mut plan = TrainingPlan::for_labelled_drawing(
        &data.point_pairs(),
        &data.labels,
        args.recipe(None).steps,
        DATA_BATCH,
        args.seed,
        learning,
    )?;
    // The page's architecture for drawings unless the flag says otherwise.
    if let Some(architecture) = args.architecture {
        plan.config.architecture = architecture;
    }
    let mixture = plan.mixture.clone();
    let started = Instant::now();
    let mut training = Training::on_cpu(plan);
    while training.step() < training.steps() {
        training.run(1_000).map_err(|e| e.to_string())?;
    }
    let weights = pollster::block_on(training.weights().values()).map_err(|e| e.to_string())?;
    let (mlp, embedding) = training::trained_from_weights(weights)?;
    let net = training::drawn_network(mlp, embedding, learning);
    let frame = NetFrame::of(&net);
    let report = quality::measure_source(ScoreSource::Mlp(&net.mlp), frame, &mixture);
    std::fs::create_dir_all(&args.out).map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let stem = path.file_stem().map_or("data".into(), |s| s.to_string_lossy().into_owned());
    let out = if args.one_file() {
        args.out.clone()
    } else {
        args.out.join(format!("{stem}.{}.safetensors", schedule.name()))
    };
    std::fs::write(&out, safetensors_net::to_bytes(&net, "drawing"))
        .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    println!(
        "{}: {} points, {} steps ({} on {}) in {:.1} s: SW2 {:.4} (data vs data {:.4}), log-density gap {:.3} nats; written to {}",
        path.display(),
        data.points.len() / 2,
        args.recipe(None).steps,
        args.recipe(None).objective.name(),
        schedule.name(),
        started.elapsed().as_secs_f64(),
        report.net,
        report.reference,
        report.log_density_gap,
        out.display()
    );
    Ok(())
}

fn main() {
    let args = Args::parse();
    if let Some(path) = &args.data {
        if let Err(e) = train_on_data(&args, path) {
            eprintln!("dp-train: {e}");
            std::process::exit(1);
        }
        return;
    }
    let config = args.config(None).unwrap_or_else(|e| {
        eprintln!("dp-train: {e}");
        std::process::exit(2);
    });
    if let Some(teacher) = &args.distill {
        if let Err(e) = distill(&args, config, teacher) {
            eprintln!("dp-train: {e}");
            std::process::exit(1);
        }
        return;
    }
    if let Some(teacher) = &args.reflow {
        if let Err(e) = reflow(&args, config, teacher) {
            eprintln!("dp-train: {e}");
            std::process::exit(1);
        }
        return;
    }
    if args.one_file() {
        if let Err(e) = train_one_file(&args, &config) {
            eprintln!("dp-train: {e}");
            std::process::exit(1);
        }
        return;
    }
    let datasets = args.dataset.map_or(Dataset::ALL.to_vec(), |d| vec![d]);
    let default_schedules =
        if args.conditional { vec![Schedule::VpLinear] } else { embedded::TRAINED_SCHEDULES.to_vec() };
    let schedules = args.schedule.map_or(default_schedules, |s| vec![s]);
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!("dp-train: cannot create {}: {e}", args.out.display());
        std::process::exit(1);
    }
    let jobs: Vec<(Dataset, Schedule)> =
        datasets.iter().flat_map(|&d| schedules.iter().map(move |&s| (d, s))).collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    if args.conditional {
        println!("| dataset | schedule | class | steps | SW2 net | SW2 data vs data | log-density gap (nats) | seconds |");
    } else {
        println!("| dataset | schedule | steps | final loss | SW2 net | SW2 data vs data | log-density gap (nats) | seconds |");
    }
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let job = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let Some(&(dataset, schedule)) = jobs.get(job) else { break };
                let started = Instant::now();
                // The embedded network's recipe (the flags were checked above).
                let config = args.config(Some((dataset, schedule))).unwrap_or_else(|_| config.clone());
                if args.conditional {
                    train_conditional(&args, &config, dataset, schedule, started);
                    continue;
                }
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
                    let first = match &args.init {
                        Some(init) => {
                            read_first_stage(init, dataset, schedule, &config, false)
                                .unwrap_or_else(|e| {
                                    eprintln!("dp-train: {e}");
                                    std::process::exit(1);
                                })
                                .0
                        }
                        None => train::train(&mixture, schedule, &config, |_, loss| {
                            recent_loss = 0.99 * recent_loss + 0.01 * loss;
                        }),
                    };
                    let recipe = args.recipe(Some((dataset, schedule)));
                    let likelihood_steps = recipe.likelihood_steps;
                    let mlp = if likelihood_steps > 0 {
                        let stage = likelihood_stage(&config, &recipe, &args);
                        train::train_further(first.quantized(), &mixture, schedule, &stage, |_, loss| {
                            recent_loss = 0.99 * recent_loss + 0.01 * loss;
                        })
                    } else {
                        first
                    };
                    (mlp, config.seed, config.steps + likelihood_steps, config.objective)
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
                    class_embedding: None,
                    coupling: config.coupling,
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

/// The flow of the file `teacher` for `--reflow` or `--distill` (`flag`): an unconditional
/// velocity network on rectified flow, of `--dataset` when both name one; and its dataset.
fn read_flow(args: &Args, flag: &str, teacher: &std::path::Path) -> Result<(TrainedNet, Dataset), String> {
    let shown = teacher.display();
    let read = network_file::read_network(teacher)?;
    if read.parametrization != Parametrization::Velocity || read.schedule != Schedule::RectifiedFlow {
        return Err(format!(
            "{flag} {shown}: the teacher is a flow (velocity on rectified_flow); this one is {} on {}",
            read.parametrization.name(),
            read.schedule.name()
        ));
    }
    if read.class_embedding.is_some() {
        return Err(format!(
            "{flag} {shown}: the teacher is class-conditional; {flag} takes an unconditional flow"
        ));
    }
    let dataset = match (read.dataset, args.dataset) {
        (Some(theirs), Some(ours)) if theirs != ours => {
            return Err(format!(
                "{flag} {shown}: the teacher learned {}, not --dataset {}",
                theirs.name(),
                ours.name()
            ))
        }
        (Some(dataset), _) | (None, Some(dataset)) => dataset,
        (None, None) => return Err(format!("{flag} {shown}: the file names no dataset; give --dataset")),
    };
    if !args.one_file() {
        return Err(format!("{flag} writes one network: --out FILE.safetensors"));
    }
    Ok((read.into_trained(dataset), dataset))
}

/// Euler steps of the teacher a consistency model's one step is measured against.
const TEACHER_STEPS: usize = 32;

/// `--distill FILE`: the consistency model of the flow in `teacher` (`core::consistency`),
/// written to `--out FILE.safetensors` with its one- and two-step quality.
fn distill(args: &Args, config: TrainConfig, teacher: &std::path::Path) -> Result<(), String> {
    let (teacher, dataset) = read_flow(args, "--distill", teacher)?;
    let mixture = dataset.mixture();
    let started = Instant::now();
    let mlp = consistency::distill(&teacher.mlp, &mixture, &config, |_, _| {});
    let seconds = started.elapsed().as_secs_f64();
    let fresh = mixture.sample(quality::DATA_SEED, 0, quality::QUALITY_SAMPLES);
    let floor = metrics::sliced_wasserstein(
        &mixture.sample(quality::REFERENCE_SEED, 0, quality::QUALITY_SAMPLES),
        &fresh,
    );
    let noise = sampler::prior(
        Schedule::RectifiedFlow,
        Schedule::RectifiedFlow.t_max(),
        quality::SAMPLE_SEED,
        quality::QUALITY_SAMPLES,
    );
    let one = consistency::sample_multistep(&mlp, &noise, &[], quality::SAMPLE_SEED);
    let two = consistency::sample_multistep(&mlp, &noise, &[0.5], quality::SAMPLE_SEED);
    let (sw1, sw2) = (metrics::sliced_wasserstein(&one, &fresh), metrics::sliced_wasserstein(&two, &fresh));
    // The density view's TV to the exact p_0: the student in one step against the teacher in 32
    // Euler steps of its ODE (16,384 particles each).
    let flow = Schedule::RectifiedFlow;
    let start = sampler::prior(flow, flow.t_max(), quality::DENSITY_SEED, quality::DENSITY_SAMPLES);
    let student_tv = quality::density_distance(
        &consistency::sample_multistep(&mlp, &start, &[], quality::DENSITY_SEED),
        &mixture,
        flow,
        flow.t_min(),
    );
    let times = TimeGrid::Uniform.times(flow, flow.t_max(), flow.t_min(), TEACHER_STEPS);
    let plan = sampler::plan(
        flow,
        NetFrame::of(&teacher),
        &SamplerSettings::new(Sampler::ProbabilityFlowEuler),
        &times,
    );
    let mut taught = start.clone();
    sampler::run_from_start(ScoreSource::Mlp(&teacher.mlp), &plan, &mut taught, quality::DENSITY_SEED, 0);
    let teacher_tv = quality::density_distance(&taught, &mixture, flow, flow.t_min());
    eprintln!(
        "dp-train: density-view TV {:.3} in one step, the teacher's {:.3} in {TEACHER_STEPS} Euler steps (ratio {:.2}; exact samples leave {:.3})",
        student_tv.total_variation,
        teacher_tv.total_variation,
        student_tv.total_variation / teacher_tv.total_variation,
        student_tv.noise_floor
    );
    let net = TrainedNet {
        mlp,
        coupling: Coupling::Consistency,
        training_seed: config.seed,
        training_steps: config.steps,
        quality: sw1 as f32,
        reference: floor as f32,
        ..teacher
    };
    std::fs::write(&args.out, safetensors_net::to_bytes(&net, dataset.name()))
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    println!(
        "{} consistency model: {} steps in {seconds:.1} s: SW2 {sw1:.4} in one step, {sw2:.4} in two (data vs data {floor:.4}); written to {}",
        dataset.name(),
        config.steps,
        args.out.display()
    );
    Ok(())
}

/// `--reflow FILE`: the pairs of the flow in `teacher`, and the next rectified flow trained on
/// them into `--out FILE.safetensors` (the dataset the teacher's, or `--dataset` when they agree).
fn reflow(args: &Args, config: TrainConfig, teacher: &std::path::Path) -> Result<(), String> {
    let shown = teacher.display();
    let (teacher_net, dataset) = read_flow(args, "--reflow", teacher)?;
    if config.coupling != Coupling::Independent {
        return Err("--reflow is a coupling of its own: leave --coupling out".into());
    }
    let round = match teacher_net.coupling {
        Coupling::Reflow { round } => round + 1,
        _ => 1,
    };
    let started = Instant::now();
    let pairs = reflow::pairs(
        ScoreSource::Mlp(&teacher_net.mlp),
        NetFrame::of(&teacher_net),
        reflow::REFLOW_PAIRS,
        reflow::REFLOW_SEED,
    );
    eprintln!(
        "dp-train: {} reflow pairs from {shown} in {:.1} s (round {round})",
        pairs.len(),
        started.elapsed().as_secs_f64()
    );
    let config = TrainConfig {
        objective: Parametrization::Velocity,
        coupling: Coupling::Reflow { round },
        reflow_pairs: Some(pairs.into()),
        ..config
    };
    let args = Args { dataset: Some(dataset), schedule: Some(Schedule::RectifiedFlow), ..args.clone() };
    train_one_file(&args, &config)
}

/// Trains the one network of `--dataset` on `--schedule` (vp_linear by default) with `config`,
/// class-conditional with `--conditional`, and writes it in f32 to `--out FILE.safetensors`
/// with its coupling in the metadata, printing its quality (by the probability-flow ODE for a
/// coupled network, which has no score).
fn train_one_file(args: &Args, config: &TrainConfig) -> Result<(), String> {
    let dataset = args.dataset.ok_or("--out FILE.safetensors writes one network: name its --dataset")?;
    let schedule = args.schedule.unwrap_or(Schedule::VpLinear);
    train::check_coupling(config, schedule)?;
    let started = Instant::now();
    let mixture = dataset.mixture();
    let (mlp, class_embedding) = if args.conditional {
        let component_classes = classes::component_classes(dataset);
        let labels =
            train::Labels { component_classes: &component_classes, classes: classes::classes(dataset).len() };
        let (mlp, embedding) = train::train_conditional(&mixture, &labels, schedule, config, |_, _| {});
        (mlp, Some(embedding))
    } else {
        (train::train(&mixture, schedule, config, |_, _| {}), None)
    };
    let net = TrainedNet {
        mlp,
        parametrization: config.objective,
        schedule,
        dataset,
        training_seed: config.seed,
        training_steps: config.steps,
        quality: f32::NAN,
        reference: f32::NAN,
        class_embedding,
        coupling: config.coupling,
    };
    let unconditional = net.unconditional();
    let (source, frame) = (ScoreSource::Mlp(&unconditional.mlp), NetFrame::of(&net));
    let report = if config.coupling == Coupling::Independent {
        quality::measure_source(source, frame, &mixture)
    } else {
        quality::measure_flow(source, frame, &mixture)
    };
    let net = TrainedNet { quality: report.net as f32, reference: report.reference as f32, ..net };
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(&args.out, safetensors_net::to_bytes(&net, dataset.name()))
        .map_err(|e| format!("cannot write {}: {e}", args.out.display()))?;
    println!(
        "{} on {} ({} coupling, {}): {} steps in {:.1} s: SW2 {:.4} (data vs data {:.4}), log-density gap {:.3} nats; written to {}",
        dataset.name(),
        schedule.name(),
        config.coupling.name(),
        config.objective.name(),
        config.steps,
        started.elapsed().as_secs_f64(),
        report.net,
        report.reference,
        report.log_density_gap,
        args.out.display()
    );
    Ok(())
}

/// The first stage's network of `dataset` on `schedule` from `--init FILE.dpw` (written by
/// `cargo xtask train`), checked to be of them, of `config`'s objective and architecture, and
/// class-conditional exactly when `conditional` is: the network and its class embedding.
fn read_first_stage(
    path: &std::path::Path,
    dataset: Dataset,
    schedule: Schedule,
    config: &TrainConfig,
    conditional: bool,
) -> Result<(Mlp, Option<ClassEmbedding>), String> {
    let shown = path.display();
    let net = network_file::read_network(path).map_err(|e| format!("--init {e}"))?;
    let learned = (net.dataset, net.schedule, net.parametrization, net.mlp.architecture());
    if learned != (Some(dataset), schedule, config.objective, config.architecture)
        || net.class_embedding.is_some() != conditional
    {
        return Err(format!(
            "--init {shown}: the file holds {} {} on {} ({}){}, the recipe trains {} {} on {} ({}){}",
            net.mlp.architecture().name(),
            net.parametrization.name(),
            net.schedule.name(),
            net.dataset.map_or("no dataset", Dataset::name),
            if net.class_embedding.is_some() { ", class-conditional" } else { "" },
            config.architecture.name(),
            config.objective.name(),
            schedule.name(),
            dataset.name(),
            if conditional { ", class-conditional" } else { "" },
        ));
    }
    Ok((net.mlp, net.class_embedding))
}

/// Trains (or with `--requantize` re-reads) the class-conditional network of `dataset`, writes
/// it and prints a row per class and one for the unconditional prediction.
fn train_conditional(
    args: &Args,
    config: &TrainConfig,
    dataset: Dataset,
    schedule: Schedule,
    started: Instant,
) {
    let path = args.out.join(conditional_file_name(dataset, schedule));
    let (mlp, embedding, seed, steps, parametrization) = if args.requantize {
        let Some(old) = std::fs::read(&path).ok().and_then(|b| TrainedNet::from_bytes(&b).ok()) else {
            return;
        };
        let Some(embedding) = old.class_embedding else { return };
        (old.mlp, embedding, old.training_seed, old.training_steps, old.parametrization)
    } else {
        let component_classes = classes::component_classes(dataset);
        let labels =
            train::Labels { component_classes: &component_classes, classes: classes::classes(dataset).len() };
        let mixture = dataset.mixture();
        let first = match &args.init {
            Some(init) => match read_first_stage(init, dataset, schedule, config, true) {
                Ok((mlp, Some(embedding))) => (mlp, embedding),
                Ok((_, None)) => unreachable!("read_first_stage checks the file is class-conditional"),
                Err(e) => {
                    eprintln!("dp-train: {e}");
                    std::process::exit(1);
                }
            },
            None => train::train_conditional(&mixture, &labels, schedule, config, |_, _| {}),
        };
        let recipe = args.recipe(Some((dataset, schedule)));
        let likelihood_steps = recipe.likelihood_steps;
        let (mlp, embedding) = if likelihood_steps > 0 {
            let start = (first.0.quantized(), first.1.quantized());
            let hold = args
                .guidance_hold
                .filter(|&weight| weight > 0.0)
                .map(|weight| train::GuidanceHold { teacher: std::sync::Arc::new(start.clone()), weight });
            let stage = TrainConfig { guidance_hold: hold, ..likelihood_stage(config, &recipe, args) };
            train::train_conditional_further(start, &mixture, &labels, schedule, &stage, |_, _| {})
        } else {
            first
        };
        (mlp, embedding, config.seed, config.steps + likelihood_steps, config.objective)
    };
    let (mlp, embedding) = (mlp.quantized(), embedding.quantized());
    let frame = NetFrame { schedule, parametrization };
    let report = quality::measure_conditional(&mlp, &embedding, frame, dataset);
    let net = TrainedNet {
        mlp,
        parametrization,
        schedule,
        dataset,
        training_seed: seed,
        training_steps: steps,
        quality: report.unconditional.net as f32,
        reference: report.unconditional.reference as f32,
        class_embedding: Some(embedding),
        coupling: config.coupling,
    };
    if let Err(e) = std::fs::write(&path, net.to_bytes()) {
        eprintln!("dp-train: cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
    let rows = std::iter::once(("(none: unconditional)", report.unconditional))
        .chain(classes::classes(dataset).iter().map(|c| c.name).zip(report.classes.iter().copied()));
    let mut table = String::new();
    for (class, quality) in rows {
        table += &format!(
            "| {} | {} | {class} | {steps} | {:.4} | {:.4} | {:.3} | {:.1} |\n",
            dataset.name(),
            schedule.name(),
            quality.net,
            quality.reference,
            quality.log_density_gap,
            started.elapsed().as_secs_f64()
        );
    }
    print!("{table}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_well_formed() {
        <Args as clap::CommandFactory>::command().debug_assert();
    }

    #[test]
    fn embedded_networks_draw_log_normal_times_for_longer_than_other_networks_unless_the_flags_say() {
        let defaults = Args::parse_from(["dp-train"]);
        let embedded = Recipe {
            steps: EMBEDDED_STEPS,
            time_sampling: TimeSampling::LogNormalAndUniform,
            objective: Parametrization::Eps,
            architecture: Architecture::PLAIN,
            likelihood_steps: 0,
            likelihood_time_sampling: TimeSampling::UniformLogSnr,
        };
        assert_eq!(defaults.recipe(Some((Dataset::TwoMoons, Schedule::VpLinear))), embedded);
        let moons_flow = defaults.recipe(Some((Dataset::TwoMoons, Schedule::RectifiedFlow)));
        assert_eq!(moons_flow, Recipe { objective: Parametrization::Velocity, ..embedded });
        let spiral_flow = defaults.recipe(Some((Dataset::Spiral, Schedule::RectifiedFlow)));
        assert_eq!(
            spiral_flow,
            Recipe { steps: SPIRAL_STEPS, objective: Parametrization::Velocity, ..embedded }
        );
        let conditional = Args::parse_from(["dp-train", "--conditional"]);
        let tuned = |recipe: Recipe| Recipe { likelihood_steps: LIKELIHOOD_STEPS, ..recipe };
        assert_eq!(conditional.recipe(Some((Dataset::Pinwheel, Schedule::VpLinear))), embedded);
        let featured = Recipe { architecture: Architecture::FOURIER, ..embedded };
        assert_eq!(conditional.recipe(Some((Dataset::TwoMoons, Schedule::VpLinear))), featured);
        let longer = Recipe { steps: SPIRAL_STEPS, ..embedded };
        let longer_featured = Recipe { architecture: Architecture::FOURIER, ..longer };
        assert_eq!(conditional.recipe(Some((Dataset::Smiley, Schedule::VpLinear))), longer_featured);
        let spiral_conditional = conditional.recipe(Some((Dataset::Spiral, Schedule::VpLinear)));
        assert_eq!(
            spiral_conditional,
            tuned(longer_featured),
            "20,000 steps of stage, not the unconditional 40,000"
        );
        let checkerboard = conditional.recipe(Some((Dataset::Checkerboard, Schedule::VpLinear)));
        assert_eq!(checkerboard, tuned(longer_featured));
        let eight = conditional.recipe(Some((Dataset::GaussianMixture, Schedule::VpLinear)));
        assert_eq!(eight, tuned(longer), "8 Gaussians' class-conditional network has a likelihood stage");
        assert_eq!(defaults.recipe(Some((Dataset::Checkerboard, Schedule::VpLinear))), tuned(featured));
        assert_eq!(defaults.recipe(Some((Dataset::Smiley, Schedule::VpLinear))), tuned(embedded));
        assert_eq!(defaults.recipe(Some((Dataset::GaussianMixture, Schedule::VpLinear))), tuned(embedded));
        let spiral = defaults.recipe(Some((Dataset::Spiral, Schedule::VpLinear)));
        let spiral_tuned =
            Recipe { steps: SPIRAL_STEPS, likelihood_steps: SPIRAL_LIKELIHOOD_STEPS, ..embedded };
        assert_eq!(spiral, spiral_tuned);
        assert_eq!(spiral_flow.likelihood_steps, 0, "the likelihood stage is VP linear's");
        let seven = Recipe { likelihood_steps: 7, ..embedded };
        let stage = likelihood_stage(&TrainConfig { seed: 4, ..TrainConfig::default() }, &seven, &defaults);
        assert_eq!((stage.steps, stage.seed, stage.time_sampling), (7, 5, TimeSampling::UniformLogSnr));
        assert_eq!(stage.divergence_weight, LIKELIHOOD_DIVERGENCE_WEIGHT);
        // --divergence_weight is the stage's weight where there is a stage, and the first
        // stage's where there is none.
        let weighted = Args::parse_from(["dp-train", "--divergence_weight", "0.1"]);
        let tuned_first = weighted.config(Some((Dataset::Smiley, Schedule::VpLinear))).unwrap();
        assert_eq!(tuned_first.divergence_weight, 0.0, "the first stage of a network with a stage");
        assert_eq!(likelihood_stage(&tuned_first, &seven, &weighted).divergence_weight, 0.1);
        // --likelihood_time_sampling draws the stage's times.
        let first_times =
            Args::parse_from(["dp-train", "--likelihood_time_sampling", "log_normal_and_uniform"]);
        let recipe = first_times.recipe(Some((Dataset::Smiley, Schedule::VpLinear)));
        let stage = likelihood_stage(&TrainConfig::default(), &recipe, &first_times);
        assert_eq!((stage.steps, stage.time_sampling), (LIKELIHOOD_STEPS, TimeSampling::LogNormalAndUniform));
        let single = weighted.config(Some((Dataset::Pinwheel, Schedule::VpLinear))).unwrap();
        assert_eq!(single.divergence_weight, 0.1, "a network of one stage");
        let checkerboard_rectified = defaults.recipe(Some((Dataset::Checkerboard, Schedule::RectifiedFlow)));
        assert_eq!(checkerboard_rectified.architecture, Architecture::PLAIN, "features on VP linear's only");
        assert_eq!(defaults.recipe(Some((Dataset::TwoNormals1d, Schedule::VpLinear))), default_recipe());
        let other = Recipe {
            steps: 40_000,
            time_sampling: TimeSampling::Uniform,
            objective: Parametrization::Eps,
            architecture: Architecture::PLAIN,
            likelihood_steps: 0,
            likelihood_time_sampling: TimeSampling::UniformLogSnr,
        };
        assert_eq!(defaults.recipe(None), other, "a user's data, reflow, one file");
        let flags = Args::parse_from([
            "dp-train",
            "--steps",
            "10",
            "--time_sampling",
            "log_normal",
            "--objective",
            "x0",
            "--architecture",
            "fourier",
            "--likelihood_steps",
            "3",
        ]);
        let flagged = Recipe {
            steps: 10,
            time_sampling: TimeSampling::LogNormal,
            objective: Parametrization::X0,
            architecture: Architecture::FOURIER,
            likelihood_steps: 3,
            likelihood_time_sampling: TimeSampling::UniformLogSnr,
        };
        assert_eq!(flags.recipe(Some((Dataset::Spiral, Schedule::RectifiedFlow))), flagged);
        assert_eq!(flags.recipe(None), flagged);
    }
}
