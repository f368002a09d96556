//! Time grids: every grid on every schedule is a strictly decreasing run from t_start to t_end, and
//! each has the spacing its paper gives it (Karras et al. 2022, eq. 5; equal log-SNR steps).

use diffusion_playground::core::schedule::{Schedule, EDM_SIGMA_MAX, EDM_SIGMA_MIN};
use diffusion_playground::core::timesteps::{TimeGrid, KARRAS_RHO};

const STEPS: [usize; 4] = [1, 2, 10, 1000];

fn assert_is_a_run(times: &[f64], t_start: f64, t_end: f64, steps: usize, what: &str) {
    assert_eq!(times.len(), steps + 1, "{what}: length");
    assert_eq!(times[0], t_start, "{what}: first time");
    assert_eq!(times[steps], t_end, "{what}: last time");
    assert!(times.iter().all(|t| t.is_finite()), "{what}: finite");
    for (i, pair) in times.windows(2).enumerate() {
        assert!(pair[0] > pair[1], "{what}: not strictly decreasing at {i}: {} then {}", pair[0], pair[1]);
    }
}

#[test]
fn every_grid_on_every_schedule_runs_strictly_down_from_t_start_to_t_end() {
    for schedule in Schedule::ALL {
        let (t_min, t_max) = (schedule.t_min(), schedule.t_max());
        // The full run, a run ending short of t_min, and a run from the domain's end (alpha = 0
        // for rectified flow at t = 1: an infinite log-SNR at the start).
        let (_, domain_end) = schedule.domain();
        let middle = schedule.time_at_fraction(0.5);
        for (t_start, t_end) in
            [(t_max, t_min), (middle, schedule.time_at_fraction(0.1)), (domain_end, t_min)]
        {
            for grid in TimeGrid::ALL {
                for steps in STEPS {
                    let what =
                        format!("{} {} {steps} steps {t_start} -> {t_end}", schedule.name(), grid.name());
                    let times = grid.times(schedule, t_start, t_end, steps);
                    assert_is_a_run(&times, t_start, t_end, steps, &what);
                }
            }
        }
    }
}

#[test]
fn the_uniform_and_quadratic_grids_follow_their_formulas() {
    let (t_start, t_end, n) = (0.9, 0.1, 8);
    let uniform = TimeGrid::Uniform.times(Schedule::VpLinear, t_start, t_end, n);
    let quadratic = TimeGrid::Quadratic.times(Schedule::VpLinear, t_start, t_end, n);
    for i in 0..=n {
        let fraction = i as f64 / n as f64;
        assert!((uniform[i] - (t_start - (t_start - t_end) * fraction)).abs() < 1e-15);
        // DDIM "quad": t_i = t_end + (t_start - t_end) (1 - i/N)^2, denser near the data.
        assert!((quadratic[i] - (t_end + (t_start - t_end) * (1.0 - fraction).powi(2))).abs() < 1e-15);
    }
    assert!(quadratic[n - 1] - quadratic[n] < uniform[n - 1] - uniform[n]);
}

#[test]
fn the_karras_grid_on_edm_is_eq_5_of_karras_et_al() {
    // sigma_i = (sigma_max^(1/rho) + i/(N-1) (sigma_min^(1/rho) - sigma_max^(1/rho)))^rho, i < N, here
    // with N = steps + 1 points from sigma_max = 80 to sigma_min = 0.002 (EDM appends sigma = 0 after).
    for steps in [1, 2, 10, 18, 1000] {
        let times = TimeGrid::Karras.times(Schedule::Edm, EDM_SIGMA_MAX, EDM_SIGMA_MIN, steps);
        let (a, b) = (EDM_SIGMA_MAX.powf(1.0 / KARRAS_RHO), EDM_SIGMA_MIN.powf(1.0 / KARRAS_RHO));
        for (i, &t) in times.iter().enumerate() {
            let sigma = (a + i as f64 / steps as f64 * (b - a)).powf(KARRAS_RHO);
            assert!((t - sigma).abs() <= 1e-13 * sigma, "{steps} steps, i = {i}: {t} vs {sigma}");
        }
    }
}

