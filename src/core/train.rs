//! Denoising score matching, trained by Adam (Vincent 2011; Song et al. 2021, eq. 7; the four
//! parametrizations of Kingma et al. 2021 and Salimans & Ho 2022).
//!
//! Each example draws x_0 from the dataset, a time t and eps ~ N(0, I), forms
//! x_t = alpha_t x_0 + sigma_t eps and regresses the net's output F(x_t, t) onto the target of the
//! chosen objective, weighted by lambda(t): L = E lambda(t) |F(x_t, t) - target|^2, with
//!
//! - eps: target eps (Ho et al. 2020); since grad log p(x_t | x_0) = -eps / sigma_t this is
//!   score matching with weighting sigma_t^2;
//! - x0: target x_0, the denoiser (Karras et al. 2022's D);
//! - score: target -eps / sigma_t, the conditional score (Song et al. 2021);
//! - velocity: target alpha'_t x_0 + sigma'_t eps (flow matching; eps - x_0 for rectified flow);
//! - EDM's preconditioned denoiser: the network sees (c_in x_t / alpha_t, c_noise) and its target
//!   is (x_0 - c_skip x_t / alpha_t) / c_out, so that D = c_skip x / alpha + c_out F is the
//!   denoiser (Karras et al. 2022, eq. 7-8: with unit weight this is EDM's loss, whose
//!   lambda = 1 / c_out^2 cancels the c_out^2 of the residual).
//!
//! Weightings: unit; sigma_t^2 (Song et al. 2021's choice for the score objective, which makes it
//! the eps loss); EDM's lambda(sigma) = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2 on the
//! noise level sigma = sigma_t / alpha_t (Karras et al. 2022, eq. 8 with Table 1's sigma_data =
//! 0.5). Times: uniform in [TRAIN_T_MIN, t_max], or EDM's log-normal ln sigma ~ N(P_mean,
//! P_std^2) (P_mean = -1.2, P_std = 1.2) mapped to the schedule's time of equal log-SNR.
//! Every random number comes from the counter-based RNG, so a run is reproduced exactly by its
//! seed.

use std::sync::Arc;

use crate::core::class_embedding::{ClassEmbedding, LABEL_DROPOUT};
use crate::core::coupling::{self, Coupling};
use crate::core::dataset::GaussianMixture;
use crate::core::mlp::{Architecture, Mlp, HIDDEN};
use crate::core::param::{EdmPreconditioning, Parametrization};
use crate::core::rng;
use crate::core::schedule::Schedule;

pub use crate::core::param::EDM_SIGMA_DATA;
/// EDM's log-normal training noise levels: ln sigma ~ N(EDM_P_MEAN, EDM_P_STD^2).
pub const EDM_P_MEAN: f64 = -1.2;
/// See [`EDM_P_MEAN`].
pub const EDM_P_STD: f64 = 1.2;

/// How each example's squared error is weighted, as a function of its time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Weighting {
    /// lambda = 1.
    Unit,
    /// lambda = sigma_t^2.
    SigmaSquared,
    /// lambda = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2, sigma = sigma_t / alpha_t (EDM).
    Edm,
}

impl Weighting {
    /// lambda at time t of `schedule`.
    pub fn at(self, schedule: Schedule, t: f64) -> f64 {
        match self {
            Weighting::Unit => 1.0,
            Weighting::SigmaSquared => schedule.sigma(t).powi(2),
            Weighting::Edm => {
                let sigma = schedule.sigma(t) / schedule.alpha(t);
                let d2 = EDM_SIGMA_DATA * EDM_SIGMA_DATA;
                (sigma * sigma + d2) / (sigma * sigma * d2)
            }
        }
    }
}

/// How training times are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeSampling {
    /// t uniform in [TRAIN_T_MIN, t_max].
    Uniform,
    /// EDM's log-normal noise levels, mapped to the time of equal log-SNR and clamped to
    /// [TRAIN_T_MIN, t_max].
    LogNormal,
    /// [`TimeSampling::LogNormal`] for most examples and [`TimeSampling::Uniform`] for the share
    /// [`UNIFORM_SHARE`]: the log-normal's weight on the low noise levels, where the data's fine
    /// structure is decided, and the high-noise end that starts every reverse run and every
    /// likelihood integral still trained (ln sigma ~ N(-1.2, 1.2^2) reaches VP linear's t = 1,
    /// ln sigma = 5, about once in eight million draws).
    LogNormalAndUniform,
    /// t uniform in log-SNR between log-SNR(t_max) and log-SNR([`TRAIN_T_MIN`]). With the eps
    /// objective and unit weight this is the continuous-time ELBO (Kingma et al. 2021, eq. 17:
    /// L = -1/2 E[SNR'(t)/SNR(t) |eps - eps_hat|^2] once t is drawn by its log-SNR), and for VP
    /// the likelihood weighting lambda = g^2 of Song et al. 2021 ("Maximum likelihood training of
    /// score-based diffusion models", Theorem 1 with importance sampling): on the eps loss
    /// g^2 / sigma^2 = beta / sigma^2 = -d log-SNR / dt. It trains for the density the
    /// probability-flow ODE integrates, not only for the samples.
    UniformLogSnr,
}

