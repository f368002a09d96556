//! Built-in datasets, each represented exactly as a Gaussian mixture with full covariances.
//!
//! A mixture p_0 = sum_k w_k N(mu_k, Sigma_k) stays a mixture under the forward process
//! x_t = alpha_t x_0 + sigma_t eps (Ho et al. 2020, eq. 4; Kingma et al. 2021):
//!
//! p_t = sum_k w_k N(alpha mu_k, C_k),   C_k = alpha^2 Sigma_k + sigma^2 I,
//!
//! so its noised density and score are exact at every t. The mixture of 8 Gaussians is one
//! directly, the pinwheel's arms are tilted, elongated components (full covariances), and the 1-D
//! mixture of two narrow normals (the picture of docs/theory.md) lives on the x axis with
//! components flat in y (Sigma_yy = 0: the y coordinate is pure noise that the reverse process
//! returns to 0, while x follows the 1-D process exactly, the coordinates being independent). The
//! curves (two moons, spiral) are many narrow components ("knots") placed densely
//! along the curve, closer together than their standard deviation, so the density is smooth along
//! the curve. The exact score is what the reverse process needs (Song et al. 2021, eq. 6), and
//! it is the reference a trained network is compared with.
//!
//! The mixtures themselves, their noised densities and scores: `core::mixture`.

use serde::{Deserialize, Serialize};
use std::f64::consts::{PI, TAU};
use strum::{IntoStaticStr, VariantArray};

pub use crate::core::mixture::{GaussianMixture, MixtureComponent};
use crate::core::names;

/// Number of components of the "8 Gaussians" mixture.
const EIGHT_GAUSSIANS_COUNT: usize = 8;
/// Radius of the circle the 8 Gaussians sit on.
const EIGHT_GAUSSIANS_RADIUS: f64 = 2.0;
/// Standard deviation of each of the 8 Gaussians.
const EIGHT_GAUSSIANS_STD: f64 = 0.15;

/// Knots (components) along each of the two moons; spaced evenly in angle, hence in arc length.
const TWO_MOONS_KNOTS_PER_MOON: usize = 100;
/// Half the width of the two moons after scaling: they span [-2.2, 2.2] in x ([-1.1, 1.1] in y).
const TWO_MOONS_HALF_WIDTH: f64 = 2.2;
/// Standard deviation of each two-moons knot (after scaling). The knots are 0.046 apart.
pub const TWO_MOONS_STD: f64 = 0.08;
/// Width of sklearn's `make_moons` geometry before scaling: x spans [-1, 2].
const TWO_MOONS_RAW_WIDTH: f64 = 3.0;
/// Centre of sklearn's `make_moons` geometry (also its mean), moved to the origin.
const TWO_MOONS_RAW_CENTRE: [f64; 2] = [0.5, 0.25];
/// Vertical offset of sklearn's lower moon: (1 - cos th, 1/2 - sin th).
const TWO_MOONS_LOWER_OFFSET: f64 = 0.5;

/// Knots (components) along the spiral, spaced evenly in arc length (0.05 apart).
const SPIRAL_KNOTS: usize = 300;
/// Full turns of the spiral.
const SPIRAL_TURNS: f64 = 2.0;
/// Radius at the inner end of the spiral.
pub const SPIRAL_INNER_RADIUS: f64 = 0.2;
/// Radius at the outer end of the spiral.
pub const SPIRAL_OUTER_RADIUS: f64 = 2.2;
/// Standard deviation of each spiral knot.
pub const SPIRAL_STD: f64 = 0.07;
/// Arms of the pinwheel.
pub const PINWHEEL_ARMS: usize = 5;
/// Distance of each pinwheel arm's centre from the origin.
const PINWHEEL_RADIUS: f64 = 1.3;
/// Standard deviation of a pinwheel arm along its length.
const PINWHEEL_LENGTH_STD: f64 = 0.5;
/// Standard deviation of a pinwheel arm across it.
const PINWHEEL_WIDTH_STD: f64 = 0.1;
/// Angle between a pinwheel arm's axis and the radius through its centre (the "swirl").
const PINWHEEL_TILT: f64 = 0.5;

