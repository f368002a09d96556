//! The compute side: particle buffers and the forward-noise and reverse-step pipelines (on the
//! kernel plumbing of [`kernel`](crate::gpu::kernel)).

pub use crate::gpu::kernel::WORKGROUP_SIZE;

use crate::core::dataset::{GaussianMixture, MixtureComponent};
use crate::core::histogram::{self, Bins};
use crate::core::likelihood::LikelihoodStep;
use crate::core::mlp::{self, Architecture, Mlp};
use crate::core::param::{Coefficients, Parametrization};
use crate::core::posterior_guidance::ObservationParams;
use crate::core::runaway;
use crate::core::sampler::Unguided;
use crate::core::sampler::{self, Evaluation, ReverseStep};
use crate::gpu::kernel::{buffer_with, Kernel, Variant, STORAGE_IN};
use crate::gpu::kernel_config::{MlpKernelConfig, WeightsFormat};
use crate::gpu::layout;
use crate::gpu::likelihood::{GpuLikelihood, PendingLikelihood};
use crate::gpu::readback::Readback;
use crate::gpu::{shaders, GpuContext, GpuError};

/// Most particles the engine simulates: 2^22, whose multistep history (24 bytes a particle,
/// 96 MiB) fits WebGPU's default storage-binding limit of 128 MiB.
pub const MAX_PARTICLES: u32 = 1 << 22;

/// Most reverse steps one dispatch integrates. Longer calls are split into several dispatches in
/// one pass: this bounds the duration of a dispatch (GPU watchdogs reset devices that run one
/// for seconds), and Mesa's lavapipe (LLVM 15) was seen to miscompute the MLP kernel when its
/// step loop ran 16 or more iterations (`tests/it/gpu_parity.rs` covers long runs).
pub const MAX_STEPS_PER_DISPATCH: u32 = 8;
/// Most dispatches of one [`ComputeEngine::reverse`] call (so at most 1,024 steps per call).
const MAX_DISPATCHES_PER_CALL: u32 = 128;
/// Stride of the per-dispatch [`RunParams`] in their uniform buffer: WebGPU's default
/// `minUniformBufferOffsetAlignment`.
pub(crate) const RUN_PARAMS_STRIDE: u64 = 256;

/// Which eps_hat the reverse kernel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreKind {
    /// The MLP (`reverse_step_mlp.wgsl`).
    Mlp,
    /// The exact mixture score (`reverse_step_exact.wgsl`).
    Exact,
}

/// Uniforms of `forward_noise.wgsl` (its `NoiseParams`; layout checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct NoiseParams {
    /// alpha_t.
    pub alpha: f32,
    /// sigma_t.
    pub sigma: f32,
    /// Seed of the RNG keys.
    pub seed: u32,
    /// RNG stream (`rng::stream::FORWARD` or `PRIOR`).
    pub stream: u32,
    /// Number of particles.
    pub particle_count: u32,
    /// Padding to 32 bytes; always 0.
    pub _pad: [u32; 3],
}

/// Uniforms of one dispatch of `reverse_step_*.wgsl` (`RunParams` in
/// `shaders/common/reverse_step.wgsl`; layout checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct RunParams {
    /// Seed of the RNG keys.
    pub seed: u32,
    /// Number of particles.
    pub particle_count: u32,
    /// First plan step of the dispatch.
    pub first_step: u32,
    /// Plan steps the dispatch applies.
    pub step_count: u32,
}

/// Uniforms of `predict_*.wgsl` (`PredictParams` in `shaders/common/predict.wgsl`, where the
/// first four fields are its `coefficients`; layout checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct PredictParams {
    /// alpha of the sampling schedule at t.
    pub alpha: f32,
    /// sigma at t.
    pub sigma: f32,
    /// d alpha / dt at t.
    pub d_alpha: f32,
    /// d sigma / dt at t.
    pub d_sigma: f32,
    /// [`Evaluation::t_net`].
    pub t_net: f32,
    /// [`Evaluation::input_scale`].
    pub input_scale: f32,
    /// [`Evaluation::eps_from_output`].
    pub eps_from_output: f32,
    /// [`Evaluation::eps_from_input`].
    pub eps_from_input: f32,
    /// [`Parametrization::id`] of the predictions.
    pub target_parametrization: u32,
    /// Number of particles.
    pub particle_count: u32,
    /// Padding to 48 bytes; always 0.
    pub _pad: [u32; 2],
}

/// Uniforms of `histogram.wgsl` (its `HistogramParams`; layout checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct HistogramParams {
    /// Bins per axis.
    pub side: u32,
    /// The bins cover [-half_extent, half_extent]^2.
    pub half_extent: f32,
    /// Number of particles.
    pub particle_count: u32,
    /// Padding to 16 bytes; always 0.
    pub _pad: u32,
}

