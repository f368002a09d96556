//! `dp-sample --emit python` writes the run as a NumPy script (`app::python_export`) that lands on
//! dp-sample's own samples, from the same seed or the same start, to 1e-4: for deterministic and
//! stochastic samplers, single- and two-stage and multistep ones, every schedule, the network and
//! the exact score, class guidance, and a measurement's exact posterior, DPS and PiGDM.
//!
//! The scripts run under the Python of `DP_PYTHON`, else `python3`, with NumPy. Without one the
//! tests say so and pass, unless `DP_REQUIRE_PYTHON=1` (set by `cargo xtask test`, which installs
//! NumPy) makes them fail.

use std::path::{Path, PathBuf};
use std::process::Command;

use diffusion_playground::core::metrics::sliced_wasserstein;

use crate::support::{networks, python};

/// Largest difference allowed between a script's particle and dp-sample's.
const TOLERANCE: f32 = 1e-4;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dp-emit-python-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn dp_sample(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dp-sample")).args(args).output().unwrap()
}

/// The f32 values of a `.npy` file (version 1.0, little-endian f32) and its shape text.
fn read_npy(path: &Path) -> (String, Vec<f32>) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..6], b"\x93NUMPY", "{} is a .npy file", path.display());
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    let header = String::from_utf8_lossy(&bytes[10..10 + header_len]).to_string();
    assert!(header.contains("'descr': '<f4'"), "{header}");
    let shape = header.split("'shape': ").nth(1).unwrap().split(')').next().unwrap().to_string() + ")";
    let values =
        bytes[10 + header_len..].chunks_exact(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect();
    (shape, values)
}

