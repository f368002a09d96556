//! Log-likelihood through the probability-flow ODE (instantaneous change of variables; Chen et
//! al. 2018, "Neural ODEs", Thm. 1; Song et al. 2021, "Score-based generative modeling through
//! SDEs", appendix D.2).
//!
//! Along the probability-flow ODE dx/dt = F(x, t) (Song et al. 2021, eq. 13), the density of the
//! marginal obeys d ln p_t(x_t) / dt = -div F(x_t, t), so integrating from the data end t_0 to the
//! noise end T gives
//!
//! ```text
//! ln p_t0(x_t0) = ln p_T(x_T) + integral_t0^T div F(x_t, t) dt.
//! ```
//!
//! In 2-D the divergence is exact: the trace of the 2x2 Jacobian of eps_hat (forward mode through
//! the MLP, `Mlp::forward_with_jacobian`; in closed form for a mixture,
//! `GaussianMixture::score_divergence_noised`). No Hutchinson estimator is needed. A network's
//! eps_hat is the samplers' one, its denoised point kept in the data's disc
//! (`core::denoised_bound`), and its Jacobian goes through that projection.
//!
//! Every solver here is written in the scaled frame of DDIM and EDM (Song, Meng and Ermon 2021,
//! eq. 14; Karras et al. 2022, eq. 4): with x_bar = x / alpha and sigma_bar = sigma / alpha the ODE
//! is dx_bar / d sigma_bar = eps_hat(alpha x_bar, t), whose divergence in x_bar is alpha tr J, J =
//! d eps_hat / dx. The log-determinant in x itself adds 2 ln(alpha' / alpha) per step (x = alpha
//! x_bar in two dimensions). One step from t to t' > t is then one linear form, like the reverse
//! samplers' ([`LikelihoodStep`]):
//!
//! ```text
//! e1, d1 = eps_hat(x), tr J(x)                       at eval1
//! x'     = stage2_x x + stage2_e1 e1;  e2, d2 = eps_hat(x'), tr J(x')   at eval2 (if stage2)
//! x     <- out_x x + out_e1 e1 + out_e2 e2
//! l     <- l + log_det + log_det_1 d1 + log_det_2 d2
//! ```
//!
//! with the coefficients computed once per step in f64 ([`plan`]) and used unchanged by the CPU
//! twin ([`run`]) and the GPU kernels (`shaders/likelihood_step_*.wgsl`).
//!
//! 1-D data (`core::space::Space::Line`) is measured on its line: the run moves x alone with the
//! x component of eps_hat, the divergence is the x-x entry of its Jacobian, the frame's
//! log-determinant counts one coordinate, and the prior and the exact density are those of x. Its
//! 2-D density is degenerate (flat in y), so a 2-D likelihood would measure how narrowly a network
//! holds the particles on the line rather than the data's density along it. The GPU kernels
//! integrate the plane; the line runs on the CPU (`app::likelihood`).

use crate::core::dataset::GaussianMixture;
use crate::core::denoised_bound::within_the_data_with_jacobian;
use crate::core::mlp::HIDDEN;
use crate::core::sampler::{self, Evaluation, NetFrame, Sampler, Unguided};
use crate::core::schedule::{Schedule, EDM_SIGMA_MIN};
use crate::core::space::Space;
use crate::core::timesteps::TimeGrid;

/// Noise level sigma / alpha where the integral starts: EDM's sigma_min (Karras et al. 2022,
/// Table 1), the end of every reverse run on the Karras and log-SNR grids. At sigma = 0 the drift
/// of the VP ODE has g^2 / (2 sigma) = infinity (Song et al. 2021 start at t = 1e-5 for the same
/// reason); the density of the data noised to sigma / alpha = 0.002 differs from that of the data by
/// under 0.1% of the narrowest component's variance (std 0.04).
pub const LIKELIHOOD_SIGMA_MIN: f64 = EDM_SIGMA_MIN;

/// The deterministic samplers whose steps integrate the log-determinant too.
pub const LIKELIHOOD_SAMPLERS: [Sampler; 5] =
    [Sampler::ProbabilityFlowEuler, Sampler::Ddim, Sampler::Heun, Sampler::Dpm2, Sampler::DpmSolver2S];

