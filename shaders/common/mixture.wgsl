// Exact noised score of a Gaussian mixture p_0 = sum_k w_k N(mu_k, Sigma_k):
//   p_t = sum_k w_k N(alpha mu_k, C_k),  C_k = alpha^2 Sigma_k + sigma^2 I,
//   grad log p_t(x) = sum_k r_k(x) C_k^-1 (alpha mu_k - x),   r_k = posterior responsibilities.
// det C_k = alpha^4 det Sigma_k + alpha^2 sigma^2 tr Sigma_k + sigma^4 (no cancellation for flat
// components); C^-1 = adj(C) / det C for a symmetric 2x2 matrix.
// Twin of GaussianMixture::score_noised in src/core/mixture.rs; the struct is MixtureComponent
// there (tests/it/gpu_layout.rs checks the two layouts). Expects the including kernel to declare `components: array<MixtureComponent>`.

struct MixtureComponent {
    mean: vec2<f32>,
    cov_xx: f32,
    cov_xy: f32,
    cov_yy: f32,
    cov_det: f32,
    log_weight: f32,
    // 1 for the components of the class guidance steers toward (common/guidance.wgsl), else 0.
    class_member: u32,
}

fn noised_determinant(c: MixtureComponent, alpha: f32, sigma: f32) -> f32 {
    let a2 = alpha * alpha;
    let s2 = sigma * sigma;
    return a2 * a2 * c.cov_det + a2 * s2 * (c.cov_xx + c.cov_yy) + s2 * s2;
}

// C_k^-1 (alpha mu_k - x).
fn mixture_component_score(c: MixtureComponent, x: vec2<f32>, alpha: f32, sigma: f32) -> vec2<f32> {
    let a2 = alpha * alpha;
    let s2 = sigma * sigma;
    let cxx = a2 * c.cov_xx + s2;
    let cxy = a2 * c.cov_xy;
    let cyy = a2 * c.cov_yy + s2;
    let det = noised_determinant(c, alpha, sigma);
    let d = alpha * c.mean - x;
    return vec2<f32>(cyy * d.x - cxy * d.y, cxx * d.y - cxy * d.x) / det;
}

// log r_k up to a constant: log w_k - d^T C^-1 d / 2 - ln det C / 2, d = alpha mu_k - x.
fn mixture_log_responsibility(c: MixtureComponent, x: vec2<f32>, alpha: f32, sigma: f32) -> f32 {
    let pull = mixture_component_score(c, x, alpha, sigma);
    let d = alpha * c.mean - x;
    let quadratic = d.x * pull.x + d.y * pull.y;
    return c.log_weight - 0.5 * quadratic - 0.5 * log(noised_determinant(c, alpha, sigma));
}

fn mixture_score(x: vec2<f32>, alpha: f32, sigma: f32) -> vec2<f32> {
    return mixture_weighted_score(x, alpha, sigma).xy;
}

// The two passes of the score: (score.x, score.y, largest log r_k, sum of exp(log r_k - largest)).
fn mixture_weighted_score(x: vec2<f32>, alpha: f32, sigma: f32) -> vec4<f32> {
    let count = arrayLength(&components);
    var max_log = -3.4e38;
    for (var k = 0u; k < count; k++) {
        max_log = max(max_log, mixture_log_responsibility(components[k], x, alpha, sigma));
    }
    var total = 0.0;
    var score = vec2<f32>(0.0);
    for (var k = 0u; k < count; k++) {
        let c = components[k];
        let r = exp(mixture_log_responsibility(c, x, alpha, sigma) - max_log);
        total += r;
        score += r * mixture_component_score(c, x, alpha, sigma);
    }
    return vec4<f32>(score / total, max_log, total);
}
