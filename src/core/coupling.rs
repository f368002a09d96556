//! Couplings of data and noise for flow-matching training: which noise eps each data point x_0 of
//! a training batch is paired with before x_t = alpha_t x_0 + sigma_t eps is formed.
//!
//! - **Independent** (I-CFM; Lipman et al. 2023, Liu et al. 2022): each x_0 with its own fresh
//!   eps, the product coupling; the learned flow is the marginal flow of the noised data.
//! - **Minibatch optimal transport** (OT-CFM; Tong et al. 2023, "Improving and generalizing
//!   flow-based generative models with minibatch optimal transport", Sec. 3.2 and Alg. 1;
//!   Pooladian et al. 2023): within each group of `batch` examples the noises are permuted so
//!   that Σ ||x_0,i - eps_pi(i)||^2 is least (`core::assignment`). Paths cross less, so the
//!   learned flow is straighter and needs fewer steps.
//! - **Schrödinger bridge** (SB-CFM; Tong et al. 2023, Sec. 3.3): the entropic OT plan with
//!   regularisation 2 sigma_b^2 (Sinkhorn 1967, in the log domain; Cuturi 2013) pairs each x_0
//!   with a noise drawn from its row of the plan, and the path between them is the Brownian
//!   bridge x_t = (1 - t) x_0 + t eps + sigma_b sqrt(t (1 - t)) z, whose conditional velocity is
//!   u_t = eps - x_0 + (1 - 2t) / (2 sqrt(t (1 - t))) sigma_b z (Tong et al. 2023, eq. 18 with
//!   their time reversed to this playground's, where t = 0 is the data). Defined for rectified
//!   flow's straight path and the velocity objective only.
//!
//! A coupling changes the path's marginals p_t away from the noised data, so a network trained
//! with OT or SB has a velocity (an ODE to integrate) but no score: the stochastic samplers,
//! which need grad log p_t, do not apply to it.

use crate::core::assignment::optimal_assignment;
use crate::core::rng;

/// Fewest examples of an OT or SB group (a smaller one pairs almost at random).
pub const MIN_COUPLING_BATCH: u32 = 8;
/// Most examples of an OT or SB group (the assignment's cost grows as the cube).
pub const MAX_COUPLING_BATCH: u32 = 1024;
/// Smallest Schrödinger-bridge sigma_b (below it the plan's kernel exp(-C / 2 sigma_b^2)
/// underflows for these data: use the OT coupling, its limit).
pub const MIN_BRIDGE_SIGMA: f64 = 0.05;
/// Largest Schrödinger-bridge sigma_b (above it the plan is the independent coupling to many
/// digits, and the bridge's noise swamps the data).
pub const MAX_BRIDGE_SIGMA: f64 = 5.0;
/// The most rounds of reflow a file may record (each round's teacher must be integrated to
/// make the next round's pairs; Liu et al. 2022 find one or two rounds enough).
pub const MAX_REFLOW_ROUND: u32 = 16;
/// Examples per OT or SB group by default: exact OT costs n^3 per group, so 64 keeps a step of
/// 256 examples within a few times the cost of its gradient, and pairs well already (Tong et al.
/// 2023 train their 2-D flows with whole batches of 256; `docs/straight-paths.md` measures both).
pub const DEFAULT_COUPLING_BATCH: u32 = 64;
/// The Schrödinger bridge's sigma_b by default: half the prior's standard deviation, so the
/// plan's regularisation 2 sigma_b^2 = 0.5 is a tenth of the typical squared distance between a
/// data point and a noise here.
pub const DEFAULT_BRIDGE_SIGMA: f64 = 0.5;
/// Most Sinkhorn iterations of the Schrödinger-bridge plan (each row and column scaled once per
/// iteration).
pub const SINKHORN_ITERATIONS: usize = 500;
/// Below this exponent the kernel exp(-C / epsilon) would leave the normal f64 range
/// (e^-708), so the plan is scaled in the log domain instead.
const KERNEL_DOMAIN_LIMIT: f64 = 700.0;
/// Sinkhorn stops when every column sum is within this relative error of its marginal 1 / n
/// (the rows are exact after each iteration).
pub const SINKHORN_TOLERANCE: f64 = 1e-6;

