//! Asynchronous readback of a storage buffer: for tests, metrics and export, never for drawing.

use crate::gpu::GpuError;

/// A copy of a buffer on its way to the CPU. It owns what it needs, so callers can await it
/// without holding a borrow of the engine (the web layer keeps stepping meanwhile).
pub struct Readback {
    device: wgpu::Device,
    staging: wgpu::Buffer,
    receiver: futures_channel::oneshot::Receiver<Result<(), wgpu::BufferAsyncError>>,
}

impl Readback {
    /// Copies `size` bytes of `source` into a fresh mappable buffer and starts mapping it.
    pub fn start(device: &wgpu::Device, queue: &wgpu::Queue, source: &wgpu::Buffer, size: u64) -> Readback {
        let staging = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback staging"),
            size: size.max(4),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder =
            device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("readback") });
        if size > 0 {
            encoder.copy_buffer_to_buffer(source, 0, &staging, 0, size);
        }
        queue.submit([encoder.finish()]);
        let (sender, receiver) = futures_channel::oneshot::channel();
        staging.slice(..).map_async(wgpu::MapMode::Read, move |result| {
            let _ = sender.send(result);
        });
        Readback { device: device.clone(), staging, receiver }
    }

    /// Waits for the copy (natively by polling the device; in the browser by yielding to it).
    pub async fn bytes(self) -> Result<Vec<u8>, GpuError> {
        #[cfg(not(target_arch = "wasm32"))]
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        #[cfg(target_arch = "wasm32")]
        let _ = &self.device;
        self.receiver
            .await
            .map_err(|_| GpuError::Readback("the map request was dropped".into()))?
            .map_err(|e| GpuError::Readback(e.to_string()))?;
        let bytes = self
            .staging
            .slice(..)
            .get_mapped_range()
            .map_err(|e| GpuError::Readback(format!("{e:?}")))?
            .to_vec();
        self.staging.unmap();
        Ok(bytes)
    }

    /// Waits for the copy and reinterprets it as f32 values.
    pub async fn floats(self) -> Result<Vec<f32>, GpuError> {
        let bytes = self.bytes().await?;
        Ok(bytes.chunks_exact(4).map(bytemuck::pod_read_unaligned::<f32>).collect())
    }

    /// Waits for the copy and reinterprets it as u32 words (histogram counts).
    pub async fn words(self) -> Result<Vec<u32>, GpuError> {
        let bytes = self.bytes().await?;
        Ok(bytes.chunks_exact(4).map(bytemuck::pod_read_unaligned::<u32>).collect())
    }

    /// Waits for the copy and reinterprets it as 2-D points.
    pub async fn points(self) -> Result<Vec<[f32; 2]>, GpuError> {
        let bytes = self.bytes().await?;
        Ok(bytes.chunks_exact(8).map(bytemuck::pod_read_unaligned::<[f32; 2]>).collect())
    }
}
