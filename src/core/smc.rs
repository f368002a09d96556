//! Twisted diffusion sampling, a sequential Monte Carlo method for a linear-Gaussian measurement
//! (Wu, Trippe, Naesseth, Blei and Cunningham 2023, "Practical and Asymptotically Exact
//! Conditional Sampling in Diffusion Models", Alg. 1). Each particle carries a weight; the
//! twisting function is PiGDM's Gaussian approximation of the likelihood
//! (`core::posterior_guidance`),
//!
//! ```text
//! log p~_t(y | x) = -(1/2) r^T M_t^-1 r,   r = y - A x0_hat(x),   M_t = r_t^2 A A^T + s^2 I
//! ```
//!
//! (its normaliser depends on t alone and cancels between particles). A step from t_i to t_{i+1}
//! proposes from the reverse kernel guided by the twist's gradient (weight w), a Gaussian with
//! the unguided kernel's variance, and corrects by importance weights:
//!
//! ```text
//! x' ~ q = N(mu_guided, v),   p = N(mu_unguided, v)       (the sampler's own kernel)
//! log w' = log w + log p~_{t_{i+1}}(y | x') - log p~_{t_i}(y | x) + log p(x' | x) - log q(x' | x)
//! ```
//!
//! and resamples (systematic resampling) whenever the effective sample size
//! ESS = (sum w)^2 / sum w^2 falls below [`RESAMPLE_BELOW`] of the particles. At t_min the twist is
//! the likelihood itself up to r_t^2 -> 0, and a last resampling leaves equally weighted samples:
//! as the number of particles grows they sample p(x0 | y) exactly, whatever w (w only shapes
//! the proposal), up to the sampler's discretisation. The kernel must be Gaussian in one
//! evaluation: Euler-Maruyama, DDIM with eta > 0, DDPM ancestral or Euler ancestral
//! ([`check_plan`]); a deterministic step moves with the unguided kernel and is weighted by the
//! twist alone. Resampling couples the particles, so the method runs on the CPU.

use crate::core::posterior_guidance::{self, ObservationParams};
use crate::core::rng;
use crate::core::sampler::{Evaluation, EvaluationModel, ReverseStep, Sampler, ScoreSource};

/// Resampling happens when the ESS falls below this fraction of the particles (Wu et al. 2023
/// resample at every step; half is the customary adaptive rule, Doucet and Johansen 2009).
pub const RESAMPLE_BELOW: f64 = 0.5;

/// The weights of a run and what happened to them.
#[derive(Clone, Debug, PartialEq)]
pub struct SmcState {
    /// Per particle: the log weight without the twist at its current point (the weight is
    /// `base + log p~_t(y | x)`).
    base: Vec<f64>,
    /// The ESS after each step's weighting, as a fraction of the particles (before resampling).
    pub ess: Vec<f64>,
    /// How many times the particles were resampled.
    pub resamplings: usize,
}

impl SmcState {
    /// Equal weights for `n` particles at the start of a run.
    pub fn new(n: usize) -> SmcState {
        SmcState { base: vec![0.0; n], ess: Vec::new(), resamplings: 0 }
    }

    /// The latest ESS fraction (1 before the first step).
    pub fn latest_ess(&self) -> f64 {
        self.ess.last().copied().unwrap_or(1.0)
    }
}

/// The samplers whose step is one Gaussian kernel of one evaluation (with eta > 0 for DDIM and
/// Euler-Maruyama): what [`check_plan`] accepts.
pub const SMC_SAMPLERS: [Sampler; 4] =
    [Sampler::EulerMaruyama, Sampler::Ddim, Sampler::EulerAncestral, Sampler::DdpmAncestral];

/// Whether `step` can carry weights: one evaluation, no churn, no history, a Gaussian kernel.
fn is_gaussian_kernel(step: &ReverseStep) -> bool {
    step.stage2 == 0
        && step.pre_noise == 0.0
        && step.out_e2 == 0.0
        && step.out_stage2_noise == 0.0
        && step.out_hist.iter().all(|&h| h == 0.0)
}

