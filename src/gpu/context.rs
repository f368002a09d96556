//! Acquiring an adapter and a device.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Everything that can go wrong on the GPU side, with a message for people.
#[derive(Clone, Debug, PartialEq)]
pub enum GpuError {
    /// No adapter (no WebGPU in this browser, or no Vulkan driver natively).
    NoAdapter(String),
    /// The adapter refused to create a device.
    Device(String),
    /// The canvas surface could not be created or configured.
    Surface(String),
    /// Reading particles back failed.
    Readback(String),
    /// The device was lost (driver reset, too much work, tab in background for long).
    DeviceLost(String),
    /// A request the engine cannot serve (for example more particles than a buffer can hold).
    Unsupported(String),
}

impl fmt::Display for GpuError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GpuError::NoAdapter(m) => write!(f, "no GPU adapter: {m}"),
            GpuError::Device(m) => write!(f, "the GPU adapter could not create a device: {m}"),
            GpuError::Surface(m) => write!(f, "the canvas could not be set up for WebGPU: {m}"),
            GpuError::Readback(m) => write!(f, "reading particles back from the GPU failed: {m}"),
            GpuError::DeviceLost(m) => write!(f, "the GPU device was lost: {m}"),
            GpuError::Unsupported(m) => write!(f, "{m}"),
        }
    }
}

impl std::error::Error for GpuError {}

/// A device and its queue, with what we know about the adapter behind them.
#[derive(Clone, Debug)]
pub struct GpuContext {
    /// The adapter (kept to configure surfaces).
    pub adapter: wgpu::Adapter,
    /// The device.
    pub device: wgpu::Device,
    /// Its queue.
    pub queue: wgpu::Queue,
    /// Name, backend and device type of the adapter.
    pub info: wgpu::AdapterInfo,
    /// Set when the device is lost; the message says why.
    pub lost: Arc<DeviceLost>,
}

/// Records a lost device.
#[derive(Debug, Default)]
pub struct DeviceLost {
    flag: AtomicBool,
    message: Mutex<String>,
}

impl DeviceLost {
    /// Why the device was lost, if it was.
    pub fn reason(&self) -> Option<String> {
        if self.flag.load(Ordering::Acquire) {
            Some(self.message.lock().map(|m| m.clone()).unwrap_or_default())
        } else {
            None
        }
    }
}

impl GpuContext {
    /// True for software rasterisers (SwiftShader, lavapipe/llvmpipe, WARP), which are often
    /// slower than the CPU path for the MLP.
    pub fn is_software(&self) -> bool {
        let name = self.info.name.to_lowercase();
        self.info.device_type == wgpu::DeviceType::Cpu
            || ["swiftshader", "llvmpipe", "lavapipe", "warp", "software"]
                .iter()
                .any(|s| name.contains(s) || self.info.driver.to_lowercase().contains(s))
    }

    /// A short description such as "llvmpipe (LLVM 15.0.6, 256 bits) (Vulkan, software)".
    pub fn describe(&self) -> String {
        // Browsers often keep the adapter's description empty for privacy.
        let name = if self.info.name.is_empty() { "the browser's adapter" } else { &self.info.name };
        let backend = match self.info.backend {
            wgpu::Backend::BrowserWebGpu => "WebGPU".to_string(),
            other => format!("{other:?}"),
        };
        let kind = if self.is_software() { ", software fallback" } else { "" };
        format!("{name} ({backend}{kind})")
    }
}

/// A wgpu instance for this platform: WebGPU in the browser, Vulkan natively (`WGPU_BACKEND`
/// and `WGPU_ADAPTER_NAME` are honoured).
pub fn instance() -> wgpu::Instance {
    let mut desc = wgpu::InstanceDescriptor::new_without_display_handle();
    #[cfg(target_arch = "wasm32")]
    {
        desc.backends = wgpu::Backends::BROWSER_WEBGPU;
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        desc.backends = wgpu::Backends::VULKAN;
        desc = desc.with_env();
    }
    wgpu::Instance::new(desc)
}

/// Requests an adapter (compatible with `surface` when given) and a device with WebGPU's
/// default limits (and `shader-f16` where the adapter has it), and watches for the device being
/// lost.
pub async fn request_context(
    instance: &wgpu::Instance,
    surface: Option<&wgpu::Surface<'_>>,
) -> Result<GpuContext, GpuError> {
    #[cfg(not(target_arch = "wasm32"))]
    let adapter = match std::env::var("WGPU_ADAPTER_NAME") {
        Ok(_) => wgpu::util::initialize_adapter_from_env_or_default(instance, surface).await,
        Err(_) => request_adapter(instance, surface).await,
    }
    .map_err(|e| GpuError::NoAdapter(e.to_string()))?;
    #[cfg(target_arch = "wasm32")]
    let adapter = request_adapter(instance, surface).await.map_err(|e| GpuError::NoAdapter(e.to_string()))?;
    let info = adapter.get_info();
    let (device, queue) = adapter
        .request_device(&wgpu::DeviceDescriptor {
            label: Some("diffusion-playground device"),
            // Half floats in shaders where the adapter has them (a shape of the MLP kernels,
            // `gpu::kernel_config`); nothing else beyond WebGPU's core.
            required_features: adapter.features() & wgpu::Features::SHADER_F16,
            required_limits: wgpu::Limits::default(),
            ..Default::default()
        })
        .await
        .map_err(|e| GpuError::Device(e.to_string()))?;
    let lost = Arc::new(DeviceLost::default());
    let watcher = lost.clone();
    // Validation errors are bugs: report them loudly (the page shows console errors) rather than
    // panicking, which is wgpu's default.
    device.on_uncaptured_error(Arc::new(|error: wgpu::Error| {
        let message = format!("WebGPU error: {error}");
        #[cfg(target_arch = "wasm32")]
        web_sys::console::error_1(&message.into());
        #[cfg(not(target_arch = "wasm32"))]
        eprintln!("{message}");
    }));
    device.set_device_lost_callback(move |reason, message| {
        if let Ok(mut m) = watcher.message.lock() {
            *m = format!("{reason:?}: {message}");
        }
        watcher.flag.store(true, Ordering::Release);
    });
    Ok(GpuContext { adapter, device, queue, info, lost })
}

async fn request_adapter(
    instance: &wgpu::Instance,
    surface: Option<&wgpu::Surface<'_>>,
) -> Result<wgpu::Adapter, wgpu::RequestAdapterError> {
    instance
        .request_adapter(&wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter: false,
            compatible_surface: surface,
            ..Default::default()
        })
        .await
}

/// Blocking native helper: a device on the first Vulkan adapter (lavapipe on machines without a GPU).
#[cfg(not(target_arch = "wasm32"))]
pub fn native_context() -> Result<GpuContext, GpuError> {
    pollster::block_on(request_context(&instance(), None))
}
