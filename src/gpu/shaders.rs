//! Assembles the WGSL of every kernel from `shaders/` (one file per kernel plus the pieces in
//! `shaders/common/` it needs). WGSL has no `#include`, so the pieces are concatenated here; the
//! MLP layout constants are generated from `core::mlp` and the network's [`Architecture`] so
//! Rust and WGSL cannot disagree.

use crate::core::mlp::{self, Architecture};
use crate::gpu::kernel_config::WeightsFormat;

const RNG: &str = include_str!("../../shaders/common/rng.wgsl");
const GRID: &str = include_str!("../../shaders/common/grid.wgsl");
const MLP: &str = include_str!("../../shaders/common/mlp.wgsl");
const MIXTURE: &str = include_str!("../../shaders/common/mixture.wgsl");
const EVALUATION: &str = include_str!("../../shaders/common/evaluation.wgsl");
const REVERSE_STEP: &str = include_str!("../../shaders/common/reverse_step.wgsl");
const PARAMETRIZATION: &str = include_str!("../../shaders/common/parametrization.wgsl");
const GUIDANCE: &str = include_str!("../../shaders/common/guidance.wgsl");
const POSTERIOR_GUIDANCE: &str = include_str!("../../shaders/common/posterior_guidance.wgsl");
const EPS_HAT_MLP: &str = include_str!("../../shaders/common/eps_hat_mlp.wgsl");
const EPS_HAT_EXACT: &str = include_str!("../../shaders/common/eps_hat_exact.wgsl");
const PREDICT: &str = include_str!("../../shaders/common/predict.wgsl");
const MLP_JACOBIAN: &str = include_str!("../../shaders/common/mlp_jacobian.wgsl");
const MIXTURE_DIVERGENCE: &str = include_str!("../../shaders/common/mixture_divergence.wgsl");
const EPS_DIVERGENCE_MLP: &str = include_str!("../../shaders/common/eps_divergence_mlp.wgsl");
const EPS_DIVERGENCE_EXACT: &str = include_str!("../../shaders/common/eps_divergence_exact.wgsl");
const LIKELIHOOD_STEP: &str = include_str!("../../shaders/common/likelihood_step.wgsl");
const LIKELIHOOD_STEP_MLP: &str = include_str!("../../shaders/likelihood_step_mlp.wgsl");
const LIKELIHOOD_STEP_EXACT: &str = include_str!("../../shaders/likelihood_step_exact.wgsl");
const FORWARD_NOISE: &str = include_str!("../../shaders/forward_noise.wgsl");
const REVERSE_STEP_MLP: &str = include_str!("../../shaders/reverse_step_mlp.wgsl");
const REVERSE_STEP_EXACT: &str = include_str!("../../shaders/reverse_step_exact.wgsl");
const PREDICT_MLP: &str = include_str!("../../shaders/predict_mlp.wgsl");
const PREDICT_EXACT: &str = include_str!("../../shaders/predict_exact.wgsl");
const TRAIN_GRADIENT: &str = include_str!("../../shaders/train_gradient.wgsl");
const ADAM_STEP: &str = include_str!("../../shaders/adam_step.wgsl");
const HISTOGRAM: &str = include_str!("../../shaders/histogram.wgsl");
const CONTAIN_ESCAPED: &str = include_str!("../../shaders/contain_escaped.wgsl");
const DRAW_PARTICLES: &str = include_str!("../../shaders/draw_particles.wgsl");

