//! Time discretisations of a reverse run: which `steps + 1` times, from t_start down to t_end, the
//! sampler visits. The grid matters as much as the integrator: steps spent where the data is
//! already pure noise are wasted, steps near the data resolve its fine structure.
//!
//! The Karras and log-SNR grids are spaced in a schedule-free variable (sigma/alpha, or the log-SNR)
//! and mapped back to the schedule's time through [`Schedule::t_for_log_snr`], so the same grid
//! means the same noise levels on every schedule.

use std::cmp::Ordering;

use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use crate::core::names;
use crate::core::schedule::{Schedule, EDM_SIGMA_MAX, EDM_SIGMA_MIN};

/// rho of Karras et al. 2022 (eq. 5 and Table 1): the larger, the denser the steps at low noise.
/// The default `rho` of the Karras and polyexponential grids.
pub const KARRAS_RHO: f64 = 7.0;

/// The discrete training timesteps diffusers' spacings pick from (DDPM's T = 1000).
pub const TRAIN_TIMESTEPS: usize = 1000;

/// How the times of a run are spaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum TimeGrid {
    /// Equal steps in t.
    Uniform,
    /// DDIM's "quad" grid (Song, Meng and Ermon 2021, sec. D.2):
    /// t_i = t_end + (t_start - t_end) (1 - i/N)^2, denser near the data.
    Quadratic,
    /// EDM's grid (Karras et al. 2022, eq. 5) on the noise-to-signal ratio s = sigma/alpha (EDM's
    /// sigma of a general schedule, Karras et al. sec. 4): s_i^(1/rho) equally spaced, rho = 7.
    Karras,
    /// Equal steps in log-SNR (the variable of DPM-Solver, Lu et al. 2022; k-diffusion's
    /// "exponential", equal steps in log sigma/alpha).
    UniformLogSnr,
    /// k-diffusion's `get_sigmas_polyexponential`: log sigma/alpha = log sigma_min + (1 - i/N)^rho
    /// (log sigma_max - log sigma_min); rho = 1 is the log-SNR grid, larger rho crowds the steps
    /// toward the data.
    Polyexponential,
    /// diffusers' `timestep_spacing="linspace"` as `DDIMScheduler` spaces it: the timesteps
    /// round(linspace(0, T - 1, N)) of T = 1,000 training steps (0 included), newest first, then
    /// the end ([`TimeGrid::diffusers_timesteps`]).
    Linspace,
    /// diffusers' "leading" as `DDIMScheduler` spaces it: timesteps (N - 1 - i) * (T // N). Its first timestep lies below the
    /// start; here the run still starts at t_start (from the marginal there), where diffusers
    /// evaluates that first timestep on pure noise (the mismatch Lin et al. 2024, "Common
    /// Diffusion Noise Schedules and Sample Steps Are Flawed", fix with "trailing").
    Leading,
    /// diffusers' "trailing" (Lin et al. 2024, sec. 3.3), as every diffusers scheduler spaces it:
    /// timesteps round(T - i T / N) - 1 (NumPy's rounding, half to even), so the first is the
    /// last training timestep.
    Trailing,
}

impl TimeGrid {
    /// Every grid, in the order the UI lists them (declaration order).
    pub const ALL: [TimeGrid; 8] = names::all(TimeGrid::VARIANTS);

