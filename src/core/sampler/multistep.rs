//! The multistep samplers: coefficients that combine the current evaluation with those of up to
//! [`HISTORY_SLOTS`] previous steps, kept per particle in the history (see the module docs of
//! [`super`]). Each method keeps one kind of value: eps_hat (LMS, iPNDM, DEIS) or the data
//! prediction x0_hat = (x - sigma eps_hat) / alpha (UniPC, the DPM-Solver++ multistep family).
//!
//! Notation as in `plans`: a step from t to s < t; sigma~ = sigma / alpha (the noise level of the
//! scaled variable x~ = x / alpha in which k-diffusion writes its samplers, x~ = x0 + sigma~ eps)
//! and lambda = log(alpha / sigma) = -log sigma~; m_k and eps_k are the values of the step k back
//! (k = 0: this step's, evaluated at its start x).

use std::ops::{Add, Mul, Sub};

use super::plans::{denoise_to_data, lambda, scaled_sigma, StepContext};
use super::{ReverseStep, HISTORY_SLOTS};
use crate::core::schedule::Schedule;

/// A linear combination of what a step's output combines (x^, e1, e2, the history slots and the
/// two fresh normals of the module docs of [`super`]), with f64 coefficients.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Combination {
    x: f64,
    e1: f64,
    e2: f64,
    hist: [f64; HISTORY_SLOTS],
    noise: f64,
}

impl Combination {
    /// `c` x^.
    pub(super) fn x(c: f64) -> Combination {
        Combination { x: c, ..Default::default() }
    }

    /// `c` e1.
    fn e1(c: f64) -> Combination {
        Combination { e1: c, ..Default::default() }
    }

    /// History slot `slot`.
    fn slot(slot: usize) -> Combination {
        let mut hist = [0.0; HISTORY_SLOTS];
        hist[slot] = 1.0;
        Combination { hist, ..Default::default() }
    }

    /// `c` z, the step's fresh normal.
    fn noise(c: f64) -> Combination {
        Combination { noise: c, ..Default::default() }
    }

    /// Makes this the step's output (the stage-2 terms stay as they are).
    pub(super) fn write_output(&self, step: &mut ReverseStep) {
        step.out_x = self.x as f32;
        step.out_e1 = self.e1 as f32;
        step.out_e2 = self.e2 as f32;
        step.out_hist = self.hist.map(|c| c as f32);
        step.out_noise = self.noise as f32;
    }
}

impl Add for Combination {
    type Output = Combination;
    fn add(self, o: Combination) -> Combination {
        Combination {
            x: self.x + o.x,
            e1: self.e1 + o.e1,
            e2: self.e2 + o.e2,
            hist: std::array::from_fn(|k| self.hist[k] + o.hist[k]),
            noise: self.noise + o.noise,
        }
    }
}

impl Mul<f64> for Combination {
    type Output = Combination;
    fn mul(self, c: f64) -> Combination {
        Combination {
            x: self.x * c,
            e1: self.e1 * c,
            e2: self.e2 * c,
            hist: self.hist.map(|h| h * c),
            noise: self.noise * c,
        }
    }
}

impl Sub for Combination {
    type Output = Combination;
    fn sub(self, o: Combination) -> Combination {
        self + o * -1.0
    }
}

/// Step `index` of a run over `times` (decreasing), with what the history holds at its start.
pub(super) struct Multistep<'a> {
    /// The sampling schedule.
    pub schedule: Schedule,
    /// Every time of the run.
    pub times: &'a [f64],
    /// The step's index.
    pub index: usize,
}

