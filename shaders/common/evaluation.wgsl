// Where one noise prediction is evaluated: the layout of sampler::Evaluation (src/core/sampler/mod.rs,
// 24 bytes; checked by tests/it/gpu_layout.rs).
// The network sees x_net = input_scale x at t_net; eps_hat = eps_from_output net + eps_from_input x_net
// turns its prediction (eps, x0, score or velocity) into eps (param::eps_affine).
struct Evaluation {
    t_net: f32,
    input_scale: f32,
    alpha: f32,
    sigma: f32,
    eps_from_output: f32,
    eps_from_input: f32,
}
