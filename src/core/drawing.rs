//! Data you draw: a set of points becomes a smooth distribution (each point a small isotropic
//! Gaussian "knot", as the built-in curves are made), with an exact noised score like every
//! built-in dataset, and a network can be trained on it ([`Trainer`]) in small chunks, so a page
//! can show the loss falling between frames.
//!
//! Every drawn point carries a class, its stroke colour ([`DRAWING_CLASSES`]: pick a colour, then
//! draw), so a drawing has class conditionals, an exact classifier and guidance like the built-in
//! datasets (`core::classes`), and a class-conditional network can be trained on it
//! ([`Trainer::conditional`]).

use crate::core::class_embedding::ClassEmbedding;
use crate::core::classes::{self, DataClass};
use crate::core::dataset::GaussianMixture;
use crate::core::mlp::{Architecture, Mlp};
use crate::core::schedule::Schedule;
use crate::core::train::{self, Adam, Labels, TrainConfig};

/// Standard deviation of each drawn point's knot (about the spacing of a drawn stroke).
pub const DRAWN_STD: f64 = 0.06;
/// Most points of a drawing (a share link carries them all).
pub const MAX_DRAWN_POINTS: usize = 512;
/// Drawn points must lie in the picture's window, [-3, 3]^2.
pub const DRAWN_HALF_EXTENT: f32 = 3.0;
/// The schedule networks are trained with on drawings (others use it through the log-SNR).
pub const DRAWN_SCHEDULE: Schedule = Schedule::VpLinear;
/// The architecture of networks trained on drawings: with Fourier features of the coordinates,
/// which bring a typed word from 3.75 to 2.04 times the exact score's TV at 8,000 steps and a
/// drawn two-colour figure from 3.21 to 1.37 (docs/measured.md, "What limits the network,
/// measured").
pub const DRAWN_ARCHITECTURE: Architecture = Architecture::FOURIER;

/// Peak learning rate of training on a drawing: short runs (a few thousand steps, seconds in a
/// page) need a larger rate than the embedded networks' 160,000-step runs (3e-3). Measured on a
/// drawn circle: 2,500 steps of batch 128 put 99% of reverse-SDE samples within 0.3 of it at
/// 1e-2, and 81% at 3e-3; with the log-normal times, 2e-2 is no better (TV 1.24 to 1.33 times
/// the exact score's against 1.28).
pub const DRAWN_LEARNING_RATE: f32 = 1e-2;
/// Learning rate at the end of training on a drawing (cosine decay).
pub const DRAWN_FINAL_LEARNING_RATE: f32 = 1e-4;
/// Default Adam steps of training on a drawing: with the log-normal times of
/// `app::training::Learning::config` and coordinate features ([`DRAWN_ARCHITECTURE`]), 24,000
/// steps bring a drawn two-colour figure within the embedded networks' bars (its
/// class-conditional network's null class, which sees one example in five: TV 1.39, 1.21 and
/// 1.18 times the exact score's at 8,000, 16,000 and 24,000 steps; a drawn circle is at 1.02
/// from 8,000). docs/measured.md, "Networks trained on drawings".
pub const DRAWN_TRAIN_STEPS: u32 = 24_000;
/// Fewest Adam steps the page's drawing panel starts a training run with.
pub const MIN_PAGE_TRAIN_STEPS: u32 = 100;
/// Most Adam steps the page's drawing panel starts a training run with (two and a half times the
/// default; the command line allows `app::training::MAX_TRAIN_STEPS`).
pub const MAX_PAGE_TRAIN_STEPS: u32 = 60_000;
/// Examples per Adam step of training on a drawing.
pub const DRAWN_BATCH: u32 = 128;

/// The classes of a drawing, one per stroke colour, in index order (a drawn point's class is the
/// colour it was drawn in; points without one, as in older links and files, are the first).
pub const DRAWING_CLASSES: [DataClass; 4] = [
    DataClass { name: "blue", label: "Blue strokes" },
    DataClass { name: "orange", label: "Orange strokes" },
    DataClass { name: "green", label: "Green strokes" },
    DataClass { name: "pink", label: "Pink strokes" },
];