/// The share of uniform times in [`TimeSampling::LogNormalAndUniform`].
pub const UNIFORM_SHARE: f64 = 0.2;

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
    /// What the network learns to predict.
    pub objective: Parametrization,
    /// The weighting lambda(t) of the squared errors.
    pub weighting: Weighting,
    /// How training times are drawn.
    pub time_sampling: TimeSampling,
    /// Which noise each data point of a batch is paired with (`core::coupling`).
    pub coupling: Coupling,
    /// The (data end, noise) pairs of a reflow ([`Coupling::Reflow`], `core::reflow::pairs`):
    /// each example takes one, drawn by its own counter, in place of a draw of the data.
    pub reflow_pairs: Option<Arc<[ReflowPair]>>,
    /// The network trained: plain, or with Fourier features of the coordinates.
    pub architecture: Architecture,
    /// Weight of the divergence term ([`divergence_loss_and_gradient`]) beside the loss of the
    /// objective; 0 trains without it. Only the eps objective has it.
    pub divergence_weight: f32,
    /// A class-conditional run's term that holds each class's guidance direction to an earlier
    /// network's ([`guidance_hold_loss_and_gradient`]); None trains without it.
    pub guidance_hold: Option<GuidanceHold>,
}

/// What [`guidance_hold_loss_and_gradient`] holds a class-conditional network to.
#[derive(Clone, Debug, PartialEq)]
pub struct GuidanceHold {
    /// The earlier network and its class embedding (a likelihood stage's first stage), fixed.
    pub teacher: Arc<(Mlp, ClassEmbedding)>,
    /// Weight of the term beside the first-order loss.
    pub weight: f32,
}

/// A reflow pair: where the teacher's ODE ends (the data end x_0) and the noise it started from.
pub type ReflowPair = [[f32; 2]; 2];

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            seed: 0,
            steps: 40_000,
            batch: 256,
            learning_rate: 3e-3,
            final_learning_rate: 3e-5,
            objective: Parametrization::Eps,
            weighting: Weighting::Unit,
            time_sampling: TimeSampling::Uniform,
            coupling: Coupling::Independent,
            reflow_pairs: None,
            architecture: Architecture::PLAIN,
            divergence_weight: 0.0,
            guidance_hold: None,
        }
    }
}

/// Adam's first-moment decay (Kingma and Ba 2015).
pub const ADAM_BETA1: f32 = 0.9;
/// Adam's second-moment decay.
pub const ADAM_BETA2: f32 = 0.999;
/// Adam's denominator guard.
pub const ADAM_EPSILON: f32 = 1e-8;

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

/// One training example.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Example {
    /// The noised point x_t = alpha_t x_0 + sigma_t eps.
    pub x: [f32; 2],
    /// Its time.
    pub t: f32,
    /// The noise.
    pub eps: [f32; 2],
    /// The data point.
    pub x0: [f32; 2],
    /// sigma_b z, the Schrödinger-bridge coupling's noise (x_t holds sqrt(t (1 - t)) of it;
    /// zero for the other couplings).
    pub bridge: [f32; 2],
}

/// Example `index` of the run: x_0 from the data, t as `sampling` says, eps ~ N(0, I).
pub fn example(
    data: &GaussianMixture,
    schedule: Schedule,
    sampling: TimeSampling,
    seed: u32,
    index: u32,
) -> Example {
    labelled_example(data, schedule, sampling, seed, index).0
}

/// [`example`] and the index of the mixture component its x_0 came from.
pub fn labelled_example(
    data: &GaussianMixture,
    schedule: Schedule,
    sampling: TimeSampling,
    seed: u32,
    index: u32,
) -> (Example, usize) {
    let (x0, component) = data.sample_labelled(seed, index, 1)[0];
    let w = rng::words(seed, index, 0, rng::stream::TRAIN);
    let uniform = || TRAIN_T_MIN + (schedule.t_max() - TRAIN_T_MIN) * rng::uniform(w[0]) as f64;
    let log_normal = || {
        // A fourth word of the same counter gives the log-normal's normal.
        let z = rng::box_muller(w[0], w[3])[0] as f64;
        let log_sigma = EDM_P_MEAN + EDM_P_STD * z;
        // log-SNR of the noise level sigma (= sigma_t / alpha_t) is -2 ln sigma.
        schedule
            .t_for_log_snr(-2.0 * log_sigma)
            .unwrap_or(schedule.t_max())
            .clamp(TRAIN_T_MIN, schedule.t_max())
    };
    let uniform_log_snr = || {
        let (lowest, highest) = (schedule.log_snr(schedule.t_max()), schedule.log_snr(TRAIN_T_MIN));
        let log_snr = highest + (lowest - highest) * rng::uniform(w[0]) as f64;
        schedule.t_for_log_snr(log_snr).unwrap_or(schedule.t_max()).clamp(TRAIN_T_MIN, schedule.t_max())
    };
    let t = match sampling {
        TimeSampling::Uniform => uniform(),
        TimeSampling::LogNormal => log_normal(),
        TimeSampling::UniformLogSnr => uniform_log_snr(),
        TimeSampling::LogNormalAndUniform => {
            let coin = rng::uniform(rng::words(seed, index, 0, rng::stream::TIME_MIXTURE)[0]) as f64;
            if coin < UNIFORM_SHARE {
                uniform()
            } else {
                log_normal()
            }
        }
    };
    let eps = rng::box_muller(w[1], w[2]);
    let (alpha, sigma) = (schedule.alpha(t) as f32, schedule.sigma(t) as f32);
    let x = [alpha * x0[0] + sigma * eps[0], alpha * x0[1] + sigma * eps[1]];
    (Example { x, t: t as f32, eps, x0, bridge: [0.0; 2] }, component)
}