/// One step of the augmented ODE (x, ln det), as the GPU reads it (84 bytes, the layout of
/// `LikelihoodStep` in `shaders/common/likelihood_step.wgsl`; checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct LikelihoodStep {
    /// First evaluation (at the step's start).
    pub eval1: Evaluation,
    /// Second evaluation (used when `stage2` is 1).
    pub eval2: Evaluation,
    /// Coefficient of x in the second-stage point.
    pub stage2_x: f32,
    /// Coefficient of e1 in the second-stage point.
    pub stage2_e1: f32,
    /// 1 when the step evaluates a second time, else 0.
    pub stage2: u32,
    /// Output coefficient of x.
    pub out_x: f32,
    /// Output coefficient of e1.
    pub out_e1: f32,
    /// Output coefficient of e2.
    pub out_e2: f32,
    /// The part of the log-determinant increment that does not depend on x.
    pub log_det: f32,
    /// Coefficient of tr J at the first evaluation.
    pub log_det_1: f32,
    /// Coefficient of tr J at the second evaluation.
    pub log_det_2: f32,
}

impl LikelihoodStep {
    /// Network evaluations (each with its Jacobian) this step makes.
    pub fn evaluations(&self) -> usize {
        1 + self.stage2 as usize
    }
}

/// The time where sigma / alpha = [`LIKELIHOOD_SIGMA_MIN`], or the schedule's first time when the
/// noise there is already larger (VE starts at sigma = 0.01).
pub fn start_time(schedule: Schedule) -> f64 {
    let t_min = schedule.t_min();
    let noise_at = |t: f64| schedule.sigma(t) / schedule.alpha(t);
    if noise_at(t_min) >= LIKELIHOOD_SIGMA_MIN {
        return t_min;
    }
    let log_snr = -2.0 * LIKELIHOOD_SIGMA_MIN.ln();
    schedule.t_for_log_snr(log_snr).map_or(t_min, |t| t.max(t_min))
}

/// Why `sampler` cannot integrate the likelihood, if it cannot.
pub fn check_sampler(sampler: Sampler) -> Result<(), String> {
    if LIKELIHOOD_SAMPLERS.contains(&sampler) {
        return Ok(());
    }
    let names: Vec<&str> = LIKELIHOOD_SAMPLERS.iter().map(|s| s.name()).collect();
    Err(format!(
        "sampler: {} is not a deterministic ODE solver, so it has no likelihood; use one of {}",
        sampler.name(),
        names.join(", ")
    ))
}

/// The times of a likelihood run: `steps + 1` increasing times from [`start_time`] to the
/// schedule's `t_max`, spaced as `grid` spaces a reverse run (so the same grid is traversed the
/// other way).
pub fn times(schedule: Schedule, grid: TimeGrid, steps: usize) -> Vec<f64> {
    let mut times = grid.times(schedule, schedule.t_max(), start_time(schedule), steps);
    times.reverse();
    times
}

