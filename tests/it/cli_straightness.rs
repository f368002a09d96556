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
