//! The trained networks shipped inside the crate (and the wasm), one per dataset and schedule.
//! Regenerate them with `cargo xtask train`; each file records its seed and measured quality.
//!
//! The class-conditional networks (classifier-free guidance with the network) are embedded in
//! native builds only: the wasm leaves them out of its download (nine of them, about 100 KB
//! gzipped, for a choice few visitors make) and the page fetches them from `www/weights/` when
//! it first needs them, handing the bytes to [`provide_conditional`].

use std::sync::Mutex;

use crate::core::dataset::Dataset;
use crate::core::schedule::Schedule;
use crate::core::weights::{TrainedNet, WeightsError};

macro_rules! weights {
    ($file:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/weights/", $file))
    };
}

/// The raw bytes of the embedded weight file for `dataset` and `schedule`, where one was trained.
pub fn bytes(dataset: Dataset, schedule: Schedule) -> Option<&'static [u8]> {
    Some(match (dataset, schedule) {
        (Dataset::GaussianMixture, Schedule::VpLinear) => weights!("gaussian_mixture.vp_linear.dpw"),
        (Dataset::GaussianMixture, Schedule::RectifiedFlow) => {
            weights!("gaussian_mixture.rectified_flow.dpw")
        }
        (Dataset::TwoMoons, Schedule::VpLinear) => weights!("two_moons.vp_linear.dpw"),
        (Dataset::TwoMoons, Schedule::RectifiedFlow) => weights!("two_moons.rectified_flow.dpw"),
        (Dataset::Spiral, Schedule::VpLinear) => weights!("spiral.vp_linear.dpw"),
        (Dataset::Spiral, Schedule::RectifiedFlow) => weights!("spiral.rectified_flow.dpw"),
        (Dataset::Pinwheel, Schedule::VpLinear) => weights!("pinwheel.vp_linear.dpw"),
        (Dataset::TwoNormals1d, Schedule::VpLinear) => weights!("two_normals_1d.vp_linear.dpw"),
        (Dataset::Checkerboard, Schedule::VpLinear) => weights!("checkerboard.vp_linear.dpw"),
        (Dataset::Rings, Schedule::VpLinear) => weights!("rings.vp_linear.dpw"),
        (Dataset::Line, Schedule::VpLinear) => weights!("line.vp_linear.dpw"),
        (Dataset::Smiley, Schedule::VpLinear) => weights!("smiley.vp_linear.dpw"),
        _ => return None,
    })
}

/// The raw bytes of the embedded class-conditional network of `dataset` (VP-linear; every
/// dataset has one; `cargo xtask train --conditional` writes them). Native builds only.
#[cfg(not(target_arch = "wasm32"))]
pub fn conditional_bytes(dataset: Dataset) -> &'static [u8] {
    match dataset {
        Dataset::GaussianMixture => weights!("gaussian_mixture.vp_linear.conditional.dpw"),
        Dataset::TwoMoons => weights!("two_moons.vp_linear.conditional.dpw"),
        Dataset::Spiral => weights!("spiral.vp_linear.conditional.dpw"),
        Dataset::Pinwheel => weights!("pinwheel.vp_linear.conditional.dpw"),
        Dataset::TwoNormals1d => weights!("two_normals_1d.vp_linear.conditional.dpw"),
        Dataset::Checkerboard => weights!("checkerboard.vp_linear.conditional.dpw"),
        Dataset::Rings => weights!("rings.vp_linear.conditional.dpw"),
        Dataset::Line => weights!("line.vp_linear.conditional.dpw"),
        Dataset::Smiley => weights!("smiley.vp_linear.conditional.dpw"),
    }
}

/// Class-conditional networks handed over at run time ([`provide_conditional`]), by dataset.
static PROVIDED: Mutex<Vec<(Dataset, TrainedNet)>> = Mutex::new(Vec::new());

/// Makes `bytes` (a `.conditional.dpw` file, as [`crate::core::weights::conditional_file_name`]
/// names it) the class-conditional network of `dataset`: parsed, validated, and refused unless
/// it is conditioned on exactly the dataset's classes.
pub fn provide_conditional(dataset: Dataset, bytes: &[u8]) -> Result<(), String> {
    let net = TrainedNet::from_bytes(bytes).map_err(|e| e.to_string())?;
    let classes = crate::core::classes::classes(dataset).len();
    match &net.class_embedding {
        Some(embedding) if embedding.classes() == classes => {}
        other => {
            return Err(format!(
                "the class-conditional network of {} needs {classes} classes; the file has {}",
                dataset.name(),
                other
                    .as_ref()
                    .map_or("none (an unconditional network)".to_string(), |e| e.classes().to_string())
            ))
        }
    }
    let mut provided = PROVIDED.lock().unwrap_or_else(|e| e.into_inner());
    provided.retain(|(d, _)| *d != dataset);
    provided.push((dataset, net));
    Ok(())
}

/// True when the class-conditional network of `dataset` can be had: provided, or embedded (in
/// native builds).
pub fn has_conditional(dataset: Dataset) -> bool {
    cfg!(not(target_arch = "wasm32"))
        || PROVIDED.lock().unwrap_or_else(|e| e.into_inner()).iter().any(|(d, _)| *d == dataset)
}

/// The class-conditional network of `dataset` (trained with VP-linear; other schedules use it
/// through the log-SNR), parsed and validated: the one provided, else the embedded one (native
/// builds), else an error naming the file to fetch.
pub fn conditional_net(dataset: Dataset) -> Result<TrainedNet, WeightsError> {
    let provided = PROVIDED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, net)) = provided.iter().find(|(d, _)| *d == dataset) {
        return Ok(net.clone());
    }
    drop(provided);
    embedded_conditional(dataset)
}

/// The embedded class-conditional network of `dataset`.
#[cfg(not(target_arch = "wasm32"))]
fn embedded_conditional(dataset: Dataset) -> Result<TrainedNet, WeightsError> {
    TrainedNet::from_bytes(conditional_bytes(dataset))
}

/// The wasm embeds none: the file to fetch.
#[cfg(target_arch = "wasm32")]
fn embedded_conditional(dataset: Dataset) -> Result<TrainedNet, WeightsError> {
    Err(WeightsError::NotFetched(crate::core::weights::conditional_file_name(dataset, Schedule::VpLinear)))
}

/// Schedules with networks of their own (for some datasets); the others use the VP-linear network
/// through `schedule::equivalent_input` (same log-SNR, rescaled input).
pub const TRAINED_SCHEDULES: [Schedule; 2] = [Schedule::VpLinear, Schedule::RectifiedFlow];

/// The embedded network trained for `dataset` and `schedule`, parsed and validated.
pub fn net(dataset: Dataset, schedule: Schedule) -> Result<TrainedNet, WeightsError> {
    TrainedNet::from_bytes(bytes(dataset, schedule).unwrap_or_default())
}

/// The network that samples `dataset` with `schedule`: its own where one was trained, else the
/// VP-linear one, which every dataset has (its `schedule` field says which; samplers map times
/// through the log-SNR).
pub fn net_for(dataset: Dataset, schedule: Schedule) -> Result<TrainedNet, WeightsError> {
    let trained = if bytes(dataset, schedule).is_some() { schedule } else { Schedule::VpLinear };
    net(dataset, trained)
}
