// The score network eps_theta(x, t): [x, emb(t)] -> 64 -> SiLU -> 64 -> SiLU -> 2.
// Twin of Mlp::forward_with_bias in src/core/mlp.rs. Flat weight layout (keep in sync with
// src/core/mlp.rs): row-major [out][in] matrices in the order W1 (64x18), b1, W2 (64x64), b2,
// W3 (2x64), b3. The time-dependent part of layer 1, hidden_bias = b1 + W1[:, emb] emb(t), is
// precomputed per step on the CPU and read from `hidden_biases[step * 64 + j]`.
// Expects the including kernel to declare `weights: array<f32>` and `hidden_biases: array<f32>`.

// The layout constants MLP_FEATURES, MLP_HIDDEN, MLP_W1, MLP_W2, MLP_B2, MLP_W3 and MLP_B3 are
// generated from src/core/mlp.rs when the shader is assembled (src/gpu/shaders.rs), so the two
// sides cannot drift apart.

fn silu(a: f32) -> f32 {
    return a / (1.0 + exp(-a));
}

fn mlp_forward(x: vec2<f32>, bias_row: u32) -> vec2<f32> {
    var h1: array<f32, 64>;
    for (var j = 0u; j < MLP_HIDDEN; j++) {
        let row = MLP_W1 + j * MLP_FEATURES;
        h1[j] = silu(weights[row] * x.x + weights[row + 1u] * x.y + hidden_biases[bias_row * MLP_HIDDEN + j]);
    }
    var h2: array<f32, 64>;
    for (var j = 0u; j < MLP_HIDDEN; j++) {
        let row = MLP_W2 + j * MLP_HIDDEN;
        var dot = 0.0;
        for (var k = 0u; k < MLP_HIDDEN; k++) {
            dot += weights[row + k] * h1[k];
        }
        h2[j] = silu(dot + weights[MLP_B2 + j]);
    }
    var out = vec2<f32>(weights[MLP_B3], weights[MLP_B3 + 1u]);
    for (var k = 0u; k < MLP_HIDDEN; k++) {
        out += vec2<f32>(weights[MLP_W3 + k], weights[MLP_W3 + MLP_HIDDEN + k]) * h2[k];
    }
    return out;
}
