//! The shapes of the MLP kernels (`gpu::kernel_config`): every workgroup size and weights format
//! the engine may run computes the same particles.
//!
//! - With a shipped network (stored as half floats) every shape, the half-float ones included,
//!   gives the default shape's particles and predictions, and matches the CPU twin.
//! - A network whose weights are not all half floats (one trained in the page) runs f32 weights
//!   in the place the shape asks for, so no shape ever rounds a network.
//! - Shapes the device cannot run are refused with a reason, changing nothing.
//!
//! With `DP_REQUIRE_GPU=1` (set by `cargo xtask test`) a missing adapter fails these tests.

use crate::support::gpu::gpu;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded;
use diffusion_playground::core::mlp::{self, Mlp};
use diffusion_playground::core::param::{Coefficients, Parametrization};
use diffusion_playground::core::rng;
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;
use diffusion_playground::gpu::engine::MAX_PARTICLES;
use diffusion_playground::gpu::{ComputeEngine, GpuContext, MlpKernelConfig, ScoreKind, WeightsFormat};

/// Not a multiple of any workgroup size: every shape's tail guard is exercised.
const N: usize = 1000;
const STEPS: usize = 12;
const SEED: u32 = 5;

/// The particles and the x0 predictions of a 12-step DDPM-ancestral run of `net` in `config`.
fn run_in(
    context: &GpuContext,
    config: MlpKernelConfig,
    net: &Mlp,
) -> (MlpKernelConfig, Vec<[f32; 2]>, Vec<[f32; 2]>) {
    let schedule = Schedule::VpLinear;
    let frame = NetFrame::eps(schedule);
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), STEPS);
    let plan = sampler::plan(schedule, frame, &SamplerSettings::new(Sampler::DdpmAncestral), &times);
    let start = sampler::prior(schedule, times[0], SEED, N);
    let mut engine = ComputeEngine::new(context);
    engine.set_mlp_config(config).expect("a shape the device runs");
    engine.set_weights(net);
    engine.set_data(&start).unwrap();
    engine.set_plan(&plan, &sampler::hidden_biases(net, &plan));
    engine.write_particles(&start).unwrap();
    engine.reverse(ScoreKind::Mlp, SEED, 0, STEPS as u32).unwrap();
    let particles = pollster::block_on(engine.read_particles().unwrap().points()).unwrap();
    let t = 0.3;
    let evaluation = sampler::evaluation(schedule, frame, t);
    let coefficients = Coefficients::at(schedule, t);
    let bias = net.hidden_bias(evaluation.t_net);
    engine.predict(ScoreKind::Mlp, &evaluation, &coefficients, Parametrization::X0, &bias, 0.0).unwrap();
    let predictions = pollster::block_on(engine.read_predictions(u32::MAX).unwrap().points()).unwrap();
    (engine.running_mlp_config(), particles, predictions)
}

/// The CPU twin of [`run_in`]'s particles.
fn cpu_run(net: &Mlp) -> Vec<[f32; 2]> {
    let schedule = Schedule::VpLinear;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), STEPS);
    let settings = SamplerSettings::new(Sampler::DdpmAncestral);
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &settings, &times);
    let mut points = sampler::prior(schedule, times[0], SEED, N);
    sampler::run_from_start(ScoreSource::Mlp(net), &plan, &mut points, SEED, 0);
    points
}

/// The largest difference between two point sets.
fn largest_difference(a: &[[f32; 2]], b: &[[f32; 2]]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).flat_map(|(p, q)| [(p[0] - q[0]).abs(), (p[1] - q[1]).abs()]).fold(0.0, f32::max)
}

#[test]
fn every_shape_runs_a_shipped_network_as_the_default_shape_does() {
    let Some(context) = gpu() else { return };
    let net = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).unwrap().mlp;
    let (_, reference, reference_predictions) = run_in(&context, MlpKernelConfig::DEFAULT, &net);
    let cpu = cpu_run(&net);
    assert!(largest_difference(&reference, &cpu) < 2e-3, "the default shape against the CPU twin");
    let candidates = MlpKernelConfig::candidates(context.device.features());
    eprintln!("{} shapes on {}", candidates.len(), context.describe());
    for config in candidates {
        let (running, particles, predictions) = run_in(&context, config, &net);
        // The shipped weights are half floats: every shape runs as asked, half floats included.
        assert_eq!(running, config, "a shipped network runs in the shape asked for");
        let what = config.describe();
        // Same f32 values, same arithmetic: only a compiler's choice of fused multiply-adds
        // could tell the shapes apart.
        let apart = largest_difference(&particles, &reference);
        assert!(apart <= 1e-5, "{what}: particles {apart} from the default shape's");
        let apart = largest_difference(&predictions, &reference_predictions);
        assert!(apart <= 1e-5, "{what}: predictions {apart} from the default shape's");
    }
}

