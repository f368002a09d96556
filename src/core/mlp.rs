//! The score network: a small MLP that predicts the noise eps from (x_t, t).
//!
//! Architecture: features = [x (2), sinusoidal time embedding (16)] -> 64 -> SiLU -> 64 -> SiLU -> 2,
//! and, where the network's [`Architecture`] asks for them, Fourier features of the coordinates
//! into the first layer too (Tancik et al. 2020, "Fourier features let networks learn high
//! frequency functions in low dimensional domains": sin and cos of w x and w y for octaves w =
//! [`COORDINATE_FREQUENCY_MIN`] 2^k, k < octaves). The weights live in one flat `f32` array whose
//! layout is shared with `shaders/common/mlp.wgsl` (keep in sync): every matrix is row-major
//! `[out][in]`, in the order W1, b1, W2, b2, W3, b3, then (from the next multiple of four) the
//! coordinate features' weights WC (`[HIDDEN][4 octaves]`), so that a network without them has
//! the layout it always had.
//!
//! The time embedding is the same for every particle of a step, so the first layer splits into
//! `W1[:, x] x + (b1 + W1[:, emb] emb(t))`; the bracket, [`Mlp::hidden_bias`], is computed once per
//! step (on the CPU, also for the GPU) and the per-particle work starts from a 2-wide input.

use crate::core::rng;
use crate::core::simd::F32x4;

/// Spatial input dimension.
pub const INPUT_DIM: usize = 2;
/// Number of sinusoid frequencies in the time embedding.
pub const TIME_FREQUENCIES: usize = 8;
/// Length of the time embedding: a sine and a cosine per frequency.
pub const TIME_FEATURES: usize = 2 * TIME_FREQUENCIES;
/// Input features of the first layer: x followed by the time embedding.
pub const FEATURES: usize = INPUT_DIM + TIME_FEATURES;
/// Width of both hidden layers.
pub const HIDDEN: usize = 64;
/// Output dimension (eps-hat in 2-D).
pub const OUTPUT_DIM: usize = 2;
/// Lowest angular frequency of the time embedding (radians per unit t).
pub const TIME_FREQUENCY_MIN: f32 = 1.0;
/// Inputs per call of [`Mlp::forward_batch_with_bias`]: [`VECTORS`] vectors of four lanes.
pub const BATCH: usize = 4 * VECTORS;
/// 128-bit vectors of particles per batch.
const VECTORS: usize = 2;
/// Second-layer neurons computed together (register blocking: with [`VECTORS`], 8 running sums).
const NEURON_BLOCK: usize = 4;
/// Highest angular frequency of the time embedding; the others are spaced geometrically between.
pub const TIME_FREQUENCY_MAX: f32 = 100.0;

/// Lowest angular frequency of the coordinate features (radians per unit of x); the others are
/// its octaves. Measured on drawings (docs/measured.md, "What limits the network"): six octaves,
/// 0.5 to 16, halve the word's excess TV; eight add nothing.
pub const COORDINATE_FREQUENCY_MIN: f32 = 0.5;
/// Most octaves of coordinate features a network may have.
pub const MAX_COORDINATE_OCTAVES: usize = 6;

/// What a network's weights are the weights of: today the octaves of its coordinate features (0:
/// none, the 5,506-weight network of every earlier file). Read from the number of weights (each
/// octave adds `4 HIDDEN`) and recorded in the files' metadata.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Architecture {
    /// Octaves of the coordinate features, at most [`MAX_COORDINATE_OCTAVES`].
    pub coordinate_octaves: usize,
}

impl Architecture {
    /// No coordinate features: the layout of every network file before them.
    pub const PLAIN: Architecture = Architecture { coordinate_octaves: 0 };
    /// Six octaves of coordinate features (0.5 to 16 radians per unit).
    pub const FOURIER: Architecture = Architecture { coordinate_octaves: 6 };

    /// Coordinate features: a sine and a cosine of each coordinate per octave.
    pub fn coordinate_features(self) -> usize {
        4 * self.coordinate_octaves
    }

    /// Weights of a network of this architecture: with coordinate features, two zeros pad b3 to
    /// a multiple of four before WC, so that the kernels read WC's rows as whole vec4s.
    pub fn parameters(self) -> usize {
        match self.coordinate_features() {
            0 => PARAMETERS,
            features => WC + HIDDEN * features,
        }
    }