    /// The identifier used in options and share links.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`TimeGrid::name`].
    pub fn from_name(name: &str) -> Option<TimeGrid> {
        names::from_name(name)
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            TimeGrid::Uniform => "Uniform in t",
            TimeGrid::Quadratic => "Quadratic (DDIM)",
            TimeGrid::Karras => "Karras (EDM, rho)",
            TimeGrid::UniformLogSnr => "Uniform in log-SNR (exponential)",
            TimeGrid::Polyexponential => "Polyexponential (k-diffusion, rho)",
            TimeGrid::Linspace => "Linspace (diffusers, DDIM)",
            TimeGrid::Leading => "Leading (diffusers, DDIM)",
            TimeGrid::Trailing => "Trailing (diffusers; Lin et al. 2024)",
        }
    }

    /// Whether the grid reads `rho` (the options' `rho`).
    pub fn uses_rho(self) -> bool {
        matches!(self, TimeGrid::Karras | TimeGrid::Polyexponential)
    }

    /// diffusers' `steps` timesteps out of [`TRAIN_TIMESTEPS`] for the spacings `Linspace`,
    /// `Leading` and `Trailing`, newest first, exactly as `DDIMScheduler.set_timesteps` (and
    /// `DDPMScheduler`'s) computes them in NumPy: the same f64 operations, rounded half to even
    /// (`np.round`), with `steps_offset` 0. `tests/it/core_timesteps.rs` checks 1 to 60 steps
    /// against a table written by diffusers 0.42.1 (`tests/data/diffusers_timesteps.json`).
    /// diffusers' multistep schedulers (DPMSolverMultistep, UniPC, DEIS) space "linspace" and
    /// "leading" over `steps + 1` points and drop the 0, and EulerDiscrete keeps "linspace"
    /// unrounded; the table records those too. `None` for the other grids.
    pub fn diffusers_timesteps(self, steps: usize) -> Option<Vec<i64>> {
        let train = TRAIN_TIMESTEPS as f64;
        let mut timesteps: Vec<f64> = match self {
            // np.linspace(0, T - 1, N).round()[::-1]
            TimeGrid::Linspace => numpy_linspace(0.0, train - 1.0, steps),
            // (np.arange(0, N) * (T // N)).round()[::-1]
            TimeGrid::Leading => {
                let ratio = (TRAIN_TIMESTEPS / steps.max(1)) as f64;
                (0..steps).map(|i| i as f64 * ratio).collect()
            }
            // np.round(np.arange(T, 0, -T / N)) - 1
            TimeGrid::Trailing => numpy_arange(train, 0.0, -train / steps as f64),
            _ => return None,
        };
        if self != TimeGrid::Trailing {
            timesteps.reverse();
        }
        let offset = if self == TimeGrid::Trailing { 1 } else { 0 };
        Some(timesteps.into_iter().take(steps).map(|k| k.round_ties_even() as i64 - offset).collect())
    }

    /// `steps + 1` decreasing times from `t_start` to `t_end` (t_start > t_end >= schedule.t_min()),
    /// the first exactly t_start and the last exactly t_end. `steps = 0` gives `[t_start]`.
    ///
    /// The Karras and log-SNR grids need a finite log-SNR at both ends. Where t_end has sigma = 0
    /// (the VP schedules and rectified flow at t = 0: log-SNR +infinity), the last time is exactly
    /// t_end and the others are spaced down to sigma/alpha = EDM's sigma_min = 0.002 (log-SNR
    /// ~12.4), as EDM itself appends sigma = 0 after its sigma_min. Likewise where t_start has
    /// alpha = 0 (rectified flow at t = 1), the first time is t_start and the others are spaced from
    /// sigma/alpha = EDM's sigma_max = 80. (If the other end already lies beyond that bound, the
    /// bound moves to one unit of log-SNR past it.) Should the mapping fail (t_start <= t_end, or
    /// times outside the schedule's domain), these grids fall back to the uniform one.
    pub fn times(self, schedule: Schedule, t_start: f64, t_end: f64, steps: usize) -> Vec<f64> {
        self.times_with_rho(schedule, t_start, t_end, steps, KARRAS_RHO)
    }

    /// [`TimeGrid::times`] with the grid's `rho` (read by the Karras and polyexponential grids;
    /// [`KARRAS_RHO`] by default). diffusers' spacings place training timestep k at the fraction
    /// (k + 1) / T of the run from t_end to t_start (on the VP schedules, whose runs span [0, 1],
    /// that is DDPM's t = (k + 1) / T), and end at t_end.
    pub fn times_with_rho(
        self,
        schedule: Schedule,
        t_start: f64,
        t_end: f64,
        steps: usize,
        rho: f64,
    ) -> Vec<f64> {
        if steps == 0 {
            return vec![t_start];
        }
        let fraction = |i: usize| i as f64 / steps as f64;
        let times: Vec<f64> = match self {
            TimeGrid::Uniform => (0..=steps).map(|i| t_start + (t_end - t_start) * fraction(i)).collect(),
            TimeGrid::Quadratic => {
                (0..=steps).map(|i| t_end + (t_start - t_end) * (1.0 - fraction(i)).powi(2)).collect()
            }
            TimeGrid::Karras | TimeGrid::UniformLogSnr | TimeGrid::Polyexponential => {
                match self.snr_spaced(schedule, t_start, t_end, steps, rho) {
                    Some(times) => times,
                    None => return TimeGrid::Uniform.times(schedule, t_start, t_end, steps),
                }
            }
            TimeGrid::Linspace | TimeGrid::Leading | TimeGrid::Trailing => {
                let span = t_start - t_end;
                let timesteps = self.diffusers_timesteps(steps).unwrap_or_default();
                let mut times: Vec<f64> = timesteps
                    .iter()
                    .map(|&k| t_end + span * (k + 1) as f64 / TRAIN_TIMESTEPS as f64)
                    .collect();
                times.push(t_end);
                let times = pin_ends(times, t_start, t_end);
                if !times.windows(2).all(|pair| pair[0] > pair[1]) {
                    return TimeGrid::Uniform.times(schedule, t_start, t_end, steps);
                }
                times
            }
        };
        pin_ends(times, t_start, t_end)
    }

    /// The log-SNR at `fraction` of the way from `low` (the noisy end) to `high`: equal steps in
    /// u = (sigma/alpha)^(1/rho) = exp(-lambda / (2 rho)) for Karras, in lambda for the log-SNR
    /// grid, and lambda = high + (1 - fraction)^rho (low - high) for the polyexponential one.
    fn log_snr_at_fraction(self, low: f64, high: f64, fraction: f64, rho: f64) -> f64 {
        match self {
            TimeGrid::Karras => {
                let u = |lambda: f64| (-lambda / (2.0 * rho)).exp();
                let (u_low, u_high) = (u(low), u(high));
                -2.0 * rho * (u_low + (u_high - u_low) * fraction).ln()
            }
            TimeGrid::Polyexponential => high + (1.0 - fraction).powf(rho) * (low - high),
            _ => low + (high - low) * fraction,
        }
    }

    /// The Karras, log-SNR or polyexponential grid, or None where it cannot be built strictly
    /// decreasing.
    fn snr_spaced(
        self,
        schedule: Schedule,
        t_start: f64,
        t_end: f64,
        steps: usize,
        rho: f64,
    ) -> Option<Vec<f64>> {
        if !(rho.is_finite() && rho > 0.0) {
            return None;
        }
        if t_start.partial_cmp(&t_end) != Some(Ordering::Greater) {
            return None;
        }
        let (lambda_start, lambda_end) = (schedule.log_snr(t_start), schedule.log_snr(t_end));
        if lambda_start.partial_cmp(&lambda_end) != Some(Ordering::Less) {
            return None;
        }
        // Infinite ends get their own point; the others are spaced over [low, high], finite.
        let (open_start, open_end) = (lambda_start == f64::NEG_INFINITY, lambda_end == f64::INFINITY);
        // The bounds: sigma/alpha = EDM's sigma_max (log-SNR ~ -8.76) and sigma_min (~ 12.43).
        let low = if open_start { log_snr_at(EDM_SIGMA_MAX).min(lambda_end - 1.0) } else { lambda_start };
        let high = if open_end { log_snr_at(EDM_SIGMA_MIN).max(low + 1.0) } else { lambda_end };
        if !(low.is_finite() && high.is_finite() && low < high) {
            return None;
        }
        let spaced = steps + 1 - usize::from(open_start) - usize::from(open_end);
        let mut times = Vec::with_capacity(steps + 1);
        if open_start {
            times.push(t_start);
        }
        for i in 0..spaced {
            let fraction = match spaced {
                1 if open_start => 1.0,
                1 => 0.0,
                _ => i as f64 / (spaced - 1) as f64,
            };
            let lambda = self.log_snr_at_fraction(low, high, fraction, rho).clamp(lambda_start, lambda_end);
            times.push(schedule.t_for_log_snr(lambda)?);
        }
        if open_end {
            times.push(t_end);
        }
        let times = pin_ends(times, t_start, t_end);
        let strictly_decreasing = times.windows(2).all(|pair| pair[0] > pair[1]);
        (strictly_decreasing && times.iter().all(|t| t.is_finite())).then_some(times)
    }
}

