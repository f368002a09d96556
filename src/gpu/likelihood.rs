//! The likelihood kernels (`shaders/likelihood_step_*.wgsl`): the probability-flow ODE with its
//! log-determinant for a batch of points, on the GPU. Twin of `core::likelihood::run`; a call
//! uploads its own buffers (a likelihood is measured now and then, not every frame).

use crate::core::dataset::MixtureComponent;
use crate::core::likelihood::{self, LikelihoodStep};
use crate::core::mlp::{Architecture, ARCHITECTURES};
use crate::core::sampler::Unguided;
use crate::gpu::engine::{RunParams, MAX_PARTICLES, MAX_STEPS_PER_DISPATCH, RUN_PARAMS_STRIDE};
use crate::gpu::kernel::{buffer_with, Kernel, STORAGE_IN, WORKGROUP_SIZE};
use crate::gpu::layout;
use crate::gpu::readback::Readback;
use crate::gpu::{shaders, GpuContext, GpuError};

/// Most steps of one likelihood run on the GPU (the options' most steps).
pub const MAX_LIKELIHOOD_STEPS: usize = 1000;

/// The likelihood kernels on one device: the exact score's, and the MLP's for each
/// architecture (each compiled when it first runs).
pub struct GpuLikelihood {
    device: wgpu::Device,
    queue: wgpu::Queue,
    mlp_kernels: Vec<(Architecture, Kernel)>,
    exact_kernel: Kernel,
}

/// The end points and log-determinants of a run on their way back.
pub struct PendingLikelihood {
    ends: Readback,
    log_dets: Readback,
}

impl PendingLikelihood {
    /// Waits for both: the points at the noise end and their integral of div F dt.
    pub async fn read(self) -> Result<(Vec<[f32; 2]>, Vec<f32>), GpuError> {
        Ok((self.ends.points().await?, self.log_dets.floats().await?))
    }
}

impl GpuLikelihood {
    /// The kernels on `context`'s device (compiled when they first run).
    pub fn new(context: &GpuContext) -> GpuLikelihood {
        let device = context.device.clone();
        let mlp_kernel = |architecture: Architecture| {
            let source = Box::new(move || shaders::likelihood_step_mlp(architecture));
            let bindings = layout::likelihood_step_mlp::BINDINGS;
            Kernel::shaped(&device, "likelihood_step_mlp", source, bindings, WORKGROUP_SIZE)
        };
        GpuLikelihood {
            mlp_kernels: ARCHITECTURES.iter().map(|&a| (a, mlp_kernel(a))).collect(),
            exact_kernel: Kernel::new(
                &device,
                "likelihood_step_exact",
                shaders::likelihood_step_exact,
                layout::likelihood_step_exact::BINDINGS,
            ),
            queue: context.queue.clone(),
            device,
        }
    }

