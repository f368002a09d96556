// Draws every particle straight from the storage buffer (no CPU round trip) as a round dot:
// one instance per particle, two triangles per instance. The colour of particle i is fixed by the
// direction of its initial noise z_i = normal2(seed, i, 0, PRIOR), so a colour follows one particle
// from noise to data and shows how the flow rearranges space: a smooth rainbow (palette 0) or eight
// sectors in the colour-blind-safe Okabe-Ito colours (palette 1).
// Twin of src/core/render.rs (the CPU rasteriser of the fallback path). DrawParams is
// gpu::DrawParams (src/gpu/render.rs; tests/it/gpu_layout.rs checks the two layouts).
// Needs common/rng.wgsl.

struct DrawParams {
    // Clip-space units per world unit, per axis (keeps the aspect ratio square).
    scale: vec2<f32>,
    // Dot radius in clip-space units, per axis.
    radius: vec2<f32>,
    seed: u32,
    particle_count: u32,
    opacity: f32,
    palette: u32,
}

// Okabe & Ito (2008): orange, sky blue, bluish green, yellow, blue, vermillion, reddish purple, grey.
const OKABE_ITO = array<vec3<f32>, 8>(
    vec3<f32>(0.902, 0.624, 0.0), vec3<f32>(0.337, 0.706, 0.914), vec3<f32>(0.0, 0.620, 0.451),
    vec3<f32>(0.941, 0.894, 0.259), vec3<f32>(0.0, 0.447, 0.698), vec3<f32>(0.835, 0.369, 0.0),
    vec3<f32>(0.800, 0.475, 0.655), vec3<f32>(0.600, 0.600, 0.600),
);

// Bindings: the table `layout::draw_particles` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> draw: DrawParams;
@group(0) @binding(1) var<storage, read> particles: array<vec2<f32>>;

struct VertexOutput {
    @builtin(position) position: vec4<f32>,
    @location(0) corner: vec2<f32>,
    @location(1) colour: vec3<f32>,
}

// Colour over the angle of the initial noise: Okabe-Ito sectors, or the cyclic cosine palette
// (I. Quilez 2015).
fn particle_colour(i: u32) -> vec3<f32> {
    let z = normal2(draw.seed, i, 0u, STREAM_PRIOR);
    let turn = atan2(z.y, z.x) / RNG_TAU + 0.5;
    if (draw.palette == 1u) {
        return OKABE_ITO[min(u32(turn * 8.0), 7u)];
    }
    return vec3<f32>(0.55) + vec3<f32>(0.45) * cos(RNG_TAU * (vec3<f32>(turn) + vec3<f32>(0.0, 0.33, 0.67)));
}

@vertex
fn vs_main(@builtin(vertex_index) v: u32, @builtin(instance_index) i: u32) -> VertexOutput {
    // Corners of two triangles covering [-1, 1]^2.
    var corners = array<vec2<f32>, 6>(
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, -1.0), vec2<f32>(1.0, 1.0),
        vec2<f32>(-1.0, -1.0), vec2<f32>(1.0, 1.0), vec2<f32>(-1.0, 1.0),
    );
    let corner = corners[v];
    let centre = particles[i] * draw.scale;
    var out: VertexOutput;
    out.position = vec4<f32>(centre + corner * draw.radius, 0.0, 1.0);
    out.corner = corner;
    out.colour = particle_colour(i);
    return out;
}

@fragment
fn fs_main(in: VertexOutput) -> @location(0) vec4<f32> {
    let r2 = dot(in.corner, in.corner);
    if (r2 > 1.0) {
        discard;
    }
    // Premultiplied alpha with a soft rim.
    let alpha = draw.opacity * (1.0 - smoothstep(0.5, 1.0, r2));
    return vec4<f32>(in.colour * alpha, alpha);
}
