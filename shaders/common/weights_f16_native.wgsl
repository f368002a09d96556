// The MLP's flat weights (src/core/mlp.rs) as f16 in a read-only storage buffer, widened to f32
// as they are read; the arithmetic stays f32. Needs `enable f16;` (the adapter's shader-f16
// feature), which the assembler puts at the top of the module. Used only for networks whose
// weights are all half floats, so it reads exactly the f32 values. One of the formats of
// src/gpu/kernel_config.rs (WeightsFormat::F16Native).
@group(0) @binding(2) var<storage, read> weights: array<vec4<f16>, MLP_WEIGHT_QUADS_EVEN>;

// Weights 4q .. 4q + 3.
fn weight_quad(q: u32) -> vec4<f32> {
    return vec4<f32>(weights[q]);
}

// Weight i.
fn weight(i: u32) -> f32 {
    return f32(weights[i >> 2u][i & 3u]);
}
