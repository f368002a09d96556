//! The sampler report of the closing notes (not a check; run it to print the table):
//!
//! ```text
//! cargo test --release --test sampler_report -- --ignored --nocapture
//! ```
//!
//! For every sampler: the measured convergence order of its deterministic form on EDM's setting
//! (sigma = t, Karras grid; error against a 4,000-step Heun solution at 20 -> 40 -> 80 steps), and
//! the sliced Wasserstein distance of 4,096 samples to fresh data (8 Gaussians), with the exact
//! score and with the embedded network, next to the data-vs-data distance.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::race;
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;

fn ode_paths(sampler_kind: Sampler, steps: usize) -> Vec<[f32; 2]> {
    let schedule = Schedule::Edm;
    let mixture = Dataset::GaussianMixture.mixture();
    let times = TimeGrid::Karras.times(schedule, schedule.t_max(), schedule.t_min(), steps);
    let settings = SamplerSettings { eta: 0.0, ..SamplerSettings::new(sampler_kind) };
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &settings, &times);
    let mut x = sampler::prior(schedule, times[0], 5, 256);
    sampler::run_from_start(ScoreSource::Exact(&mixture), &plan, &mut x, 5, 0);
    x
}

fn mean_distance(a: &[[f32; 2]], b: &[[f32; 2]]) -> f64 {
    a.iter().zip(b).map(|(p, q)| ((p[0] - q[0]) as f64).hypot((p[1] - q[1]) as f64)).sum::<f64>()
        / a.len() as f64
}

#[test]
#[ignore = "prints the report of the closing notes; run with --ignored --nocapture"]
fn sampler_report() {
    let reference = ode_paths(Sampler::Heun, 4000);
    let dataset = Dataset::GaussianMixture;
    let mixture = dataset.mixture();
    let net = embedded::net(dataset, Schedule::VpLinear).expect("embedded net");
    let n = 4096;
    let data = dataset.sample(2002, n);
    let floor = sliced_wasserstein(&dataset.sample(3003, n), &data);
    println!("| sampler | order (ODE form, EDM + Karras, 20->40->80) | SW2 exact score, VP linear, 100 steps | SW2 MLP, VP linear, 100 steps | SW2 data vs data |");
    println!("| --- | --- | --- | --- | --- |");
    for sampler_kind in Sampler::ALL {
        let errors: Vec<f64> =
            [20, 40, 80].iter().map(|&k| mean_distance(&ode_paths(sampler_kind, k), &reference)).collect();
        let orders = if sampler_kind == Sampler::DdpmAncestral {
            "n/a (no deterministic form)".to_string()
        } else {
            format!("{:.2}, {:.2}", (errors[0] / errors[1]).log2(), (errors[1] / errors[2]).log2())
        };
        let setup = RunSetup::new(Schedule::VpLinear, sampler_kind, 100);
        let exact =
            sliced_wasserstein(&quality::sample(ScoreSource::Exact(&mixture), &setup, 1001, n), &data);
        let learned =
            sliced_wasserstein(&quality::sample(ScoreSource::Mlp(&net.mlp), &setup, 1001, n), &data);
        println!("| {} | {orders} | {exact:.4} | {learned:.4} | {floor:.4} |", sampler_kind.label());
    }
}

#[test]
#[ignore = "prints the per-dataset report of the closing notes; run with --ignored --nocapture"]
fn dataset_report() {
    let n = 4096;
    println!("| dataset | SW2 exact score (reverse SDE, VP linear, 200 steps) | SW2 embedded net | SW2 data vs data |");
    println!("| --- | --- | --- | --- |");
    for dataset in Dataset::ALL {
        let mixture = dataset.mixture();
        let net = embedded::net_for(dataset, Schedule::VpLinear).expect("embedded net");
        let data = dataset.sample(2002, n);
        let floor = sliced_wasserstein(&dataset.sample(3003, n), &data);
        let setup = RunSetup::new(Schedule::VpLinear, Sampler::EulerMaruyama, 200);
        let exact =
            sliced_wasserstein(&quality::sample(ScoreSource::Exact(&mixture), &setup, 1001, n), &data);
        let learned =
            sliced_wasserstein(&quality::sample(ScoreSource::Mlp(&net.mlp), &setup, 1001, n), &data);
        println!("| {} | {exact:.4} | {learned:.4} | {floor:.4} |", dataset.label());
    }
}

#[test]
#[ignore = "prints the budget table of the closing notes; run with --ignored --nocapture"]
fn sampler_budget_report() {
    // The race's setting at the budgets practitioners sample with: every sampler with its default
    // knobs (eta = 1 where it reads it, s_noise = 1, order 3), VP linear on the Karras grid.
    let dataset = Dataset::GaussianMixture;
    let mixture = dataset.mixture();
    let net = embedded::net(dataset, Schedule::VpLinear).expect("embedded net");
    let track = race::Track {
        data: &mixture,
        schedule: Schedule::VpLinear,
        grid: TimeGrid::Karras,
        shift: 1.0,
        rho: 7.0,
        particles: 4096,
        seed: 1001,
    };
    println!("| sampler | SW2 exact, 8 NFE | SW2 exact, 32 NFE | SW2 MLP, 8 NFE | SW2 MLP, 32 NFE |");
    println!("| --- | --- | --- | --- | --- |");
    for sampler_kind in Sampler::ALL {
        let settings = SamplerSettings::new(sampler_kind);
        let lap = |source, frame, budget| race::lap(&track, source, frame, &settings, budget).distance;
        let exact = NetFrame::eps(Schedule::VpLinear);
        let learned = NetFrame::of(&net);
        println!(
            "| {} | {:.4} | {:.4} | {:.4} | {:.4} |",
            sampler_kind.label(),
            lap(ScoreSource::Exact(&mixture), exact, 8),
            lap(ScoreSource::Exact(&mixture), exact, 32),
            lap(ScoreSource::Mlp(&net.mlp), learned, 8),
            lap(ScoreSource::Mlp(&net.mlp), learned, 32),
        );
    }
    println!("data vs data: {:.4}", race::floor(&track));
}
