//! PyTorch on the CPU as a native peer of `cargo xtask bench`: installs PyTorch with pip into a
//! virtual environment of the bench's own (`bench/.venv`), then runs `bench/torch_peer.py` on the
//! plan `dp-bench --write_plan` writes (the same network, reverse SDE and particle counts as our
//! native CPU core) and prints our CPU path / PyTorch at each N, with torch's default threads and
//! with one. Best effort throughout: whatever fails is said and the bench goes on.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::util::{err, find_program, format_bytes, format_duration, probe, run as run_command, Result};

/// The virtual environment PyTorch goes into (ignored by git; kept between runs).
const VENV: &str = "bench/.venv";
/// What pip installs there, from PyPI: PyTorch, whose Linux wheel is the CUDA build and so brings
/// about 3 GB of nvidia-* libraries that torch will not start without (pip's own
/// `PIP_INDEX_URL` can point it at a CPU-only index where one is reachable), and NumPy, whose
/// absence torch warns about.
const PACKAGES: [&str; 2] = ["torch", "numpy"];
/// The peer itself.
const SCRIPT: &str = "bench/torch_peer.py";
/// Where `dp-bench --write_plan` puts the plan for the script.
const PLAN: &str = "bench/results/torch_plan.json";
/// Our native CPU path's measurements, from `dp-bench --json`, next to PyTorch's.
const NATIVE: &str = "bench/results/native_cpu.json";
/// PyTorch's measurements and the comparison.
const RESULTS: &str = "bench/results/torch.json";
/// Particle counts measured, ours and PyTorch's (comma-separated, as both programs take them).
const PARTICLES: &str = "16384,65536,262144";

/// Installs PyTorch if needed and measures it next to our native CPU path; prints why not when
/// it cannot, and never fails.
pub fn run(root: &Path) {
    println!("\n==> Native peer: PyTorch on the CPU (same network, reverse SDE and N as our CPU core)");
    let python = match install(root) {
        Ok(python) => python,
        Err(e) => {
            println!("PyTorch not installed ({e}); the bench goes on without it");
            return;
        }
    };
    if let Err(e) = measure(root, &python) {
        println!("PyTorch peer not measured ({e}); the bench goes on without it");
    }
}

/// The Python of a virtual environment.
fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// torch's version as `python` imports it, if it does.
fn torch_version(python: &Path) -> Option<String> {
    probe(Command::new(python).args(["-c", "import torch; print(torch.__version__)"]))
}

/// Makes sure `bench/.venv` has PyTorch; returns its Python.
fn install(root: &Path) -> Result<PathBuf> {
    let venv = root.join(VENV);
    let python = venv_python(&venv);
    if let Some(version) = torch_version(&python) {
        println!("PyTorch {version} in {VENV}");
        return Ok(python);
    }
    if !python.is_file() {
        let system_python = find_program("python3")
            .or_else(|| find_program("python"))
            .ok_or_else(|| err("no python3 on PATH"))?;
        run_command(Command::new(system_python).arg("-m").arg("venv").arg(&venv))
            .map_err(|e| err(format!("{e}; on Debian, `apt-get install python3-venv` provides venv")))?;
    }
    println!("installing PyTorch from PyPI into {VENV} (about 3 GB with its CUDA libraries; once)");
    let started = Instant::now();
    run_command(
        Command::new(&python)
            .args(["-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"])
            .args(PACKAGES),
    )?;
    let version = torch_version(&python).ok_or_else(|| err("pip finished but `import torch` fails"))?;
    println!(
        "PyTorch {version} installed in {} ({VENV} is now {})",
        format_duration(started.elapsed()),
        format_bytes(directory_bytes(&venv))
    );
    Ok(python)
}

/// Bytes of the files under `dir` (symbolic links not followed; unreadable entries count 0).
fn directory_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => directory_bytes(&entry.path()),
            Ok(kind) if kind.is_file() => entry.metadata().map_or(0, |meta| meta.len()),
            _ => 0,
        })
        .sum()
}

/// Writes the plan, measures our native CPU path at the peer's particle counts, then runs the peer
/// (which prints the comparison).
fn measure(root: &Path, python: &Path) -> Result<()> {
    let dp_bench = |args: &[&str]| {
        let mut command = crate::util::cargo();
        command.current_dir(root).args(["run", "--release", "--quiet", "--bin", "dp-bench", "--"]).args(args);
        command
    };
    run_command(&mut dp_bench(&["--write_plan", PLAN]))?;
    run_command(&mut dp_bench(&["--cpu_only", "--particles", PARTICLES, "--json", NATIVE]))?;
    run_command(Command::new(python).current_dir(root).arg(SCRIPT).args([
        "--plan",
        PLAN,
        "--native",
        NATIVE,
        "--out",
        RESULTS,
        "--particles",
        PARTICLES,
    ]))
}
