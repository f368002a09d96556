//! Prints the table of the embedded networks against the exact score (docs/measured.md, "The
//! embedded networks against the exact score"; not run by default, its numbers are measurements):
//!
//! ```text
//! cargo xtask report networks
//! ```
//!
//! Networks being tried out (`dp-train --out DIR`) are measured the same way, from the weight
//! files of a folder:
//!
//! ```text
//! DP_NETWORKS_DIR=DIR cargo test --release --test it networks_report::networks_in_a_folder -- --ignored --nocapture --test-threads 1
//! ```
//!
//! Each network runs the reverse SDE from the page's defaults (16,384 particles, seed 1, 200
//! uniform steps of its schedule), and so does the exact score of its dataset; the density
//! view's total variation to the exact p_t of each is shown with the floor that sampling noise
//! leaves, and the learned run's log-density gap. The bars of the networks' quality: the
//! network's TV at most 1.2 times the exact score's, and a gap of at most 0.2 nats.

use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded::{self, TRAINED_SCHEDULES};
use diffusion_playground::core::quality::{network_against_exact, AgainstExact};

/// Most the network's TV may exceed the exact score's, as a factor.
const TV_RATIO_BAR: f64 = 1.2;
/// Most the network's samples may fall below fresh data in mean log-density (nats).
const GAP_BAR: f64 = 0.2;

fn row(dataset: Dataset, network: &str, measured: AgainstExact) {
    let ratio = measured.learned.total_variation / measured.exact.total_variation;
    let meets = ratio <= TV_RATIO_BAR && measured.log_density_gap <= GAP_BAR;
    println!(
        "| {} | {network} | {:.3} | {:.3} | {:.3} | {:.2} | {:.3} | {} |",
        dataset.name(),
        measured.learned.total_variation,
        measured.exact.total_variation,
        measured.exact.noise_floor,
        ratio,
        measured.log_density_gap,
        if meets { "yes" } else { "no" }
    );
}

#[test]
#[ignore]
fn every_embedded_network_against_the_exact_score() {
    println!("| dataset | network | TV, network | TV, exact score | sampling-noise floor | network / exact | log-density gap (nats) | within the bars |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    // The 1-D dataset's density view is a line: its quality is the likelihood report's.
    for dataset in Dataset::ALL.into_iter().filter(|d| !d.mixture().is_one_dimensional()) {
        for schedule in TRAINED_SCHEDULES {
            let Ok(net) = embedded::net(dataset, schedule) else { continue };
            if net.schedule != schedule {
                continue; // the VP-linear network through the log-SNR: measured in its own row
            }
            row(dataset, schedule.name(), network_against_exact(&net));
        }
        if let Ok(conditional) = embedded::conditional_net(dataset) {
            row(dataset, "class-conditional (null class)", network_against_exact(&conditional));
        }
    }
}

#[test]
#[ignore]
fn networks_in_a_folder_against_the_exact_score() {
    let Some(networks) = crate::support::networks::in_the_folder_of_dp_networks_dir(".dpw") else {
        println!("DP_NETWORKS_DIR is not set: nothing to measure");
        return;
    };
    println!("| dataset | network | TV, network | TV, exact score | sampling-noise floor | network / exact | log-density gap (nats) | within the bars |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, net) in networks {
        if net.dataset.mixture().is_one_dimensional() {
            continue;
        }
        row(net.dataset, &name, network_against_exact(&net));
    }
}
