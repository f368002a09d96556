//! The density view: the particles' histogram and the exact bin probabilities of p_t agree when
//! the particles follow p_t, and disagree when they do not.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::histogram::{self, Bins};
use diffusion_playground::core::sampler;
use diffusion_playground::core::schedule::Schedule;

const BINS: Bins = Bins { side: 64, half_extent: 3.0 };

#[test]
fn bins_are_row_major_from_the_top_left_and_drop_what_is_outside() {
    assert_eq!(BINS.index([-3.0, 3.0]), Some(0), "top-left corner");
    assert_eq!(BINS.index([2.99, -2.99]), Some(64 * 64 - 1), "bottom-right corner");
    assert_eq!(BINS.index([0.01, 0.01]), Some(31 * 64 + 32), "just above and right of the centre");
    for outside in [[3.0, 0.0], [0.0, -3.0], [-3.5, 0.0], [f32::NAN, 0.0], [0.0, f32::INFINITY]] {
        assert_eq!(BINS.index(outside), None, "{outside:?}");
    }
    let c = BINS.centre(0, 0);
    assert!((c[0] + 3.0 - 3.0 / 64.0).abs() < 1e-12 && (c[1] - 3.0 + 3.0 / 64.0).abs() < 1e-12);
    assert_eq!(BINS.index([c[0] as f32, c[1] as f32]), Some(0));
}

#[test]
fn the_histogram_of_noised_data_matches_the_exact_bin_probabilities_of_p_t() {
    let n = 200_000;
    for (dataset, schedule, t) in [
        (Dataset::GaussianMixture, Schedule::VpLinear, 0.2),
        (Dataset::Pinwheel, Schedule::RectifiedFlow, 0.3),
        (Dataset::TwoNormals1d, Schedule::VpCosine, 0.25),
    ] {
        let points = sampler::forward_noise(schedule, t, 5, &dataset.sample(9, n));
        let counts = histogram::histogram(&points, &BINS);
        let exact =
            histogram::exact_probabilities(&dataset.mixture(), schedule.alpha(t), schedule.sigma(t), &BINS);
        let mass: f64 = exact.iter().map(|&p| p as f64).sum();
        assert!((mass - 1.0).abs() < 0.02, "{dataset:?}: the window holds {mass} of p_t");
        let tv = histogram::total_variation(&counts, n, &exact);
        // Sampling noise alone: about sqrt(bins / n) / 2 ~ 0.05 at most; discretisation adds a little.
        assert!(tv < 0.06, "{dataset:?} at t = {t}: total variation {tv}");
        let wrong = histogram::exact_probabilities(
            &dataset.mixture(),
            schedule.alpha(0.9),
            schedule.sigma(0.9),
            &BINS,
        );
        let tv_wrong = histogram::total_variation(&counts, n, &wrong);
        assert!(tv_wrong > 3.0 * tv, "{dataset:?}: p_0.9 is told apart ({tv_wrong} vs {tv})");
    }
}
