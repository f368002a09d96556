//! The bindings of every kernel, in one place: for each shader of [`shaders::all`], the number,
//! WGSL name and access of every binding of its group 0. The engine, the trainer and the
//! renderer build their bind-group layouts from these tables and name the buffers of their bind
//! groups with them; `tests/it/gpu_layout.rs` parses each assembled shader with naga and checks the
//! tables against its `@binding`s, and the structs the host uploads against the WGSL structs.
//!
//! [`shaders::all`]: crate::gpu::shaders::all

use crate::gpu::engine::RunParams;

/// How a shader declares a buffer binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `var<uniform>`.
    Uniform,
    /// `var<uniform>` bound at a per-dispatch offset: `has_dynamic_offset`, with the size of one
    /// block as the minimum binding size.
    DynamicUniform {
        /// Bytes of one block (the size of its WGSL type).
        min_binding_size: u64,
    },
    /// `var<storage, read>`.
    ReadOnly,
    /// `var<storage, read_write>`.
    ReadWrite,
}

/// One binding of a kernel's group 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Binding {
    /// `@binding(number)`.
    pub number: u32,
    /// The name of the `var` in the WGSL.
    pub name: &'static str,
    /// How the shader declares it.
    pub access: Access,
}

impl Binding {
    const fn new(number: u32, name: &'static str, access: Access) -> Binding {
        Binding { number, name, access }
    }

    /// The bind-group layout entry of this binding, visible to `visibility`.
    pub fn layout_entry(self, visibility: wgpu::ShaderStages) -> wgpu::BindGroupLayoutEntry {
        let (ty, has_dynamic_offset, min_binding_size) = match self.access {
            Access::Uniform => (wgpu::BufferBindingType::Uniform, false, None),
            Access::DynamicUniform { min_binding_size } => {
                (wgpu::BufferBindingType::Uniform, true, wgpu::BufferSize::new(min_binding_size))
            }
            Access::ReadOnly => (wgpu::BufferBindingType::Storage { read_only: true }, false, None),
            Access::ReadWrite => (wgpu::BufferBindingType::Storage { read_only: false }, false, None),
        };
        wgpu::BindGroupLayoutEntry {
            binding: self.number,
            visibility,
            ty: wgpu::BindingType::Buffer { ty, has_dynamic_offset, min_binding_size },
            count: None,
        }
    }
}

use Access::{ReadOnly, ReadWrite, Uniform};

/// `bindings` with its `weights` binding declared as `access`: the table of an MLP kernel whose
/// weights are in another format ([`WeightsFormat::access`]).
///
/// [`WeightsFormat::access`]: crate::gpu::WeightsFormat::access
pub fn with_weights(bindings: &[Binding], access: Access) -> Vec<Binding> {
    bindings.iter().map(|&b| if b.name == "weights" { Binding { access, ..b } } else { b }).collect()
}

/// The run uniform of the reverse kernels, read at a per-dispatch offset.
const RUN: Binding = Binding::new(
    0,
    "run",
    Access::DynamicUniform { min_binding_size: std::mem::size_of::<RunParams>() as u64 },
);

/// The mixture of the MLP kernels, read for guidance (`shaders/common/guidance.wgsl`).
const GUIDED_COMPONENTS: Binding = Binding::new(7, "components", ReadOnly);
/// The guidance weight of each evaluation (`shaders/common/guidance.wgsl`).
const GUIDANCE_WEIGHTS: Binding = Binding::new(8, "guidance_weights", ReadOnly);
/// The measurement DPS and PiGDM condition on (`shaders/common/posterior_guidance.wgsl`).
const OBSERVATION: Binding = Binding::new(9, "observation", Uniform);

/// `forward_noise.wgsl`.
pub mod forward_noise {
    use super::*;
    /// [`NoiseParams`](crate::gpu::engine::NoiseParams).
    pub const PARAMS: Binding = Binding::new(0, "params", Uniform);
    /// The data x_0 of every particle.
    pub const DATA: Binding = Binding::new(1, "data", ReadOnly);
    /// The particles, written.
    pub const PARTICLES: Binding = Binding::new(2, "particles", ReadWrite);
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] = &[PARAMS, DATA, PARTICLES];
}

