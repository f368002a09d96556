//! Conditioning on a measurement through the session (docs/features.md, "Inverse problems"):
//! the measurement options are validated together and round-trip in one spelling, the target
//! becomes the exact posterior p(x0 | y), the exact posterior's score reaches it, DPS and PiGDM
//! run on the CPU and the GPU alike, and the combinations that do not exist are refused.

use diffusion_playground::app::options::{Options, RawOptions, RawValue};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::posterior::{posterior, Observation};
use diffusion_playground::core::posterior_guidance::PosteriorMethod;
use diffusion_playground::gpu::ComputeEngine;

fn raw(pairs: &[(&str, &str)]) -> RawOptions {
    pairs.iter().map(|(k, v)| (k.to_string(), Some(RawValue::Text(v.to_string())))).collect()
}

fn merged(pairs: &[(&str, &str)]) -> Result<Options, String> {
    Options::default().merged(&raw(pairs)).map_err(|e| e.to_string())
}

fn run(options: Options, particles: Particles) -> (Session, Vec<[f32; 2]>) {
    let mut session = Session::new(options, particles).unwrap();
    while session.step(64).unwrap() > 0 {}
    let points = pollster::block_on(session.read_positions().unwrap().positions()).unwrap();
    (session, points)
}

#[test]
fn measurement_options_are_checked_with_the_field_named_and_kept_in_one_spelling() {
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str]);
    let cases: [Case; 8] = [
        (&[("observe", "1,0,2")], &["'observe'", "\"a11,a12;a21,a22\""]),
        (&[("observe", "1,0;0,1;1,1")], &["'observe'", "one or two rows"]),
        (&[("observe", "1e9,0")], &["'observe'", "from -100 to 100"]),
        (&[("observe", "nan,0")], &["'observe'"]),
        (&[("observation", "0.5,1")], &["'observation'", "1 number separated"]),
        (&[("observation", "2000")], &["'observation'", "from -1000 to 1000"]),
        (&[("observation_noise", "0")], &["'observation_noise'", "from 0.01 to 10"]),
        (
            &[("posterior", "dps"), ("guidance", "classifier")],
            &["'posterior'", "guidance none while conditioning"],
        ),
    ];
    for (pairs, fragments) in cases {
        let message = merged(pairs).expect_err("rejected");
        for fragment in fragments {
            assert!(message.contains(fragment), "{message:?} should contain {fragment:?}");
        }
    }
    let options = merged(&[("observe", " 1.50 , -0 ; 0,1 "), ("observation", "0.25,-1.0")]).unwrap();
    assert_eq!((options.observe.as_str(), options.observation.as_str()), ("1.5,0;0,1", "0.25,-1"));
    // The values follow the operator's rows when they are not given.
    let one_row = options.merged(&raw(&[("observe", "0,1")])).unwrap();
    assert_eq!(one_row.observation, "0.25");
    let two_rows = one_row.merged(&raw(&[("observe", "1,0;0,1")])).unwrap();
    assert_eq!(two_rows.observation, "0.25,0");
    // A measurement is read only when the run conditions on it.
    assert_eq!(two_rows.measurement(), None);
    let conditioned = two_rows.merged(&raw(&[("posterior", "pigdm")])).unwrap();
    let expected = Observation::new(vec![[1.0, 0.0], [0.0, 1.0]], vec![0.25, 0.0], 0.1).unwrap();
    assert_eq!(conditioned.measurement(), Some(expected));
}

#[test]
fn the_target_is_the_exact_posterior_and_its_score_reaches_it() {
    let options = merged(&[
        ("dataset", "two_moons"),
        ("score", "exact"),
        ("sampler", "heun"),
        ("steps", "40"),
        ("particles", "1500"),
        ("posterior", "exact"),
        ("observe", "1,0"),
        ("observation", "0.5"),
        ("observation_noise", "0.2"),
    ])
    .unwrap();
    let (session, points) = run(options, Particles::Cpu(Vec::new()));
    let observation = Observation::new(vec![[1.0, 0.0]], vec![0.5], 0.2).unwrap();
    let exact = posterior(&Dataset::TwoMoons.mixture(), &observation);
    assert_eq!(session.target(), &exact);
    let reference = exact.sample(11, 0, 1500);
    let distance = sliced_wasserstein(&points, &reference);
    let floor = sliced_wasserstein(&exact.sample(12, 0, 1500), &reference);
    assert!(distance < 2.0 * floor + 0.01, "SW2 {distance}, floor {floor}");
    // The prior is farther: the measurement moved the particles.
    let prior = sliced_wasserstein(&Dataset::TwoMoons.mixture().sample(13, 0, 1500), &reference);
    assert!(prior > 3.0 * distance, "prior {prior}, posterior run {distance}");
}

