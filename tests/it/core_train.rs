//! Training objectives (docs/theory.md): eps, x0, score and velocity targets describe the same
//! example, the weightings relate them as the papers say, EDM's log-normal times have the stated
//! moments, and a network trained on each objective samples the data through its own conversion.

use std::sync::Arc;

use diffusion_playground::core::class_embedding::ClassEmbedding;
use diffusion_playground::core::classes;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::mlp::{Architecture, Mlp, HIDDEN};
use diffusion_playground::core::param::{self, Coefficients, Parametrization};
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{NetFrame, Sampler, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;
use diffusion_playground::core::train::{
    self, Conditioning, TimeSampling, TrainConfig, Weighting, EDM_P_MEAN, EDM_P_STD, TRAIN_T_MIN,
    UNIFORM_SHARE,
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

/// Times uniform in log-SNR: every quarter of the log-SNR range between t_max and TRAIN_T_MIN
/// holds a quarter of the draws (the continuous-time ELBO's importance sampling).
#[test]
fn elbo_times_are_uniform_in_log_snr() {
    let data = Dataset::TwoMoons.mixture();
    for schedule in [Schedule::VpLinear, Schedule::VpCosine, Schedule::RectifiedFlow] {
        let (lowest, highest) = (schedule.log_snr(schedule.t_max()), schedule.log_snr(TRAIN_T_MIN));
        let n = 8_000u32;
        let mut quarters = [0u32; 4];
        for i in 0..n {
            let t = train::example(&data, schedule, TimeSampling::UniformLogSnr, 9, i).t as f64;
            let position = (schedule.log_snr(t) - lowest) / (highest - lowest);
            assert!((-1e-4..=1.0 + 1e-4).contains(&position), "{schedule:?}: t = {t} outside the range");
            quarters[((position * 4.0) as usize).min(3)] += 1;
        }
        for count in quarters {
            // Binomial(8000, 1/4): standard deviation 39.
            assert!((count as f64 - n as f64 / 4.0).abs() < 160.0, "{schedule:?}: quarters {quarters:?}");
        }
    }
}

/// The divergence term's target is unbiased: with the exact score of the noised data in place of
/// the network (eps* = -sigma grad log p_t), R = -sigma div eps* + d - |eps - eps*|^2 averages to
/// zero over x_0 and eps at every time (Tweedie's second-order formula), while the same average
/// with |eps|^2 in place of |eps - eps*|^2 is far from it once
/// sigma is not small.
#[test]
fn the_divergence_target_is_tweedie_s_second_order_formula() {
    let data = Dataset::TwoMoons.mixture();
    let schedule = Schedule::VpLinear;
    for t in [0.002, 0.02, 0.1, 0.4, 0.9] {
        let (alpha, sigma) = (schedule.alpha(t), schedule.sigma(t));
        let n = 40_000u32;
        let (mut sum, mut sum_squares, mut without_prediction) = (0.0f64, 0.0f64, 0.0f64);
        for i in 0..n {
            let example = train::example(&data, schedule, TimeSampling::Uniform, 11, i);
            let eps = example.eps.map(|e| e as f64);
            let x0 = example.x0.map(|e| e as f64);
            let x = [0, 1].map(|k| alpha * x0[k] + sigma * eps[k]);
            let (score, divergence) = data.score_divergence_noised_f64(x, alpha, sigma);
            let eps_exact = score.map(|s| -sigma * s);
            let norm = |v: [f64; 2]| v[0] * v[0] + v[1] * v[1];
            let r = sigma * sigma * divergence + 2.0 - norm([eps[0] - eps_exact[0], eps[1] - eps_exact[1]]);
            sum += r;
            sum_squares += r * r;
            without_prediction += sigma * sigma * divergence + 2.0 - norm(eps);
        }
        let mean = sum / n as f64;
        let standard_error = ((sum_squares / n as f64 - mean * mean) / n as f64).sqrt();
        assert!(
            mean.abs() < 4.0 * standard_error,
            "t = {t}: mean residual {mean} (standard error {standard_error})"
        );
        // |eps*|^2 is the difference: small where sigma is (eps is then all but unpredictable).
        let off = without_prediction / n as f64 - mean;
        if t >= 0.1 {
            assert!(
                off.abs() > 10.0 * standard_error,
                "t = {t}: without the prediction the target is off by only {off}"
            );
        }
    }
}

/// The divergence term's gradient is the derivative of its loss with the predictions in the
/// square held fixed: central differences of the loss in a few of the network's weights agree
/// with what `divergence_loss_and_gradient` adds.
#[test]
fn the_divergence_term_s_gradient_is_the_derivative_of_its_loss() {
    let data = Dataset::GaussianMixture.mixture();
    let schedule = Schedule::VpLinear;
    let config = TrainConfig { batch: 16, ..TrainConfig::default() };
    let mlp = train::train(&data, schedule, &TrainConfig { steps: 200, ..config.clone() }, |_, _| {});
    let examples: Vec<_> =
        train::coupled_examples(&data, schedule, &config, 4096).into_iter().map(|(e, _)| e).collect();
    let fixed = train::predictions(&mlp, &examples);
    let mut gradient = vec![0.0f32; mlp.weights.len()];
    train::divergence_loss_and_gradient(&mlp, schedule, &examples, &fixed, None, 1.0, &mut gradient);
    let loss_along = |direction: &[f32], step: f32| {
        let mut changed = mlp.clone();
        changed.weights.iter_mut().zip(direction).for_each(|(w, d)| *w += step * d);
        let mut unused = vec![0.0f32; mlp.weights.len()];
        train::divergence_loss_and_gradient(&changed, schedule, &examples, &fixed, None, 1.0, &mut unused)
            as f64
    };
    let derivative_along = |direction: &[f32], step: f32| {
        (loss_along(direction, step) - loss_along(direction, -step)) / (2.0 * step as f64)
    };
    // Along the gradient itself, whose derivative is |g|: every weight moved, float32's rounding
    // of the loss (its divergences are differences of outputs) averaged out.
    let norm = gradient.iter().map(|g| (*g as f64).powi(2)).sum::<f64>().sqrt();
    let unit: Vec<f32> = gradient.iter().map(|g| (*g as f64 / norm) as f32).collect();
    let numeric = derivative_along(&unit, 1e-3);
    assert!(
        (numeric - norm).abs() < 0.02 * norm,
        "along the gradient: {norm} from the backward passes, {numeric} by differences"
    );
    // And weight by weight, for the largest entries (where rounding is smallest beside them).
    let mut order: Vec<usize> = (0..gradient.len()).collect();
    order.sort_by(|&a, &b| gradient[b].abs().total_cmp(&gradient[a].abs()));
    for &index in &order[..6] {
        let mut single = vec![0.0f32; gradient.len()];
        single[index] = 1.0;
        let numeric = derivative_along(&single, 1e-2 * mlp.weights[index].abs().max(0.05));
        let analytic = gradient[index] as f64;
        assert!(
            (numeric - analytic).abs() < 0.1 * analytic.abs(),
            "weight {index}: {analytic} from the backward passes, {numeric} by differences"
        );
    }
}

/// With a class embedding the divergence term runs each example with its label's row, and the
/// rows' gradient is the derivative of its loss too: differences of the loss along the rows'
/// gradient agree with what `divergence_loss_and_gradient` adds to it, and rows of labels no
/// example carries get none.
#[test]
fn the_conditional_divergence_term_s_gradient_in_the_class_rows_is_the_derivative_of_its_loss() {
    let dataset = Dataset::TwoMoons;
    let data = dataset.mixture();
    let schedule = Schedule::VpLinear;
    let component_classes = classes::component_classes(dataset);
    let labels = train::Labels { component_classes: &component_classes, classes: 2 };
    let config = TrainConfig { batch: 256, steps: 200, ..TrainConfig::default() };
    let (mlp, mut embedding) = train::train_conditional(&data, &labels, schedule, &config, |_, _| {});
    // Rows away from zero, so that each class's network differs from the others'.
    embedding.rows.iter_mut().enumerate().for_each(|(i, r)| *r += 0.05 * ((i % 7) as f32 - 3.0));
    let examples: Vec<_> =
        train::coupled_examples(&data, schedule, &config, 4096).into_iter().map(|(e, _)| e).collect();
    // Classes 0 and 1 only: the null class's row must get no gradient.
    let classes: Vec<usize> = (0..examples.len()).map(|i| i % 2).collect();
    let fixed = train::conditional_predictions(&mlp, &embedding, &examples, &classes);
    let loss_and_row_gradient = |embedding: &ClassEmbedding| {
        let mut rows = vec![0.0f32; embedding.rows.len()];
        let mut unused = vec![0.0f32; mlp.weights.len()];
        let conditioning = Conditioning { embedding, labels: &classes, gradient: &mut rows };
        let loss = train::divergence_loss_and_gradient(
            &mlp,
            schedule,
            &examples,
            &fixed,
            Some(conditioning),
            1.0,
            &mut unused,
        );
        (loss as f64, rows)
    };
    let (_, gradient) = loss_and_row_gradient(&embedding);
    let null = &gradient[2 * HIDDEN..];
    assert!(null.iter().all(|g| *g == 0.0), "the null class's row, carried by no example, got a gradient");
    let norm = gradient.iter().map(|g| (*g as f64).powi(2)).sum::<f64>().sqrt();
    assert!(norm > 0.0);
    let along = |step: f64| {
        let mut moved = embedding.clone();
        moved.rows.iter_mut().zip(&gradient).for_each(|(r, g)| *r += (step * *g as f64 / norm) as f32);
        loss_and_row_gradient(&moved).0
    };
    // The loss holds divergences by differences of float32 outputs, whose rounding a small step
    // would amplify; the rows move little at this one.
    let step = 0.05;
    let numeric = (along(step) - along(-step)) / (2.0 * step);
    assert!(
        (numeric - norm).abs() < 0.03 * norm,
        "along the rows' gradient: {norm} from the backward passes, {numeric} by differences"
    );
}

/// The guidance-hold term is zero for the network it holds to, charges a change of the null class
/// alone (which moves every class's guidance direction) but not one that moves every class and
/// the null class alike (a shift of the last layer's bias), and its gradient in the weights and
/// the rows is the derivative of its loss; the null class's examples carry none of it.
#[test]
fn the_guidance_hold_term_holds_the_difference_of_each_class_and_the_null_class() {
    let dataset = Dataset::TwoMoons;
    let data = dataset.mixture();
    let schedule = Schedule::VpLinear;
    let component_classes = classes::component_classes(dataset);
    let labels = train::Labels { component_classes: &component_classes, classes: 2 };
    let config = TrainConfig { batch: 64, steps: 100, ..TrainConfig::default() };
    let (mlp, mut embedding) = train::train_conditional(&data, &labels, schedule, &config, |_, _| {});
    embedding.rows.iter_mut().enumerate().for_each(|(i, r)| *r += 0.05 * ((i % 7) as f32 - 3.0));
    let hold = train::GuidanceHold { teacher: Arc::new((mlp.clone(), embedding.clone())), weight: 1.0 };
    let examples: Vec<_> =
        train::coupled_examples(&data, schedule, &config, 4096).into_iter().map(|(e, _)| e).collect();
    // Classes 0 and 1 and the null class (2) in turn.
    let classes: Vec<usize> = (0..examples.len()).map(|i| i % 3).collect();
    let loss_and_gradients = |mlp: &Mlp, embedding: &ClassEmbedding| {
        let mut gradient = vec![0.0f32; mlp.weights.len()];
        let mut rows = vec![0.0f32; embedding.rows.len()];
        let loss = train::guidance_hold_loss_and_gradient(
            (mlp, embedding),
            &hold,
            &examples,
            &classes,
            (&mut gradient, &mut rows),
        );
        (loss as f64, gradient, rows)
    };
    assert_eq!(loss_and_gradients(&mlp, &embedding).0, 0.0, "at the teacher");
    let mut null_moved = embedding.clone();
    let null = null_moved.null();
    null_moved.rows[null * HIDDEN..].iter_mut().for_each(|r| *r += 0.3);
    let (loss, gradient, rows) = loss_and_gradients(&mlp, &null_moved);
    assert!(loss > 1e-4, "a change of the null class alone is charged: {loss}");
    // Every class alike: the last layer's output bias b3 (a plain network's last two weights)
    // shifts every eps_c and eps_null by the same vector.
    assert_eq!(mlp.architecture(), Architecture::PLAIN);
    let mut all_moved = mlp.clone();
    let n = all_moved.weights.len();
    all_moved.weights[n - 2..].iter_mut().for_each(|w| *w += 0.3);
    let alike = loss_and_gradients(&all_moved, &embedding).0;
    assert!(alike < 1e-9, "a change of every class alike is not: {alike}");
    // The gradient, weights and rows together, against differences of the loss along it.
    let norm = gradient.iter().chain(&rows).map(|g| (*g as f64).powi(2)).sum::<f64>().sqrt();
    let along = |step: f64| {
        let (mut m, mut e) = (mlp.clone(), null_moved.clone());
        m.weights.iter_mut().zip(&gradient).for_each(|(w, g)| *w += (step * *g as f64 / norm) as f32);
        e.rows.iter_mut().zip(&rows).for_each(|(r, g)| *r += (step * *g as f64 / norm) as f32);
        loss_and_gradients(&m, &e).0
    };
    let step = 1e-3;
    let numeric = (along(step) - along(-step)) / (2.0 * step);
    assert!(
        (numeric - norm).abs() < 0.02 * norm,
        "along the gradient: {norm} by backward passes, {numeric} by differences"
    );
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
