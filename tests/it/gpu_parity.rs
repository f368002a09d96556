//! Every GPU kernel against its CPU twin, on whatever Vulkan adapter is present (lavapipe in CI).
//!
//! With `DP_REQUIRE_GPU=1` (set by `cargo xtask test`) a missing adapter fails these tests
//! instead of skipping them.
//!
//! Tolerances: the RNG integers are bit-identical; normals and the MLP go through `log`, `exp`,
//! `sin`, `cos`, whose f32 results differ between the CPU and GPU libraries by a few ulp (up to
//! about 1e-4 relative on SwiftShader), and those differences grow through the steps of a run.
//! Single kernels are compared at 1e-4 absolute + 1e-4 relative; whole runs at 2e-3.

use crate::support::gpu::gpu;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::histogram::{self, Bins};
use diffusion_playground::core::mlp::{Architecture, Mlp};
use diffusion_playground::core::param::{Coefficients, Parametrization};
use diffusion_playground::core::render::{self, Palette, View};
use diffusion_playground::core::rng;
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::space::Space;
use diffusion_playground::core::timesteps::TimeGrid;
use diffusion_playground::gpu::{ComputeEngine, DrawParams, ParticleRenderer, ScoreKind};

fn read(engine: &ComputeEngine) -> Vec<[f32; 2]> {
    pollster::block_on(engine.read_particles().expect("particles").points()).expect("readback")
}

fn assert_close(gpu: &[[f32; 2]], cpu: &[[f32; 2]], tolerance: f32, what: &str) {
    assert_eq!(gpu.len(), cpu.len());
    let mut worst = (0.0f32, 0usize);
    for (i, (g, c)) in gpu.iter().zip(cpu).enumerate() {
        for k in 0..2 {
            let error = (g[k] - c[k]).abs() / (tolerance * (1.0 + c[k].abs()));
            if error > worst.0 {
                worst = (error, i);
            }
        }
    }
    assert!(
        worst.0 <= 1.0,
        "{what}: particle {} differs: gpu {:?} cpu {:?} (tolerance {tolerance} x (1 + |x|))",
        worst.1,
        gpu[worst.1],
        cpu[worst.1]
    );
}

/// An eps network trained with VP linear, the frame of the embedded networks.
const VP_EPS_NET: NetFrame = NetFrame { schedule: Schedule::VpLinear, parametrization: Parametrization::Eps };

const N: usize = 1000; // not a multiple of the workgroup size: the tail guard is exercised

#[test]
fn forward_noise_matches_its_cpu_twin() {
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    let data = Dataset::TwoMoons.sample(5, N);
    engine.set_data(&data).unwrap();
    let schedule = Schedule::VpLinear;
    for t in [0.0, 0.3, 1.0] {
        engine.noise(schedule.alpha(t) as f32, schedule.sigma(t) as f32, 9, rng::stream::FORWARD).unwrap();
        assert_close(&read(&engine), &sampler::forward_noise(schedule, t, 9, &data), 1e-4, "forward noise");
    }
    engine.noise(0.0, schedule.sigma(1.0) as f32, 9, rng::stream::PRIOR).unwrap();
    assert_close(&read(&engine), &sampler::prior(schedule, 1.0, 9, N), 1e-4, "prior");
}

fn reverse_parity(
    score: ScoreKind,
    net: NetFrame,
    settings: SamplerSettings,
    schedule: Schedule,
    steps: usize,
    tolerance: f32,
) {
    reverse_parity_of(Architecture::PLAIN, score, net, settings, schedule, steps, tolerance);
}

/// [`reverse_parity`] with an untrained network of `architecture`.
fn reverse_parity_of(
    architecture: Architecture,
    score: ScoreKind,
    net: NetFrame,
    settings: SamplerSettings,
    schedule: Schedule,
    steps: usize,
    tolerance: f32,
) {
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    let dataset = Dataset::GaussianMixture;
    let mixture = dataset.mixture();
    let mut mlp = crate::support::networks::untrained(architecture, 21);
    // Distinct, clearly non-zero output biases: reading b3 from the wrong place must fail.
    mlp.weights[diffusion_playground::core::mlp::B3] = 0.75;
    mlp.weights[diffusion_playground::core::mlp::B3 + 1] = -0.5;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    // A network "trained" on VP linear serves every schedule through the log-SNR map.
    let plan = sampler::plan(schedule, net, &settings, &times);
    let biases = sampler::hidden_biases(&mlp, &plan);
    let start = sampler::prior(schedule, times[0], 4, N);
    engine.set_weights(&mlp);
    engine.set_mixture(&mixture);
    engine.set_data(&start).unwrap();
    engine.set_plan(&plan, &biases);
    engine.write_particles(&start).unwrap();
    // Two calls (steps split unevenly; the second longer than MAX_STEPS_PER_DISPATCH, so it spans
    // several dispatches) must equal one CPU run over all steps.
    let split = steps / 3;
    engine.reverse(score, 4, 0, split as u32).unwrap();
    engine.reverse(score, 4, split as u32, (steps - split) as u32).unwrap();
    let source = match score {
        ScoreKind::Mlp => ScoreSource::Mlp(&mlp),
        ScoreKind::Exact => ScoreSource::Exact(&mixture),
    };
    let mut cpu = start;
    sampler::run_from_start(source, &plan, &mut cpu, 4, 0);
    let what = format!("{} {score:?} {net:?} {settings:?} {schedule:?}", architecture.name());
    assert_close(&read(&engine), &cpu, tolerance, &what);
}

