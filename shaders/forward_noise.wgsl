// Forward noising of every particle in one dispatch (the forward process, docs/theory.md):
//   x_t = alpha_t x_0 + sigma_t eps,   eps ~ N(0, I) keyed (seed, particle, 0, stream).
// With alpha = 0 and stream PRIOR it draws the initial noise of a reverse run.
// Twin of sampler::forward_noise / sampler::prior in src/core/sampler/mod.rs. NoiseParams is
// engine::NoiseParams (src/gpu/engine.rs; tests/it/gpu_layout.rs checks the two layouts).
// Needs common/rng.wgsl.

struct NoiseParams {
    alpha: f32,
    sigma: f32,
    seed: u32,
    stream: u32,
    particle_count: u32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
}

// Bindings: the table `layout::forward_noise` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> params: NoiseParams;
@group(0) @binding(1) var<storage, read> data: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> particles: array<vec2<f32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward_noise(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = grid_index(id, groups);
    if (i >= params.particle_count) {
        return;
    }
    let eps = normal2(params.seed, i, 0u, params.stream);
    particles[i] = params.alpha * data[i] + params.sigma * eps;
}
