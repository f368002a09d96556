//! Pure Rust reference implementation: no GPU, no wasm. Every GPU kernel has a twin here.

pub mod class_embedding;
pub mod classes;
pub mod dataset;
pub mod drawing;
pub mod elbo;
pub mod embedded;
pub mod guidance;
pub mod histogram;
pub mod likelihood;
pub mod metrics;
pub mod mixture;
pub mod mixture_grid;
pub mod mlp;
#[cfg(target_arch = "x86_64")]
mod mlp_avx2;
pub mod model_error;
pub mod names;
pub mod network_check;
pub mod param;
pub mod posterior;
pub mod posterior_guidance;
pub mod quality;
pub mod race;
pub mod render;
pub mod rng;
pub mod runaway;
pub mod safetensors_net;
pub mod sampler;
pub mod schedule;
pub mod simd;
pub mod smc;
pub mod space_time;
pub mod straightness;
pub mod timesteps;
pub mod train;
pub mod weights;
