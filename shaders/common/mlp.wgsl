// The score network eps_theta(x, t): [x, emb(t)] -> 64 -> SiLU -> 64 -> SiLU -> 2.
// Twin of Mlp::forward_with_bias in src/core/mlp.rs. Flat weight layout (keep in sync with
// src/core/mlp.rs): row-major [out][in] matrices in the order W1 (64x18), b1, W2 (64x64), b2,
// W3 (2x64), b3. The time-dependent part of layer 1, hidden_bias = b1 + W1[:, emb] emb(t), is
// precomputed per step on the CPU and read from `hidden_biases[step * 64 + j]`.
// Reads the weights through `weight(i)` and `weight_quad(q)` (weights 4q .. 4q + 3: W2 and W3
// rows start at multiples of 4, so their dot products run on vec4s), which one of
// common/weights_*.wgsl declares with the weights binding (the formats of
// src/gpu/kernel_config.rs); expects the including kernel to declare `hidden_biases: array<f32>`.
// The layout constants MLP_FEATURES, MLP_HIDDEN, MLP_W1, MLP_W2, MLP_B2, MLP_W3, MLP_B3, MLP_WC
// and MLP_COORDINATE_OCTAVES are generated from src/core/mlp.rs and the network's architecture
// when the shader is assembled (src/gpu/shaders.rs), so the two sides cannot drift apart.
//
// A network with coordinate features (mlp::Architecture::FOURIER; Tancik et al. 2020, "Fourier
// features let networks learn high frequency functions in low dimensional domains") adds
// WC phi(x) to the first layer's pre-activations, phi(x) holding for each octave k
//   [sin w_k x, cos w_k x, sin w_k y, cos w_k y],   w_k = MLP_COORDINATE_FREQUENCY_MIN 2^k,
// and WC ([64][4 octaves], row-major) after b3 at a multiple of four, so each octave of a row is
// one vec4. A plain network has MLP_COORDINATE_OCTAVES = 0 and its loops compile away.

// Hidden activations are held as 16 vec4s.
const MLP_QUADS: u32 = 16u;

fn silu4(a: vec4<f32>) -> vec4<f32> {
    return a / (vec4<f32>(1.0) + exp(-a));
}

// phi(x), one vec4 per octave: one sine and cosine per coordinate, each next octave by the
// double-angle formulas sin 2a = 2 sin a cos a, cos 2a = 1 - 2 sin^2 a (twin of
// mlp::coordinate_features). The first phase is reduced to [-pi, pi] first: WGSL bounds the
// error of sin and cos only there, and particles far out at the noise end reach phases of tens.
fn mlp_coordinate_features(x: vec2<f32>) -> array<vec4<f32>, MLP_MAX_COORDINATE_OCTAVES> {
    var features: array<vec4<f32>, MLP_MAX_COORDINATE_OCTAVES>;
    let phase = MLP_COORDINATE_FREQUENCY_MIN * x;
    let reduced = phase - MLP_TAU * round(phase / MLP_TAU);
    var sine = sin(reduced);
    var cosine = cos(reduced);
    for (var k = 0u; k < MLP_COORDINATE_OCTAVES; k++) {
        features[k] = vec4<f32>(sine.x, cosine.x, sine.y, cosine.y);
        let doubled = 2.0 * sine * cosine;
        cosine = vec2<f32>(1.0) - 2.0 * sine * sine;
        sine = doubled;
    }
    return features;
}

// (WC phi(x))_j: hidden unit j's part of the coordinate features.
fn mlp_coordinate_term(j: u32, features: ptr<function, array<vec4<f32>, MLP_MAX_COORDINATE_OCTAVES>>) -> f32 {
    var acc = vec4<f32>(0.0);
    for (var k = 0u; k < MLP_COORDINATE_OCTAVES; k++) {
        acc += weight_quad(MLP_WC / 4u + j * MLP_COORDINATE_OCTAVES + k) * (*features)[k];
    }
    return acc.x + acc.y + acc.z + acc.w;
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
    var features = mlp_coordinate_features(x);
    var h1: array<vec4<f32>, 16>;
    for (var q = 0u; q < MLP_QUADS; q++) {
        var a: vec4<f32>;
        for (var c = 0u; c < 4u; c++) {
            let j = 4u * q + c;
            let row = MLP_W1 + j * MLP_FEATURES;
            a[c] = weight(row) * x.x + weight(row + 1u) * x.y + hidden_biases[bias_row * MLP_HIDDEN + j];
            if (MLP_COORDINATE_OCTAVES > 0u) {
                a[c] += mlp_coordinate_term(j, &features);
            }
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
