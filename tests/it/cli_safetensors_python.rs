//! A network file written by Python's own `safetensors` package (its NumPy API, another writer
//! than the Rust crate) loads into the playground and runs the same network: dp-sample exports
//! the embedded network, Python reads it with `safetensors.numpy`, checks the layout of
//! docs/weights.md, writes it back with `save_file`, and dp-sample samples with that file exactly
//! as with the embedded network. A float16 file written by Python loads too, and runs the same
//! network (the embedded weights are half floats, so nothing is rounded).
//!
//! Needs a Python with NumPy and `safetensors` (`DP_PYTHON`, which `cargo xtask test` sets up);
//! without one the tests say so and pass, unless `DP_REQUIRE_PYTHON=1`.

use std::path::PathBuf;
use std::process::Command;

use crate::support::python;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dp-safetensors-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn dp_sample(args: &[&str]) -> Vec<[f32; 2]> {
    let out = Command::new(env!("CARGO_BIN_EXE_dp-sample")).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|line| {
            let v: Vec<f32> = line.split(',').map(|c| c.parse().unwrap()).collect();
            [v[2], v[3]]
        })
        .collect()
}

/// Reads `src` with safetensors.numpy, checks it, and writes it to `dst` as `dtype`.
const REWRITE: &str = r#"
import sys
import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file

src, dst, dtype = sys.argv[1], sys.argv[2], sys.argv[3]
tensors = load_file(src)
with safe_open(src, "np") as f:
    metadata = f.metadata()
shapes = {name: tuple(t.shape) for name, t in tensors.items()}
assert shapes == {"net.0.weight": (64, 18), "net.0.bias": (64,), "net.2.weight": (64, 64),
                  "net.2.bias": (64,), "net.4.weight": (2, 64), "net.4.bias": (2,)}, shapes
assert metadata["format"] == "diffusion-playground-mlp" and metadata["activation"] == "silu", metadata
save_file({name: t.astype(dtype) for name, t in tensors.items()}, dst, metadata=metadata)
"#;

#[test]
fn a_file_written_by_pythons_safetensors_runs_the_same_network() {
    let Some(python) = python::python_with("numpy, safetensors") else { return };
    let exported = scratch("exported.safetensors");
    let status = Command::new(env!("CARGO_BIN_EXE_dp-sample"))
        .args(["--dataset", "two_moons", "--export_weights", exported.to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let run = ["--dataset", "two_moons", "--particles", "256", "--steps", "16", "--sampler", "heun"];
    let embedded = dp_sample(&run);
    for (dtype, tolerance) in [("float32", 1e-6f32), ("float16", 1e-6)] {
        let rewritten = scratch(&format!("python-{dtype}.safetensors"));
        let out = Command::new(&python)
            .args(["-c", REWRITE])
            .args([exported.to_str().unwrap(), rewritten.to_str().unwrap(), dtype])
            .output()
            .unwrap();
        assert!(out.status.success(), "python: {}", String::from_utf8_lossy(&out.stderr));
        let loaded = dp_sample(&[&run[..], &["--weights", rewritten.to_str().unwrap()]].concat());
        let worst = embedded
            .iter()
            .zip(&loaded)
            .flat_map(|(a, b)| [(a[0] - b[0]).abs(), (a[1] - b[1]).abs()])
            .fold(0.0f32, f32::max);
        eprintln!("{dtype}: largest difference {worst:e}");
        assert!(worst <= tolerance, "{dtype}: the Python-written file's samples differ by {worst}");
    }
}