    /// The architecture of [`ARCHITECTURES`] with `parameters` weights, if one has that many.
    pub fn of_parameters(parameters: usize) -> Option<Architecture> {
        ARCHITECTURES.into_iter().find(|a| a.parameters() == parameters)
    }

    /// Floating-point operations of one evaluation counted the usual way (2 per multiply-add):
    /// [`FLOP_PER_EVALUATION`] and, with coordinate features, their 2 x features x HIDDEN
    /// (13,824 for [`Architecture::FOURIER`]; the features' two sines and cosines and their
    /// double-angle steps are not counted).
    pub fn flop_per_evaluation(self) -> usize {
        FLOP_PER_EVALUATION + 2 * self.coordinate_features() * HIDDEN
    }

    /// Its name in a network file's metadata: `mlp 18-64-64-2`, or with coordinate features
    /// `mlp 18+24-64-64-2` (the 24 features beside x and the time embedding).
    pub fn name(self) -> String {
        match self.coordinate_features() {
            0 => format!("mlp {FEATURES}-{HIDDEN}-{HIDDEN}-{OUTPUT_DIM}"),
            extra => format!("mlp {FEATURES}+{extra}-{HIDDEN}-{HIDDEN}-{OUTPUT_DIM}"),
        }
    }
}

/// The architectures this playground runs. Two only, so that a weight count names one: with a
/// drawing's class embedding (4 rows of 64) a plain network has as many weights as one octave
/// of features would add, and no architecture here has one octave.
pub const ARCHITECTURES: [Architecture; 2] = [Architecture::PLAIN, Architecture::FOURIER];

/// Fourier features of the coordinates for `octaves` octaves, into `features` (4 per octave):
/// [sin w x, cos w x, sin w y, cos w y] for w = [`COORDINATE_FREQUENCY_MIN`] 2^k. One sine and
/// cosine per coordinate; each next octave by the double-angle formulas sin 2a = 2 sin a cos a,
/// cos 2a = 1 - 2 sin^2 a (as the WGSL twin computes them, `mlp_coordinate_features`).
pub fn coordinate_features(x: [f32; 2], octaves: usize, features: &mut [f32]) {
    for (axis, &value) in x.iter().enumerate() {
        let phase = COORDINATE_FREQUENCY_MIN * value;
        let (mut sine, mut cosine) = (phase.sin(), phase.cos());
        for k in 0..octaves {
            features[4 * k + 2 * axis] = sine;
            features[4 * k + 2 * axis + 1] = cosine;
            (sine, cosine) = (2.0 * sine * cosine, 1.0 - 2.0 * sine * sine);
        }
    }
}

/// Offset of W1 (`[HIDDEN][FEATURES]`) in the flat weights.
pub const W1: usize = 0;
/// Offset of b1 (`[HIDDEN]`).
pub const B1: usize = W1 + HIDDEN * FEATURES;
/// Offset of W2 (`[HIDDEN][HIDDEN]`).
pub const W2: usize = B1 + HIDDEN;
/// Offset of b2 (`[HIDDEN]`).
pub const B2: usize = W2 + HIDDEN * HIDDEN;
/// Offset of W3 (`[OUTPUT_DIM][HIDDEN]`).
pub const W3: usize = B2 + HIDDEN;
/// Offset of b3 (`[OUTPUT_DIM]`).
pub const B3: usize = W3 + OUTPUT_DIM * HIDDEN;
/// Number of parameters without coordinate features (5,506).
pub const PARAMETERS: usize = B3 + OUTPUT_DIM;
/// Offset of WC (`[HIDDEN][4 octaves]`), the coordinate features' weights: after b3, at the next
/// multiple of four (two zeros between).
pub const WC: usize = PARAMETERS.next_multiple_of(4);

/// Floating-point operations of one evaluation of a plain network counted the usual way (2 per
/// multiply-add), with the full 18-wide first layer: 2 (18*64 + 64*64 + 64*2) = 10,752
/// ([`Architecture::flop_per_evaluation`] for either architecture).
pub const FLOP_PER_EVALUATION: usize = 2 * (FEATURES * HIDDEN + HIDDEN * HIDDEN + HIDDEN * OUTPUT_DIM);