/// Uniforms of `contain_escaped.wgsl` (its `ContainParams`; layout checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct ContainParams {
    /// Number of particles.
    pub particle_count: u32,
    /// [`RUNAWAY_COORDINATE`](crate::core::runaway::RUNAWAY_COORDINATE).
    pub runaway_coordinate: f32,
    /// Padding to 16 bytes; always 0.
    pub _pad: [u32; 2],
}

/// Buffers whose size depends on the scene, and the bind groups that use them.
struct Scene {
    particle_count: u32,
    buffers: SceneBuffers,
    contain_group: wgpu::BindGroup,
    forward_group: wgpu::BindGroup,
    predict_mlp_group: wgpu::BindGroup,
    predict_exact_group: wgpu::BindGroup,
    mlp_group: wgpu::BindGroup,
    exact_group: wgpu::BindGroup,
}

/// The buffers of a [`Scene`] (kept when its bind groups are made again).
struct SceneBuffers {
    particles: wgpu::Buffer,
    /// Per-particle history of multistep samplers (`sampler::History`: the x0_hat or eps of the
    /// last HISTORY_SLOTS steps).
    history: wgpu::Buffer,
    /// Output of the predict kernels (one vec2 per particle).
    predictions: wgpu::Buffer,
    /// The particles before the last batch of reverse steps (`contain_escaped.wgsl`).
    before: wgpu::Buffer,
    /// Count of the particles that escaped since the run started (one atomic u32).
    escaped: wgpu::Buffer,
    /// One u32 per particle: 1 once it has escaped in this run.
    escaped_flags: wgpu::Buffer,
}

/// Particle state on the GPU and the kernels that move it.
pub struct ComputeEngine {
    device: wgpu::Device,
    queue: wgpu::Queue,
    forward_kernel: Kernel,
    mlp_kernel: Kernel,
    exact_kernel: Kernel,
    predict_mlp_kernel: Kernel,
    predict_exact_kernel: Kernel,
    histogram_kernel: Kernel,
    histogram_params: wgpu::Buffer,
    contain_kernel: Kernel,
    contain_params: wgpu::Buffer,
    noise_params: wgpu::Buffer,
    predict_params: wgpu::Buffer,
    /// The hidden bias of the one evaluation the predict kernels make (two rows: the class's
    /// and the null class's under classifier-free guidance; the first only otherwise).
    predict_bias: wgpu::Buffer,
    run_params: wgpu::Buffer,
    /// The network's weights in [`ComputeEngine::weights_format`].
    weights: wgpu::Buffer,
    /// The flat weights last uploaded (re-encoded when the format changes).
    flat_weights: Vec<f32>,
    /// The shape asked for ([`ComputeEngine::set_mlp_config`]).
    mlp_config: MlpKernelConfig,
    /// The format the MLP kernels read now: the config's, or its f32 counterpart while the
    /// weights are not all half floats.
    weights_format: WeightsFormat,
    /// The architecture of the weights last uploaded, which the MLP kernels are compiled for.
    architecture: Architecture,
    /// What the device can do (`shader-f16`).
    features: wgpu::Features,
    data: wgpu::Buffer,
    steps: wgpu::Buffer,
    hidden_biases: wgpu::Buffer,
    /// The guidance weight of each evaluation of the plan (two per step; zeros: unguided).
    guidance_weights: wgpu::Buffer,
    /// The guidance weight of the predict kernels' one evaluation.
    predict_guidance: wgpu::Buffer,
    /// The measurement DPS and PiGDM condition on ([`ObservationParams`]; none at first).
    observation: wgpu::Buffer,
    /// Whether the uploaded measurement guides (the kernels then run their posterior-guided
    /// pipelines).
    posterior_guided: bool,
    /// Whether the MLP kernels guide without a classifier (their `CLASSIFIER_FREE` pipelines;
    /// the hidden biases hold the null class's rows after the class's).
    classifier_free: bool,
    mixture: wgpu::Buffer,
    /// The likelihood kernels on the same device.
    likelihood: GpuLikelihood,
    step_count: u32,
    scene: Option<Scene>,
    /// Bumped whenever the particle buffer is replaced (renderers rebuild their bind group).
    generation: u64,
}

/// A weights buffer holding `bytes` for kernels reading `format`.
fn weights_buffer(device: &wgpu::Device, format: WeightsFormat, bytes: &[u8]) -> wgpu::Buffer {
    let usage = match format.access() {
        layout::Access::Uniform => wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        _ => STORAGE_IN,
    };
    buffer_with(device, "mlp weights", bytes, usage)
}

/// What the MLP kernels are compiled for: the network's architecture, the workgroup size and the
/// weights' format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct MlpKernelShape {
    architecture: Architecture,
    workgroup_size: u32,
    format: WeightsFormat,
}