/// The steps of `sampler` (one of [`LIKELIHOOD_SAMPLERS`]) over increasing `times`, for a score
/// in the frame `net`, in `space` (the frame's log-determinant counts its coordinates). DDIM is
/// its deterministic form (eta = 0) whatever the run's eta.
///
/// - probability_flow_euler: Euler in t on dx/dt = f x + g^2 / (2 sigma) eps_hat, whose divergence
///   is 2 f + g^2 / (2 sigma) tr J (Song et al. 2021, eq. 13).
/// - ddim: Euler in sigma_bar (DDIM with eta = 0 is exactly this; Song, Meng and Ermon 2021, eq. 14).
/// - heun: Heun in sigma_bar, the trapezoid rule for the log-determinant (Karras et al. 2022, Alg. 1).
/// - dpm_2: the midpoint rule at the geometric mean of sigma_bar (Karras et al. 2022's DPM-2).
/// - dpm_solver_2s: DPM-Solver++(2S) with r = 1/2 (Lu et al. 2022, Alg. 1) in the data-prediction
///   form, the midpoint rule in ln sigma_bar for the log-determinant.
pub fn plan(
    schedule: Schedule,
    net: NetFrame,
    sampler: Sampler,
    space: Space,
    times: &[f64],
) -> Result<Vec<LikelihoodStep>, String> {
    let dimensions = space.dimensions();
    check_sampler(sampler)?;
    let evaluation = |t: f64| sampler::evaluation(schedule, net, t);
    let noise = |t: f64| schedule.sigma(t) / schedule.alpha(t);
    let midpoint_time = |t: f64, u: f64| -> f64 {
        // ln sigma_bar halfway: log-SNR = -2 ln sigma_bar halfway too.
        let log_snr = 0.5 * (schedule.log_snr(t) + schedule.log_snr(u));
        schedule.t_for_log_snr(log_snr).unwrap_or(0.5 * (t + u))
    };
    let steps = times
        .windows(2)
        .map(|pair| {
            let (t, u) = (pair[0], pair[1]);
            let (alpha, alpha_next) = (schedule.alpha(t), schedule.alpha(u));
            let (noise_now, noise_next) = (noise(t), noise(u));
            let h = noise_next - noise_now;
            let mut step =
                LikelihoodStep { eval1: evaluation(t), eval2: evaluation(t), ..Default::default() };
            let scale = alpha_next / alpha;
            // x = alpha x_bar in each coordinate.
            let frame_log_det = dimensions * scale.ln();
            match sampler {
                Sampler::ProbabilityFlowEuler => {
                    let dt = u - t;
                    let (a, b) =
                        (schedule.drift(t), schedule.diffusion_squared(t) / (2.0 * schedule.sigma(t)));
                    step.out_x = (1.0 + dt * a) as f32;
                    step.out_e1 = (dt * b) as f32;
                    // div (f x) = D f.
                    step.log_det = (dimensions * dt * a) as f32;
                    step.log_det_1 = (dt * b) as f32;
                }
                Sampler::Ddim => {
                    step.out_x = scale as f32;
                    step.out_e1 = (alpha_next * h) as f32;
                    step.log_det = frame_log_det as f32;
                    step.log_det_1 = (alpha * h) as f32;
                }
                Sampler::Heun => {
                    step.eval2 = evaluation(u);
                    step.stage2 = 1;
                    step.stage2_x = scale as f32;
                    step.stage2_e1 = (alpha_next * h) as f32;
                    step.out_x = scale as f32;
                    step.out_e1 = (0.5 * alpha_next * h) as f32;
                    step.out_e2 = (0.5 * alpha_next * h) as f32;
                    step.log_det = frame_log_det as f32;
                    step.log_det_1 = (0.5 * alpha * h) as f32;
                    step.log_det_2 = (0.5 * alpha_next * h) as f32;
                }
                Sampler::Dpm2 | Sampler::DpmSolver2S => {
                    let m = midpoint_time(t, u);
                    let (alpha_mid, noise_mid) = (schedule.alpha(m), noise(m));
                    step.eval2 = evaluation(m);
                    step.stage2 = 1;
                    step.stage2_x = (alpha_mid / alpha) as f32;
                    step.stage2_e1 = (alpha_mid * (noise_mid - noise_now)) as f32;
                    step.out_x = scale as f32;
                    step.log_det = frame_log_det as f32;
                    if sampler == Sampler::Dpm2 {
                        step.out_e2 = (alpha_next * h) as f32;
                        step.log_det_2 = (alpha_mid * h) as f32;
                    } else {
                        // x_bar' = r x_bar - (r - 1) D(u), D(u) = u_bar - sigma_bar_mid e2, with
                        // u_bar = x_bar + (sigma_bar_mid - sigma_bar) e1 and r = sigma_bar' / sigma_bar.
                        let r = noise_next / noise_now;
                        step.out_e1 = (-alpha_next * (r - 1.0) * (noise_mid - noise_now)) as f32;
                        step.out_e2 = (alpha_next * (r - 1.0) * noise_mid) as f32;
                        step.log_det_2 = (r.ln() * noise_mid * alpha_mid) as f32;
                    }
                }
                _ => unreachable!("check_sampler admits only the samplers above"),
            }
            step
        })
        .collect();
    Ok(steps)
}

/// eps_hat and tr(d eps_hat / dx) at one evaluation.
pub struct DivergenceModel<'a> {
    source: Unguided<'a>,
    evaluation: Evaluation,
    space: Space,
    hidden_bias: [f32; HIDDEN],
}