/// `np.linspace(start, stop, num)` in f64 as NumPy computes it: `i * step + start` with
/// `step = (stop - start) / (num - 1)`, the last point exactly `stop`; `[start]` for one point.
fn numpy_linspace(start: f64, stop: f64, num: usize) -> Vec<f64> {
    if num <= 1 {
        return vec![start; num];
    }
    let step = (stop - start) / (num - 1) as f64;
    let mut values: Vec<f64> = (0..num).map(|i| i as f64 * step + start).collect();
    values[num - 1] = stop;
    values
}

/// `np.arange(start, stop, step)` in f64 as NumPy computes it: `ceil((stop - start) / step)`
/// values `start + i * delta`, where `delta = (start + step) - start`.
fn numpy_arange(start: f64, stop: f64, step: f64) -> Vec<f64> {
    let count = ((stop - start) / step).ceil();
    if !(count.is_finite() && count > 0.0) {
        return Vec::new();
    }
    let delta = (start + step) - start;
    (0..count as usize).map(|i| start + i as f64 * delta).collect()
}

/// Log-SNR where sigma/alpha = `sigma_over_alpha`: -2 ln(sigma/alpha).
fn log_snr_at(sigma_over_alpha: f64) -> f64 {
    -2.0 * sigma_over_alpha.ln()
}

