//! The Python that the tests which run Python use: `DP_PYTHON`, else `python3`, if it imports
//! the modules asked for. Without one a test says so and passes, unless `DP_REQUIRE_PYTHON=1`
//! (set by `cargo xtask test`, which installs NumPy and `safetensors`) makes it fail.

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
