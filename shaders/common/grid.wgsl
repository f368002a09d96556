// The particle of an invocation. A dispatch of more workgroups than WebGPU allows in one
// dimension (65,535) wraps them into rows of a 2-D grid (src/gpu/kernel.rs, `workgroup_grid`), so
// invocation `id` of a grid `groups` workgroups wide handles particle
//   id.x + id.y * groups.x * WORKGROUP_SIZE.
// WORKGROUP_SIZE is set when the pipeline is made (64 unless the kernel's shape says otherwise:
// src/gpu/kernel_config.rs).
override WORKGROUP_SIZE: u32 = 64u;

fn grid_index(id: vec3<u32>, groups: vec3<u32>) -> u32 {
    return id.x + id.y * groups.x * WORKGROUP_SIZE;
}