/// A network with coordinate features, its weights half floats as a shipped one's: every shape
/// runs it as in the CPU twin (its WC read as vec4s in every format).
#[test]
fn every_shape_runs_a_network_with_coordinate_features() {
    let Some(context) = gpu() else { return };
    let net = crate::support::networks::untrained(mlp::Architecture::FOURIER, 4).quantized();
    let cpu = cpu_run(&net);
    let (_, reference, reference_predictions) = run_in(&context, MlpKernelConfig::DEFAULT, &net);
    assert!(largest_difference(&reference, &cpu) < 2e-3, "the default shape against the CPU twin");
    for config in MlpKernelConfig::candidates(context.device.features()) {
        let (running, particles, predictions) = run_in(&context, config, &net);
        assert_eq!(running, config, "half-float weights run in the shape asked for");
        let what = config.describe();
        let apart = largest_difference(&particles, &reference);
        assert!(apart <= 1e-5, "{what}: particles {apart} from the default shape's");
        let apart = largest_difference(&predictions, &reference_predictions);
        assert!(apart <= 1e-5, "{what}: predictions {apart} from the default shape's");
    }
}

#[test]
fn a_network_that_is_not_half_floats_runs_f32_weights_in_the_place_asked_for() {
    let Some(context) = gpu() else { return };
    let mut net = Mlp::initialise(3);
    // Distinct output biases that no half float holds (b3 is read through `weight(i)`).
    net.weights[mlp::B3] = 0.1;
    net.weights[mlp::B3 + 1] = -0.3;
    let cpu = cpu_run(&net);
    for weights in [WeightsFormat::F16Uniform, WeightsFormat::F16Storage, WeightsFormat::F32Storage] {
        let config = MlpKernelConfig { workgroup_size: 128, weights };
        let (running, particles, _) = run_in(&context, config, &net);
        assert_eq!(running, MlpKernelConfig { weights: weights.f32_counterpart(), ..config });
        let apart = largest_difference(&particles, &cpu);
        assert!(apart < 2e-3, "{}: {apart} from the CPU twin", config.describe());
    }
}

#[test]
fn the_running_shape_follows_the_weights_uploaded_last() {
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    let config = MlpKernelConfig { workgroup_size: 256, weights: WeightsFormat::F16Storage };
    engine.set_mlp_config(config).unwrap();
    let shipped = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).unwrap().mlp;
    engine.set_weights(&shipped);
    assert_eq!(engine.running_mlp_config(), config);
    engine.set_weights(&Mlp::initialise(1));
    assert_eq!(engine.running_mlp_config().weights, WeightsFormat::F32Storage);
    engine.set_weights(&shipped);
    assert_eq!(engine.running_mlp_config(), config);
    assert_eq!(engine.mlp_config(), config);
}

#[test]
fn shapes_the_device_cannot_run_are_refused_and_change_nothing() {
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    let odd = MlpKernelConfig { workgroup_size: 100, weights: WeightsFormat::F32Uniform };
    let error = engine.set_mlp_config(odd).unwrap_err().to_string();
    assert!(error.contains("workgroup size 100"), "{error}");
    assert_eq!(engine.mlp_config(), MlpKernelConfig::DEFAULT);
}

#[test]
fn native_half_floats_need_the_shader_f16_feature() {
    let native = MlpKernelConfig { workgroup_size: 64, weights: WeightsFormat::F16Native };
    let error = native.check(wgpu::Features::empty()).unwrap_err();
    assert!(error.contains("shader-f16"), "{error}");
    assert!(native.check(wgpu::Features::SHADER_F16).is_ok());
    let without = MlpKernelConfig::candidates(wgpu::Features::empty());
    assert!(without.iter().all(|c| c.weights != WeightsFormat::F16Native));
    assert_eq!(without.len(), 4 * 3, "four formats at three workgroup sizes");
    assert_eq!(MlpKernelConfig::candidates(wgpu::Features::SHADER_F16).len(), 5 * 3);
    assert_eq!(without[0], MlpKernelConfig::DEFAULT, "the default shape is measured first");
}

