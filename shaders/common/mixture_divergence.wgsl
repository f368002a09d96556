// The exact score of the mixture, its Jacobian (the Hessian of log p_t) and its divergence:
//   grad s = sum_k r_k (s_k s_k^T - C_k^-1) - s s^T, so div s = sum_k r_k (|s_k - s|^2 - tr C_k^-1),
// with s_k = C_k^-1 (alpha mu_k - x) and tr C^-1 = (C_xx + C_yy) / det C. Three passes (largest log
// responsibility, score, spread around it), so no sum of |s_k|^2 cancels against |s|^2.
// Twins of GaussianMixture::score_divergence_noised and score_jacobian_noised in
// src/core/mixture.rs. Needs common/mixture.wgsl.

fn noised_precision_trace(c: MixtureComponent, alpha: f32, sigma: f32) -> f32 {
    let a2 = alpha * alpha;
    let s2 = sigma * sigma;
    return (a2 * (c.cov_xx + c.cov_yy) + 2.0 * s2) / noised_determinant(c, alpha, sigma);
}

// (score.x, score.y, divergence).
fn mixture_score_divergence(x: vec2<f32>, alpha: f32, sigma: f32) -> vec3<f32> {
    let count = arrayLength(&components);
    let weighted = mixture_weighted_score(x, alpha, sigma);
    let score = weighted.xy;
    let max_log = weighted.z;
    let total = weighted.w;
    var divergence = 0.0;
    for (var k = 0u; k < count; k++) {
        let c = components[k];
        let r = exp(mixture_log_responsibility(c, x, alpha, sigma) - max_log);
        let spread = mixture_component_score(c, x, alpha, sigma) - score;
        divergence += r * (dot(spread, spread) - noised_precision_trace(c, alpha, sigma));
    }
    return vec3<f32>(score, divergence / total);
}

// C_k^-1 = adj(C_k) / det C_k as (xx, xy, yy).
fn noised_precision(c: MixtureComponent, alpha: f32, sigma: f32) -> vec3<f32> {
    let a2 = alpha * alpha;
    let s2 = sigma * sigma;
    let det = noised_determinant(c, alpha, sigma);
    return vec3<f32>(a2 * c.cov_yy + s2, -a2 * c.cov_xy, a2 * c.cov_xx + s2) / det;
}

// The score and its Jacobian grad s = sum_k r_k ((s_k - s)(s_k - s)^T - C_k^-1) as (xx, xy, yy).
struct ScoreJacobian {
    score: vec2<f32>,
    hessian: vec3<f32>,
}

fn mixture_score_jacobian(x: vec2<f32>, alpha: f32, sigma: f32) -> ScoreJacobian {
    let count = arrayLength(&components);
    let weighted = mixture_weighted_score(x, alpha, sigma);
    let score = weighted.xy;
    var hessian = vec3<f32>(0.0);
    for (var k = 0u; k < count; k++) {
        let c = components[k];
        let r = exp(mixture_log_responsibility(c, x, alpha, sigma) - weighted.z);
        let spread = mixture_component_score(c, x, alpha, sigma) - score;
        let outer = vec3<f32>(spread.x * spread.x, spread.x * spread.y, spread.y * spread.y);
        hessian += r * (outer - noised_precision(c, alpha, sigma));
    }
    return ScoreJacobian(score, hessian / weighted.w);
}
