//! `dp-sample` conditions on a measurement as the page does (`--observe`, `--observation`,
//! `--observation_noise`, `--posterior`): each method's samples and the exact posterior draws of
//! `--exact_posterior_samples` come out of the same command line, so anyone can measure a method
//! against the truth outside the project; a bad measurement is refused by name.

use std::process::Command;

use diffusion_playground::core::metrics::sliced_wasserstein;

const MEASUREMENT: [&str; 8] =
    ["--dataset", "two_moons", "--observe", "1,0", "--observation", "0.5", "--observation_noise", "0.2"];

fn dp_sample(extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dp-sample")).args(MEASUREMENT).args(extra).output().unwrap()
}

/// The points of dp-sample's CSV (`step,particle,x,y` or `sample,x,y`): the last two columns.
fn points(output: &std::process::Output) -> Vec<[f32; 2]> {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .map(|line| {
            let v: Vec<f32> = line.split(',').map(|c| c.parse().unwrap()).collect();
            [v[v.len() - 2], v[v.len() - 1]]
        })
        .collect()
}

#[test]
fn every_method_writes_samples_that_can_be_measured_against_exact_posterior_draws() {
    let exact = points(&dp_sample(&["--exact_posterior_samples", "1024", "--seed", "9"]));
    assert_eq!(exact.len(), 1024);
    // A measurement without --posterior is its exact posterior.
    let implied = points(&dp_sample(&[
        "--exact_posterior_samples",
        "1024",
        "--seed",
        "9",
        "--posterior",
        "exact",
        "--score",
        "exact",
    ]));
    assert_eq!(implied, exact);
    let prior = points(
        &Command::new(env!("CARGO_BIN_EXE_dp-sample"))
            .args(["--dataset", "two_moons", "--exact_posterior_samples", "1024", "--seed", "9"])
            .output()
            .unwrap(),
    );
    let prior_distance = sliced_wasserstein(&prior, &exact);
    // The exact posterior's score with the exact score; the others with the network.
    for (method, score) in [("exact", "exact"), ("dps", "mlp"), ("pigdm", "mlp"), ("smc", "mlp")] {
        let samples = points(&dp_sample(&[
            "--posterior",
            method,
            "--score",
            score,
            "--sampler",
            "euler_maruyama",
            "--steps",
            "64",
            "--particles",
            "1024",
        ]));
        let distance = sliced_wasserstein(&samples, &exact);
        assert!(distance < 0.5 * prior_distance, "{method}: SW2 {distance}, the prior {prior_distance}");
    }
}

#[test]
fn a_bad_measurement_or_an_impossible_combination_is_refused_by_name() {
    let cases: [(&[&str], &str); 5] = [
        (&["--posterior", "exact", "--score", "mlp"], "score exact or empirical"),
        (&["--observe", "1,0,2"], "'observe'"),
        (&["--observation", "0.5,1"], "'observation'"),
        (&["--observation_noise", "0"], "'observation_noise'"),
        (&["--posterior", "smc", "--sampler", "heun"], "'sampler'"),
    ];
    for (extra, field) in cases {
        let output = dp_sample(extra);
        assert!(!output.status.success(), "{extra:?} accepted");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(field), "{extra:?}: {message}");
    }
}