/// Squares per side of the checkerboard (half of them filled).
pub const CHECKERBOARD_SQUARES: usize = 4;
/// Half the checkerboard's width: it covers [-2, 2]^2.
pub const CHECKERBOARD_HALF_WIDTH: f64 = 2.0;
/// Knots per side of each filled square (a KNOTS x KNOTS grid).
const CHECKERBOARD_KNOTS: usize = 5;
/// Knot std as a fraction of the knot spacing (above 1/2 the knots merge into a plateau).
const CHECKERBOARD_KNOT_STD: f64 = 0.6;

/// Radii of the two rings (equal mass on each).
pub const RINGS_RADII: [f64; 2] = [1.0, 2.0];
/// Arc length between neighbouring ring knots.
const RINGS_SPACING: f64 = 0.06;
/// Standard deviation of each ring knot.
const RINGS_STD: f64 = 0.06;

/// Ends of the line segment.
const LINE_ENDS: [[f64; 2]; 2] = [[-2.0, -1.0], [2.0, 1.0]];
/// Components along the line, each elongated along it (full covariance).
const LINE_KNOTS: usize = 12;
/// A line knot's std along the line, as a fraction of the knot spacing.
const LINE_ALONG_STD: f64 = 0.6;
/// A line knot's std across the line.
const LINE_ACROSS_STD: f64 = 0.04;

/// Radius of the smiley's face.
pub const SMILEY_FACE_RADIUS: f64 = 2.0;
/// Centres of the smiley's eyes.
pub const SMILEY_EYES: [[f64; 2]; 2] = [[-0.7, 0.6], [0.7, 0.6]];
/// Standard deviation of each eye.
const SMILEY_EYE_STD: f64 = 0.15;
/// Centre and radius of the circle the smile is an arc of, and the arc's angles (radians).
const SMILEY_MOUTH: ([f64; 2], f64, [f64; 2]) = ([0.0, 0.2], 1.15, [3.6, 5.82]);
/// Mass of the face outline, of each eye and of the mouth.
const SMILEY_MASSES: [f64; 3] = [0.5, 0.1, 0.3];
/// Arc length between neighbouring knots of the smiley's curves.
const SMILEY_SPACING: f64 = 0.06;
/// Standard deviation of the smiley's curve knots.
const SMILEY_STD: f64 = 0.06;

/// Means of the 1-D dataset's two narrow normals (on the x axis).
pub const TWO_NORMALS_MEANS: [f64; 2] = [-1.0, 1.0];
/// Weights of the 1-D dataset's two narrow normals (unequal, so that the weights visibly matter).
pub const TWO_NORMALS_WEIGHTS: [f64; 2] = [0.4, 0.6];
/// Standard deviation of each of the 1-D dataset's narrow normals.
const TWO_NORMALS_STD: f64 = 0.1;

/// Bisection steps that invert the spiral's arc length (each halves an interval of < 15 radians).
const SPIRAL_BISECTION_STEPS: usize = 60;

/// A built-in 2-D data distribution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum Dataset {
    /// "8 Gaussians": equal-weight components on a circle of radius [`EIGHT_GAUSSIANS_RADIUS`].
    GaussianMixture,
    /// Two interleaving half circles (the geometry of sklearn's `make_moons`), centred and scaled.
    TwoMoons,
    /// A two-turn Archimedean spiral with uniform density along its arc length.
    Spiral,
    /// Five elongated, tilted Gaussians (full covariances) arranged like a pinwheel.
    Pinwheel,
    /// A 4 x 4 checkerboard on [-2, 2]^2 with its 8 dark squares filled uniformly.
    Checkerboard,
    /// Two concentric rings (radii 1 and 2) of equal mass.
    Rings,
    /// A straight segment, of elongated (rank-nearly-one) components along it.
    Line,
    /// A smiley: the face's outline, two eyes and a smile.
    Smiley,
    /// The 1-D data: a mixture of two narrow normals on the x axis (flat in y).
    // snake_case would spell it two_normals1d; the name everywhere else is two_normals_1d.
    #[serde(rename = "two_normals_1d")]
    #[strum(serialize = "two_normals_1d")]
    TwoNormals1d,
}