/// Angular frequency k of the time embedding: min * (max/min)^(k / (K-1)).
pub fn time_frequency(k: usize) -> f32 {
    let ratio = TIME_FREQUENCY_MAX / TIME_FREQUENCY_MIN;
    TIME_FREQUENCY_MIN * ratio.powf(k as f32 / (TIME_FREQUENCIES - 1) as f32)
}

/// Sinusoidal time embedding [sin(w_0 t) .. sin(w_7 t), cos(w_0 t) .. cos(w_7 t)].
pub fn time_features(t: f32) -> [f32; TIME_FEATURES] {
    let mut features = [0.0; TIME_FEATURES];
    for k in 0..TIME_FREQUENCIES {
        let phase = time_frequency(k) * t;
        features[k] = phase.sin();
        features[TIME_FREQUENCIES + k] = phase.cos();
    }
    features
}

/// Inputs of [`exp`] are clamped to this range: beyond it e^x leaves the normal f32 range.
pub(crate) const EXP_MIN_INPUT: f32 = -87.0;
/// Upper clamp of [`exp`] (keeps the exponent n = round(x / ln 2) at most 127).
pub(crate) const EXP_MAX_INPUT: f32 = 88.0;
/// ln 2 split into a part exact in f32 and a remainder (Cody-Waite range reduction).
pub(crate) const LN2_HIGH: f32 = 0.693_359_4;
pub(crate) const LN2_LOW: f32 = -2.121_944_4e-4;
/// Minimax coefficients of e^r on |r| <= ln(2)/2 (Cephes `expf`, S. Moshier).
pub(crate) const EXP_POLYNOMIAL: [f32; 6] =
    [1.987_569_2e-4, 1.398_199_9e-3, 8.333_452e-3, 4.166_579_6e-2, 1.666_666_5e-1, 0.5];

/// e^x in f32 from plain arithmetic (Cephes `expf`: range reduction x = n ln 2 + r, a degree-7
/// polynomial for e^r, then scaling by 2^n through the exponent bits), within 2 ulp of the
/// correctly rounded value over [-87, 88] (checked in `tests/it/core_mlp.rs`). Written without
/// library calls so that loops over a batch of particles vectorise; `std`'s `exp` is a scalar call.
pub fn exp(x: f32) -> f32 {
    let x = x.clamp(EXP_MIN_INPUT, EXP_MAX_INPUT);
    // floor(y) through truncation (SSE2 and wasm SIMD both vectorise it; `f32::floor` is a library
    // call on x86-64 without SSE4.1). |y| < 128 here, far inside i32.
    let y = x * std::f32::consts::LOG2_E + 0.5;
    let truncated = y as i32 as f32;
    let n = if truncated > y { truncated - 1.0 } else { truncated };
    let r = x - n * LN2_HIGH - n * LN2_LOW;
    let mut p = EXP_POLYNOMIAL[0];
    for c in &EXP_POLYNOMIAL[1..] {
        p = p * r + c;
    }
    let e_r = p * r * r + r + 1.0;
    let scale = f32::from_bits(((n as i32 + 127) as u32) << 23);
    e_r * scale
}

/// SiLU(a) = a sigmoid(a) = a / (1 + e^-a).
pub fn silu(a: f32) -> f32 {
    a / (1.0 + exp(-a))
}

/// d SiLU / da = s (1 + a (1 - s)), s = sigmoid(a).
pub fn silu_derivative(a: f32) -> f32 {
    let s = 1.0 / (1.0 + exp(-a));
    s * (1.0 + a * (1.0 - s))
}

/// [`exp`] on four lanes, operation for operation (so bit for bit) the same; in the relaxed-SIMD
/// build the polynomial's Horner steps may be fused ([`F32x4::mul_add`]).
#[inline(always)]
fn exp_lanes(x: F32x4) -> F32x4 {
    let x = x.clamp(EXP_MIN_INPUT, EXP_MAX_INPUT);
    let n = (x * F32x4::splat(std::f32::consts::LOG2_E) + F32x4::splat(0.5)).floor();
    let r = x - n * F32x4::splat(LN2_HIGH) - n * F32x4::splat(LN2_LOW);
    let mut p = F32x4::splat(EXP_POLYNOMIAL[0]);
    for &c in &EXP_POLYNOMIAL[1..] {
        p = p.mul_add(r, F32x4::splat(c));
    }
    let e_r = p * r * r + r + F32x4::splat(1.0);
    e_r * n.exp2_of_integer()
}

