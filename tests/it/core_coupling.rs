//! Couplings of data and noise for flow-matching training (`core::coupling`, `core::assignment`):
//! the optimal assignment against a brute-force search, the entropic plan's marginals and its
//! limits, the coupled training examples, and the refusals that name what is wrong.

use diffusion_playground::core::assignment::optimal_assignment;
use diffusion_playground::core::coupling::{bridge_pairs, entropic_plan, ot_pairs, Coupling};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::train::{self, TimeSampling, TrainConfig};
use proptest::prelude::*;

/// The least total cost over every permutation of 0..n (n! of them), by Heap's algorithm.
fn brute_force(cost: &[f64], n: usize) -> f64 {
    let mut order: Vec<usize> = (0..n).collect();
    let total = |order: &[usize]| order.iter().enumerate().map(|(i, &j)| cost[i * n + j]).sum::<f64>();
    let mut best = total(&order);
    let mut counters = vec![0; n];
    let mut i = 0;
    while i < n {
        if counters[i] < i {
            order.swap(if i % 2 == 0 { 0 } else { counters[i] }, i);
            best = best.min(total(&order));
            counters[i] += 1;
            i = 0;
        } else {
            counters[i] = 0;
            i += 1;
        }
    }
    best
}

fn is_permutation(pairs: &[usize]) -> bool {
    let mut seen = vec![false; pairs.len()];
    pairs.iter().all(|&j| j < seen.len() && !std::mem::replace(&mut seen[j], true))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn the_assignment_is_the_brute_force_optimum(n in 1usize..=7, seed in any::<u64>()) {
        let mut state = seed | 1;
        let cost: Vec<f64> = (0..n * n)
            .map(|_| {
                // xorshift64: costs in [0, 10), ties rare but allowed.
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 10_000) as f64 / 1000.0
            })
            .collect();
        let pairs = optimal_assignment(&cost, n);
        prop_assert!(is_permutation(&pairs));
        let total: f64 = pairs.iter().enumerate().map(|(i, &j)| cost[i * n + j]).sum();
        prop_assert!((total - brute_force(&cost, n)).abs() < 1e-9, "{} against {}", total, brute_force(&cost, n));
    }
}

/// Points on a circle of radius `r`, `n` of them, turned by `phase`.
fn circle(n: usize, r: f32, phase: f32) -> Vec<[f32; 2]> {
    (0..n)
        .map(|k| {
            let a = phase + std::f32::consts::TAU * k as f32 / n as f32;
            [r * a.cos(), r * a.sin()]
        })
        .collect()
}

#[test]
fn ot_pairs_each_point_with_its_nearest_when_that_is_a_permutation() {
    // The data on a circle of radius 3, the noises on one of radius 1 at the same angles but
    // listed backwards: OT pairs each point with the noise at its own angle.
    let x0 = circle(16, 3.0, 0.0);
    let mut eps = circle(16, 1.0, 0.0);
    eps.reverse();
    let pairs = ot_pairs(&x0, &eps);
    for (i, &j) in pairs.iter().enumerate() {
        assert_eq!(j, 15 - i, "point {i} goes to the noise at its angle");
    }
}

#[test]
fn the_entropic_plan_has_uniform_marginals_and_tends_to_ot_and_to_independence() {
    let x0 = circle(12, 2.0, 0.1);
    let eps = circle(12, 1.0, 0.7);
    let n = 12;
    for sigma in [0.05, 0.5, 5.0] {
        let plan = entropic_plan(&x0, &eps, 2.0 * sigma * sigma);
        for i in 0..n {
            let row: f64 = plan[i * n..(i + 1) * n].iter().sum();
            let column: f64 = (0..n).map(|k| plan[k * n + i]).sum();
            assert!(
                (row * n as f64 - 1.0).abs() < 1e-5 && (column * n as f64 - 1.0).abs() < 1e-5,
                "sigma {sigma}"
            );
        }
    }
    // sigma 0.05: the plan is the OT permutation (each row's mass on one column).
    let sharp = entropic_plan(&x0, &eps, 2.0 * 0.05 * 0.05);
    for (i, &j) in ot_pairs(&x0, &eps).iter().enumerate() {
        assert!(sharp[i * n + j] * n as f64 > 0.99, "row {i} on its OT partner");
    }
    // sigma 5: nearly independent (every entry near 1 / n^2).
    let flat = entropic_plan(&x0, &eps, 2.0 * 25.0);
    assert!(flat.iter().all(|p| (p * (n * n) as f64 - 1.0).abs() < 0.25));
    // Sampling the sharp plan's rows gives the OT pairs.
    let uniforms: Vec<f32> = (0..n).map(|i| (i as f32 + 0.5) / n as f32).collect();
    assert_eq!(bridge_pairs(&x0, &eps, 0.05, &uniforms), ot_pairs(&x0, &eps));
}

