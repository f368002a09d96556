//! The analyses the page's views show, each a method of the [`Session`]: the exact density on
//! bins at a time t (density view), the reference sample and floor of the distance readout, a
//! lap of the sampler race, the space-time picture and the schedule lab's curves.
//!
//! Each reads what is sampled from the session (the dataset or the drawing in use, its exact
//! score or the network in use, the schedule, the seed), so a drawing, or a network trained in
//! the page, flows into every view. Arguments that are not options are checked like options
//! ([`crate::app::options::check_integer`] and friends), with the same messages.

use serde::Serialize;

use crate::app::options::{self, OptionError, RawOptions, ScoreChoice, MAX_PARTICLES};
use crate::app::session::Session;
use crate::core::coupling::Coupling;
use crate::core::guidance;
use crate::core::histogram::{self, Bins};
use crate::core::metrics;
use crate::core::posterior_guidance::{ObservationParams, PosteriorMethod};
use crate::core::race::{self, Track};
use crate::core::render;
use crate::core::sampler::{NetFrame, SamplerSettings, ScoreSource};
use crate::core::schedule::Schedule;
use crate::core::space_time::{self, SpaceTime, SpaceTimeSize};
use crate::core::timesteps::TimeGrid;
use crate::core::weights::TrainedNet;

/// Seed of the reference sample of the distance readout (the race's, so both compare with the
/// same data).
pub const DISTANCE_DATA_SEED: u32 = race::RACE_DATA_SEED;
/// Seed of the second sample whose distance to the reference is the readout's floor.
pub const DISTANCE_FLOOR_SEED: u32 = race::RACE_FLOOR_SEED;

/// Size of the space-time view: heatmap columns and rows, paths of each kind, steps per path.
pub const SPACE_TIME_SIZE: SpaceTimeSize = SpaceTimeSize { columns: 240, rows: 120, paths: 16, steps: 200 };

/// Fewest points of a schedule-lab curve.
pub const MIN_CURVE_SAMPLES: u32 = 2;
/// Most points of a schedule-lab curve.
pub const MAX_CURVE_SAMPLES: u32 = 4096;

/// Fewest particles of one sampler-race lap (a distance needs two).
pub const MIN_RACE_PARTICLES: u32 = 2;
/// Most particles of one sampler-race lap (the race runs on the CPU, between frames).
pub const MAX_RACE_PARTICLES: u32 = 8192;
/// Largest network-evaluation budget of one lap.
pub const MAX_RACE_BUDGET: u32 = 1000;

/// The options a race lap may set for its racer; the rest are the session's.
pub const RACER_FIELDS: [&str; 8] =
    ["sampler", "eta", "churn", "s_tmin", "s_tmax", "s_noise", "order", "posterior"];

/// The curves of the schedule lab: alpha, sigma, log-SNR, the drift f and the squared diffusion
/// g^2 (seeds 000 and 001) at `samples` times spread like the time slider (`u` from 0 to 1 over
/// [t_min, t_max]), and the times of a `steps`-step time grid (with their slider positions).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct ScheduleCurves {
    /// Slider position of each sample.
    pub u: Vec<f64>,
    /// Time of each sample, in the schedule's own units.
    pub t: Vec<f64>,
    /// alpha(t).
    pub alpha: Vec<f64>,
    /// sigma(t).
    pub sigma: Vec<f64>,
    /// log(alpha^2 / sigma^2).
    pub log_snr: Vec<f64>,
    /// The forward SDE's drift coefficient f(t).
    pub drift: Vec<f64>,
    /// The forward SDE's squared diffusion g(t)^2.
    pub diffusion_squared: Vec<f64>,
    /// Slider positions of the grid's times.
    pub grid_u: Vec<f64>,
    /// The grid's times, from t_max down to t_min.
    pub grid_t: Vec<f64>,
}

/// The schedule lab's curves for `schedule` and a `steps`-step `grid`, with `samples` points per
/// curve (from [`MIN_CURVE_SAMPLES`] to [`MAX_CURVE_SAMPLES`]).
pub fn schedule_curves(
    schedule: Schedule,
    grid: TimeGrid,
    shift: f64,
    rho: f64,
    steps: u32,
    samples: u32,
) -> Result<ScheduleCurves, OptionError> {
    options::check_integer("steps", steps, options::MIN_STEPS, options::MAX_STEPS)?;
    options::check_integer("samples", samples, MIN_CURVE_SAMPLES, MAX_CURVE_SAMPLES)?;
    let (lo, hi) = (schedule.fraction_of_time(schedule.t_min()), schedule.fraction_of_time(schedule.t_max()));
    let u: Vec<f64> = (0..samples).map(|i| lo + (hi - lo) * i as f64 / (samples - 1) as f64).collect();
    let t: Vec<f64> =
        u.iter().map(|&u| schedule.time_at_fraction(u).clamp(schedule.t_min(), schedule.t_max())).collect();
    let curve = |f: fn(Schedule, f64) -> f64| t.iter().map(|&t| f(schedule, t)).collect::<Vec<f64>>();
    let grid_t = grid.shifted_times(schedule, schedule.t_max(), schedule.t_min(), steps as usize, shift, rho);
    Ok(ScheduleCurves {
        alpha: curve(Schedule::alpha),
        sigma: curve(Schedule::sigma),
        log_snr: curve(Schedule::log_snr),
        drift: curve(Schedule::drift),
        diffusion_squared: curve(Schedule::diffusion_squared),
        grid_u: grid_t.iter().map(|&t| schedule.fraction_of_time(t)).collect(),
        grid_t,
        u,
        t,
    })
}