impl Multistep<'_> {
    /// The step's start time.
    pub fn t(&self) -> f64 {
        self.times[self.index]
    }

    /// The step's end time.
    pub fn s(&self) -> f64 {
        self.times[self.index + 1]
    }

    /// Steps in the run.
    pub fn steps(&self) -> usize {
        self.times.len() - 1
    }

    /// Evaluations available to this step: its own and those of the previous steps the history
    /// holds.
    fn available(&self) -> usize {
        (self.index + 1).min(HISTORY_SLOTS + 1)
    }

    /// The time of the evaluation `back` steps ago (0: this step's start).
    fn past(&self, back: usize) -> f64 {
        self.times[self.index - back]
    }

    /// lambda_s - lambda_t of this step (`back` = 0) or of the step `back` steps ago.
    pub fn h(&self, back: usize) -> f64 {
        let (from, to) = (self.index - back, self.index - back + 1);
        lambda(self.schedule, self.times[to]) - lambda(self.schedule, self.times[from])
    }

    /// [`Multistep::h`] of the step `back` >= 1 steps ago, if the run has had it.
    pub fn previous_h(&self, back: usize) -> Option<f64> {
        (back <= self.index).then(|| self.h(back))
    }

    /// The history keeps x0_hat = (x^ - sigma_t e1) / alpha_t.
    pub fn keep_denoised(&self, step: &mut ReverseStep) {
        let (alpha, sigma) = (self.schedule.alpha(self.t()), self.schedule.sigma(self.t()));
        step.hist_x = (1.0 / alpha) as f32;
        step.hist_e1 = (-sigma / alpha) as f32;
    }

    /// The history keeps eps_hat.
    fn keep_eps(&self, step: &mut ReverseStep) {
        step.hist_e1 = 1.0;
    }

    /// m_back, for a method that keeps x0_hat.
    pub fn denoised(&self, back: usize) -> Combination {
        if back == 0 {
            let (alpha, sigma) = (self.schedule.alpha(self.t()), self.schedule.sigma(self.t()));
            Combination::x(1.0 / alpha) + Combination::e1(-sigma / alpha)
        } else {
            Combination::slot(back - 1)
        }
    }

    /// eps_back, for a method that keeps eps_hat.
    fn eps(&self, back: usize) -> Combination {
        if back == 0 {
            Combination::e1(1.0)
        } else {
            Combination::slot(back - 1)
        }
    }

    /// alpha_s / alpha_t x^ + alpha_s * `moves`: the output of a step that moves x~ by `moves`.
    fn scaled_move(&self, moves: Combination) -> Combination {
        let (alpha_t, alpha_s) = (self.schedule.alpha(self.t()), self.schedule.alpha(self.s()));
        (Combination::x(1.0 / alpha_t) + moves) * alpha_s
    }
}

/// The order of LMS and iPNDM (k-diffusion's default for both).
const LINEAR_MULTISTEP_ORDER: usize = 4;

/// Largest sum of the absolute weights of a linear multistep step (LMS, DEIS), as a multiple of
/// the step's length, that a step takes. Adams-Bashforth of order 4 on equal steps has
/// (55 + 59 + 37 + 9) / 24 = 6.7 (Hairer, Norsett and Wanner, "Solving Ordinary Differential
/// Equations I", sec. III.1); far larger gains come from levels crowded much closer together than
/// the step (the polyexponential grid's last steps, whose levels differ in the twelfth digit, then
/// the step into sigma = 0), where the Lagrange weights amplify rounding into the particles, so
/// such a step takes the highest order within this bound.
const MAX_MULTISTEP_GAIN: f64 = 16.0;

/// Of the weights of each order, highest order first, the first whose absolute sum stays within
/// [`MAX_MULTISTEP_GAIN`] times the step's length `span`; first order (gain 1) where none does.
fn highest_order_within_gain(weights_by_order: impl Iterator<Item = Vec<f64>>, span: f64) -> Vec<f64> {
    weights_by_order
        .into_iter()
        .find(|w| {
            let gain: f64 = w.iter().map(|c| c.abs()).sum();
            w.len() == 1 || (gain.is_finite() && gain <= MAX_MULTISTEP_GAIN * span.abs())
        })
        .unwrap_or_else(|| vec![span])
}

/// Nodes and weights of 4-point Gauss-Legendre quadrature on [-1, 1] (exact for polynomials of
/// degree 7, so for every Lagrange basis polynomial of LMS, of degree 3 at most).
const GAUSS_LEGENDRE_4: [(f64, f64); 4] = [
    (-0.861_136_311_594_052_6, 0.347_854_845_137_453_9),
    (-0.339_981_043_584_856_3, 0.652_145_154_862_546_1),
    (0.339_981_043_584_856_3, 0.652_145_154_862_546_1),
    (0.861_136_311_594_052_6, 0.347_854_845_137_453_9),
];

