//! Checks what `serve`, `build-wasm` and `test` need, and installs what is missing.
//!
//! Two kinds of things get installed:
//! - Debian packages (Vulkan on lavapipe, Chromium, Xvfb, Node.js). These need root: as root we
//!   run `apt-get`; otherwise we print the exact commands and stop.
//! - Per-user Rust tooling and npm packages (the wasm32 target, rustfmt, clippy, wasm-bindgen-cli,
//!   `node_modules/`). These only write to `~/.rustup`, `~/.cargo` and the repository, so they
//!   are installed for any user, each command echoed before it runs.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use crate::util::{cargo, cargo_install_bin_dir, err, find_program, probe, repo_root, run, Result};
use crate::wasm::WASM_TARGET;

/// Debian packages that give `cargo test` a Vulkan adapter without a GPU (lavapipe).
const VULKAN_PACKAGES: &[&str] = &["mesa-vulkan-drivers", "libvulkan1"];

/// Debian packages for the browser tests. `xauth` is only a Recommends of `xvfb`, which
/// `--no-install-recommends` skips, yet `xvfb-run` cannot start without it.
const BROWSER_PACKAGES: &[&str] = &["chromium", "chromium-driver", "xvfb", "xauth"];

/// Debian packages for the tests that run Python: NumPy (the exported NumPy scripts) and venv
/// (a virtual environment for the `safetensors` package, which Debian 12 does not package).
const PYTHON_PACKAGES: &[&str] = &["python3-numpy", "python3-venv"];

/// The version of Python's `safetensors` package the interoperability test writes files with.
const PYTHON_SAFETENSORS: &str = "safetensors==0.8.0";

/// The oldest Node.js with `node --test --test-concurrency` (20.10); playwright-core also needs 20.
const MIN_NODE: (u32, u32) = (20, 10);

/// Set to 1 to act as a non-root user even as root (to see the printed instructions).
const ASSUME_NON_ROOT_VAR: &str = "DP_XTASK_ASSUME_NON_ROOT";

/// What a task needs installed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Needs {
    /// A Vulkan driver for the GPU tests (lavapipe).
    pub vulkan: bool,
    /// Chromium, Xvfb, Node.js and the npm packages, for the type check (typescript) and the
    /// browser tests.
    pub browser: bool,
    /// rustfmt and clippy.
    pub lint: bool,
    /// The wasm32 target and wasm-bindgen-cli at the version in Cargo.lock.
    pub wasm: bool,
    /// Python 3 with NumPy and `safetensors` (in a virtual environment under `target/python`),
    /// for the tests that run exported scripts and read Python-written files.
    pub python: bool,
}

impl Needs {
    /// Enough to build the wasm (`serve`, `build-wasm`): no Debian packages.
    pub const WASM: Needs = Needs { vulkan: false, browser: false, lint: false, wasm: true, python: false };
}

/// Checks everything in `needs`, installs what is missing, and says what it found.
pub fn ensure(needs: Needs) -> Result<()> {
    let root = repo_root();
    let as_root = running_as_root();

    ensure_debian_packages(needs, as_root)?;
    if needs.browser {
        check_node_version()?;
    }
    if needs.wasm {
        ensure_wasm_target()?;
        ensure_wasm_bindgen(&root)?;
    }
    if needs.lint {
        ensure_lint_components()?;
    }
    if needs.browser {
        ensure_npm_packages(&root)?;
    } else if needs.wasm {
        // The page's own npm package (KaTeX) is welcome but not required to serve it.
        if find_program("npm").is_some() {
            if let Err(e) = ensure_npm_packages(&root) {
                println!(
                    "npm packages could not be installed ({e}); the formulas panel will show TeX source"
                );
            }
        } else {
            println!("npm not found: the formulas panel will show TeX source instead of typeset mathematics");
        }
    }
    Ok(())
}

/// True when we may run `apt-get`: uid 0, unless `DP_XTASK_ASSUME_NON_ROOT=1`.
fn running_as_root() -> bool {
    if std::env::var(ASSUME_NON_ROOT_VAR).is_ok_and(|v| v == "1") {
        return false;
    }
    probe(Command::new("id").arg("-u")).is_some_and(|uid| uid == "0")
}