/// A network with Fourier features of its coordinates (`mlp::Architecture::FOURIER`) runs on the
/// GPU as on the CPU: for EDM, whose particles start 80 out (phases of tens of radians that the
/// kernel reduces to [-pi, pi] before its sine), and VP linear, with a stochastic and a
/// deterministic sampler each.
#[test]
fn a_network_with_coordinate_features_runs_as_its_cpu_twin() {
    reverse_parity_of(
        Architecture::FOURIER,
        ScoreKind::Mlp,
        VP_EPS_NET,
        SamplerSettings::new(Sampler::EulerMaruyama),
        Schedule::VpLinear,
        1,
        1e-4,
    );
    for schedule in [Schedule::VpLinear, Schedule::Edm] {
        for sampler_kind in [Sampler::EulerMaruyama, Sampler::Heun] {
            let settings = SamplerSettings::new(sampler_kind);
            reverse_parity_of(
                Architecture::FOURIER,
                ScoreKind::Mlp,
                VP_EPS_NET,
                settings,
                schedule,
                24,
                2e-3,
            );
        }
    }
}

#[test]
fn one_mlp_reverse_step_matches_its_cpu_twin() {
    reverse_parity(
        ScoreKind::Mlp,
        VP_EPS_NET,
        SamplerSettings::new(Sampler::EulerMaruyama),
        Schedule::VpLinear,
        1,
        1e-4,
    );
}

#[test]
fn one_exact_reverse_step_matches_its_cpu_twin() {
    reverse_parity(
        ScoreKind::Exact,
        VP_EPS_NET,
        SamplerSettings::new(Sampler::EulerMaruyama),
        Schedule::VpLinear,
        1,
        1e-4,
    );
}

#[test]
fn whole_runs_match_their_cpu_twins_for_every_sampler_score_and_schedule() {
    for schedule in Schedule::ALL {
        for sampler_kind in Sampler::ALL {
            // Churn only acts on alpha = 1 schedules; asking for it everywhere covers both cases.
            let settings = SamplerSettings { churn: 10.0, ..SamplerSettings::new(sampler_kind) };
            for score in [ScoreKind::Mlp, ScoreKind::Exact] {
                reverse_parity(score, VP_EPS_NET, settings, schedule, 40, 2e-3);
            }
        }
    }
}

#[test]
fn networks_predicting_x0_score_or_velocity_run_the_same_on_the_gpu_and_the_cpu() {
    for parametrization in Parametrization::NETWORK_OUTPUTS {
        for net_schedule in [Schedule::VpLinear, Schedule::RectifiedFlow] {
            let net = NetFrame { schedule: net_schedule, parametrization };
            for schedule in [Schedule::VpCosine, Schedule::Edm] {
                let settings = SamplerSettings::new(Sampler::Heun);
                reverse_parity(ScoreKind::Mlp, net, settings, schedule, 12, 2e-3);
            }
        }
    }
}

#[test]
fn predictions_in_every_parametrization_match_their_cpu_twin() {
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    let dataset = Dataset::Pinwheel;
    let mixture = dataset.mixture();
    let points = sampler::forward_noise(Schedule::VpCosine, 0.4, 3, &dataset.sample(1, N));
    engine.set_mixture(&mixture);
    engine.set_data(&points).unwrap();
    engine.write_particles(&points).unwrap();
    // One engine runs both architectures in turn: its MLP kernels follow the weights uploaded.
    for (architecture, schedule) in [Architecture::PLAIN, Architecture::FOURIER, Architecture::PLAIN]
        .into_iter()
        .zip([Schedule::VpCosine, Schedule::RectifiedFlow, Schedule::RectifiedFlow])
    {
        let mlp = crate::support::networks::untrained(architecture, 8);
        engine.set_weights(&mlp);
        let t = 0.4;
        let coefficients = Coefficients::at(schedule, t);
        for net_parametrization in [Parametrization::Eps, Parametrization::Velocity] {
            let net = NetFrame { schedule: Schedule::VpLinear, parametrization: net_parametrization };
            let evaluation = sampler::evaluation(schedule, net, t);
            let bias = mlp.hidden_bias(evaluation.t_net);
            for target in Parametrization::ALL {
                for (score, source) in [
                    (ScoreKind::Mlp, ScoreSource::Mlp(&mlp)),
                    (ScoreKind::Exact, ScoreSource::Exact(&mixture)),
                ] {
                    engine.predict(score, &evaluation, &coefficients, target, &bias, 0.0).unwrap();
                    let gpu =
                        pollster::block_on(engine.read_predictions(u32::MAX).unwrap().points()).unwrap();
                    let cpu = sampler::predict(source, evaluation, &coefficients, target, &points);
                    let what = format!(
                        "{} {score:?} {schedule:?} net {net_parametrization:?} -> {target:?}",
                        architecture.name()
                    );
                    assert_close(&gpu, &cpu, 1e-3, &what);
                }
            }
        }
    }
    // Predicting does not move the particles.
    assert_close(&read(&engine), &points, 0.0, "particles after predicting");
}

