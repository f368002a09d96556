//! The straightness readout of a run (`core::straightness`): its own paths, replayed on the CPU
//! from where it started ([`Session::trajectory`]), next to the exact flow's from the same
//! start (the same plan with the exact score of what the run targets), so a learned flow is
//! read against the closed-form marginal flow of the independent coupling.

use serde::Serialize;

use crate::app::options::{self, OptionError};
use crate::app::session::Session;
use crate::app::trajectory::MAX_TRAJECTORY_PARTICLES;
use crate::core::sampler::ScoreSource;
use crate::core::straightness::{self, PathStraightness};

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

impl Session {
    /// The straightness of the current run's first `paths` paths (1 to
    /// [`MAX_TRAJECTORY_PARTICLES`]) and of the exact flow's. A run that draws noise has no
    /// smooth path: it is refused, naming the sampler, as is an SMC run (its particles are copied).
    pub fn straightness(&self, paths: u32) -> Result<StraightnessView, OptionError> {
        let n = options::check_integer("paths", paths, 1, MAX_TRAJECTORY_PARTICLES)? as usize;
        if self.draws_noise() {
            let settings = self.options().sampler_settings();
            return Err(OptionError {
                field: "sampler".into(),
                value: format!("{:?}", settings.sampler.name()),
                allowed: "a deterministic run for a straightness (an ODE solver, DDIM with eta 0, no churn): a run \
                          that draws noise has no smooth path"
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
}
