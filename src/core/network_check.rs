//! Is a network read from outside (a share link, a file) plausible before it is sampled with?
//!
//! A weight file can be well formed (the right header, 5,506 finite half floats) and still be
//! garbage: random weights predict noise of size 10^14, and a run with them leaves the range of
//! f32 within a few steps. So a network is evaluated on a grid of points and times before it is
//! used, and its noise prediction (any parametrization, through the affine map the samplers use:
//! `param::eps_affine`) must be finite and of a size the data could explain.
//!
//! The bound: for data within radius [`DATA_RADIUS`] of the origin, the exact denoiser
//! E[x0 | x_t] lies in the data's convex hull, so the true noise eps = (x - alpha x0) / sigma
//! (Tweedie's formula, Efron 2011, "Tweedie's formula and selection bias", eq. 1.4; x_t = alpha
//! x0 + sigma eps as in Ho et al. 2020, eq. 4) has |eps| <= (|x| + alpha R) / sigma. A learned
//! network is allowed [`PLAUSIBLE_FACTOR`] times that plus one (the noise's own standard
//! deviation, for the network's own error near pure noise, where the data explain almost
//! nothing); the embedded networks stay far below it (`tests/it/core_network_check.rs`).

use crate::core::mlp::Mlp;
use crate::core::sampler::{self, EvaluationModel, NetFrame, ScoreSource};
use crate::core::weights::TrainedNet;

/// Radius (world units) of the largest data the playground samples: every dataset and every
/// drawing (the picture shows [-3, 3]^2, whose corners are 4.25 from the origin) lies within it.
pub const DATA_RADIUS: f64 = 6.0;

/// How many times the largest eps that data within [`DATA_RADIUS`] could explain a network may
/// predict before it is refused as implausible.
pub const PLAUSIBLE_FACTOR: f64 = 10.0;

/// Half the side of the square of test points, [-GRID_HALF_EXTENT, GRID_HALF_EXTENT]^2: the
/// picture's square and a margin.
const GRID_HALF_EXTENT: f32 = 4.0;
/// Test points per side of the square.
const GRID_SIDE: usize = 9;
/// Fractions of the network's time range at which it is tested: from near the data, where the
/// noise is still a fifth of the range, to near pure noise.
const TIME_FRACTIONS: [f64; 5] = [0.2, 0.4, 0.6, 0.8, 0.95];

/// Why a network was refused: where it predicted what.
#[derive(Clone, Debug, PartialEq)]
pub struct Implausible {
    /// The class row folded in (`None`: the network as it is, or its null class).
    pub class: Option<usize>,
    /// The test point.
    pub x: [f32; 2],
    /// The time, as a fraction of the network's time range.
    pub fraction: f64,
    /// The noise it predicted there.
    pub eps: [f32; 2],
    /// The largest size allowed there.
    pub bound: f64,
}

impl std::fmt::Display for Implausible {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let class = self.class.map(|c| format!(" for class {c}")).unwrap_or_default();
        let size = (self.eps[0] as f64).hypot(self.eps[1] as f64);
        let what =
            if size.is_finite() { format!("noise of size {size:.3e}") } else { "a non-finite noise".into() };
        write!(
            f,
            "it is not a trained network: at x = ({}, {}) and {:.0}% of its time range it predicts {what}{class}, \
             where the check allows {:.1} (data within radius {DATA_RADIUS} explain at most {:.1}; its samples \
             would leave the picture)",
            self.x[0],
            self.x[1],
            100.0 * self.fraction,
            self.bound,
            self.bound / PLAUSIBLE_FACTOR - 1.0
        )
    }
}

/// Checks `net` (with each class row of a class-conditional network folded in, and its null
/// class) on the grid; the first implausible prediction is the error.
pub fn check(net: &TrainedNet) -> Result<(), Implausible> {
    worst(net).map(|_| ())
}

/// The largest share of the allowance `net` uses anywhere on the grid (below 1 for a network
/// that [`check`] accepts), or why it was refused.
pub fn worst(net: &TrainedNet) -> Result<f64, Implausible> {
    let frame = NetFrame::of(net);
    match &net.class_embedding {
        None => worst_of(&net.mlp, frame, None),
        Some(embedding) => (0..=embedding.classes()).try_fold(0.0f64, |most, label| {
            let class = (label != embedding.null()).then_some(label);
            Ok(most.max(worst_of(&embedding.folded(&net.mlp, label), frame, class)?))
        }),
    }
}

/// [`worst`] for one unconditional network in `frame`.
fn worst_of(mlp: &Mlp, frame: NetFrame, class: Option<usize>) -> Result<f64, Implausible> {
    let schedule = frame.schedule;
    let mut most = 0.0f64;
    for fraction in TIME_FRACTIONS {
        let t = schedule.time_at_fraction(fraction);
        let model = EvaluationModel::new(ScoreSource::Mlp(mlp), sampler::evaluation(schedule, frame, t));
        let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
        for i in 0..GRID_SIDE * GRID_SIDE {
            let at =
                |k: usize| -GRID_HALF_EXTENT + 2.0 * GRID_HALF_EXTENT * k as f32 / (GRID_SIDE - 1) as f32;
            let x = [at(i % GRID_SIDE), at(i / GRID_SIDE)];
            // The network's own prediction, before its x0_hat is kept in the data's disc.
            let (eps, _) = model.unguided_eps_and_jacobian(x);
            let radius = (x[0] as f64).hypot(x[1] as f64);
            let bound = PLAUSIBLE_FACTOR * ((radius + alpha * DATA_RADIUS) / sigma + 1.0);
            let size = (eps[0] as f64).hypot(eps[1] as f64);
            if size.is_nan() || size > bound {
                return Err(Implausible { class, x, fraction, eps, bound });
            }
            most = most.max(size / bound);
        }
    }
    Ok(most)
}
