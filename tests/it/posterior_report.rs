//! The posterior report of the closing notes (not a check; run it to print the table):
//!
//! ```text
//! cargo test --release --test posterior_report -- --ignored --nocapture
//! ```
//!
//! For each dataset and measurement y = A x0 + n: the sliced Wasserstein distance of 4,096
//! samples of each conditioning method to 4,096 exact draws of p(x0 | y) (`core::posterior`) at
//! 8, 16, 32 and 64 network evaluations (reverse SDE, i.e. Euler-Maruyama, VP linear, uniform
//! grid), with the exact prior score and with the embedded network, next to the data-vs-data
//! floor; then the total variation distance of the samples' histogram (64 x 64 bins) to the
//! exact posterior's bin probabilities at 64 evaluations, with the floor that sampling noise
//! leaves. SMC (twisted, `core::smc`) takes one step fewer than its budget: its last
//! evaluation weighs the particles at t_min.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded;
use diffusion_playground::core::guidance::Guidance;
use diffusion_playground::core::histogram::{self, Bins};
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::posterior::{posterior, Observation};
use diffusion_playground::core::posterior_guidance::{ObservationParams, PosteriorMethod};
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{self, NetFrame, Sampler, SamplerSettings, ScoreSource};
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::smc::{self, SmcState};
use diffusion_playground::core::timesteps::TimeGrid;

/// `N` SMC samples with `nfe` evaluations (nfe - 1 steps and the final weighting).
fn smc_samples(source: ScoreSource, frame: NetFrame, observation: &Observation, nfe: usize) -> Vec<[f32; 2]> {
    let schedule = Schedule::VpLinear;
    let times = TimeGrid::Uniform.times(schedule, schedule.t_max(), schedule.t_min(), nfe - 1);
    let plan = sampler::plan(schedule, frame, &SamplerSettings::new(Sampler::EulerMaruyama), &times);
    let mut particles = sampler::prior(schedule, times[0], quality::SAMPLE_SEED, N);
    let mut state = SmcState::new(N);
    let params = ObservationParams::new(observation, PosteriorMethod::Pigdm);
    let last = sampler::evaluation(schedule, frame, *times.last().unwrap());
    smc::run(source, &params, 1.0, &plan, &mut particles, &mut state, quality::SAMPLE_SEED, Some(last));
    particles
}

const NFE: [usize; 4] = [8, 16, 32, 64];
const N: usize = 4096;

/// The measurements of the report: one coordinate, a projection, and a noisy point.
fn cases() -> Vec<(Dataset, &'static str, Observation)> {
    vec![
        (Dataset::TwoMoons, "x = 0.5 (s = 0.2)", Observation::new(vec![[1.0, 0.0]], vec![0.5], 0.2).unwrap()),
        (
            Dataset::GaussianMixture,
            "0.6 x + 0.8 y = 1.5 (s = 0.3)",
            Observation::new(vec![[0.6, 0.8]], vec![1.5], 0.3).unwrap(),
        ),
        (
            Dataset::Pinwheel,
            "point (0.8, 0.4) (s = 0.3)",
            Observation::new(vec![[1.0, 0.0], [0.0, 1.0]], vec![0.8, 0.4], 0.3).unwrap(),
        ),
    ]
}

#[test]
#[ignore = "prints the report of the closing notes; run with --ignored --nocapture"]
fn posterior_report() {
    let schedule = Schedule::VpLinear;
    let bins = Bins { side: 64, half_extent: 3.0 };
    println!("| dataset, measurement | method, prior score | SW2 at 8 / 16 / 32 / 64 NFE | TV at 64 NFE | SW2, TV floor |");
    println!("| --- | --- | --- | --- | --- |");
    for (dataset, label, observation) in cases() {
        let prior = dataset.mixture();
        let exact = posterior(&prior, &observation);
        let reference = exact.sample(quality::DATA_SEED, 0, N);
        let floor = sliced_wasserstein(&exact.sample(quality::REFERENCE_SEED, 0, N), &reference);
        let t = schedule.t_min();
        let truth = histogram::exact_probabilities(&exact, schedule.alpha(t), schedule.sigma(t), &bins);
        let tv = |points: &[[f32; 2]]| {
            histogram::total_variation(&histogram::histogram(points, &bins), points.len(), &truth)
        };
        let tv_floor = tv(&exact.sample(quality::REFERENCE_SEED, 0, N));
        let net = embedded::net(dataset, schedule).unwrap();
        let unconditioned = sliced_wasserstein(&prior.sample(quality::SAMPLE_SEED, 0, N), &reference);
        println!(
            "| {} {label} | none: exact prior draws | {unconditioned:.3} | {:.3} | {floor:.3}, {tv_floor:.3} |",
            dataset.name(),
            tv(&prior.sample(quality::SAMPLE_SEED, 0, N)),
        );
        for (method, score) in [
            (PosteriorMethod::Exact, "exact"),
            (PosteriorMethod::Dps, "exact"),
            (PosteriorMethod::Pigdm, "exact"),
            (PosteriorMethod::Smc, "exact"),
            (PosteriorMethod::Dps, "network"),
            (PosteriorMethod::Pigdm, "network"),
            (PosteriorMethod::Smc, "network"),
        ] {
            let params = ObservationParams::new(&observation, method);
            let base = match score {
                "exact" if method == PosteriorMethod::Exact => ScoreSource::Exact(&exact),
                "exact" => ScoreSource::Exact(&prior),
                _ => ScoreSource::Mlp(&net.mlp),
            };
            let source = match method {
                PosteriorMethod::Exact => base,
                _ => base.posterior_guided(&params, Guidance::everywhere(1.0)),
            };
            let frame = if score == "network" { NetFrame::of(&net) } else { NetFrame::eps(schedule) };
            let samples = |nfe: usize| {
                if method == PosteriorMethod::Smc {
                    return smc_samples(base, frame, &observation, nfe);
                }
                let setup = RunSetup { net: frame, ..RunSetup::new(schedule, Sampler::EulerMaruyama, nfe) };
                quality::sample(source, &setup, quality::SAMPLE_SEED, N)
            };
            let distances: Vec<String> = NFE
                .iter()
                .map(|&nfe| format!("{:.3}", sliced_wasserstein(&samples(nfe), &reference)))
                .collect();
            println!(
                "| {} {label} | {}, {score} | {} | {:.3} | {floor:.3}, {tv_floor:.3} |",
                dataset.name(),
                method.name(),
                distances.join(" / "),
                tv(&samples(64)),
            );
        }
    }
}
