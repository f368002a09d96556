//! `dp-bench` writes its plan and measurements as JSON through serde_json: valid JSON whatever the
//! numbers (a non-finite one becomes null), with the fields the peers and `cargo xtask bench` read.

use std::process::Command;

#[test]
fn the_plan_and_the_measurements_are_valid_json_with_the_fields_their_readers_use() {
    let dir = std::env::temp_dir().join(format!("dp-bench-{}", std::process::id()));
    let plan = dir.join("plan.json");
    let out = Command::new(env!("CARGO_BIN_EXE_dp-bench"))
        .args(["--write_plan", plan.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&plan).unwrap()).unwrap();
    for key in [
        "dataset",
        "schedule",
        "steps",
        "weights",
        "hidden_biases",
        "out_x",
        "out_e1",
        "out_noise",
        "input_scale",
        "reference_points",
    ] {
        assert!(plan.get(key).is_some(), "the plan has {key}");
    }
    assert_eq!(plan["weights"].as_array().unwrap().len(), diffusion_playground::core::mlp::PARAMETERS);
    assert_eq!(plan["reference_points"][0].as_array().unwrap().len(), 2);

    let rows = dir.join("rows.json");
    let out = Command::new(env!("CARGO_BIN_EXE_dp-bench"))
        .args(["--cpu_only", "--particles", "64", "--json", rows.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let measured: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&rows).unwrap()).unwrap();
    let row = &measured["rows"][0];
    assert_eq!(row["path"], "cpu");
    assert_eq!(row["particles"], 64);
    assert!(row["evaluations_per_second"].as_f64().unwrap() > 0.0);
    assert_eq!(row["mean"].as_array().unwrap().len(), 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn particle_counts_go_past_the_pages_cap_up_to_the_gpu_engines_and_no_further() {
    let out = Command::new(env!("CARGO_BIN_EXE_dp-bench"))
        .args(["--cpu_only", "--particles", "4194305"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "one particle more than the engine takes is refused");
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("4194305 particles: at most 4194304"), "{message}");
}
