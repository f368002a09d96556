//! Particles that left the finite range: found after every batch of reverse steps and held where
//! they were before it, so a diverging run stops with a reason instead of filling the picture
//! and the views with Infinity and NaN. CPU twin of `shaders/contain_escaped.wgsl`.

/// A coordinate beyond this (world units) has escaped. Data lie within a few units of the origin
/// and the widest prior (EDM's sigma_max = 80, Karras et al. 2022, Table 1) puts particles within
/// a few hundred; 10^6 is far past any honest run, and its square (10^12) is still exact enough in
/// f32 for every view's arithmetic.
pub const RUNAWAY_COORDINATE: f32 = 1.0e6;

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
