//! The likelihood panel's analyses, as methods of the [`Session`]: the log-density of points
//! under the model by the probability-flow ODE (`core::likelihood`) next to the exact
//! log-density of what is sampled, and the variational bound of the discrete chain
//! (`core::elbo`), step by step.
//!
//! The model is the session's score (the network in use or the exact score of
//! [`Session::score_mixture`]) with the sampler's prior N(0, sigma_T^2 I); the exact density is
//! [`Session::target`]'s (the dataset's, or the drawing's). Arguments are checked like options.

use serde::Serialize;
use strum::{IntoStaticStr, VariantArray};

use crate::app::options::{self, OptionError};
use crate::app::session::Session;
use crate::core::dataset::GaussianMixture;
use crate::core::elbo::Chain;
use crate::core::likelihood::{self, LikelihoodSetup, Prior, LIKELIHOOD_SAMPLERS};
use crate::core::names;
use crate::core::sampler::{NetFrame, Sampler, Unguided};
use crate::core::space::Space;
use crate::core::timesteps::TimeGrid;
use crate::gpu::likelihood::PendingLikelihood;
use crate::gpu::GpuError;

/// Fewest steps of a likelihood run or a chain.
pub const MIN_LIKELIHOOD_STEPS: u32 = 1;
/// Most steps of a likelihood run or a chain (the options' MAX_STEPS).
pub const MAX_LIKELIHOOD_STEPS: u32 = options::MAX_STEPS;
/// Most points whose likelihood one call integrates (on the CPU, between frames: 4,096 points
/// at 64 Heun steps are about 1.6 million evaluations with their Jacobians).
pub const MAX_LIKELIHOOD_POINTS: u32 = 16_384;
/// Most Monte Carlo draws per latent of the bound.
pub const MAX_ELBO_DRAWS: u32 = 64;
/// Bins of the histograms of log p.
pub const LOG_DENSITY_BINS: usize = 40;
/// Seed of the fresh data whose likelihood the panel shows (a test set: neither the training
/// data of a network nor the particles).
pub const LIKELIHOOD_DATA_SEED: u32 = 4004;
/// Seed of the bound's Monte Carlo draws.
pub const ELBO_SEED: u32 = 5005;

/// The density the ODE starts from at the noise end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum PriorChoice {
    /// N(0, sigma_T^2 I), where every reverse run starts: the likelihood of the sampler's model.
    Gaussian,
    /// The exact p_T of what is sampled: leaves only the solver's (and the network's) error.
    Exact,
}

impl PriorChoice {
    /// Every choice (declaration order).
    pub const ALL: [PriorChoice; 2] = names::all(PriorChoice::VARIANTS);

    /// The identifier.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`PriorChoice::name`].
    pub fn from_name(name: &str) -> Option<PriorChoice> {
        names::from_name(name)
    }
}

/// The mean negative log-likelihood of a set of points.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct NllSummary {
    /// Mean ln p in nats.
    pub mean_log_p: f64,
    /// Mean -ln p in bits per dimension.
    pub bits_per_dimension: f64,
    /// Standard error of that mean (sample standard deviation / sqrt(n)), in bits per dimension.
    pub standard_error: f64,
}

impl NllSummary {
    /// The summary of `log_p` (nats, densities in `space`); an infinite error for fewer than two
    /// values.
    pub fn of(log_p: &[f64], space: Space) -> NllSummary {
        let (mean, standard_error) = mean_and_standard_error(log_p);
        NllSummary {
            mean_log_p: mean,
            bits_per_dimension: space.bits_per_dimension(mean),
            standard_error: standard_error / (space.dimensions() * std::f64::consts::LN_2),
        }
    }
}

/// The mean of `values` and its standard error (sample standard deviation / sqrt(n); infinite
/// for fewer than two values).
fn mean_and_standard_error(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n.max(1.0);
    if values.len() < 2 {
        return (mean, f64::INFINITY);
    }
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (variance / n).sqrt())
}

/// Histograms of the model's and the exact log p over the same bins.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct LogDensityHistogram {
    /// Lower edge of the first bin (nats).
    pub low: f64,
    /// Upper edge of the last bin.
    pub high: f64,
    /// Counts of the model's ln p per bin.
    pub model: Vec<u32>,
    /// Counts of the exact ln p per bin.
    pub exact: Vec<u32>,
}

