//! Developer tasks for Diffusion Playground, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`). `cargo xtask help` lists the commands.
//!
//! Modules: `prereqs` (checks and installs), `wasm` (build-wasm), `serve` (static server),
//! `test` (every check, as CI runs it), `train`, `bench` with `torch_peer` (PyTorch as a native
//! peer), `report` (the measured tables of the docs, here), and `util` (running commands, errors).

mod bench;
mod offline;
mod prereqs;
mod serve;
mod stills;
mod test;
mod torch_peer;
mod train;
mod util;
mod wasm;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{ArgAction, CommandFactory, Parser, Subcommand};

use crate::prereqs::Needs;
use crate::serve::{ServeOptions, StaticServer, ISOLATION_HEADERS, STRICT_CSP};
use crate::util::{repo_root, Result};

/// Developer tasks for Diffusion Playground.
#[derive(Parser, Debug)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Option<Task>,
}

/// Port `serve` tries first.
const DEFAULT_PORT: u16 = 8000;
/// How many ports `serve` tries, counting up from the first, when they are busy.
const PORT_ATTEMPTS: u16 = 20;

#[derive(Subcommand, Debug, PartialEq, Eq)]
enum Task {
    /// Install what the wasm build needs, build the wasm, and serve www/ until Ctrl-C
    ///
    /// Serves www/ on http://127.0.0.1:PORT/ (the next free port when it is taken).
    Serve {
        /// The port tried first
        #[arg(long, value_name = "N", default_value_t = DEFAULT_PORT)]
        port: u16,
        /// Serve www/ as it is, without building the wasm
        #[arg(long = "no_build", alias = "no-build", action = ArgAction::SetFalse)]
        build: bool,
        /// Send the header Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval' on every
        /// response (the policy the browser tests run under)
        #[arg(long)]
        csp: bool,
        /// Make the page cross-origin isolated (Cross-Origin-Opener-Policy: same-origin and
        /// Cross-Origin-Embedder-Policy: require-corp on every response)
        #[arg(long)]
        isolated: bool,
        /// Serve the production build, dist/ (bundled, minified, content-hashed names, which
        /// browsers may keep for a year), instead of the sources in www/
        #[arg(long)]
        dist: bool,
    },
    /// Build the library for wasm32 (release) and run wasm-bindgen into www/pkg/
    ///
    /// Writes the module, its JS glue and their TypeScript declarations; prints the module's
    /// size, raw and gzipped.
    BuildWasm,
    /// Run every check, as CI does
    ///
    /// Prerequisites, cargo fmt, cargo clippy (native and wasm32), cargo test with the GPU tests
    /// on Vulkan, build-wasm, tsc --noEmit over the page's modules, and the browser tests in
    /// Chromium. Installs what is missing; Debian packages only as root, otherwise it prints the
    /// apt-get commands to run. The two flags are for iterating locally; CI uses neither.
    Test(test::Options),
    /// Train the models: cargo run --release --bin dp-train -- ARGS (writes weights into weights/)
    ///
    /// Every argument goes to dp-train (`cargo xtask train --help` shows dp-train's help;
    /// `cargo xtask help train` this one).
    #[command(disable_help_flag = true)]
    Train {
        /// dp-train's arguments
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, value_name = "ARGS")]
        args: Vec<OsString>,
    },
    /// Measure the playground natively and in Chromium, with its peers
    ///
    /// Builds the wasm and measures the playground's WebGPU and CPU paths natively and in
    /// Chromium, and peers running the same network: PyTorch on the CPU (pip, into bench/.venv)
    /// and TensorFlow.js and ONNX Runtime Web in the page. Steps and network evaluations per
    /// second; JSON in bench/results/.
    Bench {
        /// Only the native wgpu path at 65,536 to 4,194,304 particles (steps/s, evaluations/s,
        /// GFLOP/s), as `bench/device-check.sh` runs it on a GPU machine
        #[arg(long = "native_gpu_only", alias = "native-gpu-only")]
        native_gpu_only: bool,
        /// Only the CPU rows in Chromium at 65,536 particles (our CPU path on the page's thread
        /// and on 1, 2, ... workers; ONNX Runtime Web's wasm on 1 thread and on every core) in a
        /// few minutes, then the views' row (the run's speed with each view open, CPU path and
        /// WebGPU); writes bench/results/quick.json, bench/results/views.json and bench/results/couplings.json
        #[arg(long, conflicts_with = "native_gpu_only")]
        quick: bool,
    },
    /// The still image of every live figure of the lessons (www/lessons/stills/ID.png), made by
    /// the page itself in Chromium: shown when printing and without JavaScript
    Stills,
    /// Print the measured tables of the docs: the report modules of the integration tests
    ///
    /// Runs the ignored tests of tests/it/*_report.rs (release build, one thread, output shown):
    /// sampler, guidance, posterior, likelihood, networks, couplings and drawings; NAME picks one (`cargo
    /// xtask report sampler`).
    Report {
        /// sampler, guidance, posterior, likelihood, networks, couplings or drawings (all when left out)
        #[arg(value_parser = REPORTS)]
        name: Option<String>,
    },
}

