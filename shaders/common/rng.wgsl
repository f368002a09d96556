// Counter-based random numbers keyed by (seed, particle, step, stream).
// pcg4d: Jarzynski and Olano, "Hash Functions for GPU Rendering", JCGT 9(3), 2020.
// Integer output bit-identical to src/core/rng.rs (keep in sync); normals by Box-Muller.

const RNG_LCG_MULTIPLIER: u32 = 1664525u;
const RNG_LCG_INCREMENT: u32 = 1013904223u;
// 2^-24: spacing of uniforms built from the top 24 bits of a word.
const RNG_UNIFORM_SCALE: f32 = 5.9604645e-8;
const RNG_TAU: f32 = 6.2831855;

const STREAM_PRIOR: u32 = 0u;
const STREAM_FORWARD: u32 = 1u;
const STREAM_REVERSE: u32 = 2u;

fn pcg4d(key: vec4<u32>) -> vec4<u32> {
    var v = key * RNG_LCG_MULTIPLIER + RNG_LCG_INCREMENT;
    v.x += v.y * v.w; v.y += v.z * v.x; v.z += v.x * v.y; v.w += v.y * v.z;
    v = v ^ (v >> vec4<u32>(16u));
    v.x += v.y * v.w; v.y += v.z * v.x; v.z += v.x * v.y; v.w += v.y * v.z;
    return v;
}

// Uniform in (0, 1]: never 0, so log() is safe.
fn uniform01(word: u32) -> f32 {
    return f32((word >> 8u) + 1u) * RNG_UNIFORM_SCALE;
}

// Two standard normals: r = sqrt(-2 ln u1), theta = 2 pi u2.
fn box_muller(w1: u32, w2: u32) -> vec2<f32> {
    let radius = sqrt(-2.0 * log(uniform01(w1)));
    let angle = RNG_TAU * uniform01(w2);
    return radius * vec2<f32>(cos(angle), sin(angle));
}

// Twin of rng::normal2.
fn normal2(seed: u32, particle: u32, step: u32, stream: u32) -> vec2<f32> {
    let w = pcg4d(vec4<u32>(seed, particle, step, stream));
    return box_muller(w.x, w.y);
}
