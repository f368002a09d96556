//! Classes, the exact classifier and guidance (`core::classes`, `core::guidance`): the
//! conditionals and the classifier are Bayes' rule applied to the mixture, their gradients are
//! the gradients of their log-densities, and guidance with the exact scores samples what it
//! should (w = 1 the class conditional, w = 0 the unconditional distribution).

use diffusion_playground::core::classes::{
    self, class_members, classes, component_classes, conditional, marked,
};
use diffusion_playground::core::dataset::{Dataset, GaussianMixture};
use diffusion_playground::core::guidance::{
    self, class_log_posterior_gradient, guidance_weights, log_class_posterior, tilted_probabilities,
    Guidance, MAX_GUIDANCE_NOISE,
};
use diffusion_playground::core::histogram::{self, Bins};
use diffusion_playground::core::metrics;
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;

fn marked_class(dataset: Dataset, class: usize) -> GaussianMixture {
    marked(&dataset.mixture(), &class_members(dataset, class)).expect("every class has components")
}

#[test]
fn every_dataset_splits_into_its_named_classes_and_each_class_has_components() {
    let expected: [(Dataset, &[usize]); 9] = [
        (Dataset::GaussianMixture, &[1; 8]),
        (Dataset::TwoMoons, &[100, 100]),
        (Dataset::Pinwheel, &[1; 5]),
        (Dataset::Checkerboard, &[100, 100]),
        (Dataset::Line, &[6, 6]),
        (Dataset::TwoNormals1d, &[1, 1]),
        (Dataset::Smiley, &[0, 2, 0]), // outline and mouth counts checked below
        (Dataset::Rings, &[0, 0]),
        (Dataset::Spiral, &[0, 0]),
    ];
    for (dataset, counts) in expected {
        let labels = component_classes(dataset);
        assert_eq!(labels.len(), dataset.mixture().components.len());
        let names = classes(dataset);
        assert_eq!(names.len(), counts.len(), "{dataset:?}");
        for (class, &count) in counts.iter().enumerate() {
            let n = labels.iter().filter(|&&c| c == class).count();
            assert!(n > 0, "{dataset:?} class {} is empty", names[class].name);
            if count > 0 {
                assert_eq!(n, count, "{dataset:?} class {}", names[class].name);
            }
        }
        // The priors W_c add up to 1: the classes partition the mixture.
        let total: f64 = (0..names.len()).map(|c| classes::class_prior(&marked_class(dataset, c))).sum();
        assert!((total - 1.0).abs() < 1e-6, "{dataset:?}: priors sum to {total}");
    }
    // The 1-D dataset's two normals keep their weights 0.4 and 0.6 as class priors.
    let left = classes::class_prior(&marked_class(Dataset::TwoNormals1d, 0));
    assert!((left - 0.4).abs() < 1e-6, "{left}");
    // The rings' classes are the rings: the inner one's knots all sit at radius 1.
    let inner = conditional(&marked_class(Dataset::Rings, 0)).unwrap();
    assert!(inner.components.iter().all(|c| (c.mean[0].hypot(c.mean[1]) - 1.0).abs() < 1e-5));
    assert_eq!(classes::class_index(Dataset::TwoMoons, "lower"), Some(1));
    assert_eq!(classes::class_index(Dataset::TwoMoons, "north"), None);
}

#[test]
fn the_class_posterior_is_bayes_rule_and_sums_to_one_over_the_classes() {
    let schedule = Schedule::VpLinear;
    for dataset in [Dataset::GaussianMixture, Dataset::Smiley, Dataset::TwoMoons] {
        for t in [0.05, 0.3, 0.9] {
            let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
            for x in [[0.3, -0.2], [1.9, 0.1], [-2.5, 2.5], [40.0, -30.0]] {
                let logs: Vec<f64> = (0..classes(dataset).len())
                    .map(|c| log_class_posterior(&marked_class(dataset, c), x, alpha, sigma))
                    .collect();
                assert!(logs.iter().all(|l| l.is_finite()), "{dataset:?} {x:?}: {logs:?}");
                let total: f64 = logs.iter().map(|l| l.exp()).sum();
                // The f32 log weights hold the priors to about 1e-7.
                assert!((total - 1.0).abs() < 1e-6, "{dataset:?} t {t} x {x:?}: sum {total}");
            }
        }
    }
}