fn flow_config(coupling: Coupling) -> TrainConfig {
    TrainConfig { batch: 64, objective: Parametrization::Velocity, coupling, ..TrainConfig::default() }
}

#[test]
fn coupled_examples_re_pair_the_batchs_own_noises() {
    let data = Dataset::GaussianMixture.mixture();
    let schedule = Schedule::RectifiedFlow;
    let independent = train::coupled_examples(&data, schedule, &flow_config(Coupling::Independent), 640);
    for (b, (example, _)) in independent.iter().enumerate() {
        let own = train::example(&data, schedule, TimeSampling::Uniform, 0, 640 + b as u32);
        assert_eq!(*example, own, "the independent coupling keeps each example's own noise");
    }
    let ot = train::coupled_examples(&data, schedule, &flow_config(Coupling::MinibatchOt { batch: 16 }), 640);
    let cost = |examples: &[(train::Example, usize)]| -> f64 {
        examples
            .iter()
            .map(|(e, _)| ((e.x0[0] - e.eps[0]).powi(2) + (e.x0[1] - e.eps[1]).powi(2)) as f64)
            .sum()
    };
    for (group, independent_group) in ot.chunks(16).zip(independent.chunks(16)) {
        let mut mine: Vec<[u32; 2]> = group.iter().map(|(e, _)| e.eps.map(f32::to_bits)).collect();
        let mut own: Vec<[u32; 2]> = independent_group.iter().map(|(e, _)| e.eps.map(f32::to_bits)).collect();
        mine.sort_unstable();
        own.sort_unstable();
        assert_eq!(mine, own, "a group's noises, permuted");
        assert!(cost(group) <= cost(independent_group), "and no farther from their data");
        for ((e, _), (i, _)) in group.iter().zip(independent_group) {
            assert_eq!((e.x0, e.t), (i.x0, i.t), "data and times stay");
            let t = e.t;
            for k in 0..2 {
                assert!(
                    (e.x[k] - ((1.0 - t) * e.x0[k] + t * e.eps[k])).abs() < 1e-5,
                    "x_t from the new pair"
                );
            }
        }
    }
    let bridge = flow_config(Coupling::SchrodingerBridge { batch: 16, sigma: 0.5 });
    for (e, _) in train::coupled_examples(&data, schedule, &bridge, 640) {
        let t = e.t as f64;
        let goal = train::target(Parametrization::Velocity, schedule, &e);
        for (k, &goal_k) in goal.iter().enumerate() {
            let width = (t * (1.0 - t)).sqrt();
            let x = (1.0 - t) * e.x0[k] as f64 + t * e.eps[k] as f64 + width * e.bridge[k] as f64;
            assert!((e.x[k] as f64 - x).abs() < 1e-5, "the Brownian bridge's x_t");
            let u = e.eps[k] as f64 - e.x0[k] as f64 + (1.0 - 2.0 * t) / (2.0 * width) * e.bridge[k] as f64;
            assert!((goal_k as f64 - u).abs() < 1e-4, "its conditional velocity (Tong et al. 2023)");
        }
    }
}

#[test]
fn bad_couplings_are_refused_naming_what_is_wrong() {
    let refused = |name: &str, batch: u32, sigma: f64| Coupling::from_parts(name, batch, sigma).unwrap_err();
    assert_eq!(refused("sb", 64, 0.0), "bridge sigma 0: the Schrödinger bridge takes 0.05 to 5");
    assert_eq!(refused("sb", 64, 1e9), "bridge sigma 1000000000: the Schrödinger bridge takes 0.05 to 5");
    assert_eq!(refused("sb", 64, f64::NAN), "bridge sigma NaN: the Schrödinger bridge takes 0.05 to 5");
    assert_eq!(refused("ot", 4, 0.5), "coupling batch 4: an OT group needs 8 to 1024 examples");
    assert_eq!(refused("sinkhorn", 64, 0.5), "coupling \"sinkhorn\": one of independent, ot, sb");
    let config = TrainConfig { coupling: Coupling::MinibatchOt { batch: 48 }, ..TrainConfig::default() };
    assert_eq!(
        train::check_coupling(&config, Schedule::RectifiedFlow).unwrap_err(),
        "coupling batch 48: a divisor of the training batch of 256 examples"
    );
    let bridge = TrainConfig {
        coupling: Coupling::SchrodingerBridge { batch: 64, sigma: 0.5 },
        ..TrainConfig::default()
    };
    assert!(train::check_coupling(&bridge, Schedule::VpLinear).unwrap_err().starts_with(
        "coupling sb: the Schrödinger bridge trains the velocity objective on the rectified_flow schedule"
    ));
}
