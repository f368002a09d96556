//! A one-step generator: consistency distillation of a flow (Song, Dhariwal, Chen and Sutskever
//! 2023, "Consistency models", Sec. 4 and Alg. 2).
//!
//! A consistency function maps every point of a probability-flow ODE trajectory to the
//! trajectory's data end, f(x_t, t) = x_0, with the boundary condition f(x, 0) = x (their eq. 3).
//! On rectified flow's path x_t = (1 - t) x_0 + t eps a velocity network v gives it directly,
//!
//! ```text
//! f_theta(x, t) = x - t v_theta(x, t),
//! ```
//!
//! their parametrization c_skip(t) x + c_out(t) F_theta(x, t) (eq. 5) with c_skip = 1 and
//! c_out = -t, which meets the boundary condition exactly. So the distilled network is a flow
//! network like any other: one Euler step of the probability-flow ODE from t = 1 is its one-step
//! sample, x_0 = eps - v_theta(eps, 1), and the playground samples it with every deterministic
//! sampler (a consistency model's multistep sampling, their Alg. 1, is `sample_multistep`).
//!
//! Distillation (Alg. 2): with boundaries 0 < t_1 < ... < t_N = t_max, a data point x_0, a noise
//! eps and n uniform in 1..N-1, the teacher's Heun step carries x_{t_{n+1}} = (1 - t_{n+1}) x_0 +
//! t_{n+1} eps to x^_{t_n}, and the student is pulled toward the target network's value there,
//!
//! ```text
//! L = || f_theta(x_{t_{n+1}}, t_{n+1}) - f_theta-(x^_{t_n}, t_n) ||^2,
//! theta- <- mu theta- + (1 - mu) theta   (the target network, an exponential moving average),
//! ```
//!
//! with the squared L2 distance (their d(., .) in 2-D). As f_theta is x - t F, the loss is
//! t_{n+1}^2 || F - (x_{t_{n+1}} - target) / t_{n+1} ||^2: a weighted regression of the network
//! output on a goal, which `core::train`'s gradient (and the GPU's training kernels) already computes.
//!
//! Why consistency distillation rather than MeanFlow (Geng et al. 2025) or shortcut models (Frans
//! et al. 2024): both condition the network on a second time (the interval's start, or the step
//! size), which the playground's 2-input MLP and its WGSL kernels do not take; consistency
//! distillation keeps the network, its file format and every sampler as they are, and its one-step
//! sample is one Euler step of a flow, so the page's race and straightness readout measure it
//! like any flow.

use crate::core::dataset::GaussianMixture;
use crate::core::mlp::Mlp;
use crate::core::rng;
use crate::core::schedule::Schedule;
use crate::core::train::{self, Adam, PreparedExample, TrainConfig};

/// Boundaries of the distillation's time grid (uniform in rectified flow's time). Fewer
/// boundaries carry the data end back to t = 1 in fewer links of the chain; measured on the 8
/// Gaussians after 8,000 steps, 16 gives a one-step TV 1.93 times the teacher's 32-step TV, 32
/// gives 2.04 and 64 gives 2.15 (`dp-train --distill`, docs/straight-paths.md).
pub const CONSISTENCY_BOUNDARIES: usize = 16;
/// Decay of the target network's moving average.
pub const TARGET_EMA: f32 = 0.95;
/// Smallest boundary t_1: the teacher's ODE below it moves the particles by less than the data's
/// own kernel width.
pub const CONSISTENCY_T_MIN: f64 = 0.002;

/// The schedule of consistency distillation: rectified flow's straight path.
const SCHEDULE: Schedule = Schedule::RectifiedFlow;

/// The boundaries t_1 < ... < t_N, uniform from [`CONSISTENCY_T_MIN`] to rectified flow's t_max.
pub fn boundaries() -> Vec<f64> {
    let (low, high) = (CONSISTENCY_T_MIN, SCHEDULE.t_max());
    (0..CONSISTENCY_BOUNDARIES)
        .map(|k| low + (high - low) * k as f64 / (CONSISTENCY_BOUNDARIES - 1) as f64)
        .collect()
}

/// The consistency function of the velocity network `mlp`: f(x, t) = x - t v(x, t).
pub fn consistency_function(mlp: &Mlp, x: [f32; 2], t: f32) -> [f32; 2] {
    let v = mlp.forward(x, t);
    [x[0] - t * v[0], x[1] - t * v[1]]
}

/// One Heun step of the teacher's probability-flow ODE dx/dt = v(x, t) from `t` down to `s`.
fn heun_step(teacher: &Mlp, x: [f32; 2], t: f32, s: f32) -> [f32; 2] {
    let h = s - t;
    let v1 = teacher.forward(x, t);
    let euler = [x[0] + h * v1[0], x[1] + h * v1[1]];
    let v2 = teacher.forward(euler, s);
    [x[0] + 0.5 * h * (v1[0] + v2[0]), x[1] + 0.5 * h * (v1[1] + v2[1])]
}

