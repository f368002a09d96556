//! The plan handed to the benchmark's peers (TensorFlow.js in the page through the wasm's
//! `peer_plan`, PyTorch natively through `dp-bench --write_plan`): everything an outside
//! implementation needs to run exactly our reverse SDE with our network.

use serde::Serialize;

use crate::app::options::Options;
use crate::core::embedded;
use crate::core::sampler::{self, NetFrame, Sampler, SamplerSettings};

/// The embedded network for the options' dataset and schedule as flat weights (layout of
/// `core::mlp`), and for each of the options' Euler-Maruyama steps the 64 hidden biases of the
/// first layer at that step's time and the update x <- out_x x + out_e1 eps_hat + out_noise z,
/// with eps_hat = MLP(input_scale x).
#[derive(Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct PeerPlan {
    /// Flat weights in the layout of `core::mlp`.
    pub weights: Vec<f32>,
    /// The first layer's biases with the time features folded in, `HIDDEN` per step.
    pub hidden_biases: Vec<f32>,
    /// Coefficient of x in each step's update.
    pub out_x: Vec<f32>,
    /// Coefficient of the network's output in each step's update.
    pub out_e1: Vec<f32>,
    /// Coefficient of the fresh standard normal noise in each step's update.
    pub out_noise: Vec<f32>,
    /// Factor applied to x before it enters the network, per step.
    pub input_scale: Vec<f32>,
}

impl PeerPlan {
    /// The plan of a reverse run with `options` (dataset, schedule, time grid and steps).
    pub fn for_options(options: &Options) -> Result<PeerPlan, String> {
        let net = embedded::net_for(options.dataset, options.schedule).map_err(|e| e.to_string())?;
        let schedule = options.schedule;
        let times = options.full_run_times();
        let settings = SamplerSettings::new(Sampler::EulerMaruyama);
        let plan = sampler::plan(schedule, NetFrame::of(&net), &settings, &times);
        Ok(PeerPlan {
            hidden_biases: plan.iter().flat_map(|s| net.mlp.hidden_bias(s.eval1.t_net)).collect(),
            out_x: plan.iter().map(|s| s.out_x).collect(),
            out_e1: plan.iter().map(|s| s.out_e1).collect(),
            out_noise: plan.iter().map(|s| s.out_noise).collect(),
            input_scale: plan.iter().map(|s| s.eval1.input_scale).collect(),
            weights: net.mlp.weights,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::mlp::{HIDDEN, PARAMETERS};

    /// Steps of the plan checked (the bench's).
    const STEPS: u32 = 20;

    #[test]
    fn the_plan_has_the_whole_network_and_one_entry_per_step() {
        let options = Options { steps: STEPS, ..Options::default() };
        let plan = PeerPlan::for_options(&options).expect("embedded network");
        assert_eq!(plan.weights.len(), PARAMETERS);
        assert_eq!(plan.hidden_biases.len(), STEPS as usize * HIDDEN);
        for per_step in [&plan.out_x, &plan.out_e1, &plan.out_noise, &plan.input_scale] {
            assert_eq!(per_step.len(), STEPS as usize);
            assert!(per_step.iter().all(|v| v.is_finite()));
        }
    }
}
