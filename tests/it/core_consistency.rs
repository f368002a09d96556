//! Consistency distillation (`core::consistency`, Song et al. 2023): the consistency function of
//! a velocity network meets the boundary condition, the distillation's regression is the
//! consistency loss, and a distilled flow lands near the data in one step where its teacher does not.

use diffusion_playground::core::consistency::{self, boundaries, consistency_function, distillation_batch};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::metrics::sliced_wasserstein;
use diffusion_playground::core::mlp::Mlp;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::sampler;
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::train::{self, TrainConfig};

#[test]
fn the_consistency_function_is_the_identity_at_time_zero_and_x_minus_t_v_elsewhere() {
    let mlp = Mlp::initialise(5);
    for x in [[0.3, -1.2], [2.0, 0.5]] {
        assert_eq!(consistency_function(&mlp, x, 0.0), x, "f(x, 0) = x (Song et al. 2023, eq. 3)");
        let v = mlp.forward(x, 0.7);
        let f = consistency_function(&mlp, x, 0.7);
        assert!((f[0] - (x[0] - 0.7 * v[0])).abs() < 1e-6 && (f[1] - (x[1] - 0.7 * v[1])).abs() < 1e-6);
    }
    let grid = boundaries();
    assert!(grid.windows(2).all(|w| w[0] < w[1]) && grid[0] > 0.0 && *grid.last().unwrap() <= 1.0);
}

#[test]
fn each_distillation_example_weighs_the_consistency_loss() {
    let (teacher, target, student) = (Mlp::initialise(1), Mlp::initialise(2), Mlp::initialise(3));
    let data = Dataset::TwoMoons.mixture();
    let config = TrainConfig { batch: 16, ..TrainConfig::default() };
    for e in distillation_batch(&teacher, &target, &data, &config, 4) {
        // weight |F - goal|^2 = |f_student(x, t) - target|^2, with target = x - t goal.
        let out = student.forward(e.x, e.t);
        let regression = e.weight * ((out[0] - e.goal[0]).powi(2) + (out[1] - e.goal[1]).powi(2));
        let f = consistency_function(&student, e.x, e.t);
        let aim = [e.x[0] - e.t * e.goal[0], e.x[1] - e.t * e.goal[1]];
        let consistency = (f[0] - aim[0]).powi(2) + (f[1] - aim[1]).powi(2);
        assert!(
            (regression - consistency).abs() < 1e-4 * (1.0 + consistency),
            "{regression} against {consistency}"
        );
    }
}

#[test]
fn a_distilled_flow_lands_near_the_data_in_one_step_where_its_teacher_does_not() {
    let data = Dataset::TwoMoons.mixture();
    let flow = TrainConfig { steps: 1500, objective: Parametrization::Velocity, ..TrainConfig::default() };
    let teacher = train::train(&data, Schedule::RectifiedFlow, &flow, |_, _| {});
    let student = consistency::distill(
        &teacher,
        &data,
        &TrainConfig { steps: 1500, ..TrainConfig::default() },
        |_, _| {},
    );
    let noise = sampler::prior(Schedule::RectifiedFlow, Schedule::RectifiedFlow.t_max(), 7, 2048);
    let fresh = data.sample(8, 0, 2048);
    // The teacher's one Euler step from t = 1 lands on the mean of the data; the student's on the data.
    let teacher_one: Vec<[f32; 2]> = noise.iter().map(|&z| consistency_function(&teacher, z, 1.0)).collect();
    let student_one = consistency::sample_multistep(&student, &noise, &[], 7);
    let (t, s) = (sliced_wasserstein(&teacher_one, &fresh), sliced_wasserstein(&student_one, &fresh));
    assert!(s < 0.3 * t, "one step: student {s} against teacher {t}");
}