/// How training pairs noise with data.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Coupling {
    /// Each data point with its own noise.
    Independent,
    /// Exact OT within groups of `batch` examples.
    MinibatchOt {
        /// Examples per group.
        batch: u32,
    },
    /// Entropic OT within groups of `batch`, and a Brownian bridge of width `sigma` between the pair.
    SchrodingerBridge {
        /// Examples per group.
        batch: u32,
        /// The bridge's sigma_b (the plan's regularisation is 2 sigma_b^2).
        sigma: f64,
    },
    /// Reflow (Liu et al. 2022, Sec. 2.2 and Alg. 1): each noise paired with where a teacher
    /// flow's ODE carries it (`core::reflow`); the `round`-th rectified flow (1 for a flow
    /// trained on the pairs of a flow trained on the data).
    Reflow {
        /// Which rectification this is (1, 2, ...).
        round: u32,
    },
    /// Consistency distillation of a flow (`core::consistency`; Song et al. 2023, Alg. 2): each
    /// point of the teacher's trajectories paired with where the trajectory ends. A one-step
    /// generator, sampled as a flow.
    Consistency,
}

/// The couplings by name, as the page offers them (with [`DEFAULT_COUPLING_BATCH`] and
/// [`DEFAULT_BRIDGE_SIGMA`]).
pub const COUPLINGS: [Coupling; 3] = [
    Coupling::Independent,
    Coupling::MinibatchOt { batch: DEFAULT_COUPLING_BATCH },
    Coupling::SchrodingerBridge { batch: DEFAULT_COUPLING_BATCH, sigma: DEFAULT_BRIDGE_SIGMA },
];

impl Coupling {
    /// What the page calls the coupling.
    pub fn label(self) -> &'static str {
        match self {
            Coupling::Independent => "Independent (I-CFM)",
            Coupling::MinibatchOt { .. } => "Minibatch optimal transport (OT-CFM)",
            Coupling::SchrodingerBridge { .. } => "Schrödinger bridge (SB-CFM)",
            Coupling::Reflow { .. } => "Reflow (k-rectified flow)",
            Coupling::Consistency => "Consistency distillation (one-step generator)",
        }
    }

    /// The coupling's name in options, files and the command line.
    pub fn name(self) -> &'static str {
        match self {
            Coupling::Independent => "independent",
            Coupling::MinibatchOt { .. } => "ot",
            Coupling::SchrodingerBridge { .. } => "sb",
            Coupling::Reflow { .. } => "reflow",
            Coupling::Consistency => "consistency",
        }
    }

    /// The coupling's id in the weight format (`core::weights`, version 4).
    pub fn id(self) -> u32 {
        match self {
            Coupling::Independent => 0,
            Coupling::MinibatchOt { .. } => 1,
            Coupling::SchrodingerBridge { .. } => 2,
            Coupling::Reflow { .. } => 3,
            Coupling::Consistency => 4,
        }
    }

    /// The coupling of id `id` with its group size (a reflow's round) and bridge width, when
    /// they are in range.
    pub fn from_id(id: u32, batch: u32, sigma: f64) -> Option<Coupling> {
        if id == 3 {
            return (1..=MAX_REFLOW_ROUND).contains(&batch).then_some(Coupling::Reflow { round: batch });
        }
        if id == 4 {
            return Some(Coupling::Consistency);
        }
        let name = ["independent", "ot", "sb"].get(id as usize)?;
        Coupling::from_parts(name, batch, sigma).ok()
    }

    /// The number stored with the coupling (`coupling_batch` of files): an OT or SB group's
    /// size, a reflow's round.
    pub fn number(self) -> Option<u32> {
        match self {
            Coupling::Reflow { round } => Some(round),
            other => other.group(),
        }
    }

    /// The group size of an OT or SB coupling.
    pub fn group(self) -> Option<u32> {
        match self {
            Coupling::Independent | Coupling::Reflow { .. } | Coupling::Consistency => None,
            Coupling::MinibatchOt { batch } | Coupling::SchrodingerBridge { batch, .. } => Some(batch),
        }
    }

    /// The coupling named `name` with the group size `batch` and bridge width `sigma`, each
    /// checked; an error names the argument and its range.
    pub fn from_parts(name: &str, batch: u32, sigma: f64) -> Result<Coupling, String> {
        let group = || {
            if (MIN_COUPLING_BATCH..=MAX_COUPLING_BATCH).contains(&batch) {
                Ok(batch)
            } else {
                Err(format!(
                    "coupling batch {batch}: an OT group needs {MIN_COUPLING_BATCH} to {MAX_COUPLING_BATCH} examples"
                ))
            }
        };
        match name {
            "independent" => Ok(Coupling::Independent),
            "ot" => Ok(Coupling::MinibatchOt { batch: group()? }),
            "sb" => {
                if !(MIN_BRIDGE_SIGMA..=MAX_BRIDGE_SIGMA).contains(&sigma) {
                    return Err(format!(
                        "bridge sigma {sigma}: the Schrödinger bridge takes {MIN_BRIDGE_SIGMA} to {MAX_BRIDGE_SIGMA}"
                    ));
                }
                Ok(Coupling::SchrodingerBridge { batch: group()?, sigma })
            }
            other => Err(format!("coupling {other:?}: one of independent, ot, sb")),
        }
    }
}