/// Checks a drawing's labels: one per point, each an index of [`DRAWING_CLASSES`]; empty labels
/// stand for every point in the first class. Returns the labels, one per point.
pub fn drawn_labels(points: &[[f32; 2]], labels: &[u32]) -> Result<Vec<usize>, String> {
    if labels.is_empty() {
        return Ok(vec![0; points.len()]);
    }
    if labels.len() != points.len() {
        return Err(format!(
            "a drawing has one class per point: {} points, {} classes given",
            points.len(),
            labels.len()
        ));
    }
    let names: Vec<&str> = DRAWING_CLASSES.iter().map(|c| c.name).collect();
    labels
        .iter()
        .enumerate()
        .map(|(i, &label)| {
            let class = label as usize;
            if class < DRAWING_CLASSES.len() {
                Ok(class)
            } else {
                Err(format!(
                    "drawn point {i} has class {label}; a drawing's classes are 0 to {} ({})",
                    DRAWING_CLASSES.len() - 1,
                    names.join(", ")
                ))
            }
        })
        .collect()
}

/// The classes a drawing's points use (indices of [`DRAWING_CLASSES`], ascending).
pub fn used_classes(labels: &[usize]) -> Vec<usize> {
    (0..DRAWING_CLASSES.len()).filter(|c| labels.contains(c)).collect()
}

/// The drawing's mixture with class `class`'s points marked (`classes::marked`), or `None`
/// when no point has it.
pub fn marked_mixture(mixture: &GaussianMixture, labels: &[usize], class: usize) -> Option<GaussianMixture> {
    let members: Vec<bool> = labels.iter().map(|&l| l == class).collect();
    classes::marked(mixture, &members)
}

/// The training configuration for a drawing: `steps` Adam steps of `batch` examples from `seed`
/// at [`DRAWN_LEARNING_RATE`], for a network of [`DRAWN_ARCHITECTURE`].
pub fn drawn_config(seed: u32, steps: u32, batch: u32) -> TrainConfig {
    TrainConfig {
        seed,
        steps,
        batch,
        learning_rate: DRAWN_LEARNING_RATE,
        final_learning_rate: DRAWN_FINAL_LEARNING_RATE,
        architecture: DRAWN_ARCHITECTURE,
        ..TrainConfig::default()
    }
}

/// The distribution of a drawing: equal-weight N(p_i, DRAWN_STD^2 I). Errors name the problem:
/// no points, too many, a non-finite coordinate, or a point outside the window.
pub fn drawn_mixture(points: &[[f32; 2]]) -> Result<GaussianMixture, String> {
    if points.is_empty() {
        return Err("a drawing needs at least one point".into());
    }
    if points.len() > MAX_DRAWN_POINTS {
        return Err(format!("a drawing has at most {MAX_DRAWN_POINTS} points ({} given)", points.len()));
    }
    if let Some((i, p)) = points
        .iter()
        .enumerate()
        .find(|(_, p)| !p.iter().all(|v| v.is_finite() && v.abs() <= DRAWN_HALF_EXTENT))
    {
        return Err(format!(
            "drawn point {i} ({}, {}) is not inside the picture ([-{DRAWN_HALF_EXTENT}, {DRAWN_HALF_EXTENT}] in x and y)",
            p[0], p[1]
        ));
    }
    let means: Vec<[f64; 2]> = points.iter().map(|p| [p[0] as f64, p[1] as f64]).collect();
    GaussianMixture::equal_weights(&means, DRAWN_STD * DRAWN_STD)
}

/// A training run on a mixture, advanced a chunk of Adam steps at a time. The same seed and
/// configuration give the same network as [`train::train`] in one go.
pub struct Trainer {
    mixture: GaussianMixture,
    schedule: Schedule,
    config: TrainConfig,
    mlp: Mlp,
    adam: Adam,
    gradient: Vec<f32>,
    step: u32,
    losses: Vec<f32>,
    /// A class-conditional run: the class of every point (component), the embedding being
    /// trained, its Adam state and gradient.
    conditional: Option<ConditionalState>,
}

