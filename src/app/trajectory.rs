//! The paths of a run as data: every step's positions of the first particles, replayed on the
//! CPU from where the current run started (the file the page's "Paths" buttons download and
//! `dp-sample --trajectory` writes).
//!
//! The replay runs the session's own plan with its own score (guidance included) and noise, so
//! on the CPU path its last frame is bit-identical to the run's end; on the WebGPU path it agrees
//! with the GPU's particles to the CPU/GPU parity of the kernels (`tests/it/gpu_parity.rs`).

use crate::app::options::{self, OptionError};
use crate::app::sample_files;
use crate::app::session::Session;
use crate::core::sampler::{self, ScoreSource};

/// Most particles a trajectory holds (a 1,000-step run of 4,096 particles is 33 MB as NPY).
pub const MAX_TRAJECTORY_PARTICLES: u32 = 4096;

impl Session {
    /// The current run from its start to its end for the first `particles` particles (1 to
    /// [`MAX_TRAJECTORY_PARTICLES`], at most the session's): `steps + 1` frames, the start
    /// first, whatever step the run is at now.
    pub fn trajectory(&self, particles: u32) -> Result<Vec<Vec<[f32; 2]>>, OptionError> {
        let n = options::check_integer("particles", particles, 1, MAX_TRAJECTORY_PARTICLES)?;
        if self.smc_state().is_some() {
            return Err(OptionError {
                field: "posterior".into(),
                value: "\"smc\"".into(),
                allowed: "a method without resampling (SMC copies particles, so they have no single path)"
                    .into(),
            });
        }
        Ok(self.replay(self.score_source(), n as usize))
    }

    /// The current run's plan replayed with `source` from the run's start for its first `n`
    /// particles: `steps + 1` frames, the start first.
    pub(crate) fn replay(&self, source: ScoreSource<'_>, n: usize) -> Vec<Vec<[f32; 2]>> {
        let mut x = self.run_start_points(n);
        let mut history = sampler::empty_history(x.len());
        let seed = self.options().seed;
        let mut frames = vec![x.clone()];
        for step in self.plan() {
            sampler::run(source, std::slice::from_ref(step), &mut x, &mut history, seed, 0);
            frames.push(x.clone());
        }
        frames
    }

    /// [`Session::trajectory`] as the file `format` names ([`sample_files::trajectory_file`]).
    pub fn trajectory_file(&self, particles: u32, format: &str) -> Result<Vec<u8>, OptionError> {
        sample_files::trajectory_file(&self.trajectory(particles)?, format)
    }
}
