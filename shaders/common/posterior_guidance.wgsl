// Approximate posterior sampling for y = A x0 + n, n ~ N(0, s^2 I) (see src/core/posterior_guidance.rs):
//   x0_hat = (x - sigma eps_hat) / alpha,   J = d x0_hat / d x = (I - sigma d eps_hat / d x) / alpha
//   grad log p~(y | x_t) = J^T A^T M^-1 (y - A x0_hat)
//   M = s^2 I                      (DPS, Chung et al. 2023, eq. 16)
//   M = r_t^2 A A^T + s^2 I,  r_t^2 = sigma^2 / (alpha^2 + sigma^2)   (PiGDM, Song et al. 2023)
//   eps_guided = eps_hat - sigma w grad log p~(y | x_t), the correction clipped to norm
//   MAX_LIKELIHOOD_CORRECTION (eps itself where it is not finite).
// Twin of posterior_guidance::likelihood_gradient and posterior_guided_eps. Needs
// common/evaluation.wgsl and the including kernel's `observation` binding.

// The layout of posterior_guidance::ObservationParams (48 bytes; tests/it/gpu_layout.rs checks it).
struct ObservationParams {
    row0: vec2<f32>,
    row1: vec2<f32>,
    y: vec2<f32>,
    noise_variance: f32,
    row_count: u32,
    // 0: no likelihood guidance, 1: DPS, 2: PiGDM.
    method: u32,
    padding0: u32,
    padding1: u32,
    padding2: u32,
}

// Whether the pipeline adds the likelihood term at all. The engine compiles the kernels that
// include this file twice, without it (every unconditioned run) and with it (DPS and PiGDM):
// the forward-mode Jacobian's registers, compiled in, slow the plain kernel by a fifth.
override POSTERIOR_GUIDED: bool = false;

// posterior_guidance::MIN_GUIDED_ALPHA and MAX_LIKELIHOOD_CORRECTION.
const MIN_GUIDED_ALPHA: f32 = 1e-4;
const MAX_LIKELIHOOD_CORRECTION: f32 = 10.0;

// eps_hat and its Jacobian's columns d_dx = d eps / d x.x, d_dy = d eps / d x.y.
struct EpsJacobian {
    eps: vec2<f32>,
    d_dx: vec2<f32>,
    d_dy: vec2<f32>,
}

fn likelihood_gradient(e: EpsJacobian, x: vec2<f32>, alpha: f32, sigma: f32) -> vec2<f32> {
    if (observation.method == 0u || alpha < MIN_GUIDED_ALPHA) {
        return vec2<f32>(0.0);
    }
    let x0 = (x - sigma * e.eps) / alpha;
    // Columns of J = (I - sigma d eps / d x) / alpha.
    let j_dx = (vec2<f32>(1.0, 0.0) - sigma * e.d_dx) / alpha;
    let j_dy = (vec2<f32>(0.0, 1.0) - sigma * e.d_dy) / alpha;
    let a0 = observation.row0;
    let a1 = observation.row1;
    let residual = observation.y - vec2<f32>(dot(a0, x0), dot(a1, x0));
    let s2 = observation.noise_variance;
    var v: vec2<f32>;
    if (observation.method == 1u) {
        v = residual / s2;
    } else {
        let r2 = sigma * sigma / (alpha * alpha + sigma * sigma);
        let m00 = r2 * dot(a0, a0) + s2;
        if (observation.row_count == 1u) {
            v = vec2<f32>(residual.x / m00, 0.0);
        } else {
            let m01 = r2 * dot(a0, a1);
            let m11 = r2 * dot(a1, a1) + s2;
            let det = m00 * m11 - m01 * m01;
            v = vec2<f32>(m11 * residual.x - m01 * residual.y, m00 * residual.y - m01 * residual.x) / det;
        }
    }
    // u = A^T v, then J^T u.
    let u = a0 * v.x + a1 * v.y;
    return vec2<f32>(dot(j_dx, u), dot(j_dy, u));
}

fn posterior_guided(e: EpsJacobian, x: vec2<f32>, evaluation: Evaluation, weight: f32) -> vec2<f32> {
    let g = likelihood_gradient(e, x, evaluation.alpha, evaluation.sigma);
    let correction = (evaluation.sigma * weight) * g;
    let norm = sqrt(dot(correction, correction));
    // norm != norm: NaN; a norm above the largest float: infinite.
    if (norm != norm || norm > 3.4e38) {
        return e.eps;
    }
    var clip = 1.0;
    if (norm > MAX_LIKELIHOOD_CORRECTION) {
        clip = MAX_LIKELIHOOD_CORRECTION / norm;
    }
    return e.eps - clip * correction;
}