/// The distance readout: how far some particles are from the data, and how far two samples of
/// the data of the same size are from each other (what a perfect sampler reaches).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Distance {
    /// Sliced 2-Wasserstein distance of the particles to the reference sample.
    pub distance: f64,
    /// Sliced 2-Wasserstein distance of a second data sample to the reference sample.
    pub floor: f64,
}

/// One lap of a sampler race, as the page's chart reads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct RaceLap {
    /// Steps taken.
    pub steps: usize,
    /// Network evaluations spent.
    pub evaluations: usize,
    /// Sliced 2-Wasserstein distance of the final particles to fresh data.
    pub distance: f64,
    /// The final particles, interleaved x, y.
    pub particles: Vec<f32>,
    /// The data-vs-data floor at this many particles.
    pub floor: f64,
    /// The straightness S of the lap's first paths, for a racer that draws no noise
    /// (`core::race::RACE_STRAIGHTNESS_PATHS`).
    pub straightness: Option<f64>,
}

/// A lap's budget (1 to [`MAX_RACE_BUDGET`]) and particles ([`MIN_RACE_PARTICLES`] to
/// [`MAX_RACE_PARTICLES`]), checked as the options table checks its integers.
fn check_lap_size(budget: u32, particles: u32) -> Result<(), OptionError> {
    options::check_integer("budget", budget, 1, MAX_RACE_BUDGET)?;
    options::check_integer("particles", particles, MIN_RACE_PARTICLES, MAX_RACE_PARTICLES)?;
    Ok(())
}

/// A racer that draws noise needs the score: refused on a network trained with a coupling
/// other than the independent one, which has a velocity but no score (`core::coupling`), as the
/// session refuses such a sampler for its own run.
fn check_racer_for_network(
    track: &Track,
    net: &TrainedNet,
    settings: &SamplerSettings,
    budget: u32,
) -> Result<(), OptionError> {
    if net.coupling == Coupling::Independent
        || !race::lap_draws_noise(track, NetFrame::of(net), settings, budget as usize)
    {
        return Ok(());
    }
    Err(OptionError {
        field: "sampler".into(),
        value: format!("{:?} in the race", settings.sampler.name()),
        allowed: format!(
            "a sampler that draws no noise: the network was trained with the {} coupling, it has a velocity but no \
             score",
            net.coupling.name()
        ),
    })
}

impl RaceLap {
    /// The page's form of `lap` on `track`, with the track's floor.
    fn of(lap: race::Lap, track: &Track) -> RaceLap {
        RaceLap {
            steps: lap.steps,
            evaluations: lap.evaluations,
            distance: lap.distance,
            particles: lap.particles.into_iter().flatten().collect(),
            floor: race::floor(track),
            straightness: lap.straightness,
        }
    }
}

impl Session {
    /// The exact probability of each bin of a `side` x `side` grid over the picture ([-3, 3]^2,
    /// row 0 at the top) under p_t: [`Session::score_mixture`] (the drawing's distribution when
    /// one is in use; the training set for `empirical`) noised to time `t` of the schedule (in
    /// its own units, within its domain). When the run is guided toward a class, the density
    /// whose score the guided run follows at t: the tilted p_t(x | c)^w p_t(x)^(1 - w)
    /// normalised (`guidance::tilted_probabilities`), w the guidance weight at t (the class
    /// conditional for w = 1). When the run conditions on a measurement, the exact posterior
    /// p(x0 | y) ([`Session::target`]) noised to t, whatever the method (the exact posterior's
    /// score follows it; DPS and PiGDM aim at it). Comparable with the particles' histogram
    /// divided by their number.
    pub fn exact_probabilities(&self, t: f64, side: u32) -> Result<Vec<f32>, OptionError> {
        let schedule = self.options().schedule;
        let (lo, hi) = schedule.domain();
        let t = options::check_real("t", t, lo, hi)?.max(schedule.t_min());
        options::check_integer("side", side, 1, histogram::MAX_SIDE)?;
        let bins = Bins { side, half_extent: render::DEFAULT_HALF_EXTENT };
        let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
        if self.options().measurement().is_some() {
            return Ok(histogram::exact_probabilities(self.target(), alpha, sigma, &bins));
        }
        if let Some(guidance) = self.guidance() {
            let weight = guidance.weight_at(alpha as f32, sigma as f32) as f64;
            if let Some(tilted) =
                guidance::tilted_probabilities(self.score_mixture(), alpha, sigma, weight, &bins)
            {
                return Ok(tilted);
            }
        }
        Ok(histogram::exact_probabilities(self.score_mixture(), alpha, sigma, &bins))
    }

