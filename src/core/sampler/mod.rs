//! Reverse-time samplers, written as per-step linear updates.
//!
//! Both samplers of this module move a particle from t_i to t_{i+1} < t_i by
//!
//! ```text
//! x <- x_coef * x + eps_coef * eps_hat(x, t_i) + noise_coef * z,     z ~ N(0, I)
//! ```
//!
//! where eps_hat is the network's (or the exact) noise prediction, related to the score by
//! grad log p_t(x) = -eps_hat / sigma_t (seed 003, parametrizations). With dt = t_i - t_{i+1},
//! f = d log alpha / dt and g^2 from [`Schedule`]:
//!
//! - **Euler-Maruyama on the reverse SDE** (Anderson 1982; seed 000, "Reverse process"):
//!   x_{t-dt} = x + (-f x + g^2 grad log p) dt + g sqrt(dt) z, i.e.
//!   x_coef = 1 - f dt, eps_coef = -g^2 dt / sigma, noise_coef = g sqrt(dt).
//! - **Euler on the probability-flow ODE** (Song et al. 2021; seed 000, "Probability flow"):
//!   dx/dt = f x - g^2/2 grad log p, i.e. x_coef = 1 - f dt, eps_coef = -g^2 dt / (2 sigma), noise_coef = 0.
//!
//! The coefficients are computed once per step in f64 on the CPU and used unchanged by the CPU
//! path and the GPU kernel (`shaders/reverse_step_*.wgsl`), so both integrate exactly the same map.

use serde::{Deserialize, Serialize};

use crate::core::dataset::GaussianMixture;
use crate::core::mlp::{Mlp, BATCH, HIDDEN};
use crate::core::rng;
use crate::core::schedule::Schedule;

/// A reverse-time integrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sampler {
    /// Euler-Maruyama on the reverse SDE (stochastic).
    EulerMaruyama,
    /// Euler on the probability-flow ODE (deterministic).
    ProbabilityFlowEuler,
}

impl Sampler {
    /// Every sampler, in the order the UI lists them.
    pub const ALL: [Sampler; 2] = [Sampler::EulerMaruyama, Sampler::ProbabilityFlowEuler];

    /// The identifier used in options and share links.
    pub fn name(self) -> &'static str {
        match self {
            Sampler::EulerMaruyama => "euler_maruyama",
            Sampler::ProbabilityFlowEuler => "probability_flow_euler",
        }
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Sampler::EulerMaruyama => "Reverse SDE (Euler-Maruyama)",
            Sampler::ProbabilityFlowEuler => "Probability-flow ODE (Euler)",
        }
    }

    /// Parses [`Sampler::name`].
    pub fn from_name(name: &str) -> Option<Sampler> {
        Sampler::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// One step of a reverse run, as the GPU reads it (keep in sync with `ReverseStep` in
/// `shaders/common/reverse_step.wgsl`; 32 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ReverseStep {
    /// Time t_i at which eps_hat is evaluated.
    pub t: f32,
    /// alpha(t_i).
    pub alpha: f32,
    /// sigma(t_i).
    pub sigma: f32,
    /// Coefficient of x.
    pub x_coef: f32,
    /// Coefficient of eps_hat(x, t_i).
    pub eps_coef: f32,
    /// Coefficient of the fresh normal z.
    pub noise_coef: f32,
    /// Index of the step in its run: the `step` of the RNG key of z.
    pub index: u32,
    /// Padding to 32 bytes.
    pub _pad: u32,
}

/// Uniform time grid t_start = t_0 > t_1 > ... > t_steps = 0.
pub fn time_grid(t_start: f64, steps: usize) -> Vec<f64> {
    (0..=steps).map(|i| t_start * (1.0 - i as f64 / steps as f64)).collect()
}

/// The per-step coefficients of a run of `steps` steps from `t_start` down to 0.
pub fn plan(schedule: Schedule, sampler: Sampler, t_start: f64, steps: usize) -> Vec<ReverseStep> {
    let grid = time_grid(t_start, steps);
    grid.windows(2)
        .enumerate()
        .map(|(index, pair)| {
            let (t, dt) = (pair[0], pair[0] - pair[1]);
            let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
            let (f, g2) = (schedule.drift(t), schedule.diffusion_squared(t));
            let (eps_coef, noise_coef) = match sampler {
                Sampler::EulerMaruyama => (-g2 * dt / sigma, (g2 * dt).sqrt()),
                Sampler::ProbabilityFlowEuler => (-0.5 * g2 * dt / sigma, 0.0),
            };
            ReverseStep {
                t: t as f32,
                alpha: alpha as f32,
                sigma: sigma as f32,
                x_coef: (1.0 - f * dt) as f32,
                eps_coef: eps_coef as f32,
                noise_coef: noise_coef as f32,
                index: index as u32,
                _pad: 0,
            }
        })
        .collect()
}

