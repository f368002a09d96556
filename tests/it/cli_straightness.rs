//! `dp-sample`'s summary on stderr: the run's straightness next to the exact flow's for a
//! deterministic sampler (equal with the exact score), and why there is none for a stochastic one.

use std::process::Command;

fn summary(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_dp-sample"))
        .args(["--dataset", "two_moons", "--steps", "20", "--particles", "300"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or_default().to_string()
}

/// The number after `key` in `line`.
fn number_after(line: &str, key: &str) -> f64 {
    let rest = &line[line.find(key).unwrap_or_else(|| panic!("{key} in {line}")) + key.len()..];
    rest.split(|c: char| c != '.' && c != '-' && !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

#[test]
fn a_deterministic_run_reports_its_straightness_next_to_the_exact_flows() {
    let exact = summary(&["--sampler", "heun", "--score", "exact"]);
    assert!(exact.starts_with("dp-sample: heun, 20 steps, 39 evaluations: straightness="), "{exact}");
    assert_eq!(number_after(&exact, "straightness="), number_after(&exact, "exact flow "), "{exact}");
    assert!(exact.contains("over 300 paths"), "{exact}: every particle when there are fewer than 512");
    let learned = summary(&["--sampler", "ddim", "--eta", "0"]);
    assert!(number_after(&learned, "straightness=") > 0.0, "{learned}");
    let stochastic = summary(&["--sampler", "euler_maruyama"]);
    assert!(stochastic.ends_with("straightness=none (a deterministic run for a straightness (an ODE solver, DDIM with eta 0, no churn): a run that draws noise has no smooth path)"), "{stochastic}");
}

/// `dp-train --coupling ot` and `--reflow FILE` write flows that `dp-sample` reads straighter
/// than the independent flow they are measured against; bad reflows are refused naming the
/// problem and write nothing.
#[test]
fn coupled_and_reflowed_flows_from_the_command_line() {
    let dir = std::env::temp_dir().join(format!("dp-cli-flows-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let train = |args: &[&str], out: &str| {
        let path = dir.join(out);
        let done = Command::new(env!("CARGO_BIN_EXE_dp-train"))
            .args(["--schedule", "rectified_flow", "--objective", "velocity", "--steps", "800"])
            .args(args)
            .arg("--out")
            .arg(&path)
            .output()
            .unwrap();
        (path, done)
    };
    let gaussians = ["--dataset", "gaussian_mixture"];
    let (independent, done) = train(&gaussians, "independent.safetensors");
    assert!(done.status.success(), "{}", String::from_utf8_lossy(&done.stderr));
    let (ot, done) = train(&["--dataset", "gaussian_mixture", "--coupling", "ot"], "ot.safetensors");
    assert!(String::from_utf8_lossy(&done.stdout).contains("(ot coupling, velocity)"));
    let teacher = independent.to_str().unwrap().to_string();
    let (reflowed, done) = train(&["--reflow", &teacher], "reflow.safetensors");
    assert!(
        String::from_utf8_lossy(&done.stderr).contains("reflow pairs from"),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let straightness = |file: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_dp-sample"))
            .args([
                "--schedule",
                "rectified_flow",
                "--sampler",
                "heun",
                "--steps",
                "8",
                "--particles",
                "512",
                "--weights",
            ])
            .arg(file)
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&out.stderr).to_string();
        assert!(out.status.success(), "{said}");
        number_after(said.lines().last().unwrap(), "straightness=")
    };
    let s = [straightness(&independent), straightness(&ot), straightness(&reflowed)];
    assert!(s[1] < 0.25 * s[0] && s[2] < 0.25 * s[0], "independent, OT, reflow: {s:?}");
    // A consistency model distilled from the independent flow, sampled in one step; it has no score.
    let (distilled, done) = train(&["--distill", &teacher], "consistency.safetensors");
    let said = String::from_utf8_lossy(&done.stdout).to_string() + &String::from_utf8_lossy(&done.stderr);
    assert!(
        said.contains("consistency model: 800 steps") && said.contains("in one step, the teacher's"),
        "{said}"
    );
    let one_step = Command::new(env!("CARGO_BIN_EXE_dp-sample"))
        .args([
            "--schedule",
            "rectified_flow",
            "--sampler",
            "probability_flow_euler",
            "--steps",
            "1",
            "--weights",
        ])
        .arg(&distilled)
        .output()
        .unwrap();
    assert!(one_step.status.success(), "{}", String::from_utf8_lossy(&one_step.stderr));
    let noisy =
        Command::new(env!("CARGO_BIN_EXE_dp-sample")).arg("--weights").arg(&distilled).output().unwrap();
    assert!(String::from_utf8_lossy(&noisy.stderr)
        .contains("trained with the consistency coupling: it has a velocity but no score"));
    // Bad reflows.
    let (_, done) = train(&["--reflow", &teacher, "--dataset", "spiral"], "x.safetensors");
    assert!(String::from_utf8_lossy(&done.stderr)
        .contains("the teacher learned gaussian_mixture, not --dataset spiral"));
    let eps = dir.join("eps.safetensors");
    let made = Command::new(env!("CARGO_BIN_EXE_dp-train"))
        .args(["--dataset", "gaussian_mixture", "--steps", "50", "--out"])
        .arg(&eps)
        .output()
        .unwrap();
    assert!(made.status.success());
    let (_, done) = train(&["--reflow", eps.to_str().unwrap()], "y.safetensors");
    assert!(String::from_utf8_lossy(&done.stderr)
        .contains("the teacher is a flow (velocity on rectified_flow); this one is eps on vp_linear"));
    assert!(!dir.join("x.safetensors").exists() && !dir.join("y.safetensors").exists(), "nothing written");
    let (_, done) =
        train(&["--dataset", "gaussian_mixture", "--coupling", "sb", "--bridge_sigma", "0"], "z.safetensors");
    assert!(String::from_utf8_lossy(&done.stderr)
        .contains("bridge sigma 0: the Schrödinger bridge takes 0.05 to 5"));
    std::fs::remove_dir_all(&dir).unwrap();
}
