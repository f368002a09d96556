//! The exact posterior of a linear-Gaussian measurement (`core::posterior`): Bayes' rule in
//! closed form, per component, checked against Bayes' rule evaluated on a grid; finite for an
//! observation far from the data; and the reference an exact sampler reaches.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::posterior::{posterior, Observation};
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{Sampler, ScoreSource};
use diffusion_playground::core::schedule::Schedule;

/// Grid of the numerical Bayes rule: points per axis over [-3.5, 3.5]^2.
const GRID: usize = 351;

#[test]
fn the_posterior_mixture_is_bayes_rule_evaluated_on_a_grid() {
    let observations = [
        // Observe one coordinate, a projection, and a noisy point.
        Observation::new(vec![[1.0, 0.0]], vec![1.2], 0.3).unwrap(),
        Observation::new(vec![[0.6, 0.8]], vec![-0.5], 0.2).unwrap(),
        Observation::new(vec![[1.0, 0.0], [0.0, 1.0]], vec![0.4, 1.6], 0.5).unwrap(),
    ];
    for dataset in [Dataset::Pinwheel, Dataset::GaussianMixture] {
        let prior = dataset.mixture();
        for observation in &observations {
            let exact = posterior(&prior, observation);
            let h = 7.0 / (GRID - 1) as f64;
            let points: Vec<[f64; 2]> = (0..GRID * GRID)
                .map(|i| [-3.5 + h * (i % GRID) as f64, -3.5 + h * (i / GRID) as f64])
                .collect();
            // Bayes: p(x0 | y) = p0(x0) N(y; A x0, s^2 I) / Z, Z by the midpoint rule.
            let unnormalised: Vec<f64> = points
                .iter()
                .map(|&x| (prior.log_density_noised(x, 1.0, 0.0) + observation.log_likelihood(x)).exp())
                .collect();
            let z: f64 = unnormalised.iter().sum::<f64>() * h * h;
            let mut worst: f64 = 0.0;
            let mut peak: f64 = 0.0;
            for (x, u) in points.iter().zip(&unnormalised) {
                let closed_form = exact.log_density_noised(*x, 1.0, 0.0).exp();
                worst = worst.max((closed_form - u / z).abs());
                peak = peak.max(closed_form);
            }
            assert!(worst < 2e-3 * peak, "{dataset:?} {observation:?}: off by {worst} (peak {peak})");
        }
    }
}

#[test]
fn an_observation_far_from_the_data_still_gives_a_normalised_finite_posterior() {
    let prior = Dataset::TwoMoons.mixture();
    let far = Observation::new(vec![[1.0, 0.0], [0.0, 1.0]], vec![60.0, -45.0], 0.05).unwrap();
    let exact = posterior(&prior, &far);
    let total: f64 = exact.weights().iter().sum();
    assert!((total - 1.0).abs() < 1e-9, "{total}");
    assert!(exact
        .components
        .iter()
        .all(|c| c.log_weight.is_finite() && c.mean.iter().all(|m| m.is_finite())));
    // The nearest knot of the moons wins: the posterior sits at the data's edge toward y.
    let mean = exact.mean();
    assert!(mean[0] > 0.0 && mean[1] < 0.0, "{mean:?}");
}

#[test]
fn bad_measurements_are_refused_with_the_field_named() {
    let cases = [
        (Observation::new(vec![], vec![], 0.1), "observe"),
        (Observation::new(vec![[1.0, 0.0]; 3], vec![0.0; 3], 0.1), "observe"),
        (Observation::new(vec![[f64::NAN, 0.0]], vec![0.0], 0.1), "observe"),
        (Observation::new(vec![[1.0, 0.0]], vec![0.0, 1.0], 0.1), "observation"),
        (Observation::new(vec![[1.0, 0.0]], vec![f64::INFINITY], 0.1), "observation"),
        (Observation::new(vec![[1.0, 0.0]], vec![0.0], 0.0), "observation_noise"),
        (Observation::new(vec![[1.0, 0.0]], vec![0.0], -1.0), "observation_noise"),
    ];
    for (result, field) in cases {
        let message = result.expect_err("refused");
        assert!(message.starts_with(field), "{message}");
    }
    // A singular A (both rows the same direction) is a legitimate measurement.
    let singular = Observation::new(vec![[1.0, 1.0], [2.0, 2.0]], vec![0.5, 1.0], 0.2).unwrap();
    let exact = posterior(&Dataset::GaussianMixture.mixture(), &singular);
    assert!(exact.components.iter().all(|c| c.cov_xx.is_finite() && c.cov_det >= 0.0));
}

#[test]
fn sampling_with_the_exact_posterior_score_reaches_the_floor_against_exact_posterior_draws() {
    let n = 2000;
    let prior = Dataset::TwoMoons.mixture();
    let observation = Observation::new(vec![[1.0, 0.0]], vec![0.5], 0.2).unwrap();
    let exact = posterior(&prior, &observation);
    let setup = RunSetup::new(Schedule::VpLinear, Sampler::Heun, 60);
    let samples = quality::sample(ScoreSource::Exact(&exact), &setup, 5, n);
    let reference = exact.sample(6, 0, n);
    let distance = sliced_wasserstein(&samples, &reference);
    let floor = sliced_wasserstein(&exact.sample(7, 0, n), &reference);
    assert!(distance < 2.0 * floor + 0.01, "SW2 {distance} against floor {floor}");
    // Observing x near 0.5 splits the posterior over both moons where they cross x = 0.5.
    assert!(samples.iter().all(|p| (p[0] - 0.5).abs() < 1.5));
}
