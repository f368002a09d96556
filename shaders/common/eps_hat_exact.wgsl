// eps_hat from the exact score of the dataset's Gaussian mixture: eps_hat = -sigma_t grad log p_t(x)
// (theory seed 003). Twin of EvaluationModel::eps_hat in src/core/sampler/mod.rs.
// Needs common/mixture.wgsl and common/evaluation.wgsl, and a `components` binding.

fn eps_hat(x: vec2<f32>, evaluation: Evaluation, bias_row: u32) -> vec2<f32> {
    return -evaluation.sigma * mixture_score(x, evaluation.alpha, evaluation.sigma);
}
