//! Denoising score matching with eps-prediction, trained by Adam (seed 000, "Denoising score
//! matching"; seed 003, eps loss).
//!
//! Each example draws x_0 from the dataset, t uniform in [TRAIN_T_MIN, t_max] and eps ~ N(0, I),
//! forms x_t = alpha_t x_0 + sigma_t eps and regresses the net's output onto eps:
//! L = E |eps_theta(x_t, t) - eps|^2. Since grad log p(x_t | x_0) = -eps / sigma_t, this is the
//! score-matching loss with weighting sigma_t^2. Every random number comes from the counter-based
//! RNG, so a run is reproduced exactly by its seed.

use crate::core::dataset::GaussianMixture;
use crate::core::mlp::{Mlp, PARAMETERS};
use crate::core::rng;
use crate::core::schedule::Schedule;

/// Smallest training time: the sampler never evaluates the net below t_max / steps >= 1e-3.
pub const TRAIN_T_MIN: f64 = 1e-3;

/// Training hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Seed of initialisation and batches.
    pub seed: u32,
    /// Number of Adam steps.
    pub steps: u32,
    /// Examples per step.
    pub batch: u32,
    /// Peak learning rate, decayed by a cosine to `final_learning_rate`.
    pub learning_rate: f32,
    /// Learning rate at the last step.
    pub final_learning_rate: f32,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig { seed: 0, steps: 40_000, batch: 256, learning_rate: 3e-3, final_learning_rate: 3e-5 }
    }
}

/// Adam's first-moment decay (Kingma and Ba 2015).
const ADAM_BETA1: f32 = 0.9;
/// Adam's second-moment decay.
const ADAM_BETA2: f32 = 0.999;
/// Adam's denominator guard.
const ADAM_EPSILON: f32 = 1e-8;

/// Adam optimiser state.
#[derive(Clone, Debug)]
pub struct Adam {
    first_moment: Vec<f32>,
    second_moment: Vec<f32>,
    step: i32,
}

impl Adam {
    /// Zeroed state for `parameters` weights.
    pub fn new(parameters: usize) -> Adam {
        Adam { first_moment: vec![0.0; parameters], second_moment: vec![0.0; parameters], step: 0 }
    }

    /// One bias-corrected Adam update of `weights` with `gradient`.
    pub fn update(&mut self, weights: &mut [f32], gradient: &[f32], learning_rate: f32) {
        self.step += 1;
        let correction1 = 1.0 - ADAM_BETA1.powi(self.step);
        let correction2 = 1.0 - ADAM_BETA2.powi(self.step);
        for (((w, g), m), v) in
            weights.iter_mut().zip(gradient).zip(&mut self.first_moment).zip(&mut self.second_moment)
        {
            *m = ADAM_BETA1 * *m + (1.0 - ADAM_BETA1) * g;
            *v = ADAM_BETA2 * *v + (1.0 - ADAM_BETA2) * g * g;
            let m_hat = *m / correction1;
            let v_hat = *v / correction2;
            *w -= learning_rate * m_hat / (v_hat.sqrt() + ADAM_EPSILON);
        }
    }
}

/// Cosine decay from `config.learning_rate` to `config.final_learning_rate`.
pub fn learning_rate(config: &TrainConfig, step: u32) -> f32 {
    let progress = step as f32 / config.steps.max(1) as f32;
    let cosine = 0.5 * (1.0 + (std::f32::consts::PI * progress).cos());
    config.final_learning_rate + (config.learning_rate - config.final_learning_rate) * cosine
}

/// One training example: (x_t, t, eps) for example `index` of the run.
pub fn example(
    data: &GaussianMixture,
    schedule: Schedule,
    seed: u32,
    index: u32,
) -> ([f32; 2], f32, [f32; 2]) {
    let x0 = data.sample(seed, index, 1)[0];
    let w = rng::words(seed, index, 0, rng::stream::TRAIN);
    let t = TRAIN_T_MIN + (schedule.t_max() - TRAIN_T_MIN) * rng::uniform(w[0]) as f64;
    let eps = rng::box_muller(w[1], w[2]);
    let (alpha, sigma) = (schedule.alpha(t) as f32, schedule.sigma(t) as f32);
    ([alpha * x0[0] + sigma * eps[0], alpha * x0[1] + sigma * eps[1]], t as f32, eps)
}

/// Mean eps loss of `mlp` on a batch, adding its gradient to `gradient` (zeroed by the caller).
pub fn batch_loss_and_gradient(
    mlp: &Mlp,
    data: &GaussianMixture,
    schedule: Schedule,
    seed: u32,
    first_index: u32,
    batch: u32,
    gradient: &mut [f32],
) -> f32 {
    let scale = 1.0 / batch as f32;
    let mut loss = 0.0;
    for b in 0..batch {
        let (x, t, eps) = example(data, schedule, seed, first_index + b);
        let act = mlp.forward_traced(x, t);
        let residual = [act.output[0] - eps[0], act.output[1] - eps[1]];
        loss += scale * (residual[0] * residual[0] + residual[1] * residual[1]);
        mlp.accumulate_gradient(&act, [2.0 * scale * residual[0], 2.0 * scale * residual[1]], gradient);
    }
    loss
}

/// Trains a fresh network; `on_step(step, loss)` sees every step's batch loss.
pub fn train(
    data: &GaussianMixture,
    schedule: Schedule,
    config: &TrainConfig,
    mut on_step: impl FnMut(u32, f32),
) -> Mlp {
    let mut mlp = Mlp::initialise(config.seed);
    let mut adam = Adam::new(PARAMETERS);
    let mut gradient = vec![0.0; PARAMETERS];
    for step in 0..config.steps {
        gradient.iter_mut().for_each(|g| *g = 0.0);
        let first = step.wrapping_mul(config.batch);
        let loss =
            batch_loss_and_gradient(&mlp, data, schedule, config.seed, first, config.batch, &mut gradient);
        adam.update(&mut mlp.weights, &gradient, learning_rate(config, step));
        on_step(step, loss);
    }
    mlp
}
