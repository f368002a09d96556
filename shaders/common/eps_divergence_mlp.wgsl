// eps_hat = a net(s x) + b s x from the MLP, with J = d eps_hat / dx = s (a J_net + b I)
// (a, b = eps_from_output, eps_from_input; s = input_scale), its denoised point kept in the data's
// disc as the samplers keep it (common/eps_hat_mlp.wgsl's within_the_data), and the divergence of
// the kept eps. Twin of DivergenceModel in src/core/likelihood.rs. Needs common/mlp.wgsl,
// common/mlp_jacobian.wgsl, common/evaluation.wgsl and DATA_RADIUS (src/gpu/shaders.rs).

// (eps, tr d eps / dx) of the eps whose x0 = (x - sigma eps) / alpha is projected onto the disc
// |x0| <= DATA_RADIUS; J's columns d_dx = d eps / d x.x, d_dy = d eps / d x.y. Outside the disc,
// with k = DATA_RADIUS / |x0| and u = x0 / |x0| (P(x0) = k x0, DP = k (I - u u^T)):
//   eps = (x - alpha k x0) / sigma,   tr = (2 - k) / sigma + k (tr J - u^T J u).
// Twin of denoised_bound::within_the_data_with_jacobian in src/core/denoised_bound.rs.
fn divergence_within_the_data(eps: vec2<f32>, d_dx: vec2<f32>, d_dy: vec2<f32>, x: vec2<f32>, evaluation: Evaluation) -> vec3<f32> {
    let alpha = evaluation.alpha;
    let sigma = evaluation.sigma;
    let trace = d_dx.x + d_dy.y;
    if (!(alpha > 0.0 && sigma > 0.0)) {
        return vec3<f32>(eps, trace);
    }
    let x0 = (x - sigma * eps) / alpha;
    let squared = dot(x0, x0);
    if (!(squared > DATA_RADIUS * DATA_RADIUS)) {
        return vec3<f32>(eps, trace);
    }
    let norm = sqrt(squared);
    let shrink = DATA_RADIUS / norm;
    let u = x0 / norm;
    let kept = (x - alpha * (shrink * x0)) / sigma;
    let along = dot(u, d_dx * u.x + d_dy * u.y);
    return vec3<f32>(kept, (2.0 - shrink) / sigma + shrink * (trace - along));
}

fn eps_hat_with_divergence(x: vec2<f32>, evaluation: Evaluation, row: u32) -> vec3<f32> {
    let s = evaluation.input_scale;
    let a = evaluation.eps_from_output;
    let b = evaluation.eps_from_input;
    let x_net = s * x;
    let net = mlp_forward_with_jacobian(x_net, row);
    let eps = a * net.out + b * x_net;
    let d_dx = s * (a * net.d_dx + vec2<f32>(b, 0.0));
    let d_dy = s * (a * net.d_dy + vec2<f32>(0.0, b));
    return divergence_within_the_data(eps, d_dx, d_dy, x, evaluation);
}