/// The regression target of `objective` for `example` (see the module docs).
pub fn target(objective: Parametrization, schedule: Schedule, example: &Example) -> [f32; 2] {
    let t = example.t as f64;
    let sigma = schedule.sigma(t);
    let (d_alpha, d_sigma) = (schedule.d_alpha(t), schedule.d_sigma(t));
    std::array::from_fn(|k| {
        let (eps, x0) = (example.eps[k] as f64, example.x0[k] as f64);
        (match objective {
            Parametrization::Eps => eps,
            Parametrization::X0 => x0,
            Parametrization::Score => -eps / sigma,
            // The bridge's term: d/dt sqrt(t (1 - t)) sigma_b z (rectified flow only, `core::coupling`).
            Parametrization::Velocity if example.bridge != [0.0; 2] => {
                d_alpha * x0
                    + d_sigma * eps
                    + (1.0 - 2.0 * t) / (2.0 * (t * (1.0 - t)).sqrt()) * example.bridge[k] as f64
            }
            Parametrization::Velocity => d_alpha * x0 + d_sigma * eps,
            Parametrization::EdmDenoiser => {
                let alpha = schedule.alpha(t);
                let p = EdmPreconditioning::at(sigma / alpha, EDM_SIGMA_DATA);
                let x = example.x[k] as f64;
                (x0 - p.c_skip * x / alpha) / p.c_out
            }
        }) as f32
    })
}

/// What the network sees for `example`: (x_t, t), or for EDM's preconditioned denoiser
/// (c_in x_t / alpha_t, c_noise).
pub fn network_input(objective: Parametrization, schedule: Schedule, example: &Example) -> ([f32; 2], f32) {
    if objective != Parametrization::EdmDenoiser {
        return (example.x, example.t);
    }
    let t = example.t as f64;
    let alpha = schedule.alpha(t);
    let p = EdmPreconditioning::at(schedule.sigma(t) / alpha, EDM_SIGMA_DATA);
    let scale = (p.c_in / alpha) as f32;
    ([scale * example.x[0], scale * example.x[1]], p.c_noise as f32)
}

/// An example as the network and the loss see it: the network's input (x, t), the weight
/// lambda(t) and the regression target. 32 bytes, the layout of `TrainExample` in
/// `shaders/train_gradient.wgsl` (checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct PreparedExample {
    /// The network's input point.
    pub x: [f32; 2],
    /// The network's input time.
    pub t: f32,
    /// lambda(t).
    pub weight: f32,
    /// The target of the objective.
    pub goal: [f32; 2],
    /// The class label of a class-conditional run (an embedding row; 0 and unread otherwise).
    pub label: u32,
    /// Padding to the WGSL struct's 8-byte alignment.
    pub padding: u32,
}

/// Example `index` of `config`'s run, prepared for the network and the loss.
pub fn prepare(
    data: &GaussianMixture,
    schedule: Schedule,
    config: &TrainConfig,
    index: u32,
) -> PreparedExample {
    prepare_labelled(data, schedule, config, index).0
}

/// [`prepare`] and the mixture component of the example's x_0.
pub fn prepare_labelled(
    data: &GaussianMixture,
    schedule: Schedule,
    config: &TrainConfig,
    index: u32,
) -> (PreparedExample, usize) {
    let (example, component) = labelled_example(data, schedule, config.time_sampling, config.seed, index);
    (prepared(schedule, config, &example), component)
}

/// `example` as the network and the loss of `config` see it.
pub fn prepared(schedule: Schedule, config: &TrainConfig, example: &Example) -> PreparedExample {
    let (x, t) = network_input(config.objective, schedule, example);
    PreparedExample {
        x,
        t,
        weight: config.weighting.at(schedule, example.t as f64) as f32,
        goal: target(config.objective, schedule, example),
        label: 0,
        padding: 0,
    }
}