/// [`silu`] on four lanes.
#[inline(always)]
fn silu_lanes(a: F32x4) -> F32x4 {
    a / (F32x4::splat(1.0) + exp_lanes(-a))
}

/// Activations of one forward pass, kept for the backward pass.
#[derive(Clone, Debug)]
pub struct Activations {
    /// First-layer input features (x, emb(t)).
    pub features: [f32; FEATURES],
    /// The coordinate features (the first `4 octaves`; the rest zero).
    pub coordinates: [f32; 4 * MAX_COORDINATE_OCTAVES],
    /// Pre-activations of hidden layer 1.
    pub a1: [f32; HIDDEN],
    /// SiLU(a1).
    pub h1: [f32; HIDDEN],
    /// Pre-activations of hidden layer 2.
    pub a2: [f32; HIDDEN],
    /// SiLU(a2).
    pub h2: [f32; HIDDEN],
    /// Network output.
    pub output: [f32; OUTPUT_DIM],
}

/// The network: a flat array of [`PARAMETERS`] weights.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Mlp {
    /// Flat weights in the layout of the module docs.
    pub weights: Vec<f32>,
}

impl Mlp {
    /// Wraps flat weights; `None` when no [`Architecture`] has that many.
    pub fn from_weights(weights: Vec<f32>) -> Option<Mlp> {
        Architecture::of_parameters(weights.len()).map(|_| Mlp { weights })
    }

    /// The architecture of these weights (by their number).
    pub fn architecture(&self) -> Architecture {
        Architecture::of_parameters(self.weights.len()).unwrap_or(Architecture::PLAIN)
    }

    /// PyTorch's default initialisation: weights and biases uniform in +-1/sqrt(fan_in), drawn
    /// from the counter-based RNG (stream INIT) so that training is reproducible from its seed.
    pub fn initialise(seed: u32) -> Mlp {
        Mlp::initialise_as(Architecture::PLAIN, seed)
    }

    /// [`Mlp::initialise`] for `architecture`: the coordinate features widen the first layer's
    /// fan-in. Without them, the weights of [`Mlp::initialise`] before they existed.
    pub fn initialise_as(architecture: Architecture, seed: u32) -> Mlp {
        // Layer 1 sees FEATURES inputs, layers 2 and 3 HIDDEN. The coordinate features' weights
        // WC start at zero (as a new branch is zero-initialised, so that the network starts as
        // the plain one and learns what the features add): random ones put noise of every
        // frequency up to 16 rad/unit into the first layer, which short runs then have to undo.
        let fan_in_of = |index: usize| if index < W2 { FEATURES } else { HIDDEN };
        let weights = (0..architecture.parameters())
            .map(|index| {
                if index >= PARAMETERS {
                    return 0.0; // the padding before WC, and WC
                }
                let bound = 1.0 / (fan_in_of(index) as f32).sqrt();
                let u = rng::uniform(rng::words(seed, index as u32, 0, rng::stream::INIT)[0]);
                bound * (2.0 * u - 1.0)
            })
            .collect();
        Mlp { weights }
    }

    /// WC phi(x): the coordinate features' part of the first layer's pre-activations, or `None`
    /// for a network without them. Added last to the pre-activation, in every path alike.
    pub fn coordinate_term(&self, x: [f32; 2]) -> Option<[f32; HIDDEN]> {
        let count = self.architecture().coordinate_features();
        if count == 0 {
            return None;
        }
        let mut features = [0.0f32; 4 * MAX_COORDINATE_OCTAVES];
        coordinate_features(x, count / 4, &mut features);
        let w = &self.weights;
        Some(std::array::from_fn(|j| {
            let row = &w[WC + j * count..WC + (j + 1) * count];
            row.iter().zip(&features).map(|(a, b)| a * b).sum()
        }))
    }

