//! Reverse-time samplers, all written as one per-step update that is linear in what it combines.
//!
//! A step from t_i to t_{i+1} < t_i evaluates the noise prediction eps_hat (the network's, or the
//! exact one; grad log p_t(x) = -eps_hat / sigma_t, by Tweedie's formula) once or twice and combines:
//!
//! ```text
//! x^  = x + pre_noise z0                                    (EDM "churn"; 0 for most samplers)
//! e1  = eps_hat(x^, eval1)
//! x'  = stage2_x x^ + stage2_e1 e1 + stage2_noise z1,  e2 = eps_hat(x', eval2)   (second stage)
//! x  <- out_x x^ + out_e1 e1 + out_e2 e2 + sum_k out_hist[k] h[k] + out_stage2_noise z1 + out_noise z
//! h  <- [hist_x x^ + hist_e1 e1, h[0], h[1]]                 (what a multistep method keeps)
//! ```
//!
//! with z0, z1, z ~ N(0, I) from the counter-based RNG (z1 is the Brownian increment to the second
//! stage of an SDE solver, z the rest of the step's increment). The history holds the x0-hat or
//! eps of the last [`HISTORY_SLOTS`] steps, newest first, so multistep methods up to order 4 are
//! one more choice of coefficients. Every sampler of [`plans`] is a choice of these
//! coefficients, computed once per step in f64 on the CPU ([`plan`]) and used unchanged by the CPU
//! path ([`run`]) and the GPU kernels (`shaders/reverse_step_*.wgsl`, twin of [`apply_step`]), so
//! both integrate exactly the same map.

mod multistep;
mod plans;
mod score;
mod threads;

use plans::StepCoefficients;
pub use plans::{evaluation, plan, SamplerSettings, DEFAULT_ORDER, MAX_CHURN_NOISE};
pub use score::{
    classifier_free, classifier_free_hidden_biases, hidden_bias_rows, hidden_biases, EvaluationModel,
    ScoreSource, StepModels, Unguided,
};
pub use threads::{available_threads, run_threaded};

/// How many previous steps the multistep history holds (LMS and iPNDM of order 4 need three).
pub const HISTORY_SLOTS: usize = 3;

/// One particle's multistep history, newest first (zero at the start of a run).
pub type History = [[f32; 2]; HISTORY_SLOTS];

/// The history of `n` particles at the start of a run.
pub fn empty_history(n: usize) -> Vec<History> {
    vec![[[0.0; 2]; HISTORY_SLOTS]; n]
}

use serde::{Deserialize, Serialize};
use strum::{IntoStaticStr, VariantArray};

use crate::core::mlp::BATCH;
use crate::core::names;
use crate::core::param::{self, Coefficients, Parametrization};
use crate::core::rng;
use crate::core::schedule::Schedule;
use crate::core::weights::TrainedNet;

