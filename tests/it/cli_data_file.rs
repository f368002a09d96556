//! `dp-sample --data FILE`: a user's own points in each format (CSV, TSV with classes, NumPy
//! .npy, the page's drawing JSON) are sampled with their exact score, the same points from each
//! format; a bad file is refused with what is wrong and where.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::npy::float64_rows;

/// Four clusters at the corners of a square (in a file's own units), with a class each row.
const CORNERS: [[f64; 3]; 4] = [[0.0, 0.0, 0.0], [10.0, 0.0, 0.0], [0.0, 10.0, 1.0], [10.0, 10.0, 1.0]];

fn dp_sample(data: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dp-sample"))
        .args(["--particles", "400", "--steps", "30", "--data"])
        .arg(data)
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Final particles of a run, from dp-sample's CSV (`step,particle,x,y`).
fn particles(out: &Output) -> Vec<[f32; 2]> {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|line| {
            let v: Vec<f32> = line.split(',').skip(2).map(|s| s.parse().unwrap()).collect();
            [v[0], v[1]]
        })
        .collect()
}

#[test]
fn every_format_of_the_same_points_samples_the_same_particles_near_them() {
    let dir = std::env::temp_dir().join(format!("dp-cli-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rows: Vec<String> = CORNERS.iter().map(|r| format!("{},{},{}", r[0], r[1], r[2])).collect();
    let tsv: Vec<String> = CORNERS.iter().map(|r| format!("{}\t{}\t{}", r[0], r[1], r[2])).collect();
    let json = serde_json::to_vec(&CORNERS).unwrap();
    let files = [
        write(&dir, "corners.csv", format!("x,y,class\n{}\n", rows.join("\n")).as_bytes()),
        write(&dir, "corners.tsv", tsv.join("\n").as_bytes()),
        write(&dir, "corners.npy", &float64_rows(&CORNERS.map(|r| r.to_vec()))),
        write(&dir, "corners.json", &json),
    ];
    let first = dp_sample(&files[0]);
    let reference = particles(&first);
    assert!(String::from_utf8_lossy(&first.stderr).contains("\"0\" is blue, \"1\" is orange"));
    // Fitted: the corners land at (+-2.4, +-2.4); every particle ends near one of them.
    let near_a_corner =
        reference.iter().filter(|p| (p[0].abs() - 2.4).abs() < 0.5 && (p[1].abs() - 2.4).abs() < 0.5).count();
    assert!(near_a_corner as f64 > 0.95 * reference.len() as f64, "{near_a_corner} of {}", reference.len());
    for file in &files[1..] {
        assert_eq!(particles(&dp_sample(file)), reference, "{}", file.display());
    }
    let bad = write(&dir, "bad.csv", b"1,2\n3,oops\n");
    let refused = dp_sample(&bad);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("bad.csv, line 2: \"oops\" is not a finite number")
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `dp-train --data FILE` trains a network on the data and writes it; `dp-sample --weights` of
/// that file with `--data` samples the data with it.
#[test]
fn a_network_trained_on_a_data_file_samples_it() {
    let dir = std::env::temp_dir().join(format!("dp-cli-train-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rows: Vec<String> = CORNERS.iter().map(|r| format!("{},{}", r[0], r[1])).collect();
    let data = write(&dir, "square.csv", rows.join("\n").as_bytes());
    let trained = Command::new(env!("CARGO_BIN_EXE_dp-train"))
        .args(["--steps", "300", "--out"])
        .arg(&dir)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert!(trained.status.success(), "{}", String::from_utf8_lossy(&trained.stderr));
    let said = String::from_utf8_lossy(&trained.stdout);
    assert!(
        said.contains("4 points, 300 steps (eps on vp_linear)")
            && said.contains("square.vp_linear.safetensors"),
        "{said}"
    );
    let network = dir.join("square.vp_linear.safetensors");
    let sampled = Command::new(env!("CARGO_BIN_EXE_dp-sample"))
        .args(["--particles", "50", "--steps", "10", "--weights"])
        .arg(&network)
        .arg("--data")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(particles(&sampled).len(), 50);
    let refused = Command::new(env!("CARGO_BIN_EXE_dp-train"))
        .args(["--dataset", "spiral", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(!refused.status.success(), "--data and --dataset do not combine");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A picture file in the command line (`image` crate): `dp-sample --data figure.png` samples its
/// ink, its two colours as classes, and guidance by the second colour lands on it.
#[test]
fn a_picture_is_data_for_the_command_line_and_its_colours_guide() {
    let dir = std::env::temp_dir().join(format!("dp-cli-picture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // Red on the left, blue on the right, on white.
    let picture = image::RgbaImage::from_fn(120, 60, |column, _| match column {
        10..=40 => image::Rgba([210, 30, 30, 255]),
        80..=100 => image::Rgba([20, 40, 200, 255]),
        _ => image::Rgba([255, 255, 255, 255]),
    });
    let path = dir.join("figure.png");
    picture.save(&path).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_dp-sample"))
        .args([
            "--particles",
            "400",
            "--steps",
            "30",
            "--guidance",
            "classifier",
            "--class",
            "orange",
            "--data",
        ])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(stderr.contains("512 points were drawn from the ink of"), "{stderr}");
    assert!(stderr.contains(" is blue, #") && stderr.contains(" is orange."), "{stderr}");
    let landed = particles(&out);
    let right = landed.iter().filter(|p| p[0] > 0.0).count();
    assert!(
        right as f64 > 0.95 * landed.len() as f64,
        "guidance by the blue class: {right} of {}",
        landed.len()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `dp-likelihood --data FILE` models the file's data with its exact score and evaluates its own
/// points; `--data N` still means N fresh draws of the dataset.
#[test]
fn the_likelihood_of_a_data_file_is_of_its_own_points() {
    let dir = std::env::temp_dir().join(format!("dp-cli-likelihood-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rows: Vec<String> = CORNERS.iter().map(|r| format!("{},{}", r[0], r[1])).collect();
    let data = write(&dir, "square.csv", rows.join("\n").as_bytes());
    let out = Command::new(env!("CARGO_BIN_EXE_dp-likelihood"))
        .args(["--steps", "30", "--data"])
        .arg(&data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let rows: Vec<Vec<f64>> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .map(|line| line.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 4, "the file's four points");
    assert!(
        rows.iter().all(|r| (r[0].abs() - 2.4).abs() < 1e-5 && (r[1].abs() - 2.4).abs() < 1e-5),
        "fitted: {rows:?}"
    );
    // Each corner carries a quarter of the smoothed mixture: ln p is the same at all four.
    assert!(rows.iter().all(|r| (r[2] - rows[0][2]).abs() < 1e-3), "{rows:?}");
    assert!(stderr.contains("(4 points)"), "{stderr}");
    let fresh = Command::new(env!("CARGO_BIN_EXE_dp-likelihood"))
        .args(["--steps", "10", "--data", "7"])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&fresh.stdout).lines().count(), 8, "--data 7: seven fresh draws");
    let missing = Command::new(env!("CARGO_BIN_EXE_dp-likelihood"))
        .args(["--data", "no-such-file.csv"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read no-such-file.csv"));
    std::fs::remove_dir_all(&dir).unwrap();
}