#[test]
fn the_classifier_gradient_is_the_finite_difference_gradient_of_log_p_c_given_x() {
    let schedule = Schedule::VpLinear;
    let h = 1e-5;
    for (dataset, class) in [(Dataset::GaussianMixture, 2), (Dataset::TwoMoons, 1), (Dataset::Smiley, 1)] {
        let mixture = marked_class(dataset, class);
        for t in [0.1, 0.4, 0.8] {
            let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
            for x in [[0.3, -0.2], [1.2, 0.8], [-1.0, 1.5]] {
                let log_p = |x: [f64; 2]| log_class_posterior(&mixture, x, alpha, sigma);
                let fd = [
                    (log_p([x[0] + h, x[1]]) - log_p([x[0] - h, x[1]])) / (2.0 * h),
                    (log_p([x[0], x[1] + h]) - log_p([x[0], x[1] - h])) / (2.0 * h),
                ];
                let g = class_log_posterior_gradient(
                    &mixture,
                    [x[0] as f32, x[1] as f32],
                    alpha as f32,
                    sigma as f32,
                );
                for k in 0..2 {
                    let tolerance = 2e-3 * (1.0 + fd[k].abs());
                    assert!(
                        (g[k] as f64 - fd[k]).abs() < tolerance,
                        "{dataset:?} t {t} x {x:?}: gradient {g:?}, finite differences {fd:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_classifier_gradient_stays_finite_far_from_the_class() {
    // Far from the class its responsibilities underflow against the rest's; the class keeps its
    // own maximum, so the gradient is finite (and points back toward the class).
    let mixture = marked_class(Dataset::GaussianMixture, 0); // east, at (2, 0)
    let g = class_log_posterior_gradient(&mixture, [-2.0, 0.0], 1.0, 0.05);
    assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
    assert!(g[0] > 0.0, "points east: {g:?}");
}

#[test]
fn the_guidance_weight_is_the_scale_inside_the_interval_and_one_outside() {
    let guidance = Guidance { scale: 3.0, noise_low: 0.5, noise_high: 2.0 };
    assert_eq!(guidance.weight_at(1.0, 1.0), 3.0); // sigma / alpha = 1
    assert_eq!(guidance.weight_at(1.0, 0.1), 1.0); // below
    assert_eq!(guidance.weight_at(0.1, 1.0), 1.0); // 10: above
    assert_eq!(guidance.weight_at(0.0, 1.0), 1.0); // infinite noise level: above
    let open = Guidance { scale: 3.0, noise_low: 0.5, noise_high: MAX_GUIDANCE_NOISE };
    assert_eq!(open.weight_at(0.0, 1.0), 3.0, "an upper end at the maximum is open");
    let times = TimeGrid::Uniform.times(Schedule::VpLinear, 1.0, 1e-3, 10);
    let plan = sampler::plan(
        Schedule::VpLinear,
        NetFrame::eps(Schedule::VpLinear),
        &SamplerSettings::new(Sampler::Heun),
        &times,
    );
    assert_eq!(guidance_weights(&plan, None), vec![0.0; 20], "unguided: every weight 0");
    assert_eq!(guidance_weights(&plan, Some(&Guidance::everywhere(2.5))).len(), 20);
}

fn run(
    source: ScoreSource,
    schedule: Schedule,
    sampler_kind: Sampler,
    steps: usize,
    n: usize,
) -> Vec<[f32; 2]> {
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &SamplerSettings::new(sampler_kind), &times);
    let mut points = sampler::prior(schedule, times[0], 3, n);
    sampler::run_from_start(source, &plan, &mut points, 3, 0);
    points
}

#[test]
fn guidance_scale_one_is_conditional_sampling_and_scale_zero_is_unconditional() {
    let dataset = Dataset::TwoMoons;
    let mixture = marked_class(dataset, 0);
    let exact_conditional = conditional(&mixture).unwrap();
    for schedule in [Schedule::VpLinear, Schedule::Edm] {
        for sampler_kind in [Sampler::DpmSolver2M, Sampler::EulerMaruyama] {
            let unconditional = run(ScoreSource::Exact(&mixture), schedule, sampler_kind, 30, 300);
            let scale_zero = ScoreSource::Exact(&mixture).guided(&mixture, Guidance::everywhere(0.0));
            assert_eq!(run(scale_zero, schedule, sampler_kind, 30, 300), unconditional, "w = 0: unguided");
            let conditional_run =
                run(ScoreSource::Exact(&exact_conditional), schedule, sampler_kind, 30, 300);
            let scale_one = ScoreSource::Exact(&mixture).guided(&mixture, Guidance::everywhere(1.0));
            let guided = run(scale_one, schedule, sampler_kind, 30, 300);
            let worst = guided
                .iter()
                .zip(&conditional_run)
                .map(|(a, b)| (a[0] - b[0]).abs().max((a[1] - b[1]).abs()))
                .fold(0.0f32, f32::max);
            assert!(worst < 2e-3, "{schedule:?} {sampler_kind:?}: w = 1 differs from p(x | c) by {worst}");
        }
    }
}

#[test]
fn sampling_with_the_exact_conditional_score_reaches_the_floor_against_exact_class_samples() {
    let n = 2000;
    for (dataset, class) in [(Dataset::TwoMoons, 1), (Dataset::GaussianMixture, 5), (Dataset::Smiley, 2)] {
        let mixture = marked_class(dataset, class);
        let target = conditional(&mixture).unwrap();
        let source = ScoreSource::Exact(&mixture).guided(&mixture, Guidance::everywhere(1.0));
        let samples = run(source, Schedule::VpLinear, Sampler::Heun, 60, n);
        let reference = target.sample(11, 0, n);
        let distance = metrics::sliced_wasserstein(&samples, &reference);
        let floor = metrics::sliced_wasserstein(&target.sample(12, 0, n), &reference);
        assert!(distance < 2.0 * floor + 0.01, "{dataset:?}: SW2 {distance} against floor {floor}");
        // And it is far from the unconditional distribution.
        let everything = dataset.mixture().sample(11, 0, n);
        assert!(metrics::sliced_wasserstein(&samples, &everything) > 3.0 * distance.max(floor));
    }
}

#[test]
fn stronger_guidance_concentrates_the_tilted_target_on_the_class_modes() {
    let mixture = marked_class(Dataset::TwoMoons, 0);
    let bins = Bins { side: 32, half_extent: 3.0 };
    let schedule = Schedule::VpLinear;
    let t = 0.3;
    let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
    let conditional_bins =
        histogram::exact_probabilities(&conditional(&mixture).unwrap(), alpha, sigma, &bins);
    assert_eq!(tilted_probabilities(&mixture, alpha, sigma, 1.0, &bins).unwrap(), conditional_bins);
    // The numerical normaliser: w = 1 through the general path (scale a hair off 1) agrees.
    let near_one = tilted_probabilities(&mixture, alpha, sigma, 1.0 + 1e-9, &bins).unwrap();
    let gap: f64 = near_one.iter().zip(&conditional_bins).map(|(a, b)| (a - b).abs() as f64).sum();
    assert!(gap < 1e-3, "quadrature normaliser off by {gap}");
    let strong = tilted_probabilities(&mixture, alpha, sigma, 4.0, &bins).unwrap();
    let total: f64 = strong.iter().map(|&p| p as f64).sum();
    // Normalised over the plane: the window [-3, 3]^2 holds nearly all of it, not more.
    assert!((0.95..=1.0 + 1e-3).contains(&total), "the tilted density is normalised: {total}");
    // Mass in the upper half (the upper moon's side) grows with the scale.
    let upper = |p: &[f32]| p[..p.len() / 2].iter().map(|&v| v as f64).sum::<f64>();
    assert!(upper(&strong) > upper(&conditional_bins), "{} vs {}", upper(&strong), upper(&conditional_bins));
}

#[test]
fn with_exact_scores_guided_eps_is_minus_sigma_times_the_tilted_score() {
    // eps - sigma w (s_c - s) = -sigma ((1 - w) s + w s_c): classifier guidance with the exact
    // classifier and classifier-free guidance with exact scores are one vector field.
    let mixture = marked_class(Dataset::Pinwheel, 3);
    let cond = conditional(&mixture).unwrap();
    let (alpha, sigma, w) = (0.8f32, 0.6f32, 2.5f32);
    let evaluation = sampler::Evaluation { alpha, sigma, ..Default::default() };
    for x in [[0.1f32, 0.2], [-1.0, 0.5], [1.5, -1.5]] {
        let s = mixture.score_noised(x, alpha, sigma);
        let s_c = cond.score_noised(x, alpha, sigma);
        let eps = [-sigma * s[0], -sigma * s[1]];
        let guided = guidance::guided_eps(eps, &mixture, x, &evaluation, w);
        for k in 0..2 {
            let cfg = -sigma * ((1.0 - w) * s[k] + w * s_c[k]);
            assert!((guided[k] - cfg).abs() < 1e-4 * (1.0 + cfg.abs()), "{x:?}: {guided:?} vs cfg {cfg}");
        }
    }
}
