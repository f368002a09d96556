//! The model-error panel's analyses, as methods of the [`Session`]: where the network in use
//! differs from the exact noise prediction of the data (`core::model_error`), over the picture at
//! one time and as the denoising loss split over noise levels.

use crate::app::options::{self, OptionError};
use crate::app::session::Session;
use crate::core::histogram::{self, Bins};
use crate::core::model_error::{self, LossAtTime};
use crate::core::render;
use crate::core::sampler::NetFrame;

/// Most draws per time of the loss profile.
pub const MAX_PROFILE_SAMPLES: u32 = 8192;
/// Most times of the loss profile.
pub const MAX_PROFILE_TIMES: u32 = 200;
/// Seed of the profile's draws of x_0 and eps.
pub const PROFILE_SEED: u32 = 6006;

impl Session {
    /// ||eps_theta(x, t) - eps*(x, t)||^2 on a `side` x `side` grid over the picture ([-3, 3]^2,
    /// row 0 at the top) at time `t` of the schedule: the network in use against the exact score
    /// of what is sampled (the dataset, or the drawing it was trained on).
    pub fn model_error_field(&self, t: f64, side: u32) -> Result<Vec<f32>, OptionError> {
        let schedule = self.options().schedule;
        let (lo, hi) = schedule.domain();
        let t = options::check_real("t", t, lo, hi)?.clamp(schedule.min_start_time(), schedule.t_max());
        options::check_integer("side", side, 1, histogram::MAX_SIDE)?;
        let (net, mixture) = self.network_and_truth()?;
        let bins = Bins { side, half_extent: render::DEFAULT_HALF_EXTENT };
        Ok(model_error::error_field(&net.mlp, NetFrame::of(net), mixture, schedule, t, &bins))
    }

    /// The denoising loss of the network in use at `count` times spread like the time slider
    /// (its positions 1/count .. 1), each split into the network's error and the irreducible
    /// part, from `samples` draws of the forward process per time.
    pub fn loss_profile(&self, samples: u32, count: u32) -> Result<Vec<LossAtTime>, OptionError> {
        let samples = options::check_integer("samples", samples, 1, MAX_PROFILE_SAMPLES)?;
        let count = options::check_integer("times", count, 1, MAX_PROFILE_TIMES)?;
        let (net, mixture) = self.network_and_truth()?;
        let schedule = self.options().schedule;
        let times: Vec<f64> = (1..=count)
            .map(|k| {
                schedule
                    .time_at_fraction(k as f64 / count as f64)
                    .clamp(schedule.min_start_time(), schedule.t_max())
            })
            .collect();
        Ok(model_error::error_profile(
            &net.mlp,
            NetFrame::of(net),
            mixture,
            schedule,
            &times,
            samples as usize,
            PROFILE_SEED,
        ))
    }

    /// The network in use and the mixture it learned, or why there is none to compare.
    fn network_and_truth(
        &self,
    ) -> Result<(&crate::core::weights::TrainedNet, &crate::core::dataset::GaussianMixture), OptionError>
    {
        if self.guidance().is_some() {
            return Err(OptionError {
                field: "guidance".into(),
                value: self.options().guidance.name().into(),
                allowed: "none while the network's error is measured (it is compared with the unguided exact score)".into(),
            });
        }
        if self.drawing_points().is_some() && !self.drawing_has_network() {
            return Err(OptionError {
                field: "score".into(),
                value: "a drawing without a network".into(),
                allowed: "a network trained on the drawing (Train in the drawing panel), to compare with its exact score".into(),
            });
        }
        Ok((self.net(), self.target()))
    }
}