impl Dataset {
    /// Every dataset, in the order the UI lists them (declaration order).
    pub const ALL: [Dataset; 9] = names::all(Dataset::VARIANTS);

    /// The identifier used in options, share links and weight file names.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`Dataset::name`].
    pub fn from_name(name: &str) -> Option<Dataset> {
        names::from_name(name)
    }

    /// Stable numeric id stored in weight files.
    pub fn id(self) -> u32 {
        match self {
            Dataset::GaussianMixture => 0,
            Dataset::TwoMoons => 1,
            Dataset::Spiral => 2,
            Dataset::Pinwheel => 3,
            Dataset::TwoNormals1d => 4,
            Dataset::Checkerboard => 5,
            Dataset::Rings => 6,
            Dataset::Line => 7,
            Dataset::Smiley => 8,
        }
    }

    /// Inverse of [`Dataset::id`].
    pub fn from_id(id: u32) -> Option<Dataset> {
        Dataset::ALL.into_iter().find(|d| d.id() == id)
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Dataset::GaussianMixture => "8 Gaussians",
            Dataset::TwoMoons => "Two moons",
            Dataset::Spiral => "Spiral",
            Dataset::Pinwheel => "Pinwheel (tilted Gaussians)",
            Dataset::Checkerboard => "Checkerboard",
            Dataset::Rings => "Two rings",
            Dataset::Line => "A line",
            Dataset::Smiley => "Smiley",
            Dataset::TwoNormals1d => "Two narrow normals (1-D)",
        }
    }

    /// The exact distribution, built on each call (a few hundred components; cheap).
    pub fn mixture(self) -> GaussianMixture {
        match self {
            Dataset::GaussianMixture => eight_gaussians(),
            Dataset::TwoMoons => two_moons(),
            Dataset::Spiral => spiral(),
            Dataset::Pinwheel => pinwheel(),
            Dataset::Checkerboard => checkerboard(),
            Dataset::Rings => rings(),
            Dataset::Line => line(),
            Dataset::Smiley => smiley(),
            Dataset::TwoNormals1d => two_normals_1d(),
        }
    }

    /// `n` samples for `seed`: `self.mixture().sample(seed, 0, n)`.
    pub fn sample(self, seed: u32, n: usize) -> Vec<[f32; 2]> {
        self.mixture().sample(seed, 0, n)
    }
}

/// Equal-weight mixture of narrow components at `means` (the datasets' constants are valid).
fn equal_weight_knots(means: &[[f64; 2]], std: f64) -> GaussianMixture {
    let weight = 1.0 / means.len() as f64;
    let variance = std * std;
    let components =
        means.iter().map(|m| MixtureComponent::new(*m, [variance, 0.0, variance], weight.ln())).collect();
    GaussianMixture { components }
}

/// "8 Gaussians": [`EIGHT_GAUSSIANS_COUNT`] equal-weight components at angles 2 pi k / 8 on a
/// circle of radius [`EIGHT_GAUSSIANS_RADIUS`], each with std [`EIGHT_GAUSSIANS_STD`].
fn eight_gaussians() -> GaussianMixture {
    let means: Vec<[f64; 2]> = (0..EIGHT_GAUSSIANS_COUNT)
        .map(|k| {
            let angle = TAU * k as f64 / EIGHT_GAUSSIANS_COUNT as f64;
            [EIGHT_GAUSSIANS_RADIUS * angle.cos(), EIGHT_GAUSSIANS_RADIUS * angle.sin()]
        })
        .collect();
    equal_weight_knots(&means, EIGHT_GAUSSIANS_STD)
}

