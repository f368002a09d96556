//! Prints the likelihood tables of docs/measured.md and the closing note (not run by default; its
//! numbers are measurements, the bounds live in `tests/it/core_likelihood.rs`):
//!
//! ```text
//! cargo xtask report likelihood
//! ```

use diffusion_playground::app::likelihood::{NllSummary, PriorChoice};
use diffusion_playground::app::options::{Options, RawOptions, RawValue};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded::{self, TRAINED_SCHEDULES};
use diffusion_playground::core::likelihood::LIKELIHOOD_SAMPLERS;
use diffusion_playground::core::schedule::Schedule;

/// Points of each measurement.
const POINTS: u32 = 2048;
/// Steps of the ODE likelihood (Heun, Karras grid).
const ODE_STEPS: u32 = 128;
/// Steps of the chain of the bound (Karras grid) and its draws per latent.
const ELBO_STEPS: u32 = 256;
const ELBO_DRAWS: u32 = 4;

fn session(fields: &[(&str, &str)]) -> Session {
    let mut raw = RawOptions::new();
    raw.insert("particles".into(), Some(RawValue::Number(1.0)));
    raw.insert("time_grid".into(), Some(RawValue::Text("karras".into())));
    for (k, v) in fields {
        raw.insert((*k).into(), Some(RawValue::Text((*v).into())));
    }
    Session::new(Options::default().merged(&raw).unwrap(), Particles::Cpu(Vec::new())).unwrap()
}

#[test]
#[ignore]
fn nll_of_every_embedded_network() {
    println!("| dataset | schedule of the run | network trained on | NLL, network by the ODE | ELBO of the network's chain | NLL, exact score by the ODE | exact NLL of the data |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    // DP_REPORT_DATASET=NAME measures one dataset's rows only.
    let only = std::env::var("DP_REPORT_DATASET").ok();
    for dataset in Dataset::ALL.into_iter().filter(|d| only.as_deref().is_none_or(|name| name == d.name())) {
        let conditional = (Schedule::VpLinear, true);
        let rows = TRAINED_SCHEDULES.into_iter().map(|s| (s, false)).chain([conditional]);
        for (schedule, conditional_row) in rows {
            let mut mlp =
                session(&[("dataset", dataset.name()), ("schedule", schedule.name()), ("score", "mlp")]);
            let trained_on = if schedule == Schedule::VpLinear && conditional_row {
                // The class-conditional network by its null class, as an unguided run samples.
                mlp.use_network(embedded::conditional_net(dataset).unwrap()).unwrap();
                "vp_linear (class-conditional, null class)".to_string()
            } else {
                mlp.net().schedule.name().to_string()
            };
            let exact =
                session(&[("dataset", dataset.name()), ("schedule", schedule.name()), ("score", "exact")]);
            let points = mlp.likelihood_data(POINTS).unwrap();
            let model = mlp.likelihood("heun", "karras", ODE_STEPS, PriorChoice::Gaussian, &points).unwrap();
            let elbo = mlp.elbo("karras", ELBO_STEPS, &points, ELBO_DRAWS).unwrap();
            let ideal =
                exact.likelihood("heun", "karras", ODE_STEPS, PriorChoice::Gaussian, &points).unwrap();
            let bits = |s: NllSummary| format!("{:.3} ± {:.3}", s.bits_per_dimension, s.standard_error);
            println!(
                "| {} | {} | {} | {} | {:.3} ± {:.3} | {} | {} |",
                dataset.name(),
                schedule.name(),
                trained_on,
                bits(model.model),
                elbo.bits_per_dimension,
                elbo.standard_error / (elbo.dimensions as f64 * std::f64::consts::LN_2),
                bits(ideal.model),
                bits(model.exact)
            );
        }
    }
}

#[test]
#[ignore]
fn convergence_of_the_exact_likelihood_with_every_solver() {
    println!("mean |ln p_ODE - ln p_exact| (nats), exact score and exact prior, Karras grid, 256 points of two_moons");
    println!("| schedule | solver | 8 | 16 | 32 | 64 | 128 | order (64 -> 128) |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for schedule in ["vp_linear", "ve", "edm", "rectified_flow"] {
        let s = session(&[("dataset", "two_moons"), ("schedule", schedule), ("score", "exact")]);
        let points = s.likelihood_data(256).unwrap();
        for solver in LIKELIHOOD_SAMPLERS {
            let errors: Vec<f64> = [8, 16, 32, 64, 128]
                .iter()
                .map(|&n| {
                    let v = s.likelihood(solver.name(), "karras", n, PriorChoice::Exact, &points).unwrap();
                    v.log_p.iter().zip(&v.exact_log_p).map(|(a, b)| (a - b).abs()).sum::<f64>()
                        / points.len() as f64
                })
                .collect();
            let cells: Vec<String> = errors.iter().map(|e| format!("{e:.2e}")).collect();
            println!(
                "| {schedule} | {} | {} | {:.2} |",
                solver.name(),
                cells.join(" | "),
                (errors[3] / errors[4]).log2()
            );
        }
    }
}

#[test]
#[ignore]
fn the_bound_tightens_with_steps() {
    println!(
        "mean ELBO vs exact mean ln p_0 (nats), two_moons, exact score, Karras grid, 1024 points, 4 draws"
    );
    println!("| schedule | exact | 16 | 64 | 256 | 1000 |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for schedule in ["vp_linear", "ve", "edm", "rectified_flow"] {
        let s = session(&[("dataset", "two_moons"), ("schedule", schedule), ("score", "exact")]);
        let points = s.likelihood_data(1024).unwrap();
        let views: Vec<_> =
            [16, 64, 256, 1000].iter().map(|&n| s.elbo("karras", n, &points, 4).unwrap()).collect();
        let cells: Vec<String> = views.iter().map(|v| format!("{:.3}", v.elbo)).collect();
        println!("| {schedule} | {:.3} | {} |", views[0].exact_log_p, cells.join(" | "));
    }
}