/// The Lagrange basis polynomial of node `j` over `nodes`, at `x`.
fn lagrange_basis(nodes: &[f64], j: usize, x: f64) -> f64 {
    nodes
        .iter()
        .enumerate()
        .filter(|&(k, _)| k != j)
        .map(|(_, &node)| (x - node) / (nodes[j] - node))
        .product()
}

/// The integral from `a` to `b` of the Lagrange basis polynomial of node `j` (exact).
fn lagrange_integral(nodes: &[f64], j: usize, a: f64, b: f64) -> f64 {
    let (mid, half) = (0.5 * (a + b), 0.5 * (b - a));
    GAUSS_LEGENDRE_4.iter().map(|&(u, w)| w * lagrange_basis(nodes, j, mid + half * u)).sum::<f64>() * half
}

/// LMS of order 4 (k-diffusion's `sample_lms`, after `linear_multistep_coeff`): in x~, with
/// eps_k the derivative dx~/dsigma~ at sigma~_k,
/// x~_s = x~_t + sum_j eps_j int_{sigma~_t}^{sigma~_s} l_j(tau) dtau, l_j the Lagrange basis over
/// the last `order` = min(steps so far + 1, 4) levels sigma~_k, lowered where the weights would
/// exceed [`MAX_MULTISTEP_GAIN`]. The history keeps eps_hat.
pub(super) fn lms(step: &mut ReverseStep, cx: &StepContext) {
    let run = &cx.run;
    run.keep_eps(step);
    let nodes: Vec<f64> = (0..run.available().min(LINEAR_MULTISTEP_ORDER))
        .map(|k| scaled_sigma(run.schedule, run.past(k)))
        .collect();
    let (from, to) = (nodes[0], scaled_sigma(run.schedule, run.s()));
    let weights = highest_order_within_gain(
        (1..=nodes.len()).rev().map(|order| {
            (0..order).map(|j| lagrange_integral(&nodes[..order], j, from, to)).collect::<Vec<f64>>()
        }),
        to - from,
    );
    let moves =
        weights.iter().enumerate().map(|(j, &w)| run.eps(j) * w).fold(Combination::default(), Add::add);
    run.scaled_move(moves).write_output(step);
}

/// The Adams-Bashforth coefficients of iPNDM by order (k-diffusion's `sample_ipndm`), newest
/// evaluation first.
const IPNDM_COEFFICIENTS: [&[f64]; LINEAR_MULTISTEP_ORDER] = [
    &[1.0],
    &[3.0 / 2.0, -1.0 / 2.0],
    &[23.0 / 12.0, -16.0 / 12.0, 5.0 / 12.0],
    &[55.0 / 24.0, -59.0 / 24.0, 37.0 / 24.0, -9.0 / 24.0],
];

/// iPNDM (k-diffusion's `sample_ipndm`, max_order 4): x~_s = x~_t + (sigma~_s - sigma~_t) sum_j
/// c_j eps_j with the fixed Adams-Bashforth coefficients of the available order. The history
/// keeps eps_hat.
pub(super) fn ipndm(step: &mut ReverseStep, cx: &StepContext) {
    let run = &cx.run;
    run.keep_eps(step);
    let order = run.available().min(LINEAR_MULTISTEP_ORDER);
    let dt = scaled_sigma(run.schedule, run.s()) - scaled_sigma(run.schedule, run.t());
    let moves = IPNDM_COEFFICIENTS[order - 1]
        .iter()
        .enumerate()
        .map(|(j, &c)| run.eps(j) * (c * dt))
        .fold(Combination::default(), Add::add);
    run.scaled_move(moves).write_output(step);
}

