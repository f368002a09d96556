//! The playground's public surface: options (validated once, here), the simulation session, and,
//! on `wasm32`, the wasm-bindgen bindings that JavaScript calls.

pub mod options;
pub mod peer_plan;
pub mod session;

#[cfg(target_arch = "wasm32")]
mod bindings;
