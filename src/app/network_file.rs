//! Network files as the command-line tools read them (`--weights FILE`): a safetensors file of
//! `core::safetensors_net`, or a `.dpw` file of `cargo xtask train` (`core::weights`), checked
//! for size before it is read.

use std::path::Path;

use crate::core::safetensors_net::{self, ImportedNet};
use crate::core::weights::TrainedNet;

/// Largest network file read: the real one is about 24 KB (5,506 f32 and a 2 KB header).
pub const MAX_NETWORK_FILE_BYTES: u64 = 1 << 20;

/// The network in the file at `path`; an error names the file and what is wrong.
pub fn read_network(path: &Path) -> Result<ImportedNet, String> {
    let shown = path.display();
    let size = std::fs::metadata(path).map_err(|e| format!("cannot read {shown}: {e}"))?.len();
    if size > MAX_NETWORK_FILE_BYTES {
        return Err(format!(
            "{shown} is {size} bytes; a network file is about 24 KB (at most {MAX_NETWORK_FILE_BYTES})"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {shown}: {e}"))?;
    if path.extension().is_some_and(|e| e == "dpw") {
        let net = TrainedNet::from_bytes(&bytes).map_err(|e| format!("{shown}: {e}"))?;
        return Ok(ImportedNet {
            mlp: net.mlp,
            parametrization: net.parametrization,
            schedule: net.schedule,
            dataset: Some(net.dataset),
            training_seed: net.training_seed,
            training_steps: net.training_steps,
            quality: net.quality,
            class_embedding: net.class_embedding,
            coupling: net.coupling,
        });
    }
    safetensors_net::from_bytes(&bytes).map_err(|e| format!("{shown}: {e}"))
}
