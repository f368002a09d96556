//! `cargo xtask build-wasm`: the release wasm build, its JS glue and the glue's TypeScript
//! declarations (`diffusion_playground.d.ts`, which `tsc` checks the page against), written to
//! `www/pkg/`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::prereqs::wasm_bindgen_program;
use crate::util::{cargo, err, format_bytes, repo_root, run, Result};

/// The target the page's wasm is built for.
pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// The crate's library name, which names the `.wasm` cargo writes.
const LIB_NAME: &str = "diffusion_playground";

/// The two builds of the module the page chooses between (`www/js/wasm-module.js`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Build {
    /// SIMD128, every operation IEEE-exact (`.cargo/config.toml`'s flags): every browser with
    /// WebAssembly SIMD runs it.
    Simd128,
    /// SIMD128 and relaxed SIMD: the network's multiply-adds as `f32x4.relaxed_madd` (fused where
    /// the hardware has FMA; `core::simd`), for browsers that validate it.
    RelaxedSimd,
}

impl Build {
    /// Where wasm-bindgen writes the build's module and JS glue below the module's folder.
    fn sub_dir(self) -> &'static str {
        match self {
            Build::Simd128 => "",
            Build::RelaxedSimd => "relaxed-simd",
        }
    }

    /// The rustflags of the build (`None`: `.cargo/config.toml`'s), and its own target
    /// directory below cargo's, so the two builds do not rebuild each other.
    fn flags(self) -> Option<(&'static str, &'static str)> {
        match self {
            Build::Simd128 => None,
            Build::RelaxedSimd => Some(("-C target-feature=+simd128,+relaxed-simd", "relaxed-simd")),
        }
    }
}

/// The two modules of each build: the page draws its first frame with the small one, then moves
/// onto the full one (`www/js/wasm-module.js`, `src/web/full.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Module {
    /// Every binding (the crate's default `full` feature).
    Full,
    /// Without `src/web/full.rs` (`--no-default-features`): what the first frame needs.
    FirstFrame,
}

impl Module {
    /// The module's folder, relative to the repository root.
    fn out_dir(self) -> &'static str {
        match self {
            Module::Full => "www/pkg",
            Module::FirstFrame => "www/pkg/first-frame",
        }
    }
}

/// Builds the library for wasm32 in release mode four times (SIMD128, and SIMD128 with relaxed
/// SIMD; each as the full module and as the first-frame module), runs wasm-bindgen into
/// `www/pkg/`, `www/pkg/relaxed-simd/`, `www/pkg/first-frame/` and
/// `www/pkg/first-frame/relaxed-simd/` (module, glue and `.d.ts`), and prints the size of each
/// module (a visitor downloads one build's two). Expects the prerequisites.
pub fn build() -> Result<()> {
    let root = repo_root();
    for variant in [Build::Simd128, Build::RelaxedSimd] {
        for module in [Module::FirstFrame, Module::Full] {
            build_variant(&root, variant, module)?;
        }
    }
    copy_katex(&root)?;
    copy_networks(&root)?;
    copy_muxers(&root)?;
    crate::offline::write_list(&root.join("www"))?;
    bundle(&root)
}

/// The production build's script (esbuild from npm): `www/` to `dist/` (`xtask/bundle.mjs`).
const BUNDLER: &str = "xtask/bundle.mjs";

/// Writes the production build, `dist/`, with `xtask/bundle.mjs` (the page's modules bundled and
/// minified, content-hashed names) and its list of files for offline use; without esbuild (npm
/// not run) there is none, and it says so.
fn bundle(root: &Path) -> Result<()> {
    if !root.join("node_modules/esbuild").is_dir() {
        println!("dist: node_modules/esbuild is missing (npm not run); no production build");
        return Ok(());
    }
    run(Command::new("node").current_dir(root).arg(BUNDLER))?;
    crate::offline::write_list(&root.join("dist"))
}

