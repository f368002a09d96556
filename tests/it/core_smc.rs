//! The twisted SMC sampler (`core::smc`): its resampling keeps what the weights say, its ESS is
//! that of the weights, and with enough particles it samples the exact posterior where DPS and
//! PiGDM, at the same network evaluations, do not.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::guidance::Guidance;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::posterior::{posterior, Observation};
use diffusion_playground::core::posterior_guidance::{ObservationParams, PosteriorMethod};
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::smc::{self, SmcState};
use diffusion_playground::core::timesteps::TimeGrid;

#[test]
fn systematic_resampling_copies_each_particle_as_often_as_its_weight_says_rounded_up_or_down() {
    let n = 1000;
    // Uneven weights over six orders of magnitude.
    let log_weights: Vec<f64> = (0..n).map(|i| ((i * 7919) % 1000) as f64 / 1000.0 * 14.0 - 7.0).collect();
    let max = log_weights.iter().copied().fold(f64::MIN, f64::max);
    let total: f64 = log_weights.iter().map(|l| (l - max).exp()).sum();
    for u in [0.0, 0.37, 0.999] {
        let indices = smc::systematic_indices(&log_weights, u);
        assert_eq!(indices.len(), n);
        let mut copies = vec![0usize; n];
        for &i in &indices {
            copies[i] += 1;
        }
        for (i, l) in log_weights.iter().enumerate() {
            let expected = n as f64 * (l - max).exp() / total;
            let c = copies[i] as f64;
            assert!(
                c >= expected.floor() - 1e-9 && c <= expected.ceil() + 1e-9,
                "particle {i}: {c} copies, expected {expected}"
            );
        }
    }
    // Equal weights: ESS 1; one weight: ESS 1 / n; never NaN for weights far below each other.
    assert!((smc::ess_fraction(&[0.0; 8]) - 1.0).abs() < 1e-12);
    assert!((smc::ess_fraction(&[0.0, -1e9, -1e9, -1e9]) - 0.25).abs() < 1e-12);
    assert_eq!(smc::ess_fraction(&[f64::NEG_INFINITY; 3]), 0.0);
}

fn run_smc(
    source: ScoreSource,
    observation: &Observation,
    steps: usize,
    n: usize,
) -> (Vec<[f32; 2]>, SmcState) {
    let schedule = Schedule::VpLinear;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    let frame = NetFrame::eps(schedule);
    let plan = sampler::plan(schedule, frame, &SamplerSettings::new(Sampler::EulerMaruyama), &times);
    smc::check_plan(&plan).unwrap();
    let mut particles = sampler::prior(schedule, times[0], 5, n);
    let mut state = SmcState::new(n);
    let params = ObservationParams::new(observation, PosteriorMethod::Pigdm);
    let last = sampler::evaluation(schedule, frame, *times.last().unwrap());
    smc::run(source, &params, 1.0, &plan, &mut particles, &mut state, 5, Some(last));
    (particles, state)
}

#[test]
fn smc_samples_the_exact_posterior_where_dps_and_pigdm_are_biased() {
    let prior = Dataset::TwoMoons.mixture();
    let observation = Observation::new(vec![[1.0, 0.0]], vec![0.5], 0.2).unwrap();
    let exact = posterior(&prior, &observation);
    let n = 2000;
    let reference = exact.sample(6, 0, n);
    let floor = sliced_wasserstein(&exact.sample(7, 0, n), &reference);
    let (samples, state) = run_smc(ScoreSource::Exact(&prior), &observation, 100, n);
    let smc_distance = sliced_wasserstein(&samples, &reference);
    assert!(samples.iter().flatten().all(|v| v.is_finite()));
    assert!(state.resamplings >= 1 && state.ess.iter().all(|e| (0.0..=1.0 + 1e-9).contains(e)), "{state:?}");
    let setup = RunSetup::new(Schedule::VpLinear, Sampler::EulerMaruyama, 100);
    let pigdm = ObservationParams::new(&observation, PosteriorMethod::Pigdm);
    let pigdm_distance = sliced_wasserstein(
        &quality::sample(
            ScoreSource::Exact(&prior).posterior_guided(&pigdm, Guidance::everywhere(1.0)),
            &setup,
            5,
            n,
        ),
        &reference,
    );
    assert!(smc_distance < 3.0 * floor + 0.02, "SMC SW2 {smc_distance}, floor {floor}");
    assert!(smc_distance < pigdm_distance, "SMC {smc_distance}, PiGDM {pigdm_distance}");
}

#[test]
fn smc_refuses_samplers_without_a_gaussian_kernel() {
    let schedule = Schedule::VpLinear;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), 10);
    for kind in [Sampler::Heun, Sampler::DpmSolver2M, Sampler::ProbabilityFlowEuler, Sampler::Lms] {
        let plan = sampler::plan(schedule, NetFrame::eps(schedule), &SamplerSettings::new(kind), &times);
        let message = smc::check_plan(&plan).expect_err("refused");
        assert!(message.contains("euler_maruyama"), "{message}");
    }
    for kind in [Sampler::EulerMaruyama, Sampler::DdpmAncestral, Sampler::EulerAncestral] {
        let plan = sampler::plan(schedule, NetFrame::eps(schedule), &SamplerSettings::new(kind), &times);
        assert!(smc::check_plan(&plan).is_ok(), "{kind:?}");
    }
}
