// eps_hat = -sigma grad log p_t(x) from the exact mixture score and its divergence -sigma div grad log p_t.
// Twin of DivergenceModel in src/core/likelihood.rs. Needs common/mixture.wgsl,
// common/mixture_divergence.wgsl, common/evaluation.wgsl.

fn eps_hat_with_divergence(x: vec2<f32>, evaluation: Evaluation, row: u32) -> vec3<f32> {
    return -evaluation.sigma * mixture_score_divergence(x, evaluation.alpha, evaluation.sigma);
}