    /// The reference sample of the distance readout: `n` fresh points of [`Session::target`]
    /// (the drawing's distribution when one is in use), drawn with [`DISTANCE_DATA_SEED`].
    pub fn reference_sample(&self, n: usize) -> Vec<[f32; 2]> {
        self.target().sample(DISTANCE_DATA_SEED, 0, n)
    }

    /// The floor of the distance readout at `n` points: the distance between a second sample of
    /// the target ([`DISTANCE_FLOOR_SEED`]) and [`Session::reference_sample`].
    pub fn distance_floor(&self, n: usize) -> f64 {
        metrics::sliced_wasserstein(
            &self.target().sample(DISTANCE_FLOOR_SEED, 0, n),
            &self.reference_sample(n),
        )
    }

    /// The distance readout for `points` (1 to [`MAX_PARTICLES`] of them): their distance to
    /// the reference sample of as many points, and the floor at that size.
    pub fn distance_to_data(&self, points: &[[f32; 2]]) -> Result<Distance, OptionError> {
        let n = u32::try_from(points.len()).unwrap_or(u32::MAX);
        options::check_integer("points", n, 1, MAX_PARTICLES)?;
        let reference = self.reference_sample(points.len());
        Ok(Distance {
            distance: metrics::sliced_wasserstein(points, &reference),
            floor: self.distance_floor(points.len()),
        })
    }

    /// The sampler settings of a racer: the fields of `racer` ([`RACER_FIELDS`] only: sampler,
    /// eta, churn, s_tmin, s_tmax, s_noise, order) checked by the options table over the session's own.
    pub fn racer_settings(&self, racer: &RawOptions) -> Result<SamplerSettings, OptionError> {
        if let Some(field) = racer.keys().find(|f| !RACER_FIELDS.contains(&f.as_str())) {
            return Err(OptionError {
                field: field.chars().take(40).collect(),
                value: String::new(),
                allowed: RACER_FIELDS.join(", "),
            });
        }
        Ok(self.options().merged(racer)?.sampler_settings())
    }

    /// One lap of a race from the racer's fields ([`RACER_FIELDS`]): with `posterior` (the
    /// posterior race, on a session that conditions on a measurement) the racer conditions on
    /// the session's measurement with that method instead of the session's own
    /// ([`Session::posterior_race_lap`]); without it, [`Session::race_lap`] with its sampler.
    pub fn racer_lap(&self, racer: &RawOptions, budget: u32, particles: u32) -> Result<RaceLap, OptionError> {
        let settings = self.racer_settings(racer)?;
        if !racer.contains_key("posterior") {
            return self.race_lap(&settings, budget, particles);
        }
        let method = self.options().merged(racer)?.posterior;
        self.posterior_race_lap(method, &settings, budget, particles)
    }

    /// One lap of the posterior race: `particles` prior samples carried to the session's
    /// posterior p(x0 | y) ([`Session::target`]) with about `budget` evaluations, conditioned by
    /// `method` (none: the prior's score, the baseline) on the session's measurement and with its
    /// weight `posterior_scale`; exact uses the exact posterior's score, dps and pigdm the prior's
    /// score (network or exact) with their likelihood term, smc weighs and resamples
    /// (`race::smc_lap`). Refused when the session has no measurement.
    pub fn posterior_race_lap(
        &self,
        method: PosteriorMethod,
        settings: &SamplerSettings,
        budget: u32,
        particles: u32,
    ) -> Result<RaceLap, OptionError> {
        check_lap_size(budget, particles)?;
        let Some(measurement) = self.options().measurement() else {
            return Err(OptionError {
                field: "posterior".into(),
                value: format!("{:?} in the race", method.name()),
                allowed:
                    "a posterior race on a session that conditions on a measurement (posterior not none)"
                        .into(),
            });
        };
        let track = self.race_track(particles as usize);
        let frame = NetFrame::of(self.net());
        let prior_mixture = self.prior_mixture();
        let prior = self.options().score.source(&self.net().mlp, &prior_mixture);
        let params = ObservationParams::new(&measurement, method);
        let scale = self.options().posterior_scale;
        let lap = match method {
            PosteriorMethod::None => race::lap(&track, prior, frame, settings, budget as usize),
            PosteriorMethod::Exact => {
                race::lap(&track, ScoreSource::Exact(self.target()), frame, settings, budget as usize)
            }
            PosteriorMethod::Dps | PosteriorMethod::Pigdm => {
                let source = prior.posterior_guided(&params, guidance::Guidance::everywhere(scale));
                race::lap(&track, source, frame, settings, budget as usize)
            }
            PosteriorMethod::Smc => {
                race::smc_lap(&track, prior, &params, scale as f32, frame, settings, budget as usize)
                    .map_err(|e| OptionError {
                        field: "sampler".into(),
                        value: format!("{:?}", settings.sampler.name()),
                        allowed: e,
                    })?
            }
        };
        Ok(RaceLap::of(lap, &track))
    }