/// The network's x0_hat kept in the data's disc (`core::denoised_bound`) is computed alike on the
/// GPU: near pure noise, where an untrained network's x0_hat lands far outside the disc, the
/// predicted x0 of both lies on the disc's edge.
#[test]
fn the_denoised_point_kept_in_the_data_disc_matches_its_cpu_twin() {
    use diffusion_playground::core::denoised_bound::DATA_RADIUS;
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    let mlp = Mlp::initialise(8);
    let points: Vec<[f32; 2]> = (0..N)
        .map(|i| {
            let angle = i as f32 * 0.71;
            let radius = 0.5 + (i % 40) as f32;
            [radius * angle.cos(), radius * angle.sin()]
        })
        .collect();
    engine.set_weights(&mlp);
    engine.set_mixture(&Dataset::Pinwheel.mixture());
    engine.set_data(&points).unwrap();
    engine.write_particles(&points).unwrap();
    let (schedule, t) = (Schedule::VpLinear, 0.95);
    let coefficients = Coefficients::at(schedule, t);
    let evaluation = sampler::evaluation(schedule, VP_EPS_NET, t);
    engine
        .predict(
            ScoreKind::Mlp,
            &evaluation,
            &coefficients,
            Parametrization::X0,
            &mlp.hidden_bias(evaluation.t_net),
            0.0,
        )
        .unwrap();
    let gpu = pollster::block_on(engine.read_predictions(u32::MAX).unwrap().points()).unwrap();
    let cpu =
        sampler::predict(ScoreSource::Mlp(&mlp), evaluation, &coefficients, Parametrization::X0, &points);
    let on_edge =
        cpu.iter().filter(|p| ((p[0] * p[0] + p[1] * p[1]).sqrt() - DATA_RADIUS as f32).abs() < 1e-2).count();
    assert!(on_edge > N / 2, "the projection acts on most points here: {on_edge} of {N} on the edge");
    assert!(cpu.iter().all(|p| (p[0] * p[0] + p[1] * p[1]).sqrt() <= DATA_RADIUS as f32 * (1.0 + 1e-4)));
    assert_close(&gpu, &cpu, 1e-3, "x0_hat kept in the data's disc");
}

#[test]
fn steps_outside_the_plan_are_refused_not_run() {
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    engine.set_data(&[[0.0, 0.0]; 4]).unwrap();
    let times = TimeGrid::Uniform.times(Schedule::VpLinear, 1.0, 0.0, 5);
    let settings = SamplerSettings::new(Sampler::EulerMaruyama);
    engine.set_plan(
        &sampler::plan(Schedule::VpLinear, NetFrame::eps(Schedule::VpLinear), &settings, &times),
        &[],
    );
    let error = engine.reverse(ScoreKind::Exact, 0, 3, 5).unwrap_err().to_string();
    assert!(error.contains("outside the plan of 5 steps"), "{error}");
    assert!(engine.set_data(&[]).is_err(), "zero particles are refused");
}

/// The render pipeline draws the same dots as the CPU rasteriser, in every palette: compare the
/// sets of lit pixels (intersection over union of at least 0.9; the edges of dots differ by
/// rasterisation rules) and the colours where both are lit.
#[test]
fn the_particle_renderer_draws_what_the_cpu_rasteriser_draws() {
    for palette in Palette::ALL {
        renderer_parity(palette);
    }
}

fn renderer_parity(palette: Palette) {
    let Some(context) = gpu() else { return };
    let (width, height) = (96u32, 64u32);
    let format = wgpu::TextureFormat::Rgba8Unorm;
    let texture = context.device.create_texture(&wgpu::TextureDescriptor {
        label: Some("render target"),
        size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
        mip_level_count: 1,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format,
        usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::COPY_SRC,
        view_formats: &[],
    });
    let mut engine = ComputeEngine::new(&context);
    let points = Dataset::Spiral.sample(2, 300);
    engine.set_data(&points).unwrap();
    engine.write_particles(&points).unwrap();
    let view = View { dot_radius_px: 2.0, palette, ..View::default() };
    let mut renderer = ParticleRenderer::new(&context.device, &context.queue, format);
    let params = DrawParams::new(&view, width, height, 6, points.len() as u32);
    let target = texture.create_view(&Default::default());
    renderer.draw(&engine, &target, &params, render::background_rgb());

    let bytes_per_row = (4 * width).next_multiple_of(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT);
    let buffer = context.device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("pixels"),
        size: (bytes_per_row * height) as u64,
        usage: wgpu::BufferUsages::COPY_DST | wgpu::BufferUsages::MAP_READ,
        mapped_at_creation: false,
    });
    let mut encoder = context.device.create_command_encoder(&Default::default());
    encoder.copy_texture_to_buffer(
        texture.as_image_copy(),
        wgpu::TexelCopyBufferInfo {
            buffer: &buffer,
            layout: wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(bytes_per_row),
                rows_per_image: None,
            },
        },
        wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
    );
    context.queue.submit([encoder.finish()]);
    buffer.slice(..).map_async(wgpu::MapMode::Read, |r| r.expect("map"));
    context.device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    let mapped = buffer.slice(..).get_mapped_range().unwrap().to_vec();
    let gpu_pixels: Vec<&[u8]> = (0..height)
        .flat_map(|y| (0..width).map(move |x| (y, x)))
        .map(|(y, x)| &mapped[(y * bytes_per_row + 4 * x) as usize..][..4])
        .collect();
    let cpu_image = render::rasterize(&points, 6, &view, width, height);
    let background = render::BACKGROUND;
    let lit = |p: &[u8]| (0..3).any(|c| (p[c] as i32 - background[c] as i32).abs() > 24);
    let (mut both, mut either, mut colour_error) = (0, 0, 0.0);
    for (i, g) in gpu_pixels.iter().enumerate() {
        let c = &cpu_image[4 * i..4 * i + 4];
        let (a, b) = (lit(g), lit(c));
        both += (a && b) as u32;
        either += (a || b) as u32;
        if a && b {
            colour_error += (0..3).map(|k| (g[k] as f64 - c[k] as f64).abs()).sum::<f64>() / 3.0;
        }
    }
    assert!(either > 200, "{palette:?}: the dots cover a visible area ({either} pixels)");
    let iou = both as f64 / either as f64;
    assert!(iou >= 0.9, "{palette:?}: lit pixels: GPU and CPU agree on {both} of {either} (IoU {iou:.3})");
    let mean_error = colour_error / both as f64;
    assert!(mean_error < 24.0, "{palette:?}: colours differ by {mean_error:.1} of 255 on average");
}