/// One build of one module: cargo, wasm-bindgen, wasm-opt, its size. Both modules of a build
/// share its target directory (cargo keeps each feature set's artifact and copies the one just
/// built to where wasm-bindgen reads it).
fn build_variant(root: &Path, variant: Build, module: Module) -> Result<()> {
    let mut build = cargo();
    build.args(["build", "--lib", "--release", "--target", WASM_TARGET, "-p", "diffusion-playground"]);
    if module == Module::FirstFrame {
        build.arg("--no-default-features");
    }
    let mut target = target_dir(root);
    if let Some((flags, folder)) = variant.flags() {
        // Overrides `[target.wasm32-unknown-unknown] rustflags` of .cargo/config.toml.
        build.env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS", flags);
        target = target.join(folder);
        build.arg("--target-dir").arg(&target);
    }
    run(&mut build)?;

    let wasm = target.join(WASM_TARGET).join("release").join(format!("{LIB_NAME}.wasm"));
    let out_dir = Path::new(module.out_dir()).join(variant.sub_dir());
    run(Command::new(wasm_bindgen_program())
        .current_dir(root)
        .args(["--target", "web", "--out-dir"])
        .arg(&out_dir)
        .arg(relative_to(&wasm, root)))?;

    let module = root.join(&out_dir).join(format!("{LIB_NAME}_bg.wasm"));
    optimise(root, &module)?;
    print_size(&module)
}

/// Where the page fetches the networks the wasm leaves out (`core::embedded`).
const NETWORKS_OUT_DIR: &str = "www/weights";

/// Copies the networks (`weights/*.dpw`) to `www/weights/`: the wasm embeds only the default
/// link's, the page fetches the one a run needs.
fn copy_networks(root: &Path) -> Result<()> {
    let out = root.join(NETWORKS_OUT_DIR);
    fs::create_dir_all(&out).map_err(|e| err(format!("cannot create {}: {e}", out.display())))?;
    let mut copied = 0;
    let entries =
        fs::read_dir(root.join("weights")).map_err(|e| err(format!("cannot read weights/: {e}")))?;
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().ends_with(".dpw") {
            let from = entry.path();
            fs::copy(&from, out.join(&name))
                .map_err(|e| err(format!("could not copy {}: {e}", from.display())))?;
            copied += 1;
        }
    }
    println!("networks: {copied} copied to {NETWORKS_OUT_DIR}/ (fetched by the page when a run needs one)");
    Ok(())
}

/// binaryen's wasm-opt, from npm (a JavaScript build of it, run with Node.js).
const WASM_OPT: &str = "node_modules/binaryen/bin/wasm-opt";

/// Shrinks the module in place with `wasm-opt -Oz` where npm installed binaryen (about a quarter
/// smaller, gzipped too); without it the module is served as rustc and wasm-bindgen wrote it.
fn optimise(root: &Path, module: &Path) -> Result<()> {
    let wasm_opt = root.join(WASM_OPT);
    if !wasm_opt.is_file() {
        println!("wasm-opt: {WASM_OPT} is missing (npm not run); the module is not size-optimised");
        return Ok(());
    }
    let before = fs::metadata(module).map(|m| m.len()).unwrap_or(0);
    run(Command::new("node")
        .current_dir(root)
        .arg(WASM_OPT)
        .arg("-Oz")
        .arg(relative_to(module, root))
        .arg("-o")
        .arg(relative_to(module, root)))?;
    let after = fs::metadata(module).map(|m| m.len()).unwrap_or(0);
    println!("wasm-opt -Oz: {} -> {}", format_bytes(before), format_bytes(after));
    Ok(())
}

/// Where the page finds KaTeX (from npm), relative to the repository root.
const KATEX_OUT_DIR: &str = "www/vendor/katex";