/// Where eps_hat comes from.
#[derive(Clone, Copy, Debug)]
pub enum ScoreSource<'a> {
    /// The learned network (eps-prediction).
    Mlp(&'a Mlp),
    /// The exact noised score of a Gaussian mixture: eps_hat = -sigma grad log p_t.
    Exact(&'a GaussianMixture),
}

/// eps_hat for one step, with whatever can be shared across particles precomputed.
pub struct StepModel<'a> {
    source: ScoreSource<'a>,
    hidden_bias: [f32; HIDDEN],
}

impl<'a> StepModel<'a> {
    /// Prepares eps_hat at the time of `step`.
    pub fn new(source: ScoreSource<'a>, step: &ReverseStep) -> StepModel<'a> {
        let hidden_bias = match source {
            ScoreSource::Mlp(mlp) => mlp.hidden_bias(step.t),
            ScoreSource::Exact(_) => [0.0; HIDDEN],
        };
        StepModel { source, hidden_bias }
    }

    /// eps_hat(x, t) at the step's time.
    pub fn eps_hat(&self, x: [f32; 2], step: &ReverseStep) -> [f32; 2] {
        match self.source {
            ScoreSource::Mlp(mlp) => mlp.forward_with_bias(x, &self.hidden_bias),
            ScoreSource::Exact(mixture) => {
                let score = mixture.score_noised(x, step.alpha, step.sigma);
                [-step.sigma * score[0], -step.sigma * score[1]]
            }
        }
    }
}

/// One step for one particle: the CPU twin of the body of `shaders/reverse_step_*.wgsl`.
pub fn step_particle(
    model: &StepModel,
    step: &ReverseStep,
    x: [f32; 2],
    seed: u32,
    particle: u32,
) -> [f32; 2] {
    apply_step(step, x, model.eps_hat(x, step), seed, particle)
}

/// The linear update x_coef x + eps_coef eps + noise_coef z; twin of `apply_step` in
/// `shaders/common/reverse_step.wgsl`.
pub fn apply_step(step: &ReverseStep, x: [f32; 2], eps: [f32; 2], seed: u32, particle: u32) -> [f32; 2] {
    let z = if step.noise_coef != 0.0 {
        rng::normal2(seed, particle, step.index, rng::stream::REVERSE)
    } else {
        [0.0, 0.0]
    };
    [
        step.x_coef * x[0] + step.eps_coef * eps[0] + step.noise_coef * z[0],
        step.x_coef * x[1] + step.eps_coef * eps[1] + step.noise_coef * z[1],
    ]
}

/// Applies `steps` to every particle (`particles[i]` is particle `first_particle + i`).
///
/// With the MLP, particles go through the network [`BATCH`] at a time (bit-identical to one at a
/// time, but vectorised).
pub fn run(
    source: ScoreSource,
    steps: &[ReverseStep],
    particles: &mut [[f32; 2]],
    seed: u32,
    first_particle: u32,
) {
    for step in steps {
        let model = StepModel::new(source, step);
        let mut done = 0;
        if let ScoreSource::Mlp(mlp) = source {
            for (c, chunk) in particles.chunks_exact_mut(BATCH).enumerate() {
                let batch: &mut [[f32; 2]; BATCH] = chunk.try_into().expect("chunks_exact gives BATCH items");
                let eps = mlp.forward_batch_with_bias(batch, &model.hidden_bias);
                for (p, x) in batch.iter_mut().enumerate() {
                    let particle = first_particle + (c * BATCH + p) as u32;
                    *x = apply_step(step, *x, eps[p], seed, particle);
                }
                done += BATCH;
            }
        }
        for (i, x) in particles.iter_mut().enumerate().skip(done) {
            *x = step_particle(&model, step, *x, seed, first_particle + i as u32);
        }
    }
}

/// Initial particles of a reverse run: x_T = sigma(t_start) z with z from the PRIOR stream
/// (the forward marginal at t_start with the small alpha(t_start) x_0 term dropped).
/// Twin of `shaders/forward_noise.wgsl` with alpha = 0.
pub fn prior(schedule: Schedule, t_start: f64, seed: u32, n: usize) -> Vec<[f32; 2]> {
    let sigma = schedule.sigma(t_start) as f32;
    (0..n as u32)
        .map(|i| {
            let z = rng::normal2(seed, i, 0, rng::stream::PRIOR);
            [sigma * z[0], sigma * z[1]]
        })
        .collect()
}

/// Forward noising of data: x_t = alpha_t x_0 + sigma_t eps with eps from the FORWARD stream.
/// Twin of `shaders/forward_noise.wgsl`.
pub fn forward_noise(schedule: Schedule, t: f64, seed: u32, data: &[[f32; 2]]) -> Vec<[f32; 2]> {
    let (alpha, sigma) = (schedule.alpha(t) as f32, schedule.sigma(t) as f32);
    data.iter()
        .enumerate()
        .map(|(i, x0)| {
            let eps = rng::normal2(seed, i as u32, 0, rng::stream::FORWARD);
            [alpha * x0[0] + sigma * eps[0], alpha * x0[1] + sigma * eps[1]]
        })
        .collect()
}
