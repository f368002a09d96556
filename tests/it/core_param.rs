//! Parametrizations (Kingma et al. 2021; Salimans & Ho 2022): the four targets eps, x0, score and
//! velocity describe the same prediction, related through x = alpha x0 + sigma eps, Tweedie's
//! formula and the probability-flow drift.

use diffusion_playground::core::param::{self, Coefficients, EdmPreconditioning, Parametrization};
use diffusion_playground::core::rng;
use diffusion_playground::core::schedule::Schedule;

/// Times strictly inside each schedule's run range, crowding both ends.
fn inner_times(schedule: Schedule) -> Vec<f64> {
    let (lo, hi) = (schedule.t_min(), schedule.t_max());
    let span = hi - lo;
    let mut times: Vec<f64> = (1..40).map(|i| lo + span * i as f64 / 40.0).collect();
    times.extend([lo + 1e-4 * span, lo + 1e-2 * span, hi - 1e-2 * span, hi]);
    times
}

/// A point x (f32) and the (x0, eps) behind it, exactly consistent in f64 with the f32
/// coefficients: x = alpha x0 + sigma eps.
struct Truth {
    x: [f32; 2],
    x0: [f64; 2],
    eps: [f64; 2],
}

fn truth(c: &Coefficients, index: u32) -> Truth {
    let (alpha, sigma) = (c.alpha as f64, c.sigma as f64);
    let w = rng::normal4(7, index, 0, rng::stream::DATA);
    let x0 = [2.0 * w[0] as f64, 2.0 * w[1] as f64];
    let mut eps = [w[2] as f64, w[3] as f64];
    let x: [f32; 2] = std::array::from_fn(|k| (alpha * x0[k] + sigma * eps[k]) as f32);
    for k in 0..2 {
        eps[k] = (x[k] as f64 - alpha * x0[k]) / sigma;
    }
    Truth { x, x0, eps }
}

/// The prediction of each parametrization, from the definitions (docs/theory.md), in f64.
fn exact(truth: &Truth, c: &Coefficients, p: Parametrization) -> [f64; 2] {
    let (sigma, d_alpha, d_sigma) = (c.sigma as f64, c.d_alpha as f64, c.d_sigma as f64);
    std::array::from_fn(|k| match p {
        Parametrization::Eps => truth.eps[k],
        Parametrization::X0 => truth.x0[k],
        Parametrization::Score => -truth.eps[k] / sigma,
        Parametrization::Velocity => d_alpha * truth.x0[k] + d_sigma * truth.eps[k],
        Parametrization::EdmDenoiser => {
            // Karras et al. 2022, Table 1, at the noise level sigma / alpha with sigma_data 0.5.
            let (alpha, level) = (c.alpha as f64, sigma / c.alpha as f64);
            let c_skip = 0.25 / (level * level + 0.25);
            let c_out = level * 0.5 / (level * level + 0.25).sqrt();
            (truth.x0[k] - c_skip * truth.x[k] as f64 / alpha) / c_out
        }
    })
}

fn norm(v: [f64; 2]) -> f64 {
    v[0].hypot(v[1])
}

fn distance(a: [f32; 2], b: [f64; 2]) -> f64 {
    norm([a[0] as f64 - b[0], a[1] as f64 - b[1]])
}

fn to_f32(v: [f64; 2]) -> [f32; 2] {
    [v[0] as f32, v[1] as f32]
}

#[test]
fn every_conversion_there_and_back_is_the_identity() {
    for schedule in Schedule::ALL {
        for (i, t) in inner_times(schedule).into_iter().enumerate() {
            let c = Coefficients::at(schedule, t);
            let truth = truth(&c, i as u32);
            for from in Parametrization::ALL {
                let value = to_f32(exact(&truth, &c, from));
                for to in Parametrization::ALL {
                    let there = param::convert(value, from, to, truth.x, &c);
                    let back = param::convert(there, to, from, truth.x, &c);
                    let reference = [value[0] as f64, value[1] as f64];
                    let error = distance(back, reference);
                    assert!(
                        error <= 1e-5 * norm(reference),
                        "{} t={t}: {from:?} -> {to:?} -> back: {back:?} vs {value:?}",
                        schedule.name()
                    );
                }
            }
        }
    }
}

