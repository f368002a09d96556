//! A run whose particles leave the finite range stops with a reason on both paths, and no NaN
//! reaches what the views read (docs/features.md, "Networks as files"): the
//! particles that escaped are held where they were before the batch of steps, the CPU path's
//! step says why at once, and on the GPU the reverse steps count them for the page to read.

use crate::support::gpu::gpu;
use diffusion_playground::app::options::{Options, ScoreChoice};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::runaway::RUNAWAY_COORDINATE;
use diffusion_playground::core::sampler::Sampler;
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::gpu::ComputeEngine;

const PARTICLES: usize = 256;

/// Two reverse-SDE steps on VP linear: near the prior the reverse drift f x - g^2 score is
/// beta/2 x far from the data, so the first step (half the range, beta = 20) takes a particle
/// started at 0.9 of the runaway limit past it; the others start near the data.
fn options() -> Options {
    Options {
        score: ScoreChoice::Exact,
        schedule: Schedule::VpLinear,
        sampler: Sampler::EulerMaruyama,
        steps: 2,
        particles: PARTICLES as u32,
        ..Options::default()
    }
}

fn start() -> Vec<[f32; 2]> {
    let mut points: Vec<[f32; 2]> =
        (0..PARTICLES).map(|i| [(i % 16) as f32 / 8.0 - 1.0, (i / 16) as f32 / 8.0 - 1.0]).collect();
    points[7] = [0.9 * RUNAWAY_COORDINATE, 0.0];
    points
}

fn positions(session: &Session) -> Vec<[f32; 2]> {
    pollster::block_on(session.read_positions().unwrap().positions()).unwrap()
}

#[test]
fn on_the_cpu_the_step_that_diverges_says_why_and_holds_the_particle() {
    let mut session = Session::new(options(), Particles::Cpu(Vec::new())).unwrap();
    session.start_from(&start()).unwrap();
    let error = session.step(1).expect_err("a particle escaped");
    assert!(
        error.contains("the run diverged: by step 1 of 2, 1 of 256 particles left the finite range"),
        "{error}"
    );
    let after = positions(&session);
    assert_eq!(after[7], [0.9 * RUNAWAY_COORDINATE, 0.0], "held where it was");
    assert!(after.iter().all(|p| p[0].is_finite() && p[1].is_finite()), "no NaN for the views");
    assert_eq!(
        pollster::block_on(session.divergence().unwrap().message()).unwrap(),
        None,
        "the CPU path said so at once"
    );
}

#[test]
fn the_workers_steps_that_diverged_are_taken_back_held_and_reported() {
    let mut session = Session::new(options(), Particles::Cpu(Vec::new())).unwrap();
    let mut state = session.cpu_state().unwrap();
    state[2 * 3] = f32::NAN;
    let error = session.accept_cpu_state(session.run_key(), 0, 1, &state).expect_err("particle 3 is NaN");
    assert!(error.contains("1 of 256 particles left the finite range"), "{error}");
    let after = positions(&session);
    assert!(after.iter().all(|p| p[0].is_finite() && p[1].is_finite()), "particle 3 held: {:?}", after[3]);
    assert_eq!(session.step_index(), 1, "the step itself was taken");
}

#[test]
fn points_to_start_from_must_be_inside_the_finite_range() {
    let mut session = Session::new(options(), Particles::Cpu(Vec::new())).unwrap();
    let mut points = start();
    points[0] = [f32::INFINITY, 0.0];
    let refused = session.start_from(&points).expect_err("an infinite point");
    assert!(refused.contains("points"), "{refused}");
}

#[test]
fn on_the_gpu_the_reverse_steps_hold_and_count_the_escaped_as_the_cpu_twin_does() {
    let Some(gpu) = gpu() else { return };
    let mut on_gpu = Session::new(options(), Particles::Gpu(Box::new(ComputeEngine::new(&gpu)))).unwrap();
    let mut on_cpu = Session::new(options(), Particles::Cpu(Vec::new())).unwrap();
    on_gpu.start_from(&start()).unwrap();
    on_cpu.start_from(&start()).unwrap();
    assert_eq!(
        pollster::block_on(on_gpu.divergence().unwrap().message()).unwrap(),
        None,
        "none before a step"
    );
    on_gpu.step(1).expect("the GPU queues the step; the count says what happened");
    let cpu_error = on_cpu.step(1).expect_err("the CPU twin stops");
    let gpu_message =
        pollster::block_on(on_gpu.divergence().unwrap().message()).unwrap().expect("one escaped");
    assert_eq!(gpu_message, cpu_error, "the same reason on both paths");
    let (gpu_after, cpu_after) = (positions(&on_gpu), positions(&on_cpu));
    assert_eq!(gpu_after[7], [0.9 * RUNAWAY_COORDINATE, 0.0], "held where it was");
    for (g, c) in gpu_after.iter().zip(&cpu_after) {
        for k in 0..2 {
            assert!((g[k] - c[k]).abs() <= 2e-3 * (1.0 + c[k].abs()), "{g:?} vs {c:?}");
        }
    }
    // A new run starts with no escaped particles.
    on_gpu.reset().unwrap();
    assert_eq!(pollster::block_on(on_gpu.divergence().unwrap().message()).unwrap(), None);
}