/// A reverse-time integrator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum Sampler {
    /// Euler-Maruyama on the reverse SDE, with a stochasticity dial (Song et al. 2021, eq. 6;
    /// Anderson 1982).
    EulerMaruyama,
    /// Euler on the probability-flow ODE (Song et al. 2021, eq. 13).
    ProbabilityFlowEuler,
    /// Heun's second-order method on the probability-flow ODE (Karras et al. 2022, Alg. 1 and 2).
    Heun,
    /// DDIM with eta (Song, Meng and Ermon 2021, eq. 12).
    Ddim,
    /// DDPM ancestral sampling from the posterior q(x_s | x_t, x0_hat) (Ho et al. 2020, eqs. 6-7).
    DdpmAncestral,
    /// DPM-Solver++(2S), single-step second order in log-SNR (Lu et al. 2022, Alg. 1).
    #[serde(rename = "dpm_solver_2s")]
    #[strum(serialize = "dpm_solver_2s")]
    DpmSolver2S,
    /// DPM-Solver++(2M), multistep second order in log-SNR (Lu et al. 2022, Alg. 2).
    #[serde(rename = "dpm_solver_2m")]
    #[strum(serialize = "dpm_solver_2m")]
    DpmSolver2M,
    /// Euler ancestral (k-diffusion's `sample_euler_ancestral`; Karras et al. 2022's Euler step
    /// to sigma_down, then fresh noise sigma_up, with eta).
    EulerAncestral,
    /// DPM-2, Karras et al. 2022's second-order variant of DPM-Solver (k-diffusion's
    /// `sample_dpm_2`): an Euler half step to the geometric midpoint of sigma, then the full step
    /// with the midpoint's derivative.
    #[serde(rename = "dpm_2")]
    #[strum(serialize = "dpm_2")]
    Dpm2,
    /// DPM-2 ancestral (k-diffusion's `sample_dpm_2_ancestral`): DPM-2 to sigma_down, then fresh
    /// noise sigma_up, with eta.
    #[serde(rename = "dpm_2_ancestral")]
    #[strum(serialize = "dpm_2_ancestral")]
    Dpm2Ancestral,
    /// DPM-Solver++(2S) ancestral (k-diffusion's `sample_dpm_2s_ancestral`; Lu et al. 2022):
    /// the data-prediction 2S step to sigma_down, then fresh noise sigma_up, with eta.
    #[serde(rename = "dpm_solver_2s_ancestral")]
    #[strum(serialize = "dpm_solver_2s_ancestral")]
    DpmSolver2SAncestral,
    /// Linear multistep of order 4 (k-diffusion's `sample_lms`): x~ moves by the integral over
    /// sigma~ of the Lagrange polynomial through the last four eps_hat.
    Lms,
    /// Improved PNDM of order 4 (Zhang and Chen 2023, "Fast Sampling of Diffusion Models with
    /// Exponential Integrator", app. on iPNDM; k-diffusion's `sample_ipndm`): Adams-Bashforth
    /// with fixed coefficients in sigma~.
    Ipndm,
    /// DEIS (Zhang and Chen 2023, tAB-DEIS; diffusers' `DEISMultistepScheduler`): the exponential
    /// integrator with eps_hat interpolated by a Lagrange polynomial in log sigma~, order 2 or 3.
    Deis,
    /// UniPC with B(h) = e^h - 1 (Zhao et al. 2023, "UniPC: A Unified Predictor-Corrector
    /// Framework", variant bh2; diffusers' `UniPCMultistepScheduler`), order 2 or 3.
    #[serde(rename = "unipc")]
    #[strum(serialize = "unipc")]
    UniPc,
    /// UniPC with B(h) = h (Zhao et al. 2023, variant bh1).
    #[serde(rename = "unipc_bh1")]
    #[strum(serialize = "unipc_bh1")]
    UniPcBh1,
    /// DPM-Solver++ SDE (k-diffusion's `sample_dpmpp_sde`; Lu et al. 2022): the 2S step with
    /// ancestral noise at both stages, the two increments of one Brownian path, with eta.
    #[serde(rename = "dpm_solver_sde")]
    #[strum(serialize = "dpm_solver_sde")]
    DpmSolverSde,
    /// DPM-Solver++(2M) SDE with the midpoint correction (k-diffusion's `sample_dpmpp_2m_sde`;
    /// Lu et al. 2022), with eta.
    #[serde(rename = "dpm_solver_2m_sde")]
    #[strum(serialize = "dpm_solver_2m_sde")]
    DpmSolver2MSde,
    /// DPM-Solver++(2M) SDE with the Heun correction (k-diffusion's `solver_type='heun'`).
    #[serde(rename = "dpm_solver_2m_sde_heun")]
    #[strum(serialize = "dpm_solver_2m_sde_heun")]
    DpmSolver2MSdeHeun,
    /// DPM-Solver++(3M) SDE (k-diffusion's `sample_dpmpp_3m_sde`; Lu et al. 2022), with eta.
    #[serde(rename = "dpm_solver_3m_sde")]
    #[strum(serialize = "dpm_solver_3m_sde")]
    DpmSolver3MSde,
}

impl Sampler {
    /// Every sampler, in the order the UI lists them (declaration order).
    pub const ALL: [Sampler; 20] = names::all(Sampler::VARIANTS);

