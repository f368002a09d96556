// The MLP's flat weights (src/core/mlp.rs) as IEEE half floats in a uniform buffer, packed two to
// a u32 (weight 2k in the low 16 bits of word k) and eight to a vec4<u32>, widened to f32 as they
// are read (unpack2x16float, core WGSL); the arithmetic stays f32. Used only for networks whose
// weights are all half floats, so it reads exactly the f32 values. One of the formats of
// src/gpu/kernel_config.rs (WeightsFormat::F16Uniform).
@group(0) @binding(2) var<uniform> weights: array<vec4<u32>, MLP_WEIGHT_OCTETS>;

// Weights 4q .. 4q + 3: the low or the high half of row q / 2.
fn weight_quad(q: u32) -> vec4<f32> {
    let row = weights[q >> 1u];
    let words = select(row.xy, row.zw, (q & 1u) == 1u);
    return vec4<f32>(unpack2x16float(words.x), unpack2x16float(words.y));
}

// Weight i.
fn weight(i: u32) -> f32 {
    return unpack2x16float(weights[i >> 3u][(i >> 1u) & 3u])[i & 1u];
}