// ---------------------------------------------------------------------------------------------
// Debian packages

fn ensure_debian_packages(needs: Needs, as_root: bool) -> Result<()> {
    let mut wanted: Vec<&str> = Vec::new();
    if needs.vulkan {
        wanted.extend(VULKAN_PACKAGES);
    }
    if needs.browser {
        wanted.extend(BROWSER_PACKAGES);
    }
    if needs.python {
        wanted.extend(PYTHON_PACKAGES);
    }

    let mut missing: Vec<&str> = Vec::new();
    if !wanted.is_empty() {
        if find_program("dpkg-query").is_some() {
            missing.extend(wanted.iter().filter(|package| !dpkg_installed(package)));
        } else {
            println!(
                "Not a Debian system (no dpkg-query): make sure these are installed: {}",
                wanted.join(" ")
            );
            wanted.clear();
        }
    }
    // Node.js and npm may come from elsewhere (NodeSource, nvm): look for the programs.
    if needs.browser {
        if find_program("node").is_none() {
            missing.push("nodejs");
        }
        if find_program("npm").is_none() {
            missing.push("npm");
        }
    }
    if missing.is_empty() {
        if !wanted.is_empty() {
            println!("Debian packages: all present ({})", wanted.join(" "));
        }
        return Ok(());
    }

    println!("Debian packages missing: {}", missing.join(" "));
    if !as_root {
        return Err(err(apt_instructions(&missing)));
    }
    run(Command::new("apt-get").arg("update"))?;
    run(Command::new("apt-get")
        .env("DEBIAN_FRONTEND", "noninteractive")
        .args(["install", "-y", "--no-install-recommends"])
        .args(&missing))
}

/// The Python the tests run: a virtual environment under `target/python` that sees the system's
/// NumPy and has `safetensors` installed from PyPI, created on first use.
pub fn python_for_tests(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target").join("python");
    let python = venv.join("bin").join("python");
    let ready = |python: &Path| {
        Command::new(python)
            .args(["-c", "import numpy, safetensors"])
            .output()
            .is_ok_and(|out| out.status.success())
    };
    if ready(&python) {
        println!("Python for the tests: {} (NumPy, safetensors)", python.display());
        return Ok(python);
    }
    // Debian's own Python, whose NumPy is the python3-numpy package (a pyenv shim on PATH may
    // lack both it and venv).
    let system = Some(PathBuf::from("/usr/bin/python3"))
        .filter(|p| p.is_file())
        .or_else(|| find_program("python3"))
        .ok_or_else(|| {
            err("python3 not found; install it with: sudo apt-get install -y python3-numpy python3-venv")
        })?;
    run(Command::new(&system).args(["-m", "venv", "--system-site-packages"]).arg(&venv))?;
    run(Command::new(venv.join("bin").join("pip")).args(["install", "--quiet", PYTHON_SAFETENSORS]))?;
    if !ready(&python) {
        return Err(err(format!("{} cannot import numpy and safetensors", python.display())));
    }
    Ok(python)
}

/// `dpkg-query -W -f='${Status}' PACKAGE` says `install ok installed` for an installed package;
/// it fails, or says e.g. `unknown ok not-installed`, otherwise.
fn dpkg_installed(package: &str) -> bool {
    probe(Command::new("dpkg-query").args(["-W", "-f=${Status}", package]))
        .is_some_and(|status| status == "install ok installed")
}

/// What a non-root user is told to run.
fn apt_instructions(missing: &[&str]) -> String {
    let list = missing.join(" ");
    format!(
        "these Debian packages are missing and installing them needs root:\n\
         \n    sudo apt-get update\
         \n    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {list}\n\
         \nRun those, then run this command again."
    )
}

// ---------------------------------------------------------------------------------------------
// Node.js and npm packages

