//! Training on the GPU: each Adam step runs `train_gradient.wgsl` (one invocation per example:
//! forward and backward pass, every parameter's term of the loss gradient) and `adam_step.wgsl`
//! (one invocation per parameter: the batch gradient summed in example order, then Adam). The
//! examples are drawn on the CPU (`train::prepare_batch`, a few hundred bytes per step) so both
//! paths see the same ones. CPU twins: `train::prepared_loss_and_gradient` and
//! `train::Adam::update`; `tests/it/gpu_parity.rs` compares them.
//!
//! A class-conditional network (`core::class_embedding`) trains its embedding rows as more
//! parameters stored after the network's: each example adds its label's row to the first
//! pre-activations and writes that row's gradient (d loss / d a1; the other rows' terms are 0),
//! and Adam, elementwise, updates them with the rest (twin: `train::conditional_loss_and_gradient`
//! with two `Adam`s at the same rate).

use wgpu::util::DeviceExt;

use crate::core::class_embedding::ClassEmbedding;
use crate::core::mlp::Mlp;
use crate::core::train::{PreparedExample, ADAM_BETA1, ADAM_BETA2, ADAM_EPSILON};
use crate::gpu::kernel::{bind, compute_pipeline};
use crate::gpu::layout::{adam_step, train_gradient, Binding};
use crate::gpu::readback::Readback;
use crate::gpu::{shaders, GpuContext, GpuError};

/// Invocations per workgroup of both kernels.
const WORKGROUP_SIZE: u32 = 64;

/// Uniforms of `train_gradient.wgsl` (its `TrainParams`; layout checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct TrainParams {
    /// Examples in the batch.
    pub batch: u32,
    /// 1 / batch: the loss is the batch mean.
    pub scale: f32,
    /// Rows of the class embedding stored after the network's weights (classes + 1), or 0 for
    /// an unconditional network.
    pub embedding_rows: u32,
    /// Parameters trained: the network's and the embedding's (each example's gradient terms
    /// are this far apart).
    pub stride: u32,
}

/// Uniforms of `adam_step.wgsl` (its `AdamParams`; layout checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, bytemuck::Pod, bytemuck::Zeroable)]
pub struct AdamParams {
    /// Number of parameters.
    pub parameters: u32,
    /// Examples in the batch.
    pub batch: u32,
    /// Step size.
    pub learning_rate: f32,
    /// Bias correction of the first moment, 1 - beta1^step.
    pub correction1: f32,
    /// Bias correction of the second moment, 1 - beta2^step.
    pub correction2: f32,
    /// Decay of the first moment.
    pub beta1: f32,
    /// Decay of the second moment.
    pub beta2: f32,
    /// Added to the root of the second moment.
    pub epsilon: f32,
}

/// A network being trained on the GPU with a fixed batch size.
pub struct GpuTrainer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    gradient_pipeline: wgpu::ComputePipeline,
    adam_pipeline: wgpu::ComputePipeline,
    gradient_group: wgpu::BindGroup,
    adam_group: wgpu::BindGroup,
    train_params: wgpu::Buffer,
    adam_params: wgpu::Buffer,
    examples: wgpu::Buffer,
    weights: wgpu::Buffer,
    gradient: wgpu::Buffer,
    losses: wgpu::Buffer,
    batch: u32,
    /// Rows of the class embedding trained with the network (0: none).
    embedding_rows: u32,
    /// Parameters trained: the network's, then the embedding's.
    parameters: u32,
    step: i32,
}

/// Bindings of whole buffers, for `kernel::bind`.
fn whole<'a>(buffers: &[(Binding, &'a wgpu::Buffer)]) -> Vec<(Binding, wgpu::BindingResource<'a>)> {
    buffers.iter().map(|(binding, buffer)| (*binding, buffer.as_entire_binding())).collect()
}

