// Reverse steps first_step .. first_step + step_count for every particle, eps_hat from the MLP.
// All steps of a call run in one dispatch: particles are independent, so each invocation keeps
// its x in registers across steps. Twin of sampler::run with ScoreSource::Mlp.
// Needs common/rng.wgsl, common/mlp.wgsl, common/reverse_step.wgsl.

@group(0) @binding(0) var<uniform> run: RunParams;
@group(0) @binding(1) var<storage, read> steps: array<ReverseStep>;
@group(0) @binding(2) var<storage, read> weights: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> hidden_biases: array<f32>;
@group(0) @binding(4) var<storage, read_write> particles: array<vec2<f32>>;

@compute @workgroup_size(64)
fn reverse_step_mlp(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if (i >= run.particle_count) {
        return;
    }
    var x = particles[i];
    for (var s = run.first_step; s < run.first_step + run.step_count; s++) {
        let step = steps[s];
        let eps = mlp_forward(x, s);
        x = apply_step(step, x, eps, run.seed, i);
    }
    particles[i] = x;
}