/// The examples `first .. first + config.batch` of `config`'s run with the mixture component of
/// each x_0, their noises paired with the data as `config.coupling` says: each group of
/// `coupling.group()` examples re-pairs its own noises (the independent coupling keeps each
/// example's own, bit for bit).
pub fn coupled_examples(
    data: &GaussianMixture,
    schedule: Schedule,
    config: &TrainConfig,
    first: u32,
) -> Vec<(Example, usize)> {
    let mut batch: Vec<(Example, usize)> = (0..config.batch)
        .map(|b| labelled_example(data, schedule, config.time_sampling, config.seed, first.wrapping_add(b)))
        .collect();
    if let (Coupling::Reflow { .. }, Some(pairs)) = (config.coupling, &config.reflow_pairs) {
        for (b, (example, _)) in batch.iter_mut().enumerate() {
            let index = first.wrapping_add(b as u32);
            let pick = rng::words(config.seed, index, 1, rng::stream::TRAIN)[0] as usize % pairs.len();
            let [x0, eps] = pairs[pick];
            let t = example.t as f64;
            let (alpha, sigma) = (schedule.alpha(t) as f32, schedule.sigma(t) as f32);
            *example = Example { x: [0, 1].map(|k| alpha * x0[k] + sigma * eps[k]), x0, eps, ..*example };
        }
    }
    if let Some(group) = config.coupling.group() {
        for (g, chunk) in batch.chunks_mut(group as usize).enumerate() {
            let first_of_group = first.wrapping_add(g as u32 * group);
            couple(chunk, schedule, config.coupling, config.seed, first_of_group);
        }
    }
    batch
}

/// Re-pairs the noises of `group` (examples `first ..` of the run) as `coupling` says and forms
/// each x_t again from its data point, its new noise and (Schrödinger bridge) its bridge noise.
fn couple(group: &mut [(Example, usize)], schedule: Schedule, coupling: Coupling, seed: u32, first: u32) {
    let x0: Vec<[f32; 2]> = group.iter().map(|(e, _)| e.x0).collect();
    let eps: Vec<[f32; 2]> = group.iter().map(|(e, _)| e.eps).collect();
    let (pairs, bridges) = match coupling {
        Coupling::Independent | Coupling::Reflow { .. } | Coupling::Consistency => return,
        Coupling::MinibatchOt { .. } => (coupling::ot_pairs(&x0, &eps), vec![[0.0; 2]; group.len()]),
        Coupling::SchrodingerBridge { sigma, .. } => {
            let draws: Vec<(f32, [f32; 2])> = (0..group.len())
                .map(|i| coupling::bridge_draws(seed, first.wrapping_add(i as u32)))
                .collect();
            let uniforms: Vec<f32> = draws.iter().map(|d| d.0).collect();
            let bridges = draws.iter().map(|d| d.1.map(|z| sigma as f32 * z)).collect();
            (coupling::bridge_pairs(&x0, &eps, sigma, &uniforms), bridges)
        }
    };
    for (i, (example, _)) in group.iter_mut().enumerate() {
        let t = example.t as f64;
        let (alpha, sigma) = (schedule.alpha(t) as f32, schedule.sigma(t) as f32);
        let (noise, bridge) = (eps[pairs[i]], bridges[i]);
        let width = (t * (1.0 - t)).max(0.0).sqrt() as f32;
        example.eps = noise;
        example.bridge = bridge;
        example.x = std::array::from_fn(|k| alpha * example.x0[k] + sigma * noise[k] + width * bridge[k]);
    }
}

/// Whether `config`'s coupling can train a network on `schedule`: the Schrödinger bridge's path
/// is rectified flow's with a Brownian term and its target a velocity; an OT or SB group must
/// divide the batch. The error names the field and what it takes.
pub fn check_coupling(config: &TrainConfig, schedule: Schedule) -> Result<(), String> {
    if let Some(group) = config.coupling.group() {
        if !config.batch.is_multiple_of(group) || group > config.batch {
            return Err(format!(
                "coupling batch {group}: a divisor of the training batch of {} examples",
                config.batch
            ));
        }
    }
    let flow = schedule == Schedule::RectifiedFlow && config.objective == Parametrization::Velocity;
    if matches!(config.coupling, Coupling::SchrodingerBridge { .. }) && !flow {
        return Err(format!(
            "coupling sb: the Schrödinger bridge trains the velocity objective on the rectified_flow schedule ({} on {} given)",
            config.objective.name(),
            schedule.name()
        ));
    }
    if config.coupling == Coupling::Consistency {
        return Err(
            "coupling consistency: a consistency model is distilled from a flow (core::consistency::distill)"
                .into(),
        );
    }
    if let Coupling::Reflow { .. } = config.coupling {
        if !flow {
            return Err(format!(
                "coupling reflow: a rectified flow trains the velocity objective on the rectified_flow schedule ({} on {} given)",
                config.objective.name(),
                schedule.name()
            ));
        }
        if config.reflow_pairs.as_ref().is_none_or(|pairs| pairs.is_empty()) {
            return Err(
                "coupling reflow: the pairs of a teacher flow are needed (core::reflow::pairs)".into()
            );
        }
    }
    Ok(())
}

/// The examples of step `step` of `config`'s run (indices step * batch onwards).
pub fn prepare_batch(
    data: &GaussianMixture,
    schedule: Schedule,
    config: &TrainConfig,
    step: u32,
) -> Vec<PreparedExample> {
    let first = step.wrapping_mul(config.batch);
    coupled_examples(data, schedule, config, first)
        .iter()
        .map(|(e, _)| prepared(schedule, config, e))
        .collect()
}

