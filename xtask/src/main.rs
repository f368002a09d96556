//! Developer tasks for Diffusion Playground, run as `cargo xtask <command>` (an alias in
//! `.cargo/config.toml`). `cargo xtask help` lists the commands.
//!
//! Modules: `prereqs` (checks and installs), `wasm` (build-wasm), `serve` (static server),
//! `test` (every check, as CI runs it), `train`, `bench` with `torch_peer` (PyTorch as a native
//! peer), and `util` (running commands, errors).

mod bench;
mod prereqs;
mod serve;
mod test;
mod torch_peer;
mod train;
mod util;
mod wasm;

use std::ffi::OsString;
use std::process::ExitCode;

use crate::prereqs::Needs;
use crate::serve::{ServeOptions, StaticServer, STRICT_CSP};
use crate::util::{err, repo_root, Result};

const USAGE: &str = "\
Developer tasks for Diffusion Playground.

Usage: cargo xtask <command> [options]

Commands:
  serve [--port N] [--no-build] [--csp]
      Install what the wasm build needs, build the wasm, and serve www/ on
      http://127.0.0.1:N/ (default 8000, else the next free port) until Ctrl-C.
      --no-build serves www/ as it is. --csp sends the header
      Content-Security-Policy: script-src 'self' 'wasm-unsafe-eval' on every
      response (the policy the browser tests run under).
  test [--skip-lint] [--skip-browser]
      Run every check, as CI does: prerequisites, cargo fmt, cargo clippy (native
      and wasm32), cargo test with the GPU tests on Vulkan, build-wasm, tsc --noEmit
      over the page's modules, and the browser tests in Chromium. Installs what is
      missing; Debian packages only as root, otherwise it prints the apt-get
      commands to run. --skip-browser skips tsc too (both need Node.js and npm).
      The two flags are for iterating locally; CI uses neither.
  build-wasm
      Build the library for wasm32 (release) and run wasm-bindgen into www/pkg/
      (the module, its JS glue and their TypeScript declarations); prints the
      module's size, raw and gzipped.
  bench
      Build the wasm and measure the playground's WebGPU and CPU paths natively and
      in Chromium, and peers running the same network: PyTorch on the CPU (pip,
      into bench/.venv) and TensorFlow.js in the page. Steps and network
      evaluations per second; JSON in bench/results/.
  train [ARGS...]
      Train the models: cargo run --release --bin dp-train -- ARGS
      (writes weights into weights/).
  help
      Show this text.
";

/// Port `serve` tries first.
const DEFAULT_PORT: u16 = 8000;
/// How many ports `serve` tries, counting up from the first, when they are busy.
const PORT_ATTEMPTS: u16 = 20;

#[derive(Debug, PartialEq, Eq)]
enum Task {
    Help,
    Serve { port: u16, build: bool, csp: bool },
    BuildWasm,
    Test(test::Options),
    Train(Vec<OsString>),
    Bench,
}

