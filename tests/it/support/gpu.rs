//! The GPU the GPU tests run on: the first Vulkan adapter (lavapipe in CI). Without one a test
//! says so and passes, unless `DP_REQUIRE_GPU=1` (set by `cargo xtask test`) makes it fail.

use diffusion_playground::gpu::{context, GpuContext};

/// The device, or `None` after saying why there is none.
pub fn gpu() -> Option<GpuContext> {
    match context::native_context() {
        Ok(context) => {
            eprintln!("GPU tests run on {}", context.describe());
            Some(context)
        }
        Err(e) if std::env::var("DP_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
            panic!("DP_REQUIRE_GPU=1 but no adapter: {e} (install mesa-vulkan-drivers for lavapipe)")
        }
        Err(e) => {
            eprintln!("skipping GPU test: {e}");
            None
        }
    }
}
