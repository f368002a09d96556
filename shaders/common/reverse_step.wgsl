// One reverse step, linear in what it combines (see src/core/sampler/mod.rs, which computes the
// coefficients for every sampler):
//   x^ = x + pre_noise z0;  e1 = eps_hat(x^, eval1)
//   x' = stage2_x x^ + stage2_e1 e1 + stage2_noise z1;  e2 = eps_hat(x', eval2)
//   x  <- out_x x^ + out_e1 e1 + out_e2 e2 + sum_k out_hist_k h[k] + out_stage2_noise z1 + out_noise z
//   h  <- [hist_x x^ + hist_e1 e1, h[0], h[1]]     (the last HISTORY_SLOTS x0-hats or eps, newest first)
// with z0, z1, z ~ N(0, I) keyed (seed, particle, step index) in the CHURN, STAGE2 and REVERSE
// streams. Twin of sampler::apply_step. ReverseStep is sampler::ReverseStep
// (src/core/sampler/mod.rs, 112 bytes) and RunParams engine::RunParams (src/gpu/engine.rs);
// tests/it/gpu_layout.rs checks both. The history buffer holds HISTORY_SLOTS vec2s per particle.
// Needs common/evaluation.wgsl.

const STREAM_CHURN: u32 = 6u;
const STREAM_STAGE2: u32 = 8u;
// sampler::HISTORY_SLOTS.
const HISTORY_SLOTS: u32 = 3u;

struct ReverseStep {
    eval1: Evaluation,
    eval2: Evaluation,
    pre_noise: f32,
    stage2_x: f32,
    stage2_e1: f32,
    stage2: u32,
    stage2_noise: f32,
    out_x: f32,
    out_e1: f32,
    out_e2: f32,
    out_hist0: f32,
    out_hist1: f32,
    out_hist2: f32,
    out_noise: f32,
    out_stage2_noise: f32,
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

// z1, the second stage's Brownian increment (zero where the step draws none).
fn stage2_normal(step: ReverseStep, seed: u32, particle: u32) -> vec2<f32> {
    if (step.stage2_noise == 0.0 && step.out_stage2_noise == 0.0) {
        return vec2<f32>(0.0);
    }
    return normal2(seed, particle, step.index, STREAM_STAGE2);
}

// The new x; twin of the output of sampler::finish_step.
fn finish_step(step: ReverseStep, x: vec2<f32>, e1: vec2<f32>, e2: vec2<f32>, z1: vec2<f32>, h0: vec2<f32>, h1: vec2<f32>, h2: vec2<f32>, seed: u32, particle: u32) -> vec2<f32> {
    var z = vec2<f32>(0.0);
    if (step.out_noise != 0.0) {
        z = normal2(seed, particle, step.index, STREAM_REVERSE);
    }
    return step.out_x * x + step.out_e1 * e1 + step.out_e2 * e2
        + step.out_hist0 * h0 + step.out_hist1 * h1 + step.out_hist2 * h2
        + step.out_stage2_noise * z1 + step.out_noise * z;
}

// Runs the steps of `run` for particle i; needs `fn eps_hat(x, evaluation, bias_row) -> vec2<f32>`
// from the including kernel, and the `particles` and `history` buffers.
fn run_steps(i: u32) {
    var x = particles[i];
    var h0 = history[HISTORY_SLOTS * i];
    var h1 = history[HISTORY_SLOTS * i + 1u];
    var h2 = history[HISTORY_SLOTS * i + 2u];
    for (var s = run.first_step; s < run.first_step + run.step_count; s++) {
        let step = steps[s];
        let x_hat = churned(step, x, run.seed, i);
        let e1 = eps_hat(x_hat, step.eval1, 2u * s);
        let z1 = stage2_normal(step, run.seed, i);
        var e2 = vec2<f32>(0.0);
        if (step.stage2 != 0u) {
            let x2 = step.stage2_x * x_hat + step.stage2_e1 * e1 + step.stage2_noise * z1;
            e2 = eps_hat(x2, step.eval2, 2u * s + 1u);
        }
        x = finish_step(step, x_hat, e1, e2, z1, h0, h1, h2, run.seed, i);
        h2 = h1;
        h1 = h0;
        h0 = step.hist_x * x_hat + step.hist_e1 * e1;
    }
    particles[i] = x;
    history[HISTORY_SLOTS * i] = h0;
    history[HISTORY_SLOTS * i + 1u] = h1;
    history[HISTORY_SLOTS * i + 2u] = h2;
}
