// Counts the particles per bin of a side x side grid over [-h, h]^2 (row 0 at the top, y = h):
//   column = floor((x + h) / 2h * side),  row = floor((h - y) / 2h * side),
// one atomic add per particle inside the window. Twin of core::histogram::histogram (the same
// f32 operations in the same order). HistogramParams is engine::HistogramParams
// (src/gpu/engine.rs; tests/it/gpu_layout.rs checks the two layouts).

struct HistogramParams {
    side: u32,
    half_extent: f32,
    particle_count: u32,
    padding: u32,
}

// Bindings: the table `layout::histogram` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> params: HistogramParams;
@group(0) @binding(4) var<storage, read> particles: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> counts: array<atomic<u32>>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn histogram(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = grid_index(id, groups);
    if (i >= params.particle_count) {
        return;
    }
    let p = particles[i];
    let width = 2.0 * params.half_extent;
    let side = f32(params.side);
    let column = (p.x + params.half_extent) / width * side;
    let row = (params.half_extent - p.y) / width * side;
    // NaN fails every comparison: non-finite particles are not counted.
    if (!(column >= 0.0 && column < side && row >= 0.0 && row < side)) {
        return;
    }
    atomicAdd(&counts[u32(row) * params.side + u32(column)], 1u);
}
