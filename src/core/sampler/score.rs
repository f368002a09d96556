//! Where eps_hat comes from ([`ScoreSource`]: the network, a mixture's exact score, either
//! guided toward a class or conditioned on a measurement) and how it is evaluated for a step
//! ([`EvaluationModel`], with what every particle shares computed once), with the MLP's hidden
//! biases the GPU kernels read (their twin).

use super::{combine, Evaluation, ReverseStep};
use crate::core::class_embedding::ClassEmbedding;
use crate::core::dataset::GaussianMixture;
use crate::core::denoised_bound::within_the_data;
use crate::core::guidance::{self, Guidance};
use crate::core::mlp::{Mlp, BATCH, HIDDEN};
use crate::core::posterior_guidance::{self, ObservationParams};

/// Where eps_hat comes from.
#[derive(Clone, Copy, Debug)]
pub enum ScoreSource<'a> {
    /// The learned network (its output is turned into eps by the evaluation's affine map).
    Mlp(&'a Mlp),
    /// The exact noised score of a Gaussian mixture: eps_hat = -sigma grad log p_t.
    Exact(&'a GaussianMixture),
    /// An unguided source with guidance toward the class marked in `classes` (`core::guidance`):
    /// eps_hat(x) - sigma w grad log p_t(c | x), the classifier exact.
    Guided {
        /// The unguided eps_hat.
        base: Unguided<'a>,
        /// The mixture whose marked components are the class (its classifier is exact).
        classes: &'a GaussianMixture,
        /// Scale and interval.
        guidance: Guidance,
    },
    /// Classifier-free guidance with a class-conditional network (Ho and Salimans 2022, in
    /// diffusers' convention, `core::guidance`): eps(x, empty) + w (eps(x, c) - eps(x, empty)),
    /// eps(x, c) the network with the hidden bias shifted by class c's embedding row. Where the
    /// weight is 1 (w = 1, or outside the guidance interval) eps(x, c) alone.
    ClassifierFree {
        /// The network.
        mlp: &'a Mlp,
        /// Its class embedding (the null class last).
        embedding: &'a ClassEmbedding,
        /// The class guided toward (an index below `embedding.classes()`).
        class: usize,
        /// Scale and interval.
        guidance: Guidance,
    },
    /// An unguided source with the likelihood gradient of a measurement added
    /// (`core::posterior_guidance`: DPS or PiGDM): eps_hat(x) - sigma w grad log p~(y | x_t).
    PosteriorGuided {
        /// The prior's eps_hat.
        base: Unguided<'a>,
        /// The measurement and the method.
        observation: &'a ObservationParams,
        /// Scale and interval of the likelihood term.
        guidance: Guidance,
    },
}

/// An unguided score source (the base of [`ScoreSource::Guided`]).
#[derive(Clone, Copy, Debug)]
pub enum Unguided<'a> {
    /// The learned network.
    Mlp(&'a Mlp),
    /// The exact score of a Gaussian mixture.
    Exact(&'a GaussianMixture),
}

impl<'a> Unguided<'a> {
    /// This source as a [`ScoreSource`] without guidance.
    pub fn source(self) -> ScoreSource<'a> {
        match self {
            Unguided::Mlp(mlp) => ScoreSource::Mlp(mlp),
            Unguided::Exact(mixture) => ScoreSource::Exact(mixture),
        }
    }
}

impl<'a> ScoreSource<'a> {
    /// The unguided source this one guides, or itself (for classifier-free guidance, the
    /// network without its classes: not a model of the data on its own).
    pub fn base(self) -> Unguided<'a> {
        match self {
            ScoreSource::Mlp(mlp) | ScoreSource::ClassifierFree { mlp, .. } => Unguided::Mlp(mlp),
            ScoreSource::Exact(mixture) => Unguided::Exact(mixture),
            ScoreSource::Guided { base, .. } | ScoreSource::PosteriorGuided { base, .. } => base,
        }
    }

    /// This source guided toward the class marked in `classes` with `guidance` (a guided
    /// source's guidance is replaced).
    pub fn guided(self, classes: &'a GaussianMixture, guidance: Guidance) -> ScoreSource<'a> {
        ScoreSource::Guided { base: self.base(), classes, guidance }
    }

    /// This source with the likelihood gradient of `observation` added with `guidance` (DPS or
    /// PiGDM; any other guidance is replaced).
    pub fn posterior_guided(self, observation: &'a ObservationParams, guidance: Guidance) -> ScoreSource<'a> {
        ScoreSource::PosteriorGuided { base: self.base(), observation, guidance }
    }
}

/// The MLP's hidden biases of every evaluation of `steps`: rows 2i and 2i + 1 belong to the two
/// evaluations of step i (`steps.len() * 2 * HIDDEN` floats; twin of what the GPU reads).
pub fn hidden_biases(mlp: &Mlp, steps: &[ReverseStep]) -> Vec<f32> {
    hidden_bias_rows(mlp, steps.iter().map(|s| [s.eval1, s.eval2]))
}

/// The hidden biases classifier-free guidance reads: [`hidden_biases`] shifted by class
/// `class`'s embedding row, then as many rows shifted by the null class's (so the null rows are
/// the second half, as `shaders/common/eps_hat_mlp.wgsl` reads them).
pub fn classifier_free_hidden_biases(
    mlp: &Mlp,
    embedding: &ClassEmbedding,
    class: usize,
    steps: &[ReverseStep],
) -> Vec<f32> {
    let plain = hidden_biases(mlp, steps);
    let shifted = |label: usize| {
        plain
            .chunks_exact(HIDDEN)
            .flat_map(move |row| embedding.shifted(row.try_into().expect("rows of HIDDEN"), label))
    };
    shifted(class).chain(shifted(embedding.null())).collect()
}

/// The MLP's hidden-bias rows of pairs of evaluations, two rows per pair (the GPU's layout for
/// every step form: reverse steps and likelihood steps).
pub fn hidden_bias_rows(mlp: &Mlp, pairs: impl Iterator<Item = [Evaluation; 2]>) -> Vec<f32> {
    pairs.flat_map(|pair| pair.map(|e| e.t_net)).flat_map(|t| mlp.hidden_bias(t)).collect()
}

/// eps_hat for one evaluation, with what is shared across particles precomputed.
pub struct EvaluationModel<'a> {
    base: Unguided<'a>,
    /// The guided class's mixture and this evaluation's guidance weight (0: no guidance).
    guidance: Option<(&'a GaussianMixture, f32)>,
    /// The measurement and this evaluation's weight of its likelihood gradient (0: none).
    posterior: Option<(&'a ObservationParams, f32)>,
    /// Classifier-free guidance: the null class's hidden bias and this evaluation's weight
    /// (`None` where the weight is 1: the conditional prediction alone).
    classifier_free: Option<([f32; HIDDEN], f32)>,
    evaluation: Evaluation,
    hidden_bias: [f32; HIDDEN],
}

impl<'a> EvaluationModel<'a> {
    /// Prepares eps_hat at `evaluation`.
    pub fn new(source: ScoreSource<'a>, evaluation: Evaluation) -> EvaluationModel<'a> {
        let base = source.base();
        let mut hidden_bias = match base {
            Unguided::Mlp(mlp) => mlp.hidden_bias(evaluation.t_net),
            Unguided::Exact(_) => [0.0; HIDDEN],
        };
        let mut classifier_free = None;
        if let ScoreSource::ClassifierFree { embedding, class, guidance, .. } = source {
            let weight = guidance.weight(&evaluation);
            if weight != 1.0 {
                classifier_free = Some((embedding.shifted(hidden_bias, embedding.null()), weight));
            }
            hidden_bias = embedding.shifted(hidden_bias, class);
        }
        let guidance = match source {
            ScoreSource::Guided { classes, guidance, .. } => Some((classes, guidance.weight(&evaluation))),
            _ => None,
        };
        let posterior = match source {
            ScoreSource::PosteriorGuided { observation, guidance, .. } if observation.guides() => {
                Some((observation, guidance.weight(&evaluation))).filter(|(_, w)| *w != 0.0)
            }
            _ => None,
        };
        EvaluationModel { base, guidance, posterior, classifier_free, evaluation, hidden_bias }
    }

    /// eps_hat(x); twin of `eps_hat` in the WGSL kernels.
    pub fn eps_hat(&self, x: [f32; 2]) -> [f32; 2] {
        if let Some((observation, weight)) = self.posterior {
            let (eps, jacobian) = self.unguided_eps_and_jacobian(x);
            return posterior_guidance::posterior_guided_eps(
                observation,
                x,
                eps,
                jacobian,
                &self.evaluation,
                weight,
            );
        }
        self.guided(self.unguided_eps_hat(x), x)
    }

    /// The unguided eps_hat and its Jacobian d eps_i / d x_j: forward mode through the MLP
    /// (d eps / d x = input_scale (eps_from_output J_net + eps_from_input I)), or -sigma times
    /// the Hessian of the mixture's ln p_t. Twin of `eps_hat_with_jacobian` in the WGSL. The
    /// network's eps is its own here, not kept in the data's disc: the posterior methods follow
    /// its Jacobian, and `network_check` judges the network itself.
    pub fn unguided_eps_and_jacobian(&self, x: [f32; 2]) -> ([f32; 2], [[f32; 2]; 2]) {
        let e = &self.evaluation;
        match self.base {
            Unguided::Mlp(mlp) => {
                let x_net = [x[0] * e.input_scale, x[1] * e.input_scale];
                let (out, net) = mlp.forward_with_jacobian(x_net, &self.hidden_bias);
                let eps = combine(e.eps_from_output, out, e.eps_from_input, x_net);
                let d = |i: usize, j: usize| {
                    e.input_scale
                        * (e.eps_from_output * net[i][j] + if i == j { e.eps_from_input } else { 0.0 })
                };
                (eps, [[d(0, 0), d(0, 1)], [d(1, 0), d(1, 1)]])
            }
            Unguided::Exact(mixture) => {
                let (score, hessian) = mixture.score_jacobian_noised(x, e.alpha, e.sigma);
                let k = -e.sigma;
                (
                    [k * score[0], k * score[1]],
                    [[k * hessian[0][0], k * hessian[0][1]], [k * hessian[1][0], k * hessian[1][1]]],
                )
            }
        }
    }

    /// The network's eps at `x` from its output `out` (at x_net = input_scale x), with its x0_hat
    /// kept in the data's disc (`denoised_bound::within_the_data`).
    fn network_eps(&self, out: [f32; 2], x_net: [f32; 2], x: [f32; 2]) -> [f32; 2] {
        let e = &self.evaluation;
        within_the_data(combine(e.eps_from_output, out, e.eps_from_input, x_net), x, e.alpha, e.sigma)
    }

    fn unguided_eps_hat(&self, x: [f32; 2]) -> [f32; 2] {
        let e = &self.evaluation;
        match self.base {
            Unguided::Mlp(mlp) => {
                let x_net = [x[0] * e.input_scale, x[1] * e.input_scale];
                let eps = self.network_eps(mlp.forward_with_bias(x_net, &self.hidden_bias), x_net, x);
                match &self.classifier_free {
                    Some((null_bias, weight)) => classifier_free(
                        self.network_eps(mlp.forward_with_bias(x_net, null_bias), x_net, x),
                        eps,
                        *weight,
                    ),
                    None => eps,
                }
            }
            Unguided::Exact(mixture) => {
                let score = mixture.score_noised(x, e.alpha, e.sigma);
                [-e.sigma * score[0], -e.sigma * score[1]]
            }
        }
    }

    /// `eps` at `x` with the guidance term, if any (`guidance::guided_eps`).
    fn guided(&self, eps: [f32; 2], x: [f32; 2]) -> [f32; 2] {
        match self.guidance {
            Some((classes, weight)) => guidance::guided_eps(eps, classes, x, &self.evaluation, weight),
            None => eps,
        }
    }

    /// eps_hat for [`BATCH`] points (vectorised for the MLP).
    pub fn eps_hat_batch(&self, x: &[[f32; 2]; BATCH]) -> [[f32; 2]; BATCH] {
        match self.base {
            Unguided::Mlp(mlp) if self.posterior.is_none() => {
                let e = &self.evaluation;
                let scaled = x.map(|p| [p[0] * e.input_scale, p[1] * e.input_scale]);
                let out = mlp.forward_batch_with_bias(&scaled, &self.hidden_bias);
                let eps = |out: &[[f32; 2]; BATCH], p: usize| self.network_eps(out[p], scaled[p], x[p]);
                if let Some((null_bias, weight)) = &self.classifier_free {
                    let null = mlp.forward_batch_with_bias(&scaled, null_bias);
                    return std::array::from_fn(|p| classifier_free(eps(&null, p), eps(&out, p), *weight));
                }
                std::array::from_fn(|p| self.guided(eps(&out, p), x[p]))
            }
            _ => x.map(|p| self.eps_hat(p)),
        }
    }
}

/// Classifier-free guidance's combination eps_u + w (eps_c - eps_u) (`core::guidance`); twin of
/// `classifier_free` in `shaders/common/eps_hat_mlp.wgsl`.
pub fn classifier_free(unconditional: [f32; 2], conditional: [f32; 2], weight: f32) -> [f32; 2] {
    std::array::from_fn(|k| unconditional[k] + weight * (conditional[k] - unconditional[k]))
}

/// The models of both evaluations of one step.
pub struct StepModels<'a> {
    /// The model of the step's first evaluation.
    pub(super) first: EvaluationModel<'a>,
    /// The model of its second evaluation.
    pub(super) second: EvaluationModel<'a>,
}

impl<'a> StepModels<'a> {
    /// Prepares both evaluations of `step`.
    pub fn new(source: ScoreSource<'a>, step: &ReverseStep) -> StepModels<'a> {
        StepModels {
            first: EvaluationModel::new(source, step.eval1),
            second: EvaluationModel::new(source, step.eval2),
        }
    }
}
