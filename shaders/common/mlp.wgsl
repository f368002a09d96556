// The score network eps_theta(x, t): [x, emb(t)] -> 64 -> SiLU -> 64 -> SiLU -> 2.
// Twin of Mlp::forward_with_bias in src/core/mlp.rs. Flat weight layout (keep in sync with
// src/core/mlp.rs): row-major [out][in] matrices in the order W1 (64x18), b1, W2 (64x64), b2,
// W3 (2x64), b3. The time-dependent part of layer 1, hidden_bias = b1 + W1[:, emb] emb(t), is
// precomputed per step on the CPU and read from `hidden_biases[step * 64 + j]`.
// Reads the weights through `weight(i)` and `weight_quad(q)` (weights 4q .. 4q + 3: W2 and W3
// rows start at multiples of 4, so their dot products run on vec4s), which one of
// common/weights_*.wgsl declares with the weights binding (the formats of
// src/gpu/kernel_config.rs); expects the including kernel to declare `hidden_biases: array<f32>`.
// The layout constants MLP_FEATURES, MLP_HIDDEN, MLP_W1, MLP_W2, MLP_B2, MLP_W3 and MLP_B3 are
// generated from src/core/mlp.rs when the shader is assembled (src/gpu/shaders.rs), so the two
// sides cannot drift apart.

// Hidden activations are held as 16 vec4s.
const MLP_QUADS: u32 = 16u;

fn silu4(a: vec4<f32>) -> vec4<f32> {
    return a / (vec4<f32>(1.0) + exp(-a));
}

// Dot product of the 64-wide row starting at flat index `row` with `h`.
fn mlp_row_dot(row: u32, h: ptr<function, array<vec4<f32>, 16>>) -> f32 {
    let base = row >> 2u;
    var acc = vec4<f32>(0.0);
    for (var q = 0u; q < MLP_QUADS; q++) {
        acc += weight_quad(base + q) * (*h)[q];
    }
    return acc.x + acc.y + acc.z + acc.w;
}

fn mlp_forward(x: vec2<f32>, bias_row: u32) -> vec2<f32> {
    var h1: array<vec4<f32>, 16>;
    for (var q = 0u; q < MLP_QUADS; q++) {
        var a: vec4<f32>;
        for (var c = 0u; c < 4u; c++) {
            let j = 4u * q + c;
            let row = MLP_W1 + j * MLP_FEATURES;
            a[c] = weight(row) * x.x + weight(row + 1u) * x.y + hidden_biases[bias_row * MLP_HIDDEN + j];
        }
        h1[q] = silu4(a);
    }
    var h2: array<vec4<f32>, 16>;
    for (var q = 0u; q < MLP_QUADS; q++) {
        var a: vec4<f32>;
        for (var c = 0u; c < 4u; c++) {
            let j = 4u * q + c;
            a[c] = mlp_row_dot(MLP_W2 + j * MLP_HIDDEN, &h1) + weight(MLP_B2 + j);
        }
        h2[q] = silu4(a);
    }
    return vec2<f32>(
        mlp_row_dot(MLP_W3, &h2) + weight(MLP_B3),
        mlp_row_dot(MLP_W3 + MLP_HIDDEN, &h2) + weight(MLP_B3 + 1u),
    );
}
