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
