// Holds the particles that left the finite range after a batch of reverse steps where they were
// before it, and counts them. Twin of core::runaway::contain (src/core/runaway.rs): a particle has
// escaped when a coordinate is NaN, infinite, or beyond RUNAWAY_COORDINATE in magnitude:
//   escaped(p) = !(|p.x| <= R && |p.y| <= R),   R = RUNAWAY_COORDINATE,
// and then p = before[i], and the count grows by one the first time particle i escapes in the run
// (so it counts particles, however many batches run before the page reads it: twin of the CPU
// path, which stops at the first). NaN and infinity are found from the bits
// (an all-ones exponent), since WGSL lets implementations assume floats are finite.
// ContainParams is engine::ContainParams (src/gpu/engine.rs; tests/it/gpu_layout.rs checks both).

struct ContainParams {
    particle_count: u32,
    runaway_coordinate: f32,
    padding0: u32,
    padding1: u32,
}

// Bindings: the table `layout::contain_escaped` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> params: ContainParams;
@group(0) @binding(1) var<storage, read_write> particles: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> before: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read_write> escaped: atomic<u32>;
// 1 for each particle that has escaped in this run (cleared with the count when a run starts).
@group(0) @binding(4) var<storage, read_write> escaped_before: array<u32>;

/// The exponent bits of an f32; all ones for NaN and the infinities.
const EXPONENT_BITS: u32 = 0x7f800000u;

fn not_finite(v: f32) -> bool {
    return (bitcast<u32>(v) & EXPONENT_BITS) == EXPONENT_BITS;
}

fn has_escaped(p: vec2<f32>) -> bool {
    let limit = params.runaway_coordinate;
    return not_finite(p.x) || not_finite(p.y) || !(abs(p.x) <= limit && abs(p.y) <= limit);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn contain_escaped(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = grid_index(id, groups);
    if (i >= params.particle_count) {
        return;
    }
    if (has_escaped(particles[i])) {
        particles[i] = before[i];
        if (escaped_before[i] == 0u) {
            escaped_before[i] = 1u;
            atomicAdd(&escaped, 1u);
        }
    }
}