/// Runs dp-sample and the script it emits for the same options; returns both arrays (dp-sample's
/// first), or `None` without Python.
fn run_both(
    options: &[&str],
    script_args: &[&str],
    sample_args: &[&str],
    tag: &str,
) -> Option<(Vec<f32>, Vec<f32>)> {
    let python = python::python_with("numpy")?;
    let script = scratch(&format!("{tag}.py"));
    let emitted = dp_sample(&[options, &["--emit", "python", "--out", script.to_str().unwrap()]].concat());
    assert!(emitted.status.success(), "{tag}: {}", String::from_utf8_lossy(&emitted.stderr));
    let ours = scratch(&format!("{tag}-dp-sample.npy"));
    let sampled =
        dp_sample(&[options, sample_args, &["--format", "npy", "--out", ours.to_str().unwrap()]].concat());
    assert!(sampled.status.success(), "{tag}: {}", String::from_utf8_lossy(&sampled.stderr));
    let theirs = scratch(&format!("{tag}-script.npy"));
    let ran = Command::new(python)
        .arg(&script)
        .args(script_args)
        .args(["--out", theirs.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(ran.status.success(), "{tag}: the script fails:\n{}", String::from_utf8_lossy(&ran.stderr));
    let (shape_ours, ours) = read_npy(&ours);
    let (shape_theirs, theirs) = read_npy(&theirs);
    assert_eq!(shape_ours, shape_theirs, "{tag}: the same array");
    assert!(ours.iter().all(|v| v.is_finite()), "{tag}: finite samples");
    Some((ours, theirs))
}

/// Runs both and checks that every particle agrees to [`TOLERANCE`]; returns the largest
/// difference.
fn script_against_dp_sample(
    options: &[&str],
    script_args: &[&str],
    sample_args: &[&str],
    tag: &str,
) -> Option<f32> {
    let (ours, theirs) = run_both(options, script_args, sample_args, tag)?;
    let worst = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
    assert!(worst <= TOLERANCE, "{tag}: the script's particles differ from dp-sample's by up to {worst}");
    Some(worst)
}

fn points(values: &[f32]) -> Vec<[f32; 2]> {
    values.chunks_exact(2).map(|p| [p[0], p[1]]).collect()
}

const SMALL: [&str; 4] = ["--particles", "300", "--steps", "12"];

/// A measurement y = A x0 + n of two moons: x0's first coordinate, 0.5, with noise 0.2.
const MEASUREMENT: [&str; 8] =
    ["--dataset", "two_moons", "--observe", "1,0", "--observation", "0.5", "--observation_noise", "0.2"];

#[test]
fn the_script_lands_on_dp_samples_particles_for_every_kind_of_sampler_and_schedule() {
    let cases: [(&str, &[&str]); 13] = [
        ("default", &[]),
        ("ddim-stochastic", &["--sampler", "ddim", "--eta", "0.7", "--dataset", "gaussian_mixture"]),
        (
            "heun-edm-karras-churn",
            &["--sampler", "heun", "--schedule", "edm", "--time_grid", "karras", "--churn", "4"],
        ),
        ("dpmpp-2m-sde-heun", &["--sampler", "dpm_solver_2m_sde_heun", "--time_grid", "uniform_log_snr"]),
        ("lms-ve", &["--sampler", "lms", "--schedule", "ve", "--dataset", "rings"]),
        ("unipc-cosine", &["--sampler", "unipc", "--schedule", "vp_cosine", "--order", "3"]),
        ("dpm-sde-rectified-flow", &["--sampler", "dpm_solver_sde", "--schedule", "rectified_flow"]),
        (
            "euler-maruyama-exact",
            &["--sampler", "euler_maruyama", "--score", "exact", "--dataset", "checkerboard"],
        ),
        ("empirical", &["--sampler", "dpm_solver_2m", "--score", "empirical", "--dataset", "spiral"]),
        (
            "guided-class",
            &[
                "--dataset",
                "gaussian_mixture",
                "--score",
                "exact",
                "--class",
                "2",
                "--guidance",
                "classifier",
                "--guidance_scale",
                "3",
            ],
        ),
        (
            "guided-network",
            &[
                "--dataset",
                "two_moons",
                "--class",
                "0",
                "--guidance",
                "classifier",
                "--guidance_scale",
                "2",
                "--guidance_interval",
                "0.1,5",
            ],
        ),
        (
            "classifier-free-network",
            &[
                "--dataset",
                "rings",
                "--class",
                "inner",
                "--guidance",
                "cfg",
                "--guidance_scale",
                "2.5",
                "--guidance_interval",
                "0.1,5",
            ],
        ),
        ("exact-posterior", &MEASUREMENT),
    ];
    for (tag, options) in cases {
        let options = [&SMALL[..], options].concat();
        match script_against_dp_sample(&options, &[], &[], tag) {
            Some(worst) => eprintln!("{tag}: largest difference {worst:e}"),
            None => return,
        }
    }
}

#[test]
fn the_script_replays_a_trajectory_and_a_given_start() {
    let options = [&SMALL[..], &["--sampler", "dpm_solver_3m_sde", "--seed", "5"]].concat();
    if script_against_dp_sample(&options, &["--trajectory"], &["--trajectory"], "trajectory").is_none() {
        return;
    }
    let start = scratch("start.csv");
    let points: String = (0..300)
        .map(|i| format!("{},{}\n", (i as f32 * 0.37).sin() * 3.0, (i as f32 * 0.11).cos()))
        .collect();
    std::fs::write(&start, format!("x,y\n{points}")).unwrap();
    let start = start.to_str().unwrap();
    script_against_dp_sample(&options, &["--start", start], &["--from", start], "given-start");
}

#[test]
fn dps_and_pigdm_run_in_the_script_with_the_scores_exact_jacobian() {
    // PiGDM with the exact score is well conditioned: the script lands on every particle.
    let cases: [(&str, &[&str]); 2] = [
        ("pigdm-exact", &["--posterior", "pigdm", "--score", "exact"]),
        (
            "pigdm-exact-projection",
            &["--posterior", "pigdm", "--score", "exact", "--observe", "0.6,0.8", "--posterior_scale", "2"],
        ),
    ];
    for (tag, extra) in cases {
        match script_against_dp_sample(&[&SMALL[..], &MEASUREMENT, extra].concat(), &[], &[], tag) {
            Some(worst) => eprintln!("{tag}: largest difference {worst:e}"),
            None => return,
        }
    }
    // With the network, and with DPS, x0_hat = (x - sigma eps_hat) / alpha near the prior (alpha
    // ~ 0.007) and the likelihood's 1 / s^2 multiply float32 rounding by thousands, so two correct
    // implementations part particle by particle within the first steps (both are checked
    // evaluation by evaluation: tests/it/gpu_parity.rs, and the Jacobian against finite differences).
    // They must still sample the same distribution: the script's particles are as close to
    // dp-sample's as dp-sample's are to its own run from another seed.
    let run = ["--particles", "2000", "--steps", "32", "--sampler", "euler_maruyama"];
    let cases: [(&str, &[&str]); 3] = [
        ("dps-network", &["--posterior", "dps"]),
        (
            "pigdm-network-two-rows",
            &["--posterior", "pigdm", "--observe", "1,0;0,1", "--observation", "0.5,0.2"],
        ),
        ("dps-exact", &["--posterior", "dps", "--score", "exact"]),
    ];
    for (tag, extra) in cases {
        assert_same_distribution(&[&run[..], &MEASUREMENT, extra].concat(), tag);
    }
}

/// The script and dp-sample, both run with `options`, sample the same distribution: the
/// script's particles are as close to dp-sample's as dp-sample's are to its own run from another
/// seed. Checks nothing where the script cannot run (`run_both` says why).
fn assert_same_distribution(options: &[&str], tag: &str) {
    let Some((ours, theirs)) = run_both(options, &[], &[], tag) else { return };
    let other_seed = scratch(&format!("{tag}-seed2.npy"));
    let out = dp_sample(
        &[options, &["--seed", "2", "--format", "npy", "--out", other_seed.to_str().unwrap()]].concat(),
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let floor = sliced_wasserstein(&points(&ours), &points(&read_npy(&other_seed).1));
    let distance = sliced_wasserstein(&points(&ours), &points(&theirs));
    eprintln!("{tag}: SW2 script vs dp-sample {distance:.4}, dp-sample vs another seed {floor:.4}");
    assert!(
        distance <= 1.5 * floor,
        "{tag}: the script samples another distribution ({distance} against {floor})"
    );
}

/// A network with Fourier features of its coordinates runs in the script as in dp-sample: the
/// features (and their derivative, in DPS's Jacobian) are computed from the file's tensor.
#[test]
fn a_network_with_coordinate_features_runs_in_the_script() {
    let file = scratch("coordinate-features.safetensors");
    let weights = ["--weights", networks::with_coordinate_features(&file).to_str().unwrap()];
    let options = [&SMALL[..], &weights, &["--sampler", "heun"]].concat();
    let Some(worst) = script_against_dp_sample(&options, &[], &[], "coordinate-features-heun") else {
        return;
    };
    eprintln!("coordinate features, Heun: largest difference {worst:e}");
    // DPS through the network's Jacobian: the same distribution (see the test above for why not
    // particle by particle).
    let run = ["--particles", "2000", "--steps", "32", "--sampler", "euler_maruyama", "--posterior", "dps"];
    assert_same_distribution(&[&run[..], &MEASUREMENT, &weights].concat(), "coordinate-features-dps");
}

#[test]
fn smc_which_the_script_cannot_write_is_refused_by_name() {
    let out = dp_sample(&[&MEASUREMENT[..], &["--posterior", "smc", "--emit", "python"]].concat());
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("'posterior'") && message.contains("smc"), "{message}");
    let out = dp_sample(&["--emit", "rust"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--emit"));
}

#[test]
fn the_script_names_its_settings_and_the_nearest_library_calls() {
    let out = dp_sample(&["--sampler", "dpm_solver_2m", "--time_grid", "karras", "--emit", "python"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.starts_with("#!/usr/bin/env python3"));
    assert!(script.contains("sampler=dpm_solver_2m") && script.contains("time_grid=karras"));
    assert!(script.contains("k_diffusion.sampling.sample_dpmpp_2m(model, x, sigmas)"), "{script}");
    assert!(script.contains("DPMSolverMultistepScheduler(solver_order=2, algorithm_type=\"dpmsolver++\")"));
    assert!(script.contains("use_karras_sigmas=True"));
    assert!(!script.contains("{{"), "every placeholder is filled");
}