/// The report modules of the integration tests (`tests/it/<name>_report.rs`).
const REPORTS: [&str; 7] =
    ["sampler", "guidance", "posterior", "likelihood", "networks", "couplings", "drawings"];

fn main() -> ExitCode {
    util::ensure_cargo_bin_on_path();
    let task = match parse(std::env::args_os().skip(1)) {
        Ok(Some(task)) => task,
        Ok(None) => {
            // No command: the help, as `cargo xtask help` prints it.
            return match Cli::command().print_help() {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            };
        }
        // `--help` (exit status 0) or a usage error (2).
        Err(e) => e.exit(),
    };
    match run(task) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("\nerror: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The task of the command line after `cargo xtask` (None: no command).
fn parse<I>(args: I) -> std::result::Result<Option<Task>, clap::Error>
where
    I: IntoIterator,
    I::Item: Into<OsString> + Clone,
{
    let words = std::iter::once(OsString::from("xtask")).chain(args.into_iter().map(Into::into));
    Ok(Cli::try_parse_from(words)?.command)
}

fn run(task: Task) -> Result<ExitCode> {
    match task {
        Task::Serve { port, build, csp, isolated, dist } => serve(
            port,
            build,
            dist,
            ServeOptions { csp: csp.then_some(STRICT_CSP), isolated, hashed_immutable: dist },
        )?,
        Task::BuildWasm => {
            prereqs::ensure(Needs::WASM)?;
            wasm::build()?;
        }
        Task::Test(options) => test::run_all(options)?,
        Task::Train { args } => return train::run(&args),
        Task::Bench { native_gpu_only: true, .. } => bench::native_gpu()?,
        Task::Bench { native_gpu_only: false, quick } => bench::run_all(quick)?,
        Task::Report { name } => report(name.as_deref())?,
        Task::Stills => stills::run_all()?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask report [NAME]`: the ignored report tests of `tests/it/NAME_report.rs` (every
/// report without a name), built in release and run on one thread with their output shown.
fn report(name: Option<&str>) -> Result<()> {
    let filter = name.map_or_else(|| "_report::".to_string(), |n| format!("{n}_report::"));
    util::run(
        util::cargo().args(["test", "--release", "--test", "it", "--", "--ignored", "--nocapture"]).args([
            "--test-threads",
            "1",
            &filter,
        ]),
    )
}

/// `cargo xtask serve`: build (unless `--no_build`), then serve `www/` until Ctrl-C, with the
/// strict Content-Security-Policy under `--csp`, cross-origin isolated under `--isolated`.
fn serve(port: u16, build: bool, dist: bool, options: ServeOptions) -> Result<()> {
    if build {
        prereqs::ensure(Needs::WASM)?;
        wasm::build()?;
    }
    let site = repo_root().join(if dist { "dist" } else { "www" });
    if !site.join("index.html").is_file() {
        eprintln!("warning: {}/index.html does not exist yet; the page will answer 404", site.display());
    }
    let server = StaticServer::start_on_free_port(&site, port, PORT_ATTEMPTS, options)?;
    println!("Diffusion Playground: {}", server.url());
    if let Some(policy) = options.csp {
        println!("Every response carries Content-Security-Policy: {policy}");
    }
    if options.isolated {
        println!("Every response carries {ISOLATION_HEADERS:?}: the page is cross-origin isolated");
    }
    server.wait();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse_words(words: &[&str]) -> std::result::Result<Option<Task>, clap::Error> {
        parse(words.iter().copied())
    }

    fn task(words: &[&str]) -> Option<Task> {
        parse_words(words).ok().flatten()
    }

    #[test]
    fn no_command_or_help_prints_usage() {
        assert!(matches!(parse_words(&[]), Ok(None)));
        for words in [&["help"][..], &["--help"], &["-h"], &["help", "serve"], &["serve", "--help"]] {
            let kind = parse_words(words).err().map(|e| e.kind());
            assert_eq!(kind, Some(ErrorKind::DisplayHelp), "{words:?}");
        }
    }

    #[test]
    fn serve_takes_a_port_in_either_spelling() {
        let serve = |port, build| Some(Task::Serve { port, build, csp: false, isolated: false, dist: false });
        assert_eq!(task(&["serve"]), serve(8000, true));
        assert_eq!(task(&["serve", "--port", "9000"]), serve(9000, true));
        assert_eq!(task(&["serve", "--port=0", "--no_build"]), serve(0, false));
        // The old spelling still works.
        assert_eq!(task(&["serve", "--no-build"]), serve(8000, false));
        assert!(parse_words(&["serve", "--port"]).is_err());
        assert!(parse_words(&["serve", "--port", "70000"]).is_err());
        assert!(parse_words(&["serve", "--open"]).is_err());
    }

    #[test]
    fn serve_csp_sends_the_strict_policy() {
        let parsed = task(&["serve", "--csp", "--no_build", "--port", "9000"]);
        assert_eq!(
            parsed,
            Some(Task::Serve { port: 9000, build: false, csp: true, isolated: false, dist: false })
        );
        let production = task(&["serve", "--dist", "--no_build"]);
        assert_eq!(
            production,
            Some(Task::Serve { port: 8000, build: false, csp: false, isolated: false, dist: true })
        );
        let isolated = task(&["serve", "--isolated"]);
        assert_eq!(
            isolated,
            Some(Task::Serve { port: 8000, build: true, csp: false, isolated: true, dist: false })
        );
    }

    #[test]
    fn test_flags_are_the_two_developer_shortcuts() {
        let expected = Some(Task::Test(test::Options { skip_lint: true, skip_browser: true }));
        assert_eq!(task(&["test", "--skip_browser", "--skip_lint"]), expected);
        assert_eq!(task(&["test", "--skip-browser", "--skip-lint"]), expected, "the old spelling");
        assert_eq!(task(&["test"]), Some(Task::Test(test::Options::default())));
        assert!(parse_words(&["test", "--fast"]).is_err());
    }

    #[test]
    fn train_passes_every_argument_through() {
        let parsed = task(&["train", "--help", "--steps", "10"]);
        let expected = ["--help", "--steps", "10"].map(OsString::from).to_vec();
        assert_eq!(parsed, Some(Task::Train { args: expected }));
        assert_eq!(task(&["train"]), Some(Task::Train { args: Vec::new() }));
    }

    #[test]
    fn unknown_commands_are_usage_errors() {
        for words in [&["deploy"][..], &["build-wasm", "--debug"], &["bench", "--fast"]] {
            let error = parse_words(words).err().unwrap();
            assert_eq!(error.exit_code(), 2, "{words:?}");
        }
        assert_eq!(task(&["build-wasm"]), Some(Task::BuildWasm));
        assert_eq!(task(&["stills"]), Some(Task::Stills));
        assert_eq!(task(&["bench"]), Some(Task::Bench { native_gpu_only: false, quick: false }));
        assert_eq!(
            task(&["bench", "--native-gpu-only"]),
            Some(Task::Bench { native_gpu_only: true, quick: false })
        );
        assert_eq!(task(&["bench", "--quick"]), Some(Task::Bench { native_gpu_only: false, quick: true }));
        assert!(parse_words(&["bench", "--quick", "--native_gpu_only"]).is_err());
        assert_eq!(task(&["report"]), Some(Task::Report { name: None }));
        assert_eq!(task(&["report", "sampler"]), Some(Task::Report { name: Some("sampler".into()) }));
        assert!(parse_words(&["report", "speed"]).is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