#[test]
fn dps_and_pigdm_move_the_network_toward_the_posterior_on_the_cpu_and_the_gpu_alike() {
    let options = |method: PosteriorMethod| {
        merged(&[
            ("dataset", "two_moons"),
            ("sampler", "euler_maruyama"),
            ("steps", "60"),
            ("particles", "1000"),
            ("posterior", method.name()),
            ("observe", "1,0"),
            ("observation", "0.5"),
            ("observation_noise", "0.2"),
        ])
        .unwrap()
    };
    let observation = Observation::new(vec![[1.0, 0.0]], vec![0.5], 0.2).unwrap();
    let exact = posterior(&Dataset::TwoMoons.mixture(), &observation);
    let reference = exact.sample(11, 0, 1000);
    let prior = sliced_wasserstein(&Dataset::TwoMoons.mixture().sample(13, 0, 1000), &reference);
    let gpu = crate::support::gpu::gpu();
    for method in [PosteriorMethod::Dps, PosteriorMethod::Pigdm] {
        let (_, cpu) = run(options(method), Particles::Cpu(Vec::new()));
        let distance = sliced_wasserstein(&cpu, &reference);
        eprintln!("{method:?}: SW2 {distance}, prior {prior}");
        assert!(distance < 0.5 * prior, "{method:?}: SW2 {distance}, prior {prior}");
        if let Some(gpu) = &gpu {
            let (_, on_gpu) = run(options(method), Particles::Gpu(Box::new(ComputeEngine::new(gpu))));
            let gpu_distance = sliced_wasserstein(&on_gpu, &reference);
            // Different rounding, the same distribution.
            assert!((gpu_distance - distance).abs() < 0.05, "{method:?}: GPU {gpu_distance}, CPU {distance}");
        }
    }
}

#[test]
fn smc_runs_on_the_cpu_with_a_gaussian_kernel_and_says_why_not_elsewhere() {
    let base = [
        ("dataset", "two_moons"),
        ("score", "exact"),
        ("steps", "60"),
        ("particles", "1500"),
        ("posterior", "smc"),
        ("observe", "1,0"),
        ("observation", "0.5"),
        ("observation_noise", "0.2"),
    ];
    let (session, points) = run(merged(&base).unwrap(), Particles::Cpu(Vec::new()));
    let state = session.smc_state().expect("an SMC run keeps its weights");
    assert_eq!(state.ess.len(), 61, "one ESS per step and the final weighting");
    assert!(state.resamplings > 0);
    let reference = session.target().sample(11, 0, 1500);
    let distance = sliced_wasserstein(&points, &reference);
    let floor = sliced_wasserstein(&session.target().sample(12, 0, 1500), &reference);
    assert!(distance < 3.0 * floor + 0.03, "SMC SW2 {distance}, floor {floor}");
    // Trajectories and the race have no meaning for resampled particles: refused, with the reason.
    let message = session.trajectory(16).expect_err("refused").to_string();
    assert!(message.contains("'posterior'") && message.contains("no single path"), "{message}");
    // A deterministic or two-stage sampler is refused, naming those that work.
    let mut heun = base.to_vec();
    heun.push(("sampler", "heun"));
    let message = Session::new(merged(&heun).unwrap(), Particles::Cpu(Vec::new())).err().expect("refused");
    assert!(message.contains("'sampler'") && message.contains("euler_maruyama"), "{message}");
    // On WebGPU: refused, pointing at the CPU backend.
    if let Some(gpu) = crate::support::gpu::gpu() {
        let message =
            Session::new(merged(&base).unwrap(), Particles::Gpu(Box::new(ComputeEngine::new(&gpu))))
                .err()
                .expect("refused on the GPU");
        assert!(message.contains("backend cpu"), "{message}");
    }
}

#[test]
fn the_posterior_race_measures_every_method_against_the_exact_posterior() {
    let options = merged(&[
        ("dataset", "two_moons"),
        ("score", "exact"),
        ("particles", "512"),
        ("posterior", "dps"),
        ("observe", "1,0"),
        ("observation", "0.5"),
        ("observation_noise", "0.2"),
    ])
    .unwrap();
    let session = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
    let lap = |method: &str| {
        let racer = raw(&[("sampler", "euler_maruyama"), ("eta", "1"), ("posterior", method)]);
        session.racer_lap(&racer, 32, 1024).unwrap()
    };
    let [none, exact, dps, pigdm, smc] = ["none", "exact", "dps", "pigdm", "smc"].map(lap);
    assert_eq!((exact.evaluations, smc.evaluations), (32, 32), "every method spends the budget");
    assert!(exact.distance < 3.0 * exact.floor + 0.03, "exact {} floor {}", exact.distance, exact.floor);
    for (name, l) in [("dps", &dps), ("pigdm", &pigdm), ("smc", &smc)] {
        assert!(l.distance < none.distance, "{name} {} vs the prior {}", l.distance, none.distance);
    }
    assert!(smc.distance < dps.distance, "smc {} dps {}", smc.distance, dps.distance);
    // Without a measurement there is no posterior race, and the message says why.
    let plain = Session::new(merged(&[("particles", "256")]).unwrap(), Particles::Cpu(Vec::new())).unwrap();
    let message = plain.racer_lap(&raw(&[("posterior", "dps")]), 8, 1024).unwrap_err().to_string();
    assert!(message.contains("'posterior'") && message.contains("conditions on a measurement"), "{message}");
}
