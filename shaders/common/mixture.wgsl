// Exact noised score of an isotropic Gaussian mixture p_0 = sum_k w_k N(mu_k, v_k I):
//   p_t = sum_k w_k N(alpha mu_k, s_k I),  s_k = alpha^2 v_k + sigma^2,
//   grad log p_t(x) = sum_k r_k(x) (alpha mu_k - x) / s_k,   r_k = posterior responsibilities.
// Twin of GaussianMixture::score_noised in src/core/dataset.rs (keep the struct in sync with
// MixtureComponent there). Expects the including kernel to declare `components: array<MixtureComponent>`.

struct MixtureComponent {
    mean: vec2<f32>,
    variance: f32,
    log_weight: f32,
}

// log r_k up to a constant: log w_k - |x - alpha mu_k|^2 / (2 s_k) - ln s_k.
fn mixture_log_responsibility(c: MixtureComponent, x: vec2<f32>, alpha: f32, sigma: f32) -> f32 {
    let s = alpha * alpha * c.variance + sigma * sigma;
    let d = x - alpha * c.mean;
    return c.log_weight - dot(d, d) / (2.0 * s) - log(s);
}

fn mixture_score(x: vec2<f32>, alpha: f32, sigma: f32) -> vec2<f32> {
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
        let s = alpha * alpha * c.variance + sigma * sigma;
        total += r;
        score += r * (alpha * c.mean - x) / s;
    }
    return score / total;
}
