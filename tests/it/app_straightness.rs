//! The straightness readout of a run (`app::straightness`): the exact flow of one Gaussian,
//! integrated by the session's plan, against a quadrature of its closed form on two schedules
//! (the rectified-flow frame makes them one flow); a stochastic run is refused, naming the sampler.

use diffusion_playground::app::options::{Options, ScoreChoice};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::drawing::DRAWN_STD;
use diffusion_playground::core::sampler::Sampler;
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::straightness::rectified_frame;
use diffusion_playground::core::timesteps::TimeGrid;

/// The one drawn point: the data are N(MEAN, DRAWN_STD^2 I).
const MEAN: [f32; 2] = [1.2, -0.7];
/// Paths measured.
const PATHS: u32 = 2048;
/// Points of the quadrature of the closed form (Simpson's rule).
const QUADRATURE_POINTS: usize = 20_001;

fn one_gaussian(schedule: Schedule, sampler: Sampler) -> Session {
    let options = Options {
        schedule,
        sampler,
        score: ScoreChoice::Exact,
        // Steps where the flow of a narrow Gaussian turns, near the data: the readout measures
        // the path the solver took, and a grid with few steps there cuts the bend off.
        time_grid: TimeGrid::Karras,
        steps: 1000,
        particles: PATHS,
        ..Options::default()
    };
    let mut session = Session::new(options, Particles::Cpu(Vec::new())).unwrap();
    session.use_drawing(&[MEAN], None).unwrap();
    session
}

/// S of the exact flow from the run's start: in the rectified-flow frame the data N(m, h^2 I)
/// noised to s is N((1 - s) m, r(s)^2 I), r(s) = sqrt((1 - s)^2 h^2 + s^2), and its ODE carries
/// y_0 along y(s) = (1 - s) m + r(s) z, z = (y_0 - (1 - s_0) m) / r(s_0). With u in [0, 1] over
/// the run's span Δs = s_0 - s_K, D - dy/du = (r(s_K) - r(s_0) + Δs r'(s(u))) z, so
/// S = E ||z||^2 ∫_0^1 (r(s_K) - r(s_0) + Δs r'(s_0 - u Δs))^2 du.
fn closed_form(session: &Session) -> f64 {
    let times = session.run_times();
    let schedule = session.options().schedule;
    let (scale0, s0) = rectified_frame(schedule, times[0]);
    let (_, s_end) = rectified_frame(schedule, times[times.len() - 1]);
    let h2 = DRAWN_STD * DRAWN_STD;
    let r = |s: f64| ((1.0 - s).powi(2) * h2 + s * s).sqrt();
    let dr = |s: f64| (s - (1.0 - s) * h2) / r(s);
    let m = MEAN.map(f64::from);
    let starts = session.run_start_points(PATHS as usize);
    let z2: f64 = starts
        .iter()
        .map(|p| {
            let z = [0, 1].map(|i| (p[i] as f64 * scale0 - (1.0 - s0) * m[i]) / r(s0));
            z[0] * z[0] + z[1] * z[1]
        })
        .sum::<f64>()
        / starts.len() as f64;
    let span = s0 - s_end;
    let integrand = |u: f64| (r(s_end) - r(s0) + span * dr(s0 - u * span)).powi(2);
    let n = QUADRATURE_POINTS - 1;
    let simpson: f64 = (0..=n)
        .map(|k| {
            let weight = if k == 0 || k == n {
                1.0
            } else if k % 2 == 1 {
                4.0
            } else {
                2.0
            };
            weight * integrand(k as f64 / n as f64)
        })
        .sum::<f64>()
        / (3.0 * n as f64);
    z2 * simpson
}

#[test]
fn the_exact_flow_of_one_gaussian_has_the_straightness_of_its_closed_form_on_every_schedule() {
    for schedule in [Schedule::RectifiedFlow, Schedule::VpLinear, Schedule::Edm] {
        let session = one_gaussian(schedule, Sampler::Heun);
        let view = session.straightness(PATHS).unwrap();
        let expected = closed_form(&session);
        let error = (view.exact.straightness - expected).abs() / expected;
        assert!(
            error < 0.005,
            "{schedule:?}: S {} against the closed form {expected}",
            view.exact.straightness
        );
        assert_eq!(view.run, view.exact, "{schedule:?}: with the exact score the run is the exact flow");
        assert_eq!(view.run.paths, PATHS as usize);
    }
}

#[test]
fn a_run_that_draws_noise_has_no_straightness() {
    let session = one_gaussian(Schedule::VpLinear, Sampler::EulerMaruyama);
    let refused = session.straightness(64).unwrap_err();
    assert_eq!(refused.field, "sampler");
    assert!(refused.allowed.contains("a deterministic run"), "{refused}");
    assert_eq!(session.straightness(0).unwrap_err().field, "paths");
    let one_step =
        Options { steps: 1, ..one_gaussian(Schedule::RectifiedFlow, Sampler::Heun).options().clone() };
    let single = Session::new(one_step, Particles::Cpu(Vec::new())).unwrap();
    let refused = single.straightness(64).unwrap_err();
    assert_eq!(refused.field, "steps");
    assert!(refused.allowed.contains("one step is a straight chord whatever the flow"), "{refused}");
}