impl LogDensityHistogram {
    /// [`LOG_DENSITY_BINS`] bins over the central 98% of both sets of values (a point far from
    /// the data, at ln p = -1e4, would otherwise squeeze the rest into one bin); values outside
    /// fall in the end bins.
    pub fn of(model: &[f64], exact: &[f64]) -> LogDensityHistogram {
        let mut all: Vec<f64> = model.iter().chain(exact).copied().filter(|v| v.is_finite()).collect();
        all.sort_by(f64::total_cmp);
        let quantile =
            |q: f64| all.get(((all.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(0.0);
        let (low, mut high) = (quantile(0.01), quantile(0.99));
        if high <= low {
            high = low + 1.0;
        }
        let count = |values: &[f64]| {
            let mut counts = vec![0u32; LOG_DENSITY_BINS];
            for v in values.iter().filter(|v| v.is_finite()) {
                let bin = ((v - low) / (high - low) * LOG_DENSITY_BINS as f64).floor();
                counts[bin.clamp(0.0, (LOG_DENSITY_BINS - 1) as f64) as usize] += 1;
            }
            counts
        };
        LogDensityHistogram { low, high, model: count(model), exact: count(exact) }
    }
}

/// What the likelihood panel shows for a set of points.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct LikelihoodView {
    /// The solver (a sampler's name).
    pub solver: &'static str,
    /// Its steps.
    pub steps: usize,
    /// Evaluations of the score (each with its Jacobian) per point.
    pub evaluations: usize,
    /// The time the densities are at (sigma / alpha = 0.002, `core::likelihood::start_time`).
    pub data_time: f64,
    /// ln p of each point under the model (nats).
    pub log_p: Vec<f64>,
    /// The exact ln p of each point.
    pub exact_log_p: Vec<f64>,
    /// Summary of `log_p`.
    pub model: NllSummary,
    /// Summary of `exact_log_p`.
    pub exact: NllSummary,
    /// Histograms of both.
    pub histogram: LogDensityHistogram,
    /// The coordinates the densities are of, which bits per dimension divide by: 2, or 1 for
    /// 1-D data, measured on its line (`core::space`).
    pub dimensions: u32,
}

/// What the bound's bar chart shows: the terms averaged over the points.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct ElboView {
    /// The latents' times, decreasing (the noise end first).
    pub latent_times: Vec<f64>,
    /// Mean KL(q(x_T | x_0) || N(0, sigma_T^2 I)) (nats).
    pub prior: f64,
    /// Mean KL of each transition (nats), in the order of `latent_times`.
    pub transitions: Vec<f64>,
    /// Mean E ln p(x_0 | x_{t_1}) (nats).
    pub reconstruction: f64,
    /// Mean bound (nats).
    pub elbo: f64,
    /// Its standard error over the points (nats).
    pub standard_error: f64,
    /// The mean bound as a negative log-likelihood in bits per dimension.
    pub bits_per_dimension: f64,
    /// The coordinates the bound is of: 2, or 1 for 1-D data (`core::space`).
    pub dimensions: u32,
    /// The exact mean ln p_0 of the points (nats).
    pub exact_log_p: f64,
}

/// Where the end points and log-determinants of a likelihood run are.
enum PendingEnds {
    /// Computed on the CPU.
    Ready(Vec<[f32; 2]>, Vec<f32>),
    /// On their way back from the GPU.
    Gpu(PendingLikelihood),
}

/// A likelihood run whose results may still be on the GPU (see
/// [`Session::likelihood_where_particles_are`]); it owns what it needs, so it can be awaited
/// while the session goes on.
pub struct PendingLikelihoodView {
    parts: ViewParts,
    ends: PendingEnds,
}

/// What a view needs besides the run's end points and log-determinants.
struct ViewParts {
    setup: LikelihoodSetup,
    evaluations: usize,
    /// The exact p_T of what is sampled, for the exact prior; None for the Gaussian.
    prior: Option<GaussianMixture>,
    exact_log_p: Vec<f64>,
}

impl PendingLikelihoodView {
    /// Waits for the run and assembles the view.
    pub async fn view(self) -> Result<LikelihoodView, GpuError> {
        match self.ends {
            PendingEnds::Ready(ends, log_dets) => Ok(self.parts.finish(&ends, &log_dets)),
            PendingEnds::Gpu(pending) => {
                let (ends, log_dets) = pending.read().await?;
                Ok(self.parts.finish(&ends, &log_dets))
            }
        }
    }
}

impl ViewParts {
    fn finish(self, ends: &[[f32; 2]], log_dets: &[f32]) -> LikelihoodView {
        let prior = match &self.prior {
            Some(mixture) => Prior::Exact(mixture),
            None => Prior::Gaussian,
        };
        let log_p: Vec<f64> = self.setup.assemble(prior, ends, log_dets).iter().map(|p| p.log_p).collect();
        LikelihoodView {
            solver: self.setup.sampler.name(),
            steps: self.setup.steps,
            evaluations: self.evaluations,
            data_time: self.setup.data_time(),
            model: NllSummary::of(&log_p, self.setup.space),
            exact: NllSummary::of(&self.exact_log_p, self.setup.space),
            dimensions: self.setup.space.dimensions() as u32,
            histogram: LogDensityHistogram::of(&log_p, &self.exact_log_p),
            log_p,
            exact_log_p: self.exact_log_p,
        }
    }
}

impl Session {
    /// The likelihood solver `solver` (one of [`LIKELIHOOD_SAMPLERS`]; its field in messages is
    /// "sampler") with `steps` steps on the time grid named `grid`, on the session's schedule
    /// and score frame.
    pub fn likelihood_setup(
        &self,
        solver: &str,
        grid: &str,
        steps: u32,
    ) -> Result<LikelihoodSetup, OptionError> {
        let sampler = options::check_choice("sampler", solver, &LIKELIHOOD_SAMPLERS, Sampler::name)?;
        let steps = options::check_integer("steps", steps, MIN_LIKELIHOOD_STEPS, MAX_LIKELIHOOD_STEPS)?;
        let grid = options::check_choice("time_grid", grid, &TimeGrid::ALL, TimeGrid::name)?;
        Ok(LikelihoodSetup {
            schedule: self.options().schedule,
            net: self.score_frame(),
            sampler,
            grid,
            steps: steps as usize,
            space: Space::of(self.target()),
        })
    }