/// `reverse_step_mlp` in `shape`.
fn reverse_mlp_kernel(device: &wgpu::Device, shape: MlpKernelShape) -> Kernel {
    let MlpKernelShape { architecture, workgroup_size, format } = shape;
    let bindings = layout::with_weights(layout::reverse_step_mlp::BINDINGS, format.access());
    let source = Box::new(move || shaders::reverse_step_mlp_with(format, architecture));
    Kernel::shaped(device, "reverse_step_mlp", source, &bindings, workgroup_size)
}

/// `predict_mlp` in `shape`.
fn predict_mlp_kernel(device: &wgpu::Device, shape: MlpKernelShape) -> Kernel {
    let MlpKernelShape { architecture, workgroup_size, format } = shape;
    let bindings = layout::with_weights(layout::predict_mlp::BINDINGS, format.access());
    let source = Box::new(move || shaders::predict_mlp_with(format, architecture));
    Kernel::shaped(device, "predict_mlp", source, &bindings, workgroup_size)
}

impl ComputeEngine {
    /// The kernels on `context`'s device (each compiled when it first runs, see [`Kernel`]).
    pub fn new(context: &GpuContext) -> ComputeEngine {
        let device = context.device.clone();
        let kernel = |label, source, bindings| Kernel::new(&device, label, source, bindings);
        let forward_kernel = kernel("forward_noise", shaders::forward_noise, layout::forward_noise::BINDINGS);
        let config = MlpKernelConfig::DEFAULT;
        let architecture = Architecture::PLAIN;
        let shape =
            MlpKernelShape { architecture, workgroup_size: config.workgroup_size, format: config.weights };
        let mlp_kernel = reverse_mlp_kernel(&device, shape);
        let exact_kernel =
            kernel("reverse_step_exact", shaders::reverse_step_exact, layout::reverse_step_exact::BINDINGS);
        let predict_mlp_kernel = predict_mlp_kernel(&device, shape);
        let predict_exact_kernel =
            kernel("predict_exact", shaders::predict_exact, layout::predict_exact::BINDINGS);
        let histogram_kernel = kernel("histogram", shaders::histogram, layout::histogram::BINDINGS);
        let contain_kernel =
            kernel("contain_escaped", shaders::contain_escaped, layout::contain_escaped::BINDINGS);
        let zeros = |n: usize| vec![0u8; n];
        let uniform_usage = wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST;
        ComputeEngine {
            noise_params: buffer_with(
                &device,
                "noise params",
                &zeros(std::mem::size_of::<NoiseParams>()),
                uniform_usage,
            ),
            predict_params: buffer_with(
                &device,
                "predict params",
                &zeros(std::mem::size_of::<PredictParams>()),
                uniform_usage,
            ),
            histogram_params: buffer_with(
                &device,
                "histogram params",
                &zeros(std::mem::size_of::<HistogramParams>()),
                uniform_usage,
            ),
            contain_params: buffer_with(
                &device,
                "contain params",
                &zeros(std::mem::size_of::<ContainParams>()),
                uniform_usage,
            ),
            predict_bias: buffer_with(
                &device,
                "predict hidden bias",
                &zeros(2 * 4 * mlp::HIDDEN),
                STORAGE_IN,
            ),
            run_params: buffer_with(
                &device,
                "run params",
                &zeros((RUN_PARAMS_STRIDE * MAX_DISPATCHES_PER_CALL as u64) as usize),
                uniform_usage,
            ),
            weights: weights_buffer(
                &device,
                config.weights,
                &zeros(config.weights.buffer_bytes(architecture)),
            ),
            flat_weights: Vec::new(),
            mlp_config: config,
            weights_format: config.weights,
            architecture,
            features: device.features(),
            data: buffer_with(&device, "data x0", &zeros(8), STORAGE_IN),
            steps: buffer_with(&device, "reverse steps", &zeros(32), STORAGE_IN),
            hidden_biases: buffer_with(&device, "hidden biases", &zeros(4 * mlp::HIDDEN), STORAGE_IN),
            guidance_weights: buffer_with(&device, "guidance weights", &zeros(8), STORAGE_IN),
            predict_guidance: buffer_with(&device, "predict guidance weight", &zeros(4), STORAGE_IN),
            observation: buffer_with(
                &device,
                "observation",
                bytemuck::bytes_of(&ObservationParams::none()),
                uniform_usage,
            ),
            mixture: buffer_with(
                &device,
                "mixture",
                &zeros(std::mem::size_of::<MixtureComponent>()),
                STORAGE_IN,
            ),
            posterior_guided: false,
            classifier_free: false,
            likelihood: GpuLikelihood::new(context),
            step_count: 0,
            scene: None,
            generation: 0,
            queue: context.queue.clone(),
            device,
            forward_kernel,
            mlp_kernel,
            exact_kernel,
            predict_mlp_kernel,
            predict_exact_kernel,
            histogram_kernel,
            contain_kernel,
        }
    }

