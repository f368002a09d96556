// Sums the examples' gradient terms of parameter p in example order (the CPU's accumulation
// order), then one bias-corrected Adam update (Kingma & Ba 2015):
//   g = sum_e gradients[e * P + p],  m <- b1 m + (1 - b1) g,  v <- b2 v + (1 - b2) g^2,
//   w <- w - lr (m / c1) / (sqrt(v / c2) + eps),  c1 = 1 - b1^step, c2 = 1 - b2^step.
// Twin of train::Adam::update (src/core/train.rs). AdamParams is trainer::AdamParams
// (src/gpu/trainer.rs; tests/it/gpu_layout.rs checks the two layouts).

struct AdamParams {
    parameters: u32,
    batch: u32,
    learning_rate: f32,
    correction1: f32,
    correction2: f32,
    beta1: f32,
    beta2: f32,
    epsilon: f32,
}

// Bindings: the table `layout::adam_step` in src/gpu/layout.rs (checked by tests/it/gpu_layout.rs).
@group(0) @binding(0) var<uniform> adam: AdamParams;
@group(0) @binding(2) var<storage, read_write> weights: array<f32>;
@group(0) @binding(3) var<storage, read> gradients: array<f32>;
@group(0) @binding(5) var<storage, read_write> first_moment: array<f32>;
@group(0) @binding(6) var<storage, read_write> second_moment: array<f32>;
@group(0) @binding(7) var<storage, read_write> gradient: array<f32>;

@compute @workgroup_size(64)
fn adam_step(@builtin(global_invocation_id) id: vec3<u32>) {
    let p = id.x;
    if (p >= adam.parameters) {
        return;
    }
    var g = 0.0;
    for (var e = 0u; e < adam.batch; e++) {
        g += gradients[e * adam.parameters + p];
    }
    gradient[p] = g;
    let m = adam.beta1 * first_moment[p] + (1.0 - adam.beta1) * g;
    let v = adam.beta2 * second_moment[p] + (1.0 - adam.beta2) * g * g;
    first_moment[p] = m;
    second_moment[p] = v;
    weights[p] -= adam.learning_rate * (m / adam.correction1) / (sqrt(v / adam.correction2) + adam.epsilon);
}
