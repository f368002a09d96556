//! The variational bound (Ho et al. 2020, eq. 5) for the discrete chain of a schedule and a time grid.
//!
//! The latents are x_t at the grid's times t_1 < ... < t_N with sigma > 0 (the data x_0 itself is
//! not a latent), the forward process q(x_t | x_0) = N(alpha_t x_0, sigma_t^2 I), and the model
//! p_theta(x_s | x_t) = q(x_s | x_t, x0_hat(x_t)), DDPM's ancestral step with the posterior variance
//! (beta-tilde; Ho et al. 2020, eqs. 6-7). Then (the three terms of Ho et al. 2020, eq. 5)
//!
//! ```text
//! ELBO(x_0) = -KL(q(x_T | x_0) || N(0, sigma_T^2 I))
//!             - sum_i E_q KL(q(x_{t_{i-1}} | x_{t_i}, x_0) || p_theta(x_{t_{i-1}} | x_{t_i}))
//!             + E_q ln p_theta(x_0 | x_{t_1})  <=  ln p_theta(x_0).
//! ```
//!
//! For the general x_t = alpha_t x_0 + sigma_t eps, the posterior q(x_s | x_t, x_0) has mean
//! (alpha_{t|s} sigma_s^2 / sigma_t^2) x_t + (alpha_s sigma_{t|s}^2 / sigma_t^2) x_0, with
//! alpha_{t|s} = alpha_t / alpha_s and sigma_{t|s}^2 = sigma_t^2 - alpha_{t|s}^2 sigma_s^2 (Ho et
//! al. 2020's mu-tilde and beta-tilde, eq. 7, for any schedule; Kingma et al. 2021, eq. 30), and both
//! Gaussians share its variance, so each KL is a squared distance of the x0 predictions scaled by
//! the difference of signal-to-noise ratios SNR = alpha^2 / sigma^2 (Kingma et al. 2021, eq. 13):
//!
//! ```text
//! KL_i = (SNR(t_{i-1}) - SNR(t_i)) / 2 * |x_0 - x0_hat(x_{t_i})|^2.
//! ```
//!
//! The prior term is closed form, alpha_T^2 |x_0|^2 / (2 sigma_T^2). The decoder is
//! p_theta(x_0 | x_{t_1}) = N(x0_hat(x_{t_1}), (sigma_1 / alpha_1)^2 I), the posterior's spread to
//! first order in the noise (Tweedie). The expectations over x_t are Monte Carlo averages over
//! draws from the counter-based RNG (stream ELBO), so a bound is reproducible from its seed.

use crate::core::mlp::BATCH;
use crate::core::param::{self, Coefficients, Parametrization};
use crate::core::rng;
use crate::core::sampler::{self, EvaluationModel, NetFrame, ScoreSource, Unguided};
use crate::core::schedule::Schedule;
use crate::core::space::Space;
use crate::core::timesteps::TimeGrid;

/// The terms of the bound for one data point (nats; the KLs and the prior's are >= 0).
#[derive(Clone, Debug, PartialEq)]
pub struct ElboTerms {
    /// KL(q(x_T | x_0) || N(0, sigma_T^2 I)).
    pub prior: f64,
    /// E KL per step, from the noise end to the data end: `transitions[i]` belongs to the step
    /// into the latent `latent_times[i + 1]` from `latent_times[i]` (decreasing times).
    pub transitions: Vec<f64>,
    /// E ln p_theta(x_0 | x_{t_1}).
    pub reconstruction: f64,
}

impl ElboTerms {
    /// The bound: -prior - sum of the transitions + reconstruction.
    pub fn total(&self) -> f64 {
        -self.prior - self.transitions.iter().sum::<f64>() + self.reconstruction
    }
}

/// The chain of one schedule and grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    /// The space of the data: on the line (1-D data) the latents, the errors and the Gaussians
    /// are of x alone, as the likelihood by the ODE is (`core::likelihood`).
    pub space: Space,
    /// The sampling schedule.
    pub schedule: Schedule,
    /// The score's frame.
    pub net: NetFrame,
    /// Latent times with sigma > 0, decreasing (the noise end first).
    pub latent_times: Vec<f64>,
}

