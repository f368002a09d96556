//! The way out and back in through PyTorch: the PyTorch module of
//! `docs/weights.md`, run exactly as the page documents it (the code block is read from the
//! document, so the two cannot drift), loads a network file the playground wrote, predicts what
//! the playground's network predicts, and writes it back as a file that dp-sample samples with
//! exactly as with the original network.
//!
//! PyTorch is not installed by the test command (a 3 GB download): the test runs where
//! `DP_TORCH_PYTHON` or the bench's `bench/.venv` has it, and says so and passes elsewhere.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{networks, python};

/// The file name the document's code block opens.
const DOCUMENTED_FILE: &str = "diffusion-playground-two_moons-network.safetensors";

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dp-torch-module-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The first ```python block of docs/weights.md.
fn documented_module() -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/weights.md")).unwrap();
    let start = doc.find("```python\n").expect("docs/weights.md has a Python block") + "```python\n".len();
    let end = start + doc[start..].find("```").unwrap();
    doc[start..end].to_string()
}

fn dp_sample(dir: &PathBuf, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_dp-sample")).current_dir(dir).args(args).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// After the document's code: its module against the exported script's NumPy network, on random
/// points and times.
const COMPARE: &str = r#"
import importlib.util
import numpy as np
spec = importlib.util.spec_from_file_location("run", "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)
rng = np.random.default_rng(0)
x = rng.normal(size=(256, 2)).astype(np.float32) * 2
for t in [0.001, 0.1, 0.5, 1.0]:
    ours = run.network(x, t)
    theirs = model(torch.from_numpy(x), torch.full((256,), t)).detach().numpy()
    # float32 rounding, which grows with the output (BLAS libraries sum in their own order)
    worst = float((np.abs(ours - theirs) / (1 + np.abs(ours))).max())
    print(f"t = {t}: largest difference {worst:.2e} x (1 + |output|)")
    assert worst < 1e-5, (t, worst)
"#;

#[test]
fn the_documented_pytorch_module_runs_the_network_and_writes_it_back() {
    let Some(python) = python::torch_python() else { return };
    let dir = scratch("plain");
    dp_sample(&dir, &["--dataset", "two_moons", "--export_weights", DOCUMENTED_FILE]);
    round_trip(&python, &dir, &[]);
}

/// The same module with a network of Fourier features of its coordinates (`mlp 18+24-64-64-2`):
/// it reads the octaves from the file's `coordinate_features.weight`, predicts what the
/// playground predicts, and writes the tensor back.
#[test]
fn the_documented_pytorch_module_runs_a_network_with_coordinate_features() {
    let Some(python) = python::torch_python() else { return };
    let dir = scratch("coordinate-features");
    networks::with_coordinate_features(&dir.join(DOCUMENTED_FILE));
    let check = "assert model.octaves == 6, model.octaves\n\
                 assert 'coordinate_features.weight' in state, list(state)\n";
    round_trip(&python, &dir, &["--weights", DOCUMENTED_FILE]);
    let program = documented_module() + check;
    let out = Command::new(&python).current_dir(&dir).args(["-c", &program]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Runs the documented module on `dir`'s [`DOCUMENTED_FILE`] against the script dp-sample emits
/// for the same network (`network` names it for dp-sample, empty for two moons' embedded one),
/// then samples with the file the module wrote back.
fn round_trip(python: &std::path::Path, dir: &PathBuf, network: &[&str]) {
    let emit = [&["--dataset", "two_moons", "--emit", "python", "--out", "run.py"][..], network].concat();
    dp_sample(dir, &emit);
    let program = documented_module() + COMPARE;
    let out = Command::new(python).current_dir(dir).args(["-c", &program]).output().unwrap();
    assert!(out.status.success(), "the documented module: {}", String::from_utf8_lossy(&out.stderr));
    eprint!("{}", String::from_utf8_lossy(&out.stdout));
    // The document's last lines wrote mine.safetensors: the playground samples with it as with
    // the network it came from.
    let run = ["--dataset", "two_moons", "--particles", "256", "--steps", "16", "--sampler", "dpm_solver_2m"];
    let original = dp_sample(dir, &[&run[..], network].concat());
    let written_back = dp_sample(dir, &[&run[..], &["--weights", "mine.safetensors"]].concat());
    assert!(original == written_back, "the file PyTorch wrote back samples the same particles");
}