    /// Uploads the network weights, in the format of the MLP kernels' shape (f32 where the
    /// shape's is half floats but some weight is not a half float); a network of another
    /// architecture than the last gets MLP kernels compiled for its own (when they next run).
    pub fn set_weights(&mut self, mlp: &Mlp) {
        self.flat_weights.clone_from(&mlp.weights);
        self.upload_weights();
    }

    /// Runs the MLP kernels in `config`'s shape from now on (compiled when they next run).
    /// Errs, changing nothing, when the device cannot run it (see [`MlpKernelConfig::check`]).
    pub fn set_mlp_config(&mut self, config: MlpKernelConfig) -> Result<(), GpuError> {
        config.check(self.features).map_err(GpuError::Unsupported)?;
        if config != self.mlp_config {
            self.mlp_config = config;
            self.upload_weights();
        }
        Ok(())
    }

    /// The shape asked for with [`ComputeEngine::set_mlp_config`] ([`MlpKernelConfig::DEFAULT`]
    /// until then).
    pub fn mlp_config(&self) -> MlpKernelConfig {
        self.mlp_config
    }

    /// The shape the MLP kernels run in now: the one asked for, with f32 weights in the same
    /// place while the network's weights are not all half floats.
    pub fn running_mlp_config(&self) -> MlpKernelConfig {
        MlpKernelConfig { weights: self.weights_format, ..self.mlp_config }
    }

    /// What the device can do, as far as the kernels care (`shader-f16`).
    pub fn features(&self) -> wgpu::Features {
        self.features
    }

    /// Encodes the last weights for the config's format (or its f32 counterpart), rebuilding the
    /// MLP kernels, the buffer and the bind groups when the running shape changes.
    fn upload_weights(&mut self) {
        let wanted = self.mlp_config.weights;
        let architecture = Architecture::of_parameters(self.flat_weights.len()).unwrap_or(self.architecture);
        let (format, bytes) = match wanted.encode(architecture, &self.flat_weights) {
            Some(bytes) => (wanted, bytes),
            None => {
                // An f32 format holds any weights: this encode always succeeds.
                let f32_format = wanted.f32_counterpart();
                (
                    f32_format,
                    f32_format
                        .encode(architecture, &self.flat_weights)
                        .unwrap_or_else(|| vec![0; f32_format.buffer_bytes(architecture)]),
                )
            }
        };
        let shape = MlpKernelShape { architecture, workgroup_size: self.mlp_config.workgroup_size, format };
        let running = MlpKernelShape {
            architecture: self.architecture,
            workgroup_size: self.mlp_kernel.workgroup_size,
            format: self.weights_format,
        };
        if shape != running {
            self.mlp_kernel = reverse_mlp_kernel(&self.device, shape);
            self.predict_mlp_kernel = predict_mlp_kernel(&self.device, shape);
            self.weights = weights_buffer(&self.device, format, &bytes);
            self.weights_format = format;
            self.architecture = architecture;
            self.rebind();
        } else {
            self.queue.write_buffer(&self.weights, 0, &bytes);
        }
    }

    /// Uploads the mixture whose exact score the exact kernel evaluates.
    pub fn set_mixture(&mut self, mixture: &GaussianMixture) {
        let components: &[MixtureComponent] = &mixture.components;
        self.mixture = buffer_with(&self.device, "mixture", bytemuck::cast_slice(components), STORAGE_IN);
        self.rebind();
    }

