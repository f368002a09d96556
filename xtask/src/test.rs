//! `cargo xtask test`: the one command that runs every check, here and in CI.
//!
//! Steps run in order, each under a numbered heading, and the first failure stops the run. A
//! summary with each step's duration closes the output either way.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::prereqs::{self, Needs};
use crate::serve::{ServeOptions, StaticServer, STRICT_CSP};
use crate::util::{cargo, err, find_program, format_duration, repo_root, run, Result};
use crate::wasm::{self, WASM_TARGET};

/// Developer shortcuts; CI uses neither.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::Args)]
#[command(rename_all = "snake_case")]
pub struct Options {
    /// Skip cargo fmt and cargo clippy (and installing rustfmt and clippy)
    #[arg(long, alias = "skip-lint")]
    pub skip_lint: bool,
    /// Skip the type check and the browser tests (and installing Chromium, Xvfb, Node.js and npm
    /// packages, which both need)
    #[arg(long, alias = "skip-browser")]
    pub skip_browser: bool,
}

const STEPS: [&str; 7] = [
    "prerequisites",
    "cargo fmt",
    "cargo clippy (native and wasm32)",
    "cargo test (GPU tests on Vulkan)",
    "build-wasm",
    "typecheck (tsc --noEmit)",
    "browser tests",
];

/// Runs every step and prints the summary.
pub fn run_all(options: Options) -> Result<()> {
    let start = Instant::now();
    let mut steps = Steps::default();
    let result = run_steps(&mut steps, options);
    steps.print_summary(start.elapsed(), result.is_ok());
    result
}

fn run_steps(steps: &mut Steps, options: Options) -> Result<()> {
    let root = repo_root();
    let lint_skipped = options.skip_lint.then_some("--skip_lint");
    let browser_skipped = options.skip_browser.then_some("--skip_browser");

    let mut python = None;
    steps.run(None, || {
        prereqs::ensure(Needs {
            vulkan: true,
            browser: !options.skip_browser,
            lint: !options.skip_lint,
            wasm: true,
            python: true,
        })?;
        python = Some(prereqs::python_for_tests(&root)?);
        Ok(())
    })?;
    steps.run(lint_skipped, || run(cargo().args(["fmt", "--all", "--check"])))?;
    steps.run(lint_skipped, || {
        run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;
        // Both modules of the page: the full one and the first-frame one (`src/web/full.rs`).
        for features in [None, Some("--no-default-features")] {
            let mut clippy = cargo();
            clippy.args(["clippy", "-p", "diffusion-playground", "--lib", "--target", WASM_TARGET]);
            clippy.args(features).args(["--", "-D", "warnings"]);
            run(&mut clippy)?;
        }
        Ok(())
    })?;
    // With DP_REQUIRE_GPU=1 the GPU tests fail, instead of skipping, when no Vulkan adapter is
    // found; lavapipe (mesa-vulkan-drivers) provides one on machines without a GPU.
    // Likewise DP_REQUIRE_PYTHON=1 makes the tests that run Python fail rather than skip; they run
    // the virtual environment of DP_PYTHON (NumPy and safetensors).
    let python = python.expect("the prerequisites step found Python");
    steps.run(None, || {
        run(cargo()
            .args(["test", "--workspace"])
            .env("DP_REQUIRE_GPU", "1")
            .env("DP_REQUIRE_PYTHON", "1")
            .env("DP_PYTHON", &python))
    })?;
    steps.run(None, wasm::build)?;
    steps.run(browser_skipped, || typecheck(&root))?;
    steps.run(browser_skipped, || browser_tests(&root, &python))?;
    Ok(())
}

/// TypeScript's compiler, from npm (`typescript`, a devDependency), run with Node.js.
const TSC: &str = "node_modules/typescript/bin/tsc";