/// Mean weighted loss of `mlp` on prepared examples, adding its gradient to `gradient` (zeroed by
/// the caller). CPU twin of `shaders/train_gradient.wgsl` and the sum of `adam_step.wgsl`.
pub fn prepared_loss_and_gradient(mlp: &Mlp, examples: &[PreparedExample], gradient: &mut [f32]) -> f32 {
    let scale = 1.0 / examples.len().max(1) as f32;
    let mut loss = 0.0;
    for e in examples {
        let act = mlp.forward_traced(e.x, e.t);
        let residual = [act.output[0] - e.goal[0], act.output[1] - e.goal[1]];
        loss += scale * e.weight * (residual[0] * residual[0] + residual[1] * residual[1]);
        let d_output = [2.0 * scale * e.weight * residual[0], 2.0 * scale * e.weight * residual[1]];
        mlp.accumulate_gradient(&act, d_output, gradient);
    }
    loss
}

/// The loss of step `step` of a run of `mlp` on `data`, adding its gradient to `gradient`
/// (zeroed by the caller): the mean weighted loss of the step's batch for `config`'s objective,
/// weighting and times, and with `config.divergence_weight` above zero the divergence term of
/// [`divergence_loss_and_gradient`] on the same examples. Every unconditional trainer steps
/// through it ([`train_further`], `drawing::Trainer`).
pub fn step_loss_and_gradient(
    mlp: &Mlp,
    data: &GaussianMixture,
    schedule: Schedule,
    config: &TrainConfig,
    step: u32,
    gradient: &mut [f32],
) -> f32 {
    let examples: Vec<Example> = coupled_examples(data, schedule, config, step.wrapping_mul(config.batch))
        .into_iter()
        .map(|(e, _)| e)
        .collect();
    let prepared: Vec<PreparedExample> = examples.iter().map(|e| prepared(schedule, config, e)).collect();
    let mut loss = prepared_loss_and_gradient(mlp, &prepared, gradient);
    if config.divergence_weight > 0.0 {
        let fixed = predictions(mlp, &examples);
        let weight = config.divergence_weight;
        loss += divergence_loss_and_gradient(mlp, schedule, &examples, &fixed, None, weight, gradient);
    }
    loss
}

/// Step h of the central differences of [`divergence_loss_and_gradient`], in the units of x:
/// small beside the finest structure of the data (standard deviations of 0.03 and more), large
/// beside float32's rounding of the outputs (about 1e-7 of them).
pub const DIVERGENCE_STEP: f32 = 1e-3;

/// The trace of second-order denoising score matching (Lu et al. 2022, "Maximum likelihood
/// training for score-based diffusion ODEs by high-order denoising score matching", Sec. 4), for
/// an eps network. By Tweedie's second-order formula the noise's conditional covariance is
/// Cov[eps | x_t] = I + sigma^2 grad^2 log p_t(x_t), and with the exact eps* = -sigma grad log p_t
/// its trace reads d - sigma div eps*(x_t) = E[|eps - eps*|^2 | x_t]. So the network's
/// divergence is fitted by R = -sigma div eps_hat + d - |eps - eps_hat|^2, eps_hat held fixed in
/// the square (Lu et al. stop the first-order prediction's gradient there). Written with the
/// first-order residual eps - eps_hat rather than |eps|^2 - |eps_hat|^2 (equal in expectation
/// for the exact eps*), a first-order error enters the target squared instead of multiplied by
/// |eps*|, which is large in the data's tails: that form let the spiral's and smiley's tails run
/// away (single points 60 nats below their exact log-density). The probability-flow ODE changes
/// the log-density by the divergence of its drift (Chen et al. 2018; Song et al. 2021, eq. 39),
/// so this term trains what the ODE's likelihood integrates, which the first-order loss fits only
/// through the values. Returns weight * mean R^2, with the divergence by central differences of
/// step [`DIVERGENCE_STEP`], and adds its gradient to `gradient`: each difference is two forward
/// passes, so the gradient is four backward passes. `predictions` are the eps_hat of the
/// examples held fixed (`mlp`'s own, [`predictions`]), whose gradient is not taken. With
/// `conditioning` each example runs with its label's embedding row, whose gradient is added too.
pub fn divergence_loss_and_gradient(
    mlp: &Mlp,
    schedule: Schedule,
    examples: &[Example],
    predictions: &[[f32; 2]],
    mut conditioning: Option<Conditioning>,
    weight: f32,
    gradient: &mut [f32],
) -> f32 {
    let scale = weight / examples.len().max(1) as f32;
    let mut loss = 0.0;
    for (i, (e, centre)) in examples.iter().zip(predictions).enumerate() {
        let label = conditioning.as_ref().map(|c| c.labels[i]);
        let shift = conditioning.as_ref().zip(label).map(|(c, label)| c.embedding.row(label));
        let (term, d_shift) = divergence_term(mlp, schedule, e, *centre, shift, scale, gradient);
        loss += term;
        if let (Some(c), Some(label)) = (conditioning.as_mut(), label) {
            let row = &mut c.gradient[label * HIDDEN..(label + 1) * HIDDEN];
            row.iter_mut().zip(d_shift).for_each(|(g, d)| *g += d);
        }
    }
    loss
}

