// eps_hat = a net(s x) + b s x from the MLP and its divergence tr d eps_hat / dx = s (a tr J_net + 2 b)
// (a, b = eps_from_output, eps_from_input; s = input_scale). Twin of DivergenceModel in
// src/core/likelihood.rs. Needs common/mlp.wgsl, common/mlp_jacobian.wgsl, common/evaluation.wgsl.

fn eps_hat_with_divergence(x: vec2<f32>, evaluation: Evaluation, row: u32) -> vec3<f32> {
    let x_net = evaluation.input_scale * x;
    let net = mlp_forward_with_trace(x_net, row);
    let eps = evaluation.eps_from_output * net.xy + evaluation.eps_from_input * x_net;
    let trace = evaluation.input_scale * (evaluation.eps_from_output * net.z + 2.0 * evaluation.eps_from_input);
    return vec3<f32>(eps, trace);
}
