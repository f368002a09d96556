//! The measured choice of the MLP kernels' shape (`app::kernel_tuning`): every shape the device
//! runs is timed, the fastest that agrees with the default shape is kept (of a tie, the one timed
//! first), and the engine runs it.
//! A scripted clock decides which shape "measured" fastest, so the choice itself is checked, on
//! whatever Vulkan adapter is present (lavapipe in CI).

use crate::support::gpu::gpu;
use diffusion_playground::app::backend::Clock;
use diffusion_playground::app::kernel_tuning::{self, TUNING_STEPS};
use diffusion_playground::gpu::{ComputeEngine, MlpKernelConfig};

/// A clock under which each timed run of shape `k` (in the tuner's order) takes `duration(k)`
/// milliseconds: the tuner reads it once before and once after each run.
struct ScriptedClock {
    now: f64,
    reads: usize,
    repeats: usize,
    duration: fn(usize) -> f64,
}

impl Clock for ScriptedClock {
    fn now_ms(&mut self) -> f64 {
        if self.reads % 2 == 1 {
            self.now += (self.duration)(self.reads / 2 / self.repeats);
        }
        self.reads += 1;
        self.now
    }
}

const PARTICLES: usize = 300;
const REPEATS: u32 = 2;
/// The shape the script makes fastest; it ties with a later one, which is not chosen.
const FASTEST: usize = 4;
const TIED: usize = 7;

#[test]
fn the_fastest_shape_measured_first_is_the_one_the_engine_runs() {
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    let mut clock = ScriptedClock {
        now: 0.0,
        reads: 0,
        repeats: REPEATS as usize,
        duration: |shape| if shape == FASTEST || shape == TIED { 2.0 } else { 10.0 + shape as f64 },
    };
    let report =
        pollster::block_on(kernel_tuning::tune(&mut engine, &mut clock, PARTICLES, REPEATS)).unwrap();
    let candidates = MlpKernelConfig::candidates(context.device.features());
    assert_eq!(report.timings.len(), candidates.len(), "every shape is timed");
    assert_eq!(clock.reads, 2 * candidates.len() * REPEATS as usize, "each run read the clock twice");
    assert_eq!(report.timings[0].shape, MlpKernelConfig::DEFAULT.describe(), "the default is timed first");
    for (timing, config) in report.timings.iter().zip(&candidates) {
        assert_eq!(timing.shape, config.describe());
        assert!(timing.agrees, "{}: its particles differ from the default shape's", timing.shape);
    }
    assert_eq!(report.timings[TIED].evaluations_per_second, report.timings[FASTEST].evaluations_per_second);
    assert_eq!(report.config, candidates[FASTEST], "the fastest, and of a tie the one timed first");
    assert_eq!(report.chosen, candidates[FASTEST].describe());
    assert_eq!(engine.mlp_config(), candidates[FASTEST], "the engine runs the chosen shape");
    let rate = |ms: f64| PARTICLES as f64 * f64::from(TUNING_STEPS) / ms * 1e3;
    assert_eq!(report.timings[FASTEST].evaluations_per_second, rate(2.0));
    assert_eq!(report.timings[0].evaluations_per_second, rate(10.0));
    assert!((report.speedup_over_default - 5.0).abs() < 1e-9, "{}", report.speedup_over_default);
}
