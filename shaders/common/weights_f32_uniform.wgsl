// The MLP's flat weights (src/core/mlp.rs) as f32 in a uniform buffer, read four at a time:
// every invocation reads the same address at the same time, which GPUs serve from their constant
// caches. One of the formats of src/gpu/kernel_config.rs (WeightsFormat::F32Uniform).
@group(0) @binding(2) var<uniform> weights: array<vec4<f32>, MLP_WEIGHT_QUADS>;

// Weights 4q .. 4q + 3.
fn weight_quad(q: u32) -> vec4<f32> {
    return weights[q];
}

// Weight i.
fn weight(i: u32) -> f32 {
    return weights[i >> 2u][i & 3u];
}