#[test]
fn the_karras_grid_is_the_same_noise_levels_on_every_schedule() {
    // Spaced in sigma/alpha, the grid from the same noise-to-signal range visits the same ratios.
    let edm = TimeGrid::Karras.times(Schedule::Edm, 40.0, 0.01, 20);
    for schedule in Schedule::ALL {
        let t_start = schedule.t_for_log_snr(-2.0 * 40f64.ln());
        let t_end = schedule.t_for_log_snr(-2.0 * 0.01f64.ln());
        let (Some(t_start), Some(t_end)) = (t_start, t_end) else { continue };
        let times = TimeGrid::Karras.times(schedule, t_start, t_end, 20);
        for (&t, &sigma) in times.iter().zip(&edm) {
            let ratio = schedule.sigma(t) / schedule.alpha(t);
            assert!((ratio - sigma).abs() <= 1e-8 * sigma, "{}: {ratio} vs {sigma}", schedule.name());
        }
    }
}

#[test]
fn the_log_snr_grid_has_equal_log_snr_gaps() {
    for schedule in Schedule::ALL {
        for steps in [1, 2, 10, 1000] {
            // Ends with finite log-SNR: every gap is equal.
            let (t_start, t_end) = (schedule.t_max(), schedule.time_at_fraction(0.05));
            let times = TimeGrid::UniformLogSnr.times(schedule, t_start, t_end, steps);
            let gap = (schedule.log_snr(t_end) - schedule.log_snr(t_start)) / steps as f64;
            for pair in times.windows(2) {
                let step = schedule.log_snr(pair[1]) - schedule.log_snr(pair[0]);
                assert!(
                    (step - gap).abs() <= 1e-7 * gap.abs().max(1.0),
                    "{}: {step} vs {gap}",
                    schedule.name()
                );
            }
        }
    }
}

#[test]
fn where_sigma_is_zero_the_log_snr_grid_ends_with_one_step_from_edm_sigma_min_to_t_end() {
    // The VP schedules and rectified flow reach sigma = 0 (log-SNR +inf) at t = 0: the grid spaces
    // steps points equally in log-SNR from t_start down to sigma/alpha = 0.002, then t = 0.
    let bound = -2.0 * EDM_SIGMA_MIN.ln();
    for schedule in [Schedule::VpLinear, Schedule::VpCosine, Schedule::RectifiedFlow] {
        let steps = 10;
        let times = TimeGrid::UniformLogSnr.times(schedule, schedule.t_max(), 0.0, steps);
        let log_snr: Vec<f64> = times.iter().map(|&t| schedule.log_snr(t)).collect();
        assert_eq!(log_snr[steps], f64::INFINITY);
        assert!((log_snr[steps - 1] - bound).abs() < 1e-8, "{}: {}", schedule.name(), log_snr[steps - 1]);
        let gap = (bound - log_snr[0]) / (steps - 1) as f64;
        for pair in log_snr[..steps].windows(2) {
            assert!((pair[1] - pair[0] - gap).abs() < 1e-8, "{}: gaps", schedule.name());
        }
        // Karras does the same in sigma/alpha: its last positive noise level is EDM's sigma_min.
        let karras = TimeGrid::Karras.times(schedule, schedule.t_max(), 0.0, steps);
        let last = karras[steps - 1];
        assert!((schedule.sigma(last) / schedule.alpha(last) - EDM_SIGMA_MIN).abs() < 1e-12);
    }
}

#[test]
fn zero_steps_is_just_the_start_and_names_round_trip() {
    for grid in TimeGrid::ALL {
        assert_eq!(grid.times(Schedule::VpLinear, 1.0, 0.0, 0), vec![1.0]);
        assert_eq!(TimeGrid::from_name(grid.name()), Some(grid));
        assert!(!grid.label().is_empty());
    }
    assert_eq!(TimeGrid::from_name("linear"), None);
}

#[test]
fn the_snr_grids_fall_back_to_uniform_when_the_times_increase() {
    // Reversed bounds are a caller's mistake; the grid stays usable rather than panicking.
    for grid in [TimeGrid::Karras, TimeGrid::UniformLogSnr] {
        let times = grid.times(Schedule::VpLinear, 0.2, 0.8, 3);
        assert_eq!(times, TimeGrid::Uniform.times(Schedule::VpLinear, 0.2, 0.8, 3));
    }
}