#[test]
fn every_conversion_gives_the_prediction_its_definition_gives() {
    // From the exact eps, x0, score or velocity of one (x0, eps) pair, every other one follows.
    for schedule in Schedule::ALL {
        for (i, t) in inner_times(schedule).into_iter().enumerate() {
            let c = Coefficients::at(schedule, t);
            let truth = truth(&c, 1000 + i as u32);
            for from in Parametrization::ALL {
                let value = to_f32(exact(&truth, &c, from));
                for to in Parametrization::ALL {
                    let converted = param::convert(value, from, to, truth.x, &c);
                    let expected = exact(&truth, &c, to);
                    // The input's f32 rounding, amplified by the conversion (up to ~1/alpha, 1/sigma).
                    let scale = norm(expected) + norm(exact(&truth, &c, from)) + 1.0;
                    let tolerance = 1e-5 * scale * (1.0 / c.alpha as f64).max(1.0 / c.sigma as f64).max(1.0);
                    assert!(
                        distance(converted, expected) <= tolerance,
                        "{} t={t}: {from:?} -> {to:?}: {converted:?} vs {expected:?}",
                        schedule.name()
                    );
                }
            }
        }
    }
}

#[test]
fn tweedie_turns_the_exact_score_of_gaussian_data_into_its_posterior_mean() {
    // Data N(mu, s^2 I): x_t ~ N(alpha mu, (alpha^2 s^2 + sigma^2) I), score -(x - alpha mu)/(alpha^2 s^2
    // + sigma^2), and E[x0 | x_t] = mu + alpha s^2 / (alpha^2 s^2 + sigma^2) (x - alpha mu).
    let (mu, s2) = ([0.7f64, -1.3f64], 0.36f64);
    for schedule in Schedule::ALL {
        for (i, t) in inner_times(schedule).into_iter().enumerate() {
            let c = Coefficients::at(schedule, t);
            let (alpha, sigma) = (c.alpha as f64, c.sigma as f64);
            let variance = alpha * alpha * s2 + sigma * sigma;
            let z = rng::normal2(11, i as u32, 0, rng::stream::DATA);
            let x: [f32; 2] = std::array::from_fn(|k| (alpha * mu[k] + variance.sqrt() * z[k] as f64) as f32);
            let score: [f32; 2] = std::array::from_fn(|k| (-(x[k] as f64 - alpha * mu[k]) / variance) as f32);
            let posterior_mean: [f64; 2] =
                std::array::from_fn(|k| mu[k] + alpha * s2 / variance * (x[k] as f64 - alpha * mu[k]));
            let x0 = param::convert(score, Parametrization::Score, Parametrization::X0, x, &c);
            let error = distance(x0, posterior_mean);
            assert!(
                error <= 1e-5 * (1.0 + norm(posterior_mean)),
                "{} t={t}: {x0:?} vs {posterior_mean:?}",
                schedule.name()
            );
        }
    }
}

#[test]
fn the_velocity_is_the_probability_flow_drift() {
    // The velocity identity (docs/theory.md): u_t(x) = f x - g^2/2 grad log p = alpha' x0 + sigma' eps.
    for schedule in Schedule::ALL {
        for (i, t) in inner_times(schedule).into_iter().enumerate() {
            let c = Coefficients::at(schedule, t);
            let truth = truth(&c, 2000 + i as u32);
            let score = to_f32(exact(&truth, &c, Parametrization::Score));
            let velocity =
                param::convert(score, Parametrization::Score, Parametrization::Velocity, truth.x, &c);
            let (f, g2) = (schedule.drift(t), schedule.diffusion_squared(t));
            let drift: [f64; 2] = std::array::from_fn(|k| f * truth.x[k] as f64 - 0.5 * g2 * score[k] as f64);
            let scale = norm(drift) + f.abs() * norm([truth.x[0] as f64, truth.x[1] as f64]) + 1.0;
            assert!(
                distance(velocity, drift) <= 1e-5 * scale,
                "{} t={t}: {velocity:?} vs {drift:?}",
                schedule.name()
            );
        }
    }
}

#[test]
fn rectified_flow_velocity_is_noise_minus_data() {
    let c = Coefficients::at(Schedule::RectifiedFlow, 0.3);
    let (x0, eps) = ([1.0f32, -2.0], [0.5f32, 0.25]);
    let x = [0.7 * x0[0] + 0.3 * eps[0], 0.7 * x0[1] + 0.3 * eps[1]];
    let v = param::convert(eps, Parametrization::Eps, Parametrization::Velocity, x, &c);
    assert!((v[0] - (eps[0] - x0[0])).abs() < 1e-6 && (v[1] - (eps[1] - x0[1])).abs() < 1e-6, "{v:?}");
}