/// The class-conditional side of [`divergence_loss_and_gradient`]: each example's label, whose
/// embedding row shifts the network's first layer, and the rows' gradient (added to).
pub struct Conditioning<'a> {
    /// The class embedding.
    pub embedding: &'a ClassEmbedding,
    /// Each example's label (the null class included).
    pub labels: &'a [usize],
    /// The gradient of the embedding's rows, zeroed by the caller.
    pub gradient: &'a mut [f32],
}

/// One example's share (`scale` R^2) of [`divergence_loss_and_gradient`] with `centre` its held
/// eps_hat and `shift` its class row: adds the weights' gradient to `gradient` and returns the
/// share and its gradient in the shift.
fn divergence_term(
    mlp: &Mlp,
    schedule: Schedule,
    e: &Example,
    centre: [f32; 2],
    shift: Option<&[f32]>,
    scale: f32,
    gradient: &mut [f32],
) -> (f32, [f32; HIDDEN]) {
    const DIMENSIONS: f32 = 2.0;
    let h = DIVERGENCE_STEP;
    let sigma = schedule.sigma(e.t as f64) as f32;
    let shifted = |k: usize, sign: f32| {
        let mut x = e.x;
        x[k] += sign * h;
        mlp.forward_traced_shifted(x, e.t, shift)
    };
    let pairs = [0, 1].map(|k| (shifted(k, 1.0), shifted(k, -1.0)));
    let divergence: f32 = (0..2).map(|k| (pairs[k].0.output[k] - pairs[k].1.output[k]) / (2.0 * h)).sum();
    let error = [e.eps[0] - centre[0], e.eps[1] - centre[1]];
    let residual = -sigma * divergence + DIMENSIONS - (error[0] * error[0] + error[1] * error[1]);
    // dR / d(output k at x + h e_k) = -sigma / (2h), at x - h e_k the opposite.
    let slope = 2.0 * scale * residual * (-sigma / (2.0 * h));
    let mut d_shift = [0.0; HIDDEN];
    for (k, (plus, minus)) in pairs.iter().enumerate() {
        for (activations, sign) in [(plus, 1.0), (minus, -1.0)] {
            let mut d_output = [0.0; 2];
            d_output[k] = sign * slope;
            let d = mlp.accumulate_gradient(activations, d_output, gradient);
            d_shift.iter_mut().zip(d).for_each(|(total, d)| *total += d);
        }
    }
    (scale * residual * residual, d_shift)
}

/// `mlp`'s outputs at the examples' inputs (x_t, t): the eps_hat of an eps network.
pub fn predictions(mlp: &Mlp, examples: &[Example]) -> Vec<[f32; 2]> {
    examples.iter().map(|e| mlp.forward(e.x, e.t)).collect()
}

/// The class-conditional network's outputs at the examples' inputs with their labels' rows.
pub fn conditional_predictions(
    mlp: &Mlp,
    embedding: &ClassEmbedding,
    examples: &[Example],
    labels: &[usize],
) -> Vec<[f32; 2]> {
    examples
        .iter()
        .zip(labels)
        .map(|(e, &label)| mlp.forward_traced_shifted(e.x, e.t, Some(embedding.row(label))).output)
        .collect()
}

/// Trains a fresh network; `on_step(step, loss)` sees every step's batch loss.
pub fn train(
    data: &GaussianMixture,
    schedule: Schedule,
    config: &TrainConfig,
    on_step: impl FnMut(u32, f32),
) -> Mlp {
    train_further(Mlp::initialise_as(config.architecture, config.seed), data, schedule, config, on_step)
}

/// Trains `mlp` on from its weights (fresh Adam moments, `config`'s learning rates and steps;
/// `config.architecture` is not used): a fine-tuning stage such as the ELBO-weighted one of
/// [`TimeSampling::UniformLogSnr`]. `on_step(step, loss)` sees every step's batch loss.
pub fn train_further(
    mut mlp: Mlp,
    data: &GaussianMixture,
    schedule: Schedule,
    config: &TrainConfig,
    mut on_step: impl FnMut(u32, f32),
) -> Mlp {
    let mut adam = Adam::new(mlp.weights.len());
    let mut gradient = vec![0.0; mlp.weights.len()];
    for step in 0..config.steps {
        gradient.iter_mut().for_each(|g| *g = 0.0);
        let loss = step_loss_and_gradient(&mlp, data, schedule, config, step, &mut gradient);
        adam.update(&mut mlp.weights, &gradient, learning_rate(config, step));
        on_step(step, loss);
    }
    mlp
}

/// The classes of a class-conditional training run: the class of every component of the data
/// (`classes::component_classes`, or a drawing's stroke classes) and how many there are.
#[derive(Clone, Copy, Debug)]
pub struct Labels<'a> {
    /// Class index of each mixture component.
    pub component_classes: &'a [usize],
    /// Number of classes (the null class not counted).
    pub classes: usize,
}