    /// ln p of `points` (1 to [`MAX_LIKELIHOOD_POINTS`]) under the model by the ODE from
    /// `prior`, next to the exact ln p of [`Session::target`], on the CPU. Refused while the run
    /// is guided: the guided flow's density is not the model's, and its target is the tilted one.
    pub fn likelihood(
        &self,
        solver: &str,
        grid: &str,
        steps: u32,
        prior: PriorChoice,
        points: &[[f32; 2]],
    ) -> Result<LikelihoodView, OptionError> {
        let pending = self.start_likelihood(solver, grid, steps, prior, points, false)?;
        let PendingEnds::Ready(ends, log_dets) = pending.ends else { unreachable!("computed on the CPU") };
        Ok(pending.parts.finish(&ends, &log_dets))
    }

    /// [`Session::likelihood`] where the particles are: on the GPU (`shaders/likelihood_step_*`)
    /// when the session runs there, else on the CPU.
    pub fn likelihood_where_particles_are(
        &self,
        solver: &str,
        grid: &str,
        steps: u32,
        prior: PriorChoice,
        points: &[[f32; 2]],
    ) -> Result<PendingLikelihoodView, OptionError> {
        self.start_likelihood(solver, grid, steps, prior, points, true)
    }

    fn start_likelihood(
        &self,
        solver: &str,
        grid: &str,
        steps: u32,
        prior: PriorChoice,
        points: &[[f32; 2]],
        on_device: bool,
    ) -> Result<PendingLikelihoodView, OptionError> {
        self.check_unguided()?;
        let n = u32::try_from(points.len()).unwrap_or(u32::MAX);
        options::check_integer("points", n, 1, MAX_LIKELIHOOD_POINTS)?;
        let setup = self.likelihood_setup(solver, grid, steps)?;
        let plan = setup.plan().map_err(|why| OptionError {
            field: "sampler".into(),
            value: solver.into(),
            allowed: why,
        })?;
        let source = self.unguided_source();
        // The GPU kernels integrate the plane; 1-D data's line runs on the CPU (`core::likelihood`).
        let ends = match self.engine().filter(|_| on_device && setup.space == Space::Plane) {
            Some(engine) => {
                PendingEnds::Gpu(engine.likelihood(source, &plan, points).map_err(|e| OptionError {
                    field: "points".into(),
                    value: format!("{} points on the GPU", points.len()),
                    allowed: e.to_string(),
                })?)
            }
            None => {
                let (ends, log_dets) = likelihood::run(source, setup.space, &plan, points);
                PendingEnds::Ready(ends, log_dets)
            }
        };
        let parts = ViewParts {
            setup,
            evaluations: plan.iter().map(|s| s.evaluations()).sum(),
            prior: match prior {
                PriorChoice::Gaussian => None,
                PriorChoice::Exact => Some(self.target().clone()),
            },
            exact_log_p: setup.exact_log_density(self.target(), points),
        };
        Ok(PendingLikelihoodView { parts, ends })
    }

