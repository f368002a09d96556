//! Prints the table of networks trained in the page on drawings against the exact score of the
//! drawing (docs/measured.md, "Networks trained on drawings"; not run by default, its numbers are
//! measurements):
//!
//! ```text
//! cargo xtask report drawings
//! ```
//!
//! Each drawing is trained as the page trains it on the CPU (`TrainingPlan::for_labelled_drawing`,
//! the page's batch, seed 1): with uniform times for 2,500 steps (the page's recipe until
//! December 2026), with the plain network (`mlp 18-64-64-2`) for 8,000 steps (until coordinate
//! features), and now (the page's default steps); then the network's run and the exact score's
//! run are
//! compared as `networks_report` compares the embedded networks (16,384 particles, reverse SDE,
//! 200 steps). A drawing of two colours trains a class-conditional network, measured by its null
//! class (what the page samples without guidance). The bars: TV at most 1.2 times the exact
//! score's, a gap of at most 0.2 nats.

use diffusion_playground::core::drawing::DRAWN_TRAIN_STEPS;
use diffusion_playground::core::quality::AgainstExact;
use diffusion_playground::core::train::TimeSampling;

use diffusion_playground::core::mlp::Architecture;

use crate::support::drawings::{self, trained_against_exact, Recipe};

/// Adam steps of the page's training before the log-normal times.
const STEPS_BEFORE: u32 = 2500;
/// Adam steps of the page's training before coordinate features.
const STEPS_PLAIN: u32 = 8000;

/// "ratio (gap)" of a measurement.
fn cell(m: &AgainstExact) -> String {
    format!("{:.2} ({:.3})", m.learned.total_variation / m.exact.total_variation, m.log_density_gap)
}

#[test]
#[ignore]
fn drawings_against_the_exact_score() {
    let drawings = [
        ("drawn circle (drawCircle)", drawings::drawn_circle()),
        ("drawn two colours (drawTwoColours)", drawings::drawn_two_colours()),
        ("picture of two colours (data-files test)", drawings::saved("two-colour-picture.csv")),
        ("the word DIFFUSION", drawings::saved("word-diffusion.csv")),
    ];
    println!(
        "| drawing | points | classes | TV, exact score | sampling-noise floor | plain, uniform times, {STEPS_BEFORE} steps | plain, log-normal and uniform, {STEPS_PLAIN} steps | now: with coordinate features, {DRAWN_TRAIN_STEPS} steps | within the bars |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let plain = Some(Architecture::PLAIN);
    for (name, (points, labels)) in &drawings {
        let classes = 1 + labels.iter().copied().max().unwrap_or(0);
        let uniform = Recipe { times: Some(TimeSampling::Uniform), architecture: plain };
        let first = trained_against_exact(points, labels, STEPS_BEFORE, uniform);
        let before = trained_against_exact(
            points,
            labels,
            STEPS_PLAIN,
            Recipe { architecture: plain, ..Recipe::PAGE },
        );
        let now = trained_against_exact(points, labels, DRAWN_TRAIN_STEPS, Recipe::PAGE);
        let ratio = now.learned.total_variation / now.exact.total_variation;
        let meets = ratio <= 1.2 && now.log_density_gap <= 0.2;
        println!(
            "| {name} | {} | {classes} | {:.3} | {:.3} | {} | {} | {} | {} |",
            points.len(),
            now.exact.total_variation,
            now.exact.noise_floor,
            cell(&first),
            cell(&before),
            cell(&now),
            if meets { "yes" } else { "no" }
        );
    }
}