impl Labels<'_> {
    /// The label example `index` of a run with `seed` trains with: the class of its component,
    /// or with probability [`LABEL_DROPOUT`] the null class (its own stream of the counter-based
    /// RNG, so a run is reproduced by its seed).
    pub fn label(&self, component: usize, seed: u32, index: u32) -> usize {
        let u = rng::uniform(rng::words(seed, index, 0, rng::stream::LABEL)[0]);
        if u < LABEL_DROPOUT {
            self.classes
        } else {
            self.component_classes[component]
        }
    }
}

/// Mean weighted loss of the class-conditional network (`mlp` with `embedding`) on labelled
/// examples, adding the gradients to `gradient` (the network's) and `embedding_gradient` (the
/// rows'); both zeroed by the caller. The loss is [`prepared_loss_and_gradient`]'s with E[label]
/// added to the first layer; E[label]'s gradient is that of the first pre-activations.
pub fn conditional_loss_and_gradient(
    mlp: &Mlp,
    embedding: &ClassEmbedding,
    examples: &[(PreparedExample, usize)],
    gradient: &mut [f32],
    embedding_gradient: &mut [f32],
) -> f32 {
    let scale = 1.0 / examples.len().max(1) as f32;
    let mut loss = 0.0;
    for (e, label) in examples {
        let act = mlp.forward_traced_shifted(e.x, e.t, Some(embedding.row(*label)));
        let residual = [act.output[0] - e.goal[0], act.output[1] - e.goal[1]];
        loss += scale * e.weight * (residual[0] * residual[0] + residual[1] * residual[1]);
        let d_output = [2.0 * scale * e.weight * residual[0], 2.0 * scale * e.weight * residual[1]];
        let d_shift = mlp.accumulate_gradient(&act, d_output, gradient);
        let row = &mut embedding_gradient[label * HIDDEN..(label + 1) * HIDDEN];
        row.iter_mut().zip(d_shift).for_each(|(g, d)| *g += d);
    }
    loss
}

/// The labelled examples of step `step` of a conditional run: [`prepare_batch`]'s, each with
/// its [`Labels::label`].
pub fn prepare_labelled_batch(
    data: &GaussianMixture,
    labels: &Labels,
    schedule: Schedule,
    config: &TrainConfig,
    step: u32,
) -> Vec<(PreparedExample, usize)> {
    let (examples, classes) = labelled_batch(data, labels, schedule, config, step);
    examples.iter().map(|e| prepared(schedule, config, e)).zip(classes).collect()
}

/// The examples of step `step` of a conditional run, drawn, and the label each trains with.
fn labelled_batch(
    data: &GaussianMixture,
    labels: &Labels,
    schedule: Schedule,
    config: &TrainConfig,
    step: u32,
) -> (Vec<Example>, Vec<usize>) {
    let first = step.wrapping_mul(config.batch);
    coupled_examples(data, schedule, config, first)
        .into_iter()
        .enumerate()
        .map(|(b, (example, component))| {
            (example, labels.label(component, config.seed, first.wrapping_add(b as u32)))
        })
        .unzip()
}

/// The term that holds a class-conditional network's guidance direction: for each example whose
/// label c is a class (not the null class), with d(x, t) = eps_c(x, t) - eps_null(x, t),
/// weight * mean |d - d_teacher|^2 over the batch, its gradient added through both evaluations
/// (and both embedding rows). Classifier-free guidance samples with eps_c + w d (Ho and Salimans
/// 2022, eq. 6), so an error of d reaches the guided samples w times over; a likelihood stage
/// that refits the null class's divergence (the density an unguided run has) moved d with it
/// and cost guided classes their fidelity (docs/measured.md, "The likelihood stage"). Held, a
/// change of the null class moves every class with it, and guidance sees it once rather than
/// w + 1 times. Returns the term.
pub fn guidance_hold_loss_and_gradient(
    (mlp, embedding): (&Mlp, &ClassEmbedding),
    hold: &GuidanceHold,
    examples: &[Example],
    labels: &[usize],
    (gradient, embedding_gradient): (&mut [f32], &mut [f32]),
) -> f32 {
    let (teacher, teacher_embedding) = &*hold.teacher;
    let null = embedding.null();
    let scale = hold.weight / examples.len().max(1) as f32;
    let mut loss = 0.0;
    for (e, &label) in examples.iter().zip(labels).filter(|(_, &label)| label != null) {
        let student = |label: usize| mlp.forward_traced_shifted(e.x, e.t, Some(embedding.row(label)));
        let fixed = |label: usize| {
            teacher.forward_traced_shifted(e.x, e.t, Some(teacher_embedding.row(label))).output
        };
        let (class, unconditional) = (student(label), student(null));
        let (held_class, held_unconditional) = (fixed(label), fixed(null));
        let residual: [f32; 2] = std::array::from_fn(|k| {
            (class.output[k] - unconditional.output[k]) - (held_class[k] - held_unconditional[k])
        });
        loss += scale * (residual[0] * residual[0] + residual[1] * residual[1]);
        let d_output = residual.map(|r| 2.0 * scale * r);
        for (activations, row, sign) in [(&class, label, 1.0), (&unconditional, null, -1.0)] {
            let d_shift = mlp.accumulate_gradient(activations, d_output.map(|d| sign * d), gradient);
            let rows = &mut embedding_gradient[row * HIDDEN..(row + 1) * HIDDEN];
            rows.iter_mut().zip(d_shift).for_each(|(g, d)| *g += d);
        }
    }
    loss
}

