// eps_hat from the MLP, evaluated at (x_net = input_scale x, t_net) with its hidden-bias row and
// mapped to eps by the evaluation's affine map (param::eps_affine): the network may predict eps,
// x0, the score or the velocity. Twin of EvaluationModel::eps_hat in src/core/sampler/mod.rs.
// Needs common/mlp.wgsl and common/evaluation.wgsl, and `weights`, `hidden_biases` bindings.

fn eps_hat(x: vec2<f32>, evaluation: Evaluation, bias_row: u32) -> vec2<f32> {
    let x_net = evaluation.input_scale * x;
    return evaluation.eps_from_output * mlp_forward(x_net, bias_row) + evaluation.eps_from_input * x_net;
}
