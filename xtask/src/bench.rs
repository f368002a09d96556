//! `cargo xtask bench`: builds the wasm, serves `www/` in-process and runs the benchmark scripts
//! in `bench/` against it. Figures go to stdout and `bench/results/`; nothing here is a test.

use std::process::Command;

use crate::prereqs::{self, Needs};
use crate::serve::StaticServer;
use crate::util::{err, repo_root, run, Result};
use crate::wasm;

/// Runs every benchmark.
pub fn run_all() -> Result<()> {
    prereqs::ensure(Needs { vulkan: true, browser: true, lint: false, wasm: true })?;
    wasm::build()?;
    let root = repo_root();
    let server = StaticServer::start(root.join("www"), 0)
        .map_err(|e| err(format!("could not start the static server: {e}")))?;
    println!("\n==> Native: our CPU core and our wgpu path");
    run(crate::util::cargo().current_dir(&root).args(["run", "--release", "--quiet", "--bin", "dp-bench"]))?;
    println!("\n==> Browser: our WebGPU and CPU (wasm) paths");
    run(Command::new("node").current_dir(&root).env("DP_BASE_URL", server.url()).arg("bench/browser.mjs"))
}
