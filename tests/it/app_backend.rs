//! The backend policy, driven natively with a scripted clock: a software adapter starts on the
//! CPU and moves to WebGPU only if WebGPU measured faster; forced choices are honoured; the
//! banners read as sentences that name the adapter once.

use std::collections::VecDeque;

use diffusion_playground::app::backend::{self, Adapter, Clock, Decision, Path, Rates};
use diffusion_playground::app::options::BackendChoice;

/// A clock that reads out a script of times (ms), one per call.
struct ScriptedClock(VecDeque<f64>);

impl ScriptedClock {
    fn new(times: &[f64]) -> ScriptedClock {
        ScriptedClock(times.iter().copied().collect())
    }
}

impl Clock for ScriptedClock {
    fn now_ms(&mut self) -> f64 {
        self.0.pop_front().expect("the calibration reads the clock four times")
    }
}

/// What Chromium reports for SwiftShader: no name, WebGPU, software.
fn unnamed_software() -> Adapter {
    Adapter { name: String::new(), backend: "WebGPU".into(), software: true }
}

fn named(name: &str, software: bool) -> Adapter {
    Adapter { name: name.into(), backend: "WebGPU".into(), software }
}

fn decide(choice: BackendChoice, probe: Result<Adapter, &str>) -> Result<Decision, String> {
    let probe = backend::needs_probe(choice).then(|| probe.map_err(str::to_string));
    backend::decide(choice, probe)
}

/// Text reads as a sentence: a capital first, a full stop last, and no word twice in a row.
fn assert_sentence(text: &str) {
    assert!(text.chars().next().is_some_and(char::is_uppercase), "starts with a capital: {text:?}");
    assert!(text.ends_with('.'), "ends with a full stop: {text:?}");
    let words: Vec<&str> = text.split_whitespace().collect();
    assert!(words.windows(2).all(|w| w[0] != w[1]), "no word twice in a row: {text:?}");
}

#[test]
fn the_automatic_choice_on_a_software_adapter_starts_on_the_cpu_and_names_the_adapter_once() {
    for adapter in [unnamed_software(), named("SwiftShader Device (Subzero)", true)] {
        let decision = decide(BackendChoice::Auto, Ok(adapter.clone())).unwrap();
        assert_eq!((decision.path, decision.compare_paths), (Path::Cpu, true), "{adapter:?}");
        assert_sentence(&decision.note);
        assert!(decision.note.contains("software emulation") && decision.note.contains("times both paths"));
        assert_eq!(
            decision.note.matches("adapter").count(),
            1,
            "the adapter is named once: {}",
            decision.note
        );
        assert!(!decision.note.contains("the browser's adapter"), "{}", decision.note);
    }
    let unnamed = decide(BackendChoice::Auto, Ok(unnamed_software())).unwrap();
    assert!(
        unnamed.note.starts_with("This browser's WebGPU adapter is a software emulation, so "),
        "{}",
        unnamed.note
    );
    let swiftshader = decide(BackendChoice::Auto, Ok(named("SwiftShader", true))).unwrap();
    assert!(swiftshader.note.starts_with("The WebGPU adapter SwiftShader is a software emulation, so "));
}

#[test]
fn after_timing_both_paths_webgpu_is_taken_only_if_it_measured_faster() {
    let adapter = unnamed_software();
    let cpu_wins = backend::compare(&adapter, Rates { gpu: 0.08e6, cpu: 2.0e6 });
    assert_eq!(cpu_wins.winner, "cpu");
    assert_sentence(&cpu_wins.note);
    assert!(
        cpu_wins.note.starts_with(
            "This browser's WebGPU adapter is a software emulation and the CPU measured 25.0x faster \
             (2.00 vs 0.08 million network evaluations per second), so the playground runs on the CPU"
        ),
        "{}",
        cpu_wins.note
    );
    let gpu_wins = backend::compare(&adapter, Rates { gpu: 3.0e6, cpu: 2.0e6 });
    assert_eq!(gpu_wins.winner, "webgpu");
    assert_sentence(&gpu_wins.note);
    assert!(
        gpu_wins.note.contains("measured 1.5x faster than the CPU")
            && gpu_wins.note.ends_with("switching to WebGPU.")
    );
    let tie = backend::compare(&adapter, Rates { gpu: 2.0e6, cpu: 2.0e6 });
    assert_eq!(tie.winner, "cpu", "a tie keeps the CPU: WebGPU must measure faster");
    for comparison in [&cpu_wins, &gpu_wins, &tie] {
        assert_eq!(comparison.note.matches("adapter").count(), 1, "{}", comparison.note);
        assert_eq!((comparison.adapter.as_str(), comparison.software), ("unnamed (WebGPU, software)", true));
    }
}