    /// Integrates `steps` from every point of `points` with `source`'s eps_hat and divergence,
    /// in one submission of one dispatch per [`MAX_STEPS_PER_DISPATCH`] steps.
    pub fn run(
        &self,
        source: Unguided,
        steps: &[LikelihoodStep],
        points: &[[f32; 2]],
    ) -> Result<PendingLikelihood, GpuError> {
        let count = u32::try_from(points.len())
            .ok()
            .filter(|&n| n > 0 && n <= MAX_PARTICLES)
            .ok_or_else(|| GpuError::Unsupported(format!("{} points: 1 to {MAX_PARTICLES}", points.len())))?;
        if steps.is_empty() || steps.len() > MAX_LIKELIHOOD_STEPS {
            return Err(GpuError::Unsupported(format!("{} steps: 1 to {MAX_LIKELIHOOD_STEPS}", steps.len())));
        }
        let device = &self.device;
        let out_usage = STORAGE_IN | wgpu::BufferUsages::COPY_SRC;
        let points_buffer = buffer_with(device, "likelihood points", bytemuck::cast_slice(points), out_usage);
        let log_dets = buffer_with(device, "log dets", &vec![0u8; 4 * points.len()], out_usage);
        let steps_buffer = buffer_with(device, "likelihood steps", bytemuck::cast_slice(steps), STORAGE_IN);
        let dispatches = (steps.len() as u32).div_ceil(MAX_STEPS_PER_DISPATCH);
        let mut params = vec![0u8; (RUN_PARAMS_STRIDE * dispatches as u64) as usize];
        for d in 0..dispatches {
            let first = d * MAX_STEPS_PER_DISPATCH;
            let chunk = RunParams {
                seed: 0,
                particle_count: count,
                first_step: first,
                step_count: MAX_STEPS_PER_DISPATCH.min(steps.len() as u32 - first),
            };
            let at = (RUN_PARAMS_STRIDE * d as u64) as usize;
            params[at..at + std::mem::size_of::<RunParams>()].copy_from_slice(bytemuck::bytes_of(&chunk));
        }
        let uniform = wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST;
        let run_params = buffer_with(device, "likelihood run params", &params, uniform);
        let run = wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &run_params,
            offset: 0,
            size: wgpu::BufferSize::new(std::mem::size_of::<RunParams>() as u64),
        });
        let (kernel, group) = match source {
            Unguided::Mlp(net) => {
                let architecture = net.architecture();
                let (_, mlp_kernel) =
                    self.mlp_kernels.iter().find(|(a, _)| *a == architecture).ok_or_else(|| {
                        GpuError::Unsupported(format!("no likelihood kernel for {}", architecture.name()))
                    })?;
                // The kernel reads the weights as `array<vec4<f32>, MLP_WEIGHT_QUADS>` (checked
                // by tests/it/gpu_layout.rs): zero-padded to whole vec4s.
                let mut weights = net.weights.clone();
                weights.resize(architecture.parameters().next_multiple_of(4), 0.0);
                let weights = buffer_with(device, "mlp weights", bytemuck::cast_slice(&weights), uniform);
                let biases = likelihood::hidden_biases(net, steps);
                let biases = buffer_with(device, "hidden biases", bytemuck::cast_slice(&biases), STORAGE_IN);
                use layout::likelihood_step_mlp as l;
                let group = mlp_kernel.bind(
                    device,
                    &[
                        (l::RUN, run),
                        (l::STEPS, steps_buffer.as_entire_binding()),
                        (l::WEIGHTS, weights.as_entire_binding()),
                        (l::HIDDEN_BIASES, biases.as_entire_binding()),
                        (l::POINTS, points_buffer.as_entire_binding()),
                        (l::LOG_DETS, log_dets.as_entire_binding()),
                    ],
                );
                (mlp_kernel, group)
            }
            Unguided::Exact(mixture) => {
                let components: &[MixtureComponent] = &mixture.components;
                let components = buffer_with(device, "mixture", bytemuck::cast_slice(components), STORAGE_IN);
                use layout::likelihood_step_exact as l;
                let group = self.exact_kernel.bind(
                    device,
                    &[
                        (l::RUN, run),
                        (l::STEPS, steps_buffer.as_entire_binding()),
                        (l::COMPONENTS, components.as_entire_binding()),
                        (l::POINTS, points_buffer.as_entire_binding()),
                        (l::LOG_DETS, log_dets.as_entire_binding()),
                    ],
                );
                (&self.exact_kernel, group)
            }
        };
        let pipeline = kernel.pipeline(device);
        let mut encoder =
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("likelihood") });
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("likelihood"),
                timestamp_writes: None,
            });
            pass.set_pipeline(pipeline);
            for d in 0..dispatches {
                pass.set_bind_group(0, &group, &[(RUN_PARAMS_STRIDE * d as u64) as u32]);
                let (x, y) = kernel.workgroups(count);
                pass.dispatch_workgroups(x, y, 1);
            }
        }
        self.queue.submit([encoder.finish()]);
        Ok(PendingLikelihood {
            ends: Readback::start(device, &self.queue, &points_buffer, 8 * count as u64),
            log_dets: Readback::start(device, &self.queue, &log_dets, 4 * count as u64),
        })
    }
}
