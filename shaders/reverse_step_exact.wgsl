// Reverse steps first_step .. first_step + step_count for every particle, eps_hat from the exact
// score of the dataset's Gaussian mixture: eps_hat = -sigma_t grad log p_t(x).
// Twin of sampler::run with ScoreSource::Exact.
// Needs common/rng.wgsl, common/mixture.wgsl, common/evaluation.wgsl, common/guidance.wgsl, common/posterior_guidance.wgsl,
// common/eps_hat_exact.wgsl, common/reverse_step.wgsl.

// Bindings: the table `layout::reverse_step_exact` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> run: RunParams;
@group(0) @binding(1) var<storage, read> steps: array<ReverseStep>;
@group(0) @binding(2) var<storage, read> components: array<MixtureComponent>;
@group(0) @binding(4) var<storage, read_write> particles: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> history: array<vec2<f32>>;
// The guidance weight of each evaluation (two per step; 0 where unguided: common/guidance.wgsl).
@group(0) @binding(8) var<storage, read> guidance_weights: array<f32>;
// The measurement DPS and PiGDM condition on (method 0: none; common/posterior_guidance.wgsl).
@group(0) @binding(9) var<uniform> observation: ObservationParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn reverse_step_exact(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = grid_index(id, groups);
    if (i >= run.particle_count) {
        return;
    }
    run_steps(i);
}
