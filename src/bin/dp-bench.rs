//! Native benchmark of the playground's two paths, run by `cargo xtask bench`: the same reverse
//! run (reverse SDE with the embedded MLP, two moons, VP linear) through the CPU core (batched,
//! vectorised) and through the WGSL kernels on the first Vulkan adapter (lavapipe without a GPU).
//! Prints steps and MLP evaluations per second (median of the repeats, with min and max).

use std::time::Instant;

use diffusion_playground::gpu::{context, ComputeEngine};
use diffusion_playground::web::options::{Options, RawOptions, RawValue};
use diffusion_playground::web::session::{Particles, Session};

/// Particle counts measured.
const PARTICLES: [u32; 2] = [16_384, 65_536];
/// Steps per timed run.
const STEPS: u32 = 20;
/// Timed runs per configuration.
const REPEATS: usize = 3;

fn options(particles: u32) -> Result<Options, String> {
    let raw: RawOptions = [("particles", particles as f64), ("steps", STEPS as f64)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), Some(RawValue::Number(v))))
        .collect();
    Options::default().merged(&raw).map_err(|e| e.to_string())
}

/// Seconds of each timed run (a warm-up step first; runs end with a readback so GPU work is done).
fn time_runs(mut session: Session) -> Result<Vec<f64>, String> {
    let finish = |s: &Session| pollster::block_on(s.read_positions()?.positions()).map_err(|e| e.to_string());
    session.step(1)?;
    finish(&session)?;
    let mut seconds = Vec::new();
    for _ in 0..REPEATS {
        session.reset()?;
        let started = Instant::now();
        while session.step(STEPS)? > 0 {}
        finish(&session)?;
        seconds.push(started.elapsed().as_secs_f64());
    }
    seconds.sort_by(f64::total_cmp);
    Ok(seconds)
}

fn run() -> Result<(), String> {
    let gpu = context::native_context().map_err(|e| e.to_string())?;
    println!("native GPU adapter: {}", gpu.describe());
    println!("| path | N | steps/s | M evaluations/s | run seconds (min..max) |");
    println!("| --- | --- | --- | --- | --- |");
    for particles in PARTICLES {
        for on_gpu in [true, false] {
            let backend = if on_gpu {
                Particles::Gpu(Box::new(ComputeEngine::new(&gpu)))
            } else {
                Particles::Cpu(Vec::new())
            };
            let mut opts = options(particles)?;
            if !on_gpu && particles > diffusion_playground::web::options::MAX_PARTICLES_CPU {
                opts.particles = particles;
            }
            let session = Session::new(opts, backend)?;
            let seconds = time_runs(session)?;
            let median = seconds[seconds.len() / 2];
            println!(
                "| native {} | {particles} | {:.2} | {:.3} | {:.2}..{:.2} |",
                if on_gpu { "wgpu (Vulkan)" } else { "CPU core" },
                STEPS as f64 / median,
                (particles as f64 * STEPS as f64) / median / 1e6,
                seconds[0],
                seconds[seconds.len() - 1]
            );
        }
    }
    Ok(())
}

fn main() {
    if let Err(message) = run() {
        eprintln!("dp-bench: {message}");
        std::process::exit(1);
    }
}