    /// d (WC phi(x)) / dx: `[j][k]` = d term_j / d x_k (d sin(w x)/dx = w cos(w x), d cos(w x)/dx
    /// = -w sin(w x)), with the term; `None` without coordinate features.
    pub fn coordinate_term_with_jacobian(&self, x: [f32; 2]) -> Option<([f32; HIDDEN], [[f32; 2]; HIDDEN])> {
        let term = self.coordinate_term(x)?;
        let count = self.architecture().coordinate_features();
        let mut features = [0.0f32; 4 * MAX_COORDINATE_OCTAVES];
        coordinate_features(x, count / 4, &mut features);
        let w = &self.weights;
        let jacobian = std::array::from_fn(|j| {
            let row = &w[WC + j * count..WC + (j + 1) * count];
            let mut d = [0.0f32; 2];
            for k in 0..count / 4 {
                let frequency = COORDINATE_FREQUENCY_MIN * (1u32 << k) as f32;
                for (axis, d_axis) in d.iter_mut().enumerate() {
                    let (sine, cosine) = (features[4 * k + 2 * axis], features[4 * k + 2 * axis + 1]);
                    *d_axis +=
                        frequency * (row[4 * k + 2 * axis] * cosine - row[4 * k + 2 * axis + 1] * sine);
                }
            }
            d
        });
        Some((term, jacobian))
    }

    /// The network with every weight rounded to the nearest IEEE half float (and widened back to
    /// f32 exactly): what a version-2 weight file stores and the page runs.
    pub fn quantized(&self) -> Mlp {
        Mlp { weights: self.weights.iter().map(|&w| half::f16::from_f32(w).to_f32()).collect() }
    }

    /// b1 + W1[:, emb] emb(t): the part of the first layer shared by all particles at time t.
    /// Twin of the per-step `hidden_bias` the GPU receives.
    pub fn hidden_bias(&self, t: f32) -> [f32; HIDDEN] {
        let embedding = time_features(t);
        let w = &self.weights;
        let mut bias = [0.0; HIDDEN];
        for (j, out) in bias.iter_mut().enumerate() {
            let row = &w[W1 + j * FEATURES + INPUT_DIM..W1 + (j + 1) * FEATURES];
            *out = w[B1 + j] + row.iter().zip(&embedding).map(|(a, b)| a * b).sum::<f32>();
        }
        bias
    }

    /// Network output for input x with a precomputed [`Mlp::hidden_bias`]; twin of
    /// `mlp_forward` in `shaders/common/mlp.wgsl`.
    pub fn forward_with_bias(&self, x: [f32; 2], hidden_bias: &[f32; HIDDEN]) -> [f32; OUTPUT_DIM] {
        let w = &self.weights;
        let term = self.coordinate_term(x);
        let mut h1 = [0.0f32; HIDDEN];
        for j in 0..HIDDEN {
            let row = W1 + j * FEATURES;
            let a = w[row] * x[0] + w[row + 1] * x[1] + hidden_bias[j];
            h1[j] = silu(term.map_or(a, |term| a + term[j]));
        }
        let mut h2 = [0.0f32; HIDDEN];
        for (j, out) in h2.iter_mut().enumerate() {
            let row = &w[W2 + j * HIDDEN..W2 + (j + 1) * HIDDEN];
            let dot: f32 = row.iter().zip(&h1).map(|(a, b)| a * b).sum();
            *out = silu(dot + w[B2 + j]);
        }
        let mut output = [0.0f32; OUTPUT_DIM];
        for (o, out) in output.iter_mut().enumerate() {
            let row = &w[W3 + o * HIDDEN..W3 + (o + 1) * HIDDEN];
            *out = row.iter().zip(&h2).map(|(a, b)| a * b).sum::<f32>() + w[B3 + o];
        }
        output
    }