/// Two moons: sklearn's `make_moons` curves, upper (cos th, sin th) and lower
/// (1 - cos th, 1/2 - sin th) for th in [0, pi], with [`TWO_MOONS_KNOTS_PER_MOON`] knots each
/// (evenly spaced in th, so in arc length), moved so their centre (0.5, 0.25) is at the origin and
/// scaled so x spans [-TWO_MOONS_HALF_WIDTH, TWO_MOONS_HALF_WIDTH]. Knot std [`TWO_MOONS_STD`].
fn two_moons() -> GaussianMixture {
    let scale = 2.0 * TWO_MOONS_HALF_WIDTH / TWO_MOONS_RAW_WIDTH;
    let [cx, cy] = TWO_MOONS_RAW_CENTRE;
    let step = PI / (TWO_MOONS_KNOTS_PER_MOON - 1) as f64;
    let upper = (0..TWO_MOONS_KNOTS_PER_MOON).map(|i| {
        let th = step * i as f64;
        [th.cos(), th.sin()]
    });
    let lower = (0..TWO_MOONS_KNOTS_PER_MOON).map(|i| {
        let th = step * i as f64;
        [1.0 - th.cos(), TWO_MOONS_LOWER_OFFSET - th.sin()]
    });
    let means: Vec<[f64; 2]> =
        upper.chain(lower).map(|[x, y]| [scale * (x - cx), scale * (y - cy)]).collect();
    equal_weight_knots(&means, TWO_MOONS_STD)
}