/// Squared distances ||x0_i - eps_j||^2, row-major.
fn squared_distances(x0: &[[f32; 2]], eps: &[[f32; 2]]) -> Vec<f64> {
    x0.iter()
        .flat_map(|a| {
            eps.iter().map(move |b| {
                let (dx, dy) = (a[0] as f64 - b[0] as f64, a[1] as f64 - b[1] as f64);
                dx * dx + dy * dy
            })
        })
        .collect()
}

/// The noise of each data point under minibatch OT: the permutation minimising the total
/// squared distance (`optimal_assignment`).
pub fn ot_pairs(x0: &[[f32; 2]], eps: &[[f32; 2]]) -> Vec<usize> {
    assert_eq!(x0.len(), eps.len(), "two batches of one size");
    optimal_assignment(&squared_distances(x0, eps), x0.len())
}

/// The entropic OT plan between the uniform measures on `x0` and `eps` with regularisation
/// `epsilon`: pi_ij = exp((f_i + g_j - C_ij) / epsilon) with f, g from Sinkhorn's alternate
/// scalings in the log domain (stable however small epsilon is), rows and columns each summing
/// to 1 / n (to [`SINKHORN_TOLERANCE`] of it, or after [`SINKHORN_ITERATIONS`]). Row-major.
pub fn entropic_plan(x0: &[[f32; 2]], eps: &[[f32; 2]], epsilon: f64) -> Vec<f64> {
    let n = x0.len();
    assert_eq!(n, eps.len(), "two batches of one size");
    // The kernel's exponent -C / epsilon; the plan is exp(a_i + b_j + kernel_ij).
    let kernel: Vec<f64> = squared_distances(x0, eps).iter().map(|c| -c / epsilon).collect();
    if kernel.iter().all(|&k| k > -KERNEL_DOMAIN_LIMIT) {
        return scaled_plan(&kernel, n);
    }
    let log_marginal = -(n as f64).ln();
    let (mut a, mut b) = (vec![0.0; n], vec![0.0; n]);
    // log Σ_k exp(v_k), stably.
    fn log_sum_exp(values: impl Iterator<Item = f64> + Clone) -> f64 {
        let top = values.clone().fold(f64::NEG_INFINITY, f64::max);
        top + values.map(|v| (v - top).exp()).sum::<f64>().ln()
    }
    for _ in 0..SINKHORN_ITERATIONS {
        for (i, a_i) in a.iter_mut().enumerate() {
            let row = &kernel[i * n..(i + 1) * n];
            *a_i = log_marginal - log_sum_exp(row.iter().zip(&b).map(|(k, b_j)| k + b_j));
        }
        // After the rows are scaled, how far the columns are from their marginal.
        let mut worst = 0.0f64;
        for (j, b_j) in b.iter_mut().enumerate() {
            let column = log_sum_exp((0..n).map(|i| kernel[i * n + j] + a[i])) + *b_j;
            worst = worst.max((column.exp() * n as f64 - 1.0).abs());
            *b_j = log_marginal - (column - *b_j);
        }
        if worst < SINKHORN_TOLERANCE {
            break;
        }
    }
    (0..n * n).map(|k| (a[k / n] + b[k % n] + kernel[k]).exp()).collect()
}