/// WGSL constants of the flat weight layout of a network of `architecture`, generated from
/// [`core::mlp`](crate::core::mlp): `MLP_PARAMETERS` is its weight count (a class embedding's
/// rows follow it in the trainer), and `MLP_COORDINATE_OCTAVES` its octaves of coordinate
/// features (0: the loops over them compile away).
pub fn mlp_layout(architecture: Architecture) -> String {
    let parameters = architecture.parameters();
    [
        ("MLP_FEATURES", mlp::FEATURES),
        ("MLP_HIDDEN", mlp::HIDDEN),
        ("MLP_W1", mlp::W1),
        ("MLP_B1", mlp::B1),
        ("MLP_W2", mlp::W2),
        ("MLP_B2", mlp::B2),
        ("MLP_W3", mlp::W3),
        ("MLP_B3", mlp::B3),
        ("MLP_WC", mlp::WC),
        ("MLP_COORDINATE_OCTAVES", architecture.coordinate_octaves),
        // Arrays of the features are declared at the most octaves (WGSL has no empty arrays).
        ("MLP_MAX_COORDINATE_OCTAVES", mlp::MAX_COORDINATE_OCTAVES),
        ("MLP_MAX_COORDINATE_FEATURES", 4 * mlp::MAX_COORDINATE_OCTAVES),
        ("MLP_PARAMETERS", parameters),
        // The weights read as vec4s (the last one padded with zeros).
        ("MLP_WEIGHT_QUADS", parameters.div_ceil(4)),
        // The same rounded up to whole 16-byte rows of eight halves (the half-float formats).
        ("MLP_WEIGHT_QUADS_EVEN", 2 * parameters.div_ceil(8)),
        ("MLP_WEIGHT_OCTETS", parameters.div_ceil(8)),
        ("MLP_TIME_FREQUENCIES", mlp::TIME_FREQUENCIES),
    ]
    .iter()
    .map(|(name, value)| format!("const {name}: u32 = {value}u;\n"))
    .chain([
        format!("const MLP_TIME_FREQUENCY_MIN: f32 = {:?};\n", mlp::TIME_FREQUENCY_MIN),
        format!("const MLP_TIME_FREQUENCY_MAX: f32 = {:?};\n", mlp::TIME_FREQUENCY_MAX),
        format!("const MLP_COORDINATE_FREQUENCY_MIN: f32 = {:?};\n", mlp::COORDINATE_FREQUENCY_MIN),
        format!("const MLP_TAU: f32 = {:?};\n", std::f32::consts::TAU),
        format!("const DATA_RADIUS: f32 = {:?};\n", crate::core::denoised_bound::DATA_RADIUS as f32),
    ])
    .collect()
}

/// `forward_noise.wgsl`: x_t = alpha x_0 + sigma eps for every particle.
pub fn forward_noise() -> String {
    [GRID, RNG, FORWARD_NOISE].concat()
}

/// What comes first in a kernel reading the weights in `format`: `enable f16;` where it needs
/// the extension (WGSL wants it before any declaration).
fn preamble(format: WeightsFormat) -> &'static str {
    if format.needs_shader_f16() {
        "enable f16;\n"
    } else {
        ""
    }
}

/// `reverse_step_mlp.wgsl`: reverse steps with the MLP (optionally guided by the exact classifier).
pub fn reverse_step_mlp() -> String {
    reverse_step_mlp_with(WeightsFormat::F32Uniform, Architecture::PLAIN)
}

/// `reverse_step_mlp.wgsl` for a network of `architecture` reading the weights in `format`.
pub fn reverse_step_mlp_with(format: WeightsFormat, architecture: Architecture) -> String {
    [
        preamble(format),
        GRID,
        RNG,
        &mlp_layout(architecture),
        format.wgsl(),
        MLP,
        MLP_JACOBIAN,
        MIXTURE,
        EVALUATION,
        GUIDANCE,
        POSTERIOR_GUIDANCE,
        EPS_HAT_MLP,
        REVERSE_STEP,
        REVERSE_STEP_MLP,
    ]
    .concat()
}

/// `reverse_step_exact.wgsl`: reverse steps with the exact mixture score (optionally guided).
pub fn reverse_step_exact() -> String {
    [
        GRID,
        RNG,
        MIXTURE,
        MIXTURE_DIVERGENCE,
        EVALUATION,
        GUIDANCE,
        POSTERIOR_GUIDANCE,
        EPS_HAT_EXACT,
        REVERSE_STEP,
        REVERSE_STEP_EXACT,
    ]
    .concat()
}

/// `predict_mlp.wgsl`: the MLP's prediction at every particle, in any parametrization.
pub fn predict_mlp() -> String {
    predict_mlp_with(WeightsFormat::F32Uniform, Architecture::PLAIN)
}

