//! The playground as an application, independent of where it runs: the options table (validated
//! once, here), the session (the one source of what is sampled), every analysis a view shows
//! (as methods of the session), the backend policy with its calibration, and the training
//! handle. Native code (the CLIs, the tests) uses it directly; `web` only converts its types and
//! errors for JavaScript.
//!
//! Layer order: `core` -> `gpu` -> `app` -> `web`; nothing here depends on `web` or on a browser.

pub mod backend;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod condition;
pub mod cpu_work;
pub mod data_file;
pub mod description;
pub mod kernel_tuning;
pub mod library_equivalents;
pub mod likelihood;
pub mod link_number;
pub mod measurement;
pub mod model_error;
pub mod network_file;
pub mod options;
pub mod peer_plan;
pub mod picture_data;
#[cfg(not(target_arch = "wasm32"))]
pub mod picture_file;
pub mod points_file;
pub mod python_export;
pub mod random_seed;
pub mod sample_files;
pub mod session;
pub mod straightness;
pub mod training;
pub mod trajectory;
pub mod views;