/// Sets the first and last times to exactly t_start and t_end (the formulas hit them up to rounding).
/// The time shift of flow-matching samplers (Esser et al. 2024, "Scaling Rectified Flow
/// Transformers", eq. 23; diffusers' `shift`): v' = shift v / (1 + (shift - 1) v) for v in [0, 1],
/// 1 the noise end. shift > 1 moves steps towards the noise, shift < 1 towards the data; 0 and 1
/// stay where they are, and the map is increasing for every shift > 0.
pub fn shift_time(v: f64, shift: f64) -> f64 {
    shift * v / (1.0 + (shift - 1.0) * v)
}

impl TimeGrid {
    /// [`TimeGrid::times`] with the time shift ([`shift_time`]) applied to each time's position
    /// v = (t - t_end) / (t_start - t_end) in the run, so the run still starts at t_start and ends
    /// at t_end (on rectified flow, whose run spans [0, 0.99], this is the flow-matching shift of
    /// t itself up to that 1%). `shift = 1` is the grid unchanged; `rho` as in
    /// [`TimeGrid::times_with_rho`].
    pub fn shifted_times(
        self,
        schedule: Schedule,
        t_start: f64,
        t_end: f64,
        steps: usize,
        shift: f64,
        rho: f64,
    ) -> Vec<f64> {
        let times = self.times_with_rho(schedule, t_start, t_end, steps, rho);
        if shift == 1.0 || shift.is_nan() || shift <= 0.0 || times.len() < 3 {
            return times;
        }
        let span = t_start - t_end;
        let moved = times.iter().map(|&t| t_end + span * shift_time((t - t_end) / span, shift)).collect();
        pin_ends(moved, t_start, t_end)
    }
}

fn pin_ends(mut times: Vec<f64>, t_start: f64, t_end: f64) -> Vec<f64> {
    if let Some(first) = times.first_mut() {
        *first = t_start;
    }
    if times.len() > 1 {
        if let Some(last) = times.last_mut() {
            *last = t_end;
        }
    }
    times
}