/// Type-checks the page's modules (`// @ts-check` JavaScript with JSDoc types) with `tsc --noEmit`
/// as `tsconfig.json` says, against the declarations build-wasm has just written to
/// `www/pkg/diffusion_playground.d.ts`, so a call into the wasm with the wrong arguments fails here.
/// The declarations themselves are checked first, without `skipLibCheck`: every type they name
/// (the serde types of what the wasm returns, derived by tsify) must be declared, or the page
/// would read that value as `any`.
fn typecheck(root: &Path) -> Result<()> {
    if !root.join(TSC).is_file() {
        return Err(err(format!(
            "{TSC} not found: install the npm packages of package-lock.json with `npm ci`"
        )));
    }
    run(Command::new("node").current_dir(root).args([
        TSC,
        "--ignoreConfig",
        "--noEmit",
        "--strict",
        "--lib",
        "ESNext,DOM",
        "www/pkg/diffusion_playground.d.ts",
    ]))?;
    run(Command::new("node").current_dir(root).args([TSC, "--noEmit", "-p", "tsconfig.json"]))
}

/// Serves `www/` in-process on a free port, under [`STRICT_CSP`] (so every page is tested as a
/// host with that policy would serve it), and runs the Node test files in `tests/browser/`
/// against it under a virtual X display, one file at a time, with `python` for the tests that
/// run an exported script.
fn browser_tests(root: &Path, python: &Path) -> Result<()> {
    if !root.join("tests").join("browser").is_dir() {
        return Err(err("tests/browser/ not found: there are no browser tests to run"));
    }
    let xvfb_run = find_program("xvfb-run").ok_or_else(|| {
        err("xvfb-run not found; install it with:\n\n    \
             sudo apt-get install -y --no-install-recommends xvfb xauth")
    })?;
    let server = StaticServer::start_with(
        root.join("www"),
        0,
        ServeOptions { csp: Some(STRICT_CSP), ..ServeOptions::default() },
    )
    .map_err(|e| err(format!("could not start the static server: {e}")))?;
    let url = server.url();
    println!("Serving www/ at {url} (Content-Security-Policy: {STRICT_CSP})");
    run(Command::new(xvfb_run)
        .current_dir(root)
        .env("DP_BASE_URL", &url)
        .env("DP_REQUIRE_PYTHON", "1")
        .env("DP_PYTHON", python)
        // xvfb-run's default screen is 8-bit, which Chromium renders poorly on.
        .args(["-a", "--server-args=-screen 0 1280x1024x24"])
        .args(["node", "--test", "--test-concurrency=1", "tests/browser/"]))
}

#[derive(Clone, Copy, Debug)]
enum Outcome {
    Passed(Duration),
    Failed(Duration),
    Skipped(&'static str),
}

/// The outcome of each step so far, in the order of [`STEPS`].
#[derive(Default)]
struct Steps {
    outcomes: Vec<Outcome>,
}

impl Steps {
    /// Runs the next step under its heading, unless `skip` gives the reason not to.
    fn run(&mut self, skip: Option<&'static str>, body: impl FnOnce() -> Result<()>) -> Result<()> {
        let index = self.outcomes.len();
        let name = STEPS[index];
        let heading = format!("==> [{}/{}] {name}", index + 1, STEPS.len());
        if let Some(reason) = skip {
            println!("\n{heading}: skipped ({reason})");
            self.outcomes.push(Outcome::Skipped(reason));
            return Ok(());
        }
        println!("\n{heading}");
        let start = Instant::now();
        let result = body();
        let elapsed = start.elapsed();
        match result {
            Ok(()) => {
                self.outcomes.push(Outcome::Passed(elapsed));
                Ok(())
            }
            Err(e) => {
                self.outcomes.push(Outcome::Failed(elapsed));
                Err(err(format!("step '{name}' failed: {e}")))
            }
        }
    }

    fn print_summary(&self, total: Duration, passed: bool) {
        println!("\n==> Summary");
        for (index, name) in STEPS.iter().enumerate() {
            let (label, time, note) = match self.outcomes.get(index) {
                Some(Outcome::Passed(t)) => ("ok", format_duration(*t), String::new()),
                Some(Outcome::Failed(t)) => ("FAILED", format_duration(*t), String::new()),
                Some(Outcome::Skipped(why)) => ("skipped", String::new(), format!(" [{why}]")),
                None => ("not run", String::new(), String::new()),
            };
            println!("    {label:<8} {time:>9}  {name}{note}");
        }
        let verdict = if passed { "all steps passed" } else { "FAILED" };
        println!("    {verdict} in {}", format_duration(total));
    }
}
