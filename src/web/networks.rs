//! The networks the wasm leaves out of its download (`core::embedded`): the page asks which file
//! a run needs, fetches it from `weights/` and hands the bytes over. Conversion only.

use wasm_bindgen::prelude::*;

use super::bindings::{js_error, options_with};
use crate::core::embedded;
use crate::core::schedule::Schedule;
use crate::core::weights;

/// The file (under `weights/`) of the network a run of the dataset `dataset` with the schedule
/// `schedule` samples with, when the wasm has not got it yet (the page fetches it and hands it to
/// `provide_network`); `undefined` when it has (embedded, or provided before).
#[wasm_bindgen]
pub fn network_file(dataset: &str, schedule: &str) -> Result<Option<String>, JsError> {
    let options = options_with(&[("dataset", dataset), ("schedule", schedule)])?;
    Ok(embedded::missing_file(options.dataset, options.schedule))
}

/// Makes `bytes` the network of `dataset` trained with `schedule` (the schedule of the file
/// `network_file` named); a file that is not that network is refused.
#[wasm_bindgen]
pub fn provide_network(dataset: &str, schedule: &str, bytes: &[u8]) -> Result<(), JsError> {
    let options = options_with(&[("dataset", dataset), ("schedule", schedule)])?;
    embedded::provide(options.dataset, options.schedule, bytes).map_err(js_error)
}

/// The file of the class-conditional network of the dataset `name` (under `weights/`), which the
/// wasm does not embed: the page fetches it before classifier-free guidance runs on the network
/// and hands it to `provide_conditional_network`.
#[wasm_bindgen]
pub fn conditional_network_file(name: &str) -> Result<String, JsError> {
    let dataset = options_with(&[("dataset", name)])?.dataset;
    Ok(weights::conditional_file_name(dataset, Schedule::VpLinear))
}

/// Makes `bytes` (the file `conditional_network_file(name)`) the class-conditional network of
/// the dataset `name`; a file that is not one, or has another number of classes, is refused.
#[wasm_bindgen]
pub fn provide_conditional_network(name: &str, bytes: &[u8]) -> Result<(), JsError> {
    let dataset = options_with(&[("dataset", name)])?.dataset;
    embedded::provide_conditional(dataset, bytes).map_err(js_error)
}

/// True when the class-conditional network of the dataset `name` has been provided.
#[wasm_bindgen]
pub fn has_conditional_network(name: &str) -> Result<bool, JsError> {
    Ok(embedded::has_conditional(options_with(&[("dataset", name)])?.dataset))
}
