//! The CPU path's reverse steps as work another copy of the module can do: the page splits its
//! particles over Web Workers, each with its own instance of the same compiled module, and each
//! steps a slice of them with [`CpuWork::run`].
//!
//! A [`CpuWork`] holds everything the session's own CPU step reads (the score source's parts, the
//! plan of the run and the seed), owned, so that it can travel in a message. Every particle's path
//! depends only on its index, its position and its history (the noise is counter-based, keyed by
//! the particle: `core::rng`), so a slice stepped from its first particle's index is bit-identical
//! to the same particles stepped in one run, whatever the number of workers; the session takes the
//! result back with [`Session::accept_cpu_steps`](crate::app::session::Session::accept_cpu_steps).
//!
//! Positions travel flat (x, y per particle) and the multistep history flat too
//! ([`HISTORY_FLOATS`] per particle, the slots in order). In a message the two are one array, the
//! state: every position, then every history ([`CpuWork::run_state`],
//! [`Session::cpu_state`](crate::app::session::Session::cpu_state)).

/// Numbers of one particle's position in the flat form.
pub const POSITION_FLOATS: usize = 2;

use serde::{Deserialize, Serialize};

use crate::app::options::ScoreChoice;
use crate::core::class_embedding::ClassEmbedding;
use crate::core::dataset::GaussianMixture;
use crate::core::guidance::Guidance;
use crate::core::mlp::{Architecture, Mlp, HIDDEN};
use crate::core::posterior_guidance::ObservationParams;
use crate::core::sampler::{self, History, ReverseStep, ScoreSource, HISTORY_SLOTS};

/// Numbers of one particle's multistep history in the flat form ([`HISTORY_SLOTS`] points).
pub const HISTORY_FLOATS: usize = HISTORY_SLOTS * 2;

/// The score source a run's steps evaluate, from its parts: the network or the exact mixture,
/// with the measurement's likelihood term (DPS, PiGDM), classifier guidance (exact classifier) or
/// classifier-free guidance (the class-conditional network) on top. The one place a CPU run's
/// source is assembled: the session's own steps and [`CpuWork::run`] both use it.
pub(crate) fn score_source_of<'a>(
    score: ScoreChoice,
    net: &'a Mlp,
    mixture: &'a GaussianMixture,
    guidance: Option<Guidance>,
    classifier_free: Option<(&'a ClassEmbedding, usize)>,
    likelihood: &'a ObservationParams,
    likelihood_scale: f64,
) -> ScoreSource<'a> {
    let base = score.source(net, mixture);
    if likelihood.guides() {
        return base.posterior_guided(likelihood, Guidance::everywhere(likelihood_scale));
    }
    match (guidance, classifier_free) {
        (Some(guidance), Some((embedding, class))) if score == ScoreChoice::Mlp => {
            ScoreSource::ClassifierFree { mlp: net, embedding, class, guidance }
        }
        (Some(guidance), _) => base.guided(mixture, guidance),
        (None, _) => base,
    }
}

/// Everything the CPU path's steps of one run read, owned (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CpuWork {
    /// What the steps evaluate: the network or the exact mixture.
    pub(crate) score: ScoreChoice,
    /// The network in use.
    pub(crate) mlp: Mlp,
    /// The mixture of the exact score and of the exact classifier.
    pub(crate) mixture: GaussianMixture,
    /// Guidance toward a class, if any.
    pub(crate) guidance: Option<Guidance>,
    /// The class-conditional network's embedding and the class, for classifier-free guidance.
    pub(crate) classifier_free: Option<(ClassEmbedding, usize)>,
    /// The measurement's likelihood term (none unless DPS or PiGDM).
    pub(crate) likelihood: ObservationParams,
    /// The weight of the likelihood term.
    pub(crate) likelihood_scale: f64,
    /// Every step of the run.
    pub(crate) plan: Vec<ReverseStep>,
    /// The run's seed.
    pub(crate) seed: u32,
}

impl CpuWork {
    /// Refuses work that could not have come from a session (a network or an embedding of the
    /// wrong size, a class it has no row for, an empty mixture or plan), so that a corrupted
    /// message is an error and never a panic.
    pub fn check(&self) -> Result<(), String> {
        if Architecture::of_parameters(self.mlp.weights.len()).is_none() {
            return Err(format!(
                "the network has {} weights, which no architecture has",
                self.mlp.weights.len()
            ));
        }
        if let Some((embedding, class)) = &self.classifier_free {
            let rows = embedding.rows.len() / HIDDEN;
            if !embedding.rows.len().is_multiple_of(HIDDEN) || *class + 1 >= rows {
                return Err(format!("the class embedding has no row for class {class}"));
            }
        }
        if self.mixture.components.is_empty() {
            return Err("the mixture has no components".into());
        }
        if self.plan.is_empty() {
            return Err("the run has no steps".into());
        }
        Ok(())
    }

    /// The score source of the run's steps.
    pub fn source(&self) -> ScoreSource<'_> {
        score_source_of(
            self.score,
            &self.mlp,
            &self.mixture,
            self.guidance,
            self.classifier_free.as_ref().map(|(embedding, class)| (embedding, *class)),
            &self.likelihood,
            self.likelihood_scale,
        )
    }

    /// Takes steps `start .. start + count` of the plan for particles whose first has index
    /// `first_particle` in the run: `positions` (x, y each) and `history` ([`HISTORY_FLOATS`]
    /// each) are updated in place, exactly as the session's own step would update them.
    pub fn run(
        &self,
        start: usize,
        count: usize,
        first_particle: u32,
        positions: &mut [f32],
        history: &mut [f32],
    ) -> Result<(), String> {
        self.check()?;
        let steps = start.checked_add(count).and_then(|end| self.plan.get(start..end)).ok_or_else(|| {
            format!(
                "steps {start} to {} are not in the run's {} steps",
                start.saturating_add(count),
                self.plan.len()
            )
        })?;
        let particles = positions.len() / 2;
        if !positions.len().is_multiple_of(2) || history.len() != particles * HISTORY_FLOATS {
            return Err(format!(
                "{} position numbers and {} history numbers do not describe whole particles \
                 (2 and {HISTORY_FLOATS} numbers each)",
                positions.len(),
                history.len()
            ));
        }
        if u32::try_from(particles).ok().and_then(|n| first_particle.checked_add(n)).is_none() {
            return Err(format!("particles from index {first_particle} overflow the particle index"));
        }
        let points: &mut [[f32; 2]] = bytemuck::cast_slice_mut(positions);
        let history: &mut [History] = bytemuck::cast_slice_mut(history);
        sampler::run(self.source(), steps, points, history, self.seed, first_particle);
        Ok(())
    }

    /// [`CpuWork::run`] on a state: the slice's positions, then its history, in one array.
    pub fn run_state(
        &self,
        start: usize,
        count: usize,
        first_particle: u32,
        state: &mut [f32],
    ) -> Result<(), String> {
        let (positions, history) = split_state_mut(state);
        self.run(start, count, first_particle, positions, history)
    }
}

/// A state's positions and history (the positions of as many whole particles as it holds).
pub(crate) fn split_state(state: &[f32]) -> (&[f32], &[f32]) {
    state.split_at(POSITION_FLOATS * (state.len() / (POSITION_FLOATS + HISTORY_FLOATS)))
}

/// [`split_state`], mutable.
fn split_state_mut(state: &mut [f32]) -> (&mut [f32], &mut [f32]) {
    state.split_at_mut(POSITION_FLOATS * (state.len() / (POSITION_FLOATS + HISTORY_FLOATS)))
}
