//! A network's noise prediction kept consistent with data inside a known disc.
//!
//! Tweedie's formula (Efron 2011, eq. 1.4) gives the denoised point of a noise prediction,
//! x0_hat = (x - sigma eps) / alpha (Ho et al. 2020, eq. 4 solved for x0), and the exact one,
//! E[x0 | x_t], is a mean of data points, so it lies in the data's convex hull: for every dataset
//! and drawing of the playground, the disc of radius [`DATA_RADIUS`]. A network that predicts an
//! x0_hat outside it is wrong there, and projecting x0_hat onto the disc brings it closer to the
//! truth (the projection onto a convex set is non-expansive: |P(a) - b| <= |a - b| for b in it).
//! This is the thresholding of the predicted x0 that DDPM's sampler applies (Ho et al. 2020,
//! `clip_denoised`; static thresholding, Saharia et al. 2022, Sec. 2.3), to a disc instead of a
//! box.
//!
//! Why it matters: near pure noise alpha is small (6.6e-3 at VP linear's t = 1), so a noise
//! prediction 0.04 off moves x0_hat by 6; one large step from there (VP cosine's leading grid
//! reaches sigma/alpha 4 in one step) lands particles far from the data, where a network
//! extrapolates outward and the run runs away
//! (`hostile_input::vp_cosine_runs_from_its_top_stay_near_the_data_with_every_network`).
//! Twin of `within_the_data` in `shaders/common/eps_hat_mlp.wgsl`.

pub use crate::core::network_check::DATA_RADIUS;

/// `eps` at `x` (where x = alpha x0 + sigma eps) with its x0_hat = (x - sigma eps) / alpha
/// projected onto the disc |x0| <= [`DATA_RADIUS`]: `eps` itself where x0_hat lies in it (and
/// where alpha or sigma is not positive, or x0_hat is not a number), else the eps of the disc's
/// point nearest x0_hat, (x - alpha x0_edge) / sigma.
pub fn within_the_data(eps: [f32; 2], x: [f32; 2], alpha: f32, sigma: f32) -> [f32; 2] {
    if !(alpha > 0.0 && sigma > 0.0) {
        return eps;
    }
    let radius = DATA_RADIUS as f32;
    let x0 = [(x[0] - sigma * eps[0]) / alpha, (x[1] - sigma * eps[1]) / alpha];
    let squared = x0[0] * x0[0] + x0[1] * x0[1];
    // Inside the disc, or not a number (left for the runaway check to see).
    if squared <= radius * radius || squared.is_nan() {
        return eps;
    }
    let shrink = radius / squared.sqrt();
    let edge = [x0[0] * shrink, x0[1] * shrink];
    [(x[0] - alpha * edge[0]) / sigma, (x[1] - alpha * edge[1]) / sigma]
}

/// [`within_the_data`] with its Jacobian: `jacobian[o][i]` = d eps_o / d x_i of the network's
/// eps comes in, that of the projected eps goes out. With z = x0_hat and, outside the disc, the
/// projection P(z) = R z / |z| and its Jacobian DP = (R / |z|) (I - u u^T), u = z / |z|:
///   eps_kept = (x - alpha P(z)) / sigma,   dz/dx = (I - sigma J) / alpha,
///   d eps_kept / dx = (I - DP) / sigma + DP J.
/// The likelihood by the probability-flow ODE (`core::likelihood`) takes its trace, so that the
/// density it reports is that of the flow the samplers integrate. Twin of
/// `divergence_within_the_data` in `shaders/common/eps_divergence_mlp.wgsl` (which forms the
/// trace directly: (2 - R/|z|) / sigma + (R/|z|) (tr J - u^T J u)).
pub fn within_the_data_with_jacobian(
    eps: [f32; 2],
    jacobian: [[f32; 2]; 2],
    x: [f32; 2],
    alpha: f32,
    sigma: f32,
) -> ([f32; 2], [[f32; 2]; 2]) {
    let kept = within_the_data(eps, x, alpha, sigma);
    if kept == eps {
        return (eps, jacobian);
    }
    let x0 = [(x[0] - sigma * eps[0]) / alpha, (x[1] - sigma * eps[1]) / alpha];
    let norm = (x0[0] * x0[0] + x0[1] * x0[1]).sqrt();
    let shrink = DATA_RADIUS as f32 / norm;
    let u = [x0[0] / norm, x0[1] / norm];
    let identity = |o: usize, i: usize| if o == i { 1.0 } else { 0.0 };
    let projection = |o: usize, i: usize| shrink * (identity(o, i) - u[o] * u[i]);
    let mut kept_jacobian = [[0.0f32; 2]; 2];
    for (o, row) in kept_jacobian.iter_mut().enumerate() {
        for (i, entry) in row.iter_mut().enumerate() {
            let through_network: f32 = (0..2).map(|k| projection(o, k) * jacobian[k][i]).sum();
            *entry = (identity(o, i) - projection(o, i)) / sigma + through_network;
        }
    }
    (kept, kept_jacobian)
}