/// `predict_mlp.wgsl` for a network of `architecture` reading the weights in `format`.
pub fn predict_mlp_with(format: WeightsFormat, architecture: Architecture) -> String {
    [
        preamble(format),
        GRID,
        &mlp_layout(architecture),
        format.wgsl(),
        MLP,
        MLP_JACOBIAN,
        MIXTURE,
        EVALUATION,
        GUIDANCE,
        POSTERIOR_GUIDANCE,
        EPS_HAT_MLP,
        PARAMETRIZATION,
        PREDICT,
        PREDICT_MLP,
    ]
    .concat()
}

/// `predict_exact.wgsl`: the exact score's prediction at every particle, in any parametrization.
pub fn predict_exact() -> String {
    [
        GRID,
        MIXTURE,
        MIXTURE_DIVERGENCE,
        EVALUATION,
        GUIDANCE,
        POSTERIOR_GUIDANCE,
        EPS_HAT_EXACT,
        PARAMETRIZATION,
        PREDICT,
        PREDICT_EXACT,
    ]
    .concat()
}

/// `likelihood_step_mlp.wgsl`: the probability-flow ODE with its log-determinant, the MLP's
/// divergence by forward mode, for a network of `architecture`.
pub fn likelihood_step_mlp(architecture: Architecture) -> String {
    [
        GRID,
        &mlp_layout(architecture),
        WeightsFormat::F32Uniform.wgsl(),
        MLP,
        MLP_JACOBIAN,
        EVALUATION,
        EPS_DIVERGENCE_MLP,
        LIKELIHOOD_STEP,
        LIKELIHOOD_STEP_MLP,
    ]
    .concat()
}

/// `likelihood_step_exact.wgsl`: the same with the exact mixture score and its divergence.
pub fn likelihood_step_exact() -> String {
    [
        GRID,
        MIXTURE,
        MIXTURE_DIVERGENCE,
        EVALUATION,
        EPS_DIVERGENCE_EXACT,
        LIKELIHOOD_STEP,
        LIKELIHOOD_STEP_EXACT,
    ]
    .concat()
}

/// `train_gradient.wgsl`: each example's gradient terms of the training loss, for a network of
/// `architecture`.
pub fn train_gradient(architecture: Architecture) -> String {
    [&mlp_layout(architecture), TRAIN_GRADIENT].concat()
}

/// `adam_step.wgsl`: the batch gradient and one Adam update per parameter.
pub fn adam_step() -> String {
    ADAM_STEP.to_string()
}

/// `histogram.wgsl`: counts of the particles per bin.
pub fn histogram() -> String {
    [GRID, HISTOGRAM].concat()
}

/// `contain_escaped.wgsl`: particles that left the finite range held where they were, and counted.
pub fn contain_escaped() -> String {
    [GRID, CONTAIN_ESCAPED].concat()
}

/// `draw_particles.wgsl`: the particle renderer.
pub fn draw_particles() -> String {
    [RNG, DRAW_PARTICLES].concat()
}

/// Every assembled shader with its name, for validation: the MLP kernels for the plain
/// architecture under their file's name, and for coordinate features as `<name>_fourier`.
pub fn all() -> Vec<(&'static str, String)> {
    let fourier = Architecture::FOURIER;
    vec![
        ("forward_noise", forward_noise()),
        ("reverse_step_mlp", reverse_step_mlp()),
        ("reverse_step_exact", reverse_step_exact()),
        ("predict_mlp", predict_mlp()),
        ("predict_exact", predict_exact()),
        ("likelihood_step_mlp", likelihood_step_mlp(Architecture::PLAIN)),
        ("likelihood_step_exact", likelihood_step_exact()),
        ("histogram", histogram()),
        ("contain_escaped", contain_escaped()),
        ("train_gradient", train_gradient(Architecture::PLAIN)),
        ("adam_step", adam_step()),
        ("draw_particles", draw_particles()),
        ("reverse_step_mlp_fourier", reverse_step_mlp_with(WeightsFormat::F32Uniform, fourier)),
        ("predict_mlp_fourier", predict_mlp_with(WeightsFormat::F32Uniform, fourier)),
        ("likelihood_step_mlp_fourier", likelihood_step_mlp(fourier)),
        ("train_gradient_fourier", train_gradient(fourier)),
    ]
}