/// `reverse_step_mlp.wgsl`.
pub mod reverse_step_mlp {
    use super::*;
    /// [`RunParams`] of the dispatch.
    pub const RUN: Binding = super::RUN;
    /// The plan's [`ReverseStep`](crate::core::sampler::ReverseStep)s.
    pub const STEPS: Binding = Binding::new(1, "steps", ReadOnly);
    /// The flat MLP parameters, padded to whole vec4s.
    pub const WEIGHTS: Binding = Binding::new(2, "weights", Uniform);
    /// Two hidden-bias rows per step.
    pub const HIDDEN_BIASES: Binding = Binding::new(3, "hidden_biases", ReadOnly);
    /// The particles.
    pub const PARTICLES: Binding = Binding::new(4, "particles", ReadWrite);
    /// The multistep history of every particle.
    pub const HISTORY: Binding = Binding::new(5, "history", ReadWrite);
    /// The [`MixtureComponent`](crate::core::mixture::MixtureComponent)s whose marked class
    /// guidance steers toward.
    pub const COMPONENTS: Binding = super::GUIDED_COMPONENTS;
    /// The guidance weight of every evaluation.
    pub const GUIDANCE_WEIGHTS: Binding = super::GUIDANCE_WEIGHTS;
    /// The [`ObservationParams`](crate::core::posterior_guidance::ObservationParams).
    pub const OBSERVATION: Binding = super::OBSERVATION;
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] =
        &[RUN, STEPS, WEIGHTS, HIDDEN_BIASES, PARTICLES, HISTORY, COMPONENTS, GUIDANCE_WEIGHTS, OBSERVATION];
}

/// `reverse_step_exact.wgsl`.
pub mod reverse_step_exact {
    use super::*;
    /// [`RunParams`] of the dispatch.
    pub const RUN: Binding = super::RUN;
    /// The plan's [`ReverseStep`](crate::core::sampler::ReverseStep)s.
    pub const STEPS: Binding = Binding::new(1, "steps", ReadOnly);
    /// The [`MixtureComponent`](crate::core::mixture::MixtureComponent)s.
    pub const COMPONENTS: Binding = Binding::new(2, "components", ReadOnly);
    /// The particles.
    pub const PARTICLES: Binding = Binding::new(4, "particles", ReadWrite);
    /// The multistep history of every particle.
    pub const HISTORY: Binding = Binding::new(5, "history", ReadWrite);
    /// The guidance weight of every evaluation.
    pub const GUIDANCE_WEIGHTS: Binding = super::GUIDANCE_WEIGHTS;
    /// The [`ObservationParams`](crate::core::posterior_guidance::ObservationParams).
    pub const OBSERVATION: Binding = super::OBSERVATION;
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] =
        &[RUN, STEPS, COMPONENTS, PARTICLES, HISTORY, GUIDANCE_WEIGHTS, OBSERVATION];
}

/// `predict_mlp.wgsl`.
pub mod predict_mlp {
    use super::*;
    /// [`PredictParams`](crate::gpu::engine::PredictParams).
    pub const PARAMS: Binding = Binding::new(0, "predict", Uniform);
    /// The flat MLP parameters, padded to whole vec4s.
    pub const WEIGHTS: Binding = Binding::new(2, "weights", Uniform);
    /// The hidden bias of the one evaluation.
    pub const HIDDEN_BIAS: Binding = Binding::new(3, "hidden_biases", ReadOnly);
    /// The particles, read.
    pub const PARTICLES: Binding = Binding::new(4, "particles", ReadOnly);
    /// One prediction per particle, written.
    pub const PREDICTIONS: Binding = Binding::new(6, "predictions", ReadWrite);
    /// The [`MixtureComponent`](crate::core::mixture::MixtureComponent)s whose marked class
    /// guidance steers toward.
    pub const COMPONENTS: Binding = super::GUIDED_COMPONENTS;
    /// The guidance weight of the one evaluation.
    pub const GUIDANCE_WEIGHTS: Binding = super::GUIDANCE_WEIGHTS;
    /// The [`ObservationParams`](crate::core::posterior_guidance::ObservationParams).
    pub const OBSERVATION: Binding = super::OBSERVATION;
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] =
        &[PARAMS, WEIGHTS, HIDDEN_BIAS, PARTICLES, PREDICTIONS, COMPONENTS, GUIDANCE_WEIGHTS, OBSERVATION];
}

