// eps_hat from the MLP, evaluated at (x_net = input_scale x, t_net) with its hidden-bias row and
// mapped to eps by the evaluation's affine map (param::eps_affine): the network may predict eps,
// x0, the score or the velocity. Then the guidance term of common/guidance.wgsl (none where its
// weight is 0), or with a measurement to condition on (DPS, PiGDM) the likelihood term of
// common/posterior_guidance.wgsl, which needs the Jacobian by forward mode:
//   d eps_hat / d x = input_scale (eps_from_output J_net + eps_from_input I).
// Twin of EvaluationModel::eps_hat in src/core/sampler/mod.rs.
// Needs common/mlp.wgsl, common/mlp_jacobian.wgsl, common/mixture.wgsl, common/evaluation.wgsl,
// common/guidance.wgsl and common/posterior_guidance.wgsl, and `weights`, `hidden_biases`,
// `components`, `guidance_weights` and `observation` bindings.

fn eps_hat_with_jacobian(x: vec2<f32>, evaluation: Evaluation, row: u32) -> EpsJacobian {
    let x_net = evaluation.input_scale * x;
    let net = mlp_forward_with_jacobian(x_net, row);
    let a = evaluation.eps_from_output;
    let b = evaluation.eps_from_input;
    let s = evaluation.input_scale;
    return EpsJacobian(
        a * net.out + b * x_net,
        s * (a * net.d_dx + vec2<f32>(b, 0.0)),
        s * (a * net.d_dy + vec2<f32>(0.0, b)),
    );
}

fn eps_hat(x: vec2<f32>, evaluation: Evaluation, row: u32) -> vec2<f32> {
    if (POSTERIOR_GUIDED) {
        let weight = guidance_weights[row];
        if (observation.method != 0u && weight != 0.0) {
            return posterior_guided(eps_hat_with_jacobian(x, evaluation, row), x, evaluation, weight);
        }
    }
    let x_net = evaluation.input_scale * x;
    let eps = evaluation.eps_from_output * mlp_forward(x_net, row) + evaluation.eps_from_input * x_net;
    return guided(eps, x, evaluation, row);
}
