//! The straightness readout of a run (`core::straightness`): its own paths, replayed on the CPU
//! from where it started ([`Session::trajectory`]), next to the exact flow's from the same
//! start (the same plan with the exact score of what the run targets), so a learned flow is
//! read against the closed-form marginal flow of the independent coupling.

use serde::Serialize;

use crate::app::options::{self, OptionError};
use crate::app::session::Session;
use crate::app::trajectory::MAX_TRAJECTORY_PARTICLES;
use crate::core::sampler::ScoreSource;
use crate::core::straightness::{self, PathStraightness, MIN_MEASURED_STEPS};

/// Paths the page's readout and `dp-sample` measure: the mean over 512 paths is within a few
/// percent of the mean over all of them, at a cost of 512 replayed particles.
pub const STRAIGHTNESS_PATHS: u32 = 512;

/// The straightness of a run and of the exact flow from the same start.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct StraightnessView {
    /// The run's own paths (its score: the network, the exact one, guided).
    pub run: PathStraightness,
    /// The same plan with the exact score of what the run targets (the data, or p(x | c), or
    /// p(x | y)): the marginal flow of the independent coupling, in closed form.
    pub exact: PathStraightness,
}

/// Paths of the conditional-versus-marginal picture: few enough to follow each by eye.
pub const MAX_COMPARED_PATHS: u32 = 64;
/// Seed of the data points the conditional paths end at.
pub const COMPARED_DATA_SEED: u32 = 0xc0de;

/// The picture students ask for: for a few particles, the straight conditional paths of flow
/// matching, x_t = (1 - t) x_0 + t x_1 from each particle's noise x_1 to a data point x_0 drawn
/// on its own (the independent coupling's pairs), beside the marginal trajectories the run's ODE
/// and the exact flow's take from the same noise.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct PathComparison {
    /// Paths of each kind.
    pub paths: usize,
    /// Frames of each trajectory (the run's steps + 1).
    pub frames: usize,
    /// Each path's noise x_1 and data point x_0: x1.x, x1.y, x0.x, x0.y per path.
    pub conditional: Vec<f32>,
    /// The exact flow's trajectories, frame by frame (frame k holds every path's x, y).
    pub exact: Vec<f32>,
    /// The run's own trajectories (its score), laid out as `exact`.
    pub learned: Vec<f32>,
}

impl Session {
    /// The conditional paths and the marginal trajectories of the first `paths` particles (1 to
    /// [`MAX_COMPARED_PATHS`]); a run that draws noise has no trajectory to compare (refused,
    /// naming the sampler, as [`Session::straightness`]).
    pub fn path_comparison(&self, paths: u32) -> Result<PathComparison, OptionError> {
        let n = options::check_integer("paths", paths, 1, MAX_COMPARED_PATHS)? as usize;
        self.refuse_noisy_run()?;
        let learned = self.trajectory(n as u32)?;
        let exact = self.replay(ScoreSource::Exact(self.target()), n);
        let n = learned[0].len();
        let data = self.target().sample(COMPARED_DATA_SEED, 0, n);
        let flat =
            |frames: &[Vec<[f32; 2]>]| frames.iter().flatten().flatten().copied().collect::<Vec<f32>>();
        Ok(PathComparison {
            paths: n,
            frames: learned.len(),
            conditional: learned[0]
                .iter()
                .zip(&data)
                .flat_map(|(x1, x0)| [x1[0], x1[1], x0[0], x0[1]])
                .collect(),
            exact: flat(&exact),
            learned: flat(&learned),
        })
    }

    /// The straightness of the current run's first `paths` paths (1 to
    /// [`MAX_TRAJECTORY_PARTICLES`]) and of the exact flow's. A run that draws noise has no
    /// smooth path: it is refused, naming the sampler, as is an SMC run (its particles are copied).
    pub fn straightness(&self, paths: u32) -> Result<StraightnessView, OptionError> {
        let n = options::check_integer("paths", paths, 1, MAX_TRAJECTORY_PARTICLES)? as usize;
        self.refuse_noisy_run()?;
        if self.plan().len() < MIN_MEASURED_STEPS {
            return Err(OptionError {
                field: "steps".into(),
                value: format!("{}", self.plan().len()),
                allowed:
                    "two steps or more for a straightness: one step is a straight chord whatever the flow"
                        .into(),
            });
        }
        let run = self.trajectory(n as u32)?;
        let exact = self.replay(ScoreSource::Exact(self.target()), n);
        let (schedule, times) = (self.options().schedule, self.run_times());
        let measure = |frames: &[Vec<[f32; 2]>]| {
            straightness::of_paths(frames, schedule, times).ok_or_else(|| OptionError {
                field: "steps".into(),
                value: format!("{}", self.plan().len()),
                allowed: "a run of at least one step that moves in time".into(),
            })
        };
        Ok(StraightnessView { run: measure(&run)?, exact: measure(&exact)? })
    }

    /// Refuses a run that draws noise, naming its sampler: its paths are not smooth.
    fn refuse_noisy_run(&self) -> Result<(), OptionError> {
        if !self.draws_noise() {
            return Ok(());
        }
        Err(OptionError {
            field: "sampler".into(),
            value: format!("{:?}", self.options().sampler.name()),
            allowed: "a deterministic run for a straightness (an ODE solver, DDIM with eta 0, no churn): a run that \
                      draws noise has no smooth path"
                .into(),
        })
    }
}
