//! The wasm-bindgen surface, compiled only for `wasm32`: thin wrappers that convert JavaScript
//! values to the app layer's types and its errors to JS `Error`s. Everything they call lives in
//! [`crate::app`].

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
mod cpu_work;
#[cfg(all(target_arch = "wasm32", feature = "full"))]
mod full;
#[cfg(target_arch = "wasm32")]
mod networks;
