//! `cargo xtask train`: runs the training binary, which writes weights into `weights/`.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::util::{cargo, display, err, Result};

/// Runs `cargo run --release --bin dp-train -- ARGS` and exits with its status.
pub fn run(args: &[OsString]) -> Result<ExitCode> {
    let mut command = cargo();
    command.args(["run", "--release", "--bin", "dp-train", "--"]).args(args);
    let shown = display(&command);
    println!("$ {shown}");
    let status = command.status().map_err(|e| err(format!("could not start `{shown}`: {e}")))?;
    // Pass dp-train's own exit code through (for example 2 for a usage error).
    Ok(match status.code() {
        Some(0) => ExitCode::SUCCESS,
        Some(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        None => ExitCode::FAILURE,
    })
}
