//! Diffusion Playground: watch, steer and understand diffusion models.
//!
//! Layers, each depending only on the ones above it:
//! 1. [`core`] — pure Rust math (schedules, samplers, the MLP, the counter-based RNG, datasets,
//!    metrics, training). The reference for everything.
//! 2. [`gpu`] — the wgpu engine; one WGSL kernel per file in `shaders/`, each with a CPU twin in `core`.
//! 3. [`app`] — platform-neutral and tested natively: the options table, the session (the one
//!    source of what is sampled) and the analyses of its views, the backend policy, training.
//! 4. [`web`] — (on `wasm32` only) the wasm-bindgen surface: type and error conversion.

pub mod app;
pub mod core;
pub mod gpu;
pub mod web;