impl<'a> DivergenceModel<'a> {
    /// Prepares eps_hat and its divergence at `evaluation`, in `space`.
    pub fn new(source: Unguided<'a>, evaluation: Evaluation, space: Space) -> DivergenceModel<'a> {
        let hidden_bias = match source {
            Unguided::Mlp(mlp) => mlp.hidden_bias(evaluation.t_net),
            Unguided::Exact(_) => [0.0; HIDDEN],
        };
        DivergenceModel { source, evaluation, space, hidden_bias }
    }

    /// (eps_hat(x), tr J(x)). For a network, eps_hat = a net(s x) + b s x, so J = s (a J_net +
    /// b I), with its denoised point kept in the data's disc as the samplers keep it
    /// (`denoised_bound::within_the_data_with_jacobian`), so the density is that of the flow they
    /// integrate; for the exact score eps_hat = -sigma grad ln p_t, tr J = -sigma div grad ln p_t.
    /// On the line ([`Space::Line`]) the y component and every y entry of J are dropped before
    /// the projection, so x stays on the axis and tr J is the x-x entry. Twin of
    /// `eps_hat_with_divergence` in the WGSL kernels (which integrate the plane).
    pub fn eps_and_divergence(&self, x: [f32; 2]) -> ([f32; 2], f32) {
        let e = &self.evaluation;
        let on_line = self.space == Space::Line;
        match self.source {
            Unguided::Mlp(mlp) => {
                let x_net = [x[0] * e.input_scale, x[1] * e.input_scale];
                let (out, jacobian) = mlp.forward_with_jacobian(x_net, &self.hidden_bias);
                let eps = [
                    e.eps_from_output * out[0] + e.eps_from_input * x_net[0],
                    e.eps_from_output * out[1] + e.eps_from_input * x_net[1],
                ];
                // d eps / dx = s (a J_net + b I).
                let scaled = |o: usize, i: usize| {
                    e.input_scale
                        * (e.eps_from_output * jacobian[o][i] + if o == i { e.eps_from_input } else { 0.0 })
                };
                let mut eps_jacobian = [[scaled(0, 0), scaled(0, 1)], [scaled(1, 0), scaled(1, 1)]];
                let mut eps = eps;
                if on_line {
                    eps[1] = 0.0;
                    eps_jacobian = [[eps_jacobian[0][0], 0.0], [0.0, 0.0]];
                }
                let (kept, kept_jacobian) =
                    within_the_data_with_jacobian(eps, eps_jacobian, x, e.alpha, e.sigma);
                // The projection's own y-y entry (radial, off the axis) is a direction the line has not.
                let divergence =
                    if on_line { kept_jacobian[0][0] } else { kept_jacobian[0][0] + kept_jacobian[1][1] };
                (kept, divergence)
            }
            Unguided::Exact(mixture) if on_line => {
                let (score, jacobian) = mixture.score_jacobian_noised(x, e.alpha, e.sigma);
                ([-e.sigma * score[0], 0.0], -e.sigma * jacobian[0][0])
            }
            Unguided::Exact(mixture) => {
                let (score, divergence) = mixture.score_divergence_noised(x, e.alpha, e.sigma);
                ([-e.sigma * score[0], -e.sigma * score[1]], -e.sigma * divergence)
            }
        }
    }
}

/// One step for one point: the CPU twin of the body of `shaders/likelihood_step_*.wgsl`.
/// Returns the new position and adds the step's log-determinant to `log_det`.
pub fn apply_step(
    first: &DivergenceModel,
    second: &DivergenceModel,
    step: &LikelihoodStep,
    x: [f32; 2],
    log_det: &mut f32,
) -> [f32; 2] {
    let (e1, d1) = first.eps_and_divergence(x);
    let (e2, d2) = if step.stage2 != 0 {
        second.eps_and_divergence([
            step.stage2_x * x[0] + step.stage2_e1 * e1[0],
            step.stage2_x * x[1] + step.stage2_e1 * e1[1],
        ])
    } else {
        ([0.0; 2], 0.0)
    };
    *log_det += step.log_det + step.log_det_1 * d1 + step.log_det_2 * d2;
    [
        step.out_x * x[0] + step.out_e1 * e1[0] + step.out_e2 * e2[0],
        step.out_x * x[1] + step.out_e1 * e1[1] + step.out_e2 * e2[1],
    ]
}

/// Runs `steps` (planned for `space`) on every point: returns the end points x_T and their
/// log-determinants integral div F dt (in f32, like the GPU). On the line a point's y is not read
/// (it starts, and stays, at 0).
pub fn run(
    source: Unguided,
    space: Space,
    steps: &[LikelihoodStep],
    points: &[[f32; 2]],
) -> (Vec<[f32; 2]>, Vec<f32>) {
    let mut positions: Vec<[f32; 2]> = match space {
        Space::Plane => points.to_vec(),
        Space::Line => points.iter().map(|p| [p[0], 0.0]).collect(),
    };
    let mut log_dets = vec![0.0f32; points.len()];
    for step in steps {
        let first = DivergenceModel::new(source, step.eval1, space);
        let second = DivergenceModel::new(source, step.eval2, space);
        for (x, log_det) in positions.iter_mut().zip(&mut log_dets) {
            *x = apply_step(&first, &second, step, *x, log_det);
        }
    }
    (positions, log_dets)
}

/// The density the ODE starts from at the noise end.
#[derive(Clone, Copy, Debug)]
pub enum Prior<'a> {
    /// N(0, sigma_T^2 I): the prior every reverse run of the playground starts from, so the
    /// likelihood is that of the generative model the samplers run.
    Gaussian,
    /// The mixture noised to T (exact p_T): isolates the solver's error from the prior mismatch.
    Exact(&'a GaussianMixture),
}

impl Prior<'_> {
    /// ln p_T(x) in `space`, in f64 (log space throughout, so a point far from the data stays
    /// finite).
    pub fn log_density(&self, schedule: Schedule, space: Space, t: f64, x: [f32; 2]) -> f64 {
        let x = [x[0] as f64, x[1] as f64];
        match self {
            Prior::Gaussian => space.log_gaussian(x, schedule.sigma(t).powi(2)),
            Prior::Exact(mixture) => {
                space.log_density_noised(mixture, x, schedule.alpha(t), schedule.sigma(t))
            }
        }
    }

