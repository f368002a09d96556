//! Networks the tests need and the repository does not ship.

use std::path::Path;

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::mlp::{self, Architecture, Mlp};
use diffusion_playground::core::rng;
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::train::{self, TrainConfig};
use diffusion_playground::core::weights::TrainedNet;
use diffusion_playground::core::{embedded, safetensors_net};

/// Writes to `path` (and returns it) a two-moons network with Fourier features of its
/// coordinates (`Architecture::FOURIER`), trained for 300 steps, as a safetensors file.
pub fn with_coordinate_features(path: &Path) -> &Path {
    let config = TrainConfig { steps: 300, architecture: Architecture::FOURIER, ..TrainConfig::default() };
    let mlp = train::train(&Dataset::TwoMoons.mixture(), Schedule::VpLinear, &config, |_, _| {});
    let plain = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).expect("the embedded network");
    let net = TrainedNet { mlp, training_steps: config.steps, ..plain };
    std::fs::write(path, safetensors_net::to_bytes(&net, "two_moons")).expect("a writable scratch folder");
    path
}

/// An untrained network of `architecture` whose coordinate features' weights are random as well
/// (uniform in +-1/sqrt of the first layer's fan-in, features included): `Mlp::initialise_as`
/// starts them at zero, which would leave the features' part of every pass untested.
pub fn untrained(architecture: Architecture, seed: u32) -> Mlp {
    let mut mlp = Mlp::initialise_as(architecture, seed);
    let fan_in = (mlp::FEATURES + architecture.coordinate_features()) as f32;
    for (index, weight) in mlp.weights.iter_mut().enumerate().skip(mlp::WC) {
        let u = rng::uniform(rng::words(seed, index as u32, 1, rng::stream::INIT)[0]);
        *weight = (2.0 * u - 1.0) / fan_in.sqrt();
    }
    mlp
}

/// The weight files of the folder `DP_NETWORKS_DIR` names whose file name ends with `suffix`
/// (networks being tried out, `dp-train --out DIR`), by name, read and checked; `None` when the
/// variable is not set.
pub fn in_the_folder_of_dp_networks_dir(suffix: &str) -> Option<Vec<(String, TrainedNet)>> {
    let folder = std::env::var_os("DP_NETWORKS_DIR")?;
    let mut files: Vec<_> = std::fs::read_dir(&folder)
        .expect("DP_NETWORKS_DIR is a folder")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    let read = |file: std::path::PathBuf| {
        let net = TrainedNet::from_bytes(&std::fs::read(&file).expect("a readable weight file"))
            .expect("a weight file");
        (file.file_name().unwrap_or_default().to_string_lossy().into_owned(), net)
    };
    Some(files.into_iter().map(read).collect())
}
