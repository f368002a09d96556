//! Where the network is wrong: its noise prediction against the exact one of the data's mixture.
//!
//! Denoising score matching (Vincent 2011; Ho et al. 2020, eq. 14) trains eps_theta(x_t, t) toward the
//! noise eps of x_t = alpha x_0 + sigma eps. Its minimiser is the exact eps*(x, t) = E[eps | x_t =
//! x] = -sigma grad ln p_t(x), so the loss at one noise level splits exactly into the network's
//! error and a part no network can remove (the cross term vanishes because eps* is the
//! conditional mean):
//!
//! ```text
//! E ||eps_theta(x_t) - eps||^2 = E ||eps_theta(x_t) - eps*(x_t)||^2 + E ||eps*(x_t) - eps||^2.
//! ```
//!
//! [`error_field`] maps the first integrand over the picture at one time; [`error_profile`]
//! estimates both terms at many times by Monte Carlo over the forward process.

use crate::core::dataset::GaussianMixture;
use crate::core::histogram::Bins;
use crate::core::mlp::Mlp;
use crate::core::rng;
use crate::core::sampler::{self, EvaluationModel, NetFrame, ScoreSource};
use crate::core::schedule::Schedule;

/// The network's noise prediction and the exact one at one time.
struct Pair<'a> {
    network: EvaluationModel<'a>,
    exact: EvaluationModel<'a>,
}

impl<'a> Pair<'a> {
    fn new(
        mlp: &'a Mlp,
        frame: NetFrame,
        mixture: &'a GaussianMixture,
        schedule: Schedule,
        t: f64,
    ) -> Pair<'a> {
        Pair {
            network: EvaluationModel::new(ScoreSource::Mlp(mlp), sampler::evaluation(schedule, frame, t)),
            exact: EvaluationModel::new(
                ScoreSource::Exact(mixture),
                sampler::evaluation(schedule, NetFrame::eps(schedule), t),
            ),
        }
    }

    /// ||eps_theta(x) - eps*(x)||^2 and eps*(x).
    fn error(&self, x: [f32; 2]) -> (f64, [f32; 2]) {
        let (a, b) = (self.network.eps_hat(x), self.exact.eps_hat(x));
        let d = [(a[0] - b[0]) as f64, (a[1] - b[1]) as f64];
        (d[0] * d[0] + d[1] * d[1], b)
    }
}

/// ||eps_theta(x, t) - eps*(x, t)||^2 at the centre of every bin of `bins` (row 0 at the top, as
/// `histogram::exact_probabilities`), for the network `mlp` in `frame` against the exact score of
/// `mixture`, at time `t` of `schedule`.
pub fn error_field(
    mlp: &Mlp,
    frame: NetFrame,
    mixture: &GaussianMixture,
    schedule: Schedule,
    t: f64,
    bins: &Bins,
) -> Vec<f32> {
    let pair = Pair::new(mlp, frame, mixture, schedule, t);
    let side = bins.side as usize;
    let cell = 2.0 * bins.half_extent / bins.side as f32;
    (0..side * side)
        .map(|k| {
            let (row, column) = (k / side, k % side);
            let x = [
                -bins.half_extent + (column as f32 + 0.5) * cell,
                bins.half_extent - (row as f32 + 0.5) * cell,
            ];
            pair.error(x).0 as f32
        })
        .collect()
}

/// The two parts of the denoising loss at one time (per particle, summed over both coordinates).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct LossAtTime {
    /// The time.
    pub t: f64,
    /// E ||eps_theta(x_t) - eps*(x_t)||^2: what the network gets wrong, weighted by p_t.
    pub network_error: f64,
    /// E ||eps*(x_t) - eps||^2: the part of the loss no network can remove.
    pub irreducible: f64,
    /// E ||eps_theta(x_t) - eps||^2: the denoising loss itself (the sum of the two, up to Monte
    /// Carlo error).
    pub loss: f64,
}

/// The denoising loss of `mlp` at each of `times`, split as in the module docs, averaged over
/// `samples` draws x_0 ~ `mixture`, eps ~ N(0, I) per time (the counter-based RNG: data stream
/// with `seed`, forward stream keyed by the time's index), so a profile is reproducible.
pub fn error_profile(
    mlp: &Mlp,
    frame: NetFrame,
    mixture: &GaussianMixture,
    schedule: Schedule,
    times: &[f64],
    samples: usize,
    seed: u32,
) -> Vec<LossAtTime> {
    let data = mixture.sample(seed, 0, samples);
    times
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let pair = Pair::new(mlp, frame, mixture, schedule, t);
            let (alpha, sigma) = (schedule.alpha(t) as f32, schedule.sigma(t) as f32);
            let mut sums = [0.0f64; 3];
            for (p, x0) in data.iter().enumerate() {
                let eps = rng::normal2(seed, p as u32, i as u32, rng::stream::FORWARD);
                let x = [alpha * x0[0] + sigma * eps[0], alpha * x0[1] + sigma * eps[1]];
                let (error, exact) = pair.error(x);
                let network = pair.network.eps_hat(x);
                let squared = |a: [f32; 2]| {
                    let d = [(a[0] - eps[0]) as f64, (a[1] - eps[1]) as f64];
                    d[0] * d[0] + d[1] * d[1]
                };
                sums[0] += error;
                sums[1] += squared(exact);
                sums[2] += squared(network);
            }
            let n = samples.max(1) as f64;
            LossAtTime { t, network_error: sums[0] / n, irreducible: sums[1] / n, loss: sums[2] / n }
        })
        .collect()
}