/// The flow-matching time shift (Esser et al. 2024, eq. 23) keeps a run's ends, keeps its times
/// decreasing, is the grid itself at shift 1, and moves the steps towards the noise above 1 (and
/// towards the data below 1).
#[test]
fn the_time_shift_moves_steps_towards_the_noise_and_keeps_the_ends() {
    use diffusion_playground::core::timesteps::shift_time;
    assert_eq!(shift_time(0.0, 3.0), 0.0);
    assert_eq!(shift_time(1.0, 3.0), 1.0);
    assert!((shift_time(0.5, 3.0) - 0.75).abs() < 1e-15, "3 * 0.5 / (1 + 2 * 0.5) = 0.75");
    for schedule in Schedule::ALL {
        for grid in TimeGrid::ALL {
            let (start, end) = (schedule.t_max(), schedule.t_min());
            let plain = grid.times(schedule, start, end, 20);
            assert_eq!(
                grid.shifted_times(schedule, start, end, 20, 1.0, KARRAS_RHO),
                plain,
                "shift 1 is the grid itself"
            );
            for shift in [0.3, 3.0] {
                let moved = grid.shifted_times(schedule, start, end, 20, shift, KARRAS_RHO);
                assert_eq!((moved[0], moved[20]), (start, end), "{schedule:?} {grid:?}: the ends stay");
                assert!(moved.windows(2).all(|w| w[0] > w[1]), "{schedule:?} {grid:?} {shift}: decreasing");
                let above =
                    moved
                        .iter()
                        .zip(&plain)
                        .skip(1)
                        .take(19)
                        .all(|(m, p)| if shift > 1.0 { m > p } else { m < p });
                assert!(above, "{schedule:?} {grid:?} {shift}: every inner time moves the right way");
            }
        }
    }
}

#[test]
fn diffusers_spacings_pick_its_training_timesteps() {
    // On VP linear a run spans [0, 1] and training timestep k sits at t = (k + 1) / 1000.
    let schedule = Schedule::VpLinear;
    let timesteps = |grid: TimeGrid, steps: usize| -> Vec<i64> {
        let times = grid.times(schedule, 1.0, 0.0, steps);
        assert_eq!(times.len(), steps + 1);
        assert_eq!(times[steps], 0.0, "{grid:?} ends at the data");
        times[..steps].iter().map(|t| (t * 1000.0).round() as i64 - 1).collect()
    };
    // diffusers, num_train_timesteps = 1000, 10 steps (DDIMScheduler.set_timesteps).
    assert_eq!(timesteps(TimeGrid::Linspace, 10), [999, 888, 777, 666, 555, 444, 333, 222, 111, 0]);
    assert_eq!(timesteps(TimeGrid::Trailing, 10), [999, 899, 799, 699, 599, 499, 399, 299, 199, 99]);
    // "leading" starts at 900: the run starts at t_start instead (its first time is pinned).
    assert_eq!(timesteps(TimeGrid::Leading, 10), [999, 800, 700, 600, 500, 400, 300, 200, 100, 0]);
    for grid in [TimeGrid::Linspace, TimeGrid::Leading, TimeGrid::Trailing] {
        for steps in [1, 2, 7, 333, 1000] {
            let times = grid.times(schedule, 1.0, 0.0, steps);
            assert!(times.windows(2).all(|w| w[0] > w[1]), "{grid:?} {steps}: decreasing");
        }
    }
}

/// Timesteps that diffusers 0.42.1 (NumPy 2.4.6) visits, written once by a Python script that
/// called `set_timesteps(N)` on each scheduler for N = 1 to 60 (num_train_timesteps 1000,
/// steps_offset 0): `tests/data/diffusers_timesteps.json`.
fn diffusers_table() -> serde_json::Value {
    serde_json::from_str(include_str!("../data/diffusers_timesteps.json")).expect("the table is JSON")
}