/// Refuses a plan whose steps are not Gaussian kernels of one evaluation, or that is
/// deterministic before its last step (resampled copies of a deterministic flow stay copies):
/// the error says what SMC allows.
pub fn check_plan(steps: &[ReverseStep]) -> Result<(), String> {
    let stochastic = steps.len() < 2 || steps[..steps.len() - 1].iter().all(|s| s.out_noise > 0.0);
    if steps.iter().all(is_gaussian_kernel) && stochastic {
        Ok(())
    } else {
        Err("a sampler whose step is one Gaussian kernel of one evaluation with fresh noise: \
             euler_maruyama, ddim or euler_ancestral with eta > 0, ddpm_ancestral"
            .into())
    }
}

/// log p~_t(y | x) of the twist (PiGDM's Gaussian, without its t-only normaliser) from eps_hat at
/// x; -infinity where alpha is too small to form x0_hat is never reached (the run's first time
/// has alpha above it; at smaller alpha the twist is flat: 0).
pub fn log_twist(params: &ObservationParams, x: [f32; 2], eps: [f32; 2], alpha: f32, sigma: f32) -> f64 {
    if alpha < posterior_guidance::MIN_GUIDED_ALPHA {
        return 0.0;
    }
    let (alpha, sigma) = (alpha as f64, sigma as f64);
    let x0 = [(x[0] as f64 - sigma * eps[0] as f64) / alpha, (x[1] as f64 - sigma * eps[1] as f64) / alpha];
    let row = |r: [f32; 2]| [r[0] as f64, r[1] as f64];
    let (a0, a1) = (row(params.row0), row(params.row1));
    let r0 = params.y[0] as f64 - (a0[0] * x0[0] + a0[1] * x0[1]);
    let r1 = params.y[1] as f64 - (a1[0] * x0[0] + a1[1] * x0[1]);
    let s2 = params.noise_variance as f64;
    let rt2 = sigma * sigma / (alpha * alpha + sigma * sigma);
    let m00 = rt2 * (a0[0] * a0[0] + a0[1] * a0[1]) + s2;
    if params.row_count == 1 {
        return -0.5 * r0 * r0 / m00;
    }
    let m01 = rt2 * (a0[0] * a1[0] + a0[1] * a1[1]);
    let m11 = rt2 * (a1[0] * a1[0] + a1[1] * a1[1]) + s2;
    let det = m00 * m11 - m01 * m01;
    -0.5 * (m11 * r0 * r0 - 2.0 * m01 * r0 * r1 + m00 * r1 * r1) / det
}

/// The effective sample size of log weights, as a fraction of their number.
pub fn ess_fraction(log_weights: &[f64]) -> f64 {
    let max = log_weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !max.is_finite() {
        return 0.0;
    }
    let (sum, sum_sq) = log_weights.iter().fold((0.0, 0.0), |(s, q), l| {
        let w = (l - max).exp();
        (s + w, q + w * w)
    });
    sum * sum / sum_sq / log_weights.len() as f64
}

