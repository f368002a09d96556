//! Where the data lives: the plane, or the x axis for 1-D data. A density, and so a likelihood
//! in bits per dimension, is of the space the data fills: 1-D data is flat in y (every component
//! at y = 0 with no spread there, `GaussianMixture::is_one_dimensional`), so its 2-D density is
//! degenerate (at the likelihood's data end, sigma / alpha = 0.002, a Gaussian 0.002 wide in y)
//! and measures how well a network holds the particles on the line, not the data's density on it.

use crate::core::mixture::GaussianMixture;

/// The space of the data, and of a likelihood measured on it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Space {
    /// The plane: 2-D data.
    #[default]
    Plane,
    /// The x axis: 1-D data, its points at y = 0. A run on the line moves x alone, with the
    /// x component of eps_hat and the x-x entry of its Jacobian (the divergence of a 1-D flow).
    Line,
}

impl Space {
    /// The space of `mixture`'s data.
    pub fn of(mixture: &GaussianMixture) -> Space {
        if mixture.is_one_dimensional() {
            Space::Line
        } else {
            Space::Plane
        }
    }

    /// The number of coordinates: 2 or 1.
    pub fn dimensions(self) -> f64 {
        match self {
            Space::Plane => 2.0,
            Space::Line => 1.0,
        }
    }

    /// -ln p / (D ln 2): a log-density in nats as a negative log-likelihood in bits per dimension.
    pub fn bits_per_dimension(self, log_p: f64) -> f64 {
        -log_p / (self.dimensions() * std::f64::consts::LN_2)
    }

    /// |v|^2 over this space's coordinates (x alone on the line).
    pub fn squared_norm(self, v: [f64; 2]) -> f64 {
        match self {
            Space::Plane => v[0] * v[0] + v[1] * v[1],
            Space::Line => v[0] * v[0],
        }
    }

    /// ln N(x; 0, variance I) in this space (x's y not read on the line).
    pub fn log_gaussian(self, x: [f64; 2], variance: f64) -> f64 {
        -self.squared_norm(x) / (2.0 * variance)
            - 0.5 * self.dimensions() * (std::f64::consts::TAU * variance).ln()
    }

    /// ln p_t(x) of `mixture` noised to (alpha, sigma), in this space: on the line the density of
    /// x alone (`GaussianMixture::log_density_noised_x`).
    pub fn log_density_noised(self, mixture: &GaussianMixture, x: [f64; 2], alpha: f64, sigma: f64) -> f64 {
        match self {
            Space::Plane => mixture.log_density_noised(x, alpha, sigma),
            Space::Line => mixture.log_density_noised_x(x[0], alpha, sigma),
        }
    }
}
