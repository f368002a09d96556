//! The paths of a run as data (`app::trajectory`): a replay on the CPU from where the run
//! started, frame 0 the start and the last frame the run's end, bit-identical to the session's
//! own CPU run whatever the sampler, start or guidance.

use diffusion_playground::app::options::{GuidanceChoice, Options, ScoreChoice};
use diffusion_playground::app::sample_files;
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::app::trajectory::MAX_TRAJECTORY_PARTICLES;
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::sampler::Sampler;
use diffusion_playground::core::schedule::Schedule;

fn session(options: Options) -> Session {
    Session::new(options, Particles::Cpu(Vec::new())).unwrap()
}

fn positions(session: &Session) -> Vec<[f32; 2]> {
    session.cpu_particles().unwrap().to_vec()
}

fn bits(points: &[[f32; 2]]) -> Vec<[u32; 2]> {
    points.iter().map(|p| p.map(f32::to_bits)).collect()
}

#[test]
fn a_trajectory_replays_the_run_from_its_start_to_its_end() {
    let cases = [
        (Sampler::UniPc, ScoreChoice::Mlp, GuidanceChoice::None, None),
        (Sampler::DpmSolverSde, ScoreChoice::Exact, GuidanceChoice::None, Some(0.6)),
        (Sampler::DpmSolver3MSde, ScoreChoice::Exact, GuidanceChoice::Classifier, None),
        (Sampler::EulerMaruyama, ScoreChoice::Empirical, GuidanceChoice::None, Some(0.3)),
    ];
    for (sampler, score, guidance, start) in cases {
        let class = if guidance == GuidanceChoice::None { String::new() } else { "upper".into() };
        let options = Options {
            dataset: Dataset::TwoMoons,
            schedule: Schedule::VpCosine,
            sampler,
            score,
            guidance,
            class,
            steps: 12,
            particles: 300,
            ..Options::default()
        };
        let mut s = session(options);
        if let Some(u) = start {
            s.noise_to(u).unwrap();
        }
        let first = positions(&s);
        // Part of the way: the trajectory is of the whole run, wherever the run is now.
        s.step(3).unwrap();
        let frames = s.trajectory(200).unwrap();
        assert_eq!(frames.len(), s.plan().len() + 1, "{sampler:?}: the start and one frame per step");
        assert!(frames.iter().all(|f| f.len() == 200));
        assert_eq!(bits(&frames[0]), bits(&first[..200]), "{sampler:?}: frame 0 is where the run started");
        while s.step(64).unwrap() > 0 {}
        let last = positions(&s);
        assert_eq!(
            bits(&frames[frames.len() - 1]),
            bits(&last[..200]),
            "{sampler:?}: the last frame is the run's end"
        );
    }
}

#[test]
fn a_trajectory_from_given_points_starts_there() {
    let mut s = session(Options { particles: 64, steps: 5, ..Options::default() });
    let points: Vec<[f32; 2]> = (0..64).map(|i| [i as f32 * 0.1, -1.0]).collect();
    s.start_from(&points).unwrap();
    let frames = s.trajectory(64).unwrap();
    assert_eq!(frames[0], points);
    assert_ne!(frames[5], points, "and moves");
}

#[test]
fn the_particle_count_is_checked_and_capped_by_the_session() {
    let s = session(Options { particles: 50, steps: 4, ..Options::default() });
    for bad in [0, MAX_TRAJECTORY_PARTICLES + 1] {
        let message = s.trajectory(bad).unwrap_err().to_string();
        assert!(
            message.contains(&format!("invalid option 'particles': {bad} is not allowed (allowed: an integer from 1 to {MAX_TRAJECTORY_PARTICLES})")),
            "{message}"
        );
    }
    assert_eq!(s.trajectory(MAX_TRAJECTORY_PARTICLES).unwrap()[0].len(), 50, "no more than the session has");
}

#[test]
fn the_file_is_csv_lines_from_step_zero_or_a_three_dimensional_npy() {
    let s = session(Options { particles: 10, steps: 3, ..Options::default() });
    let csv = String::from_utf8(s.trajectory_file(10, "csv").unwrap()).unwrap();
    assert_eq!(csv.lines().count(), 1 + 4 * 10, "a header and one line per particle and frame");
    assert!(csv.lines().nth(1).unwrap().starts_with("0,0,"));
    assert!(csv.lines().last().unwrap().starts_with("3,9,"));
    let npy = s.trajectory_file(10, "npy").unwrap();
    assert!(std::str::from_utf8(&npy[10..80]).unwrap().contains("'shape': (4, 10, 2)"));
    let one = sample_files::trajectory_file(&[vec![[1.0, 2.0]]], "npy").unwrap();
    assert!(
        std::str::from_utf8(&one[10..80]).unwrap().contains("'shape': (1, 1, 2)"),
        "one frame stays a trajectory"
    );
    let message = s.trajectory_file(10, "parquet").unwrap_err().to_string();
    assert!(message.contains("invalid option 'format'"), "{message}");
}