/// `predict_exact.wgsl`.
pub mod predict_exact {
    use super::*;
    /// [`PredictParams`](crate::gpu::engine::PredictParams).
    pub const PARAMS: Binding = Binding::new(0, "predict", Uniform);
    /// The [`MixtureComponent`](crate::core::mixture::MixtureComponent)s.
    pub const COMPONENTS: Binding = Binding::new(2, "components", ReadOnly);
    /// The particles, read.
    pub const PARTICLES: Binding = Binding::new(4, "particles", ReadOnly);
    /// One prediction per particle, written.
    pub const PREDICTIONS: Binding = Binding::new(6, "predictions", ReadWrite);
    /// The guidance weight of the one evaluation.
    pub const GUIDANCE_WEIGHTS: Binding = super::GUIDANCE_WEIGHTS;
    /// The [`ObservationParams`](crate::core::posterior_guidance::ObservationParams).
    pub const OBSERVATION: Binding = super::OBSERVATION;
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] =
        &[PARAMS, COMPONENTS, PARTICLES, PREDICTIONS, GUIDANCE_WEIGHTS, OBSERVATION];
}

/// `likelihood_step_mlp.wgsl`.
pub mod likelihood_step_mlp {
    use super::*;
    /// [`RunParams`] of the dispatch.
    pub const RUN: Binding = super::RUN;
    /// The [`LikelihoodStep`](crate::core::likelihood::LikelihoodStep)s.
    pub const STEPS: Binding = Binding::new(1, "steps", ReadOnly);
    /// The flat MLP parameters, padded to whole vec4s.
    pub const WEIGHTS: Binding = Binding::new(2, "weights", Uniform);
    /// Two hidden-bias rows per step.
    pub const HIDDEN_BIASES: Binding = Binding::new(3, "hidden_biases", ReadOnly);
    /// The points, moved toward the noise end.
    pub const POINTS: Binding = Binding::new(4, "points", ReadWrite);
    /// The log-determinant of every point, accumulated.
    pub const LOG_DETS: Binding = Binding::new(5, "log_dets", ReadWrite);
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] = &[RUN, STEPS, WEIGHTS, HIDDEN_BIASES, POINTS, LOG_DETS];
}

/// `likelihood_step_exact.wgsl`.
pub mod likelihood_step_exact {
    use super::*;
    /// [`RunParams`] of the dispatch.
    pub const RUN: Binding = super::RUN;
    /// The [`LikelihoodStep`](crate::core::likelihood::LikelihoodStep)s.
    pub const STEPS: Binding = Binding::new(1, "steps", ReadOnly);
    /// The [`MixtureComponent`](crate::core::mixture::MixtureComponent)s.
    pub const COMPONENTS: Binding = Binding::new(2, "components", ReadOnly);
    /// The points, moved toward the noise end.
    pub const POINTS: Binding = Binding::new(4, "points", ReadWrite);
    /// The log-determinant of every point, accumulated.
    pub const LOG_DETS: Binding = Binding::new(5, "log_dets", ReadWrite);
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] = &[RUN, STEPS, COMPONENTS, POINTS, LOG_DETS];
}

