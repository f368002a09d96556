// Likelihood steps first_step .. first_step + step_count for every point, eps_hat and its divergence
// from the MLP by forward mode (common/eps_divergence_mlp.wgsl). Twin of likelihood::run with
// Unguided::Mlp. Needs common/mlp.wgsl, common/mlp_jacobian.wgsl, common/evaluation.wgsl,
// common/eps_divergence_mlp.wgsl, common/likelihood_step.wgsl.

// Bindings: the table `layout::likelihood_step_mlp` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> run: RunParams;
@group(0) @binding(1) var<storage, read> steps: array<LikelihoodStep>;
// Binding 2, the weights: declared by common/weights_*.wgsl (src/gpu/kernel_config.rs).
// Two rows of 64 per step: the hidden biases of its first and second evaluation.
@group(0) @binding(3) var<storage, read> hidden_biases: array<f32>;
@group(0) @binding(4) var<storage, read_write> points: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> log_dets: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn likelihood_step_mlp(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = grid_index(id, groups);
    if (i >= run.particle_count) {
        return;
    }
    run_likelihood_steps(i);
}
