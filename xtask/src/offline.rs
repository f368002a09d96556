//! The list of files the service worker (`www/sw.js`) keeps for offline use, written by
//! `cargo xtask build-wasm` to `www/offline-files.json`: every file the playground, the embed
//! page, the examples and the lessons may fetch, and the build they belong to (a checksum of
//! their names and contents). A new build has a new checksum, so the page registers the service
//! worker under a new URL and the new worker replaces the old cache (docs/offline.md).

use std::fs;
use std::path::Path;

use flate2::Crc;
use serde_json::json;

use crate::util::{err, Result};

/// Where the list is written, relative to `www/`.
pub const LIST: &str = "offline-files.json";

/// What is kept: the pages at the top of `www/` and these folders, whole.
const FOLDERS: [&str; 6] = ["js", "pkg", "weights", "vendor", "examples", "lessons"];
/// Top-level pages and files left out: the benchmark page, the service worker itself (the
/// browser fetches it on every update check) and the production build's header rules (for the
/// server, not the browser).
const LEFT_OUT: [&str; 3] = ["bench.html", "sw.js", "_headers"];
/// Files of no use to a visitor: TypeScript declarations and source maps.
const LEFT_OUT_SUFFIXES: [&str; 2] = [".d.ts", ".map"];

/// Writes `offline-files.json` for the files under `www` now (the sources in `www/`, or the
/// production build in `dist/`).
pub fn write_list(www: &Path) -> Result<()> {
    let mut files = Vec::new();
    for entry in read_dir(www)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && name != LIST && !LEFT_OUT.contains(&name.as_str()) {
            files.push(name);
        }
    }
    for folder in FOLDERS {
        collect(www, &www.join(folder), &mut files)?;
    }
    files.retain(|f| !LEFT_OUT_SUFFIXES.iter().any(|suffix| f.ends_with(suffix)));
    files.sort();
    let mut checksum = Crc::new();
    for file in &files {
        checksum.update(file.as_bytes());
        let bytes = fs::read(www.join(file)).map_err(|e| err(format!("could not read www/{file}: {e}")))?;
        checksum.update(&bytes);
    }
    // The directory itself is the playground's address too ("/" serves index.html).
    let mut urls: Vec<String> = vec!["./".into()];
    urls.extend(files.iter().cloned());
    let build = format!("{:08x}-{}", checksum.sum(), files.len());
    let list = json!({ "build": build, "files": urls });
    let text = serde_json::to_string_pretty(&list)
        .map_err(|e| err(format!("could not write the offline list: {e}")))?;
    fs::write(www.join(LIST), text).map_err(|e| err(format!("could not write www/{LIST}: {e}")))?;
    let site = www.file_name().map_or_else(String::new, |name| name.to_string_lossy().into_owned());
    println!("offline: {site}/{LIST} lists {} files (build {build})", files.len());
    Ok(())
}

/// Adds the files under `dir` (if it exists) to `files`, as paths relative to `www` with `/`.
fn collect(www: &Path, dir: &Path, files: &mut Vec<String>) -> Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    for entry in read_dir(dir)? {
        let path = entry.path();
        if path.is_dir() {
            collect(www, &path, files)?;
        } else if let Ok(relative) = path.strip_prefix(www) {
            let parts: Vec<String> =
                relative.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
            files.push(parts.join("/"));
        }
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Result<Vec<fs::DirEntry>> {
    fs::read_dir(dir)
        .and_then(|entries| entries.collect::<std::io::Result<Vec<_>>>())
        .map_err(|e| err(format!("could not list {}: {e}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_names_the_pages_and_folders_and_changes_with_any_file() {
        let www = std::env::temp_dir().join(format!("dp-offline-{}", std::process::id()));
        let _ = fs::remove_dir_all(&www);
        for (file, text) in [
            ("index.html", "page"),
            ("bench.html", "bench"),
            ("sw.js", "worker"),
            ("js/main.js", "main"),
            ("pkg/a.wasm", "wasm"),
            ("pkg/a.d.ts", "types"),
            ("bench/peers.js", "peers"),
        ] {
            let path = www.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        let read = || -> serde_json::Value {
            write_list(&www).unwrap();
            serde_json::from_str(&fs::read_to_string(www.join(LIST)).unwrap()).unwrap()
        };
        let first = read();
        assert_eq!(first["files"], json!(["./", "index.html", "js/main.js", "pkg/a.wasm"]));
        assert_eq!(read()["build"], first["build"], "the same files are the same build");
        fs::write(www.join("js/main.js"), "main, edited").unwrap();
        assert_ne!(read()["build"], first["build"], "an edited file is a new build");
        fs::remove_dir_all(&www).unwrap();
    }
}