/// What a class-conditional [`Trainer`] trains besides the network.
struct ConditionalState {
    labels: Vec<usize>,
    embedding: ClassEmbedding,
    adam: Adam,
    gradient: Vec<f32>,
}

impl Trainer {
    /// A fresh network to train on `mixture` with `schedule` and `config`.
    pub fn new(mixture: GaussianMixture, schedule: Schedule, config: TrainConfig) -> Trainer {
        Trainer {
            mlp: Mlp::initialise_as(config.architecture, config.seed),
            adam: Adam::new(config.architecture.parameters()),
            gradient: vec![0.0; config.architecture.parameters()],
            step: 0,
            losses: Vec::with_capacity(config.steps as usize),
            mixture,
            schedule,
            config,
            conditional: None,
        }
    }

    /// A fresh class-conditional network (with [`DRAWING_CLASSES`]' embedding and the null
    /// class, label dropout `class_embedding::LABEL_DROPOUT`) to train on `mixture`, whose
    /// component k has class `labels[k]`: the same run as `train::train_conditional`.
    pub fn conditional(
        mixture: GaussianMixture,
        labels: Vec<usize>,
        schedule: Schedule,
        config: TrainConfig,
    ) -> Trainer {
        let embedding = ClassEmbedding::zeros(DRAWING_CLASSES.len());
        let rows = embedding.rows.len();
        Trainer {
            conditional: Some(ConditionalState {
                labels,
                embedding,
                adam: Adam::new(rows),
                gradient: vec![0.0; rows],
            }),
            ..Trainer::new(mixture, schedule, config)
        }
    }

    /// Takes up to `n` more steps; returns their mean batch loss (NaN when none was left).
    pub fn run(&mut self, n: u32) -> f32 {
        let end = self.step.saturating_add(n).min(self.config.steps);
        let (first, mut total) = (self.step, 0.0);
        while self.step < end {
            self.gradient.iter_mut().for_each(|g| *g = 0.0);
            let rate = train::learning_rate(&self.config, self.step);
            let loss = match &mut self.conditional {
                None => train::step_loss_and_gradient(
                    &self.mlp,
                    &self.mixture,
                    self.schedule,
                    &self.config,
                    self.step,
                    &mut self.gradient,
                ),
                Some(state) => {
                    state.gradient.iter_mut().for_each(|g| *g = 0.0);
                    let labels = Labels { component_classes: &state.labels, classes: DRAWING_CLASSES.len() };
                    let loss = train::conditional_step_loss_and_gradient(
                        (&self.mlp, &state.embedding),
                        &self.mixture,
                        &labels,
                        self.schedule,
                        &self.config,
                        self.step,
                        (&mut self.gradient, &mut state.gradient),
                    );
                    state.adam.update(&mut state.embedding.rows, &state.gradient, rate);
                    loss
                }
            };
            self.adam.update(&mut self.mlp.weights, &self.gradient, rate);
            self.losses.push(loss);
            total += loss;
            self.step += 1;
        }
        if self.step == first {
            f32::NAN
        } else {
            total / (self.step - first) as f32
        }
    }

    /// Steps taken so far.
    pub fn step(&self) -> u32 {
        self.step
    }

    /// Steps of the whole run.
    pub fn steps(&self) -> u32 {
        self.config.steps
    }

    /// The batch loss of every step so far.
    pub fn losses(&self) -> &[f32] {
        &self.losses
    }

    /// The network as trained so far.
    pub fn mlp(&self) -> &Mlp {
        &self.mlp
    }

    /// The class embedding as trained so far, for a class-conditional run.
    pub fn embedding(&self) -> Option<&ClassEmbedding> {
        self.conditional.as_ref().map(|c| &c.embedding)
    }

    /// The schedule it trains with.
    pub fn schedule(&self) -> Schedule {
        self.schedule
    }

    /// The distribution it trains on.
    pub fn mixture(&self) -> &GaussianMixture {
        &self.mixture
    }
}
