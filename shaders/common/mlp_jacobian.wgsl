// The MLP's output and its Jacobian d out / d x by forward mode: two tangents, one per input
// coordinate, pushed through every layer beside the values; the tangent of SiLU(a) is
// SiLU'(a) = s (1 + a (1 - s)), s = sigmoid(a), times the tangent of a. Its trace
// d out_0 / d x_0 + d out_1 / d x_1 is the divergence of the network's field (core::likelihood);
// the whole Jacobian gives d x0_hat / d x_t for DPS and PiGDM (core::posterior_guidance).
// Twin of Mlp::forward_with_jacobian in src/core/mlp.rs. Needs common/mlp.wgsl and its bindings.

fn silu_slope4(a: vec4<f32>) -> vec4<f32> {
    let s = vec4<f32>(1.0) / (vec4<f32>(1.0) + exp(-a));
    return s * (vec4<f32>(1.0) + a * (vec4<f32>(1.0) - s));
}

// The output and the Jacobian's columns: d_dx = d out / d x.x, d_dy = d out / d x.y.
struct MlpJacobian {
    out: vec2<f32>,
    d_dx: vec2<f32>,
    d_dy: vec2<f32>,
}

// d (WC phi(x))_j / dx: d sin(w x)/dx = w cos(w x), d cos(w x)/dx = -w sin(w x), so octave k
// of row j, (q.x, q.y, q.z, q.w) against phi_k = (sin w x, cos w x, sin w y, cos w y), adds
// w_k (q.x cos w x - q.y sin w x) to d/dx and w_k (q.z cos w y - q.w sin w y) to d/dy
// (twin of Mlp::coordinate_term_with_jacobian).
fn mlp_coordinate_term_gradient(j: u32, features: ptr<function, array<vec4<f32>, MLP_MAX_COORDINATE_OCTAVES>>) -> vec2<f32> {
    var gradient = vec2<f32>(0.0);
    var frequency = MLP_COORDINATE_FREQUENCY_MIN;
    for (var k = 0u; k < MLP_COORDINATE_OCTAVES; k++) {
        let q = weight_quad(MLP_WC / 4u + j * MLP_COORDINATE_OCTAVES + k);
        let phi = (*features)[k];
        gradient += frequency * vec2<f32>(q.x * phi.y - q.y * phi.x, q.z * phi.w - q.w * phi.z);
        frequency *= 2.0;
    }
    return gradient;
}

fn mlp_forward_with_jacobian(x: vec2<f32>, bias_row: u32) -> MlpJacobian {
    var features = mlp_coordinate_features(x);
    var h1: array<vec4<f32>, 16>;
    var d1x: array<vec4<f32>, 16>;
    var d1y: array<vec4<f32>, 16>;
    for (var q = 0u; q < MLP_QUADS; q++) {
        var a: vec4<f32>;
        var wx: vec4<f32>;
        var wy: vec4<f32>;
        for (var c = 0u; c < 4u; c++) {
            let j = 4u * q + c;
            let row = MLP_W1 + j * MLP_FEATURES;
            wx[c] = weight(row);
            wy[c] = weight(row + 1u);
            a[c] = wx[c] * x.x + wy[c] * x.y + hidden_biases[bias_row * MLP_HIDDEN + j];
            if (MLP_COORDINATE_OCTAVES > 0u) {
                a[c] += mlp_coordinate_term(j, &features);
                let gradient = mlp_coordinate_term_gradient(j, &features);
                wx[c] += gradient.x;
                wy[c] += gradient.y;
            }
        }
        let slope = silu_slope4(a);
        h1[q] = silu4(a);
        d1x[q] = slope * wx;
        d1y[q] = slope * wy;
    }
    var h2: array<vec4<f32>, 16>;
    var d2x: array<vec4<f32>, 16>;
    var d2y: array<vec4<f32>, 16>;
    for (var q = 0u; q < MLP_QUADS; q++) {
        var a: vec4<f32>;
        var ax: vec4<f32>;
        var ay: vec4<f32>;
        for (var c = 0u; c < 4u; c++) {
            let row = MLP_W2 + (4u * q + c) * MLP_HIDDEN;
            a[c] = mlp_row_dot(row, &h1) + weight(MLP_B2 + 4u * q + c);
            ax[c] = mlp_row_dot(row, &d1x);
            ay[c] = mlp_row_dot(row, &d1y);
        }
        let slope = silu_slope4(a);
        h2[q] = silu4(a);
        d2x[q] = slope * ax;
        d2y[q] = slope * ay;
    }
    let out = vec2<f32>(
        mlp_row_dot(MLP_W3, &h2) + weight(MLP_B3),
        mlp_row_dot(MLP_W3 + MLP_HIDDEN, &h2) + weight(MLP_B3 + 1u),
    );
    let d_dx = vec2<f32>(mlp_row_dot(MLP_W3, &d2x), mlp_row_dot(MLP_W3 + MLP_HIDDEN, &d2x));
    let d_dy = vec2<f32>(mlp_row_dot(MLP_W3, &d2y), mlp_row_dot(MLP_W3 + MLP_HIDDEN, &d2y));
    return MlpJacobian(out, d_dx, d_dy);
}
