//! Diffusion Playground: watch, steer and understand diffusion models.
//!
//! Layers, each depending only on the ones above it:
//! 1. [`core`] — pure Rust math (schedules, samplers, the MLP, the counter-based RNG, datasets,
//!    metrics, training). The reference for everything.
//! 2. [`gpu`] — the wgpu engine; one WGSL kernel per file in `shaders/`, each with a CPU twin in `core`.
//! 3. [`web`] — options, the simulation session and (on `wasm32`) the wasm-bindgen surface.

pub mod core;
pub mod gpu;
pub mod web;