/// diffusers' rule for the order of its multistep schedulers with `lower_order_final` (on by
/// default) at step `index` of `steps`, for `solver_order`: no more than the evaluations
/// available, and for runs of fewer than 15 steps first order at the last step and at most
/// second at the one before (`DEISMultistepScheduler.step`).
fn diffusers_order(solver_order: usize, index: usize, steps: usize) -> usize {
    let mut order = solver_order.min(index + 1);
    if steps < 15 {
        if index + 1 == steps {
            order = 1;
        } else if index + 2 == steps {
            order = order.min(2);
        }
    }
    order.max(1)
}

/// A polynomial by its coefficients, constant first.
fn polynomial_times_linear(p: &[f64], root: f64) -> Vec<f64> {
    // p(u) (u - root)
    let mut out = vec![0.0; p.len() + 1];
    for (k, &c) in p.iter().enumerate() {
        out[k + 1] += c;
        out[k] -= c * root;
    }
    out
}

/// int p(ln rho) d rho = rho sum_k (-1)^k p^(k)(ln rho) at `rho` (0 at rho = 0, its limit).
fn log_polynomial_antiderivative(p: &[f64], rho: f64) -> f64 {
    if rho <= 0.0 {
        return 0.0;
    }
    let u = rho.ln();
    let mut derivative = p.to_vec();
    let mut sum = 0.0;
    let mut sign = 1.0;
    while !derivative.is_empty() {
        sum += sign * derivative.iter().rev().fold(0.0, |acc, &c| acc * u + c);
        derivative = derivative.iter().enumerate().skip(1).map(|(k, &c)| k as f64 * c).collect();
        sign = -sign;
    }
    rho * sum
}

/// DEIS (Zhang and Chen 2023; diffusers' `DEISMultistepScheduler`, algorithm "deis"): the
/// exponential integrator of the scaled ODE dx~/drho = eps with rho = sigma~ and eps
/// interpolated by the Lagrange polynomial l_j in ln rho through the last `order` evaluations:
/// x~_s = x~_t + sum_j eps_j int_{rho_t}^{rho_s} l_j(ln rho) d rho, in closed form
/// (diffusers' `ind_fn` for orders 2 and 3). The order follows [`diffusers_order`], lowered
/// where the weights would exceed [`MAX_MULTISTEP_GAIN`]. The history keeps eps_hat.
pub(super) fn deis(step: &mut ReverseStep, cx: &StepContext) {
    let (run, solver_order) = (&cx.run, cx.settings.order);
    run.keep_eps(step);
    let order = diffusers_order(solver_order, run.index, run.steps()).min(run.available());
    let logs: Vec<f64> = (0..order).map(|k| scaled_sigma(run.schedule, run.past(k)).ln()).collect();
    let (from, to) = (scaled_sigma(run.schedule, run.t()), scaled_sigma(run.schedule, run.s()));
    // The weights of the order `order`: int_from^to l_j(ln rho) d rho over the first `order` logs.
    let weights_of = |order: usize| -> Vec<f64> {
        let logs = &logs[..order];
        (0..order)
            .map(|j| {
                let basis =
                    logs.iter().enumerate().filter(|&(k, _)| k != j).fold(vec![1.0], |p, (_, &root)| {
                        polynomial_times_linear(&p, root).iter().map(|c| c / (logs[j] - root)).collect()
                    });
                log_polynomial_antiderivative(&basis, to) - log_polynomial_antiderivative(&basis, from)
            })
            .collect()
    };
    // Lowered where the weights would exceed MAX_MULTISTEP_GAIN, as LMS does.
    let weights = highest_order_within_gain((1..=order).rev().map(weights_of), to - from);
    let moves =
        weights.iter().enumerate().map(|(j, &w)| run.eps(j) * w).fold(Combination::default(), Add::add);
    run.scaled_move(moves).write_output(step);
}

/// The B(h) of UniPC (Zhao et al. 2023, sec. 3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum UniPcVariant {
    /// B(h) = h (written -h in data prediction, where diffusers' hh = -h).
    Bh1,
    /// B(h) = e^h - 1.
    Bh2,
}