/// `histogram.wgsl`.
pub mod histogram {
    use super::*;
    /// [`HistogramParams`](crate::gpu::engine::HistogramParams).
    pub const PARAMS: Binding = Binding::new(0, "params", Uniform);
    /// The particles, read.
    pub const PARTICLES: Binding = Binding::new(4, "particles", ReadOnly);
    /// One atomic count per bin.
    pub const COUNTS: Binding = Binding::new(7, "counts", ReadWrite);
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] = &[PARAMS, PARTICLES, COUNTS];
}

/// `contain_escaped.wgsl`.
pub mod contain_escaped {
    use super::*;
    /// [`ContainParams`](crate::gpu::engine::ContainParams).
    pub const PARAMS: Binding = Binding::new(0, "params", Uniform);
    /// The particles after a batch of steps, the escaped ones written back.
    pub const PARTICLES: Binding = Binding::new(1, "particles", ReadWrite);
    /// The particles before the batch.
    pub const BEFORE: Binding = Binding::new(2, "before", ReadOnly);
    /// The count of escaped particles (atomic, cleared when a run starts).
    pub const ESCAPED: Binding = Binding::new(3, "escaped", ReadWrite);
    /// Whether each particle has escaped in this run (so the count counts particles).
    pub const ESCAPED_BEFORE: Binding = Binding::new(4, "escaped_before", ReadWrite);
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] = &[PARAMS, PARTICLES, BEFORE, ESCAPED, ESCAPED_BEFORE];
}

/// `train_gradient.wgsl`.
pub mod train_gradient {
    use super::*;
    /// [`TrainParams`](crate::gpu::trainer::TrainParams).
    pub const PARAMS: Binding = Binding::new(0, "params", Uniform);
    /// The batch's [`PreparedExample`](crate::core::train::PreparedExample)s.
    pub const EXAMPLES: Binding = Binding::new(1, "examples", ReadOnly);
    /// The flat MLP parameters, read.
    pub const WEIGHTS: Binding = Binding::new(2, "weights", ReadOnly);
    /// Every example's term of every parameter's gradient, written.
    pub const GRADIENTS: Binding = Binding::new(3, "gradients", ReadWrite);
    /// Every example's loss, written.
    pub const LOSSES: Binding = Binding::new(4, "losses", ReadWrite);
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] = &[PARAMS, EXAMPLES, WEIGHTS, GRADIENTS, LOSSES];
}

/// `adam_step.wgsl`.
pub mod adam_step {
    use super::*;
    /// [`AdamParams`](crate::gpu::trainer::AdamParams).
    pub const PARAMS: Binding = Binding::new(0, "adam", Uniform);
    /// The flat MLP parameters, updated.
    pub const WEIGHTS: Binding = Binding::new(2, "weights", ReadWrite);
    /// Every example's term of every parameter's gradient, read.
    pub const GRADIENTS: Binding = Binding::new(3, "gradients", ReadOnly);
    /// Adam's first moment.
    pub const FIRST_MOMENT: Binding = Binding::new(5, "first_moment", ReadWrite);
    /// Adam's second moment.
    pub const SECOND_MOMENT: Binding = Binding::new(6, "second_moment", ReadWrite);
    /// The batch gradient, written.
    pub const GRADIENT: Binding = Binding::new(7, "gradient", ReadWrite);
    /// Every binding of the kernel.
    pub const BINDINGS: &[Binding] = &[PARAMS, WEIGHTS, GRADIENTS, FIRST_MOMENT, SECOND_MOMENT, GRADIENT];
}

/// `draw_particles.wgsl` (a render pipeline: vertex and fragment stages).
pub mod draw_particles {
    use super::*;
    /// [`DrawParams`](crate::gpu::DrawParams), read by both stages.
    pub const PARAMS: Binding = Binding::new(0, "draw", Uniform);
    /// The particles, read by the vertex stage.
    pub const PARTICLES: Binding = Binding::new(1, "particles", ReadOnly);
    /// Every binding of the pipeline.
    pub const BINDINGS: &[Binding] = &[PARAMS, PARTICLES];
}
