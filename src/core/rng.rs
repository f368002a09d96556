//! Counter-based random numbers keyed by `(seed, particle, step, stream)`.
//!
//! The generator is the `pcg4d` hash of Jarzynski and Olano, "Hash Functions for GPU Rendering",
//! JCGT 9(3), 2020: a bijection of four 32-bit words built from one LCG step and two rounds of
//! cross-multiplication. It has no state, so particle `i` at step `s` draws the same numbers on
//! the CPU and on the GPU, in any order, which is what makes a share link replay exactly.
//! The integer output is bit-identical to `shaders/common/rng.wgsl` (keep in sync); the normals
//! agree up to the accuracy of each platform's `log`, `sqrt`, `cos` and `sin`.

/// Streams separate independent uses of the same `(seed, particle, step)` key.
pub mod stream {
    /// Initial noise x_T of a reverse run.
    pub const PRIOR: u32 = 0;
    /// Noise eps of the forward process x_t = alpha_t x_0 + sigma_t eps.
    pub const FORWARD: u32 = 1;
    /// Fresh noise z of each stochastic reverse step.
    pub const REVERSE: u32 = 2;
    /// Data samples x_0 of a dataset.
    pub const DATA: u32 = 3;
    /// Network initialisation.
    pub const INIT: u32 = 4;
    /// Training batches (data, time and noise of each example).
    pub const TRAIN: u32 = 5;
    /// Churn noise z0 that EDM's stochastic sampler adds before a step.
    pub const CHURN: u32 = 6;
    /// Draws of the latents x_t ~ q(x_t | x_0) that estimate the variational bound (`core::elbo`).
    pub const ELBO: u32 = 7;
    /// The Brownian increment z1 to the second stage of a two-stage SDE step
    /// (`core::sampler`, DPM-Solver++ SDE).
    pub const STAGE2: u32 = 8;
    /// The uniform of each systematic resampling of the SMC sampler (`core::smc`).
    pub const RESAMPLE: u32 = 9;
    /// Whether a class-conditional training example keeps its label or gets the null class
    /// (`core::class_embedding::LABEL_DROPOUT`).
    pub const LABEL: u32 = 10;
    /// The pairing draws of a training coupling: the Schrödinger-bridge coupling's choice of a
    /// noise for each data point and its bridge noise (`core::coupling`).
    pub const COUPLING: u32 = 11;
    /// Whether a training example draws its time from the log-normal or the uniform part of
    /// `core::train::TimeSampling::LogNormalAndUniform`.
    pub const TIME_MIXTURE: u32 = 12;
}

/// LCG multiplier of `pcg4d` (Numerical Recipes' 32-bit LCG).
const LCG_MULTIPLIER: u32 = 1_664_525;
/// LCG increment of `pcg4d`.
const LCG_INCREMENT: u32 = 1_013_904_223;

/// The `pcg4d` hash: four words in, four well-mixed words out.
pub fn pcg4d(key: [u32; 4]) -> [u32; 4] {
    let mut v = key.map(|k| k.wrapping_mul(LCG_MULTIPLIER).wrapping_add(LCG_INCREMENT));
    cross_multiply(&mut v);
    for word in &mut v {
        *word ^= *word >> 16;
    }
    cross_multiply(&mut v);
    v
}

fn cross_multiply(v: &mut [u32; 4]) {
    v[0] = v[0].wrapping_add(v[1].wrapping_mul(v[3]));
    v[1] = v[1].wrapping_add(v[2].wrapping_mul(v[0]));
    v[2] = v[2].wrapping_add(v[0].wrapping_mul(v[1]));
    v[3] = v[3].wrapping_add(v[1].wrapping_mul(v[2]));
}

/// Four random words for `(seed, particle, step, stream)`.
pub fn words(seed: u32, particle: u32, step: u32, stream: u32) -> [u32; 4] {
    pcg4d([seed, particle, step, stream])
}

/// 2^-24: the spacing of the uniforms built from the top 24 bits of a word.
const UNIFORM_SCALE: f32 = 1.0 / 16_777_216.0;

/// A uniform number in (0, 1] from the top 24 bits of `word` (never 0, so `ln` is safe).
pub fn uniform(word: u32) -> f32 {
    ((word >> 8) + 1) as f32 * UNIFORM_SCALE
}

/// Two independent standard normals from two words (Box-Muller: r = sqrt(-2 ln u1), theta = 2 pi u2).
pub fn box_muller(word1: u32, word2: u32) -> [f32; 2] {
    let radius = (-2.0 * uniform(word1).ln()).sqrt();
    let angle = std::f32::consts::TAU * uniform(word2);
    [radius * angle.cos(), radius * angle.sin()]
}

/// Two standard normals for `(seed, particle, step, stream)`, from the first two words.
/// Twin of `normal2` in `shaders/common/rng.wgsl`.
pub fn normal2(seed: u32, particle: u32, step: u32, stream: u32) -> [f32; 2] {
    let w = words(seed, particle, step, stream);
    box_muller(w[0], w[1])
}

/// Four standard normals for `(seed, particle, step, stream)`.
pub fn normal4(seed: u32, particle: u32, step: u32, stream: u32) -> [f32; 4] {
    let w = words(seed, particle, step, stream);
    let [a, b] = box_muller(w[0], w[1]);
    let [c, d] = box_muller(w[2], w[3]);
    [a, b, c, d]
}