/// What one UniPC step from lambda_0 to lambda_target needs (diffusers'
/// `multistep_uni_p_bh_update` and `multistep_uni_c_bh_update`, data prediction).
struct UniPcCoefficients {
    /// e^(-h) - 1.
    h_phi_1: f64,
    /// B(h) in data prediction.
    b_h: f64,
    /// r_k = (lambda_k - lambda_0) / h of the older evaluations.
    rks: Vec<f64>,
    /// The predictor's weights of D1_k = (m_k - m_0) / r_k.
    rhos_p: Vec<f64>,
    /// The corrector's weights of D1_k, then of D1_t = m_target - m_0.
    rhos_c: Vec<f64>,
}

/// Solves the n x n system `a` x = `b` (n <= 3) by Gaussian elimination with partial pivoting.
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs())).unwrap_or(col);
        a.swap(col, pivot);
        b.swap(col, pivot);
        let pivot_row = a[col].clone();
        for row in col + 1..n {
            let f = a[row][col] / pivot_row[col];
            for (entry, pivot_entry) in a[row].iter_mut().zip(&pivot_row).skip(col) {
                *entry -= f * pivot_entry;
            }
            b[row] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for row in (0..n).rev() {
        let tail: f64 = (row + 1..n).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - tail) / a[row][row];
    }
    x
}

/// UniPC's coefficients for a step of `order` from lambda_0 = `lambdas[0]` to `target`, the
/// older evaluations at `lambdas[1..order]`.
fn unipc_coefficients(
    target: f64,
    lambdas: &[f64],
    order: usize,
    variant: UniPcVariant,
) -> UniPcCoefficients {
    let h = target - lambdas[0];
    let rks: Vec<f64> = lambdas[1..order].iter().map(|l| (l - lambdas[0]) / h).collect();
    let hh = -h;
    let h_phi_1 = hh.exp_m1();
    let b_h = match variant {
        UniPcVariant::Bh1 => hh,
        UniPcVariant::Bh2 => hh.exp_m1(),
    };
    let mut all_rks = rks.clone();
    all_rks.push(1.0);
    let (mut rows, mut b) = (Vec::new(), Vec::new());
    let (mut h_phi_k, mut factorial) = (h_phi_1 / hh - 1.0, 1.0);
    for i in 1..=order {
        rows.push(all_rks.iter().map(|r| r.powi(i as i32 - 1)).collect::<Vec<f64>>());
        b.push(h_phi_k * factorial / b_h);
        factorial *= (i + 1) as f64;
        h_phi_k = h_phi_k / hh - 1.0 / factorial;
    }
    let rhos_p = match order {
        1 => vec![],
        2 => vec![0.5],
        _ => {
            let minor = rows[..order - 1].iter().map(|r| r[..order - 1].to_vec()).collect();
            solve(minor, b[..order - 1].to_vec())
        }
    };
    let rhos_c = if order == 1 { vec![0.5] } else { solve(rows, b) };
    UniPcCoefficients { h_phi_1, b_h, rks, rhos_p, rhos_c }
}

/// The order of UniPC at step `index` of `steps` (diffusers' `UniPCMultistepScheduler` with
/// `lower_order_final`): min(order, steps left, evaluations available).
fn unipc_order(solver_order: usize, index: usize, steps: usize) -> usize {
    solver_order.min(steps - index).min(index + 1).max(1)
}

/// UniPC (Zhao et al. 2023, data prediction; diffusers' `UniPCMultistepScheduler`): each step
/// first corrects its start x_t with the new evaluation m_0 (UniC, from the previous step's start
/// with the previous step's geometry), then predicts x_s from the corrected point (UniP):
///
/// ```text
/// x_s = (sigma_s / sigma_t) x_t^c - alpha_s h_phi_1 m_0 - alpha_s B(h) sum_k rho^p_k D1_k,
/// x_t^c = x_t - alpha_t B(h') (sum_k (rho^c_k - rho^p_k) D1'_k + rho^c_last (m_0 - m_1))
/// ```
///
/// where D1_k = (m_k - m_0) / r_k and the primed quantities are those of the previous step
/// (whose predictor and corrector start from the same point, so the correction is a combination
/// of evaluations alone). As in diffusers, m_0 is evaluated at the uncorrected x_t and kept; the
/// last step is first order, which into sigma = 0 is x_s = alpha_s m_0.
pub(super) fn unipc(step: &mut ReverseStep, cx: &StepContext) {
    unipc_with(step, cx, UniPcVariant::Bh2);
}