#[test]
fn diffusers_spacings_are_ddim_schedulers_to_the_timestep_for_1_to_60_steps() {
    let table = diffusers_table();
    let ddim = &table["schedulers"]["DDIMScheduler"];
    for (grid, spacing) in
        [(TimeGrid::Linspace, "linspace"), (TimeGrid::Leading, "leading"), (TimeGrid::Trailing, "trailing")]
    {
        for steps in 1..=60usize {
            let wanted: Vec<i64> = ddim[spacing][steps.to_string()]
                .as_array()
                .unwrap_or_else(|| panic!("{spacing} {steps} in the table"))
                .iter()
                .map(|k| k.as_i64().expect("integer timesteps"))
                .collect();
            assert_eq!(grid.diffusers_timesteps(steps), Some(wanted), "{spacing}, {steps} steps");
        }
    }
    // Ties round half to even, as NumPy does: 16 trailing steps visit 811, 561, 311 and 61.
    let trailing = TimeGrid::Trailing.diffusers_timesteps(16).expect("a diffusers spacing");
    assert_eq!(&trailing[3..4], &[811]);
    assert_eq!(&trailing[15..], &[61]);
}

#[test]
fn every_diffusers_scheduler_shares_trailing_and_the_multistep_ones_space_the_others_over_one_more_point() {
    // What the docs say about the other schedulers, read from the same table.
    let table = diffusers_table();
    let schedulers = &table["schedulers"];
    for steps in 1..=60usize {
        let n = steps.to_string();
        let ddim = |spacing: &str| schedulers["DDIMScheduler"][spacing][&n].clone();
        for name in ["DPMSolverMultistepScheduler", "UniPCMultistepScheduler", "DEISMultistepScheduler"] {
            assert_eq!(schedulers[name]["trailing"][&n], ddim("trailing"), "{name} trailing {steps}");
            // linspace(0, 999, N + 1), rounded, newest first, without the 0.
            let linspace: Vec<i64> = schedulers[name]["linspace"][&n]
                .as_array()
                .expect("a list")
                .iter()
                .map(|k| k.as_i64().expect("integer timesteps"))
                .collect();
            let one_more = TimeGrid::Linspace.diffusers_timesteps(steps + 1).expect("a diffusers spacing");
            assert_eq!(linspace, one_more[..steps], "{name} linspace {steps}");
        }
    }
}

#[test]
fn the_polyexponential_grid_is_the_log_snr_grid_at_rho_one_and_crowds_the_data_end_above() {
    for schedule in Schedule::ALL {
        let (start, end) = (schedule.t_max(), schedule.t_min());
        let poly = TimeGrid::Polyexponential.times_with_rho(schedule, start, end, 16, 1.0);
        let log_snr = TimeGrid::UniformLogSnr.times(schedule, start, end, 16);
        for (p, l) in poly.iter().zip(&log_snr) {
            assert!((p - l).abs() <= 1e-9 * (1.0 + l.abs()), "{schedule:?}: {p} vs {l}");
        }
        let steep = TimeGrid::Polyexponential.times_with_rho(schedule, start, end, 16, 3.0);
        assert!(steep.windows(2).all(|w| w[0] > w[1]), "{schedule:?}: decreasing");
        // Larger rho: every interior time lower in noise (log-SNR higher) than at rho = 1.
        for (s, l) in steep.iter().zip(&log_snr).skip(1).take(14) {
            assert!(schedule.log_snr(*s) > schedule.log_snr(*l), "{schedule:?}: {s} vs {l}");
        }
    }
}

#[test]
fn rho_moves_the_karras_grid() {
    let schedule = Schedule::Edm;
    let (start, end) = (schedule.t_max(), schedule.t_min());
    let default = TimeGrid::Karras.times(schedule, start, end, 10);
    assert_eq!(TimeGrid::Karras.times_with_rho(schedule, start, end, 10, KARRAS_RHO), default);
    let three = TimeGrid::Karras.times_with_rho(schedule, start, end, 10, 3.0);
    // EDM's eq. 5 with rho = 3 at i = 5: (80^(1/3) + 0.5 (0.002^(1/3) - 80^(1/3)))^3.
    let wanted = (80f64.powf(1.0 / 3.0) + 0.5 * (0.002f64.powf(1.0 / 3.0) - 80f64.powf(1.0 / 3.0))).powi(3);
    assert!((three[5] - wanted).abs() < 1e-9 * wanted, "{} vs {wanted}", three[5]);
}