    /// `n` fresh points of [`Session::target`] (seed [`LIKELIHOOD_DATA_SEED`]): the test set of
    /// the likelihood panel.
    pub fn likelihood_data(&self, n: u32) -> Result<Vec<[f32; 2]>, OptionError> {
        let n = options::check_integer("points", n, 1, MAX_LIKELIHOOD_POINTS)?;
        Ok(self.target().sample(LIKELIHOOD_DATA_SEED, 0, n as usize))
    }

    /// The variational bound of the discrete chain of the session's schedule on the time grid
    /// named `grid` with `steps` steps, averaged over `points` with `draws` (1 to
    /// [`MAX_ELBO_DRAWS`]) draws of each latent, next to the exact mean ln p_0. Refused while
    /// guided, like [`Session::likelihood`].
    pub fn elbo(
        &self,
        grid: &str,
        steps: u32,
        points: &[[f32; 2]],
        draws: u32,
    ) -> Result<ElboView, OptionError> {
        self.check_unguided()?;
        let n = u32::try_from(points.len()).unwrap_or(u32::MAX);
        options::check_integer("points", n, 1, MAX_LIKELIHOOD_POINTS)?;
        let steps = options::check_integer("steps", steps, MIN_LIKELIHOOD_STEPS, MAX_LIKELIHOOD_STEPS)?;
        let draws = options::check_integer("draws", draws, 1, MAX_ELBO_DRAWS)?;
        let grid = options::check_choice("time_grid", grid, &TimeGrid::ALL, TimeGrid::name)?;
        let space = Space::of(self.target());
        let chain = Chain::new(self.options().schedule, self.score_frame(), grid, steps as usize, space);
        let terms = chain.elbo(self.unguided_source(), points, draws as usize, ELBO_SEED);
        let count = terms.len() as f64;
        let mean =
            |f: &dyn Fn(&crate::core::elbo::ElboTerms) -> f64| terms.iter().map(f).sum::<f64>() / count;
        let totals: Vec<f64> = terms.iter().map(|t| t.total()).collect();
        let (elbo, standard_error) = mean_and_standard_error(&totals);
        let transitions =
            (0..chain.latent_times.len().saturating_sub(1)).map(|i| mean(&|t| t.transitions[i])).collect();
        let exact: Vec<f64> = points
            .iter()
            .map(|p| space.log_density_noised(self.target(), [p[0] as f64, p[1] as f64], 1.0, 0.0))
            .collect();
        Ok(ElboView {
            latent_times: chain.latent_times.clone(),
            prior: mean(&|t| t.prior),
            transitions,
            reconstruction: mean(&|t| t.reconstruction),
            elbo,
            standard_error,
            bits_per_dimension: space.bits_per_dimension(elbo),
            dimensions: space.dimensions() as u32,
            exact_log_p: exact.iter().sum::<f64>() / count,
        })
    }

    /// The frame of the session's score: the network's, or eps on the schedule for the exact.
    fn score_frame(&self) -> NetFrame {
        if self.options().score.is_learned() {
            NetFrame::of(self.net())
        } else {
            NetFrame::eps(self.options().schedule)
        }
    }

    /// The session's score without guidance.
    fn unguided_source(&self) -> Unguided<'_> {
        self.score_source().base()
    }

    fn check_unguided(&self) -> Result<(), OptionError> {
        match self.guidance() {
            Some(_) => Err(OptionError {
                field: "guidance".into(),
                value: self.options().guidance.name().into(),
                allowed: "none while the likelihood is measured (a guided flow's density is not the model's)"
                    .into(),
            }),
            None => Ok(()),
        }
    }
}
