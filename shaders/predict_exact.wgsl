// Predictions of the exact mixture score at every particle (see common/predict.wgsl).
// Needs common/mixture.wgsl, common/evaluation.wgsl, common/guidance.wgsl, common/posterior_guidance.wgsl, common/eps_hat_exact.wgsl,
// common/parametrization.wgsl, common/predict.wgsl.

// Bindings: the table `layout::predict_exact` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> predict: PredictParams;
@group(0) @binding(2) var<storage, read> components: array<MixtureComponent>;
@group(0) @binding(4) var<storage, read> particles: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> predictions: array<vec2<f32>>;
// The guidance weight of the one evaluation (0 where unguided: common/guidance.wgsl).
@group(0) @binding(8) var<storage, read> guidance_weights: array<f32>;
// The measurement DPS and PiGDM condition on (method 0: none; common/posterior_guidance.wgsl).
@group(0) @binding(9) var<uniform> observation: ObservationParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn predict_exact(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = grid_index(id, groups);
    if (i >= predict.particle_count) {
        return;
    }
    predict_at(i);
}