    /// One lap of the sampler race (`core::race`): `settings` carries `particles` prior samples
    /// (from [`MIN_RACE_PARTICLES`] to [`MAX_RACE_PARTICLES`]) to [`Session::target`] with about
    /// `budget` (1 to [`MAX_RACE_BUDGET`]) evaluations of the session's score (the network in
    /// use or the exact score), on the session's schedule, time grid and seed.
    pub fn race_lap(
        &self,
        settings: &SamplerSettings,
        budget: u32,
        particles: u32,
    ) -> Result<RaceLap, OptionError> {
        check_lap_size(budget, particles)?;
        if self.smc_state().is_some() {
            return Err(OptionError {
                field: "posterior".into(),
                value: "\"smc\"".into(),
                allowed: "exact, dps or pigdm in the race (its laps carry no SMC weights; pigdm races SMC's proposal)".into(),
            });
        }
        let track = self.race_track(particles as usize);
        let frame = NetFrame::of(self.net());
        if self.options().score == ScoreChoice::Mlp {
            check_racer_for_network(&track, self.net(), settings, budget)?;
        }
        let lap = race::lap(&track, self.score_source(), frame, settings, budget as usize);
        Ok(RaceLap::of(lap, &track))
    }

    /// One lap of the racer `racer` ([`RACER_FIELDS`] but posterior) run on the flow the
    /// drawing's network was reflowed or distilled from ([`Session::teacher_flow`]) instead of
    /// the network in use, from the same noise: the race shows the flow before and after a
    /// reflow, or a one-step student beside its teacher (Liu et al. 2022, Table 1; Song et al.
    /// 2023, Fig. 5: few-step quality is what both buy). Refused when neither trained the network
    /// in use here.
    pub fn racer_lap_on_teacher(
        &self,
        racer: &RawOptions,
        budget: u32,
        particles: u32,
    ) -> Result<RaceLap, OptionError> {
        let settings = self.racer_settings(racer)?;
        check_lap_size(budget, particles)?;
        let Some(teacher) = self.teacher_flow() else {
            return Err(OptionError {
                field: "coupling".into(),
                value: "the teacher".into(),
                allowed: "a race beside the teacher on a drawing whose flow was reflowed or distilled here (press Reflow or Distill)"
                    .into(),
            });
        };
        let track = self.race_track(particles as usize);
        check_racer_for_network(&track, teacher, &settings, budget)?;
        let lap = race::lap(
            &track,
            ScoreSource::Mlp(&teacher.mlp),
            NetFrame::of(teacher),
            &settings,
            budget as usize,
        );
        Ok(RaceLap::of(lap, &track))
    }

    /// The race's track: the target, the schedule, the time grid and the seed of the session.
    pub fn race_track(&self, particles: usize) -> Track<'_> {
        let options = self.options();
        Track {
            data: self.target(),
            schedule: options.schedule,
            grid: options.time_grid,
            shift: options.shift,
            rho: options.rho,
            particles,
            seed: options.seed,
        }
    }

    /// The 1-D space-time view (`core::space_time`, [`SPACE_TIME_SIZE`]; docs/theory.md): the exact
    /// density of x_t over t for [`Session::target`], and forward SDE, reverse SDE and
    /// probability-flow ODE paths driven by the session's score.
    pub fn space_time(&self) -> SpaceTime {
        let options = self.options();
        space_time::space_time(
            self.target(),
            options.schedule,
            self.score_source(),
            NetFrame::of(self.net()),
            SPACE_TIME_SIZE,
            options.seed,
        )
    }

    /// The schedule lab's curves for the session's schedule, time grid and steps, with
    /// `samples` points per curve.
    pub fn schedule_curves(&self, samples: u32) -> Result<ScheduleCurves, OptionError> {
        let options = self.options();
        schedule_curves(
            options.schedule,
            options.time_grid,
            options.shift,
            options.rho,
            options.steps,
            samples,
        )
    }
}