    /// Uploads the data x_0 of every particle (this fixes the particle count).
    pub fn set_data(&mut self, data: &[[f32; 2]]) -> Result<(), GpuError> {
        let count =
            u32::try_from(data.len()).ok().filter(|&n| n > 0 && n <= MAX_PARTICLES).ok_or_else(|| {
                GpuError::Unsupported(format!(
                    "{} particles cannot be simulated on the GPU (1 to {MAX_PARTICLES})",
                    data.len()
                ))
            })?;
        let bytes = std::mem::size_of::<[f32; 2]>() as u64 * count as u64;
        // The largest buffer is the multistep history, HISTORY_SLOTS positions per particle.
        let history_bytes = std::mem::size_of::<sampler::History>() as u64 * count as u64;
        let max = self.device.limits().max_storage_buffer_binding_size;
        if history_bytes > max {
            return Err(GpuError::Unsupported(format!(
                "{count} particles need {history_bytes} bytes of sampler history, more than this GPU's storage buffer limit of {max} bytes"
            )));
        }
        self.data = buffer_with(&self.device, "data x0", bytemuck::cast_slice(data), STORAGE_IN);
        let state_buffer = |label, size| {
            self.device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::STORAGE
                    | wgpu::BufferUsages::COPY_SRC
                    | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let (particles, history) = (state_buffer("particles", bytes), state_buffer("history", history_bytes));
        let predictions = state_buffer("predictions", bytes);
        let before = state_buffer("particles before a batch", bytes);
        let escaped = state_buffer("escaped particles", 4);
        let escaped_flags = state_buffer("escaped flags", 4 * count as u64);
        let params = ContainParams {
            particle_count: count,
            runaway_coordinate: runaway::RUNAWAY_COORDINATE,
            _pad: [0; 2],
        };
        self.queue.write_buffer(&self.contain_params, 0, bytemuck::bytes_of(&params));
        let buffers = SceneBuffers { particles, history, predictions, before, escaped, escaped_flags };
        self.scene = Some(self.make_scene(count, buffers));
        self.generation += 1;
        Ok(())
    }

    /// Uploads a reverse-run plan and the MLP hidden biases of its evaluations
    /// (`sampler::hidden_biases`: `2 * steps.len() * HIDDEN` floats; empty for the exact score),
    /// and clears the multistep history. The plan runs unguided until
    /// [`ComputeEngine::set_guidance_weights`] says otherwise.
    pub fn set_plan(&mut self, steps: &[ReverseStep], hidden_biases: &[f32]) {
        self.steps = buffer_with(&self.device, "reverse steps", bytemuck::cast_slice(steps), STORAGE_IN);
        let biases: &[f32] = if hidden_biases.is_empty() { &[0.0; mlp::HIDDEN] } else { hidden_biases };
        self.hidden_biases =
            buffer_with(&self.device, "hidden biases", bytemuck::cast_slice(biases), STORAGE_IN);
        let unguided = vec![0.0f32; 2 * steps.len().max(1)];
        self.guidance_weights =
            buffer_with(&self.device, "guidance weights", bytemuck::cast_slice(&unguided), STORAGE_IN);
        self.step_count = steps.len() as u32;
        self.rebind();
        if let Some(scene) = &self.scene {
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("clear history") });
            encoder.clear_buffer(&scene.buffers.history, 0, None);
            self.queue.submit([encoder.finish()]);
        }
    }

    /// Uploads the guidance weight of every evaluation of the plan (`guidance::guidance_weights`:
    /// two per step, 0 for none); the class is the one marked in the mixture
    /// ([`ComputeEngine::set_mixture`]).
    pub fn set_guidance_weights(&mut self, weights: &[f32]) -> Result<(), GpuError> {
        if weights.len() != 2 * self.step_count as usize {
            return Err(GpuError::Unsupported(format!(
                "{} guidance weights for a plan of {} steps (two per step)",
                weights.len(),
                self.step_count
            )));
        }
        if !weights.is_empty() {
            self.queue.write_buffer(&self.guidance_weights, 0, bytemuck::cast_slice(weights));
        }
        Ok(())
    }

    /// Uploads the measurement the run conditions on with DPS or PiGDM
    /// ([`ObservationParams::none`]: none); the weight of its likelihood term in each evaluation
    /// is the guidance weight ([`ComputeEngine::set_guidance_weights`]).
    pub fn set_observation(&mut self, observation: &ObservationParams) {
        self.queue.write_buffer(&self.observation, 0, bytemuck::bytes_of(observation));
        self.posterior_guided = observation.guides();
    }

    /// Whether the MLP kernels guide without a classifier: eps(x, empty) + w (eps(x, c) -
    /// eps(x, empty)), w the guidance weight ([`ComputeEngine::set_guidance_weights`]). The plan's
    /// hidden biases ([`ComputeEngine::set_plan`]) must then be
    /// `sampler::classifier_free_hidden_biases` (the null class's rows second), and the predict
    /// kernels' bias two rows.
    pub fn set_classifier_free(&mut self, on: bool) {
        self.classifier_free = on;
    }

    /// The pipeline variant the kernels of `score` run.
    fn variant(&self, score: ScoreKind) -> Variant {
        match (self.posterior_guided, self.classifier_free && score == ScoreKind::Mlp) {
            (true, _) => Variant::PosteriorGuided,
            (false, true) => Variant::ClassifierFree,
            (false, false) => Variant::Plain,
        }
    }

    fn rebind(&mut self) {
        if let Some(scene) = self.scene.take() {
            self.scene = Some(self.make_scene(scene.particle_count, scene.buffers));
        }
    }

    fn make_scene(&self, particle_count: u32, buffers: SceneBuffers) -> Scene {
        let SceneBuffers { particles, history, predictions, before, escaped, escaped_flags } = &buffers;
        let device = &self.device;
        use layout::contain_escaped as ce;
        let run = || {
            wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                buffer: &self.run_params,
                offset: 0,
                size: wgpu::BufferSize::new(std::mem::size_of::<RunParams>() as u64),
            })
        };
        use layout::{forward_noise as fwd, predict_exact as pe, predict_mlp as pm};
        use layout::{reverse_step_exact as re, reverse_step_mlp as rm};
        Scene {
            forward_group: self.forward_kernel.bind(
                device,
                &[
                    (fwd::PARAMS, self.noise_params.as_entire_binding()),
                    (fwd::DATA, self.data.as_entire_binding()),
                    (fwd::PARTICLES, particles.as_entire_binding()),
                ],
            ),
            mlp_group: self.mlp_kernel.bind(
                device,
                &[
                    (rm::RUN, run()),
                    (rm::STEPS, self.steps.as_entire_binding()),
                    (rm::WEIGHTS, self.weights.as_entire_binding()),
                    (rm::HIDDEN_BIASES, self.hidden_biases.as_entire_binding()),
                    (rm::PARTICLES, particles.as_entire_binding()),
                    (rm::HISTORY, history.as_entire_binding()),
                    (rm::COMPONENTS, self.mixture.as_entire_binding()),
                    (rm::GUIDANCE_WEIGHTS, self.guidance_weights.as_entire_binding()),
                    (rm::OBSERVATION, self.observation.as_entire_binding()),
                ],
            ),
            exact_group: self.exact_kernel.bind(
                device,
                &[
                    (re::RUN, run()),
                    (re::STEPS, self.steps.as_entire_binding()),
                    (re::COMPONENTS, self.mixture.as_entire_binding()),
                    (re::PARTICLES, particles.as_entire_binding()),
                    (re::HISTORY, history.as_entire_binding()),
                    (re::GUIDANCE_WEIGHTS, self.guidance_weights.as_entire_binding()),
                    (re::OBSERVATION, self.observation.as_entire_binding()),
                ],
            ),
            predict_mlp_group: self.predict_mlp_kernel.bind(
                device,
                &[
                    (pm::PARAMS, self.predict_params.as_entire_binding()),
                    (pm::WEIGHTS, self.weights.as_entire_binding()),
                    (pm::HIDDEN_BIAS, self.predict_bias.as_entire_binding()),
                    (pm::PARTICLES, particles.as_entire_binding()),
                    (pm::PREDICTIONS, predictions.as_entire_binding()),
                    (pm::COMPONENTS, self.mixture.as_entire_binding()),
                    (pm::GUIDANCE_WEIGHTS, self.predict_guidance.as_entire_binding()),
                    (pm::OBSERVATION, self.observation.as_entire_binding()),
                ],
            ),
            predict_exact_group: self.predict_exact_kernel.bind(
                device,
                &[
                    (pe::PARAMS, self.predict_params.as_entire_binding()),
                    (pe::COMPONENTS, self.mixture.as_entire_binding()),
                    (pe::PARTICLES, particles.as_entire_binding()),
                    (pe::PREDICTIONS, predictions.as_entire_binding()),
                    (pe::GUIDANCE_WEIGHTS, self.predict_guidance.as_entire_binding()),
                    (pe::OBSERVATION, self.observation.as_entire_binding()),
                ],
            ),
            contain_group: self.contain_kernel.bind(
                device,
                &[
                    (ce::PARAMS, self.contain_params.as_entire_binding()),
                    (ce::PARTICLES, particles.as_entire_binding()),
                    (ce::BEFORE, before.as_entire_binding()),
                    (ce::ESCAPED, escaped.as_entire_binding()),
                    (ce::ESCAPED_BEFORE, escaped_flags.as_entire_binding()),
                ],
            ),
            particle_count,
            buffers,
        }
    }

    fn scene(&self) -> Result<&Scene, GpuError> {
        self.scene.as_ref().ok_or_else(|| GpuError::Unsupported("no particles uploaded yet".into()))
    }

    fn dispatch(&self, kernel: &Kernel, group: &wgpu::BindGroup, count: u32) {
        self.dispatch_with(kernel.label, kernel.pipeline(&self.device), group, kernel.workgroups(count));
    }

    fn dispatch_with(
        &self,
        label: &str,
        pipeline: &wgpu::ComputePipeline,
        group: &wgpu::BindGroup,
        (x, y): (u32, u32),
    ) {
        let mut encoder =
            self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(label),
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, group, &[]);
            pass.dispatch_workgroups(x, y, 1);
        }
        self.queue.submit([encoder.finish()]);
    }

    /// Sets every particle to alpha x_0 + sigma eps, eps from `(seed, particle, 0, stream)`.
    pub fn noise(&self, alpha: f32, sigma: f32, seed: u32, stream: u32) -> Result<(), GpuError> {
        let scene = self.scene()?;
        let params =
            NoiseParams { alpha, sigma, seed, stream, particle_count: scene.particle_count, _pad: [0; 3] };
        self.queue.write_buffer(&self.noise_params, 0, bytemuck::bytes_of(&params));
        self.clear_escaped(scene);
        self.dispatch(&self.forward_kernel, &scene.forward_group, scene.particle_count);
        Ok(())
    }

    /// Applies plan steps `first_step .. first_step + count` to every particle: one submission,
    /// one dispatch per [`MAX_STEPS_PER_DISPATCH`] steps.
    pub fn reverse(&self, score: ScoreKind, seed: u32, first_step: u32, count: u32) -> Result<(), GpuError> {
        let scene = self.scene()?;
        if first_step.checked_add(count).is_none_or(|end| end > self.step_count) {
            return Err(GpuError::Unsupported(format!(
                "steps {first_step}..{} are outside the plan of {} steps",
                first_step.saturating_add(count),
                self.step_count
            )));
        }
        let dispatches = count.div_ceil(MAX_STEPS_PER_DISPATCH);
        if dispatches > MAX_DISPATCHES_PER_CALL {
            return Err(GpuError::Unsupported(format!(
                "{count} steps in one call is too many (at most {})",
                MAX_DISPATCHES_PER_CALL * MAX_STEPS_PER_DISPATCH
            )));
        }
        if count == 0 {
            return Ok(());
        }
        let mut params = vec![0u8; (RUN_PARAMS_STRIDE * dispatches as u64) as usize];
        for d in 0..dispatches {
            let first = first_step + d * MAX_STEPS_PER_DISPATCH;
            let chunk = RunParams {
                seed,
                particle_count: scene.particle_count,
                first_step: first,
                step_count: MAX_STEPS_PER_DISPATCH.min(first_step + count - first),
            };
            let at = (RUN_PARAMS_STRIDE * d as u64) as usize;
            params[at..at + std::mem::size_of::<RunParams>()].copy_from_slice(bytemuck::bytes_of(&chunk));
        }
        self.queue.write_buffer(&self.run_params, 0, &params);
        let (kernel, group) = match score {
            ScoreKind::Mlp => (&self.mlp_kernel, &scene.mlp_group),
            ScoreKind::Exact => (&self.exact_kernel, &scene.exact_group),
        };
        let label = kernel.label;
        let pipeline = kernel.pipeline_for(&self.device, self.variant(score));
        let contain = self.contain_kernel.pipeline(&self.device);
        let mut encoder =
            self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) });
        // The particles before the batch, where escaped ones are held (`contain_escaped.wgsl`).
        encoder.copy_buffer_to_buffer(
            &scene.buffers.particles,
            0,
            &scene.buffers.before,
            0,
            scene.buffers.particles.size(),
        );
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some(label),
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            for d in 0..dispatches {
                pass.set_bind_group(0, group, &[(RUN_PARAMS_STRIDE * d as u64) as u32]);
                let (x, y) = kernel.workgroups(scene.particle_count);
                pass.dispatch_workgroups(x, y, 1);
            }
            pass.set_pipeline(contain);
            pass.set_bind_group(0, &scene.contain_group, &[]);
            let (x, y) = self.contain_kernel.workgroups(scene.particle_count);
            pass.dispatch_workgroups(x, y, 1);
        }
        self.queue.submit([encoder.finish()]);
        Ok(())
    }

    /// A new run: no particle has escaped yet (`contain_escaped.wgsl`'s count and flags cleared).
    fn clear_escaped(&self, scene: &Scene) {
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("clear escaped") });
        encoder.clear_buffer(&scene.buffers.escaped, 0, None);
        encoder.clear_buffer(&scene.buffers.escaped_flags, 0, None);
        self.queue.submit([encoder.finish()]);
    }

    /// Starts copying back how many particles escaped (`core::runaway`) since the run started:
    /// the reverse steps hold them where they were before their batch and count them.
    pub fn read_escaped(&self) -> Result<Readback, GpuError> {
        let scene = self.scene()?;
        Ok(Readback::start(&self.device, &self.queue, &scene.buffers.escaped, 4))
    }

    /// Computes the prediction of the score source at every particle, in the parametrization
    /// `target`, into the predictions buffer ([`ComputeEngine::read_predictions`]): eps_hat at
    /// `evaluation` (`hidden_bias` is the MLP's at `evaluation.t_net`, one row, or under
    /// classifier-free guidance the class's and the null class's; ignored by the exact score)
    /// with guidance weight `guidance_weight` (0: none), converted with the sampling schedule's
    /// `coefficients`. Twin of `sampler::predict`.
    pub fn predict(
        &self,
        score: ScoreKind,
        evaluation: &Evaluation,
        coefficients: &Coefficients,
        target: Parametrization,
        hidden_bias: &[f32],
        guidance_weight: f32,
    ) -> Result<(), GpuError> {
        let scene = self.scene()?;
        let rows = if self.classifier_free && score == ScoreKind::Mlp { 2 } else { 1 };
        if score == ScoreKind::Mlp && hidden_bias.len() != rows * mlp::HIDDEN {
            return Err(GpuError::Unsupported(format!(
                "{} hidden-bias numbers for a prediction that reads {rows} rows of {}",
                hidden_bias.len(),
                mlp::HIDDEN
            )));
        }
        self.queue.write_buffer(&self.predict_guidance, 0, bytemuck::bytes_of(&guidance_weight));
        let params = PredictParams {
            alpha: coefficients.alpha,
            sigma: coefficients.sigma,
            d_alpha: coefficients.d_alpha,
            d_sigma: coefficients.d_sigma,
            t_net: evaluation.t_net,
            input_scale: evaluation.input_scale,
            eps_from_output: evaluation.eps_from_output,
            eps_from_input: evaluation.eps_from_input,
            target_parametrization: target.id(),
            particle_count: scene.particle_count,
            _pad: [0; 2],
        };
        self.queue.write_buffer(&self.predict_params, 0, bytemuck::bytes_of(&params));
        let (kernel, group) = match score {
            ScoreKind::Mlp => {
                self.queue.write_buffer(&self.predict_bias, 0, bytemuck::cast_slice(hidden_bias));
                (&self.predict_mlp_kernel, &scene.predict_mlp_group)
            }
            ScoreKind::Exact => (&self.predict_exact_kernel, &scene.predict_exact_group),
        };
        let pipeline = kernel.pipeline_for(&self.device, self.variant(score));
        self.dispatch_with(kernel.label, pipeline, group, kernel.workgroups(scene.particle_count));
        Ok(())
    }

    /// Starts copying the last predictions of the first `limit` particles (all when there are
    /// fewer) back to the CPU.
    pub fn read_predictions(&self, limit: u32) -> Result<Readback, GpuError> {
        let scene = self.scene()?;
        let count = limit.min(scene.particle_count) as u64;
        Ok(Readback::start(&self.device, &self.queue, &scene.buffers.predictions, 8 * count))
    }

    /// Counts the particles in each bin of `bins` on the GPU (`histogram.wgsl`) and starts copying
    /// the counts back (`side * side` u32, row-major, row 0 at the top). The count buffer is
    /// made per call: it is small, and the view asks for it a few times a second at most.
    pub fn histogram(&self, bins: &Bins) -> Result<Readback, GpuError> {
        let scene = self.scene()?;
        if bins.side == 0 || bins.side > histogram::MAX_SIDE {
            return Err(GpuError::Unsupported(format!(
                "{} bins per axis is not allowed (1 to {})",
                bins.side,
                histogram::MAX_SIDE
            )));
        }
        let params = HistogramParams {
            side: bins.side,
            half_extent: bins.half_extent,
            particle_count: scene.particle_count,
            _pad: 0,
        };
        self.queue.write_buffer(&self.histogram_params, 0, bytemuck::bytes_of(&params));
        let size = 4 * (bins.side * bins.side) as u64;
        let counts = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("histogram counts"),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            // Created zeroed by WebGPU's rules, so no clear is needed.
            mapped_at_creation: false,
        });
        let group = self.histogram_kernel.bind(
            &self.device,
            &[
                (layout::histogram::PARAMS, self.histogram_params.as_entire_binding()),
                (layout::histogram::PARTICLES, scene.buffers.particles.as_entire_binding()),
                (layout::histogram::COUNTS, counts.as_entire_binding()),
            ],
        );
        self.dispatch(&self.histogram_kernel, &group, scene.particle_count);
        Ok(Readback::start(&self.device, &self.queue, &counts, size))
    }

    /// Overwrites the particles (for tests and for starting from given points).
    pub fn write_particles(&self, points: &[[f32; 2]]) -> Result<(), GpuError> {
        let scene = self.scene()?;
        if points.len() != scene.particle_count as usize {
            return Err(GpuError::Unsupported(format!(
                "expected {} points, got {}",
                scene.particle_count,
                points.len()
            )));
        }
        self.queue.write_buffer(&scene.buffers.particles, 0, bytemuck::cast_slice(points));
        self.clear_escaped(scene);
        Ok(())
    }

    /// Starts copying the particles back to the CPU.
    pub fn read_particles(&self) -> Result<Readback, GpuError> {
        self.read_first_particles(u32::MAX)
    }

    /// Starts copying the first `limit` particles (all when there are fewer) back to the CPU.
    pub fn read_first_particles(&self, limit: u32) -> Result<Readback, GpuError> {
        let scene = self.scene()?;
        let count = limit.min(scene.particle_count) as u64;
        Ok(Readback::start(&self.device, &self.queue, &scene.buffers.particles, 8 * count))
    }

    /// The particle buffer (for renderers) and its generation (changes when it is replaced).
    pub fn particles(&self) -> Option<(&wgpu::Buffer, u32, u64)> {
        self.scene.as_ref().map(|s| (&s.buffers.particles, s.particle_count, self.generation))
    }

    /// The likelihood of `points` by the ODE of `steps` on this device (`gpu::likelihood`).
    pub fn likelihood(
        &self,
        source: Unguided,
        steps: &[LikelihoodStep],
        points: &[[f32; 2]],
    ) -> Result<PendingLikelihood, GpuError> {
        self.likelihood.run(source, steps, points)
    }

    /// Number of particles.
    pub fn particle_count(&self) -> u32 {
        self.scene.as_ref().map_or(0, |s| s.particle_count)
    }
}