#[test]
fn the_histogram_kernel_counts_what_its_cpu_twin_counts() {
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    // Noised data spills out of the window on purpose; one point is NaN.
    let mut points = sampler::forward_noise(Schedule::Ve, 0.7, 2, &Dataset::Spiral.sample(4, 5000));
    points[17] = [f32::NAN, 0.0];
    engine.set_data(&points).unwrap();
    engine.write_particles(&points).unwrap();
    for bins in [Bins { side: 64, half_extent: 3.0 }, Bins { side: 7, half_extent: 1.5 }] {
        let gpu = pollster::block_on(engine.histogram(&bins).unwrap().words()).unwrap();
        let cpu = histogram::histogram(&points, &bins);
        assert_eq!(gpu, cpu, "{bins:?}");
        assert!(cpu.iter().sum::<u32>() < 5000, "some points fall outside the window");
    }
    assert!(engine.histogram(&Bins { side: 0, half_extent: 3.0 }).is_err());
}

/// `train_gradient.wgsl` + the sum in `adam_step.wgsl` give the CPU's batch gradient, and the
/// Adam update gives `train::Adam::update`'s weights; a short GPU training run follows the CPU's.
#[test]
fn the_training_kernels_match_their_cpu_twins() {
    use diffusion_playground::core::train::{self, Adam, TrainConfig};
    use diffusion_playground::gpu::GpuTrainer;
    let Some(context) = gpu() else { return };
    let data = Dataset::GaussianMixture.mixture();
    let config = TrainConfig { batch: 100, ..TrainConfig::default() };
    let schedule = Schedule::VpLinear;
    // Both architectures: with coordinate features, WC's terms follow b3 and its pads.
    for architecture in [Architecture::PLAIN, Architecture::FOURIER] {
        let mlp = crate::support::networks::untrained(architecture, 12);
        let mut trainer = GpuTrainer::new(&context, &mlp, None, config.batch).unwrap();
        let examples = train::prepare_batch(&data, schedule, &config, 0);
        trainer.step(&examples, 1e-3).unwrap();
        let gpu_gradient = pollster::block_on(trainer.read_gradient().floats()).unwrap();
        let gpu_loss: f32 = pollster::block_on(trainer.read_losses().floats()).unwrap().iter().sum();
        let mut cpu_gradient = vec![0.0; mlp.weights.len()];
        let cpu_loss = train::prepared_loss_and_gradient(&mlp, &examples, &mut cpu_gradient);
        let what = architecture.name();
        assert!(
            (gpu_loss - cpu_loss).abs() < 1e-4 * cpu_loss.abs().max(1.0),
            "{what}: loss {gpu_loss} vs {cpu_loss}"
        );
        assert_eq!(gpu_gradient.len(), cpu_gradient.len(), "{what}");
        let largest = cpu_gradient.iter().fold(0.0f32, |m, g| m.max(g.abs()));
        for (p, (g, c)) in gpu_gradient.iter().zip(&cpu_gradient).enumerate() {
            assert!(
                (g - c).abs() <= 1e-4 * largest,
                "{what}: gradient {p}: gpu {g} cpu {c} (largest {largest})"
            );
        }
        // Adam from the same gradient: the GPU's weights after its step are the CPU's update of
        // the GPU's own gradient (so rounding in the gradient does not leak into the comparison).
        let gpu_weights = pollster::block_on(trainer.read_weights().floats()).unwrap();
        let mut expected = mlp.weights.clone();
        Adam::new(expected.len()).update(&mut expected, &gpu_gradient, 1e-3);
        for (p, (g, c)) in gpu_weights.iter().zip(&expected).enumerate() {
            assert!(
                (g - c).abs() <= 1e-6 * (1.0 + c.abs()),
                "{what}: weight {p} after Adam: gpu {g} cpu {c}"
            );
        }
    }
    // A short run: the GPU's training loss falls as the CPU's does.
    let run = TrainConfig { steps: 150, batch: 100, learning_rate: 1e-2, ..TrainConfig::default() };
    let mut trainer = GpuTrainer::new(&context, &Mlp::initialise(run.seed), None, run.batch).unwrap();
    let mut losses = Vec::new();
    for step in 0..run.steps {
        trainer
            .step(&train::prepare_batch(&data, schedule, &run, step), train::learning_rate(&run, step))
            .unwrap();
        if step == 0 || step == run.steps - 1 {
            losses.push(pollster::block_on(trainer.read_losses().floats()).unwrap().iter().sum::<f32>());
        }
    }
    let mut cpu_losses = Vec::new();
    train::train(&data, schedule, &run, |step, loss| {
        if step == 0 || step == run.steps - 1 {
            cpu_losses.push(loss);
        }
    });
    eprintln!("GPU loss {losses:?}, CPU loss {cpu_losses:?}");
    assert!(losses[1] < 0.6 * losses[0], "the GPU's loss falls: {losses:?}");
    assert!((losses[1] - cpu_losses[1]).abs() < 0.25 * cpu_losses[1], "GPU {losses:?} vs CPU {cpu_losses:?}");
}

