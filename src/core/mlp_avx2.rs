//! The batched MLP of [`Mlp::forward_batch_with_bias`] in eight AVX2 lanes, for native x86-64
//! machines that have them (detected at run time): the [`BATCH`] particles fill one 256-bit
//! vector, and the second layer runs [`NEURON_BLOCK`] neurons at a time. Operation for operation
//! the four-lane kernel (multiplies and adds, no fused multiply-add), so the outputs are
//! bit-identical to it and to the scalar pass (`tests/it/core_mlp.rs`).

use core::arch::x86_64::*;

use crate::core::mlp::{
    Mlp, B2, B3, BATCH, EXP_MAX_INPUT, EXP_MIN_INPUT, EXP_POLYNOMIAL, FEATURES, HIDDEN, LN2_HIGH, LN2_LOW,
    MAX_COORDINATE_OCTAVES, OUTPUT_DIM, W1, W2, W3, WC,
};

/// Second-layer neurons computed together (8 running sums of 8 particles).
const NEURON_BLOCK: usize = 8;

/// Whether this machine can run [`forward_batch`].
pub fn available() -> bool {
    BATCH == 8 && is_x86_feature_detected!("avx2")
}

/// `exp` of the scalar code on eight lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn exp_lanes(x: __m256) -> __m256 {
    let x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(EXP_MAX_INPUT)), _mm256_set1_ps(EXP_MIN_INPUT));
    let y = _mm256_add_ps(_mm256_mul_ps(x, _mm256_set1_ps(std::f32::consts::LOG2_E)), _mm256_set1_ps(0.5));
    let n = _mm256_floor_ps(y);
    let r = _mm256_sub_ps(
        _mm256_sub_ps(x, _mm256_mul_ps(n, _mm256_set1_ps(LN2_HIGH))),
        _mm256_mul_ps(n, _mm256_set1_ps(LN2_LOW)),
    );
    let mut p = _mm256_set1_ps(EXP_POLYNOMIAL[0]);
    for &c in &EXP_POLYNOMIAL[1..] {
        p = _mm256_add_ps(_mm256_mul_ps(p, r), _mm256_set1_ps(c));
    }
    let e_r = _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(_mm256_mul_ps(p, r), r), r), _mm256_set1_ps(1.0));
    let scale = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvttps_epi32(n), _mm256_set1_epi32(127)), 23);
    _mm256_mul_ps(e_r, _mm256_castsi256_ps(scale))
}

/// SiLU(a) = a / (1 + e^-a) on eight lanes.
#[inline]
#[target_feature(enable = "avx2")]
fn silu_lanes(a: __m256) -> __m256 {
    let minus_a = _mm256_xor_ps(a, _mm256_set1_ps(-0.0));
    _mm256_div_ps(a, _mm256_add_ps(_mm256_set1_ps(1.0), exp_lanes(minus_a)))
}

/// The network's outputs for [`BATCH`] inputs; callers check [`available`] first.
#[target_feature(enable = "avx2")]
pub fn forward_batch(
    mlp: &Mlp,
    x: &[[f32; 2]; BATCH],
    hidden_bias: &[f32; HIDDEN],
) -> [[f32; OUTPUT_DIM]; BATCH] {
    let w = &mlp.weights;
    let xs = _mm256_setr_ps(x[0][0], x[1][0], x[2][0], x[3][0], x[4][0], x[5][0], x[6][0], x[7][0]);
    let ys = _mm256_setr_ps(x[0][1], x[1][1], x[2][1], x[3][1], x[4][1], x[5][1], x[6][1], x[7][1]);
    // The coordinate features in lanes: [k] holds feature k of the eight inputs.
    let coordinates = mlp.coordinate_feature_batch(x).map(|(count, by_feature)| {
        let lanes: [__m256; 4 * MAX_COORDINATE_OCTAVES] = std::array::from_fn(|k| {
            let f = &by_feature[k];
            _mm256_setr_ps(f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7])
        });
        (count, lanes)
    });
    let mut h1 = [_mm256_setzero_ps(); HIDDEN];
    for (j, h) in h1.iter_mut().enumerate() {
        let row = W1 + j * FEATURES;
        let mut a = _mm256_add_ps(
            _mm256_add_ps(
                _mm256_mul_ps(_mm256_set1_ps(w[row]), xs),
                _mm256_mul_ps(_mm256_set1_ps(w[row + 1]), ys),
            ),
            _mm256_set1_ps(hidden_bias[j]),
        );
        // The coordinate features' part WC phi(x), summed from -0.0 in the order of
        // `Mlp::coordinate_term` and added last as in `Mlp::forward_with_bias`.
        if let Some((count, features)) = &coordinates {
            let weights = &w[WC + j * count..WC + (j + 1) * count];
            let mut term = _mm256_set1_ps(-0.0);
            for (&weight, feature) in weights.iter().zip(features) {
                term = _mm256_add_ps(term, _mm256_mul_ps(_mm256_set1_ps(weight), *feature));
            }
            a = _mm256_add_ps(a, term);
        }
        *h = silu_lanes(a);
    }
    let mut h2 = [_mm256_setzero_ps(); HIDDEN];
    for block in (0..HIDDEN).step_by(NEURON_BLOCK) {
        let rows: [&[f32; HIDDEN]; NEURON_BLOCK] = std::array::from_fn(|n| {
            let start = W2 + (block + n) * HIDDEN;
            w[start..start + HIDDEN].try_into().expect("W2 rows are HIDDEN wide")
        });
        // Iterator sums start from -0.0; so do these, to stay bit-identical.
        let mut dot = [_mm256_set1_ps(-0.0); NEURON_BLOCK];
        for (k, input) in h1.iter().enumerate() {
            for (sum, row) in dot.iter_mut().zip(&rows) {
                *sum = _mm256_add_ps(*sum, _mm256_mul_ps(_mm256_set1_ps(row[k]), *input));
            }
        }
        for (n, sum) in dot.iter().enumerate() {
            h2[block + n] = silu_lanes(_mm256_add_ps(*sum, _mm256_set1_ps(w[B2 + block + n])));
        }
    }
    let mut output = [[0.0f32; OUTPUT_DIM]; BATCH];
    for o in 0..OUTPUT_DIM {
        let row = &w[W3 + o * HIDDEN..W3 + (o + 1) * HIDDEN];
        let mut dot = _mm256_set1_ps(-0.0);
        for (&weight, input) in row.iter().zip(&h2) {
            dot = _mm256_add_ps(dot, _mm256_mul_ps(_mm256_set1_ps(weight), *input));
        }
        let mut lanes = [0.0f32; BATCH];
        // SAFETY: `lanes` holds exactly the 8 f32 an unaligned store writes.
        unsafe { _mm256_storeu_ps(lanes.as_mut_ptr(), _mm256_add_ps(dot, _mm256_set1_ps(w[B3 + o]))) };
        for (p, value) in lanes.into_iter().enumerate() {
            output[p][o] = value;
        }
    }
    output
}