    /// The identifier used in options and share links.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The sampler's row of the table: its label, the knobs it reads and the function that
    /// writes its steps' coefficients (`plans`, `multistep`). A new sampler is a variant, its
    /// row here and its coefficients, with the formula in their doc comment.
    fn row(self) -> SamplerRow {
        use Knob::{Churn, Eta, Order, SNoise};
        let (label, knobs, coefficients): (&'static str, &'static [Knob], StepCoefficients) = match self {
            Sampler::EulerMaruyama => ("Reverse SDE (Euler-Maruyama)", &[Eta], plans::euler_maruyama),
            Sampler::ProbabilityFlowEuler => {
                ("Probability-flow ODE (Euler)", &[], plans::probability_flow_euler)
            }
            Sampler::Heun => ("Probability-flow ODE (Heun, EDM)", &[Churn], plans::heun),
            Sampler::Ddim => ("DDIM", &[Eta], plans::ddim),
            Sampler::DdpmAncestral => ("DDPM ancestral", &[], plans::ddpm_ancestral),
            Sampler::DpmSolver2S => ("DPM-Solver++ (2S)", &[], plans::dpm_solver_2s),
            Sampler::DpmSolver2M => ("DPM-Solver++ (2M)", &[], plans::dpm_solver_2m),
            Sampler::EulerAncestral => ("Euler ancestral", &[Eta, SNoise], plans::euler_ancestral),
            Sampler::Dpm2 => ("DPM-2 (Karras)", &[], plans::dpm_2),
            Sampler::Dpm2Ancestral => ("DPM-2 ancestral", &[Eta, SNoise], plans::dpm_2_ancestral),
            Sampler::DpmSolver2SAncestral => {
                ("DPM-Solver++ (2S) ancestral", &[Eta, SNoise], plans::dpm_solver_2s_ancestral)
            }
            Sampler::Lms => ("LMS (order 4)", &[], multistep::lms),
            Sampler::Ipndm => ("iPNDM (order 4)", &[], multistep::ipndm),
            Sampler::Deis => ("DEIS", &[Order], multistep::deis),
            Sampler::UniPc => ("UniPC (bh2)", &[Order], multistep::unipc),
            Sampler::UniPcBh1 => ("UniPC (bh1)", &[Order], multistep::unipc_bh1),
            Sampler::DpmSolverSde => ("DPM-Solver++ SDE", &[Eta, SNoise], plans::dpm_solver_sde),
            Sampler::DpmSolver2MSde => {
                ("DPM-Solver++ (2M) SDE", &[Eta, SNoise], multistep::dpm_solver_2m_sde)
            }
            Sampler::DpmSolver2MSdeHeun => {
                ("DPM-Solver++ (2M) SDE, Heun", &[Eta, SNoise], multistep::dpm_solver_2m_sde_heun)
            }
            Sampler::DpmSolver3MSde => {
                ("DPM-Solver++ (3M) SDE", &[Eta, SNoise], multistep::dpm_solver_3m_sde)
            }
        };
        SamplerRow { label, knobs, coefficients }
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        self.row().label
    }

    /// Parses [`Sampler::name`].
    pub fn from_name(name: &str) -> Option<Sampler> {
        names::from_name(name)
    }

    /// Network evaluations per step (before a run's last step, which the second-order methods
    /// take as one Euler evaluation into sigma = 0), read from the first step of a two-step plan
    /// on VP linear, so a new sampler needs no entry here.
    pub fn evaluations_per_step(self) -> usize {
        let schedule = Schedule::VpLinear;
        let times = [schedule.t_max(), 0.5 * (schedule.t_max() + schedule.t_min()), schedule.t_min()];
        plan(schedule, NetFrame::eps(schedule), &SamplerSettings::new(self), &times)[0].evaluations()
    }

    /// Whether the sampler's stochasticity eta is a knob of it (the options' `eta`): the
    /// reverse-SDE dial, DDIM's eta and the k-diffusion family's.
    pub fn uses_eta(self) -> bool {
        self.row().knobs.contains(&Knob::Eta)
    }

    /// Whether EDM's S_churn is a knob of it (the options' `churn`).
    pub fn uses_churn(self) -> bool {
        self.row().knobs.contains(&Knob::Churn)
    }

    /// Whether k-diffusion's `s_noise`, the factor on the fresh noise of each step, is a knob of
    /// it (the options' `s_noise`).
    pub fn uses_s_noise(self) -> bool {
        self.row().knobs.contains(&Knob::SNoise)
    }

