//! The CPU path's steps done elsewhere (docs/features.md, "Backends"): the page's
//! Web Workers each take a slice of the particles with `CpuWork::run`, and the session takes the
//! result back. Split any way, the particles are the ones the session's own steps give, bit for
//! bit; work for a run that has moved on is dropped, and work that could not come from a session
//! is refused.

use diffusion_playground::app::cpu_work::{CpuWork, HISTORY_FLOATS};
use diffusion_playground::app::options::{Options, RawOptions, RawValue};
use diffusion_playground::app::session::{Particles, Session};

fn options(pairs: &[(&str, &str)]) -> Options {
    let mut all = vec![("particles", "700"), ("steps", "24")];
    all.extend_from_slice(pairs);
    let raw: RawOptions =
        all.iter().map(|(k, v)| (k.to_string(), Some(RawValue::Text(v.to_string())))).collect();
    Options::default().merged(&raw).expect("valid options")
}

fn session(options: Options) -> Session {
    Session::new(options, Particles::Cpu(Vec::new())).expect("a CPU session")
}

fn positions(session: &Session) -> Vec<f32> {
    session.cpu_particles().expect("on the CPU").iter().flatten().copied().collect()
}

/// Steps `session` to the end as the page's workers would: `chunk` steps per job, the particles
/// split at `cuts` (each slice run from its own first index), the results taken back.
fn run_in_slices(session: &mut Session, chunk: usize, cuts: &[usize]) {
    let work: CpuWork = session.cpu_work().expect("CPU work for this run");
    let key = session.run_key();
    while !session.done() {
        let start = session.step_index();
        let count = chunk.min(session.total_steps() - start);
        let mut xs = positions(session);
        let mut hs = session.cpu_history().expect("on the CPU");
        let particles = xs.len() / 2;
        let mut bounds = vec![0];
        bounds.extend(cuts.iter().copied().filter(|&c| c < particles));
        bounds.push(particles);
        for pair in bounds.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            work.run(
                start,
                count,
                a as u32,
                &mut xs[2 * a..2 * b],
                &mut hs[HISTORY_FLOATS * a..HISTORY_FLOATS * b],
            )
            .expect("a slice of the run");
        }
        assert!(session.accept_cpu_steps(key, start, count, &xs, &hs).expect("fits the run"));
    }
}

#[test]
fn a_run_split_over_workers_is_the_sessions_own_run_bit_for_bit() {
    // Settings the way users combine them: the network and the exact score, multistep and
    // two-stage solvers with churn and noise, guidance with the exact classifier and without one
    // (the class-conditional network), and a measurement's likelihood term.
    let cases: [&[(&str, &str)]; 8] = [
        &[],
        &[("sampler", "unipc"), ("order", "3")],
        &[("sampler", "heun"), ("schedule", "edm"), ("churn", "30"), ("score", "exact")],
        &[("sampler", "dpm_solver_3m_sde"), ("dataset", "spiral")],
        &[
            ("sampler", "ddim"),
            ("eta", "0.6"),
            ("guidance", "classifier"),
            ("class", "lower"),
            ("guidance_scale", "3"),
        ],
        &[("guidance", "cfg"), ("class", "lower"), ("guidance_scale", "2")],
        &[("posterior", "dps"), ("observe", "1,0"), ("observation", "0.5"), ("score", "exact")],
        &[("score", "empirical"), ("sampler", "euler_ancestral"), ("dataset", "rings")],
    ];
    for pairs in cases {
        let mut reference = session(options(pairs));
        while reference.step(5).unwrap() > 0 {}
        let expected = positions(&reference);
        // One slice, uneven slices (not whole batches), and many.
        for (chunk, cuts) in [(24, vec![]), (5, vec![300, 301, 555]), (1, (1..12).map(|k| 58 * k).collect())]
        {
            let mut split = session(options(pairs));
            run_in_slices(&mut split, chunk, &cuts);
            let got = positions(&split);
            assert!(
                got.iter().zip(&expected).all(|(a, b)| a.to_bits() == b.to_bits()),
                "{pairs:?} in slices {cuts:?}, {chunk} steps a job, differs from the session's own run"
            );
            assert_eq!(
                (split.step_index(), split.evaluations()),
                (reference.step_index(), reference.evaluations())
            );
            assert_eq!(split.current_t(), reference.current_t());
        }
    }
}