/// UniPC with B(h) = h (Zhao et al. 2023, variant bh1).
pub(super) fn unipc_bh1(step: &mut ReverseStep, cx: &StepContext) {
    unipc_with(step, cx, UniPcVariant::Bh1);
}

/// The UniPC step of `variant`, at the run's order.
fn unipc_with(step: &mut ReverseStep, cx: &StepContext, variant: UniPcVariant) {
    let (run, solver_order) = (&cx.run, cx.settings.order);
    run.keep_denoised(step);
    let schedule = run.schedule;
    let (t, s) = (run.t(), run.s());
    let order = unipc_order(solver_order, run.index, run.steps());
    if schedule.sigma(s) <= 0.0 {
        return (run.denoised(0) * schedule.alpha(s)).write_output(step);
    }
    let lambda_at = |back: usize| lambda(schedule, run.past(back));
    let mut corrected = Combination::x(1.0);
    if run.index >= 1 {
        let previous_order = unipc_order(solver_order, run.index - 1, run.steps());
        let lambdas: Vec<f64> = (1..=previous_order).map(lambda_at).collect();
        let c = unipc_coefficients(lambda_at(0), &lambdas, previous_order, variant);
        let m_previous = run.denoised(1);
        let mut correction = (run.denoised(0) - m_previous) * c.rhos_c[previous_order - 1];
        for (k, r) in c.rks.iter().enumerate() {
            let d1 = (run.denoised(k + 2) - m_previous) * (1.0 / r);
            correction = correction + d1 * (c.rhos_c[k] - c.rhos_p[k]);
        }
        corrected = corrected + correction * (-schedule.alpha(t) * c.b_h);
    }
    let lambdas: Vec<f64> = (0..order).map(lambda_at).collect();
    let c = unipc_coefficients(lambda(schedule, s), &lambdas, order, variant);
    let (alpha_s, m_0) = (schedule.alpha(s), run.denoised(0));
    let mut out = corrected * (schedule.sigma(s) / schedule.sigma(t)) + m_0 * (-alpha_s * c.h_phi_1);
    for (k, r) in c.rks.iter().enumerate() {
        let d1 = (run.denoised(k + 1) - m_0) * (1.0 / r);
        out = out + d1 * (-alpha_s * c.b_h * c.rhos_p[k]);
    }
    out.write_output(step);
}

/// DPM-Solver++(2M) SDE (k-diffusion's `sample_dpmpp_2m_sde`): in x~ with h = lambda_s -
/// lambda_t, eta_h = eta h and r = h_prev / h,
///
/// ```text
/// x~_s = (sigma~_s/sigma~_t) e^(-eta_h) x~_t + (1 - e^(-h-eta_h)) m_0 + c (m_0 - m_1) / r
///        + s_noise sigma~_s sqrt(1 - e^(-2 eta_h)) z,
/// ```
///
/// c = (1 - e^(-h-eta_h)) / 2 (midpoint) or 1 - (1 - e^(-h-eta_h)) / (h + eta_h) (`heun`); the
/// first step has no correction, the step into sigma = 0 is x_s = alpha_s m_0. With eta = 0 and the
/// midpoint it is DPM-Solver++(2M). The history keeps x0_hat.
pub(super) fn dpm_solver_2m_sde(step: &mut ReverseStep, cx: &StepContext) {
    dpm_solver_2m_sde_with(step, cx, false);
}

/// DPM-Solver++(2M) SDE with the Heun correction (k-diffusion's `solver_type='heun'`).
pub(super) fn dpm_solver_2m_sde_heun(step: &mut ReverseStep, cx: &StepContext) {
    dpm_solver_2m_sde_with(step, cx, true);
}