    /// Whether the solver order is a knob of it (the options' `order`, 2 or 3).
    pub fn uses_order(self) -> bool {
        self.row().knobs.contains(&Knob::Order)
    }
}

/// A knob of [`SamplerSettings`] that a sampler reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Knob {
    /// `eta`, the stochasticity.
    Eta,
    /// `churn` with `s_tmin` and `s_tmax`.
    Churn,
    /// `s_noise`, the factor on fresh noise.
    SNoise,
    /// `order`, the solver order.
    Order,
}

/// A sampler's row of the table ([`Sampler::row`]).
struct SamplerRow {
    /// Human label for the UI.
    label: &'static str,
    /// The knobs it reads.
    knobs: &'static [Knob],
    /// Writes one step's coefficients.
    coefficients: StepCoefficients,
}

/// Where one noise prediction is evaluated (24 bytes, the layout of `Evaluation` in
/// `shaders/common/evaluation.wgsl`; checked by `tests/it/gpu_layout.rs`).
///
/// A network sees x_net = input_scale x at t_net and predicts in its own parametrization; its
/// prediction becomes eps_hat = eps_from_output net(x_net) + eps_from_input x_net
/// (`param::eps_affine` in the network's schedule at t_net; eps is the same in every schedule of
/// equal log-SNR, so no further conversion is needed).
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable, Serialize, Deserialize,
)]
pub struct Evaluation {
    /// Time fed to the network (in the schedule it was trained with).
    pub t_net: f32,
    /// Factor applied to x before it enters the network (1 unless the network was trained with
    /// another schedule; see `Schedule::equivalent_input`).
    pub input_scale: f32,
    /// alpha of the sampling schedule at this evaluation.
    pub alpha: f32,
    /// sigma of the sampling schedule at this evaluation.
    pub sigma: f32,
    /// Coefficient of the network's output in eps_hat (1 for an eps network).
    pub eps_from_output: f32,
    /// Coefficient of the network's input x_net in eps_hat (0 for an eps network).
    pub eps_from_input: f32,
}

/// The schedule a network was trained with and what it predicts: the frame its inputs and
/// outputs live in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NetFrame {
    /// The training schedule (times are mapped to it through the log-SNR).
    pub schedule: Schedule,
    /// What the network predicts.
    pub parametrization: Parametrization,
}

impl NetFrame {
    /// An eps-predicting network trained with `schedule` (also the frame of the exact score).
    pub fn eps(schedule: Schedule) -> NetFrame {
        NetFrame { schedule, parametrization: Parametrization::Eps }
    }

    /// The frame of a trained network.
    pub fn of(net: &TrainedNet) -> NetFrame {
        NetFrame { schedule: net.schedule, parametrization: net.parametrization }
    }
}

/// One step of a reverse run, as the GPU reads it (112 bytes, the layout of `ReverseStep` in
/// `shaders/common/reverse_step.wgsl`; checked by `tests/it/gpu_layout.rs`). See the module docs for
/// the meaning.
#[repr(C)]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable, Serialize, Deserialize,
)]
pub struct ReverseStep {
    /// First noise prediction.
    pub eval1: Evaluation,
    /// Second noise prediction (used when `stage2` is 1).
    pub eval2: Evaluation,
    /// Coefficient of the churn noise z0 added before the first evaluation.
    pub pre_noise: f32,
    /// Coefficient of x^ in the second-stage point x'.
    pub stage2_x: f32,
    /// Coefficient of e1 in x'.
    pub stage2_e1: f32,
    /// 1 when the step evaluates a second time, else 0.
    pub stage2: u32,
    /// Coefficient of the fresh normal z1 in x' (the Brownian increment to the second stage).
    pub stage2_noise: f32,
    /// Output coefficient of x^.
    pub out_x: f32,
    /// Output coefficient of e1.
    pub out_e1: f32,
    /// Output coefficient of e2.
    pub out_e2: f32,
    /// Output coefficients of the history slots h[0] (the previous step), h[1] and h[2].
    pub out_hist: [f32; HISTORY_SLOTS],
    /// Output coefficient of the fresh normal z.
    pub out_noise: f32,
    /// Output coefficient of z1 (nonzero only where the second stage drew it).
    pub out_stage2_noise: f32,
    /// New history: coefficient of x^.
    pub hist_x: f32,
    /// New history: coefficient of e1.
    pub hist_e1: f32,
    /// Index of the step in its run: the `step` of the RNG keys of z0 and z.
    pub index: u32,
}