#[test]
fn half_float_formats_hold_half_floats_and_refuse_anything_else() {
    for architecture in mlp::ARCHITECTURES {
        let parameters = architecture.parameters();
        let weights: Vec<f32> = (0..parameters).map(|i| (i % 7) as f32 * 0.25 - 0.5).collect();
        for format in [WeightsFormat::F16Uniform, WeightsFormat::F16Storage, WeightsFormat::F16Native] {
            let bytes = format.encode(architecture, &weights).expect("quarter steps are half floats");
            assert_eq!(bytes.len(), format.buffer_bytes(architecture));
            assert_eq!(bytes.len() % 16, 0, "whole 16-byte rows");
            for (i, &w) in weights.iter().enumerate() {
                let half = half::f16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]]);
                assert_eq!(half.to_f32(), w, "weight {i}");
            }
            assert!(bytes[2 * weights.len()..].iter().all(|&b| b == 0), "padded with zeros");
            let mut not_half = weights.clone();
            not_half[17] = 0.1;
            assert_eq!(format.encode(architecture, &not_half), None, "0.1 is no half float");
        }
        for format in [WeightsFormat::F32Uniform, WeightsFormat::F32Storage] {
            let bytes = format.encode(architecture, &weights).unwrap();
            assert_eq!(&bytes[..4 * weights.len()], bytemuck::cast_slice::<f32, u8>(&weights));
            assert_eq!(bytes.len(), 4 * parameters.next_multiple_of(4));
        }
    }
}

#[test]
fn the_engines_cap_of_2_pow_22_particles_is_dispatched_as_rows_of_workgroups() {
    let Some(context) = gpu() else { return };
    let n = MAX_PARTICLES;
    assert_eq!(n, 1 << 22);
    // More workgroups of 64 than one dimension of a dispatch takes (65,535): the grid wraps.
    assert!(n / 64 > 65_535);
    let schedule = Schedule::VpLinear;
    let data: Vec<[f32; 2]> = (0..n).map(|i| [(i % 1000) as f32 * 1e-3, (i / 1000) as f32 * 1e-3]).collect();
    let mut engine = ComputeEngine::new(&context);
    engine.set_data(&data).unwrap();
    let t = 0.5;
    engine.noise(schedule.alpha(t) as f32, schedule.sigma(t) as f32, 3, rng::stream::FORWARD).unwrap();
    let noised = pollster::block_on(engine.read_particles().unwrap().points()).unwrap();
    let apart = largest_difference(&noised, &sampler::forward_noise(schedule, t, 3, &data));
    assert!(apart < 1e-4, "every particle is noised, the last row of workgroups included ({apart})");

    // A reverse run from there with the MLP, at 64 a workgroup (the grid wraps) and at 256 (it
    // does not): the tail, past the first row, matches the CPU twin run from the same indices.
    let net = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).unwrap().mlp;
    let times = TimeGrid::Uniform.times(schedule, t, schedule.t_min(), 2);
    let settings = SamplerSettings::new(Sampler::EulerMaruyama);
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &settings, &times);
    let first = n as usize - 5000;
    let mut cpu_tail = noised[first..].to_vec();
    sampler::run_from_start(ScoreSource::Mlp(&net), &plan, &mut cpu_tail, 9, first as u32);
    engine.set_weights(&net);
    engine.set_plan(&plan, &sampler::hidden_biases(&net, &plan));
    for shape in [
        MlpKernelConfig::DEFAULT,
        MlpKernelConfig { workgroup_size: 256, weights: WeightsFormat::F16Uniform },
    ] {
        engine.set_mlp_config(shape).unwrap();
        engine.write_particles(&noised).unwrap();
        engine.reverse(ScoreKind::Mlp, 9, 0, plan.len() as u32).unwrap();
        let stepped = pollster::block_on(engine.read_particles().unwrap().points()).unwrap();
        let apart = largest_difference(&stepped[first..], &cpu_tail);
        assert!(apart < 1e-3, "{}: the last particles are stepped as on the CPU ({apart})", shape.describe());
    }
}
