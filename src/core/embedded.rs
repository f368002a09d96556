//! The trained networks shipped inside the crate, one per dataset and schedule ([`TRAINED`]).
//! Regenerate them with `cargo xtask train`; each file records its seed and measured quality.
//!
//! Native builds embed them all. The wasm embeds only the default link's network (two moons,
//! VP-linear: the first frame and the automatic backend's timing need no fetch); the page fetches
//! the others from `www/weights/` the first time a run needs one and hands the bytes to
//! [`provide`] (eleven of them, about 120 KB that gzip cannot shrink). The class-conditional
//! networks (classifier-free guidance with the network) are likewise left out of the wasm and
//! handed to [`provide_conditional`].

use std::sync::Mutex;

use crate::core::dataset::Dataset;
use crate::core::schedule::Schedule;
use crate::core::weights::{TrainedNet, WeightsError};

macro_rules! weights {
    ($file:literal) => {
        include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/weights/", $file))
    };
}

/// Every dataset and schedule with a trained network of its own (its file in `weights/`).
pub const TRAINED: [(Dataset, Schedule); 12] = [
    (Dataset::GaussianMixture, Schedule::VpLinear),
    (Dataset::GaussianMixture, Schedule::RectifiedFlow),
    (Dataset::TwoMoons, Schedule::VpLinear),
    (Dataset::TwoMoons, Schedule::RectifiedFlow),
    (Dataset::Spiral, Schedule::VpLinear),
    (Dataset::Spiral, Schedule::RectifiedFlow),
    (Dataset::Pinwheel, Schedule::VpLinear),
    (Dataset::TwoNormals1d, Schedule::VpLinear),
    (Dataset::Checkerboard, Schedule::VpLinear),
    (Dataset::Rings, Schedule::VpLinear),
    (Dataset::Line, Schedule::VpLinear),
    (Dataset::Smiley, Schedule::VpLinear),
];

/// True when a network was trained for `dataset` with `schedule` (embedded or not).
pub fn trained(dataset: Dataset, schedule: Schedule) -> bool {
    TRAINED.contains(&(dataset, schedule))
}

/// The raw bytes of the embedded weight file for `dataset` and `schedule`, where one was trained
/// and this build embeds it (the wasm: only two moons with VP-linear).
#[cfg(target_arch = "wasm32")]
pub fn bytes(dataset: Dataset, schedule: Schedule) -> Option<&'static [u8]> {
    match (dataset, schedule) {
        (Dataset::TwoMoons, Schedule::VpLinear) => Some(weights!("two_moons.vp_linear.dpw")),
        _ => None,
    }
}

/// The raw bytes of the embedded weight file for `dataset` and `schedule`, where one was trained.
#[cfg(not(target_arch = "wasm32"))]
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

/// Networks handed over at run time ([`provide`]), by dataset and schedule.
static PROVIDED_NETS: Mutex<Vec<((Dataset, Schedule), TrainedNet)>> = Mutex::new(Vec::new());

/// Makes `bytes` (a `.dpw` file, as [`crate::core::weights::file_name`] names it) the network of
/// `dataset` with `schedule`: parsed, validated, and refused unless such a network was trained
/// ([`TRAINED`]) and the file is that one (its dataset and schedule, no class embedding).
pub fn provide(dataset: Dataset, schedule: Schedule, bytes: &[u8]) -> Result<(), String> {
    if !trained(dataset, schedule) {
        return Err(format!("no network was trained for {} with {}", dataset.name(), schedule.name()));
    }
    let net = TrainedNet::from_bytes(bytes).map_err(|e| e.to_string())?;
    if (net.dataset, net.schedule) != (dataset, schedule) || net.class_embedding.is_some() {
        return Err(format!(
            "the file holds the {}network of {} with {}, not the network of {} with {}",
            if net.class_embedding.is_some() { "class-conditional " } else { "" },
            net.dataset.name(),
            net.schedule.name(),
            dataset.name(),
            schedule.name()
        ));
    }
    let mut provided = PROVIDED_NETS.lock().unwrap_or_else(|e| e.into_inner());
    provided.retain(|(key, _)| *key != (dataset, schedule));
    provided.push(((dataset, schedule), net));
    Ok(())
}

/// The file [`net_for`] needs for `dataset` and `schedule` when this build has not got it yet
/// (neither embedded nor provided), else `None`.
pub fn missing_file(dataset: Dataset, schedule: Schedule) -> Option<String> {
    let own = own_schedule(dataset, schedule);
    let provided = PROVIDED_NETS.lock().unwrap_or_else(|e| e.into_inner());
    let have = bytes(dataset, own).is_some() || provided.iter().any(|(key, _)| *key == (dataset, own));
    (!have).then(|| crate::core::weights::file_name(dataset, own))
}

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

/// The network trained for `dataset` and `schedule`, parsed and validated: the one provided, else
/// the embedded one, else (a trained network this build leaves out) an error naming the file.
pub fn net(dataset: Dataset, schedule: Schedule) -> Result<TrainedNet, WeightsError> {
    let provided = PROVIDED_NETS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, net)) = provided.iter().find(|(key, _)| *key == (dataset, schedule)) {
        return Ok(net.clone());
    }
    drop(provided);
    match bytes(dataset, schedule) {
        Some(bytes) => TrainedNet::from_bytes(bytes),
        None if trained(dataset, schedule) => {
            Err(WeightsError::NotFetched(crate::core::weights::file_name(dataset, schedule)))
        }
        None => TrainedNet::from_bytes(&[]),
    }
}

/// The schedule of the network that samples `dataset` with `schedule`: its own where one was
/// trained, else VP-linear.
fn own_schedule(dataset: Dataset, schedule: Schedule) -> Schedule {
    if trained(dataset, schedule) {
        schedule
    } else {
        Schedule::VpLinear
    }
}

/// The network that samples `dataset` with `schedule`: its own where one was trained, else the
/// VP-linear one, which every dataset has (its `schedule` field says which; samplers map times
/// through the log-SNR).
pub fn net_for(dataset: Dataset, schedule: Schedule) -> Result<TrainedNet, WeightsError> {
    net(dataset, own_schedule(dataset, schedule))
}
