// The MLP's flat weights (src/core/mlp.rs) as f32 in a read-only storage buffer, read four at a
// time through the data caches. One of the formats of src/gpu/kernel_config.rs
// (WeightsFormat::F32Storage).
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>, MLP_WEIGHT_QUADS>;

// Weights 4q .. 4q + 3.
fn weight_quad(q: u32) -> vec4<f32> {
    return weights[q];
}

// Weight i.
fn weight(i: u32) -> f32 {
    return weights[i >> 2u][i & 3u];
}