#[test]
fn inside_the_domain_every_conversion_is_finite_and_at_the_ends_only_the_documented_ones_fail() {
    for schedule in Schedule::ALL {
        for t in inner_times(schedule) {
            let c = Coefficients::at(schedule, t);
            for from in Parametrization::ALL {
                for to in Parametrization::ALL {
                    let out = param::convert([1.5, -0.5], from, to, [0.3, 2.0], &c);
                    assert!(
                        out.iter().all(|v| v.is_finite()),
                        "{} t={t}: {from:?} -> {to:?}",
                        schedule.name()
                    );
                }
            }
        }
    }
    use Parametrization::{Eps, Score, Velocity, X0};
    // alpha = 0 (rectified flow at t = 1): x0 cannot come from eps or score, but it can from velocity.
    let c = Coefficients::at(Schedule::RectifiedFlow, 1.0);
    let (value, x) = ([0.5, 1.0], [0.2, -0.4]);
    assert!(!param::convert(value, Eps, X0, x, &c)[0].is_finite());
    assert!(!param::convert(value, Score, Velocity, x, &c)[0].is_finite());
    assert!(param::convert(value, Velocity, X0, x, &c).iter().all(|v| v.is_finite()));
    assert!(param::convert(value, X0, Eps, x, &c).iter().all(|v| v.is_finite()));
    // sigma = 0 (rectified flow at t = 0): no score, no eps from x0.
    let c = Coefficients::at(Schedule::RectifiedFlow, 0.0);
    assert!(!param::convert(value, Eps, Score, x, &c)[0].is_finite());
    assert!(!param::convert(value, X0, Eps, x, &c)[0].is_finite());
    assert!(param::convert(value, Eps, X0, x, &c).iter().all(|v| v.is_finite()));
    // The same parametrization is returned as given, even there.
    for p in Parametrization::ALL {
        assert_eq!(param::convert(value, p, p, x, &c), value);
    }
}

#[test]
fn names_and_ids_round_trip() {
    for p in Parametrization::NETWORK_OUTPUTS {
        assert_eq!(Parametrization::from_name(p.name()), Some(p));
        assert_eq!(Parametrization::from_id(p.id()), Some(p));
        assert!(!p.label().is_empty());
    }
    assert_eq!(Parametrization::from_id(5), None);
    assert_eq!(Parametrization::from_name("v"), None);
}

#[test]
fn edm_s_preconditioned_denoiser_converts_like_the_four_targets() {
    // D = c_skip x / alpha + c_out F is the denoiser x0: F from the truth converts to every
    // target, and every target converts to F (VP cosine and EDM at mid-range times).
    for (schedule, t) in [(Schedule::VpCosine, 0.4), (Schedule::Edm, 1.7), (Schedule::RectifiedFlow, 0.3)] {
        let c = Coefficients::at(schedule, t);
        let truth = truth(&c, 11);
        let f = exact(&truth, &c, Parametrization::EdmDenoiser);
        for to in Parametrization::ALL {
            let converted = param::convert(to_f32(f), Parametrization::EdmDenoiser, to, truth.x, &c);
            let expected = exact(&truth, &c, to);
            assert!(
                distance(converted, expected) < 1e-3 * (1.0 + norm(expected)),
                "{schedule:?} F -> {to:?}"
            );
            let back = param::convert(to_f32(expected), to, Parametrization::EdmDenoiser, truth.x, &c);
            assert!(distance(back, f) < 1e-3 * (1.0 + norm(f)), "{schedule:?} {to:?} -> F");
        }
        // The affine map the samplers use agrees with the conversion.
        let (a, b) = param::eps_affine(Parametrization::EdmDenoiser, &c);
        for ((f, x), eps) in f.iter().zip(truth.x).zip(truth.eps) {
            let converted = a * f + b * x as f64;
            assert!((converted - eps).abs() < 1e-3 * (1.0 + eps.abs()));
        }
    }
    // At sigma = sigma_data the coefficients are c_skip = 1/2, c_out = c_in^-1 / 2 = sigma_data / sqrt 2.
    let p = EdmPreconditioning::at(0.5, 0.5);
    assert!((p.c_skip - 0.5).abs() < 1e-12 && (p.c_out - 0.5 / 2f64.sqrt()).abs() < 1e-12);
    assert!(
        (p.c_in - 1.0 / (0.5 * 2f64.sqrt())).abs() < 1e-12 && (p.c_noise - 0.25 * 0.5f64.ln()).abs() < 1e-12
    );
    assert_eq!(Parametrization::from_name("edm_denoiser"), Some(Parametrization::EdmDenoiser));
    assert!(!Parametrization::ALL.contains(&Parametrization::EdmDenoiser), "not one of the four targets");
}
