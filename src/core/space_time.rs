//! The 1-D space-time picture of the diffusion process (as in Song et al. 2021, Fig. 1; see
//! docs/theory.md): the density of the x coordinate of x_t over t as a heatmap, exact for
//! every built-in dataset (each is a Gaussian mixture, whose x-marginal is a 1-D mixture), with
//! sample paths overlaid: the forward SDE from data, and the reverse SDE and the probability-flow
//! ODE from the same prior noise.
//!
//! For the 1-D dataset (the mixture of two narrow normals) this is exactly that picture; for a
//! 2-D dataset it is the same picture for the x coordinate, which is itself a 1-D diffusion whose
//! data distribution is the x-marginal (the paths are the x coordinates of 2-D particles).

use crate::core::dataset::GaussianMixture;
use crate::core::rng;
use crate::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use crate::core::schedule::Schedule;

/// The x range of the picture (the particle canvas shows the same, [-3, 3]).
pub const X_RANGE: [f64; 2] = [-3.0, 3.0];
/// Seed offset of the data the forward paths start from (so they differ from the particles').
const FORWARD_PATH_SEED_OFFSET: u32 = 1000;

/// What to draw, on a grid of `columns` times (the time slider's positions `u`, from t_min to
/// t_max) by `rows` values of x (from `X_RANGE[1]` at the top row to `X_RANGE[0]` at the bottom).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct SpaceTime {
    /// Columns of the heatmap.
    pub columns: usize,
    /// Rows of the heatmap.
    pub rows: usize,
    /// Slider position of each column, and of each path point (`steps + 1` of them, increasing).
    pub u: Vec<f64>,
    /// Slider positions of the path points (increasing: index 0 is t_min).
    pub path_u: Vec<f64>,
    /// Density of x_t at each (row, column), row-major, each column scaled to a maximum of 1.
    pub density: Vec<f32>,
    /// x of each forward SDE path at each path point (`paths * (steps + 1)`, path-major).
    pub forward: Vec<f32>,
    /// x of each reverse SDE path, stored in increasing time like `path_u` (it runs backwards).
    pub reverse_sde: Vec<f32>,
    /// x of each probability-flow ODE path, in increasing time, from the same noise.
    pub reverse_ode: Vec<f32>,
}

/// How big the picture is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceTimeSize {
    /// Heatmap columns (times).
    pub columns: usize,
    /// Heatmap rows (values of x).
    pub rows: usize,
    /// Sample paths of each kind.
    pub paths: usize,
    /// Steps of each path.
    pub steps: usize,
}

/// The picture for the data distribution `data` (a dataset's mixture, or a drawing's) under
/// `schedule`, the reverse paths driven by `source` (a network in the frame `net`, or the exact
/// score), from noise and data drawn with `seed`.
pub fn space_time(
    data: &GaussianMixture,
    schedule: Schedule,
    source: ScoreSource,
    net: NetFrame,
    size: SpaceTimeSize,
    seed: u32,
) -> SpaceTime {
    let (u_lo, u_hi) =
        (schedule.fraction_of_time(schedule.t_min()), schedule.fraction_of_time(schedule.t_max()));
    let spread = |n: usize, i: usize| u_lo + (u_hi - u_lo) * i as f64 / (n.max(2) - 1) as f64;
    let time = |u: f64| schedule.time_at_fraction(u).clamp(schedule.t_min(), schedule.t_max());
    let u: Vec<f64> = (0..size.columns).map(|j| spread(size.columns, j)).collect();
    let path_u: Vec<f64> = (0..=size.steps).map(|k| spread(size.steps + 1, k)).collect();
    let times: Vec<f64> = path_u.iter().map(|&u| time(u)).collect();

    let mut density = vec![0.0f32; size.rows * size.columns];
    for (j, &uj) in u.iter().enumerate() {
        let t = time(uj);
        let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
        let column: Vec<f64> = (0..size.rows)
            .map(|i| {
                let x = X_RANGE[1] - (X_RANGE[1] - X_RANGE[0]) * (i as f64 + 0.5) / size.rows as f64;
                data.log_density_noised_x(x, alpha, sigma)
            })
            .collect();
        let max = column.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        for (i, log_p) in column.into_iter().enumerate() {
            density[i * size.columns + j] = (log_p - max).exp() as f32;
        }
    }

    let forward = forward_paths(data, schedule, &times, size.paths, seed);
    let reverse = |sampler_kind: Sampler| {
        let mut descending = times.clone();
        descending.reverse();
        let settings = SamplerSettings { eta: 1.0, ..SamplerSettings::new(sampler_kind) };
        let plan = sampler::plan(schedule, net, &settings, &descending);
        let mut x = sampler::prior(schedule, descending[0], seed, size.paths);
        let mut history = sampler::empty_history(size.paths);
        let mut recorded = vec![vec![0.0f32; size.steps + 1]; size.paths];
        for (k, step) in std::iter::once(None).chain(plan.iter().map(Some)).enumerate() {
            if let Some(step) = step {
                sampler::run(source, std::slice::from_ref(step), &mut x, &mut history, seed, 0);
            }
            // Step k reaches descending[k] = times[steps - k].
            for (p, point) in x.iter().enumerate() {
                recorded[p][size.steps - k] = point[0];
            }
        }
        recorded.concat()
    };
    SpaceTime {
        columns: size.columns,
        rows: size.rows,
        u,
        path_u,
        density,
        forward,
        reverse_sde: reverse(Sampler::EulerMaruyama),
        reverse_ode: reverse(Sampler::ProbabilityFlowEuler),
    }
}

/// Euler-Maruyama on the forward SDE dx = f x dt + g dW over `times` (increasing), from
/// x(t_min) = alpha x0 + sigma eps with x0 from the data (Song et al. 2021, eq. 5); the x
/// coordinate of each path at each time, path-major.
fn forward_paths(
    data: &GaussianMixture,
    schedule: Schedule,
    times: &[f64],
    paths: usize,
    seed: u32,
) -> Vec<f32> {
    let seed = seed.wrapping_add(FORWARD_PATH_SEED_OFFSET);
    let x0 = data.sample(seed, 0, paths);
    let mut x = sampler::forward_noise(schedule, times[0], seed, &x0);
    let mut recorded = vec![vec![0.0f32; times.len()]; paths];
    for (k, pair) in std::iter::once(None).chain(times.windows(2).map(Some)).enumerate() {
        if let Some(pair) = pair {
            let (t, dt) = (pair[0], pair[1] - pair[0]);
            let (f, g2) = (schedule.drift(t), schedule.diffusion_squared(t));
            for (p, point) in x.iter_mut().enumerate() {
                let z = rng::normal2(seed, p as u32, k as u32, rng::stream::FORWARD);
                for c in 0..2 {
                    point[c] += (f * dt) as f32 * point[c] + (g2 * dt).sqrt() as f32 * z[c];
                }
            }
        }
        for (p, point) in x.iter().enumerate() {
            recorded[p][k] = point[0];
        }
    }
    recorded.concat()
}
