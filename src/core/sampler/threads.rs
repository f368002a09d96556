//! [`run`](super::run) on several threads natively (the CLIs, the bench and native sessions):
//! the particles are split into contiguous slices, each stepped by its own thread with the
//! particle indices it would have in one run. Every particle's path depends only on its own
//! index, position and history (the noise is counter-based, keyed by the particle), so the
//! result is bit-identical whatever the number of threads. On wasm32 there are no threads here
//! (the page's workers are `www/js/cpu-workers.js`), and it is the one-thread run.

use super::{History, ReverseStep, ScoreSource, BATCH};

/// The threads this machine offers (`std::thread::available_parallelism`; 1 where unknown).
pub fn available_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// [`run`](super::run) with the particles split over up to `threads` threads (whole
/// [`BATCH`]es each, so no slice runs the network one particle at a time that one thread would
/// have batched; fewer threads where there are fewer batches).
pub fn run_threaded(
    source: ScoreSource,
    steps: &[ReverseStep],
    particles: &mut [[f32; 2]],
    history: &mut [History],
    seed: u32,
    first_particle: u32,
    threads: usize,
) {
    assert_eq!(particles.len(), history.len(), "one history entry per particle");
    let batches = particles.len().div_ceil(BATCH);
    let threads = threads.clamp(1, batches.max(1));
    if threads == 1 || cfg!(target_arch = "wasm32") {
        return super::run(source, steps, particles, history, seed, first_particle);
    }
    let slice = batches.div_ceil(threads) * BATCH;
    std::thread::scope(|scope| {
        for (k, (xs, hs)) in particles.chunks_mut(slice).zip(history.chunks_mut(slice)).enumerate() {
            let first = first_particle + (k * slice) as u32;
            scope.spawn(move || super::run(source, steps, xs, hs, seed, first));
        }
    });
}
