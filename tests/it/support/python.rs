//! The Python that the tests which run Python use: `DP_PYTHON`, else `python3`, if it imports
//! the modules asked for. Without one a test says so and passes, unless `DP_REQUIRE_PYTHON=1`
//! (set by `cargo xtask test`, which installs NumPy and `safetensors`) makes it fail.

// Each test crate that includes this module uses one of its functions.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// A Python that imports `modules` (comma-separated, as in `import numpy, safetensors`), or
/// `None` after saying why there is none.
pub fn python_with(modules: &str) -> Option<PathBuf> {
    let candidate = std::env::var_os("DP_PYTHON").map(PathBuf::from).unwrap_or_else(|| "python3".into());
    let works = Command::new(&candidate)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|out| out.status.success());
    if works {
        return Some(candidate);
    }
    let why = format!("no Python with {modules} at {} (set DP_PYTHON)", candidate.display());
    if std::env::var("DP_REQUIRE_PYTHON").is_ok_and(|v| v == "1") {
        panic!("{why}, and DP_REQUIRE_PYTHON=1");
    }
    eprintln!("skipped: {why}");
    None
}

/// A Python with PyTorch for the optional checks of the PyTorch module in `docs/weights.md`:
/// `DP_TORCH_PYTHON`, else the bench's virtual environment (`bench/.venv`, where `cargo xtask
/// bench` installs PyTorch), if it imports `torch` and `safetensors`; `None` (after saying why)
/// otherwise, never a failure (PyTorch is a 3 GB download the test command does not make).
pub fn torch_python() -> Option<PathBuf> {
    let bench = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("bench/.venv/bin/python");
    let candidate = std::env::var_os("DP_TORCH_PYTHON").map(PathBuf::from).unwrap_or(bench);
    let works = Command::new(&candidate)
        .args(["-c", "import torch, safetensors"])
        .output()
        .is_ok_and(|out| out.status.success());
    if works {
        return Some(candidate);
    }
    eprintln!(
        "skipped: no Python with torch and safetensors at {} (set DP_TORCH_PYTHON)",
        candidate.display()
    );
    None
}