fn check_node_version() -> Result<()> {
    let version = probe(Command::new("node").arg("--version"))
        .ok_or_else(|| err("`node --version` failed: is Node.js installed?"))?;
    let npm_version = probe(Command::new("npm").arg("--version"))
        .ok_or_else(|| err("`npm --version` failed: is npm installed?"))?;
    let Some(found) = parse_node_version(&version) else {
        return Err(err(format!("could not read the Node.js version from `node --version` ({version:?})")));
    };
    if found < MIN_NODE {
        let (major, minor) = MIN_NODE;
        return Err(err(format!(
            "the browser tests need Node.js {major}.{minor} or newer (for \
             `node --test --test-concurrency` and playwright-core), found {version}.\n\
             Debian 12's own `nodejs` package is Node.js 18: install Node.js 20 or newer (for \
             example NodeSource's `nodejs` package), then run this command again."
        )));
    }
    println!("Node.js {version}, npm {npm_version}");
    Ok(())
}

/// `v20.20.2` -> `(20, 20)`.
fn parse_node_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().trim_start_matches('v').split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

/// `npm ci` when the lockfile is newer than what `node_modules/` was installed from (or there is
/// no `node_modules/`), `npm install` when there is no lockfile, nothing when up to date.
fn ensure_npm_packages(root: &Path) -> Result<()> {
    if !root.join("package.json").is_file() {
        println!("npm packages: no package.json, nothing to install");
        return Ok(());
    }
    let mut npm = Command::new("npm");
    npm.current_dir(root);
    if !root.join("package-lock.json").is_file() {
        return run(npm.args(["install", "--no-audit", "--no-fund"]));
    }
    if node_modules_up_to_date(root) {
        println!("npm packages: node_modules/ matches package-lock.json");
        return Ok(());
    }
    run(npm.args(["ci", "--no-audit", "--no-fund"]))
}

/// npm writes `node_modules/.package-lock.json` on every install; it is stale when
/// `package.json` or `package-lock.json` changed after it.
fn node_modules_up_to_date(root: &Path) -> bool {
    let modified = |path: PathBuf| fs::metadata(path).and_then(|meta| meta.modified()).ok();
    let Some(installed) = modified(root.join("node_modules").join(".package-lock.json")) else {
        return false;
    };
    let newest_input = [root.join("package.json"), root.join("package-lock.json")]
        .into_iter()
        .filter_map(modified)
        .max()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    installed >= newest_input
}

// ---------------------------------------------------------------------------------------------
// Rust tooling

fn ensure_wasm_target() -> Result<()> {
    let installed =
        probe(Command::new("rustup").args(["target", "list", "--installed"])).ok_or_else(|| {
            err(format!(
                "`rustup target list --installed` failed: the wasm build needs rustup to add \
                 the {WASM_TARGET} target (install Rust with rustup)"
            ))
        })?;
    if installed.lines().any(|line| line.trim() == WASM_TARGET) {
        println!("Rust target {WASM_TARGET}: installed");
        return Ok(());
    }
    run(Command::new("rustup").args(["target", "add", WASM_TARGET]))
}

fn ensure_lint_components() -> Result<()> {
    let mut missing = Vec::new();
    if probe(cargo().args(["fmt", "--version"])).is_none() {
        missing.push("rustfmt");
    }
    if probe(cargo().args(["clippy", "--version"])).is_none() {
        missing.push("clippy");
    }
    if missing.is_empty() {
        println!("rustfmt, clippy: installed");
        return Ok(());
    }
    run(Command::new("rustup").args(["component", "add"]).args(&missing))
}

/// The `wasm-bindgen` program: the one `cargo install` puts in cargo's bin directory if there
/// is one, else the first on `PATH`.
pub fn wasm_bindgen_program() -> PathBuf {
    cargo_install_bin_dir()
        .map(|bin| bin.join("wasm-bindgen"))
        .filter(|path| path.is_file())
        .or_else(|| find_program("wasm-bindgen"))
        .unwrap_or_else(|| PathBuf::from("wasm-bindgen"))
}

/// The installed wasm-bindgen-cli version: `wasm-bindgen 0.2.130` -> `0.2.130`.
fn installed_wasm_bindgen_version() -> Option<String> {
    let output = probe(Command::new(wasm_bindgen_program()).arg("--version"))?;
    output.split_whitespace().nth(1).map(str::to_string)
}

