//! The command-line tools' `--help` (clap): the tools that take the playground's options list
//! every option of the table with what the table accepts (`options::allowed`, its own refusal
//! text) and the default, so a sampler or grid added to the table is documented there by itself;
//! every tool lists its own flags. An unknown flag is a usage error (status 2) that names it, and
//! a bad value of an option is still refused by the table, naming the field.

use std::process::{Command, Output};

use diffusion_playground::app::options::{self, Options, FIELDS};
use diffusion_playground::core::sampler::Sampler;
use diffusion_playground::core::timesteps::TimeGrid;

const SAMPLE: &str = env!("CARGO_BIN_EXE_dp-sample");
const LIKELIHOOD: &str = env!("CARGO_BIN_EXE_dp-likelihood");
const TRAIN: &str = env!("CARGO_BIN_EXE_dp-train");
const BENCH: &str = env!("CARGO_BIN_EXE_dp-bench");

/// Each tool with its own flags (those not of the options table).
const OWN_FLAGS: [(&str, &[&str]); 4] = [
    (
        SAMPLE,
        &[
            "from",
            "weights",
            "export_weights",
            "exact_posterior_samples",
            "guidance_interval",
            "emit",
            "trajectory",
            "format",
            "out",
            "device",
            "threads",
        ],
    ),
    (LIKELIHOOD, &["points", "data", "prior", "elbo", "draws", "out", "device", "weights"]),
    (
        TRAIN,
        &[
            "steps",
            "seed",
            "dataset",
            "schedule",
            "objective",
            "weighting",
            "time_sampling",
            "requantize",
            "out",
            "init",
            "likelihood_steps",
            "divergence_weight",
            "batch",
            "learning_rate",
            "final_learning_rate",
        ],
    ),
    (BENCH, &["cpu_only", "particles", "threads", "json", "write_plan"]),
];

fn run(exe: &str, args: &[&str]) -> Output {
    Command::new(exe).args(args).output().unwrap()
}

fn help(exe: &str) -> String {
    let out = run(exe, &["--help"]);
    assert_eq!(out.status.code(), Some(0), "{exe} --help succeeds");
    String::from_utf8(out.stdout).unwrap()
}

/// The entry of `--flag` in `help`: its line and its description, with the whitespace of the
/// layout collapsed (None when it is not listed).
fn entry(help: &str, flag: &str) -> Option<String> {
    let lines: Vec<&str> = help.lines().collect();
    let start = lines.iter().position(|line| {
        let line = line.trim_start();
        line.starts_with(&format!("--{flag} ")) || line == format!("--{flag}")
    })?;
    // Its description: indented lines (blank ones between paragraphs) up to the next flag or
    // heading.
    let rest = lines[start + 1..]
        .iter()
        .take_while(|l| (l.trim().is_empty() || l.starts_with(' ')) && !l.trim().starts_with('-'));
    let words: Vec<&str> =
        std::iter::once(lines[start]).chain(rest.copied()).flat_map(str::split_whitespace).collect();
    Some(words.join(" "))
}

#[test]
fn help_lists_every_option_of_the_table_with_what_it_accepts_and_its_default() {
    for exe in [SAMPLE, LIKELIHOOD] {
        let help = help(exe);
        assert!(help.contains("Usage: "), "{help}");
        for field in FIELDS {
            let entry = entry(&help, field).unwrap_or_else(|| panic!("{exe}: --{field} is listed\n{help}"));
            if field == "particles" && exe == LIKELIHOOD {
                assert!(entry.contains("not taken here"), "{entry}");
                continue;
            }
            if field != "class" {
                let allowed = options::allowed(field, &Options::default());
                let allowed = allowed.split_whitespace().collect::<Vec<_>>().join(" ");
                assert!(entry.contains(&allowed), "{exe}: --{field} says what it accepts: {entry}");
            }
        }
        let sampler = entry(&help, "sampler").unwrap();
        for s in Sampler::ALL {
            assert!(sampler.contains(s.name()), "{exe}: {} among the samplers", s.name());
        }
        let grid = entry(&help, "time_grid").unwrap();
        for g in TimeGrid::ALL {
            assert!(grid.contains(g.name()), "{exe}: {} among the grids", g.name());
        }
        let order = format!("an integer from 2 to 3 [default: {}]", Options::default().order);
        assert!(entry(&help, "order").unwrap().contains(&order), "{exe}");
    }
    // The defaults are each tool's: a likelihood run is Heun's on the Karras grid.
    assert!(entry(&help(SAMPLE), "sampler").unwrap().contains("[default: euler_maruyama]"));
    assert!(entry(&help(LIKELIHOOD), "sampler").unwrap().contains("[default: heun]"));
    assert!(entry(&help(SAMPLE), "seed").unwrap().contains("or random"));
}

#[test]
fn help_lists_every_own_flag_of_every_tool() {
    for (exe, flags) in OWN_FLAGS {
        let help = help(exe);
        for flag in flags {
            assert!(entry(&help, flag).is_some(), "{exe}: --{flag} is listed\n{help}");
        }
        // One spelling: no kebab-case flag is shown (the old ones are hidden aliases).
        let kebab = help
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("--"))
            .find(|l| l.split_whitespace().next().is_some_and(|flag| flag[2..].contains('-')));
        assert_eq!(kebab, None, "{exe}");
    }
    let prior = entry(&help(LIKELIHOOD), "prior").unwrap();
    assert!(prior.contains("gaussian") && prior.contains("exact"), "{prior}");
}

#[test]
fn an_unknown_flag_is_a_usage_error_that_names_it() {
    for (exe, _) in OWN_FLAGS {
        let out = run(exe, &["--no_such_flag", "1"]);
        assert_eq!(out.status.code(), Some(2), "{exe}");
        let message = String::from_utf8_lossy(&out.stderr);
        assert!(message.contains("'--no_such_flag'"), "{exe}: {message}");
        assert!(out.stdout.is_empty(), "{exe}");
    }
}

#[test]
fn a_bad_value_of_an_option_is_refused_by_the_table_naming_the_field() {
    for exe in [SAMPLE, LIKELIHOOD] {
        for (field, value) in [("sampler", "nope"), ("order", "5"), ("observation_noise", "-1")] {
            let out = run(exe, &[&format!("--{field}"), value]);
            assert_eq!(out.status.code(), Some(2), "{exe} --{field} {value}");
            let message = String::from_utf8_lossy(&out.stderr);
            assert!(message.contains(&format!("invalid option '{field}'")), "{exe}: {message}");
        }
    }
    // dp-sample's own values are checked by its flags.
    let out = run(SAMPLE, &["--format", "parquet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'--format <FORMAT>'"));
    let out = run(SAMPLE, &["--guidance_interval", "0.1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("two numbers LO,HI"));
    let out = run(LIKELIHOOD, &["--particles", "5"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("the points are --points or --data"));
}

#[test]
fn the_old_kebab_spellings_still_work() {
    // Refused for its value, not as an unknown flag.
    let out = run(TRAIN, &["--time-sampling", "sideways"]);
    assert_eq!(out.status.code(), Some(2));
    let message = String::from_utf8_lossy(&out.stderr);
    assert!(message.contains("invalid value 'sideways'") && message.contains("log_normal"), "{message}");
    let plan = std::env::temp_dir().join(format!("dp-bench-kebab-{}.json", std::process::id()));
    let out = run(BENCH, &["--write-plan", plan.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(plan.is_file());
    std::fs::remove_file(&plan).ok();
}