/// A class-conditional network trains its embedding rows as parameters after the network's:
/// the GPU's batch gradient of both (the label's row added to the first pre-activations, its
/// gradient d loss / d a1) and the Adam update equal `train::conditional_loss_and_gradient`
/// and `Adam::update`; a labelled drawing trains on the GPU as on the CPU.
#[test]
fn conditional_training_kernels_match_their_cpu_twins() {
    use diffusion_playground::app::training::{self, Training, TrainingPlan};
    use diffusion_playground::core::class_embedding::ClassEmbedding;
    use diffusion_playground::core::classes;
    use diffusion_playground::core::rng;
    use diffusion_playground::core::train::{self, Adam, Labels, PreparedExample, TrainConfig};
    use diffusion_playground::gpu::GpuTrainer;
    let Some(context) = gpu() else { return };
    let dataset = Dataset::Smiley;
    let data = dataset.mixture();
    let component_classes = classes::component_classes(dataset);
    let labels = Labels { component_classes: &component_classes, classes: classes::classes(dataset).len() };
    let config = TrainConfig { batch: 96, ..TrainConfig::default() };
    // With coordinate features, so the embedding's rows sit after WC.
    let mlp = crate::support::networks::untrained(Architecture::FOURIER, 3);
    // Rows away from zero, so that adding the label's row to a1 matters.
    let rows = (0..(labels.classes + 1) * 64).map(|i| 0.5 * rng::normal2(9, i as u32, 0, 0)[0]);
    let embedding = ClassEmbedding::from_rows(rows.collect()).unwrap();
    let labelled = train::prepare_labelled_batch(&data, &labels, Schedule::VpLinear, &config, 0);
    let examples: Vec<PreparedExample> =
        labelled.iter().map(|(e, label)| PreparedExample { label: *label as u32, ..*e }).collect();
    assert!(labelled.iter().any(|(_, l)| *l == labels.classes), "some labels are dropped to the null class");
    let mut trainer = GpuTrainer::new(&context, &mlp, Some(&embedding), config.batch).unwrap();
    trainer.step(&examples, 1e-3).unwrap();
    let gpu_gradient = pollster::block_on(trainer.read_gradient().floats()).unwrap();
    let gpu_loss: f32 = pollster::block_on(trainer.read_losses().floats()).unwrap().iter().sum();
    let mut cpu_gradient = vec![0.0; mlp.weights.len()];
    let mut cpu_rows = vec![0.0; embedding.rows.len()];
    let cpu_loss =
        train::conditional_loss_and_gradient(&mlp, &embedding, &labelled, &mut cpu_gradient, &mut cpu_rows);
    assert!((gpu_loss - cpu_loss).abs() < 1e-4 * cpu_loss.abs().max(1.0), "loss {gpu_loss} vs {cpu_loss}");
    let cpu_all: Vec<f32> = cpu_gradient.iter().chain(&cpu_rows).copied().collect();
    assert_eq!(gpu_gradient.len(), cpu_all.len());
    let largest = cpu_all.iter().fold(0.0f32, |m, g| m.max(g.abs()));
    for (p, (g, c)) in gpu_gradient.iter().zip(&cpu_all).enumerate() {
        assert!((g - c).abs() <= 1e-4 * largest, "gradient {p}: gpu {g} cpu {c} (largest {largest})");
    }
    let gpu_weights = pollster::block_on(trainer.read_weights().floats()).unwrap();
    let mut expected: Vec<f32> = mlp.weights.iter().chain(&embedding.rows).copied().collect();
    Adam::new(expected.len()).update(&mut expected, &gpu_gradient, 1e-3);
    for (p, (g, c)) in gpu_weights.iter().zip(&expected).enumerate() {
        assert!((g - c).abs() <= 1e-6 * (1.0 + c.abs()), "weight {p} after Adam: gpu {g} cpu {c}");
    }
    // A drawing of two stroke classes trains a conditional network on either path alike.
    let points: Vec<[f32; 2]> =
        (0..40).map(|i| [if i < 20 { -1.0 } else { 1.0 }, 0.05 * (i % 20) as f32 - 0.5]).collect();
    let stroke_classes: Vec<u32> = (0..40).map(|i| u32::from(i >= 20)).collect();
    let plan =
        TrainingPlan::for_labelled_drawing(&points, &stroke_classes, 120, 64, 2, training::Learning::DEFAULT)
            .unwrap();
    assert!(plan.conditional());
    let mut on_gpu = Training::on_gpu(&context, plan.clone()).unwrap();
    let mut on_cpu = Training::on_cpu(plan);
    on_gpu.run(120).unwrap();
    on_cpu.run(120).unwrap();
    let gpu_weights = pollster::block_on(on_gpu.weights().values()).unwrap();
    let cpu_weights = pollster::block_on(on_cpu.weights().values()).unwrap();
    let (_, gpu_embedding) = training::trained_from_weights(gpu_weights.clone()).unwrap();
    assert_eq!(gpu_embedding.map(|e| e.classes()), Some(4), "the drawing's four stroke classes");
    let gap = gpu_weights.iter().zip(&cpu_weights).fold(0.0f32, |m, (g, c)| m.max((g - c).abs()));
    assert!(gap < 1e-2, "GPU and CPU weights after 120 steps differ by {gap}");
}