impl GpuTrainer {
    /// Uploads `mlp` (and zeroed Adam moments) to train with batches of `batch` examples;
    /// with `embedding`, a class-conditional network whose examples carry their labels.
    pub fn new(
        context: &GpuContext,
        mlp: &Mlp,
        embedding: Option<&ClassEmbedding>,
        batch: u32,
    ) -> Result<GpuTrainer, GpuError> {
        let device = context.device.clone();
        let rows = embedding.map_or(&[][..], |e| &e.rows[..]);
        // The network's weights (of its architecture), then the embedding's rows.
        let parameters = mlp.weights.len() + rows.len();
        let gradients_bytes = 4 * parameters as u64 * batch as u64;
        let limit = device.limits().max_storage_buffer_binding_size;
        if batch == 0 || gradients_bytes > limit {
            return Err(GpuError::Unsupported(format!(
                "a batch of {batch} needs {gradients_bytes} bytes of gradient terms (1 to {} examples fit)",
                limit / (4 * parameters as u64)
            )));
        }
        let gradient_pipeline = compute_pipeline(
            &device,
            "train_gradient",
            shaders::train_gradient(mlp.architecture()),
            train_gradient::BINDINGS,
        );
        let adam_pipeline = compute_pipeline(&device, "adam_step", shaders::adam_step(), adam_step::BINDINGS);
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::COPY_SRC;
        let init = |label: &str, contents: &[u8], usage: wgpu::BufferUsages| {
            device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some(label),
                contents,
                usage,
            })
        };
        let zeros = vec![0.0f32; parameters];
        let trained: Vec<f32> = mlp.weights.iter().chain(rows).copied().collect();
        let uniform_usage = wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST;
        let train_params = init("train params", &[0u8; std::mem::size_of::<TrainParams>()], uniform_usage);
        let adam_params = init("adam params", &[0u8; std::mem::size_of::<AdamParams>()], uniform_usage);
        let examples = init(
            "train examples",
            bytemuck::cast_slice(&vec![PreparedExample::default(); batch as usize]),
            usage,
        );
        let weights = init("train weights", bytemuck::cast_slice(&trained), usage);
        let first = init("adam first moment", bytemuck::cast_slice(&zeros), usage);
        let second = init("adam second moment", bytemuck::cast_slice(&zeros), usage);
        let gradient = init("batch gradient", bytemuck::cast_slice(&zeros), usage);
        let losses = init("example losses", bytemuck::cast_slice(&vec![0.0f32; batch as usize]), usage);
        let gradients = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("gradient terms"),
            size: gradients_bytes,
            usage: wgpu::BufferUsages::STORAGE,
            mapped_at_creation: false,
        });
        let gradient_group = bind(
            &device,
            "train_gradient",
            &gradient_pipeline,
            &whole(&[
                (train_gradient::PARAMS, &train_params),
                (train_gradient::EXAMPLES, &examples),
                (train_gradient::WEIGHTS, &weights),
                (train_gradient::GRADIENTS, &gradients),
                (train_gradient::LOSSES, &losses),
            ]),
        );
        let adam_group = bind(
            &device,
            "adam_step",
            &adam_pipeline,
            &whole(&[
                (adam_step::PARAMS, &adam_params),
                (adam_step::WEIGHTS, &weights),
                (adam_step::GRADIENTS, &gradients),
                (adam_step::FIRST_MOMENT, &first),
                (adam_step::SECOND_MOMENT, &second),
                (adam_step::GRADIENT, &gradient),
            ]),
        );
        Ok(GpuTrainer {
            queue: context.queue.clone(),
            device,
            gradient_pipeline,
            adam_pipeline,
            gradient_group,
            adam_group,
            train_params,
            adam_params,
            examples,
            weights,
            gradient,
            losses,
            batch,
            embedding_rows: embedding.map_or(0, |e| (e.classes() + 1) as u32),
            parameters: parameters as u32,
            step: 0,
        })
    }

    /// One Adam step on `examples` (exactly `batch` of them) at `learning_rate`.
    pub fn step(&mut self, examples: &[PreparedExample], learning_rate: f32) -> Result<(), GpuError> {
        if examples.len() != self.batch as usize {
            return Err(GpuError::Unsupported(format!(
                "expected {} examples, got {}",
                self.batch,
                examples.len()
            )));
        }
        self.step += 1;
        let train = TrainParams {
            batch: self.batch,
            scale: 1.0 / self.batch as f32,
            embedding_rows: self.embedding_rows,
            stride: self.parameters,
        };
        if let Some(e) = examples.iter().find(|e| self.embedding_rows > 0 && e.label >= self.embedding_rows) {
            return Err(GpuError::Unsupported(format!(
                "an example's label {} is not a row of the {}-row class embedding",
                e.label, self.embedding_rows
            )));
        }
        let adam = AdamParams {
            parameters: self.parameters,
            batch: self.batch,
            learning_rate,
            correction1: 1.0 - ADAM_BETA1.powi(self.step),
            correction2: 1.0 - ADAM_BETA2.powi(self.step),
            beta1: ADAM_BETA1,
            beta2: ADAM_BETA2,
            epsilon: ADAM_EPSILON,
        };
        self.queue.write_buffer(&self.train_params, 0, bytemuck::bytes_of(&train));
        self.queue.write_buffer(&self.adam_params, 0, bytemuck::bytes_of(&adam));
        self.queue.write_buffer(&self.examples, 0, bytemuck::cast_slice(examples));
        let mut encoder =
            self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("train step") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("train step"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&self.gradient_pipeline);
            pass.set_bind_group(0, &self.gradient_group, &[]);
            pass.dispatch_workgroups(self.batch.div_ceil(WORKGROUP_SIZE), 1, 1);
            pass.set_pipeline(&self.adam_pipeline);
            pass.set_bind_group(0, &self.adam_group, &[]);
            pass.dispatch_workgroups(self.parameters.div_ceil(WORKGROUP_SIZE), 1, 1);
        }
        self.queue.submit([encoder.finish()]);
        Ok(())
    }

    /// Starts copying the weights back: the network's, then the class embedding's rows.
    pub fn read_weights(&self) -> Readback {
        Readback::start(&self.device, &self.queue, &self.weights, 4 * self.parameters as u64)
    }

    /// Starts copying the last step's batch gradient back (the network's, then the rows').
    pub fn read_gradient(&self) -> Readback {
        Readback::start(&self.device, &self.queue, &self.gradient, 4 * self.parameters as u64)
    }

    /// Starts copying the last step's per-example losses back (their sum is the batch loss).
    pub fn read_losses(&self) -> Readback {
        Readback::start(&self.device, &self.queue, &self.losses, 4 * self.batch as u64)
    }
}