/// Systematic resampling: the index of the particle each slot copies, for normalised weights
/// from log weights, with one uniform `u` in [0, 1).
pub fn systematic_indices(log_weights: &[f64], u: f64) -> Vec<usize> {
    let n = log_weights.len();
    let max = log_weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let weights: Vec<f64> = log_weights.iter().map(|l| (l - max).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mut indices = Vec::with_capacity(n);
    let (mut cumulative, mut k) = (weights[0] / total, 0);
    for slot in 0..n {
        let position = (slot as f64 + u) / n as f64;
        while position > cumulative && k + 1 < n {
            k += 1;
            cumulative += weights[k] / total;
        }
        indices.push(k);
    }
    indices
}

/// Resamples `particles` (and their weights) when the ESS of their weights (the base plus
/// `twists`) is below [`RESAMPLE_BELOW`], or always when `always`; records the ESS. Returns
/// which particle each slot copied, when it resampled.
fn weigh_and_resample(
    state: &mut SmcState,
    particles: &mut [[f32; 2]],
    twists: &[f64],
    seed: u32,
    step_index: u32,
    always: bool,
) -> Option<Vec<usize>> {
    let log_weights: Vec<f64> = state.base.iter().zip(twists).map(|(b, t)| b + t).collect();
    let ess = ess_fraction(&log_weights);
    state.ess.push(ess);
    if !(always || ess < RESAMPLE_BELOW) {
        return None;
    }
    let u = rng::uniform(rng::words(seed, 0, step_index, rng::stream::RESAMPLE)[0]) as f64;
    let indices = systematic_indices(&log_weights, u);
    let copied: Vec<[f32; 2]> = indices.iter().map(|&i| particles[i]).collect();
    particles.copy_from_slice(&copied);
    // Equal weights after resampling: the base cancels each copy's twist.
    for (base, &i) in state.base.iter_mut().zip(&indices) {
        *base = -twists[i];
    }
    state.resamplings += 1;
    Some(indices)
}

/// Runs `steps` of a twisted SMC run on `particles` with `state`, proposing with the twist's
/// gradient at weight `scale`; `source`'s base is the prior's score. When `last` is given (the
/// evaluation at the run's final time), the run ends there: a final weighting by the twist at
/// t_min and a resampling to equal weights.
#[allow(clippy::too_many_arguments)]
pub fn run(
    source: ScoreSource,
    observation: &ObservationParams,
    scale: f32,
    steps: &[ReverseStep],
    particles: &mut [[f32; 2]],
    state: &mut SmcState,
    seed: u32,
    last: Option<Evaluation>,
) {
    assert_eq!(particles.len(), state.base.len(), "one weight per particle");
    // The unguided prior score, prepared once per evaluation time (the MLP's hidden bias).
    let prior = source.base().source();
    // The twist always uses PiGDM's variance; the proposal's gradient is the twist's.
    let twist = ObservationParams { method: 2, ..*observation };
    for step in steps {
        let e = step.eval1;
        let model = EvaluationModel::new(prior, e);
        let mut twists = Vec::with_capacity(particles.len());
        let mut evaluations = Vec::with_capacity(particles.len());
        for &x in particles.iter() {
            let (eps, jacobian) = model.unguided_eps_and_jacobian(x);
            twists.push(log_twist(&twist, x, eps, e.alpha, e.sigma));
            evaluations.push((eps, jacobian));
        }
        // After a resampling the evaluations follow their particles.
        let copied = weigh_and_resample(state, particles, &twists, seed, step.index, false);
        for (i, x) in particles.iter_mut().enumerate() {
            let (eps, jacobian) = evaluations[copied.as_ref().map_or(i, |c| c[i])];
            let guided = posterior_guidance::posterior_guided_eps(&twist, *x, eps, jacobian, &e, scale);
            let mean = |eps: [f32; 2]| {
                [step.out_x * x[0] + step.out_e1 * eps[0], step.out_x * x[1] + step.out_e1 * eps[1]]
            };
            let (mean_guided, mean_prior) = (mean(guided), mean(eps));
            if step.out_noise == 0.0 {
                *x = mean_prior;
                continue;
            }
            let z = rng::normal2(seed, i as u32, step.index, rng::stream::REVERSE);
            let next = [mean_guided[0] + step.out_noise * z[0], mean_guided[1] + step.out_noise * z[1]];
            let distance2 = |m: [f32; 2]| {
                let (d0, d1) = ((next[0] - m[0]) as f64, (next[1] - m[1]) as f64);
                d0 * d0 + d1 * d1
            };
            let v = (step.out_noise as f64).powi(2);
            state.base[i] += (distance2(mean_guided) - distance2(mean_prior)) / (2.0 * v);
            *x = next;
        }
    }
    if let Some(e) = last {
        let model = EvaluationModel::new(prior, e);
        let twists: Vec<f64> = particles
            .iter()
            .map(|&x| {
                let (eps, _) = model.unguided_eps_and_jacobian(x);
                log_twist(&twist, x, eps, e.alpha, e.sigma)
            })
            .collect();
        let index = steps.last().map_or(0, |s| s.index + 1);
        weigh_and_resample(state, particles, &twists, seed, index, true);
    }
}