/// Guided runs (`shaders/common/guidance.wgsl`): the exact classifier's gradient added to the
/// MLP's eps and to the exact score's, with an interval, equal their CPU twins; so do guided
/// predictions.
#[test]
fn guided_runs_and_predictions_match_their_cpu_twins() {
    use diffusion_playground::core::classes;
    use diffusion_playground::core::guidance::{self, Guidance};
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    let dataset = Dataset::TwoMoons;
    let mixture = classes::marked(&dataset.mixture(), &classes::class_members(dataset, 1)).unwrap();
    let mut mlp = Mlp::initialise(5);
    mlp.weights[diffusion_playground::core::mlp::B3] = 0.25;
    let guidance = Guidance { scale: 3.0, noise_low: 0.2, noise_high: 5.0 };
    let schedule = Schedule::VpLinear;
    let steps = 20;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    let plan = sampler::plan(schedule, VP_EPS_NET, &SamplerSettings::new(Sampler::Heun), &times);
    let start = sampler::prior(schedule, times[0], 8, N);
    engine.set_weights(&mlp);
    engine.set_mixture(&mixture);
    engine.set_data(&start).unwrap();
    for (score, base) in
        [(ScoreKind::Mlp, ScoreSource::Mlp(&mlp)), (ScoreKind::Exact, ScoreSource::Exact(&mixture))]
    {
        let biases = if score == ScoreKind::Mlp { sampler::hidden_biases(&mlp, &plan) } else { Vec::new() };
        engine.set_plan(&plan, &biases);
        engine.set_guidance_weights(&guidance::guidance_weights(&plan, Some(&guidance))).unwrap();
        engine.write_particles(&start).unwrap();
        engine.reverse(score, 8, 0, steps as u32).unwrap();
        let source = base.guided(&mixture, guidance);
        let mut cpu = start.clone();
        sampler::run_from_start(source, &plan, &mut cpu, 8, 0);
        assert_close(&read(&engine), &cpu, 2e-3, &format!("guided {score:?} run"));
        // A guided prediction at one time.
        let points = Dataset::TwoMoons.sample(2, N);
        engine.write_particles(&points).unwrap();
        let t = 0.5;
        let evaluation = sampler::evaluation(schedule, VP_EPS_NET, t);
        let coefficients = Coefficients::at(schedule, t);
        let weight = guidance.weight(&evaluation);
        assert_eq!(weight, 3.0);
        let bias = mlp.hidden_bias(evaluation.t_net);
        engine.predict(score, &evaluation, &coefficients, Parametrization::X0, &bias, weight).unwrap();
        let gpu = pollster::block_on(engine.read_predictions(u32::MAX).unwrap().points()).unwrap();
        let cpu = sampler::predict(source, evaluation, &coefficients, Parametrization::X0, &points);
        assert_close(&gpu, &cpu, 1e-3, &format!("guided {score:?} prediction"));
    }
    assert!(engine.set_guidance_weights(&[1.0; 3]).is_err(), "two weights per step, or an error");
}

/// Posterior-guided runs (`shaders/common/posterior_guidance.wgsl`): DPS and PiGDM, with the
/// MLP's forward-mode Jacobian and the exact score's Hessian, for one and two measured rows,
/// equal their CPU twins; so do their predictions. The runs start at t = 0.4 from noised data:
/// from the prior, a particle on the watershed between two modes of a posterior goes either
/// way on a rounding difference.
#[test]
fn dps_and_pigdm_runs_and_predictions_match_their_cpu_twins() {
    use diffusion_playground::core::guidance::{self, Guidance};
    use diffusion_playground::core::posterior::Observation;
    use diffusion_playground::core::posterior_guidance::{ObservationParams, PosteriorMethod};
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    let mixture = Dataset::TwoMoons.mixture();
    let net = diffusion_playground::core::embedded::net_for(Dataset::TwoMoons, Schedule::VpLinear).unwrap();
    let schedule = Schedule::VpLinear;
    let steps = 8;
    let times = TimeGrid::Uniform.times(schedule, 0.4, schedule.t_min(), steps);
    let plan = sampler::plan(schedule, VP_EPS_NET, &SamplerSettings::new(Sampler::Heun), &times);
    let start = sampler::forward_noise(schedule, times[0], 8, &Dataset::TwoMoons.sample(4, N));
    engine.set_weights(&net.mlp);
    engine.set_mixture(&mixture);
    engine.set_data(&start).unwrap();
    let guidance = Guidance::everywhere(1.5);
    let observations = [
        Observation::new(vec![[1.0, 0.0]], vec![0.5], 0.2).unwrap(),
        Observation::new(vec![[0.6, 0.8], [-0.8, 0.6]], vec![0.3, -0.4], 0.3).unwrap(),
    ];
    for observation in &observations {
        for method in [PosteriorMethod::Dps, PosteriorMethod::Pigdm] {
            let params = ObservationParams::new(observation, method);
            for (score, base) in [
                (ScoreKind::Mlp, ScoreSource::Mlp(&net.mlp)),
                (ScoreKind::Exact, ScoreSource::Exact(&mixture)),
            ] {
                let what = format!("{method:?} {score:?} {} rows", observation.rows.len());
                let biases = if score == ScoreKind::Mlp {
                    sampler::hidden_biases(&net.mlp, &plan)
                } else {
                    Vec::new()
                };
                engine.set_plan(&plan, &biases);
                engine.set_observation(&params);
                engine.set_guidance_weights(&guidance::guidance_weights(&plan, Some(&guidance))).unwrap();
                engine.write_particles(&start).unwrap();
                engine.reverse(score, 8, 0, steps as u32).unwrap();
                let source = base.posterior_guided(&params, guidance);
                let mut cpu = start.clone();
                sampler::run_from_start(source, &plan, &mut cpu, 8, 0);
                assert_close(&read(&engine), &cpu, 5e-3, &format!("{what} run"));
                let points = Dataset::TwoMoons.sample(2, N);
                engine.write_particles(&points).unwrap();
                let t = 0.3;
                let evaluation = sampler::evaluation(schedule, VP_EPS_NET, t);
                let coefficients = Coefficients::at(schedule, t);
                let bias = net.mlp.hidden_bias(evaluation.t_net);
                engine.predict(score, &evaluation, &coefficients, Parametrization::X0, &bias, 1.5).unwrap();
                let gpu = pollster::block_on(engine.read_predictions(u32::MAX).unwrap().points()).unwrap();
                let cpu = sampler::predict(source, evaluation, &coefficients, Parametrization::X0, &points);
                assert_close(&gpu, &cpu, 2e-3, &format!("{what} prediction"));
            }
        }
    }
    engine.set_observation(&ObservationParams::none());
}