#[test]
fn forced_choices_are_honoured() {
    let software = Ok(unnamed_software());
    let forced_gpu = decide(BackendChoice::Webgpu, software.clone()).unwrap();
    assert_eq!(
        (forced_gpu.path, forced_gpu.compare_paths),
        (Path::Gpu, false),
        "webgpu is kept on a software adapter"
    );
    assert_sentence(&forced_gpu.note);
    assert_eq!(forced_gpu.note, "Running on WebGPU, a software emulation.");
    let forced_cpu = decide(BackendChoice::Cpu, software).unwrap();
    assert_eq!((forced_cpu.path, forced_cpu.compare_paths), (Path::Cpu, false));
    assert!(!backend::needs_probe(BackendChoice::Cpu), "the CPU choice does not even look for WebGPU");
    assert_eq!(
        forced_cpu.note,
        "The CPU backend was requested; the playground runs on the CPU inside the WebAssembly module."
    );
    let missing = "WebGPU is not available in this browser (navigator.gpu is missing)";
    let error = decide(BackendChoice::Webgpu, Err(missing)).unwrap_err();
    assert_eq!(error, format!("backend 'webgpu' was requested but {missing}. Use backend 'cpu' or 'auto'."));
    let hardware = decide(BackendChoice::Auto, Ok(named("NVIDIA GeForce RTX 4070", false))).unwrap();
    assert_eq!((hardware.path, hardware.compare_paths), (Path::Gpu, false));
    assert_eq!(hardware.note, "Running on WebGPU: NVIDIA GeForce RTX 4070.");
    let fallback =
        decide(BackendChoice::Auto, Err("this browser has WebGPU but offered no graphics adapter")).unwrap();
    assert_eq!(fallback.path, Path::Cpu);
    assert_sentence(&fallback.note);
    assert!(fallback.note.starts_with(
        "This browser has WebGPU but offered no graphics adapter; the playground runs on the CPU"
    ));
}

/// The calibration itself, on a Vulkan adapter (lavapipe in CI), with the clock scripted: the
/// verdict follows the measured times, whatever the real speeds.
#[test]
fn the_calibration_times_both_paths_with_the_injected_clock() {
    let Some(gpu) = crate::support::gpu::gpu() else { return };
    let evaluations = (backend::CALIBRATION_PARTICLES as f64) * backend::CALIBRATION_STEPS as f64;
    // GPU from 0 to 100 ms, CPU from 100 to 110 ms: the CPU is 10x faster.
    let slow_gpu = pollster::block_on(backend::compare_paths(
        &gpu,
        &mut ScriptedClock::new(&[0.0, 100.0, 100.0, 110.0]),
    ))
    .unwrap();
    assert_eq!(slow_gpu.winner, "cpu");
    assert!((slow_gpu.gpu_evaluations_per_second / (evaluations / 0.1) - 1.0).abs() < 1e-9);
    assert!((slow_gpu.cpu_evaluations_per_second / (evaluations / 0.01) - 1.0).abs() < 1e-9);
    assert!(slow_gpu.note.contains("the CPU measured 10.0x faster"), "{}", slow_gpu.note);
    assert_sentence(&slow_gpu.note);
    assert_eq!(slow_gpu.note.matches("adapter").count(), 1, "{}", slow_gpu.note);
    // GPU 10 ms, CPU 40 ms: WebGPU wins.
    let fast_gpu =
        pollster::block_on(backend::compare_paths(&gpu, &mut ScriptedClock::new(&[5.0, 15.0, 15.0, 55.0])))
            .unwrap();
    assert_eq!(fast_gpu.winner, "webgpu");
    assert!(fast_gpu.note.contains("measured 4.0x faster than the CPU"), "{}", fast_gpu.note);
    // A clock that does not move counts as 0.01 ms per interval (no division by zero).
    let frozen =
        pollster::block_on(backend::compare_paths(&gpu, &mut ScriptedClock::new(&[7.0; 4]))).unwrap();
    assert!(frozen.gpu_evaluations_per_second.is_finite() && frozen.winner == "cpu");
}
