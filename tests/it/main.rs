//! Every integration test in one binary (one link of wgpu instead of one per file), a module per
//! file: `core_*` the pure-Rust reference, `gpu_*` the kernels against their CPU twins (on
//! lavapipe in CI), `app_*` and `session` the platform-neutral layer, `cli_*` the command-line
//! tools, and the `*_report` modules, ignored tests that print the measured tables of the docs
//! (`cargo xtask report`). `support` holds what several modules share.

mod support;

mod app_backend;
mod app_condition;
mod app_coupling;
mod app_cpu_work;
mod app_data_file;
mod app_guidance;
mod app_kernel_tuning;
mod app_likelihood;
mod app_network_link;
mod app_network_refused;
mod app_options_table;
mod app_picture_data;
mod app_picture_file;
mod app_posterior;
mod app_random_seed;
mod app_runaway;
mod app_sample_files;
mod app_straightness;
mod app_training;
mod app_trajectory;
mod app_views;
mod cli_bench;
mod cli_data_file;
mod cli_emit_python;
mod cli_help;
mod cli_posterior;
mod cli_safetensors_python;
mod cli_sample_threads;
mod cli_straightness;
mod cli_torch_module;
mod core_class_embedding;
mod core_coupling;
mod core_dataset;
mod core_drawing;
mod core_enum_names;
mod core_guidance;
mod core_histogram;
mod core_likelihood;
mod core_metrics;
mod core_mlp;
mod core_model_error;
mod core_network_check;
mod core_param;
mod core_posterior;
mod core_posterior_guidance;
mod core_race;
mod core_render;
mod core_rng;
mod core_safetensors;
mod core_sampler;
mod core_schedule;
mod core_simd;
mod core_smc;
mod core_space_time;
mod core_straightness;
mod core_timesteps;
mod core_train;
mod core_weights;
mod couplings_report;
mod gpu_kernel_shapes;
mod gpu_layout;
mod gpu_parity;
mod guidance_report;
mod hostile_input;
mod likelihood_report;
mod networks_report;
mod posterior_report;
mod sampler_report;
mod session;
mod shaders_validate;