#[test]
fn likelihood_runs_match_their_cpu_twins_for_every_solver_and_both_scores() {
    use diffusion_playground::core::likelihood::{self, LikelihoodSetup, LIKELIHOOD_SAMPLERS};
    use diffusion_playground::core::sampler::Unguided;
    use diffusion_playground::gpu::GpuLikelihood;
    let Some(gpu) = gpu() else { return };
    let kernels = GpuLikelihood::new(&gpu);
    let net = diffusion_playground::core::embedded::net(Dataset::TwoMoons, Schedule::VpLinear).unwrap();
    let mixture = Dataset::TwoMoons.mixture();
    // Data, points between the modes and one far away (whose denoised point lies outside the data's
    // disc, so the divergence goes through the projection); 9 steps span two dispatches.
    let mut points = mixture.sample(3, 0, 190);
    points.extend([[0.0, 0.0], [2.5, -2.5], [25.0, 30.0]]);
    for schedule in [Schedule::VpLinear, Schedule::Edm, Schedule::RectifiedFlow] {
        for sampler in LIKELIHOOD_SAMPLERS {
            for (source, frame) in [
                (Unguided::Mlp(&net.mlp), NetFrame::of(&net)),
                (Unguided::Exact(&mixture), NetFrame::eps(schedule)),
            ] {
                let setup = LikelihoodSetup {
                    schedule,
                    net: frame,
                    sampler,
                    grid: TimeGrid::Karras,
                    steps: 9,
                    space: Space::Plane,
                };
                let plan = setup.plan().unwrap();
                let (cpu_ends, cpu_log_dets) = likelihood::run(source, Space::Plane, &plan, &points);
                let (gpu_ends, gpu_log_dets) =
                    pollster::block_on(kernels.run(source, &plan, &points).unwrap().read()).unwrap();
                let what =
                    format!("{} {} {}", schedule.name(), sampler.name(), matches!(source, Unguided::Mlp(_)));
                assert_close(&gpu_ends, &cpu_ends, 2e-3, &what);
                for (i, (g, c)) in gpu_log_dets.iter().zip(&cpu_log_dets).enumerate() {
                    assert!(
                        (g - c).abs() <= 2e-3 * (1.0 + c.abs()),
                        "{what}: point {i} log det gpu {g} cpu {c}"
                    );
                }
            }
        }
    }
}

