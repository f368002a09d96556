//! Classes of the built-in datasets: each dataset's mixture components grouped into named
//! classes (docs/features.md), so that the class conditionals p_0(x | c), the class
//! priors p(c) and the exact classifier p_t(c | x) are all exact.
//!
//! A class c is a set of components K_c; its prior is W_c = sum_{k in K_c} w_k and its
//! conditional is the mixture of its components with weights w_k / W_c:
//!
//! p_t(x | c) = sum_{k in K_c} (w_k / W_c) N(x; alpha mu_k, C_k),
//!
//! a Gaussian mixture like p_t, noised the same way. By Bayes' rule
//! p_t(c | x) = W_c p_t(x | c) / p_t(x) = sum_{k in K_c} r_k(x), the class's share of the
//! posterior responsibilities, and grad log p_t(c | x) = grad log p_t(x | c) - grad log p_t(x)
//! (`core::guidance`).

use std::f64::consts::TAU;

use crate::core::dataset::{self, Dataset, GaussianMixture};

/// A named class of a dataset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct DataClass {
    /// The identifier used in options, share links and the command line.
    pub name: &'static str,
    /// Human label for the UI.
    pub label: &'static str,
}

const fn class(name: &'static str, label: &'static str) -> DataClass {
    DataClass { name, label }
}

/// The eight modes of "8 Gaussians", by compass direction (component k sits at angle 2 pi k / 8).
const EIGHT_GAUSSIANS_CLASSES: [DataClass; 8] = [
    class("east", "East mode"),
    class("north_east", "North-east mode"),
    class("north", "North mode"),
    class("north_west", "North-west mode"),
    class("west", "West mode"),
    class("south_west", "South-west mode"),
    class("south", "South mode"),
    class("south_east", "South-east mode"),
];
const TWO_MOONS_CLASSES: [DataClass; 2] = [class("upper", "Upper moon"), class("lower", "Lower moon")];
const SPIRAL_CLASSES: [DataClass; 2] = [class("inner_turn", "Inner turn"), class("outer_turn", "Outer turn")];
const PINWHEEL_CLASSES: [DataClass; dataset::PINWHEEL_ARMS] = [
    class("arm_1", "Arm 1 (east)"),
    class("arm_2", "Arm 2"),
    class("arm_3", "Arm 3"),
    class("arm_4", "Arm 4"),
    class("arm_5", "Arm 5"),
];
const CHECKERBOARD_CLASSES: [DataClass; 2] = [
    class("even_squares", "Squares of even column (and row)"),
    class("odd_squares", "Squares of odd column (and row)"),
];
const RINGS_CLASSES: [DataClass; 2] = [class("inner", "Inner ring"), class("outer", "Outer ring")];
const LINE_CLASSES: [DataClass; 2] = [class("left_half", "Left half"), class("right_half", "Right half")];
const SMILEY_CLASSES: [DataClass; 3] =
    [class("outline", "Face outline"), class("eyes", "Eyes"), class("mouth", "Mouth")];
const TWO_NORMALS_CLASSES: [DataClass; 2] =
    [class("left", "Left normal (x = -1)"), class("right", "Right normal (x = 1)")];

/// The classes of `dataset`, in the order of their indices.
pub fn classes(dataset: Dataset) -> &'static [DataClass] {
    match dataset {
        Dataset::GaussianMixture => &EIGHT_GAUSSIANS_CLASSES,
        Dataset::TwoMoons => &TWO_MOONS_CLASSES,
        Dataset::Spiral => &SPIRAL_CLASSES,
        Dataset::Pinwheel => &PINWHEEL_CLASSES,
        Dataset::Checkerboard => &CHECKERBOARD_CLASSES,
        Dataset::Rings => &RINGS_CLASSES,
        Dataset::Line => &LINE_CLASSES,
        Dataset::Smiley => &SMILEY_CLASSES,
        Dataset::TwoNormals1d => &TWO_NORMALS_CLASSES,
    }
}

/// The index of the class named `name` in [`classes`], if `dataset` has one.
pub fn class_index(dataset: Dataset, name: &str) -> Option<usize> {
    classes(dataset).iter().position(|c| c.name == name)
}

