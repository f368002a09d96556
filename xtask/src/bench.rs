//! `cargo xtask bench`: builds the wasm, serves `www/` in-process and runs the benchmark scripts
//! in `bench/` against it. Figures go to stdout and `bench/results/`; nothing here is a test.

use std::process::Command;

use crate::prereqs::{self, Needs};
use crate::serve::{ServeOptions, StaticServer};
use crate::util::{err, repo_root, run, Result};
use crate::wasm;

/// The npm packages of the browser peers, installed by the bench (not by the tests) into
/// `bench/peers/` and copied next to the page (`www/vendor/peers/`) so the bench page loads them
/// from localhost. protobufjs 6 is the runtime onnx-proto's compiled ONNX schema is written for
/// (named here so it lands at `node_modules/protobufjs`; onnxruntime-web keeps its own 7).
const PEER_PACKAGES: [&str; 6] = [
    "@tensorflow/tfjs@4",
    "@tensorflow/tfjs-backend-wasm@4",
    "@tensorflow/tfjs-backend-webgpu@4",
    "onnxruntime-web@1.30",
    "onnx-proto@8",
    "protobufjs@6",
];
/// The files of those packages the bench page loads, each with its folder under
/// `www/vendor/peers/`. ONNX Runtime Web's webgpu and wasm execution providers come from its
/// builds for each (the exports `onnxruntime-web/webgpu` and `onnxruntime-web/wasm`), each an ES
/// module that loads its own .mjs and .wasm from the same folder.
const PEER_FILES: [(&str, &str); 14] = [
    ("@tensorflow/tfjs/dist/tf.min.js", ""),
    ("@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js", ""),
    ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm", ""),
    ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm", ""),
    ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm", ""),
    ("@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js", ""),
    ("onnxruntime-web/dist/ort.webgpu.min.mjs", "ort"),
    ("onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.mjs", "ort"),
    ("onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm", "ort"),
    ("onnxruntime-web/dist/ort.wasm.min.mjs", "ort"),
    ("onnxruntime-web/dist/ort-wasm-simd-threaded.mjs", "ort"),
    ("onnxruntime-web/dist/ort-wasm-simd-threaded.wasm", "ort"),
    ("onnx-proto/dist/onnx.js", "onnx"),
    ("protobufjs/dist/minimal/protobuf.min.js", "onnx"),
];

/// Installs the peers (best effort: without them the bench measures ours and the plain
/// JavaScript loop, and says so).
fn install_peers(root: &std::path::Path) {
    println!("\n==> Peers from npm (TensorFlow.js and ONNX Runtime Web, each on webgpu and wasm)");
    let prefix = root.join("bench/peers");
    let mut npm = Command::new("npm");
    npm.current_dir(root)
        .args(["install", "--no-save", "--no-audit", "--no-fund", "--prefix"])
        .arg(&prefix)
        .args(PEER_PACKAGES);
    if let Err(e) = run(&mut npm) {
        println!("peers not installed ({e}); the bench runs without them");
        return;
    }
    let vendor = root.join("www/vendor/peers");
    for (file, folder) in PEER_FILES {
        let from = prefix.join("node_modules").join(file);
        let out = vendor.join(folder);
        if let Err(e) = std::fs::create_dir_all(&out) {
            println!("cannot create {}: {e}", out.display());
            continue;
        }
        let name = from.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        if let Err(e) = std::fs::copy(&from, out.join(name)) {
            println!("cannot copy {}: {e}", from.display());
        }
    }
}

/// Particle counts of the native GPU rows, up to the engine's cap (`gpu::engine::MAX_PARTICLES`,
/// 2^22, dispatched as a 2-D grid of workgroups), the same as `bench/device-check.sh`'s.
/// (The largest takes minutes a run on lavapipe; on a GPU, well under a second.)
const NATIVE_GPU_PARTICLES: &str = "65536,262144,1048576,4194304";

