//! The straightness of paths (`core::straightness`, Liu, Gong and Liu 2022): zero for a straight
//! path run at constant speed, the closed form for a straight path run at a changing speed and
//! for a circular arc, and the schedules' frames brought to rectified flow's.

use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::straightness::{of_paths, rectified_frame};

/// Frames of one path `at(u)` at K + 1 evenly spaced u in [0, 1] on rectified flow's time axis
/// (t from 1 down to 0: its frame is the identity, s = t).
fn path(segments: usize, at: impl Fn(f64) -> [f64; 2]) -> (Vec<Vec<[f32; 2]>>, Vec<f64>) {
    let u: Vec<f64> = (0..=segments).map(|k| k as f64 / segments as f64).collect();
    let frames = u.iter().map(|&u| vec![at(u).map(|v| v as f32)]).collect();
    (frames, u.iter().map(|u| 1.0 - u).collect())
}

#[test]
fn rectified_flows_frame_is_the_identity_and_every_schedule_ends_on_the_data() {
    for t in [0.0, 0.3, 0.9] {
        let (scale, s) = rectified_frame(Schedule::RectifiedFlow, t);
        assert!((scale - 1.0).abs() < 1e-12 && (s - t).abs() < 1e-12);
    }
    for schedule in [Schedule::VpLinear, Schedule::VpCosine, Schedule::Ve, Schedule::Edm] {
        let (scale, s) = rectified_frame(schedule, schedule.t_min());
        assert!(s < 0.01 && (scale - 1.0).abs() < 0.01, "{schedule:?}: at its end the frame is the data's");
        let (_, s_start) = rectified_frame(schedule, schedule.t_max());
        // VE's sigma_max = 20 leaves a twenty-first of the frame to the signal.
        assert!(s_start > 0.95, "{schedule:?}: at its start nearly all noise ({s_start})");
    }
}

#[test]
fn a_straight_path_at_constant_speed_has_no_straightness_and_no_curvature() {
    let (frames, times) = path(50, |u| [1.0 + 3.0 * u, -2.0 + 4.0 * u]);
    let measured = of_paths(&frames, Schedule::RectifiedFlow, &times).unwrap();
    // Positions are f32: their rounding turns each chord by about 1e-7 / its length.
    assert!(measured.straightness < 1e-9 && measured.mean_curvature < 1e-4, "{measured:?}");
}

#[test]
fn a_straight_path_at_changing_speed_has_the_straightness_of_its_speed_alone() {
    // y(u) = u^2 D: S = ||D||^2 ∫ (1 - 2u)^2 du = ||D||^2 / 3, and it does not turn.
    let d = [3.0, 4.0];
    let (frames, times) = path(400, |u| [u * u * d[0], u * u * d[1]]);
    let measured = of_paths(&frames, Schedule::RectifiedFlow, &times).unwrap();
    assert!((measured.straightness - 25.0 / 3.0).abs() < 1e-3, "{measured:?}");
    assert!((measured.relative - 1.0 / 3.0).abs() < 1e-4, "{measured:?}");
    assert!(measured.mean_curvature < 1e-2, "{measured:?}: rounding only, on chords as short as 6e-6");
}

#[test]
fn a_quarter_circle_has_the_curvature_of_its_radius() {
    // Radius R at constant speed R pi / 2: S = (R pi / 2)^2 - ||D||^2 with ||D||^2 = 2 R^2.
    let radius = 2.0;
    let (frames, times) = path(4000, |u| {
        let a = std::f64::consts::FRAC_PI_2 * u;
        [radius * a.cos(), radius * a.sin()]
    });
    let measured = of_paths(&frames, Schedule::RectifiedFlow, &times).unwrap();
    let expected = (radius * std::f64::consts::FRAC_PI_2).powi(2) - 2.0 * radius * radius;
    assert!((measured.straightness - expected).abs() < 1e-3 * expected, "{measured:?} against {expected}");
    assert!((measured.mean_curvature - 1.0 / radius).abs() < 1e-3, "{measured:?}");
}

#[test]
fn nothing_to_measure_is_none() {
    let (frames, times) = path(4, |u| [u, u]);
    assert!(of_paths(&frames[..1], Schedule::RectifiedFlow, &times[..1]).is_none(), "one frame");
    assert!(of_paths(&frames, Schedule::RectifiedFlow, &times[..3]).is_none(), "times and frames disagree");
    assert!(of_paths(&[vec![], vec![]], Schedule::RectifiedFlow, &[1.0, 0.0]).is_none(), "no path");
    assert!(of_paths(&frames[..2], Schedule::RectifiedFlow, &[0.5, 0.5]).is_none(), "no time passes");
}
