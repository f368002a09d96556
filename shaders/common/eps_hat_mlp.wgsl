// eps_hat from the MLP, evaluated at (x_net = input_scale x, t_net) with its hidden-bias row and
// mapped to eps by the evaluation's affine map (param::eps_affine): the network may predict eps,
// x0, the score or the velocity. Then the guidance term of common/guidance.wgsl (none where its
// weight is 0). Twin of EvaluationModel::eps_hat in src/core/sampler/mod.rs.
// Needs common/mlp.wgsl, common/mixture.wgsl, common/evaluation.wgsl and common/guidance.wgsl, and
// `weights`, `hidden_biases`, `components` and `guidance_weights` bindings.

fn eps_hat(x: vec2<f32>, evaluation: Evaluation, row: u32) -> vec2<f32> {
    let x_net = evaluation.input_scale * x;
    let eps = evaluation.eps_from_output * mlp_forward(x_net, row) + evaluation.eps_from_input * x_net;
    return guided(eps, x, evaluation, row);
}