    /// [`Mlp::forward_with_bias`] and its Jacobian d output / d x by forward mode: two tangents,
    /// one per input coordinate, pushed through every layer beside the values (a tangent of
    /// SiLU(a) is SiLU'(a) times the tangent of a). `jacobian[o][k]` = d output_o / d x_k. Twin of
    /// `mlp_forward_with_jacobian` in `shaders/common/mlp_jacobian.wgsl`; checked against finite
    /// differences in `tests/it/core_likelihood.rs`.
    pub fn forward_with_jacobian(
        &self,
        x: [f32; 2],
        hidden_bias: &[f32; HIDDEN],
    ) -> ([f32; OUTPUT_DIM], [[f32; INPUT_DIM]; OUTPUT_DIM]) {
        let w = &self.weights;
        let term = self.coordinate_term_with_jacobian(x);
        let mut h1 = [0.0f32; HIDDEN];
        let mut d_h1 = [[0.0f32; INPUT_DIM]; HIDDEN];
        for j in 0..HIDDEN {
            let row = W1 + j * FEATURES;
            let mut a = w[row] * x[0] + w[row + 1] * x[1] + hidden_bias[j];
            let mut d_a = [w[row], w[row + 1]];
            if let Some((term, d_term)) = &term {
                a += term[j];
                d_a = [d_a[0] + d_term[j][0], d_a[1] + d_term[j][1]];
            }
            let slope = silu_derivative(a);
            h1[j] = silu(a);
            d_h1[j] = [slope * d_a[0], slope * d_a[1]];
        }
        let mut h2 = [0.0f32; HIDDEN];
        let mut d_h2 = [[0.0f32; INPUT_DIM]; HIDDEN];
        for j in 0..HIDDEN {
            let row = &w[W2 + j * HIDDEN..W2 + (j + 1) * HIDDEN];
            // Summed in the order of `forward_with_bias`, so the value is bit-identical to it.
            let a = row.iter().zip(&h1).map(|(a, b)| a * b).sum::<f32>() + w[B2 + j];
            let mut d_a = [0.0f32; INPUT_DIM];
            for (&weight, d) in row.iter().zip(&d_h1) {
                d_a[0] += weight * d[0];
                d_a[1] += weight * d[1];
            }
            let slope = silu_derivative(a);
            h2[j] = silu(a);
            d_h2[j] = [slope * d_a[0], slope * d_a[1]];
        }
        let mut output = [0.0f32; OUTPUT_DIM];
        let mut jacobian = [[0.0f32; INPUT_DIM]; OUTPUT_DIM];
        for o in 0..OUTPUT_DIM {
            let row = &w[W3 + o * HIDDEN..W3 + (o + 1) * HIDDEN];
            output[o] = row.iter().zip(&h2).map(|(a, b)| a * b).sum::<f32>() + w[B3 + o];
            for (&weight, d) in row.iter().zip(&d_h2) {
                jacobian[o][0] += weight * d[0];
                jacobian[o][1] += weight * d[1];
            }
        }
        (output, jacobian)
    }

    /// [`Mlp::forward_with_bias`] for [`BATCH`] inputs at once: in eight AVX2 lanes on x86-64
    /// machines that have them (`core::mlp_avx2`), otherwise in [`F32x4`] lanes (wasm SIMD128
    /// in the browser, SSE2 natively): particles run across the lanes, and the second layer is
    /// register-blocked, [`NEURON_BLOCK`] neurons at a time, so each loaded activation feeds several
    /// multiply-adds. No sum is reordered: each output is bit-identical to the single-input pass.
    pub fn forward_batch_with_bias(
        &self,
        x: &[[f32; 2]; BATCH],
        hidden_bias: &[f32; HIDDEN],
    ) -> [[f32; OUTPUT_DIM]; BATCH] {
        #[cfg(target_arch = "x86_64")]
        if crate::core::mlp_avx2::available() {
            // SAFETY: the CPU has AVX2 (checked at run time just above).
            return unsafe { crate::core::mlp_avx2::forward_batch(self, x, hidden_bias) };
        }
        self.forward_batch_four_lanes(x, hidden_bias)
    }