/// The DPM-Solver++(2M) SDE step, with the Heun correction where `heun`, else the midpoint one.
fn dpm_solver_2m_sde_with(step: &mut ReverseStep, cx: &StepContext, heun: bool) {
    let (run, eta, s_noise) = (&cx.run, cx.settings.eta, cx.settings.s_noise);
    run.keep_denoised(step);
    let schedule = run.schedule;
    if schedule.sigma(run.s()) <= 0.0 {
        return denoise_to_data(step, schedule, run.t(), run.s());
    }
    let (h, level_s) = (run.h(0), scaled_sigma(schedule, run.s()));
    let h_total = h * (1.0 + eta);
    let weight = -(-h_total).exp_m1();
    // x~_s - x~_t without the correction (x~_t = x^ / alpha_t).
    let alpha_t = schedule.alpha(run.t());
    let mut moves = Combination::x(((-h_total).exp() - 1.0) / alpha_t) + run.denoised(0) * weight;
    if let Some(h_previous) = run.previous_h(1) {
        let r = h_previous / h;
        let c = if heun { 1.0 - weight / h_total } else { 0.5 * weight };
        moves = moves + (run.denoised(0) - run.denoised(1)) * (c / r);
    }
    if eta > 0.0 {
        moves = moves + Combination::noise(s_noise * level_s * (-(-2.0 * eta * h).exp_m1()).sqrt());
    }
    run.scaled_move(moves).write_output(step);
}

/// DPM-Solver++(3M) SDE (k-diffusion's `sample_dpmpp_3m_sde`): in x~ with h_eta = h (1 + eta),
/// x~_s = e^(-h_eta) x~_t + (1 - e^(-h_eta)) m_0 + phi_2 d1 - phi_3 d2 + s_noise sigma~_s sqrt(1 -
/// e^(-2 eta h)) z, where r0 = h_1/h, r1 = h_2/h, d1_0 = (m_0 - m_1)/r0, d1_1 = (m_1 - m_2)/r1,
/// d1 = d1_0 + (d1_0 - d1_1) r0/(r0 + r1), d2 = (d1_0 - d1_1)/(r0 + r1), phi_2 = (e^(-h_eta) - 1)/
/// h_eta + 1 and phi_3 = phi_2/h_eta - 1/2; second order (phi_2 (m_0 - m_1)/r0) on the second step,
/// first on the first; the step into sigma = 0 is x_s = alpha_s m_0. With eta = 0 it is
/// DPM-Solver++(3M). The history keeps x0_hat.
pub(super) fn dpm_solver_3m_sde(step: &mut ReverseStep, cx: &StepContext) {
    let (run, eta, s_noise) = (&cx.run, cx.settings.eta, cx.settings.s_noise);
    run.keep_denoised(step);
    let schedule = run.schedule;
    if schedule.sigma(run.s()) <= 0.0 {
        return denoise_to_data(step, schedule, run.t(), run.s());
    }
    let (h, level_s, alpha_t) = (run.h(0), scaled_sigma(schedule, run.s()), schedule.alpha(run.t()));
    let h_eta = h * (1.0 + eta);
    let mut moves = Combination::x(((-h_eta).exp() - 1.0) / alpha_t) + run.denoised(0) * -(-h_eta).exp_m1();
    let phi_2 = (-h_eta).exp_m1() / h_eta + 1.0;
    match (run.previous_h(1), run.previous_h(2)) {
        (Some(h_1), Some(h_2)) => {
            let (r0, r1) = (h_1 / h, h_2 / h);
            let d1_0 = (run.denoised(0) - run.denoised(1)) * (1.0 / r0);
            let d1_1 = (run.denoised(1) - run.denoised(2)) * (1.0 / r1);
            let d1 = d1_0 + (d1_0 - d1_1) * (r0 / (r0 + r1));
            let d2 = (d1_0 - d1_1) * (1.0 / (r0 + r1));
            let phi_3 = phi_2 / h_eta - 0.5;
            moves = moves + d1 * phi_2 - d2 * phi_3;
        }
        (Some(h_1), None) => {
            moves = moves + (run.denoised(0) - run.denoised(1)) * (phi_2 * h / h_1);
        }
        _ => {}
    }
    if eta > 0.0 {
        moves = moves + Combination::noise(s_noise * level_s * (-(-2.0 * eta * h).exp_m1()).sqrt());
    }
    run.scaled_move(moves).write_output(step);
}
