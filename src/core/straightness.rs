//! How straight a run's paths are: the readout that says why a flow can be integrated in few steps.
//!
//! Liu, Gong and Liu (2022, "Flow straight and fast", arXiv:2209.03003) measure a flow Z on
//! t in [0, 1] by its straightness
//!
//! ```text
//! S(Z) = ∫_0^1 E ||(Z_1 - Z_0) - dZ_t/dt||^2 dt,
//! ```
//!
//! zero exactly when every path is a straight line run at constant speed, so that one Euler step
//! lands where the whole flow does (the quantity their Theorem 3.7 shows reflow drives down).
//!
//! A run of the playground is a deterministic solver's piecewise-linear path through frames
//! x_0 .. x_K at times t_0 > .. > t_K of any schedule. To compare schedules, each frame is taken
//! to the rectified-flow frame first: with alpha, sigma the schedule's signal and noise scales,
//!
//! ```text
//! y = x / (alpha + sigma),   s = sigma / (alpha + sigma),
//! ```
//!
//! under which every Gaussian noising x_t = alpha x_0 + sigma eps becomes the straight-line
//! interpolation y_s = (1 - s) x_0 + s eps of rectified flow (the probability-flow ODEs of all
//! schedules share their paths in the (x / alpha, sigma / alpha) frame, Song, Meng and Ermon 2021,
//! DDIM eq. 14; y and s are that frame divided by 1 + sigma / alpha). The exact flow therefore has
//! one straightness whatever the schedule; a learned one shows its own. The run's span of s is
//! rescaled to u in [0, 1], and on each segment the path's velocity is its chord
//! c_k = (y_{k+1} - y_k) / (u_{k+1} - u_k), so, with D = y_K - y_0,
//!
//! ```text
//! S = E Σ_k (u_{k+1} - u_k) ||D - c_k||^2 = E [Σ_k ||y_{k+1} - y_k||^2 / (u_{k+1} - u_k)] - E ||D||^2,
//! ```
//!
//! exact for the path the solver took. S mixes the turning of a path with the changes of its
//! speed; the mean curvature separates them: each path's total turning angle (the angles between
//! consecutive chords) over its length, averaged over the paths (zero for a straight path however
//! it is run).

use serde::Serialize;

use crate::core::schedule::Schedule;

/// Fewest steps of a run whose straightness is measured: a one-step run is a single chord,
/// straight by construction, so it says nothing about the flow.
pub const MIN_MEASURED_STEPS: usize = 2;

/// The straightness readout of a set of paths.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify))]
pub struct PathStraightness {
    /// Liu et al.'s S in the rectified-flow frame over the run's span (squared data units).
    pub straightness: f64,
    /// S over E ||D||^2, the mean squared displacement: 0 straight, 1 when the chord velocity is
    /// as far from the displacement as the displacement is long.
    pub relative: f64,
    /// Mean over the paths of total turning (radians) over length, in the rectified-flow frame
    /// (per data unit).
    pub mean_curvature: f64,
    /// How many paths were measured.
    pub paths: usize,
}

/// The rectified-flow frame of a schedule's time t: the scale 1 / (alpha + sigma) of positions
/// and the time s = sigma / (alpha + sigma).
pub fn rectified_frame(schedule: Schedule, t: f64) -> (f64, f64) {
    let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
    (1.0 / (alpha + sigma), sigma / (alpha + sigma))
}

/// The straightness of the paths `frames[k][i]` (frame k of path i, at `times[k]` of `schedule`;
/// `frames.len() == times.len() >= 2`, every frame as long as the first). `None` when there is
/// nothing to measure: fewer than two frames, no path, or a run that does not move in s.
pub fn of_paths(frames: &[Vec<[f32; 2]>], schedule: Schedule, times: &[f64]) -> Option<PathStraightness> {
    let paths = frames.first().map_or(0, Vec::len);
    if frames.len() < 2
        || frames.len() != times.len()
        || paths == 0
        || frames.iter().any(|f| f.len() != paths)
    {
        return None;
    }
    let frame: Vec<(f64, f64)> = times.iter().map(|&t| rectified_frame(schedule, t)).collect();
    let span = frame[0].1 - frame[frame.len() - 1].1;
    if !(span.abs() > 0.0 && span.is_finite()) {
        return None;
    }
    // u_k: the share of the run's s-span covered by frame k.
    let u: Vec<f64> = frame.iter().map(|&(_, s)| (frame[0].1 - s) / span).collect();
    let y = |k: usize, i: usize| {
        let p = frames[k][i];
        [p[0] as f64 * frame[k].0, p[1] as f64 * frame[k].0]
    };
    let (mut kinetic, mut displacement, mut curvature) = (0.0, 0.0, 0.0);
    for i in 0..paths {
        let mut length = 0.0;
        let mut turning = 0.0;
        let mut previous: Option<[f64; 2]> = None;
        for k in 0..frames.len() - 1 {
            let (a, b) = (y(k, i), y(k + 1, i));
            let chord = [b[0] - a[0], b[1] - a[1]];
            let step = chord[0].hypot(chord[1]);
            let du = u[k + 1] - u[k];
            if du > 0.0 {
                kinetic += step * step / du;
            }
            length += step;
            if step > 0.0 {
                if let Some(p) = previous {
                    let cross = p[0] * chord[1] - p[1] * chord[0];
                    let dot = p[0] * chord[0] + p[1] * chord[1];
                    turning += cross.abs().atan2(dot);
                }
                previous = Some(chord);
            }
        }
        let (first, last) = (y(0, i), y(frames.len() - 1, i));
        displacement += (last[0] - first[0]).powi(2) + (last[1] - first[1]).powi(2);
        if length > 0.0 {
            curvature += turning / length;
        }
    }
    let n = paths as f64;
    // The identity above: never below zero but for rounding.
    let straightness = ((kinetic - displacement) / n).max(0.0);
    let mean_displacement = displacement / n;
    Some(PathStraightness {
        straightness,
        relative: if mean_displacement > 0.0 { straightness / mean_displacement } else { 0.0 },
        mean_curvature: curvature / n,
        paths,
    })
}
