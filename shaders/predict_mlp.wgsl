// Predictions of the MLP at every particle (see common/predict.wgsl), one hidden-bias row.
// Needs common/mlp.wgsl, common/mixture.wgsl, common/evaluation.wgsl, common/guidance.wgsl, common/posterior_guidance.wgsl,
// common/eps_hat_mlp.wgsl, common/parametrization.wgsl, common/predict.wgsl.

// Bindings: the table `layout::predict_mlp` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> predict: PredictParams;
// Binding 2, the weights: declared by common/weights_*.wgsl (src/gpu/kernel_config.rs).
@group(0) @binding(3) var<storage, read> hidden_biases: array<f32>;
@group(0) @binding(4) var<storage, read> particles: array<vec2<f32>>;
@group(0) @binding(6) var<storage, read_write> predictions: array<vec2<f32>>;
// The mixture whose marked class guidance steers toward (read only where guided).
@group(0) @binding(7) var<storage, read> components: array<MixtureComponent>;
// The guidance weight of the one evaluation (0 where unguided: common/guidance.wgsl).
@group(0) @binding(8) var<storage, read> guidance_weights: array<f32>;
// The measurement DPS and PiGDM condition on (method 0: none; common/posterior_guidance.wgsl).
@group(0) @binding(9) var<uniform> observation: ObservationParams;

@compute @workgroup_size(WORKGROUP_SIZE)
fn predict_mlp(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = grid_index(id, groups);
    if (i >= predict.particle_count) {
        return;
    }
    predict_at(i);
}