/// The examples of distillation step `step` (of `config.batch` each): for each, the student's
/// input (x_{t_{n+1}}, t_{n+1}), weight t_{n+1}^2 and goal (x_{t_{n+1}} - target) / t_{n+1}, the
/// target f_{theta-} at the teacher's Heun step to t_n.
pub fn distillation_batch(
    teacher: &Mlp,
    target: &Mlp,
    data: &GaussianMixture,
    config: &TrainConfig,
    step: u32,
) -> Vec<PreparedExample> {
    let grid = boundaries();
    let first = step.wrapping_mul(config.batch);
    (0..config.batch)
        .map(|b| {
            let index = first.wrapping_add(b);
            let x0 = data.sample(config.seed, index, 1)[0];
            let w = rng::words(config.seed, index, 0, rng::stream::TRAIN);
            let eps = rng::box_muller(w[1], w[2]);
            // n uniform in 0..N-1 from a 32-bit word (multiply-shift, Lemire 2019).
            let n = ((w[0] as u64 * (grid.len() as u64 - 1)) >> 32) as usize;
            let (t_next, t_now) = (grid[n + 1] as f32, grid[n] as f32);
            let x = [(1.0 - t_next) * x0[0] + t_next * eps[0], (1.0 - t_next) * x0[1] + t_next * eps[1]];
            let stepped = heun_step(teacher, x, t_next, t_now);
            let aim = consistency_function(target, stepped, t_now);
            PreparedExample {
                x,
                t: t_next,
                weight: t_next * t_next,
                goal: [(x[0] - aim[0]) / t_next, (x[1] - aim[1]) / t_next],
                label: 0,
                padding: 0,
            }
        })
        .collect()
}

/// Distills the velocity network `teacher` (rectified flow) on `data` into a consistency model
/// (student and target start as the teacher): `config.steps` Adam steps of `config.batch`
/// examples at its cosine-decayed rates; `on_step(step, loss)` sees every step's loss.
pub fn distill(
    teacher: &Mlp,
    data: &GaussianMixture,
    config: &TrainConfig,
    mut on_step: impl FnMut(u32, f32),
) -> Mlp {
    let mut distiller = Distiller::new(teacher.clone(), data.clone(), config.clone());
    while distiller.step() < config.steps {
        let step = distiller.step();
        let loss = distiller.run(1);
        on_step(step, loss);
    }
    distiller.student
}

/// A consistency distillation in progress, a few steps at a time (the page's CPU training runs
/// it between frames): the teacher, the student, its target (the moving average) and Adam's state.
pub struct Distiller {
    teacher: Mlp,
    data: GaussianMixture,
    config: TrainConfig,
    student: Mlp,
    target: Mlp,
    adam: Adam,
    gradient: Vec<f32>,
    step: u32,
    losses: Vec<f32>,
}

impl Distiller {
    /// A distillation of the velocity network `teacher` (rectified flow) on `data` with
    /// `config`'s steps, batch, seed and rates; student and target start as the teacher.
    pub fn new(teacher: Mlp, data: GaussianMixture, config: TrainConfig) -> Distiller {
        let parameters = teacher.weights.len();
        Distiller {
            student: teacher.clone(),
            target: teacher.clone(),
            teacher,
            data,
            losses: Vec::with_capacity(config.steps as usize),
            config,
            adam: Adam::new(parameters),
            gradient: vec![0.0; parameters],
            step: 0,
        }
    }

    /// Takes up to `n` more steps (Alg. 2's loop body: the loss's gradient, Adam, the target's
    /// moving average); returns their mean batch loss (NaN when none was left).
    pub fn run(&mut self, n: u32) -> f32 {
        let end = self.step.saturating_add(n).min(self.config.steps);
        let (first, mut total) = (self.step, 0.0);
        while self.step < end {
            self.gradient.iter_mut().for_each(|g| *g = 0.0);
            let examples =
                distillation_batch(&self.teacher, &self.target, &self.data, &self.config, self.step);
            let loss = train::prepared_loss_and_gradient(&self.student, &examples, &mut self.gradient);
            self.adam.update(
                &mut self.student.weights,
                &self.gradient,
                train::learning_rate(&self.config, self.step),
            );
            for (aim, w) in self.target.weights.iter_mut().zip(&self.student.weights) {
                *aim = TARGET_EMA * *aim + (1.0 - TARGET_EMA) * w;
            }
            self.losses.push(loss);
            total += loss;
            self.step += 1;
        }
        if self.step == first {
            f32::NAN
        } else {
            total / (self.step - first) as f32
        }
    }

    /// Steps taken so far.
    pub fn step(&self) -> u32 {
        self.step
    }

    /// The batch loss of every step so far.
    pub fn losses(&self) -> &[f32] {
        &self.losses
    }

    /// The student as distilled so far.
    pub fn mlp(&self) -> &Mlp {
        &self.student
    }
}

/// A consistency model's multistep sampling (Song et al. 2023, Alg. 1) from the noises `noise`
/// at t = 1: x_0 = f(eps, 1); then at each time of `times` (decreasing, in (0, 1)) the sample is
/// noised back to it with fresh noise (seed `seed`) and mapped to the data again.
pub fn sample_multistep(mlp: &Mlp, noise: &[[f32; 2]], times: &[f32], seed: u32) -> Vec<[f32; 2]> {
    let t_max = SCHEDULE.t_max() as f32;
    let mut x: Vec<[f32; 2]> = noise.iter().map(|&z| consistency_function(mlp, z, t_max)).collect();
    for (k, &t) in times.iter().enumerate() {
        for (i, p) in x.iter_mut().enumerate() {
            let w = rng::words(seed, i as u32, k as u32 + 1, rng::stream::REVERSE);
            let z = rng::box_muller(w[0], w[1]);
            let noised = [(1.0 - t) * p[0] + t * z[0], (1.0 - t) * p[1] + t * z[1]];
            *p = consistency_function(mlp, noised, t);
        }
    }
    x
}
