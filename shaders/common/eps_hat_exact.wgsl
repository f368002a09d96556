// eps_hat from the exact score of the dataset's Gaussian mixture: eps_hat = -sigma_t grad log p_t(x)
// (Tweedie's formula; docs/theory.md), with the guidance term of common/guidance.wgsl (none where
// its weight is 0), or with a measurement to condition on (DPS, PiGDM) the likelihood term of
// common/posterior_guidance.wgsl, with d eps_hat / d x = -sigma (Hessian of log p_t).
// Twin of EvaluationModel::eps_hat in src/core/sampler/mod.rs.
// Needs common/mixture.wgsl, common/mixture_divergence.wgsl, common/evaluation.wgsl,
// common/guidance.wgsl and common/posterior_guidance.wgsl, and the `components`,
// `guidance_weights` and `observation` bindings.

fn eps_hat_with_jacobian(x: vec2<f32>, evaluation: Evaluation) -> EpsJacobian {
    let j = mixture_score_jacobian(x, evaluation.alpha, evaluation.sigma);
    let k = -evaluation.sigma;
    return EpsJacobian(k * j.score, k * j.hessian.xy, k * j.hessian.yz);
}

fn eps_hat(x: vec2<f32>, evaluation: Evaluation, row: u32) -> vec2<f32> {
    if (POSTERIOR_GUIDED) {
        let weight = guidance_weights[row];
        if (observation.method != 0u && weight != 0.0) {
            return posterior_guided(eps_hat_with_jacobian(x, evaluation), x, evaluation, weight);
        }
    }
    let eps = -evaluation.sigma * mixture_score(x, evaluation.alpha, evaluation.sigma);
    return guided(eps, x, evaluation, row);
}
