// eps_hat from the MLP, evaluated at (x_net = input_scale x, t_net) with its hidden-bias row and
// mapped to eps by the evaluation's affine map (param::eps_affine): the network may predict eps,
// x0, the score or the velocity. Then the guidance term of common/guidance.wgsl (none where its
// weight is 0), or with a measurement to condition on (DPS, PiGDM) the likelihood term of
// common/posterior_guidance.wgsl, which needs the Jacobian by forward mode:
//   d eps_hat / d x = input_scale (eps_from_output J_net + eps_from_input I).
// Or, with CLASSIFIER_FREE, classifier-free guidance (below).
// Twin of EvaluationModel::eps_hat in src/core/sampler/mod.rs.
// Needs common/mlp.wgsl, common/mlp_jacobian.wgsl, common/mixture.wgsl, common/evaluation.wgsl,
// common/guidance.wgsl and common/posterior_guidance.wgsl, and `weights`, `hidden_biases`,
// `components`, `guidance_weights` and `observation` bindings.

// Classifier-free guidance with a class-conditional network (Ho and Salimans 2022, in diffusers'
// `guidance_scale` convention: src/core/guidance.rs):
//   eps = eps(x, empty) + w (eps(x, c) - eps(x, empty)),   w = guidance_weights[row],
// eps(x, c) the network with class c's embedding row added to its hidden bias. The hidden biases
// then hold the class's rows and after them as many rows of the null class
// (sampler::classifier_free_hidden_biases), so row r's null row is r plus half the rows. Where
// w = 1 (outside the guidance interval, or w = 1 itself) eps(x, c) alone.
override CLASSIFIER_FREE: bool = false;

// eps_u + w (eps_c - eps_u); twin of sampler::classifier_free.
fn classifier_free(unconditional: vec2<f32>, conditional: vec2<f32>, weight: f32) -> vec2<f32> {
    return unconditional + weight * (conditional - unconditional);
}

// The network's eps with its denoised point kept in the data's disc (Tweedie: E[x0 | x_t] lies in
// the data's hull; DDPM's clipped x0, Ho et al. 2020, to a disc):
//   x0 = (x - sigma eps) / alpha;  |x0| > DATA_RADIUS:  eps = (x - alpha DATA_RADIUS x0/|x0|) / sigma.
// Twin of denoised_bound::within_the_data in src/core/denoised_bound.rs.
fn within_the_data(eps: vec2<f32>, x: vec2<f32>, evaluation: Evaluation) -> vec2<f32> {
    let alpha = evaluation.alpha;
    let sigma = evaluation.sigma;
    if (!(alpha > 0.0 && sigma > 0.0)) {
        return eps;
    }
    let x0 = vec2<f32>((x.x - sigma * eps.x) / alpha, (x.y - sigma * eps.y) / alpha);
    let squared = x0.x * x0.x + x0.y * x0.y;
    if (!(squared > DATA_RADIUS * DATA_RADIUS)) {
        return eps;
    }
    let shrink = DATA_RADIUS / sqrt(squared);
    let edge = vec2<f32>(x0.x * shrink, x0.y * shrink);
    return vec2<f32>((x.x - alpha * edge.x) / sigma, (x.y - alpha * edge.y) / sigma);
}

// The network's eps at x (the Jacobian's path keeps the network's own: see
// EvaluationModel::unguided_eps_and_jacobian).
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
    let eps = within_the_data(
        evaluation.eps_from_output * mlp_forward(x_net, row) + evaluation.eps_from_input * x_net, x, evaluation);
    if (CLASSIFIER_FREE) {
        let weight = guidance_weights[row];
        if (weight == 1.0) {
            return eps;
        }
        let null_row = row + arrayLength(&hidden_biases) / (2u * MLP_HIDDEN);
        let unconditional = within_the_data(
            evaluation.eps_from_output * mlp_forward(x_net, null_row) + evaluation.eps_from_input * x_net,
            x,
            evaluation);
        return classifier_free(unconditional, eps, weight);
    }
    return guided(eps, x, evaluation, row);
}
