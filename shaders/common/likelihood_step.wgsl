// One step of the augmented probability-flow ODE (x, log det) from t to t' > t (core::likelihood):
//   e1, d1 = eps_hat(x), tr J(x)                                   at eval1
//   x2 = stage2_x x + stage2_e1 e1;  e2, d2 = eps_hat(x2), tr J(x2)  at eval2 (if stage2)
//   x <- out_x x + out_e1 e1 + out_e2 e2
//   l <- l + log_det + log_det_1 d1 + log_det_2 d2
// so that at the noise end ln p_t0(x_t0) = ln p_T(x_T) + l (instantaneous change of variables).
// Twin of likelihood::apply_step in src/core/likelihood.rs (structs checked by tests/it/gpu_layout.rs).
// Needs common/evaluation.wgsl and an `eps_hat_with_divergence`, and the including kernel's
// `run`, `steps`, `points` and `log_dets` bindings.

struct LikelihoodStep {
    eval1: Evaluation,
    eval2: Evaluation,
    stage2_x: f32,
    stage2_e1: f32,
    stage2: u32,
    out_x: f32,
    out_e1: f32,
    out_e2: f32,
    log_det: f32,
    log_det_1: f32,
    log_det_2: f32,
}

// The same uniform block as the reverse kernels' (the seed is unused: the ODE is deterministic).
struct RunParams {
    seed: u32,
    particle_count: u32,
    first_step: u32,
    step_count: u32,
}

fn run_likelihood_steps(i: u32) {
    var x = points[i];
    var log_det = log_dets[i];
    for (var k = 0u; k < run.step_count; k++) {
        let s = run.first_step + k;
        let step = steps[s];
        let first = eps_hat_with_divergence(x, step.eval1, 2u * s);
        var second = vec3<f32>(0.0);
        if (step.stage2 != 0u) {
            second = eps_hat_with_divergence(step.stage2_x * x + step.stage2_e1 * first.xy, step.eval2, 2u * s + 1u);
        }
        log_det += step.log_det + step.log_det_1 * first.z + step.log_det_2 * second.z;
        x = step.out_x * x + step.out_e1 * first.xy + step.out_e2 * second.xy;
    }
    points[i] = x;
    log_dets[i] = log_det;
}
