// The score network eps_theta(x, t): [x, emb(t)] -> 64 -> SiLU -> 64 -> SiLU -> 2.
// Twin of Mlp::forward_with_bias in src/core/mlp.rs. Flat weight layout (keep in sync with
// src/core/mlp.rs): row-major [out][in] matrices in the order W1 (64x18), b1, W2 (64x64), b2,
// W3 (2x64), b3. The time-dependent part of layer 1, hidden_bias = b1 + W1[:, emb] emb(t), is
// precomputed per step on the CPU and read from `hidden_biases[step * 64 + j]`.
// Expects the including kernel to declare `weights: array<vec4<f32>>` (the flat array read four
// at a time: W2 and W3 rows start at multiples of 4, so their dot products run on vec4s) and
// `hidden_biases: array<f32>`.
// The layout constants MLP_FEATURES, MLP_HIDDEN, MLP_W1, MLP_W2, MLP_B2, MLP_W3 and MLP_B3 are
// generated from src/core/mlp.rs when the shader is assembled (src/gpu/shaders.rs), so the two
// sides cannot drift apart.

// Hidden activations are held as 16 vec4s.
const MLP_QUADS: u32 = 16u;

fn weight(i: u32) -> f32 {
    return weights[i >> 2u][i & 3u];
}

fn silu4(a: vec4<f32>) -> vec4<f32> {
    return a / (vec4<f32>(1.0) + exp(-a));
}

// Dot product of the 64-wide row starting at flat index `row` with `h`, as 16 vec4 products
// written out (constant indices keep `h` in registers on compilers that do not unroll loops).
fn mlp_row_dot(row: u32, h: ptr<function, array<vec4<f32>, 16>>) -> f32 {
    let base = row >> 2u;
    let acc = weights[base] * (*h)[0]
        + weights[base + 1u] * (*h)[1]
        + weights[base + 2u] * (*h)[2]
        + weights[base + 3u] * (*h)[3]
        + weights[base + 4u] * (*h)[4]
        + weights[base + 5u] * (*h)[5]
        + weights[base + 6u] * (*h)[6]
        + weights[base + 7u] * (*h)[7]
        + weights[base + 8u] * (*h)[8]
        + weights[base + 9u] * (*h)[9]
        + weights[base + 10u] * (*h)[10]
        + weights[base + 11u] * (*h)[11]
        + weights[base + 12u] * (*h)[12]
        + weights[base + 13u] * (*h)[13]
        + weights[base + 14u] * (*h)[14]
        + weights[base + 15u] * (*h)[15];
    return acc.x + acc.y + acc.z + acc.w;
}

// Pre-activation of first-layer unit j: W1[j, x] x + hidden_bias[j].
fn mlp_first_layer_unit(j: u32, x: vec2<f32>, bias_row: u32) -> f32 {
    let row = MLP_W1 + j * MLP_FEATURES;
    return weight(row) * x.x + weight(row + 1u) * x.y + hidden_biases[bias_row * MLP_HIDDEN + j];
}

// Units 4q .. 4q + 3 of the first hidden layer, SiLU applied.
fn mlp_first_layer_quad(q: u32, x: vec2<f32>, bias_row: u32) -> vec4<f32> {
    let j = 4u * q;
    return silu4(vec4<f32>(
        mlp_first_layer_unit(j, x, bias_row),
        mlp_first_layer_unit(j + 1u, x, bias_row),
        mlp_first_layer_unit(j + 2u, x, bias_row),
        mlp_first_layer_unit(j + 3u, x, bias_row),
    ));
}

// Units 4q .. 4q + 3 of the second hidden layer, SiLU applied.
fn mlp_second_layer_quad(q: u32, h1: ptr<function, array<vec4<f32>, 16>>) -> vec4<f32> {
    let row = MLP_W2 + 4u * q * MLP_HIDDEN;
    return silu4(vec4<f32>(
        mlp_row_dot(row, h1),
        mlp_row_dot(row + MLP_HIDDEN, h1),
        mlp_row_dot(row + 2u * MLP_HIDDEN, h1),
        mlp_row_dot(row + 3u * MLP_HIDDEN, h1),
    ) + weights[MLP_B2 / 4u + q]);
}

// The hidden layers are written out quad by quad rather than looped: with constant indices the
// activations stay in registers on compilers that do not unroll loops (software adapters such
// as SwiftShader ran the looped form at half the speed), and whole vec4s are written at once.
fn mlp_forward(x: vec2<f32>, bias_row: u32) -> vec2<f32> {
    var h1 = array<vec4<f32>, 16>(
        mlp_first_layer_quad(0u, x, bias_row),
        mlp_first_layer_quad(1u, x, bias_row),
        mlp_first_layer_quad(2u, x, bias_row),
        mlp_first_layer_quad(3u, x, bias_row),
        mlp_first_layer_quad(4u, x, bias_row),
        mlp_first_layer_quad(5u, x, bias_row),
        mlp_first_layer_quad(6u, x, bias_row),
        mlp_first_layer_quad(7u, x, bias_row),
        mlp_first_layer_quad(8u, x, bias_row),
        mlp_first_layer_quad(9u, x, bias_row),
        mlp_first_layer_quad(10u, x, bias_row),
        mlp_first_layer_quad(11u, x, bias_row),
        mlp_first_layer_quad(12u, x, bias_row),
        mlp_first_layer_quad(13u, x, bias_row),
        mlp_first_layer_quad(14u, x, bias_row),
        mlp_first_layer_quad(15u, x, bias_row),
    );
    var h2 = array<vec4<f32>, 16>(
        mlp_second_layer_quad(0u, &h1),
        mlp_second_layer_quad(1u, &h1),
        mlp_second_layer_quad(2u, &h1),
        mlp_second_layer_quad(3u, &h1),
        mlp_second_layer_quad(4u, &h1),
        mlp_second_layer_quad(5u, &h1),
        mlp_second_layer_quad(6u, &h1),
        mlp_second_layer_quad(7u, &h1),
        mlp_second_layer_quad(8u, &h1),
        mlp_second_layer_quad(9u, &h1),
        mlp_second_layer_quad(10u, &h1),
        mlp_second_layer_quad(11u, &h1),
        mlp_second_layer_quad(12u, &h1),
        mlp_second_layer_quad(13u, &h1),
        mlp_second_layer_quad(14u, &h1),
        mlp_second_layer_quad(15u, &h1),
    );
    return vec2<f32>(
        mlp_row_dot(MLP_W3, &h2) + weight(MLP_B3),
        mlp_row_dot(MLP_W3 + MLP_HIDDEN, &h2) + weight(MLP_B3 + 1u),
    );
}
