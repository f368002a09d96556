//! The plumbing every compute kernel shares: pipelines compiled on first use ([`Kernel`]), bind
//! groups named by the binding tables of [`layout`](crate::gpu::layout), buffers, and the grid
//! of workgroups a dispatch covers. The engine, the trainer and the likelihood kernels use it.

use wgpu::util::DeviceExt;

use crate::gpu::layout::Binding;

/// Invocations per workgroup of the compute kernels unless their shape says otherwise
/// (`override WORKGROUP_SIZE` in `shaders/common/grid.wgsl`; `gpu::kernel_config`).
pub const WORKGROUP_SIZE: u32 = 64;
/// Most workgroups in one dimension of a dispatch (WebGPU's default limit): more wrap into rows
/// of a 2-D grid ([`workgroup_grid`]).
const MAX_WORKGROUPS_PER_DIMENSION: u32 = 65_535;
/// The (x, y) workgroups of a dispatch of `groups` workgroups: one row while it fits in
/// [`MAX_WORKGROUPS_PER_DIMENSION`], else full rows (the kernels skip the invocations past their
/// particles: `shaders/common/grid.wgsl`).
pub(crate) fn workgroup_grid(groups: u32) -> (u32, u32) {
    let width = groups.clamp(1, MAX_WORKGROUPS_PER_DIMENSION);
    (width, groups.div_ceil(width).max(1))
}

/// The layout entries of `bindings`, visible to compute shaders.
fn compute_entries(bindings: &[Binding]) -> Vec<wgpu::BindGroupLayoutEntry> {
    bindings.iter().map(|b| b.layout_entry(wgpu::ShaderStages::COMPUTE)).collect()
}

/// The compute pipeline of `source` whose entry point is named `label`, with one bind group of
/// `bindings` (a table of [`layout`](crate::gpu::layout)).
pub(crate) fn compute_pipeline(
    device: &wgpu::Device,
    label: &str,
    source: String,
    bindings: &[Binding],
) -> wgpu::ComputePipeline {
    let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some(label),
        entries: &compute_entries(bindings),
    });
    pipeline_with_layout(device, label, source, &layout)
}

/// The compute pipeline of `source` whose entry point is named `label`, with group 0 `layout`.
fn pipeline_with_layout(
    device: &wgpu::Device,
    label: &str,
    source: String,
    layout: &wgpu::BindGroupLayout,
) -> wgpu::ComputePipeline {
    pipeline_with_constants(device, label, source, layout, &[])
}

/// [`pipeline_with_layout`] with values for the shader's pipeline-overridable constants.
fn pipeline_with_constants(
    device: &wgpu::Device,
    label: &str,
    source: String,
    layout: &wgpu::BindGroupLayout,
    constants: &[(&str, f64)],
) -> wgpu::ComputePipeline {
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source.into()),
    });
    let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
        label: Some(label),
        bind_group_layouts: &[Some(layout)],
        immediate_size: 0,
    });
    device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some(label),
        layout: Some(&pipeline_layout),
        module: &module,
        entry_point: Some(label),
        compilation_options: wgpu::PipelineCompilationOptions { constants, ..Default::default() },
        cache: None,
    })
}

/// A compute kernel whose pipeline is compiled on first use: its bind group layout exists from
/// the start (bind groups are made with it), but the shader is only handed to the driver when the
/// kernel first runs, so the page's first frame waits for the kernels it needs and no others
/// (software adapters take tens of milliseconds per pipeline).
pub(crate) struct Kernel {
    /// The entry point's name, which labels the kernel's pipelines and passes.
    pub(crate) label: &'static str,
    source: Box<dyn Fn() -> String>,
    layout: wgpu::BindGroupLayout,
    /// Invocations per workgroup (`WORKGROUP_SIZE` where the WGSL overrides it).
    pub(crate) workgroup_size: u32,
    /// Values of the pipeline-overridable constants every pipeline of the kernel gets.
    constants: Vec<(&'static str, f64)>,
    pipeline: std::cell::OnceCell<wgpu::ComputePipeline>,
    /// The pipeline with `POSTERIOR_GUIDED` (kernels including `common/posterior_guidance.wgsl`).
    posterior_guided: std::cell::OnceCell<wgpu::ComputePipeline>,
    /// The pipeline with `CLASSIFIER_FREE` (kernels including `common/eps_hat_mlp.wgsl`).
    classifier_free: std::cell::OnceCell<wgpu::ComputePipeline>,
}

/// Which pipeline of a kernel runs: the plain one or one of its two guided variants (which
/// never combine: a measurement and a class are not conditioned on together).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Variant {
    /// Unguided, or guided by the exact classifier.
    Plain,
    /// DPS's or PiGDM's likelihood term (`POSTERIOR_GUIDED`).
    PosteriorGuided,
    /// Classifier-free guidance with a class-conditional network (`CLASSIFIER_FREE`).
    ClassifierFree,
}