/// The class index of every component of `dataset.mixture()`, read from where each component
/// sits (the datasets' constants place every class apart; `tests/core_classes.rs` checks the
/// counts).
pub fn component_classes(dataset: Dataset) -> Vec<usize> {
    let mixture = dataset.mixture();
    let count = mixture.components.len();
    mixture
        .components
        .iter()
        .enumerate()
        .map(|(k, c)| {
            let [x, y] = [c.mean[0] as f64, c.mean[1] as f64];
            let radius = x.hypot(y);
            match dataset {
                // Component k sits at angle 2 pi k / 8: class k.
                Dataset::GaussianMixture => k,
                // The upper moon's knots come first, then the lower's.
                Dataset::TwoMoons => usize::from(k >= count / 2),
                // r = b theta grows by (outer - inner) / 2 per turn.
                Dataset::Spiral => {
                    usize::from(radius >= 0.5 * (dataset::SPIRAL_INNER_RADIUS + dataset::SPIRAL_OUTER_RADIUS))
                }
                // Arm k is centred at angle 2 pi k / arms.
                Dataset::Pinwheel => {
                    let arms = dataset::PINWHEEL_ARMS as f64;
                    ((y.atan2(x).rem_euclid(TAU) / TAU * arms).round() as usize) % dataset::PINWHEEL_ARMS
                }
                // A filled square (i, j) has i + j even: i and j both even, or both odd.
                Dataset::Checkerboard => {
                    let side = 2.0 * dataset::CHECKERBOARD_HALF_WIDTH / dataset::CHECKERBOARD_SQUARES as f64;
                    ((x + dataset::CHECKERBOARD_HALF_WIDTH) / side).floor() as usize % 2
                }
                Dataset::Rings => {
                    usize::from(radius >= 0.5 * (dataset::RINGS_RADII[0] + dataset::RINGS_RADII[1]))
                }
                Dataset::Line => usize::from(x >= 0.0),
                Dataset::Smiley => {
                    let on_eye = dataset::SMILEY_EYES.iter().any(|e| (x - e[0]).hypot(y - e[1]) < 1e-6);
                    if (radius - dataset::SMILEY_FACE_RADIUS).abs() < 1e-6 {
                        0
                    } else if on_eye {
                        1
                    } else {
                        2
                    }
                }
                Dataset::TwoNormals1d => usize::from(x >= 0.0),
            }
        })
        .collect()
}

/// Which components of `dataset.mixture()` belong to class `class` (an index of [`classes`]).
pub fn class_members(dataset: Dataset, class: usize) -> Vec<bool> {
    component_classes(dataset).into_iter().map(|c| c == class).collect()
}

/// `mixture` with the components of `members` marked as the guided class
/// (`MixtureComponent::class_member`); the distribution itself is unchanged. `None` when the
/// lengths differ or no component is a member (an empty class has no conditional).
pub fn marked(mixture: &GaussianMixture, members: &[bool]) -> Option<GaussianMixture> {
    if members.len() != mixture.components.len() || !members.iter().any(|&m| m) {
        return None;
    }
    let mut marked = mixture.clone();
    for (c, &member) in marked.components.iter_mut().zip(members) {
        c.class_member = u32::from(member);
    }
    Some(marked)
}

/// The class conditional p_0(x | c): the marked components of `mixture` with their weights
/// renormalised to sum to 1 (w_k / W_c). `None` when no component is marked.
pub fn conditional(mixture: &GaussianMixture) -> Option<GaussianMixture> {
    let members: Vec<_> = mixture.components.iter().filter(|c| c.class_member != 0).copied().collect();
    if members.is_empty() {
        return None;
    }
    let log_total = log_sum_exp(members.iter().map(|c| c.log_weight as f64));
    let components = members
        .into_iter()
        .map(|c| dataset::MixtureComponent {
            log_weight: (c.log_weight as f64 - log_total) as f32,
            class_member: 0,
            ..c
        })
        .collect();
    Some(GaussianMixture { components })
}

/// The prior W_c = sum of the marked components' weights.
pub fn class_prior(mixture: &GaussianMixture) -> f64 {
    mixture
        .weights()
        .iter()
        .zip(&mixture.components)
        .filter(|(_, c)| c.class_member != 0)
        .map(|(w, _)| w)
        .sum()
}

/// ln sum exp(terms), stable; -inf for no terms.
pub(crate) fn log_sum_exp(terms: impl Iterator<Item = f64> + Clone) -> f64 {
    let max = terms.clone().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        return max;
    }
    max + terms.map(|t| (t - max).exp()).sum::<f64>().ln()
}
