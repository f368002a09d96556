//! The guidance report of the closing notes (not a check; run it to print the tables):
//!
//! ```text
//! cargo test --release --test guidance_report -- --ignored --nocapture
//! ```
//!
//! For each dataset and class: the sliced Wasserstein distance of 4,096 guided samples to 4,096
//! exact draws of p(x0 | c) at 8, 16, 32 and 64 network evaluations (DPM-Solver++(2M), VP linear,
//! uniform grid), for classifier-free guidance with the exact scores (w = 1: the exact
//! conditional score), for the exact classifier on the embedded network (w = 1) and for
//! classifier-free guidance with the class-conditional network (w = 1: eps(x, c)), next to the
//! data-vs-data floor; then, for w = 3, the total variation distance of the guided samples'
//! histogram (64 x 64 bins) to the tilted target p(x | c)^3 p(x)^-2 at t_min, with the floor that
//! sampling noise leaves: how far guided samplers are from the density guidance aims at.

use diffusion_playground::core::classes::{self, class_members, marked};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded;
use diffusion_playground::core::guidance::{self, Guidance};
use diffusion_playground::core::histogram::{self, Bins};
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::quality::{self, RunSetup};
use diffusion_playground::core::sampler::{Sampler, ScoreSource};
use diffusion_playground::core::schedule::Schedule;

const CASES: [(Dataset, &str); 4] = [
    (Dataset::TwoMoons, "lower"),
    (Dataset::GaussianMixture, "east"),
    (Dataset::Smiley, "eyes"),
    (Dataset::Rings, "inner"),
];
const NFE: [usize; 4] = [8, 16, 32, 64];
const N: usize = 4096;

#[test]
#[ignore = "prints the report of the closing notes; run with --ignored --nocapture"]
fn guidance_report() {
    let schedule = Schedule::VpLinear;
    println!("| dataset, class | method (w = 1) | SW2 at 8 / 16 / 32 / 64 NFE | SW2 data vs data |");
    println!("| --- | --- | --- | --- |");
    for (dataset, class) in CASES {
        let index = classes::class_index(dataset, class).unwrap();
        let mixture = marked(&dataset.mixture(), &class_members(dataset, index)).unwrap();
        let target = classes::conditional(&mixture).unwrap();
        let data = target.sample(quality::DATA_SEED, 0, N);
        let floor = sliced_wasserstein(&target.sample(quality::REFERENCE_SEED, 0, N), &data);
        let net = embedded::net(dataset, schedule).unwrap();
        let conditional = embedded::conditional_net(dataset).unwrap();
        let embedding = conditional.class_embedding.as_ref().unwrap();
        let learned = ScoreSource::ClassifierFree {
            mlp: &conditional.mlp,
            embedding,
            class: index,
            guidance: Guidance::everywhere(1.0),
        };
        let methods: [(&str, ScoreSource); 3] = [
            (
                "classifier-free, exact scores",
                ScoreSource::Exact(&mixture).guided(&mixture, Guidance::everywhere(1.0)),
            ),
            (
                "exact classifier on the network",
                ScoreSource::Mlp(&net.mlp).guided(&mixture, Guidance::everywhere(1.0)),
            ),
            ("classifier-free, class-conditional network", learned),
        ];
        for (name, source) in methods {
            let distances: Vec<String> = NFE
                .iter()
                .map(|&nfe| {
                    let setup = RunSetup::new(schedule, Sampler::DpmSolver2M, nfe);
                    format!(
                        "{:.3}",
                        sliced_wasserstein(&quality::sample(source, &setup, quality::SAMPLE_SEED, N), &data)
                    )
                })
                .collect();
            println!("| {} {class} | {name} | {} | {floor:.3} |", dataset.name(), distances.join(" / "));
        }
    }
    println!();
    println!("| dataset, class | w = 3: TV to the tilted target at 16 / 64 NFE, exact scores | the same, class-conditional network | TV floor |");
    println!("| --- | --- | --- | --- |");
    let bins = Bins { side: 64, half_extent: 3.0 };
    for (dataset, class) in CASES {
        let index = classes::class_index(dataset, class).unwrap();
        let mixture = marked(&dataset.mixture(), &class_members(dataset, index)).unwrap();
        let t = schedule.t_min();
        let target =
            guidance::tilted_probabilities(&mixture, schedule.alpha(t), schedule.sigma(t), 3.0, &bins)
                .unwrap();
        let exact = ScoreSource::Exact(&mixture).guided(&mixture, Guidance::everywhere(3.0));
        let conditional = embedded::conditional_net(dataset).unwrap();
        let embedding = conditional.class_embedding.as_ref().unwrap();
        let learned = ScoreSource::ClassifierFree {
            mlp: &conditional.mlp,
            embedding,
            class: index,
            guidance: Guidance::everywhere(3.0),
        };
        let tvs = |source: ScoreSource| -> String {
            let values: Vec<String> = [16, 64]
                .iter()
                .map(|&nfe| {
                    let setup = RunSetup::new(schedule, Sampler::DpmSolver2M, nfe);
                    let samples = quality::sample(source, &setup, quality::SAMPLE_SEED, N);
                    format!(
                        "{:.3}",
                        histogram::total_variation(&histogram::histogram(&samples, &bins), N, &target)
                    )
                })
                .collect();
            values.join(" / ")
        };
        println!(
            "| {} {class} | {} | {} | {:.3} |",
            dataset.name(),
            tvs(exact),
            tvs(learned),
            histogram::noise_floor(N, &target)
        );
    }
}