impl ReverseStep {
    /// Network evaluations this step makes (1 or 2).
    pub fn evaluations(&self) -> usize {
        1 + self.stage2 as usize
    }

    /// Whether the step draws no noise at all (no churn, no Brownian increment): a step of an
    /// ODE solver, whose path is a function of where it starts.
    pub fn is_deterministic(&self) -> bool {
        self.pre_noise == 0.0 && self.out_noise == 0.0 && !self.draws_stage2_noise()
    }

    /// Whether the step draws z1 (the second stage's Brownian increment).
    fn draws_stage2_noise(&self) -> bool {
        self.stage2_noise != 0.0 || self.out_stage2_noise != 0.0
    }
}

fn combine(a: f32, x: [f32; 2], b: f32, y: [f32; 2]) -> [f32; 2] {
    [a * x[0] + b * y[0], a * x[1] + b * y[1]]
}

/// x^ = x + pre_noise z0 (the churn of EDM's stochastic sampler).
fn churned(step: &ReverseStep, x: [f32; 2], seed: u32, particle: u32) -> [f32; 2] {
    if step.pre_noise == 0.0 {
        return x;
    }
    let z0 = rng::normal2(seed, particle, step.index, rng::stream::CHURN);
    combine(1.0, x, step.pre_noise, z0)
}

/// z1, the second stage's Brownian increment (zero where the step draws none).
fn stage2_normal(step: &ReverseStep, seed: u32, particle: u32) -> [f32; 2] {
    if step.draws_stage2_noise() {
        rng::normal2(seed, particle, step.index, rng::stream::STAGE2)
    } else {
        [0.0, 0.0]
    }
}

/// The second-stage point x' = stage2_x x^ + stage2_e1 e1 + stage2_noise z1.
fn stage2_point(step: &ReverseStep, x: [f32; 2], e1: [f32; 2], z1: [f32; 2]) -> [f32; 2] {
    let p = combine(step.stage2_x, x, step.stage2_e1, e1);
    if step.stage2_noise == 0.0 {
        return p;
    }
    combine(1.0, p, step.stage2_noise, z1)
}

/// The output and history of a step from x^, e1, e2 and z1; twin of `finish_step` in the WGSL.
#[allow(clippy::too_many_arguments)]
pub fn finish_step(
    step: &ReverseStep,
    x: [f32; 2],
    e1: [f32; 2],
    e2: [f32; 2],
    z1: [f32; 2],
    history: &History,
    seed: u32,
    particle: u32,
) -> ([f32; 2], History) {
    let z = if step.out_noise != 0.0 {
        rng::normal2(seed, particle, step.index, rng::stream::REVERSE)
    } else {
        [0.0, 0.0]
    };
    let out = std::array::from_fn(|d| {
        step.out_x * x[d]
            + step.out_e1 * e1[d]
            + step.out_e2 * e2[d]
            + step.out_hist[0] * history[0][d]
            + step.out_hist[1] * history[1][d]
            + step.out_hist[2] * history[2][d]
            + step.out_stage2_noise * z1[d]
            + step.out_noise * z[d]
    });
    (out, [combine(step.hist_x, x, step.hist_e1, e1), history[0], history[1]])
}

/// One step for one particle: the CPU twin of the body of `shaders/reverse_step_*.wgsl`.
/// Returns the new position and history.
pub fn apply_step(
    models: &StepModels,
    step: &ReverseStep,
    x: [f32; 2],
    history: &History,
    seed: u32,
    particle: u32,
) -> ([f32; 2], History) {
    let x = churned(step, x, seed, particle);
    let e1 = models.first.eps_hat(x);
    let z1 = stage2_normal(step, seed, particle);
    let e2 = if step.stage2 != 0 { models.second.eps_hat(stage2_point(step, x, e1, z1)) } else { [0.0, 0.0] };
    finish_step(step, x, e1, e2, z1, history, seed, particle)
}

