//! The CPU path's steps for the page's Web Workers (`www/js/cpu-workers.js`): the Playground
//! hands out its run's work and its particles and takes the stepped particles back; a worker's
//! `CpuStepper` steps a slice with `app::cpu_work::CpuWork::run`. Conversion only.

use wasm_bindgen::prelude::*;

use super::bindings::{js_error, Playground};
use crate::app::cpu_work::CpuWork;

/// A run's CPU work as it travels to a worker: opaque to the page, read back by `CpuStepper`.
#[wasm_bindgen(typescript_custom_section)]
const CPU_WORK: &str = "export type CpuWork = { readonly __cpu_work: unique symbol };";

#[wasm_bindgen]
impl Playground {
    /// Identifies the current run (it changes with every new run): work is handed out and taken
    /// back under it.
    #[wasm_bindgen(getter)]
    pub fn run_key(&self) -> f64 {
        self.session.run_key() as f64
    }

    /// The current run's CPU work for the workers (a plain object for `CpuStepper`), or
    /// `undefined` where the steps stay here (on WebGPU, and for SMC).
    #[wasm_bindgen(unchecked_return_type = "CpuWork | undefined")]
    pub fn cpu_work(&self) -> Result<JsValue, JsError> {
        match self.session.cpu_work() {
            Some(work) => serde_wasm_bindgen::to_value(&work).map_err(js_error),
            None => Ok(JsValue::UNDEFINED),
        }
    }

    /// The CPU path's positions (x, y per particle) and multistep history (6 numbers per
    /// particle) in one array, positions first; `undefined` on WebGPU.
    pub fn cpu_state(&self) -> Option<Vec<f32>> {
        self.session.cpu_state()
    }

    /// Takes back `count` steps from step `start` of run `run_key` that the workers took:
    /// `state` as [`Playground::cpu_state`] gives it. False, and nothing changes, when the run
    /// has moved on meanwhile.
    pub fn accept_cpu_steps(
        &mut self,
        run_key: f64,
        start: u32,
        count: u32,
        state: &[f32],
    ) -> Result<bool, JsError> {
        self.session.accept_cpu_state(run_key as u64, start as usize, count as usize, state).map_err(js_error)
    }
}

/// A worker's copy of one run's CPU work.
#[wasm_bindgen]
pub struct CpuStepper {
    work: CpuWork,
}

#[wasm_bindgen]
impl CpuStepper {
    /// The work `Playground.cpu_work()` handed out; refused when it could not have come from it.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "CpuWork")] work: JsValue,
    ) -> Result<CpuStepper, JsError> {
        let work: CpuWork = serde_wasm_bindgen::from_value(work)
            .map_err(|e| js_error(format!("the CPU work could not be read: {e}")))?;
        work.check().map_err(js_error)?;
        Ok(CpuStepper { work })
    }

    /// Takes steps `start .. start + count` for the particles of `state` (positions, then
    /// history, as `Playground.cpu_state()` lays them out, for this slice), whose first has index
    /// `first_particle`; `state` is updated in place.
    pub fn run(&self, start: u32, count: u32, first_particle: u32, state: &mut [f32]) -> Result<(), JsError> {
        self.work.run_state(start as usize, count as usize, first_particle, state).map_err(js_error)
    }
}
