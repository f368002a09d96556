//! `cargo xtask stills`: the still images of the lessons' live figures, made by the page itself
//! (`xtask/stills.mjs` in Chromium), for print and for readers without JavaScript.

use std::process::Command;

use crate::prereqs::{self, Needs};
use crate::serve::StaticServer;
use crate::util::{err, repo_root, run, Result};
use crate::wasm;

/// `cargo xtask stills`: builds the wasm, serves `www/` and runs `xtask/stills.mjs`, which writes
/// the still image of every live figure of the lessons with the page's own PNG export.
pub fn run_all() -> Result<()> {
    prereqs::ensure(Needs { vulkan: false, browser: true, lint: false, wasm: true, python: false })?;
    wasm::build()?;
    let root = repo_root();
    let server = StaticServer::start(root.join("www"), 0)
        .map_err(|e| err(format!("could not start the static server: {e}")))?;
    run(Command::new("node").current_dir(&root).env("DP_BASE_URL", server.url()).arg("xtask/stills.mjs"))?;
    // The list of files kept for offline use names the new pictures' contents.
    crate::offline::write_list(&root.join("www"))
}
