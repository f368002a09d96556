// The prediction of the score source at every particle, at one time, in any parametrization:
//   predictions[i] = convert(eps_hat(x_i), eps -> target, x_i)   (common/parametrization.wgsl)
// eps_hat comes from the including kernel (MLP or exact score); this is what the page draws as
// the x0-hat "ghost" of each particle (Tweedie), its score arrow or its velocity.
// PredictParams is engine::PredictParams in src/gpu/engine.rs (tests/it/gpu_layout.rs checks the two
// layouts). Twin of sampler::predict.

struct PredictParams {
    // alpha, sigma and their derivatives in the sampling schedule at t.
    coefficients: Coefficients,
    // The network's evaluation at t (flattened sampler::Evaluation).
    t_net: f32,
    input_scale: f32,
    eps_from_output: f32,
    eps_from_input: f32,
    target_parametrization: u32,
    particle_count: u32,
    padding0: u32,
    padding1: u32,
}

fn predict_at(i: u32) {
    let c = predict.coefficients;
    let evaluation = Evaluation(predict.t_net, predict.input_scale, c.alpha, c.sigma, predict.eps_from_output, predict.eps_from_input);
    let x = particles[i];
    let eps = eps_hat(x, evaluation, 0u);
    predictions[i] = convert_parametrization(eps, PARAM_EPS, predict.target_parametrization, x, c);
}