    /// [`Mlp::forward_batch_with_bias`] in [`F32x4`] lanes, whatever the machine (the wasm path,
    /// and natively where AVX2 is missing). Bit-identical to the single-input pass too.
    pub fn forward_batch_four_lanes(
        &self,
        x: &[[f32; 2]; BATCH],
        hidden_bias: &[f32; HIDDEN],
    ) -> [[f32; OUTPUT_DIM]; BATCH] {
        let w = &self.weights;
        let xs: [F32x4; VECTORS] =
            std::array::from_fn(|v| F32x4::from_array(std::array::from_fn(|l| x[4 * v + l][0])));
        let ys: [F32x4; VECTORS] =
            std::array::from_fn(|v| F32x4::from_array(std::array::from_fn(|l| x[4 * v + l][1])));
        // The coordinate features in lanes: [k][v] holds feature k of inputs 4v .. 4v + 3.
        let coordinates = self.coordinate_feature_batch(x).map(|(count, by_feature)| {
            let lanes: [[F32x4; VECTORS]; 4 * MAX_COORDINATE_OCTAVES] = std::array::from_fn(|k| {
                std::array::from_fn(|v| F32x4::from_array(std::array::from_fn(|l| by_feature[k][4 * v + l])))
            });
            (count, lanes)
        });
        let mut h1 = [[F32x4::splat(0.0); VECTORS]; HIDDEN];
        for (j, h) in h1.iter_mut().enumerate() {
            let row = W1 + j * FEATURES;
            let (wx, wy, b) = (F32x4::splat(w[row]), F32x4::splat(w[row + 1]), F32x4::splat(hidden_bias[j]));
            for v in 0..VECTORS {
                let mut a = wy.mul_add(ys[v], wx * xs[v]) + b;
                // WC phi(x), summed from -0.0 in the order of `coordinate_term` with separate
                // roundings (never fused), and added last: bit-identical to the single pass.
                if let Some((count, features)) = &coordinates {
                    let weights = &w[WC + j * count..WC + (j + 1) * count];
                    let mut term = F32x4::splat(-0.0);
                    for (&weight, feature) in weights.iter().zip(features) {
                        term = term + F32x4::splat(weight) * feature[v];
                    }
                    a = a + term;
                }
                h[v] = silu_lanes(a);
            }
        }
        let mut h2 = [[F32x4::splat(0.0); VECTORS]; HIDDEN];
        for block in (0..HIDDEN).step_by(NEURON_BLOCK) {
            // The block's rows as fixed-size arrays: indexed by k < HIDDEN below, with no bounds
            // checks left in the innermost loop.
            let rows: [&[f32; HIDDEN]; NEURON_BLOCK] = std::array::from_fn(|n| {
                let start = W2 + (block + n) * HIDDEN;
                w[start..start + HIDDEN].try_into().expect("W2 rows are HIDDEN wide")
            });
            // Iterator sums start from -0.0; so do these, to stay bit-identical.
            let mut dot = [[F32x4::splat(-0.0); VECTORS]; NEURON_BLOCK];
            for (k, input) in h1.iter().enumerate() {
                for (sums, row) in dot.iter_mut().zip(&rows) {
                    let weight = F32x4::splat(row[k]);
                    for v in 0..VECTORS {
                        sums[v] = weight.mul_add(input[v], sums[v]);
                    }
                }
            }
            for (n, sums) in dot.iter().enumerate() {
                let b = F32x4::splat(w[B2 + block + n]);
                for v in 0..VECTORS {
                    h2[block + n][v] = silu_lanes(sums[v] + b);
                }
            }
        }
        let mut output = [[0.0f32; OUTPUT_DIM]; BATCH];
        for o in 0..OUTPUT_DIM {
            let row = &w[W3 + o * HIDDEN..W3 + (o + 1) * HIDDEN];
            let mut dot = [F32x4::splat(-0.0); VECTORS];
            for (&weight, input) in row.iter().zip(&h2) {
                let weight = F32x4::splat(weight);
                for v in 0..VECTORS {
                    dot[v] = weight.mul_add(input[v], dot[v]);
                }
            }
            for v in 0..VECTORS {
                let lanes = (dot[v] + F32x4::splat(w[B3 + o])).to_array();
                for (l, value) in lanes.into_iter().enumerate() {
                    output[4 * v + l][o] = value;
                }
            }
        }
        output
    }

    /// The coordinate features of a batch's inputs, feature by feature (`[k][i]`: feature k of
    /// input i, as the batched passes load them into lanes), with their number; `None` for a
    /// network without them.
    pub(crate) fn coordinate_feature_batch(
        &self,
        x: &[[f32; 2]; BATCH],
    ) -> Option<(usize, [[f32; BATCH]; 4 * MAX_COORDINATE_OCTAVES])> {
        let octaves = self.architecture().coordinate_octaves;
        if octaves == 0 {
            return None;
        }
        let mut by_feature = [[0.0f32; BATCH]; 4 * MAX_COORDINATE_OCTAVES];
        let mut features = [0.0f32; 4 * MAX_COORDINATE_OCTAVES];
        for (i, &point) in x.iter().enumerate() {
            coordinate_features(point, octaves, &mut features);
            for (k, value) in features.iter().enumerate() {
                by_feature[k][i] = *value;
            }
        }
        Some((4 * octaves, by_feature))
    }

    /// Network output for input (x, t).
    pub fn forward(&self, x: [f32; 2], t: f32) -> [f32; OUTPUT_DIM] {
        self.forward_with_bias(x, &self.hidden_bias(t))
    }

