// One reverse step, linear in what it combines (see src/core/sampler/mod.rs, which computes the
// coefficients for every sampler):
//   x^ = x + pre_noise z0;  e1 = eps_hat(x^, eval1);  x' = stage2_x x^ + stage2_e1 e1;  e2 = eps_hat(x', eval2)
//   x  <- out_x x^ + out_e1 e1 + out_e2 e2 + out_hist h + out_noise z;   h <- hist_x x^ + hist_e1 e1
// with z0, z ~ N(0, I) keyed (seed, particle, step index) in the CHURN and REVERSE streams.
// Twin of sampler::apply_step. ReverseStep is sampler::ReverseStep (src/core/sampler/mod.rs, 96
// bytes) and RunParams engine::RunParams (src/gpu/engine.rs); tests/gpu_layout.rs checks both.
// Needs common/evaluation.wgsl.

const STREAM_CHURN: u32 = 6u;

struct ReverseStep {
    eval1: Evaluation,
    eval2: Evaluation,
    pre_noise: f32,
    stage2_x: f32,
    stage2_e1: f32,
    stage2: u32,
    out_x: f32,
    out_e1: f32,
    out_e2: f32,
    out_hist: f32,
    out_noise: f32,
    hist_x: f32,
    hist_e1: f32,
    index: u32,
}

struct RunParams {
    seed: u32,
    particle_count: u32,
    first_step: u32,
    step_count: u32,
}

fn churned(step: ReverseStep, x: vec2<f32>, seed: u32, particle: u32) -> vec2<f32> {
    if (step.pre_noise == 0.0) {
        return x;
    }
    return x + step.pre_noise * normal2(seed, particle, step.index, STREAM_CHURN);
}

// The new x (xy) and history (zw); twin of sampler::finish_step.
fn finish_step(step: ReverseStep, x: vec2<f32>, e1: vec2<f32>, e2: vec2<f32>, h: vec2<f32>, seed: u32, particle: u32) -> vec4<f32> {
    var z = vec2<f32>(0.0);
    if (step.out_noise != 0.0) {
        z = normal2(seed, particle, step.index, STREAM_REVERSE);
    }
    let out = step.out_x * x + step.out_e1 * e1 + step.out_e2 * e2 + step.out_hist * h + step.out_noise * z;
    return vec4<f32>(out, step.hist_x * x + step.hist_e1 * e1);
}

// Runs the steps of `run` for particle i; needs `fn eps_hat(x, evaluation, bias_row) -> vec2<f32>`
// from the including kernel, and the `particles` and `history` buffers.
fn run_steps(i: u32) {
    var x = particles[i];
    var h = history[i];
    for (var s = run.first_step; s < run.first_step + run.step_count; s++) {
        let step = steps[s];
        let x_hat = churned(step, x, run.seed, i);
        let e1 = eps_hat(x_hat, step.eval1, 2u * s);
        var e2 = vec2<f32>(0.0);
        if (step.stage2 != 0u) {
            e2 = eps_hat(step.stage2_x * x_hat + step.stage2_e1 * e1, step.eval2, 2u * s + 1u);
        }
        let next = finish_step(step, x_hat, e1, e2, h, run.seed, i);
        x = next.xy;
        h = next.zw;
    }
    particles[i] = x;
    history[i] = h;
}
