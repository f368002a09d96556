//! The "random" seed (`app::random_seed`): drawn from the platform, and once drawn a run is
//! reproducible from it, so `dp-sample --seed random` prints the seed it drew.

use std::collections::HashSet;
use std::process::Command;

use diffusion_playground::app::random_seed::random_seed;

#[test]
fn random_seeds_differ_from_draw_to_draw() {
    // 16 draws of a uniform u32 collide with probability below 3e-8.
    let seeds: HashSet<u32> = (0..16).map(|_| random_seed().unwrap()).collect();
    assert_eq!(seeds.len(), 16, "{seeds:?}");
}

#[test]
fn dp_sample_with_a_random_seed_prints_it_and_its_samples_are_those_of_that_seed() {
    let run = |seed: &str| {
        Command::new(env!("CARGO_BIN_EXE_dp-sample"))
            .args(["--particles", "32", "--steps", "5", "--score", "exact", "--seed", seed])
            .output()
            .unwrap()
    };
    let random = run("random");
    assert!(random.status.success(), "{}", String::from_utf8_lossy(&random.stderr));
    let stderr = String::from_utf8(random.stderr).unwrap();
    let seed = stderr.lines().find_map(|l| l.strip_prefix("seed ")).expect("the drawn seed is printed");
    let again = run(seed);
    assert!(again.status.success());
    assert_eq!(random.stdout, again.stdout, "the samples are those of seed {seed}");
    let bad = run("randomly");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("seed"), "the error names the seed");
}
