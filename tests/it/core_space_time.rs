//! The 1-D space-time picture (docs/theory.md): the heatmap is the exact density of x_t, and the
//! forward and reverse paths behave as the forward and reverse processes must.

use diffusion_playground::core::dataset::{Dataset, TWO_NORMALS_MEANS, TWO_NORMALS_WEIGHTS};
use diffusion_playground::core::sampler::{NetFrame, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::space_time::{space_time, SpaceTime, SpaceTimeSize, X_RANGE};

fn picture(dataset: Dataset, schedule: Schedule, paths: usize) -> SpaceTime {
    let mixture = dataset.mixture();
    let size = SpaceTimeSize { columns: 60, rows: 120, paths, steps: 200 };
    space_time(&mixture, schedule, ScoreSource::Exact(&mixture), NetFrame::eps(schedule), size, 4)
}

/// x at the centre of heatmap row `i`.
fn row_x(p: &SpaceTime, i: usize) -> f64 {
    X_RANGE[1] - (X_RANGE[1] - X_RANGE[0]) * (i as f64 + 0.5) / p.rows as f64
}

fn path(values: &[f32], steps: usize, p: usize) -> &[f32] {
    &values[p * (steps + 1)..(p + 1) * (steps + 1)]
}

#[test]
fn the_heatmap_is_the_density_of_x_t_from_two_narrow_peaks_to_one_wide_normal() {
    let p = picture(Dataset::TwoNormals1d, Schedule::VpLinear, 4);
    assert_eq!(p.density.len(), p.rows * p.columns);
    let column = |j: usize| (0..p.rows).map(|i| p.density[i * p.columns + j]).collect::<Vec<f32>>();
    for j in 0..p.columns {
        let max = column(j).into_iter().fold(0.0, f32::max);
        assert!((max - 1.0).abs() < 1e-6, "column {j} is scaled to a maximum of 1");
    }
    // Near t_min: two peaks, at the means -1 and +1, nothing in between.
    let first = column(0);
    let peaks: Vec<f64> = (1..p.rows - 1)
        .filter(|&i| first[i] > 0.5 && first[i] > first[i - 1] && first[i] >= first[i + 1])
        .map(|i| row_x(&p, i))
        .collect();
    assert_eq!(peaks.len(), 2, "two peaks at t_min: {peaks:?}");
    for (peak, mean) in peaks.iter().rev().zip(TWO_NORMALS_MEANS) {
        assert!((peak - mean).abs() < 0.06, "peak at {peak}, mean {mean}");
    }
    assert!(first[p.rows / 2] < 1e-6, "no density between the narrow normals");
    // At t_max: one peak at 0 with the standard normal's shape, density e^-1/2 at x = +-1.
    let last = column(p.columns - 1);
    let at = |x: f64| last[((X_RANGE[1] - x) / (X_RANGE[1] - X_RANGE[0]) * p.rows as f64) as usize];
    assert!(at(0.0) > 0.99);
    assert!((at(1.0) - (-0.5f32).exp()).abs() < 0.05, "{}", at(1.0));
}

#[test]
fn forward_paths_spread_from_the_data_to_the_prior_and_reverse_paths_return_to_the_data() {
    let paths = 400;
    let p = picture(Dataset::TwoNormals1d, Schedule::VpLinear, paths);
    let steps = p.path_u.len() - 1;
    assert!(p.path_u.windows(2).all(|w| w[0] < w[1]), "path points in increasing time");
    // Forward: start on the data, end with the prior's variance 1.
    let starts: Vec<f32> = (0..paths).map(|i| path(&p.forward, steps, i)[0]).collect();
    assert!(starts.iter().all(|x| (x.abs() - 1.0).abs() < 0.5), "forward paths start on the data");
    let ends: Vec<f64> = (0..paths).map(|i| path(&p.forward, steps, i)[steps] as f64).collect();
    let variance = ends.iter().map(|x| x * x).sum::<f64>() / paths as f64;
    assert!((variance - 1.0).abs() < 0.2, "forward paths end with variance {variance}");
    for (name, reverse) in [("SDE", &p.reverse_sde), ("ODE", &p.reverse_ode)] {
        let on_data = (0..paths).filter(|&i| (path(reverse, steps, i)[0].abs() - 1.0).abs() < 0.3).count();
        let left = (0..paths).filter(|&i| path(reverse, steps, i)[0] < 0.0).count() as f64 / paths as f64;
        eprintln!("{name}: {on_data} of {paths} on the data, {left} on the left");
        assert!(
            on_data as f64 >= 0.98 * paths as f64,
            "{name}: {on_data} of {paths} reverse paths end on the data"
        );
        assert!((left - TWO_NORMALS_WEIGHTS[0]).abs() < 0.08, "{name}: {left} of the paths end on the left");
    }
    // The SDE and the ODE start from the same noise and part ways.
    for i in 0..paths {
        assert_eq!(path(&p.reverse_sde, steps, i)[steps], path(&p.reverse_ode, steps, i)[steps]);
    }
    let same_end = (0..paths)
        .filter(|&i| path(&p.reverse_sde, steps, i)[0] == path(&p.reverse_ode, steps, i)[0])
        .count();
    assert_eq!(same_end, 0, "the SDE's noise moves every path away from the ODE's");
}

#[test]
fn every_dataset_and_schedule_gives_a_finite_picture() {
    for dataset in Dataset::ALL {
        for schedule in Schedule::ALL {
            let p = picture(dataset, schedule, 4);
            let all = p.density.iter().chain(&p.forward).chain(&p.reverse_sde).chain(&p.reverse_ode);
            assert!(all.copied().all(f32::is_finite), "{dataset:?} {schedule:?}");
        }
    }
}
