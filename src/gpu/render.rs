//! Draws particles straight from the engine's storage buffer (`draw_particles.wgsl`).

use crate::core::render::View;
use crate::gpu::layout::draw_particles;
use crate::gpu::{shaders, ComputeEngine, GpuContext, GpuError};

/// Uniforms of `draw_particles.wgsl` (its `DrawParams`; layout checked by `tests/it/gpu_layout.rs`).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct DrawParams {
    /// Clip units per world unit (x, y).
    pub scale: [f32; 2],
    /// Dot radius in clip units (x, y).
    pub radius: [f32; 2],
    /// Seed of the run (fixes each particle's colour).
    pub seed: u32,
    /// Number of particles.
    pub particle_count: u32,
    /// Peak opacity of a dot.
    pub opacity: f32,
    /// `Palette::id` of the dots' colours.
    pub palette: u32,
}

impl DrawParams {
    /// Parameters for drawing `particle_count` particles with `view` into a `width` x `height` target.
    pub fn new(view: &View, width: u32, height: u32, seed: u32, particle_count: u32) -> DrawParams {
        let (w, h) = (width.max(1) as f32, height.max(1) as f32);
        let pixels_per_unit = view.pixels_per_unit(width, height);
        DrawParams {
            scale: [2.0 * pixels_per_unit / w, 2.0 * pixels_per_unit / h],
            radius: [2.0 * view.dot_radius_px / w, 2.0 * view.dot_radius_px / h],
            seed,
            particle_count,
            opacity: view.opacity,
            palette: view.palette.id(),
        }
    }
}

/// The render pipeline and its uniforms.
pub struct ParticleRenderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    pipeline: wgpu::RenderPipeline,
    params: wgpu::Buffer,
    /// Bind group for the particle buffer of a given engine generation.
    group: Option<(u64, wgpu::BindGroup)>,
}

impl ParticleRenderer {
    /// Builds the pipeline for targets of `format`.
    pub fn new(device: &wgpu::Device, queue: &wgpu::Queue, format: wgpu::TextureFormat) -> ParticleRenderer {
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("draw_particles"),
            source: wgpu::ShaderSource::Wgsl(shaders::draw_particles().into()),
        });
        let visible = wgpu::ShaderStages::VERTEX | wgpu::ShaderStages::FRAGMENT;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("draw_particles"),
            entries: &[
                draw_particles::PARAMS.layout_entry(visible),
                draw_particles::PARTICLES.layout_entry(wgpu::ShaderStages::VERTEX),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("draw_particles"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("draw_particles"),
            layout: Some(&pipeline_layout),
            vertex: wgpu::VertexState {
                module: &module,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState::default(),
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &module,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format,
                    blend: Some(wgpu::BlendState::PREMULTIPLIED_ALPHA_BLENDING),
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("draw params"),
            size: std::mem::size_of::<DrawParams>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        ParticleRenderer { device: device.clone(), queue: queue.clone(), pipeline, params, group: None }
    }

    /// Clears `target` to the background and draws every particle of `engine`.
    pub fn draw(
        &mut self,
        engine: &ComputeEngine,
        target: &wgpu::TextureView,
        params: &DrawParams,
        background: [f64; 3],
    ) {
        let particles = engine.particles();
        if let Some((buffer, _, generation)) = particles {
            if self.group.as_ref().is_none_or(|(g, _)| *g != generation) {
                let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                    label: Some("draw_particles"),
                    layout: &self.pipeline.get_bind_group_layout(0),
                    entries: &[
                        wgpu::BindGroupEntry {
                            binding: draw_particles::PARAMS.number,
                            resource: self.params.as_entire_binding(),
                        },
                        wgpu::BindGroupEntry {
                            binding: draw_particles::PARTICLES.number,
                            resource: buffer.as_entire_binding(),
                        },
                    ],
                });
                self.group = Some((generation, group));
            }
        }
        self.queue.write_buffer(&self.params, 0, bytemuck::bytes_of(params));
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("draw_particles") });
        {
            let [r, g, b] = background;
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("draw_particles"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: target,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color { r, g, b, a: 1.0 }),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            if let (Some((_, group)), Some((_, count, _))) = (&self.group, particles) {
                pass.set_pipeline(&self.pipeline);
                pass.set_bind_group(0, group, &[]);
                pass.draw(0..6, 0..count.min(params.particle_count));
            }
        }
        self.queue.submit([encoder.finish()]);
    }
}

/// A surface (a canvas's WebGPU context in the page) with the particle renderer that draws into
/// it, reconfigured when the target's size changes. Creating the surface is the caller's (it
/// depends on the platform); configuring and presenting are the same everywhere.
pub struct SurfaceRenderer {
    surface: wgpu::Surface<'static>,
    config: wgpu::SurfaceConfiguration,
    renderer: ParticleRenderer,
}

impl SurfaceRenderer {
    /// Configures `surface` for `context`'s adapter at `width` x `height` (at least 1 x 1),
    /// preferring a non-sRGB format (colours are computed in display space).
    pub fn new(
        context: &GpuContext,
        surface: wgpu::Surface<'static>,
        width: u32,
        height: u32,
    ) -> Result<SurfaceRenderer, GpuError> {
        let caps = surface.get_capabilities(&context.adapter);
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| !f.is_srgb())
            .or_else(|| caps.formats.first().copied())
            .ok_or_else(|| GpuError::Surface("it supports no texture format for this adapter".into()))?;
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            color_space: wgpu::SurfaceColorSpace::Auto,
            width: width.max(1),
            height: height.max(1),
            present_mode: wgpu::PresentMode::Fifo,
            desired_maximum_frame_latency: 2,
            alpha_mode: wgpu::CompositeAlphaMode::Auto,
            view_formats: vec![],
        };
        surface.configure(&context.device, &config);
        let renderer = ParticleRenderer::new(&context.device, &context.queue, format);
        Ok(SurfaceRenderer { surface, config, renderer })
    }

    /// Draws `engine`'s particles (just the background without one) with `view` and `seed` into
    /// a `width` x `height` frame and presents it. A surface that has no frame to give now
    /// (outdated, lost, occluded, timed out) is reconfigured or skipped, not an error.
    pub fn draw(
        &mut self,
        context: &GpuContext,
        engine: Option<&ComputeEngine>,
        view: &View,
        (width, height): (u32, u32),
        seed: u32,
    ) -> Result<(), GpuError> {
        if (self.config.width, self.config.height) != (width, height) {
            self.config.width = width;
            self.config.height = height;
            self.surface.configure(&context.device, &self.config);
        }
        let frame = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame) | wgpu::CurrentSurfaceTexture::Suboptimal(frame) => {
                frame
            }
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                self.surface.configure(&context.device, &self.config);
                return Ok(());
            }
            wgpu::CurrentSurfaceTexture::Timeout | wgpu::CurrentSurfaceTexture::Occluded => return Ok(()),
            other => return Err(GpuError::Surface(format!("it could not provide a frame: {other:?}"))),
        };
        let target = frame.texture.create_view(&wgpu::TextureViewDescriptor::default());
        if let Some(engine) = engine {
            let params = DrawParams::new(view, width, height, seed, engine.particle_count());
            self.renderer.draw(engine, &target, &params, crate::core::render::background_rgb());
        }
        context.queue.present(frame);
        Ok(())
    }
}
