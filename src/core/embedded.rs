//! The trained networks shipped inside the crate (and the wasm), one per dataset and schedule.
//! Regenerate them with `cargo xtask train`; each file records its seed and measured quality.

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
/// dataset has one; `cargo xtask train --conditional` writes them).
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

/// The embedded class-conditional network of `dataset` (trained with VP-linear; other
/// schedules use it through the log-SNR), parsed and validated.
pub fn conditional_net(dataset: Dataset) -> Result<TrainedNet, WeightsError> {
    TrainedNet::from_bytes(conditional_bytes(dataset))
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