fn main() -> ExitCode {
    util::ensure_cargo_bin_on_path();
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let task = match parse(&args) {
        Ok(task) => task,
        Err(e) => {
            eprintln!("error: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(task) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("\nerror: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse(args: &[OsString]) -> Result<Task> {
    let Some((command, rest)) = args.split_first() else {
        return Ok(Task::Help);
    };
    let command = command.to_str().ok_or_else(|| err(format!("unknown command {command:?}")))?;
    if command == "train" {
        return Ok(Task::Train(rest.to_vec()));
    }
    let mut options = Vec::new();
    for arg in rest {
        let arg = arg.to_str().ok_or_else(|| err(format!("unexpected argument {arg:?}")))?;
        options.push(arg);
    }
    match command {
        "help" | "-h" | "--help" => Ok(Task::Help),
        "serve" => parse_serve(&options),
        "build-wasm" => match options.first() {
            None => Ok(Task::BuildWasm),
            Some(arg) => Err(err(format!("build-wasm takes no arguments, got `{arg}`"))),
        },
        "bench" => match options.first() {
            None => Ok(Task::Bench),
            Some(arg) => Err(err(format!("bench takes no arguments, got `{arg}`"))),
        },
        "test" => {
            let mut test_options = test::Options::default();
            for arg in options {
                match arg {
                    "--skip-lint" => test_options.skip_lint = true,
                    "--skip-browser" => test_options.skip_browser = true,
                    other => return Err(err(format!("unknown option for test: `{other}`"))),
                }
            }
            Ok(Task::Test(test_options))
        }
        other => Err(err(format!("unknown command `{other}`"))),
    }
}

fn parse_serve(options: &[&str]) -> Result<Task> {
    let mut port = DEFAULT_PORT;
    let mut build = true;
    let mut csp = false;
    let mut options = options.iter();
    while let Some(&arg) = options.next() {
        let value = match arg {
            "--no-build" => {
                build = false;
                continue;
            }
            "--csp" => {
                csp = true;
                continue;
            }
            "--port" => options.next().copied(),
            _ => match arg.strip_prefix("--port=") {
                Some(value) => Some(value),
                None => return Err(err(format!("unknown option for serve: `{arg}`"))),
            },
        };
        let value = value.ok_or_else(|| err("--port needs a number"))?;
        port =
            value.parse().map_err(|_| err(format!("--port: `{value}` is not a port number (0 to 65535)")))?;
    }
    Ok(Task::Serve { port, build, csp })
}

fn run(task: Task) -> Result<ExitCode> {
    match task {
        Task::Help => print!("{USAGE}"),
        Task::Serve { port, build, csp } => serve(port, build, csp)?,
        Task::BuildWasm => {
            prereqs::ensure(Needs::WASM)?;
            wasm::build()?;
        }
        Task::Test(options) => test::run_all(options)?,
        Task::Train(args) => return train::run(&args),
        Task::Bench => bench::run_all()?,
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo xtask serve`: build (unless `--no-build`), then serve `www/` until Ctrl-C, with the
/// strict Content-Security-Policy under `--csp`.
fn serve(port: u16, build: bool, csp: bool) -> Result<()> {
    if build {
        prereqs::ensure(Needs::WASM)?;
        wasm::build()?;
    }
    let www = repo_root().join("www");
    if !www.join("index.html").is_file() {
        eprintln!("warning: www/index.html does not exist yet; the page will answer 404");
    }
    let options = ServeOptions { csp: csp.then_some(STRICT_CSP) };
    let server = StaticServer::start_on_free_port(&www, port, PORT_ATTEMPTS, options)?;
    println!("Diffusion Playground: {}", server.url());
    if let Some(policy) = options.csp {
        println!("Every response carries Content-Security-Policy: {policy}");
    }
    server.wait();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_words(words: &[&str]) -> Result<Task> {
        let args: Vec<OsString> = words.iter().map(OsString::from).collect();
        parse(&args)
    }

    #[test]
    fn no_command_or_help_prints_usage() {
        assert_eq!(parse_words(&[]).ok(), Some(Task::Help));
        assert_eq!(parse_words(&["help"]).ok(), Some(Task::Help));
        assert_eq!(parse_words(&["--help"]).ok(), Some(Task::Help));
    }

    #[test]
    fn serve_takes_a_port_in_either_spelling() {
        let serve = |port, build| Some(Task::Serve { port, build, csp: false });
        assert_eq!(parse_words(&["serve"]).ok(), serve(8000, true));
        assert_eq!(parse_words(&["serve", "--port", "9000"]).ok(), serve(9000, true));
        assert_eq!(parse_words(&["serve", "--port=0", "--no-build"]).ok(), serve(0, false));
        assert!(parse_words(&["serve", "--port"]).is_err());
        assert!(parse_words(&["serve", "--port", "70000"]).is_err());
        assert!(parse_words(&["serve", "--open"]).is_err());
    }

    #[test]
    fn serve_csp_sends_the_strict_policy() {
        let parsed = parse_words(&["serve", "--csp", "--no-build", "--port", "9000"]).ok();
        assert_eq!(parsed, Some(Task::Serve { port: 9000, build: false, csp: true }));
    }

    #[test]
    fn test_flags_are_the_two_developer_shortcuts() {
        let parsed = parse_words(&["test", "--skip-browser", "--skip-lint"]).ok();
        let expected = test::Options { skip_lint: true, skip_browser: true };
        assert_eq!(parsed, Some(Task::Test(expected)));
        assert!(parse_words(&["test", "--fast"]).is_err());
    }

    #[test]
    fn train_passes_every_argument_through() {
        let parsed = parse_words(&["train", "--help", "--steps", "10"]).ok();
        let expected = ["--help", "--steps", "10"].map(OsString::from).to_vec();
        assert_eq!(parsed, Some(Task::Train(expected)));
    }

    #[test]
    fn unknown_commands_are_errors() {
        assert!(parse_words(&["deploy"]).is_err());
        assert!(parse_words(&["build-wasm", "--debug"]).is_err());
    }
}