#[test]
fn work_for_a_run_that_moved_on_is_dropped() {
    let mut session = session(options(&[("sampler", "unipc")]));
    let work = session.cpu_work().unwrap();
    let key = session.run_key();
    let mut xs = positions(&session);
    let mut hs = session.cpu_history().unwrap();
    work.run(0, 3, 0, &mut xs, &mut hs).unwrap();
    // Steps taken here meanwhile: the work started from step 0 no longer applies.
    session.step(1).unwrap();
    let before = positions(&session);
    assert_eq!(session.accept_cpu_steps(key, 0, 3, &xs, &hs), Ok(false));
    assert_eq!(positions(&session), before, "stale work changes nothing");
    // A new run (reset, new options) has a new key.
    session.reset().unwrap();
    assert_ne!(session.run_key(), key);
    assert_eq!(session.accept_cpu_steps(key, 0, 3, &xs, &hs), Ok(false));
    assert_eq!(session.step_index(), 0);
    // The same work on the current run's key applies.
    assert_eq!(session.accept_cpu_steps(session.run_key(), 0, 3, &xs, &hs), Ok(true));
    assert_eq!(session.step_index(), 3);
}

#[test]
fn work_that_does_not_fit_the_run_is_refused_with_a_reason() {
    let mut session = session(options(&[]));
    let work = session.cpu_work().unwrap();
    let key = session.run_key();
    let mut xs = positions(&session);
    let mut hs = session.cpu_history().unwrap();
    let mut short_history = hs[..hs.len() - 1].to_vec();
    let refusals = [
        (work.run(20, 10, 0, &mut xs, &mut hs), "steps 20 to 30"),
        (work.run(0, 1, 0, &mut xs[..3].to_vec(), &mut hs), "whole particles"),
        (work.run(0, 1, 0, &mut xs, &mut short_history), "whole particles"),
        (work.run(0, 1, u32::MAX, &mut xs, &mut hs), "overflow"),
    ];
    for (result, fragment) in refusals {
        let message = result.expect_err("refused");
        assert!(message.contains(fragment), "{message:?} should contain {fragment:?}");
    }
    let wrong_count = session.accept_cpu_steps(key, 0, 25, &xs, &hs).unwrap_err();
    assert!(wrong_count.contains("do not fit the run's 24 steps"), "{wrong_count}");
    let wrong_size = session.accept_cpu_steps(key, 0, 1, &xs[2..], &hs).unwrap_err();
    assert!(wrong_size.contains("do not fit 700 particles"), "{wrong_size}");
    assert_eq!(session.step_index(), 0, "nothing was taken");
}

#[test]
fn corrupted_work_is_an_error_not_a_panic() {
    let work = session(options(&[("guidance", "cfg"), ("class", "upper")])).cpu_work().unwrap();
    let json = serde_json::to_value(&work).unwrap();
    let corrupt = |pointer: &str, value: serde_json::Value| {
        let mut broken = json.clone();
        *broken.pointer_mut(pointer).expect("a field of the work") = value;
        serde_json::from_value::<CpuWork>(broken).expect("still the shape of work")
    };
    let cases = [
        (corrupt("/mlp/weights", serde_json::json!([1.0, 2.0])), "the network has 2 weights"),
        (corrupt("/classifier_free/1", serde_json::json!(9)), "no row for class 9"),
        (corrupt("/mixture/components", serde_json::json!([])), "no components"),
        (corrupt("/plan", serde_json::json!([])), "no steps"),
    ];
    for (broken, fragment) in cases {
        let message = broken.check().expect_err("refused");
        assert!(message.contains(fragment), "{message:?} should contain {fragment:?}");
        let (mut xs, mut hs) = (vec![0.0; 4], vec![0.0; 2 * HISTORY_FLOATS]);
        assert!(broken.run(0, 1, 0, &mut xs, &mut hs).is_err(), "run checks first");
    }
}

#[test]
fn an_smc_run_keeps_its_steps_on_the_session() {
    let smc = session(options(&[("posterior", "smc"), ("score", "exact")]));
    assert!(smc.cpu_work().is_none(), "SMC's resampling couples the particles");
}

#[test]
fn the_state_a_worker_is_sent_is_every_position_then_every_history() {
    let mut split = session(options(&[("sampler", "unipc")]));
    let mut own = session(options(&[("sampler", "unipc")]));
    let work = split.cpu_work().unwrap();
    let mut state = split.cpu_state().unwrap();
    let mut flat = positions(&split);
    flat.extend(split.cpu_history().unwrap());
    assert_eq!(state, flat, "positions first, then history");
    work.run_state(0, 4, 0, &mut state).unwrap();
    assert!(split.accept_cpu_state(split.run_key(), 0, 4, &state).unwrap());
    own.step(4).unwrap();
    assert_eq!(positions(&split), positions(&own));
    assert_eq!(split.cpu_history(), own.cpu_history());
}