/// Copies KaTeX's ES module, stylesheet and WOFF2 fonts from `node_modules/katex/dist/` to
/// `www/vendor/katex/`, so the page serves them itself (no CDN). Without them (npm missing) the
/// formulas panel shows the TeX source instead, and says so.
fn copy_katex(root: &Path) -> Result<()> {
    let dist = root.join("node_modules/katex/dist");
    if !dist.join("katex.mjs").is_file() {
        println!(
            "KaTeX: node_modules/katex is missing (npm not run); the formulas panel will show TeX source"
        );
        return Ok(());
    }
    let out = root.join(KATEX_OUT_DIR);
    let fonts = out.join("fonts");
    fs::create_dir_all(&fonts).map_err(|e| err(format!("could not create {}: {e}", fonts.display())))?;
    let copy = |from: PathBuf, to: PathBuf| {
        fs::copy(&from, &to).map(|_| ()).map_err(|e| err(format!("could not copy {}: {e}", from.display())))
    };
    copy(dist.join("katex.mjs"), out.join("katex.mjs"))?;
    copy(dist.join("katex.min.css"), out.join("katex.min.css"))?;
    let entries =
        fs::read_dir(dist.join("fonts")).map_err(|e| err(format!("could not list KaTeX fonts: {e}")))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "woff2") {
            copy(path.clone(), fonts.join(entry.file_name()))?;
        }
    }
    println!("KaTeX: copied to {KATEX_OUT_DIR}/");
    Ok(())
}

/// The video muxers the recorder loads (`www/js/recorder.js`): npm package, ES module in it.
const MUXERS: [(&str, &str); 2] =
    [("mp4-muxer", "build/mp4-muxer.mjs"), ("webm-muxer", "build/webm-muxer.mjs")];

/// Copies the muxers' ES modules from `node_modules/` to `www/vendor/<package>/`, so the page
/// serves them itself. Without them (npm missing) recordings fall back to MediaRecorder's WebM.
fn copy_muxers(root: &Path) -> Result<()> {
    for (package, module) in MUXERS {
        let from = root.join("node_modules").join(package).join(module);
        if !from.is_file() {
            println!("{package}: node_modules/{package} is missing (npm not run); videos fall back to MediaRecorder");
            continue;
        }
        let out = root.join("www/vendor").join(package);
        fs::create_dir_all(&out).map_err(|e| err(format!("could not create {}: {e}", out.display())))?;
        let name = from.file_name().expect("a module file name");
        fs::copy(&from, out.join(name))
            .map_err(|e| err(format!("could not copy {}: {e}", from.display())))?;
        println!("{package}: copied to www/vendor/{package}/");
    }
    Ok(())
}

/// Cargo's target directory: `$CARGO_TARGET_DIR` (relative to the root, where cargo runs) or
/// `target/`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

/// `path` relative to `base` when it lies inside it, for shorter command lines.
fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base).unwrap_or(path).to_path_buf()
}

/// Prints the raw and gzipped size of the module (what a server with compression would send).
fn print_size(wasm: &Path) -> Result<()> {
    let bytes = fs::read(wasm).map_err(|e| err(format!("could not read {}: {e}", wasm.display())))?;
    let gzipped = gzip_len(&bytes).map_err(|e| err(format!("gzip failed: {e}")))?;
    println!(
        "{}: {} ({} bytes), gzipped {} ({} bytes)",
        relative_to(wasm, &repo_root()).display(),
        format_bytes(bytes.len() as u64),
        bytes.len(),
        format_bytes(gzipped as u64),
        gzipped,
    );
    Ok(())
}

/// Length of `bytes` gzipped at the default level, compressed in memory.
fn gzip_len(bytes: &[u8]) -> std::io::Result<usize> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repetitive_data_gzips_small() {
        let data = vec![7u8; 100_000];
        let len = gzip_len(&data).expect("in-memory gzip cannot fail");
        assert!(len < 1_000, "gzipped length {len}");
    }

    #[test]
    fn paths_inside_the_root_are_shown_relative() {
        let root = Path::new("/repo");
        assert_eq!(relative_to(&root.join("target/x.wasm"), root), Path::new("target/x.wasm"));
        assert_eq!(relative_to(Path::new("/elsewhere/x.wasm"), root), Path::new("/elsewhere/x.wasm"));
    }
}
