//! Training objectives (docs/theory.md): eps, x0, score and velocity targets describe the same
//! example, the weightings relate them as the papers say, EDM's log-normal times have the stated
//! moments, and a network trained on each objective samples the data through its own conversion.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::param::{self, Coefficients, Parametrization};
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{NetFrame, Sampler, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;
use diffusion_playground::core::train::{
    self, TimeSampling, TrainConfig, Weighting, EDM_P_MEAN, EDM_P_STD, TRAIN_T_MIN, UNIFORM_SHARE,
};

#[test]
fn every_objective_is_the_eps_target_converted_by_the_parametrization_identities() {
    let data = Dataset::TwoMoons.mixture();
    for schedule in [Schedule::VpLinear, Schedule::RectifiedFlow, Schedule::VpCosine] {
        for index in 0..50 {
            let example = train::example(&data, schedule, TimeSampling::Uniform, 3, index);
            let eps = train::target(Parametrization::Eps, schedule, &example);
            let c = Coefficients::at(schedule, example.t as f64);
            for objective in Parametrization::ALL {
                let direct = train::target(objective, schedule, &example);
                let converted = param::convert(eps, Parametrization::Eps, objective, example.x, &c);
                for k in 0..2 {
                    let tolerance = 1e-3 * (1.0 + direct[k].abs());
                    assert!(
                        (direct[k] - converted[k]).abs() < tolerance,
                        "{schedule:?} {objective:?}: {direct:?} vs {converted:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_sigma_squared_weighted_score_loss_is_the_eps_loss() {
    // lambda = sigma^2 on |F_s - (-eps/sigma)|^2 with F_s = -F_eps / sigma gives |F_eps - eps|^2.
    let schedule = Schedule::VpLinear;
    let data = Dataset::GaussianMixture.mixture();
    let example = train::example(&data, schedule, TimeSampling::Uniform, 1, 7);
    let sigma = schedule.sigma(example.t as f64) as f32;
    let f_eps = [0.3f32, -1.1];
    let eps_loss: f32 = (0..2).map(|k| (f_eps[k] - example.eps[k]).powi(2)).sum();
    let score = train::target(Parametrization::Score, schedule, &example);
    let weight = Weighting::SigmaSquared.at(schedule, example.t as f64) as f32;
    let score_loss: f32 = weight * (0..2).map(|k| (-f_eps[k] / sigma - score[k]).powi(2)).sum::<f32>();
    assert!((score_loss - eps_loss).abs() < 1e-4 * eps_loss.max(1.0), "{score_loss} vs {eps_loss}");
    // EDM's weighting at sigma = sigma_data is 2 / sigma_data^2 = 8.
    let t = Schedule::Edm.t_for_log_snr(-2.0 * 0.5f64.ln()).unwrap();
    assert!((Weighting::Edm.at(Schedule::Edm, t) - 8.0).abs() < 1e-9);
}

#[test]
fn log_normal_times_have_edm_s_moments_in_log_sigma() {
    let data = Dataset::GaussianMixture.mixture();
    let schedule = Schedule::Edm;
    let n = 20_000;
    let logs: Vec<f64> = (0..n)
        .map(|i| (train::example(&data, schedule, TimeSampling::LogNormal, 5, i).t as f64).ln())
        .collect();
    let mean = logs.iter().sum::<f64>() / n as f64;
    let std = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n as f64).sqrt();
    assert!((mean - EDM_P_MEAN).abs() < 0.03, "mean of ln sigma {mean}");
    assert!((std - EDM_P_STD).abs() < 0.03, "std of ln sigma {std}");
}

/// The embedded networks' mixture: an example keeps its log-normal time (the same draw as
/// `LogNormal`'s) or, with probability UNIFORM_SHARE, takes a uniform one, so the high-noise end
/// the log-normal all but never reaches is still trained.
#[test]
fn the_mixed_times_are_the_log_normal_ones_but_for_a_uniform_share() {
    let data = Dataset::TwoMoons.mixture();
    let schedule = Schedule::VpLinear;
    let n = 20_000u32;
    let time = |sampling, i| train::example(&data, schedule, sampling, 5, i).t as f64;
    let mixed: Vec<(f64, f64)> = (0..n)
        .map(|i| (time(TimeSampling::LogNormalAndUniform, i), time(TimeSampling::LogNormal, i)))
        .collect();
    let share_of =
        |keep: &dyn Fn(&(f64, f64)) -> bool| mixed.iter().filter(|p| keep(p)).count() as f64 / n as f64;
    // Four in five are the log-normal draw itself.
    let kept = share_of(&|(m, l)| m == l);
    assert!((kept - (1.0 - UNIFORM_SHARE)).abs() < 0.01, "{kept} of the times are the log-normal's");
    // Above t = 0.9 (ln sigma > 4.1, 4.4 standard deviations of the log-normal) only the uniform
    // share lands: UNIFORM_SHARE times the uniform's mass there.
    let high = share_of(&|(m, _)| *m > 0.9);
    let expected = UNIFORM_SHARE * (schedule.t_max() - 0.9) / (schedule.t_max() - TRAIN_T_MIN);
    assert!((high - expected).abs() < 0.006, "{high} of the times above 0.9, expected {expected}");
    assert!(share_of(&|(_, l)| *l > 0.9) < 1e-3, "the log-normal alone leaves the high-noise end untrained");
}

#[test]
fn a_network_trained_on_each_objective_samples_the_data_through_its_own_conversion() {
    let dataset = Dataset::GaussianMixture;
    let data = dataset.mixture();
    let cases = [
        (Parametrization::Eps, Schedule::VpLinear, Weighting::Unit, TimeSampling::Uniform),
        (Parametrization::X0, Schedule::RectifiedFlow, Weighting::Unit, TimeSampling::Uniform),
        (Parametrization::Score, Schedule::VpLinear, Weighting::SigmaSquared, TimeSampling::Uniform),
        (Parametrization::Velocity, Schedule::RectifiedFlow, Weighting::Unit, TimeSampling::Uniform),
        (Parametrization::X0, Schedule::VpLinear, Weighting::Edm, TimeSampling::LogNormal),
        // EDM's recipe: preconditioned denoiser, log-normal noise levels, sigma up to 80.
        (Parametrization::EdmDenoiser, Schedule::Edm, Weighting::Unit, TimeSampling::LogNormal),
    ];
    let n = 2048;
    let fresh = dataset.sample(2002, n);
    let floor = sliced_wasserstein(&dataset.sample(3003, n), &fresh);
    for (objective, schedule, weighting, time_sampling) in cases {
        let config = TrainConfig {
            steps: 2000,
            batch: 128,
            learning_rate: 1e-2,
            final_learning_rate: 1e-4,
            objective,
            weighting,
            time_sampling,
            ..TrainConfig::default()
        };
        let mlp = train::train(&data, schedule, &config, |_, _| {});
        let setup = RunSetup {
            net: NetFrame { schedule, parametrization: objective },
            // EDM's sigma spans 0.002 to 80: its own (Karras) grid.
            grid: if schedule == Schedule::Edm { TimeGrid::Karras } else { TimeGrid::Uniform },
            ..RunSetup::new(schedule, Sampler::ProbabilityFlowEuler, 100)
        };
        let samples = quality::sample(ScoreSource::Mlp(&mlp), &setup, 7, n);
        let distance = sliced_wasserstein(&samples, &fresh);
        eprintln!("{objective:?} on {schedule:?} ({weighting:?}, {time_sampling:?}): SW2 {distance:.4}, floor {floor:.4}");
        assert!(
            distance < 2.0 * floor + 0.05,
            "{objective:?} on {schedule:?}: SW2 {distance} (floor {floor})"
        );
    }
}
