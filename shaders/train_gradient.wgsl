// One example's contribution to the gradient of the training loss, per invocation (example e):
//   features = [x, sin(w_k t), cos(w_k t)],  a1 = W1 features + b1,  h1 = SiLU(a1),
//   a2 = W2 h1 + b2,  h2 = SiLU(a2),  F = W3 h2 + b3,
//   loss_e = scale w_e |F - goal_e|^2,  dL/dF = 2 scale w_e (F - goal_e),
// then the chain rule back through the layers (d SiLU/da = s (1 + a (1 - s)), s = sigmoid(a)).
// Writes every parameter's term to gradients[e * stride + p] and loss_e to losses[e];
// adam_step.wgsl sums them in example order. Twin of Mlp::forward_traced and
// Mlp::accumulate_gradient (src/core/mlp.rs) for one example of train::batch_loss_and_gradient.
// A class-conditional network (params.embedding_rows > 0) stores its class embedding E after
// the network's weights: a1 = W1 features + b1 + E[label], so d loss / d E[label] = d loss / d a1
// and every other row's term is 0 (twin: train::conditional_loss_and_gradient).
// A network with coordinate features (MLP_COORDINATE_OCTAVES > 0; common/mlp.wgsl) adds
// WC phi(x) to a1, so d loss / d WC[j][i] = d loss / d a1_j phi_i; the pads between b3 and WC
// get 0. Its embedding rows then start after WC (MLP_PARAMETERS is the architecture's count).
// Layout constants come from src/core/mlp.rs (src/gpu/shaders.rs). TrainExample is
// train::PreparedExample (src/core/train.rs) and TrainParams trainer::TrainParams
// (src/gpu/trainer.rs); tests/it/gpu_layout.rs checks both layouts.

struct TrainExample {
    // What the network sees (x_t and t, or EDM's preconditioned input and c_noise).
    x: vec2<f32>,
    t: f32,
    // The weighting lambda(t) of this example's squared error.
    weight: f32,
    goal: vec2<f32>,
    // The class-conditional network's label: a row of the embedding (the null class last).
    label: u32,
    padding: u32,
}

struct TrainParams {
    batch: u32,
    // 1 / batch: the loss is the batch mean.
    scale: f32,
    // Rows of the class embedding after the network's weights (classes + 1; 0: unconditional).
    embedding_rows: u32,
    // Parameters trained, MLP_PARAMETERS + embedding_rows * MLP_HIDDEN: one example's terms.
    stride: u32,
}

// Bindings: the table `layout::train_gradient` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> params: TrainParams;
@group(0) @binding(1) var<storage, read> examples: array<TrainExample>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradients: array<f32>;
@group(0) @binding(4) var<storage, read_write> losses: array<f32>;

fn sigmoid(a: f32) -> f32 {
    return 1.0 / (1.0 + exp(-a));
}

// Angular frequency k of the time embedding: min (max/min)^(k / (K - 1)) (mlp::time_frequency).
fn time_frequency(k: u32) -> f32 {
    return MLP_TIME_FREQUENCY_MIN * pow(MLP_TIME_FREQUENCY_MAX / MLP_TIME_FREQUENCY_MIN, f32(k) / f32(MLP_TIME_FREQUENCIES - 1u));
}