/// Spiral: the Archimedean spiral r = b theta, going [`SPIRAL_TURNS`] turns from radius
/// [`SPIRAL_INNER_RADIUS`] out to [`SPIRAL_OUTER_RADIUS`], at polar angle theta; [`SPIRAL_KNOTS`]
/// equal-weight knots evenly spaced in arc length (so the density is uniform along the curve),
/// each with std [`SPIRAL_STD`].
fn spiral() -> GaussianMixture {
    let b = (SPIRAL_OUTER_RADIUS - SPIRAL_INNER_RADIUS) / (TAU * SPIRAL_TURNS);
    let (theta_inner, theta_outer) = (SPIRAL_INNER_RADIUS / b, SPIRAL_OUTER_RADIUS / b);
    // Arc length from theta = 0: s(theta) = (b / 2) (theta sqrt(1 + theta^2) + asinh theta).
    let arc_length = |theta: f64| 0.5 * b * (theta * (1.0 + theta * theta).sqrt() + theta.asinh());
    let (s_inner, s_outer) = (arc_length(theta_inner), arc_length(theta_outer));
    let means: Vec<[f64; 2]> = (0..SPIRAL_KNOTS)
        .map(|i| {
            let target = s_inner + (s_outer - s_inner) * i as f64 / (SPIRAL_KNOTS - 1) as f64;
            // s is increasing in theta: bisect for s(theta) = target.
            let (mut lo, mut hi) = (theta_inner, theta_outer);
            for _ in 0..SPIRAL_BISECTION_STEPS {
                let mid = 0.5 * (lo + hi);
                if arc_length(mid) < target {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            let theta = 0.5 * (lo + hi);
            [b * theta * theta.cos(), b * theta * theta.sin()]
        })
        .collect();
    equal_weight_knots(&means, SPIRAL_STD)
}

/// Pinwheel: [`PINWHEEL_ARMS`] equal-weight components centred at radius [`PINWHEEL_RADIUS`] and
/// angles 2 pi k / arms, each elongated along an axis turned by [`PINWHEEL_TILT`] from its
/// radius: Sigma = R diag(length^2, width^2) R^T, R the rotation to that axis.
fn pinwheel() -> GaussianMixture {
    let (long, wide) = (PINWHEEL_LENGTH_STD * PINWHEEL_LENGTH_STD, PINWHEEL_WIDTH_STD * PINWHEEL_WIDTH_STD);
    let mut means = Vec::with_capacity(PINWHEEL_ARMS);
    let mut covariances = Vec::with_capacity(PINWHEEL_ARMS);
    for k in 0..PINWHEEL_ARMS {
        let angle = TAU * k as f64 / PINWHEEL_ARMS as f64;
        means.push([PINWHEEL_RADIUS * angle.cos(), PINWHEEL_RADIUS * angle.sin()]);
        let (sin, cos) = (angle + PINWHEEL_TILT).sin_cos();
        covariances.push([
            long * cos * cos + wide * sin * sin,
            (long - wide) * cos * sin,
            long * sin * sin + wide * cos * cos,
        ]);
    }
    GaussianMixture::with_covariances(&means, &[1.0; PINWHEEL_ARMS], &covariances)
        .expect("the pinwheel's constants make a valid mixture")
}

/// The 1-D data: N(mean_k, std^2) on the x axis with weights [`TWO_NORMALS_WEIGHTS`],
/// flat in y (Sigma = diag(std^2, 0)).
fn two_normals_1d() -> GaussianMixture {
    let means = TWO_NORMALS_MEANS.map(|m| [m, 0.0]);
    let variance = TWO_NORMALS_STD * TWO_NORMALS_STD;
    GaussianMixture::with_covariances(&means, &TWO_NORMALS_WEIGHTS, &[[variance, 0.0, 0.0]; 2])
        .expect("the two normals' constants make a valid mixture")
}

/// Knots evenly spaced (about `spacing` apart in arc length) along the arc of the circle of
/// `radius` about `centre` from angle `from` to `to` (radians; a full circle repeats no knot).
fn arc_knots(centre: [f64; 2], radius: f64, [from, to]: [f64; 2], spacing: f64) -> Vec<[f64; 2]> {
    let full = (to - from - TAU).abs() < 1e-12;
    let count = ((radius * (to - from) / spacing).round() as usize).max(2);
    let intervals = if full { count } else { count - 1 };
    (0..count)
        .map(|i| {
            let angle = from + (to - from) * i as f64 / intervals as f64;
            [centre[0] + radius * angle.cos(), centre[1] + radius * angle.sin()]
        })
        .collect()
}

/// Knots sharing one covariance and one total mass (spread evenly over them).
struct KnotGroup {
    knots: Vec<[f64; 2]>,
    mass: f64,
    covariance: [f64; 3],
}

impl KnotGroup {
    /// Isotropic knots of standard deviation `std`.
    fn isotropic(knots: Vec<[f64; 2]>, mass: f64, std: f64) -> KnotGroup {
        KnotGroup { knots, mass, covariance: [std * std, 0.0, std * std] }
    }
}

/// Builds a mixture from groups of knots.
fn grouped_knots(groups: &[KnotGroup]) -> GaussianMixture {
    let mut means = Vec::new();
    let mut weights = Vec::new();
    let mut covariances = Vec::new();
    for group in groups {
        for knot in &group.knots {
            means.push(*knot);
            weights.push(group.mass / group.knots.len() as f64);
            covariances.push(group.covariance);
        }
    }
    GaussianMixture::with_covariances(&means, &weights, &covariances)
        .expect("the datasets' constants make valid mixtures")
}

/// Checkerboard: the squares (i, j) of a [`CHECKERBOARD_SQUARES`]-square board over
/// [-2, 2]^2 with i + j even, each a [`CHECKERBOARD_KNOTS`]^2 grid of isotropic knots whose std
/// is [`CHECKERBOARD_KNOT_STD`] of their spacing, so each square is a soft-edged plateau.
fn checkerboard() -> GaussianMixture {
    let side = 2.0 * CHECKERBOARD_HALF_WIDTH / CHECKERBOARD_SQUARES as f64;
    let spacing = side / CHECKERBOARD_KNOTS as f64;
    let mut knots = Vec::new();
    for i in 0..CHECKERBOARD_SQUARES {
        for j in 0..CHECKERBOARD_SQUARES {
            if (i + j) % 2 != 0 {
                continue;
            }
            let corner =
                [-CHECKERBOARD_HALF_WIDTH + i as f64 * side, -CHECKERBOARD_HALF_WIDTH + j as f64 * side];
            for a in 0..CHECKERBOARD_KNOTS {
                for b in 0..CHECKERBOARD_KNOTS {
                    knots.push([
                        corner[0] + (a as f64 + 0.5) * spacing,
                        corner[1] + (b as f64 + 0.5) * spacing,
                    ]);
                }
            }
        }
    }
    grouped_knots(&[KnotGroup::isotropic(knots, 1.0, CHECKERBOARD_KNOT_STD * spacing)])
}

/// Two rings: circles of radii [`RINGS_RADII`] about the origin, knots [`RINGS_SPACING`] apart
/// with std [`RINGS_STD`], equal mass on each ring.
fn rings() -> GaussianMixture {
    let groups: Vec<KnotGroup> = RINGS_RADII
        .iter()
        .map(|&r| KnotGroup::isotropic(arc_knots([0.0, 0.0], r, [0.0, TAU], RINGS_SPACING), 0.5, RINGS_STD))
        .collect();
    grouped_knots(&groups)
}

/// A line: the segment between [`LINE_ENDS`] as [`LINE_KNOTS`] equal components centred on
/// equal sub-segments, each elongated along the line (std [`LINE_ALONG_STD`] of the spacing)
/// and thin across it ([`LINE_ACROSS_STD`]): Sigma = R diag(along^2, across^2) R^T.
fn line() -> GaussianMixture {
    let [a, b] = LINE_ENDS;
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let length = dx.hypot(dy);
    let (cos, sin) = (dx / length, dy / length);
    let along = (LINE_ALONG_STD * length / LINE_KNOTS as f64).powi(2);
    let across = LINE_ACROSS_STD * LINE_ACROSS_STD;
    let covariance = [
        along * cos * cos + across * sin * sin,
        (along - across) * cos * sin,
        along * sin * sin + across * cos * cos,
    ];
    let knots = (0..LINE_KNOTS)
        .map(|i| {
            let f = (i as f64 + 0.5) / LINE_KNOTS as f64;
            [a[0] + f * dx, a[1] + f * dy]
        })
        .collect();
    grouped_knots(&[KnotGroup { knots, mass: 1.0, covariance }])
}

/// Smiley: the face's outline (a circle of radius [`SMILEY_FACE_RADIUS`]), two eyes (isotropic
/// Gaussians at [`SMILEY_EYES`]) and a smile (an arc, [`SMILEY_MOUTH`]), with the masses of
/// [`SMILEY_MASSES`].
fn smiley() -> GaussianMixture {
    let [face, eye, mouth] = SMILEY_MASSES;
    let (mouth_centre, mouth_radius, mouth_angles) = SMILEY_MOUTH;
    let outline = arc_knots([0.0, 0.0], SMILEY_FACE_RADIUS, [0.0, TAU], SMILEY_SPACING);
    let smile = arc_knots(mouth_centre, mouth_radius, mouth_angles, SMILEY_SPACING);
    grouped_knots(&[
        KnotGroup::isotropic(outline, face, SMILEY_STD),
        KnotGroup::isotropic(vec![SMILEY_EYES[0]], eye, SMILEY_EYE_STD),
        KnotGroup::isotropic(vec![SMILEY_EYES[1]], eye, SMILEY_EYE_STD),
        KnotGroup::isotropic(smile, mouth, SMILEY_STD),
    ])
}