    /// The identifier used in outputs.
    pub fn name(&self) -> &'static str {
        match self {
            Prior::Gaussian => "gaussian",
            Prior::Exact(_) => "exact",
        }
    }
}

/// The log-likelihood of one point and its parts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointLikelihood {
    /// ln p_t0(x) in nats: `log_prior + log_det`.
    pub log_p: f64,
    /// ln p_T(x_T) under the prior.
    pub log_prior: f64,
    /// integral div F dt along the path.
    pub log_det: f64,
    /// Where the point arrived at the noise end.
    pub end: [f32; 2],
}

/// A likelihood run: the schedule, the score's frame, the solver and its time grid.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LikelihoodSetup {
    /// The sampling schedule.
    pub schedule: Schedule,
    /// The frame of the score (the network's, or eps on `schedule` for the exact score).
    pub net: NetFrame,
    /// One of [`LIKELIHOOD_SAMPLERS`].
    pub sampler: Sampler,
    /// The spacing of the steps.
    pub grid: TimeGrid,
    /// Number of steps.
    pub steps: usize,
    /// The space of the data: the plane, or the line of 1-D data.
    pub space: Space,
}

impl LikelihoodSetup {
    /// The times of the run ([`times`]).
    pub fn times(&self) -> Vec<f64> {
        times(self.schedule, self.grid, self.steps)
    }

    /// The steps of the run ([`plan`]).
    pub fn plan(&self) -> Result<Vec<LikelihoodStep>, String> {
        plan(self.schedule, self.net, self.sampler, self.space, &self.times())
    }

    /// The time the densities are evaluated at (the data end of the run).
    pub fn data_time(&self) -> f64 {
        start_time(self.schedule)
    }

    /// ln p of every point under `source` with `prior`, on the CPU.
    pub fn log_likelihood(
        &self,
        source: Unguided,
        prior: Prior,
        points: &[[f32; 2]],
    ) -> Result<Vec<PointLikelihood>, String> {
        let steps = self.plan()?;
        let (ends, log_dets) = run(source, self.space, &steps, points);
        Ok(self.assemble(prior, &ends, &log_dets))
    }

    /// Combines end points and log-determinants (from [`run`] or the GPU) with the prior.
    pub fn assemble(&self, prior: Prior, ends: &[[f32; 2]], log_dets: &[f32]) -> Vec<PointLikelihood> {
        let t_end = self.schedule.t_max();
        ends.iter()
            .zip(log_dets)
            .map(|(&end, &log_det)| {
                let log_prior = prior.log_density(self.schedule, self.space, t_end, end);
                let log_det = log_det as f64;
                PointLikelihood { log_p: log_prior + log_det, log_prior, log_det, end }
            })
            .collect()
    }

    /// The exact ln p_t0 of every point under `mixture` at the run's data end, in the run's space.
    pub fn exact_log_density(&self, mixture: &GaussianMixture, points: &[[f32; 2]]) -> Vec<f64> {
        let t = self.data_time();
        let (alpha, sigma) = (self.schedule.alpha(t), self.schedule.sigma(t));
        let at = |p: &[f32; 2]| [p[0] as f64, p[1] as f64];
        points.iter().map(|p| self.space.log_density_noised(mixture, at(p), alpha, sigma)).collect()
    }
}

/// The MLP's hidden biases of every evaluation of `steps`: rows 2i and 2i + 1 belong to the two
/// evaluations of step i (twin of what the GPU reads, like `sampler::hidden_biases`).
pub fn hidden_biases(mlp: &crate::core::mlp::Mlp, steps: &[LikelihoodStep]) -> Vec<f32> {
    sampler::hidden_bias_rows(mlp, steps.iter().map(|s| [s.eval1, s.eval2]))
}