impl Kernel {
    /// The kernel of `source()` whose entry point is `label`, with one bind group of `bindings`
    /// (a table of [`layout`](crate::gpu::layout)).
    pub(crate) fn new(
        device: &wgpu::Device,
        label: &'static str,
        source: fn() -> String,
        bindings: &[Binding],
    ) -> Kernel {
        Kernel::shaped(device, label, Box::new(source), bindings, WORKGROUP_SIZE)
    }

    /// A kernel whose WGSL overrides `WORKGROUP_SIZE`, run with `workgroup_size` invocations.
    pub(crate) fn shaped(
        device: &wgpu::Device,
        label: &'static str,
        source: Box<dyn Fn() -> String>,
        bindings: &[Binding],
        workgroup_size: u32,
    ) -> Kernel {
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some(label),
            entries: &compute_entries(bindings),
        });
        let (pipeline, posterior_guided) = (std::cell::OnceCell::new(), std::cell::OnceCell::new());
        let classifier_free = std::cell::OnceCell::new();
        let constants = if workgroup_size == WORKGROUP_SIZE {
            Vec::new()
        } else {
            vec![("WORKGROUP_SIZE", f64::from(workgroup_size))]
        };
        Kernel {
            label,
            source,
            layout,
            workgroup_size,
            constants,
            pipeline,
            posterior_guided,
            classifier_free,
        }
    }

    /// The pipeline with the kernel's constants and `extra` (compiled now).
    fn compile(&self, device: &wgpu::Device, extra: &[(&'static str, f64)]) -> wgpu::ComputePipeline {
        let constants: Vec<(&str, f64)> = self.constants.iter().chain(extra).copied().collect();
        pipeline_with_constants(device, self.label, (self.source)(), &self.layout, &constants)
    }

    /// The compiled pipeline (compiled now if this is its first use).
    pub(crate) fn pipeline(&self, device: &wgpu::Device) -> &wgpu::ComputePipeline {
        self.pipeline.get_or_init(|| self.compile(device, &[]))
    }

    /// The pipeline that adds DPS's or PiGDM's likelihood term (`POSTERIOR_GUIDED` true), for
    /// the kernels that include `common/posterior_guidance.wgsl`; compiled on first use.
    fn posterior_guided_pipeline(&self, device: &wgpu::Device) -> &wgpu::ComputePipeline {
        self.posterior_guided.get_or_init(|| self.compile(device, &[("POSTERIOR_GUIDED", 1.0)]))
    }

    /// The pipeline guided without a classifier (`CLASSIFIER_FREE` true), for the kernels that
    /// include `common/eps_hat_mlp.wgsl`; compiled on first use.
    fn classifier_free_pipeline(&self, device: &wgpu::Device) -> &wgpu::ComputePipeline {
        self.classifier_free.get_or_init(|| self.compile(device, &[("CLASSIFIER_FREE", 1.0)]))
    }

    /// The grid of workgroups covering `count` invocations ([`workgroup_grid`]).
    pub(crate) fn workgroups(&self, count: u32) -> (u32, u32) {
        workgroup_grid(count.div_ceil(self.workgroup_size))
    }

    /// The pipeline of `variant`.
    pub(crate) fn pipeline_for(&self, device: &wgpu::Device, variant: Variant) -> &wgpu::ComputePipeline {
        match variant {
            Variant::Plain => self.pipeline(device),
            Variant::PosteriorGuided => self.posterior_guided_pipeline(device),
            Variant::ClassifierFree => self.classifier_free_pipeline(device),
        }
    }

    /// A bind group for the kernel's group 0.
    pub(crate) fn bind(
        &self,
        device: &wgpu::Device,
        buffers: &[(Binding, wgpu::BindingResource)],
    ) -> wgpu::BindGroup {
        bind_with_layout(device, self.label, &self.layout, buffers)
    }
}

/// A bind group for group 0 of `pipeline`.
pub(crate) fn bind(
    device: &wgpu::Device,
    label: &str,
    pipeline: &wgpu::ComputePipeline,
    buffers: &[(Binding, wgpu::BindingResource)],
) -> wgpu::BindGroup {
    bind_with_layout(device, label, &pipeline.get_bind_group_layout(0), buffers)
}

/// A bind group of `layout`.
fn bind_with_layout(
    device: &wgpu::Device,
    label: &str,
    layout: &wgpu::BindGroupLayout,
    buffers: &[(Binding, wgpu::BindingResource)],
) -> wgpu::BindGroup {
    let entries: Vec<wgpu::BindGroupEntry> = buffers
        .iter()
        .map(|(binding, resource)| wgpu::BindGroupEntry {
            binding: binding.number,
            resource: resource.clone(),
        })
        .collect();
    device.create_bind_group(&wgpu::BindGroupDescriptor { label: Some(label), layout, entries: &entries })
}

pub(crate) fn buffer_with(
    device: &wgpu::Device,
    label: &str,
    contents: &[u8],
    usage: wgpu::BufferUsages,
) -> wgpu::Buffer {
    device.create_buffer_init(&wgpu::util::BufferInitDescriptor { label: Some(label), contents, usage })
}

pub(crate) const STORAGE_IN: wgpu::BufferUsages =
    wgpu::BufferUsages::STORAGE.union(wgpu::BufferUsages::COPY_DST);