impl Chain {
    /// The chain of a reverse run on `grid` with `steps` steps from `t_max` to `t_min`, in
    /// `space`: every time of that run with sigma > 0 is a latent.
    pub fn new(schedule: Schedule, net: NetFrame, grid: TimeGrid, steps: usize, space: Space) -> Chain {
        let times = grid.times(schedule, schedule.t_max(), schedule.t_min(), steps.max(1));
        let latent_times = times.into_iter().filter(|&t| schedule.sigma(t) > 0.0).collect();
        Chain { space, schedule, net, latent_times }
    }

    /// alpha^2 / sigma^2 at t.
    fn snr(&self, t: f64) -> f64 {
        (self.schedule.alpha(t) / self.schedule.sigma(t)).powi(2)
    }

    /// The terms for every point in `data`, with `draws` Monte Carlo draws of each latent.
    pub fn elbo(&self, source: Unguided, data: &[[f32; 2]], draws: usize, seed: u32) -> Vec<ElboTerms> {
        let score = source.source();
        let t_end = self.latent_times[0];
        let prior_snr = self.snr(t_end);
        let mut terms: Vec<ElboTerms> = data
            .iter()
            .map(|x| ElboTerms {
                prior: 0.5 * prior_snr * self.space.squared_norm([x[0] as f64, x[1] as f64]),
                transitions: Vec::with_capacity(self.latent_times.len().saturating_sub(1)),
                reconstruction: 0.0,
            })
            .collect();
        let last = self.latent_times.len() - 1;
        for (i, &t) in self.latent_times.iter().enumerate() {
            let errors = self.mean_squared_x0_errors(score, t, data, draws, seed, i as u32);
            if i < last {
                let weight = 0.5 * (self.snr(self.latent_times[i + 1]) - self.snr(t));
                for (term, error) in terms.iter_mut().zip(&errors) {
                    term.transitions.push(weight * error);
                }
            } else {
                // N(x_0; x0_hat, s^2 I) in D dimensions: -D/2 ln(2 pi s^2) - |x_0 - x0_hat|^2 / (2 s^2).
                let spread_squared = 1.0 / self.snr(t);
                let half_dimensions = 0.5 * self.space.dimensions();
                for (term, error) in terms.iter_mut().zip(&errors) {
                    term.reconstruction = -half_dimensions * (std::f64::consts::TAU * spread_squared).ln()
                        - error / (2.0 * spread_squared);
                }
            }
        }
        terms
    }

    /// E |x_0 - x0_hat(x_t)|^2 over `draws` draws of x_t ~ q(x_t | x_0), per point.
    fn mean_squared_x0_errors(
        &self,
        score: ScoreSource,
        t: f64,
        data: &[[f32; 2]],
        draws: usize,
        seed: u32,
        latent: u32,
    ) -> Vec<f64> {
        let (alpha, sigma) = (self.schedule.alpha(t) as f32, self.schedule.sigma(t) as f32);
        let model = EvaluationModel::new(score, sampler::evaluation(self.schedule, self.net, t));
        let coefficients = Coefficients::at(self.schedule, t);
        let mut errors = vec![0.0f64; data.len()];
        for draw in 0..draws as u32 {
            let noised: Vec<[f32; 2]> = data
                .iter()
                .enumerate()
                .map(|(p, x0)| {
                    let particle = (p as u32).wrapping_mul(draws as u32).wrapping_add(draw);
                    let mut z = rng::normal2(seed, particle, latent, rng::stream::ELBO);
                    if self.space == Space::Line {
                        // x_t stays on the line, as the data does.
                        z[1] = 0.0;
                    }
                    [alpha * x0[0] + sigma * z[0], alpha * x0[1] + sigma * z[1]]
                })
                .collect();
            let mut eps = Vec::with_capacity(noised.len());
            let mut chunks = noised.chunks_exact(BATCH);
            for chunk in &mut chunks {
                let batch: &[[f32; 2]; BATCH] = chunk.try_into().expect("chunks_exact gives BATCH items");
                eps.extend(model.eps_hat_batch(batch));
            }
            eps.extend(chunks.remainder().iter().map(|&x| model.eps_hat(x)));
            for ((error, (x, e)), x0) in errors.iter_mut().zip(noised.iter().zip(&eps)).zip(data) {
                let x0_hat = param::convert(*e, Parametrization::Eps, Parametrization::X0, *x, &coefficients);
                let d = [x0[0] as f64 - x0_hat[0] as f64, x0[1] as f64 - x0_hat[1] as f64];
                *error += self.space.squared_norm(d) / draws as f64;
            }
        }
        errors
    }
}