/// Runs a whole plan from its start: [`run`] with an [`empty_history`].
pub fn run_from_start(
    source: ScoreSource,
    steps: &[ReverseStep],
    particles: &mut [[f32; 2]],
    seed: u32,
    first_particle: u32,
) {
    let mut history = empty_history(particles.len());
    run(source, steps, particles, &mut history, seed, first_particle);
}

/// Applies `steps` to every particle (`particles[i]` is particle `first_particle + i`, with
/// multistep history `history[i]`, [`empty_history`] at the start of a run).
///
/// Particles go through the network [`BATCH`] at a time: bit-identical to one at a time, but
/// vectorised.
pub fn run(
    source: ScoreSource,
    steps: &[ReverseStep],
    particles: &mut [[f32; 2]],
    history: &mut [History],
    seed: u32,
    first_particle: u32,
) {
    assert_eq!(particles.len(), history.len(), "one history entry per particle");
    for step in steps {
        let models = StepModels::new(source, step);
        let batches = particles.chunks_exact_mut(BATCH).zip(history.chunks_exact_mut(BATCH));
        let mut done = 0;
        for (c, (xs, hs)) in batches.enumerate() {
            let first = first_particle + (c * BATCH) as u32;
            let xs: &mut [[f32; 2]; BATCH] = xs.try_into().expect("chunks_exact gives BATCH items");
            let x_hat: [[f32; 2]; BATCH] =
                std::array::from_fn(|p| churned(step, xs[p], seed, first + p as u32));
            let e1 = models.first.eps_hat_batch(&x_hat);
            let z1: [[f32; 2]; BATCH] = std::array::from_fn(|p| stage2_normal(step, seed, first + p as u32));
            let e2 = if step.stage2 != 0 {
                let x2 = std::array::from_fn(|p| stage2_point(step, x_hat[p], e1[p], z1[p]));
                models.second.eps_hat_batch(&x2)
            } else {
                [[0.0; 2]; BATCH]
            };
            for p in 0..BATCH {
                (xs[p], hs[p]) =
                    finish_step(step, x_hat[p], e1[p], e2[p], z1[p], &hs[p], seed, first + p as u32);
            }
            done += BATCH;
        }
        for i in done..particles.len() {
            (particles[i], history[i]) =
                apply_step(&models, step, particles[i], &history[i], seed, first_particle + i as u32);
        }
    }
}

/// The prediction of `source` at every point at time `t` of `schedule`, in the parametrization
/// `target` (the x0-hat "ghost" of each particle by Tweedie's formula, its score, its velocity or
/// its eps): eps_hat at `evaluation` (see [`evaluation`]) converted by `param::convert` with the
/// sampling schedule's `coefficients` at t. Twin of `shaders/predict_*.wgsl`.
pub fn predict(
    source: ScoreSource,
    evaluation: Evaluation,
    coefficients: &Coefficients,
    target: Parametrization,
    points: &[[f32; 2]],
) -> Vec<[f32; 2]> {
    let model = EvaluationModel::new(source, evaluation);
    points
        .iter()
        .map(|&x| param::convert(model.eps_hat(x), Parametrization::Eps, target, x, coefficients))
        .collect()
}

/// Initial particles of a reverse run: x_T = sigma(t_start) z with z from the PRIOR stream
/// (the forward marginal at t_start with the small alpha(t_start) x_0 term dropped).
/// Twin of `shaders/forward_noise.wgsl` with alpha = 0.
pub fn prior(schedule: Schedule, t_start: f64, seed: u32, n: usize) -> Vec<[f32; 2]> {
    prior_at_temperature(schedule, t_start, 1.0, seed, n)
}

/// [`prior`] with its spread scaled by `temperature`: x_T = (temperature sigma(t_start)) z, the
/// product taken in f64 and rounded once, as the GPU path passes it to `forward_noise.wgsl`.
pub fn prior_at_temperature(
    schedule: Schedule,
    t_start: f64,
    temperature: f64,
    seed: u32,
    n: usize,
) -> Vec<[f32; 2]> {
    let sigma = (temperature * schedule.sigma(t_start)) as f32;
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