/// The native wgpu path alone (`--native_gpu_only`): what a GPU machine is asked to measure.
pub fn native_gpu() -> Result<()> {
    prereqs::ensure(Needs { vulkan: true, browser: false, lint: false, wasm: false, python: false })?;
    let root = repo_root();
    println!("\n==> Native: our wgpu path at {NATIVE_GPU_PARTICLES} particles");
    run(crate::util::cargo()
        .current_dir(&root)
        .args(["run", "--release", "--quiet", "--bin", "dp-bench", "--"])
        .args(["--gpu_only", "--particles", NATIVE_GPU_PARTICLES, "--json", "bench/results/native-gpu.json"]))
}

/// Runs every benchmark; with `quick`, only the CPU rows in Chromium at 65,536 particles (ours on
/// the page's thread and on 1, 2, ... workers, ONNX Runtime Web's wasm on one thread and, on a
/// cross-origin-isolated page, on every core), written to `bench/results/quick.json`. Both end
/// with the views' row (`bench/views.mjs`: the run's speed with each view open, as a ratio to
/// nothing open, on the CPU path and on WebGPU), written to `bench/results/views.json`, and the
/// couplings' row (`bench/couplings.mjs`: training a flow in the page on the CPU path per coupling
/// and dataset), written to `bench/results/couplings.json`, and a first visit's row
/// (`bench/first-download.mjs`: bytes before the first frame, the first frame's and the ready
/// page's times, production build and sources), written to `bench/results/first-download.json`.
pub fn run_all(quick: bool) -> Result<()> {
    prereqs::ensure(Needs { vulkan: !quick, browser: true, lint: false, wasm: true, python: false })?;
    wasm::build()?;
    let root = repo_root();
    let www = root.join("www");
    let server =
        StaticServer::start(&www, 0).map_err(|e| err(format!("could not start the static server: {e}")))?;
    // ONNX Runtime Web's wasm threads need SharedArrayBuffer, which only a cross-origin-isolated
    // page has: the same files from a second server that sends COOP and COEP.
    let isolated =
        StaticServer::start_with(&www, 0, ServeOptions { isolated: true, ..ServeOptions::default() })
            .map_err(|e| err(format!("could not start the isolated static server: {e}")))?;
    if !quick {
        println!("\n==> Native: our CPU core and our wgpu path");
        run(crate::util::cargo().current_dir(&root).args([
            "run",
            "--release",
            "--quiet",
            "--bin",
            "dp-bench",
        ]))?;
        crate::torch_peer::run(&root);
    }
    install_peers(&root);
    println!("\n==> Browser: our WebGPU and CPU (wasm) paths, the CPU path on workers, the whole page, training, peers");
    let mut node = Command::new("node");
    node.current_dir(&root).env("DP_BASE_URL", server.url()).env("DP_ISOLATED_URL", isolated.url());
    if quick {
        node.env("DP_BENCH_QUICK", "1").env("DP_BENCH_OUT", "bench/results/quick.json");
    }
    run(node.arg("bench/browser.mjs"))?;
    println!(
        "\n==> Browser: what each open view costs the run (CPU path and WebGPU), as a ratio to nothing open"
    );
    run(Command::new("node")
        .current_dir(&root)
        .env("DP_BASE_URL", server.url())
        .env("DP_BENCH_VIEWS_OUT", "bench/results/views.json")
        .arg("bench/views.mjs"))?;
    println!("\n==> Browser: a first visit, production build and sources: bytes before the first frame, first frame, ready");
    let dist = StaticServer::start_with(
        root.join("dist"),
        0,
        ServeOptions { hashed_immutable: true, ..ServeOptions::default() },
    )
    .map_err(|e| err(format!("could not start the static server of dist/: {e}")))?;
    run(Command::new("node")
        .current_dir(&root)
        .env("DP_BASE_URL", server.url())
        .env("DP_DIST_URL", dist.url())
        .env("DP_BENCH_DOWNLOAD_OUT", "bench/results/first-download.json")
        .arg("bench/first-download.mjs"))?;
    println!(
        "\n==> Browser: training a flow in the page on the CPU path, per coupling (docs/straight-paths.md)"
    );
    run(Command::new("node")
        .current_dir(&root)
        .env("DP_BASE_URL", server.url())
        .env("DP_BENCH_COUPLINGS_OUT", "bench/results/couplings.json")
        .arg("bench/couplings.mjs"))
}
