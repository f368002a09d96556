//! Particles that left the finite range: found after every batch of reverse steps and held where
//! they were before it, so a diverging run stops with a reason instead of filling the picture
//! and the views with Infinity and NaN. CPU twin of `shaders/contain_escaped.wgsl`.

/// A coordinate beyond this (world units) has escaped: the range in which every view's arithmetic
/// stays finite in f32, since the square of such a coordinate summed over the most particles the
/// engine runs (2^22, `gpu::engine::MAX_PARTICLES`) is 4.2e36, below f32's 3.4e38. Honest runs
/// stay within a few hundred units (the widest prior, EDM's sigma_max = 80, Karras et al. 2022,
/// Table 1); the strongest guidance in eight steps goes past a million (`tests/it/app_guidance.rs`).
pub const RUNAWAY_COORDINATE: f32 = 1.0e15;

/// Whether `p` has escaped: a coordinate is NaN, infinite, or beyond [`RUNAWAY_COORDINATE`].
pub fn escaped(p: [f32; 2]) -> bool {
    !(p[0].abs() <= RUNAWAY_COORDINATE && p[1].abs() <= RUNAWAY_COORDINATE)
}

/// Puts every escaped particle of `points` back at its position in `before` (the same particles
/// before the batch of steps) and returns how many escaped.
pub fn contain(points: &mut [[f32; 2]], before: &[[f32; 2]]) -> usize {
    debug_assert_eq!(points.len(), before.len());
    let mut count = 0;
    for (p, b) in points.iter_mut().zip(before) {
        if escaped(*p) {
            *p = *b;
            count += 1;
        }
    }
    count
}

/// What a run whose particles escaped says: where, how many, and what to try.
pub fn diverged_message(escaped: usize, particles: usize, step: usize, steps: usize) -> String {
    format!(
        "the run diverged: by step {step} of {steps}, {escaped} of {particles} particles left the finite range \
         (beyond ±{RUNAWAY_COORDINATE:e} or not a number); they are held where they were, and the run is stopped. \
         The score source is not one a sampler can follow: try the exact score, another network, or more steps"
    )
}