    /// Forward pass with the full 18-wide first layer, keeping every activation.
    pub fn forward_traced(&self, x: [f32; 2], t: f32) -> Activations {
        self.forward_traced_shifted(x, t, None)
    }

    /// [`Mlp::forward_traced`] with `shift` added to the first layer's pre-activations (a class
    /// embedding row, `core::class_embedding`).
    pub fn forward_traced_shifted(&self, x: [f32; 2], t: f32, shift: Option<&[f32]>) -> Activations {
        let w = &self.weights;
        let mut features = [0.0; FEATURES];
        features[..INPUT_DIM].copy_from_slice(&x);
        features[INPUT_DIM..].copy_from_slice(&time_features(t));
        let octaves = self.architecture().coordinate_octaves;
        let mut coordinates = [0.0; 4 * MAX_COORDINATE_OCTAVES];
        coordinate_features(x, octaves, &mut coordinates);
        let term = self.coordinate_term(x);
        let mut act = Activations {
            features,
            coordinates,
            a1: [0.0; HIDDEN],
            h1: [0.0; HIDDEN],
            a2: [0.0; HIDDEN],
            h2: [0.0; HIDDEN],
            output: [0.0; OUTPUT_DIM],
        };
        for j in 0..HIDDEN {
            let row = &w[W1 + j * FEATURES..W1 + (j + 1) * FEATURES];
            act.a1[j] = w[B1 + j] + row.iter().zip(&features).map(|(a, b)| a * b).sum::<f32>();
            if let Some(term) = &term {
                act.a1[j] += term[j];
            }
            if let Some(shift) = shift {
                act.a1[j] += shift[j];
            }
            act.h1[j] = silu(act.a1[j]);
        }
        for j in 0..HIDDEN {
            let row = &w[W2 + j * HIDDEN..W2 + (j + 1) * HIDDEN];
            act.a2[j] = w[B2 + j] + row.iter().zip(&act.h1).map(|(a, b)| a * b).sum::<f32>();
            act.h2[j] = silu(act.a2[j]);
        }
        for o in 0..OUTPUT_DIM {
            let row = &w[W3 + o * HIDDEN..W3 + (o + 1) * HIDDEN];
            act.output[o] = w[B3 + o] + row.iter().zip(&act.h2).map(|(a, b)| a * b).sum::<f32>();
        }
        act
    }

    /// Backward pass: adds d loss / d weights to `gradient`, given the activations of a forward
    /// pass and d loss / d output. Hand-written chain rule, checked against finite differences
    /// in `tests/it/core_mlp.rs`. Returns d loss / d a1, the gradient of the first layer's
    /// pre-activations (also that of a class embedding row added to them).
    pub fn accumulate_gradient(
        &self,
        act: &Activations,
        d_output: [f32; OUTPUT_DIM],
        gradient: &mut [f32],
    ) -> [f32; HIDDEN] {
        let w = &self.weights;
        let octaves = self.architecture().coordinate_octaves;
        let mut d_a2 = [0.0f32; HIDDEN];
        for o in 0..OUTPUT_DIM {
            gradient[B3 + o] += d_output[o];
            for k in 0..HIDDEN {
                gradient[W3 + o * HIDDEN + k] += d_output[o] * act.h2[k];
                d_a2[k] += w[W3 + o * HIDDEN + k] * d_output[o];
            }
        }
        for (d, a) in d_a2.iter_mut().zip(&act.a2) {
            *d *= silu_derivative(*a);
        }
        let mut d_a1 = [0.0f32; HIDDEN];
        for j in 0..HIDDEN {
            gradient[B2 + j] += d_a2[j];
            let row = W2 + j * HIDDEN;
            for k in 0..HIDDEN {
                gradient[row + k] += d_a2[j] * act.h1[k];
                d_a1[k] += w[row + k] * d_a2[j];
            }
        }
        for j in 0..HIDDEN {
            let d = d_a1[j] * silu_derivative(act.a1[j]);
            d_a1[j] = d;
            gradient[B1 + j] += d;
            let row = W1 + j * FEATURES;
            for i in 0..FEATURES {
                gradient[row + i] += d * act.features[i];
            }
            let count = 4 * octaves;
            for i in 0..count {
                gradient[WC + j * count + i] += d * act.coordinates[i];
            }
        }
        d_a1
    }
}
