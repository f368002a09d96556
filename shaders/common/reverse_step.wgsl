// One reverse step as a linear update (see src/core/sampler.rs, which computes the coefficients):
//   x <- x_coef x + eps_coef eps_hat(x, t_i) + noise_coef z,   z ~ N(0, I) keyed (seed, particle, i).
// Twin of sampler::step_particle. Keep ReverseStep in sync with src/core/sampler.rs (32 bytes)
// and RunParams with src/gpu/reverse.rs.

struct ReverseStep {
    t: f32,
    alpha: f32,
    sigma: f32,
    x_coef: f32,
    eps_coef: f32,
    noise_coef: f32,
    index: u32,
    _pad: u32,
}

struct RunParams {
    seed: u32,
    particle_count: u32,
    first_step: u32,
    step_count: u32,
}

fn apply_step(step: ReverseStep, x: vec2<f32>, eps: vec2<f32>, seed: u32, particle: u32) -> vec2<f32> {
    var z = vec2<f32>(0.0);
    if (step.noise_coef != 0.0) {
        z = normal2(seed, particle, step.index, STREAM_REVERSE);
    }
    return step.x_coef * x + step.eps_coef * eps + step.noise_coef * z;
}