@compute @workgroup_size(64)
fn train_gradient(@builtin(global_invocation_id) id: vec3<u32>) {
    let e = id.x;
    if (e >= params.batch) {
        return;
    }
    let example = examples[e];
    var features: array<f32, MLP_FEATURES>;
    features[0] = example.x.x;
    features[1] = example.x.y;
    for (var k = 0u; k < MLP_TIME_FREQUENCIES; k++) {
        let phase = time_frequency(k) * example.t;
        features[2u + k] = sin(phase);
        features[2u + MLP_TIME_FREQUENCIES + k] = cos(phase);
    }
    // phi(x) as mlp::coordinate_features computes it (double-angle formulas from one sine and
    // cosine per coordinate); the CPU's sine is exact for any phase, WGSL's only in [-pi, pi].
    var phi: array<f32, MLP_MAX_COORDINATE_FEATURES>;
    let phase = MLP_COORDINATE_FREQUENCY_MIN * example.x;
    let reduced = phase - MLP_TAU * round(phase / MLP_TAU);
    var sine = sin(reduced);
    var cosine = cos(reduced);
    for (var k = 0u; k < MLP_COORDINATE_OCTAVES; k++) {
        phi[4u * k] = sine.x;
        phi[4u * k + 1u] = cosine.x;
        phi[4u * k + 2u] = sine.y;
        phi[4u * k + 3u] = cosine.y;
        let doubled = 2.0 * sine * cosine;
        cosine = vec2<f32>(1.0) - 2.0 * sine * sine;
        sine = doubled;
    }
    var a1: array<f32, MLP_HIDDEN>;
    var h1: array<f32, MLP_HIDDEN>;
    for (var j = 0u; j < MLP_HIDDEN; j++) {
        var acc = 0.0;
        for (var i = 0u; i < MLP_FEATURES; i++) {
            acc += weights[MLP_W1 + j * MLP_FEATURES + i] * features[i];
        }
        a1[j] = weights[MLP_B1 + j] + acc;
        var coordinate = 0.0;
        for (var i = 0u; i < 4u * MLP_COORDINATE_OCTAVES; i++) {
            coordinate += weights[MLP_WC + j * 4u * MLP_COORDINATE_OCTAVES + i] * phi[i];
        }
        a1[j] += coordinate;
        if (params.embedding_rows > 0u) {
            a1[j] += weights[MLP_PARAMETERS + example.label * MLP_HIDDEN + j];
        }
        h1[j] = a1[j] * sigmoid(a1[j]);
    }
    var a2: array<f32, MLP_HIDDEN>;
    var h2: array<f32, MLP_HIDDEN>;
    for (var j = 0u; j < MLP_HIDDEN; j++) {
        var acc = 0.0;
        for (var k = 0u; k < MLP_HIDDEN; k++) {
            acc += weights[MLP_W2 + j * MLP_HIDDEN + k] * h1[k];
        }
        a2[j] = weights[MLP_B2 + j] + acc;
        h2[j] = a2[j] * sigmoid(a2[j]);
    }
    var d_out: array<f32, 2>;
    var loss = 0.0;
    for (var o = 0u; o < 2u; o++) {
        var acc = 0.0;
        for (var k = 0u; k < MLP_HIDDEN; k++) {
            acc += weights[MLP_W3 + o * MLP_HIDDEN + k] * h2[k];
        }
        let residual = weights[MLP_B3 + o] + acc - example.goal[o];
        loss += params.scale * example.weight * residual * residual;
        d_out[o] = 2.0 * params.scale * example.weight * residual;
    }
    losses[e] = loss;
    let g = e * params.stride;
    // Layer 3, and d loss / d a2.
    var d_a2: array<f32, MLP_HIDDEN>;
    for (var o = 0u; o < 2u; o++) {
        gradients[g + MLP_B3 + o] = d_out[o];
        for (var k = 0u; k < MLP_HIDDEN; k++) {
            gradients[g + MLP_W3 + o * MLP_HIDDEN + k] = d_out[o] * h2[k];
            d_a2[k] += weights[MLP_W3 + o * MLP_HIDDEN + k] * d_out[o];
        }
    }
    for (var k = 0u; k < MLP_HIDDEN; k++) {
        let s = sigmoid(a2[k]);
        d_a2[k] *= s * (1.0 + a2[k] * (1.0 - s));
    }
    // Layer 2, and d loss / d a1.
    var d_a1: array<f32, MLP_HIDDEN>;
    for (var j = 0u; j < MLP_HIDDEN; j++) {
        gradients[g + MLP_B2 + j] = d_a2[j];
        for (var k = 0u; k < MLP_HIDDEN; k++) {
            gradients[g + MLP_W2 + j * MLP_HIDDEN + k] = d_a2[j] * h1[k];
            d_a1[k] += weights[MLP_W2 + j * MLP_HIDDEN + k] * d_a2[j];
        }
    }
    // The pads between b3 and WC (none without coordinate features).
    for (var p = MLP_B3 + 2u; p < MLP_WC && MLP_COORDINATE_OCTAVES > 0u; p++) {
        gradients[g + p] = 0.0;
    }
    // Layer 1.
    for (var j = 0u; j < MLP_HIDDEN; j++) {
        let s = sigmoid(a1[j]);
        let d = d_a1[j] * s * (1.0 + a1[j] * (1.0 - s));
        gradients[g + MLP_B1 + j] = d;
        for (var i = 0u; i < MLP_FEATURES; i++) {
            gradients[g + MLP_W1 + j * MLP_FEATURES + i] = d * features[i];
        }
        for (var i = 0u; i < 4u * MLP_COORDINATE_OCTAVES; i++) {
            gradients[g + MLP_WC + j * 4u * MLP_COORDINATE_OCTAVES + i] = d * phi[i];
        }
        // The embedding: the label's row gets d loss / d a1, every other row 0.
        for (var r = 0u; r < params.embedding_rows; r++) {
            gradients[g + MLP_PARAMETERS + r * MLP_HIDDEN + j] = select(0.0, d, r == example.label);
        }
    }
}
