// eps_hat from the exact score of the dataset's Gaussian mixture: eps_hat = -sigma_t grad log p_t(x)
// (theory seed 003), with the guidance term of common/guidance.wgsl (none where its weight is 0).
// Twin of EvaluationModel::eps_hat in src/core/sampler/mod.rs.
// Needs common/mixture.wgsl, common/evaluation.wgsl and common/guidance.wgsl, and the
// `components` and `guidance_weights` bindings.

fn eps_hat(x: vec2<f32>, evaluation: Evaluation, row: u32) -> vec2<f32> {
    let eps = -evaluation.sigma * mixture_score(x, evaluation.alpha, evaluation.sigma);
    return guided(eps, x, evaluation, row);
}