/// The forward-mode Jacobian of a network with coordinate features (d phi / dx added to the first
/// layer's tangents, `mlp_coordinate_term_gradient`) is the CPU's: the likelihood's divergence
/// and DPS's d x0_hat / d x_t through it match their twins.
#[test]
fn a_network_with_coordinate_features_has_the_jacobian_of_its_cpu_twin() {
    use diffusion_playground::core::guidance::Guidance;
    use diffusion_playground::core::likelihood::{self, LikelihoodSetup};
    use diffusion_playground::core::posterior::Observation;
    use diffusion_playground::core::posterior_guidance::{ObservationParams, PosteriorMethod};
    use diffusion_playground::core::sampler::Unguided;
    use diffusion_playground::gpu::GpuLikelihood;
    let Some(context) = gpu() else { return };
    let mlp = crate::support::networks::untrained(Architecture::FOURIER, 6);
    let mixture = Dataset::TwoMoons.mixture();
    let mut points = mixture.sample(3, 0, 190);
    points.extend([[0.0, 0.0], [2.5, -2.5], [25.0, 30.0]]);
    let kernels = GpuLikelihood::new(&context);
    for schedule in [Schedule::VpLinear, Schedule::Edm] {
        let setup = LikelihoodSetup {
            schedule,
            net: VP_EPS_NET,
            sampler: Sampler::Heun,
            grid: TimeGrid::Karras,
            steps: 9,
            space: Space::Plane,
        };
        let plan = setup.plan().unwrap();
        let source = Unguided::Mlp(&mlp);
        let (cpu_ends, cpu_log_dets) = likelihood::run(source, Space::Plane, &plan, &points);
        let (gpu_ends, gpu_log_dets) =
            pollster::block_on(kernels.run(source, &plan, &points).unwrap().read()).unwrap();
        let what = format!("likelihood {}", schedule.name());
        assert_close(&gpu_ends, &cpu_ends, 2e-3, &what);
        for (i, (g, c)) in gpu_log_dets.iter().zip(&cpu_log_dets).enumerate() {
            assert!((g - c).abs() <= 2e-3 * (1.0 + c.abs()), "{what}: point {i} log det gpu {g} cpu {c}");
        }
    }
    // DPS's prediction, whose guidance term goes through J^T of the network's x0_hat (one
    // evaluation: over a run, DPS's 1 / alpha multiplies rounding differences of a random
    // network's steep features until particles part).
    let mut engine = ComputeEngine::new(&context);
    let schedule = Schedule::VpLinear;
    let points = Dataset::TwoMoons.sample(2, N);
    let observation = Observation::new(vec![[0.6, 0.8], [-0.8, 0.6]], vec![0.3, -0.4], 0.3).unwrap();
    let params = ObservationParams::new(&observation, PosteriorMethod::Dps);
    let guidance = Guidance::everywhere(1.5);
    engine.set_weights(&mlp);
    engine.set_mixture(&mixture);
    engine.set_data(&points).unwrap();
    engine.write_particles(&points).unwrap();
    engine.set_observation(&params);
    for t in [0.1, 0.3, 0.6] {
        let evaluation = sampler::evaluation(schedule, VP_EPS_NET, t);
        let coefficients = Coefficients::at(schedule, t);
        let bias = mlp.hidden_bias(evaluation.t_net);
        engine.predict(ScoreKind::Mlp, &evaluation, &coefficients, Parametrization::X0, &bias, 1.5).unwrap();
        let gpu = pollster::block_on(engine.read_predictions(u32::MAX).unwrap().points()).unwrap();
        let source = ScoreSource::Mlp(&mlp).posterior_guided(&params, guidance);
        let cpu = sampler::predict(source, evaluation, &coefficients, Parametrization::X0, &points);
        assert_close(&gpu, &cpu, 2e-3, &format!("DPS prediction at t = {t}"));
    }
}

/// Classifier-free guidance with a class-conditional network (`CLASSIFIER_FREE` in
/// `shaders/common/eps_hat_mlp.wgsl`): runs with a guidance interval (so some evaluations are
/// w = 1, the conditional prediction alone) and predictions equal their CPU twins.
#[test]
fn classifier_free_runs_and_predictions_match_their_cpu_twins() {
    use diffusion_playground::core::guidance::{self, Guidance};
    let Some(context) = gpu() else { return };
    let mut engine = ComputeEngine::new(&context);
    // The embedded class-conditional network of two moons, as the page runs it.
    let net = diffusion_playground::core::embedded::conditional_net(Dataset::TwoMoons).unwrap();
    let (mlp, embedding) = (net.mlp.clone(), net.class_embedding.clone().unwrap());
    let guidance = Guidance { scale: 2.5, noise_low: 0.2, noise_high: 5.0 };
    let schedule = Schedule::VpLinear;
    let steps = 16;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    let plan = sampler::plan(schedule, VP_EPS_NET, &SamplerSettings::new(Sampler::Heun), &times);
    let start = sampler::prior(schedule, times[0], 4, N);
    engine.set_weights(&mlp);
    engine.set_data(&start).unwrap();
    let class = 1;
    engine.set_plan(&plan, &sampler::classifier_free_hidden_biases(&mlp, &embedding, class, &plan));
    engine.set_classifier_free(true);
    let weights = guidance::guidance_weights(&plan, Some(&guidance));
    assert!(
        weights.contains(&1.0) && weights.contains(&2.5),
        "the interval leaves some evaluations unguided"
    );
    engine.set_guidance_weights(&weights).unwrap();
    engine.write_particles(&start).unwrap();
    engine.reverse(ScoreKind::Mlp, 4, 0, steps as u32).unwrap();
    let source = ScoreSource::ClassifierFree { mlp: &mlp, embedding: &embedding, class, guidance };
    let mut cpu = start.clone();
    sampler::run_from_start(source, &plan, &mut cpu, 4, 0);
    assert_close(&read(&engine), &cpu, 2e-3, "classifier-free run");
    // A prediction at one time: the class's bias row, then the null class's.
    let points = Dataset::Rings.sample(2, N);
    engine.write_particles(&points).unwrap();
    let evaluation = sampler::evaluation(schedule, VP_EPS_NET, 0.5);
    let coefficients = Coefficients::at(schedule, 0.5);
    let plain = mlp.hidden_bias(evaluation.t_net);
    let bias: Vec<f32> =
        [class, embedding.null()].into_iter().flat_map(|c| embedding.shifted(plain, c)).collect();
    engine.predict(ScoreKind::Mlp, &evaluation, &coefficients, Parametrization::Eps, &bias, 2.5).unwrap();
    let gpu = pollster::block_on(engine.read_predictions(u32::MAX).unwrap().points()).unwrap();
    let cpu = sampler::predict(source, evaluation, &coefficients, Parametrization::Eps, &points);
    assert_close(&gpu, &cpu, 1e-3, "classifier-free prediction");
    assert!(
        engine
            .predict(ScoreKind::Mlp, &evaluation, &coefficients, Parametrization::Eps, &plain, 2.5)
            .is_err(),
        "a classifier-free prediction needs both rows"
    );
}