/// wasm-bindgen-cli must match the `wasm-bindgen` crate exactly: the two share a schema that
/// changes between patch releases.
fn ensure_wasm_bindgen(root: &Path) -> Result<()> {
    let lock_path = root.join("Cargo.lock");
    let lock = fs::read_to_string(&lock_path)
        .map_err(|e| err(format!("could not read {}: {e}", lock_path.display())))?;
    let wanted = locked_version(&lock, "wasm-bindgen")
        .ok_or_else(|| err("Cargo.lock has no `wasm-bindgen` package"))?;

    match installed_wasm_bindgen_version() {
        Some(found) if found == wanted => {
            println!("wasm-bindgen-cli {wanted}: installed");
            return Ok(());
        }
        Some(found) => println!("wasm-bindgen-cli {found} found, Cargo.lock needs {wanted}"),
        None => println!("wasm-bindgen-cli not found, Cargo.lock needs {wanted}"),
    }
    // Not `--locked`: one of the dependencies pinned in wasm-bindgen-cli's own lockfile is no
    // longer in the registry.
    run(cargo().args(["install", "wasm-bindgen-cli", "--version", &wanted]))?;

    match installed_wasm_bindgen_version() {
        Some(found) if found == wanted => Ok(()),
        found => Err(err(format!(
            "after `cargo install`, {} reports version {}, not {wanted}: remove the other \
             wasm-bindgen from PATH",
            wasm_bindgen_program().display(),
            found.as_deref().unwrap_or("nothing")
        ))),
    }
}

/// The `version` of the `[[package]]` called `name` in a Cargo.lock (the first, if several).
fn locked_version(lock: &str, name: &str) -> Option<String> {
    let name_line = format!("name = \"{name}\"");
    lock.split("[[package]]")
        .find(|block| block.lines().any(|line| line.trim() == name_line))?
        .lines()
        .find_map(|line| {
            let value = line.trim().strip_prefix("version = \"")?;
            value.strip_suffix('"').map(str::to_string)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locked_version_finds_the_exact_package() {
        let lock = r#"
version = 4

[[package]]
name = "wasm-bindgen-futures"
version = "0.4.50"

[[package]]
name = "wasm-bindgen"
version = "0.2.130"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "cfg-if",
]
"#;
        assert_eq!(locked_version(lock, "wasm-bindgen").as_deref(), Some("0.2.130"));
        assert_eq!(locked_version(lock, "serde"), None);
    }

    #[test]
    fn the_workspace_lockfile_pins_wasm_bindgen() {
        let lock = fs::read_to_string(repo_root().join("Cargo.lock")).expect("Cargo.lock exists");
        assert!(locked_version(&lock, "wasm-bindgen").is_some());
    }

    #[test]
    fn node_versions_compare_by_major_then_minor() {
        assert_eq!(parse_node_version("v20.20.2\n"), Some((20, 20)));
        assert!(parse_node_version("v18.20.4").is_some_and(|v| v < MIN_NODE));
        assert!(parse_node_version("v20.9.0").is_some_and(|v| v < MIN_NODE));
        assert!(parse_node_version("v22.1.0").is_some_and(|v| v >= MIN_NODE));
        assert_eq!(parse_node_version("garbage"), None);
    }

    #[test]
    fn non_root_users_are_told_the_exact_apt_commands() {
        let text = apt_instructions(&["xvfb", "xauth"]);
        assert!(text.contains("sudo apt-get update"));
        assert!(text.contains(
            "sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends xvfb xauth"
        ));
    }

    #[test]
    fn node_modules_is_stale_once_the_lockfile_changes() {
        let dir = std::env::temp_dir().join(format!("xtask-npm-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("node_modules")).expect("mkdir");
        let touch = |name: &str, seconds: u64| {
            let file = fs::File::create(dir.join(name)).expect("create");
            let time = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
            file.set_modified(time).expect("set mtime");
        };
        touch("package.json", 1_000);
        touch("package-lock.json", 1_000);
        assert!(!node_modules_up_to_date(&dir), "nothing installed yet");
        touch("node_modules/.package-lock.json", 2_000);
        assert!(node_modules_up_to_date(&dir));
        touch("package-lock.json", 3_000);
        assert!(!node_modules_up_to_date(&dir), "lockfile changed after install");
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unknown_package_is_not_installed() {
        if find_program("dpkg-query").is_some() {
            assert!(!dpkg_installed("dp-xtask-no-such-package"));
        }
    }
}
