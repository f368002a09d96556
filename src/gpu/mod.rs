//! The wgpu engine: the same WGSL kernels run natively (Vulkan, including Mesa's lavapipe) and in
//! the browser (WebGPU). Every kernel has a CPU twin in [`crate::core`] and a parity test.
//!
//! Getting a device ([`context`]) is separate from using one ([`ComputeEngine`],
//! [`ParticleRenderer`]), so tests and the web layer pass their own.

pub mod context;
pub mod engine;
pub mod kernel;
pub mod kernel_config;
pub mod layout;
pub mod likelihood;
pub mod readback;
pub mod render;
pub mod shaders;
pub mod trainer;

pub use context::{GpuContext, GpuError};
pub use engine::{ComputeEngine, ScoreKind};
pub use kernel_config::{MlpKernelConfig, WeightsFormat};
pub use likelihood::GpuLikelihood;
pub use render::{DrawParams, ParticleRenderer, SurfaceRenderer};
pub use trainer::GpuTrainer;
