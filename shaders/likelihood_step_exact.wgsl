// Likelihood steps first_step .. first_step + step_count for every point, eps_hat and its divergence
// from the exact mixture score in closed form (common/eps_divergence_exact.wgsl). Twin of
// likelihood::run with Unguided::Exact. Needs common/mixture.wgsl, common/mixture_divergence.wgsl,
// common/evaluation.wgsl, common/eps_divergence_exact.wgsl, common/likelihood_step.wgsl.

// Bindings: the table `layout::likelihood_step_exact` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> run: RunParams;
@group(0) @binding(1) var<storage, read> steps: array<LikelihoodStep>;
@group(0) @binding(2) var<storage, read> components: array<MixtureComponent>;
@group(0) @binding(4) var<storage, read_write> points: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> log_dets: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn likelihood_step_exact(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = grid_index(id, groups);
    if (i >= run.particle_count) {
        return;
    }
    run_likelihood_steps(i);
}
