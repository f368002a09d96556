// Guidance toward a class, the classifier exact (Dhariwal and Nichol 2021, eq. 10; with exact
// scores also classifier-free guidance, Ho and Salimans 2022: see src/core/guidance.rs):
//   grad log p_t(c | x) = grad log p_t(x | c) - grad log p_t(x)
//   eps_guided = eps_hat - sigma_t g grad log p_t(c | x),   g = guidance_weights[row]
// Class c is the components with class_member = 1. g = 0 (every row of an unguided run) skips the
// mixture entirely. Twin of guidance::class_log_posterior_gradient and guidance::guided_eps.
// Needs common/mixture.wgsl and common/evaluation.wgsl, and the including kernel's `components`
// and `guidance_weights` bindings.

fn class_log_posterior_gradient(x: vec2<f32>, alpha: f32, sigma: f32) -> vec2<f32> {
    let count = arrayLength(&components);
    var max_all = -3.4e38;
    var max_class = -3.4e38;
    for (var k = 0u; k < count; k++) {
        let l = mixture_log_responsibility(components[k], x, alpha, sigma);
        max_all = max(max_all, l);
        if (components[k].class_member != 0u) {
            max_class = max(max_class, l);
        }
    }
    var total = 0.0;
    var total_class = 0.0;
    var score = vec2<f32>(0.0);
    var score_class = vec2<f32>(0.0);
    for (var k = 0u; k < count; k++) {
        let c = components[k];
        let l = mixture_log_responsibility(c, x, alpha, sigma);
        let pull = mixture_component_score(c, x, alpha, sigma);
        let r = exp(l - max_all);
        total += r;
        score += r * pull;
        if (c.class_member != 0u) {
            let r_class = exp(l - max_class);
            total_class += r_class;
            score_class += r_class * pull;
        }
    }
    return score_class / total_class - score / total;
}

fn guided(eps: vec2<f32>, x: vec2<f32>, evaluation: Evaluation, row: u32) -> vec2<f32> {
    let g = guidance_weights[row];
    if (g == 0.0) {
        return eps;
    }
    let gradient = class_log_posterior_gradient(x, evaluation.alpha, evaluation.sigma);
    return eps - (evaluation.sigma * g) * gradient;
}