/// The loss of step `step` of a class-conditional run, adding its gradients to the network's
/// and the embedding's (both zeroed by the caller): the first-order loss of the step's labelled
/// batch and, with `config.divergence_weight` above zero, the divergence term of
/// [`divergence_loss_and_gradient`] on the same examples, each for the label it trains with (see
/// [`train_conditional_further`] for why), and with `config.guidance_hold` the term of
/// [`guidance_hold_loss_and_gradient`] on them. Every class-conditional trainer steps through it
/// ([`train_conditional_further`], `drawing::Trainer`).
pub fn conditional_step_loss_and_gradient(
    (mlp, embedding): (&Mlp, &ClassEmbedding),
    data: &GaussianMixture,
    labels: &Labels,
    schedule: Schedule,
    config: &TrainConfig,
    step: u32,
    (gradient, embedding_gradient): (&mut [f32], &mut [f32]),
) -> f32 {
    let (drawn, classes) = labelled_batch(data, labels, schedule, config, step);
    let examples: Vec<(PreparedExample, usize)> =
        drawn.iter().map(|e| prepared(schedule, config, e)).zip(classes.iter().copied()).collect();
    let mut loss = conditional_loss_and_gradient(mlp, embedding, &examples, gradient, embedding_gradient);
    if config.divergence_weight > 0.0 {
        let fixed = conditional_predictions(mlp, embedding, &drawn, &classes);
        let conditioning = Conditioning { embedding, labels: &classes, gradient: embedding_gradient };
        let weight = config.divergence_weight;
        loss +=
            divergence_loss_and_gradient(mlp, schedule, &drawn, &fixed, Some(conditioning), weight, gradient);
    }
    if let Some(hold) = &config.guidance_hold {
        let gradients = (&mut *gradient, &mut *embedding_gradient);
        loss += guidance_hold_loss_and_gradient((mlp, embedding), hold, &drawn, &classes, gradients);
    }
    loss
}

/// Trains a fresh class-conditional network (Ho and Salimans 2022, Alg. 1: one network for the
/// conditional and, through label dropout, the unconditional prediction); `on_step(step,
/// loss)` sees every step's batch loss. The network starts as [`train`]'s does and the
/// embedding at zero; both follow the same Adam schedule.
pub fn train_conditional(
    data: &GaussianMixture,
    labels: &Labels,
    schedule: Schedule,
    config: &TrainConfig,
    on_step: impl FnMut(u32, f32),
) -> (Mlp, ClassEmbedding) {
    let start = (Mlp::initialise_as(config.architecture, config.seed), ClassEmbedding::zeros(labels.classes));
    train_conditional_further(start, data, labels, schedule, config, on_step)
}

/// Trains a class-conditional network and its embedding on from their weights, as
/// [`train_further`] does an unconditional one, through [`conditional_step_loss_and_gradient`]:
/// with `config.divergence_weight` above zero the divergence term is fitted on the same
/// labelled batch as the first-order loss, each example for its own label, so for the null class
/// (the unconditional score an unguided run samples and the likelihood panel integrates) on the
/// one example in five whose label was dropped. Measured on two moons (docs/measured.md, "The
/// likelihood stage"), 20,000 steps from the shipped network: its null class came from 0.065 to
/// 0.014 bits/dim above the exact NLL, but classifier-free guidance at w = 3 of the upper moon
/// strayed from the exact guided samples (SW2 0.065 -> 0.099; the lower moon's stayed, 0.063 ->
/// 0.062). Fitted for the null class on every example too, the null class reached 0.008 and both
/// moons strayed (0.094, 0.086): guidance extrapolates from the null class through the class, so
/// it multiplies a change of their difference.
pub fn train_conditional_further(
    (mut mlp, mut embedding): (Mlp, ClassEmbedding),
    data: &GaussianMixture,
    labels: &Labels,
    schedule: Schedule,
    config: &TrainConfig,
    mut on_step: impl FnMut(u32, f32),
) -> (Mlp, ClassEmbedding) {
    let (mut adam, mut adam_embedding) = (Adam::new(mlp.weights.len()), Adam::new(embedding.rows.len()));
    let mut gradient = vec![0.0; mlp.weights.len()];
    let mut embedding_gradient = vec![0.0; embedding.rows.len()];
    for step in 0..config.steps {
        gradient.iter_mut().for_each(|g| *g = 0.0);
        embedding_gradient.iter_mut().for_each(|g| *g = 0.0);
        let loss = conditional_step_loss_and_gradient(
            (&mlp, &embedding),
            data,
            labels,
            schedule,
            config,
            step,
            (&mut gradient, &mut embedding_gradient),
        );
        let rate = learning_rate(config, step);
        adam.update(&mut mlp.weights, &gradient, rate);
        adam_embedding.update(&mut embedding.rows, &embedding_gradient, rate);
        on_step(step, loss);
    }
    (mlp, embedding)
}