/// [`entropic_plan`] where no entry of the kernel exp(kernel_ij) underflows: Sinkhorn's
/// scalings u_i = (1/n) / Σ_j K_ij v_j, v_j = (1/n) / Σ_i K_ij u_i on the kernel itself, with
/// multiplications where the log domain needs an exponential per entry.
fn scaled_plan(kernel: &[f64], n: usize) -> Vec<f64> {
    let k: Vec<f64> = kernel.iter().map(|v| v.exp()).collect();
    let marginal = 1.0 / n as f64;
    let (mut u, mut v) = (vec![1.0; n], vec![1.0; n]);
    let mut column = vec![0.0; n];
    for _ in 0..SINKHORN_ITERATIONS {
        for (i, u_i) in u.iter_mut().enumerate() {
            let row: f64 = k[i * n..(i + 1) * n].iter().zip(&v).map(|(k, v)| k * v).sum();
            *u_i = marginal / row;
        }
        column.iter_mut().for_each(|c| *c = 0.0);
        for (i, u_i) in u.iter().enumerate() {
            for (c, k) in column.iter_mut().zip(&k[i * n..(i + 1) * n]) {
                *c += k * u_i;
            }
        }
        let mut worst = 0.0f64;
        for (v_j, c) in v.iter_mut().zip(&column) {
            worst = worst.max((c * *v_j / marginal - 1.0).abs());
            *v_j = marginal / c;
        }
        if worst < SINKHORN_TOLERANCE {
            break;
        }
    }
    (0..n * n).map(|i| u[i / n] * k[i] * v[i % n]).collect()
}

/// The noise of each data point under the Schrödinger-bridge coupling of width `sigma`: row i of
/// the entropic plan (regularisation 2 sigma^2), normalised, sampled with the uniform `uniforms[i]`.
pub fn bridge_pairs(x0: &[[f32; 2]], eps: &[[f32; 2]], sigma: f64, uniforms: &[f32]) -> Vec<usize> {
    let n = x0.len();
    let plan = entropic_plan(x0, eps, 2.0 * sigma * sigma);
    (0..n)
        .map(|i| {
            let row = &plan[i * n..(i + 1) * n];
            let target = uniforms[i] as f64 * row.iter().sum::<f64>();
            let mut sum = 0.0;
            row.iter()
                .position(|&p| {
                    sum += p;
                    sum > target
                })
                .unwrap_or(n - 1)
        })
        .collect()
}

/// The uniform that picks example `index`'s noise from its row of the plan, and the bridge
/// noise z of that example, from the coupling stream of `seed`.
pub fn bridge_draws(seed: u32, index: u32) -> (f32, [f32; 2]) {
    let w = rng::words(seed, index, 0, rng::stream::COUPLING);
    (rng::uniform(w[0]), rng::box_muller(w[1], w[2]))
}
