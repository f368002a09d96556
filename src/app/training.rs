//! Training a network in the page: one handle with the same shape on the CPU
//! (`core::drawing::Trainer`) and on the GPU (`gpu::GpuTrainer`, the WGSL forward, backward and
//! Adam kernels), advanced a chunk of Adam steps at a time so the page can draw the loss between
//! frames. Both draw the same batches on the CPU, so both paths train on the same examples.

use crate::app::options::{self, OptionError};
use crate::app::session::Session;
use crate::core::class_embedding::ClassEmbedding;
use crate::core::consistency::Distiller;
use crate::core::coupling::{Coupling, DEFAULT_BRIDGE_SIGMA, DEFAULT_COUPLING_BATCH, MAX_REFLOW_ROUND};
use crate::core::dataset::{Dataset, GaussianMixture};
use crate::core::drawing;
use crate::core::mlp::{Architecture, Mlp, ARCHITECTURES, HIDDEN};
use crate::core::param::Parametrization;
use crate::core::reflow::{self, REFLOW_SEED};
use crate::core::sampler::{NetFrame, ScoreSource};
use crate::core::schedule::Schedule;
use crate::core::train::{self, Labels, PreparedExample, TimeSampling, TrainConfig, Weighting};
use crate::core::weights::TrainedNet;
use crate::gpu::readback::Readback;
use crate::gpu::{GpuContext, GpuError, GpuTrainer};

/// Most Adam steps of an in-page training run.
pub const MAX_TRAIN_STEPS: u32 = 100_000;
/// Most examples per Adam step of an in-page training run.
pub const MAX_TRAIN_BATCH: u32 = 4096;
/// Most reflow pairs the page makes (each is a 64-step Heun run of the teacher).
pub const MAX_REFLOW_PAIRS: u32 = 65_536;

/// The schedules a network can be trained with in the page: those whose noise levels reach every
/// noise level a run of any schedule visits, so that the network serves every schedule through
/// the log-SNR (`schedule::equivalent_input`): VP linear and cosine reach sigma / alpha ~ 152 and
/// 0, rectified flow every level. VE stops at sigma = 20 (below EDM's 80 and VP's 152) and EDM's
/// time is sigma itself, up to 80, beyond the network's time embedding for t in [0, 1]; EDM-style
/// training is the edm_denoiser objective (the network sees c_noise = ln(sigma) / 4) on any of
/// these.
pub const TRAINABLE_SCHEDULES: [Schedule; 3] =
    [Schedule::VpLinear, Schedule::VpCosine, Schedule::RectifiedFlow];

/// What a network trained in the page learns: its objective (what it predicts, one of the
/// parametrizations of `core::param`) and the schedule of its noisy inputs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Learning {
    /// What the network predicts (eps, x0, the score, the velocity or EDM's denoiser).
    pub objective: Parametrization,
    /// The schedule it is trained with (other schedules use it through the log-SNR).
    pub schedule: Schedule,
    /// How its batches pair noise with data (`core::coupling`).
    pub coupling: Coupling,
}

impl Learning {
    /// The eps objective on VP linear: what the page trained before it offered a choice.
    pub const DEFAULT: Learning = Learning {
        objective: Parametrization::Eps,
        schedule: drawing::DRAWN_SCHEDULE,
        coupling: Coupling::Independent,
    };

    /// The objective and schedule named `objective` and `schedule`, checked like options.
    pub fn from_names(objective: &str, schedule: &str) -> Result<Learning, OptionError> {
        Ok(Learning {
            objective: options::check_choice(
                "objective",
                objective,
                &Parametrization::NETWORK_OUTPUTS,
                Parametrization::name,
            )?,
            schedule: options::check_choice("schedule", schedule, &TRAINABLE_SCHEDULES, Schedule::name).map_err(
                |e| OptionError {
                    allowed: format!(
                        "{} (a network trained on them serves every schedule through the log-SNR; ve stops at \
                         sigma = 20 and edm's time runs to 80, beyond the time embedding: for EDM-style training use \
                         the edm_denoiser objective)",
                        e.allowed
                    ),
                    ..e
                },
            )?,
            coupling: Coupling::Independent,
        })
    }

    /// This learning with the coupling named `coupling` ("independent", "ot" or "sb", in groups
    /// of `coupling::DEFAULT_COUPLING_BATCH`, the bridge's sigma_b
    /// `coupling::DEFAULT_BRIDGE_SIGMA`), checked like an option: the Schrödinger bridge needs
    /// the velocity objective on rectified flow.
    pub fn with_coupling(self, coupling: &str) -> Result<Learning, OptionError> {
        let refused = |allowed: String| OptionError {
            field: "coupling".into(),
            value: format!("{:?}", coupling.chars().take(40).collect::<String>()),
            allowed,
        };
        let coupling = Coupling::from_parts(coupling, DEFAULT_COUPLING_BATCH, DEFAULT_BRIDGE_SIGMA)
            .map_err(|_| refused("independent, ot or sb".into()))?;
        let bridge = matches!(coupling, Coupling::SchrodingerBridge { .. });
        if bridge && (self.objective != Parametrization::Velocity || self.schedule != Schedule::RectifiedFlow)
        {
            return Err(refused(format!(
                "independent or ot with the {} objective on {} (the Schrödinger bridge trains the velocity on \
                 rectified_flow)",
                self.objective.name(),
                self.schedule.name()
            )));
        }
        Ok(Learning { coupling, ..self })
    }

    /// `config` learning this: the objective, and the weighting and times that keep its loss
    /// well conditioned. The score's target -eps / sigma explodes as sigma -> 0, so it is weighted
    /// by sigma^2 (Song et al. 2021; the eps loss in another guise). EDM's denoiser draws EDM's
    /// log-normal noise levels (Karras et al. 2022, Table 1: P_mean = -1.2, P_std = 1.2), as EDM
    /// trains it. Every other objective with independent pairs draws the embedded networks'
    /// times, that log-normal with one example in five uniform
    /// ([`TimeSampling::LogNormalAndUniform`]): on a drawn circle it brings the network's TV from
    /// 4.6 to 1.1-1.2 times the exact score's (docs/measured.md, "Networks trained on
    /// drawings"). Coupled and reflowed flows keep the uniform times of the papers that define
    /// them (Liu et al. 2022; Tong et al. 2023), whose straightness is measured with them.
    pub fn config(self, config: TrainConfig) -> TrainConfig {
        let weighting =
            if self.objective == Parametrization::Score { Weighting::SigmaSquared } else { Weighting::Unit };
        let time_sampling = match (self.objective, self.coupling) {
            (Parametrization::EdmDenoiser, _) => TimeSampling::LogNormal,
            (_, Coupling::Independent) => TimeSampling::LogNormalAndUniform,
            _ => TimeSampling::Uniform,
        };
        TrainConfig { objective: self.objective, weighting, time_sampling, coupling: self.coupling, ..config }
    }
}

/// A network trained on a drawing: what it learned (`learning`), with the class embedding of
/// the drawing's stroke classes when it was trained on them.
pub fn drawn_network(mlp: Mlp, class_embedding: Option<ClassEmbedding>, learning: Learning) -> TrainedNet {
    TrainedNet {
        mlp,
        parametrization: learning.objective,
        schedule: learning.schedule,
        dataset: Dataset::TwoMoons,
        training_seed: 0,
        training_steps: 0,
        quality: f32::NAN,
        reference: f32::NAN,
        class_embedding,
        coupling: learning.coupling,
    }
}
/// What to train on, and how.
#[derive(Clone, Debug)]
pub struct TrainingPlan {
    /// The distribution the examples are drawn from.
    pub mixture: GaussianMixture,
    /// The schedule the network learns ([`drawing::DRAWN_SCHEDULE`]).
    pub schedule: Schedule,
    /// Steps, batch, seed and learning rates.
    pub config: TrainConfig,
    /// The drawing trained on (empty for a built-in dataset).
    pub points: Vec<[f32; 2]>,
    /// The class of each drawn point (indices of `drawing::DRAWING_CLASSES`; empty for a
    /// built-in dataset). With two classes or more the network is class-conditional.
    pub labels: Vec<usize>,
    /// The flow a reflow retrains on its own pairs ([`TrainingPlan::reflow_of`]) or a
    /// distillation distills ([`TrainingPlan::distillation_of`]), kept so the race can show the
    /// teacher beside its student; `None` for every other plan.
    pub teacher: Option<TrainedNet>,
}

/// An option error naming `field`, with what is allowed.
fn refused(field: &str, allowed: &str) -> OptionError {
    OptionError { field: field.into(), value: String::new(), allowed: allowed.into() }
}

/// The drawing in `session` and its trained flow, the teacher of a `what` (reflow or
/// distillation): an unconditional velocity network on rectified flow; errors name what is missing.
fn drawing_flow<'a>(
    session: &'a Session,
    what: &str,
) -> Result<(&'a [[f32; 2]], &'a TrainedNet), OptionError> {
    let (Some(points), Some(teacher)) = (session.drawing_points(), session.drawing_network()) else {
        return Err(refused(
            "coupling",
            &format!("a {what} of a drawing's trained flow: draw, then train a flow first"),
        ));
    };
    if teacher.parametrization != Parametrization::Velocity || teacher.schedule != Schedule::RectifiedFlow {
        return Err(refused(
            "train_objective",
            &format!("a flow as the {what}'s teacher: train the velocity on rectified_flow first"),
        ));
    }
    if teacher.class_embedding.is_some() {
        return Err(refused(
            "coupling",
            &format!("an unconditional teacher: a {what} of a drawing of one stroke colour"),
        ));
    }
    Ok((points, teacher))
}

/// Refuses runs outside 1..=[`MAX_TRAIN_STEPS`] steps or 1..=[`MAX_TRAIN_BATCH`] examples.
fn check_size(steps: u32, batch: u32) -> Result<(), OptionError> {
    options::check_integer("steps", steps, 1, MAX_TRAIN_STEPS)?;
    options::check_integer("batch", batch, 1, MAX_TRAIN_BATCH)?;
    Ok(())
}

impl TrainingPlan {
    /// A fresh network for the drawing `points`: `steps` Adam steps of `batch` examples from
    /// `seed` (eps objective, VP linear, the cosine-decayed rate of [`drawing::drawn_config`]).
    pub fn for_drawing(
        points: &[[f32; 2]],
        steps: u32,
        batch: u32,
        seed: u32,
    ) -> Result<TrainingPlan, String> {
        Self::for_drawing_with(points, steps, batch, seed, Learning::DEFAULT)
    }

    /// [`TrainingPlan::for_drawing`] learning `learning`'s objective on its schedule.
    pub fn for_drawing_with(
        points: &[[f32; 2]],
        steps: u32,
        batch: u32,
        seed: u32,
        learning: Learning,
    ) -> Result<TrainingPlan, String> {
        Self::for_labelled_drawing(points, &[], steps, batch, seed, learning)
    }

    /// [`TrainingPlan::for_drawing_with`] on a drawing whose point i has class `labels[i]`
    /// (`drawing::drawn_labels`): with points of two classes or more, a class-conditional
    /// network (Ho and Salimans 2022; label dropout `class_embedding::LABEL_DROPOUT`).
    pub fn for_labelled_drawing(
        points: &[[f32; 2]],
        labels: &[u32],
        steps: u32,
        batch: u32,
        seed: u32,
        learning: Learning,
    ) -> Result<TrainingPlan, String> {
        let mixture = drawing::drawn_mixture(points)?;
        let labels = drawing::drawn_labels(points, labels)?;
        check_size(steps, batch).map_err(|e| e.to_string())?;
        let config = learning.config(drawing::drawn_config(seed, steps, batch));
        train::check_coupling(&config, learning.schedule)?;
        Ok(TrainingPlan {
            mixture,
            schedule: learning.schedule,
            config,
            points: points.to_vec(),
            labels,
            teacher: None,
        })
    }

    /// The next rectified flow of the drawing in `session` (Liu et al. 2022, reflow): trained on
    /// `pairs` pairs of the drawing's own network, which must be an unconditional flow (velocity
    /// on rectified flow), for `steps` Adam steps of `batch` examples from `seed`. Errors name
    /// what is missing.
    pub fn reflow_of(
        session: &Session,
        steps: u32,
        batch: u32,
        seed: u32,
        pairs: u32,
    ) -> Result<TrainingPlan, OptionError> {
        let (points, teacher) = drawing_flow(session, "reflow")?;
        check_size(steps, batch)?;
        options::check_integer("pairs", pairs, 1, MAX_REFLOW_PAIRS)?;
        let round = match teacher.coupling {
            Coupling::Reflow { round } => round + 1,
            _ => 1,
        };
        if round > MAX_REFLOW_ROUND {
            return Err(refused("coupling", "at most 16 rounds of reflow"));
        }
        let made =
            reflow::pairs(ScoreSource::Mlp(&teacher.mlp), NetFrame::of(teacher), pairs as usize, REFLOW_SEED);
        let learning = Learning {
            objective: Parametrization::Velocity,
            schedule: Schedule::RectifiedFlow,
            coupling: Coupling::Reflow { round },
        };
        let config = TrainConfig {
            reflow_pairs: Some(made.into()),
            ..learning.config(drawing::drawn_config(seed, steps, batch))
        };
        Ok(TrainingPlan {
            mixture: drawing::drawn_mixture(points).map_err(|e| refused("drawing", &e))?,
            schedule: Schedule::RectifiedFlow,
            config,
            points: points.to_vec(),
            labels: Vec::new(),
            teacher: Some(teacher.clone()),
        })
    }

    /// A one-step generator distilled from the drawing's flow in `session` (consistency
    /// distillation, Song et al. 2023, Alg. 2; `core::consistency`): `steps` Adam steps of
    /// `batch` examples from `seed`, student and target starting as the flow, which must be an
    /// unconditional flow (velocity on rectified flow) not itself distilled. Runs on the CPU
    /// (its target network's moving average follows every step). Errors name what is missing.
    pub fn distillation_of(
        session: &Session,
        steps: u32,
        batch: u32,
        seed: u32,
    ) -> Result<TrainingPlan, OptionError> {
        let (points, teacher) = drawing_flow(session, "distillation")?;
        check_size(steps, batch)?;
        if teacher.coupling == Coupling::Consistency {
            return Err(refused(
                "coupling",
                "a flow to distill: this network is already a distilled one-step generator",
            ));
        }
        let learning = Learning {
            objective: Parametrization::Velocity,
            schedule: Schedule::RectifiedFlow,
            coupling: Coupling::Consistency,
        };
        Ok(TrainingPlan {
            mixture: drawing::drawn_mixture(points).map_err(|e| refused("drawing", &e))?,
            schedule: Schedule::RectifiedFlow,
            config: learning.config(drawing::drawn_config(seed, steps, batch)),
            points: points.to_vec(),
            labels: Vec::new(),
            teacher: Some(teacher.clone()),
        })
    }

    /// True when the plan distills its teacher into a one-step generator.
    pub fn distills(&self) -> bool {
        self.config.coupling == Coupling::Consistency
    }

    /// True when the plan trains a class-conditional network: on a drawing with points of two
    /// classes or more.
    pub fn conditional(&self) -> bool {
        drawing::used_classes(&self.labels).len() > 1
    }

    /// The examples of Adam step `step` (with their labels when the plan is conditional).
    pub fn batch(&self, step: u32) -> Vec<PreparedExample> {
        if !self.conditional() {
            return train::prepare_batch(&self.mixture, self.schedule, &self.config, step);
        }
        let labels = Labels { component_classes: &self.labels, classes: drawing::DRAWING_CLASSES.len() };
        train::prepare_labelled_batch(&self.mixture, &labels, self.schedule, &self.config, step)
            .into_iter()
            .map(|(example, label)| PreparedExample { label: label as u32, ..example })
            .collect()
    }

    /// The data point and noise of the first `n` examples of the first step (at most a batch),
    /// paired as the plan's coupling pairs them, interleaved x0.x, x0.y, eps.x, eps.y: the
    /// training pairs the drawing panel shows (crossing lines for the independent coupling,
    /// nearly parallel ones for OT).
    pub fn first_pairs(&self, n: u32) -> Vec<f32> {
        let examples = train::coupled_examples(&self.mixture, self.schedule, &self.config, 0);
        examples.iter().take(n as usize).flat_map(|(e, _)| [e.x0[0], e.x0[1], e.eps[0], e.eps[1]]).collect()
    }

    /// What the plan's network learns.
    pub fn learning(&self) -> Learning {
        Learning { objective: self.config.objective, schedule: self.schedule, coupling: self.config.coupling }
    }

    /// A fresh network for the built-in `dataset`, trained as `cargo xtask train` trains the
    /// embedded ones (eps objective, VP linear, learning rate 3e-3 decayed by a cosine, the
    /// log-normal times with one in five uniform): what the benchmark times in the browser.
    pub fn for_dataset(
        dataset: Dataset,
        steps: u32,
        batch: u32,
        seed: u32,
    ) -> Result<TrainingPlan, OptionError> {
        check_size(steps, batch)?;
        Ok(TrainingPlan {
            mixture: dataset.mixture(),
            schedule: drawing::DRAWN_SCHEDULE,
            config: TrainConfig {
                seed,
                steps,
                batch,
                time_sampling: TimeSampling::LogNormalAndUniform,
                ..TrainConfig::default()
            },
            points: Vec::new(),
            labels: Vec::new(),
            teacher: None,
        })
    }
}

/// The steps a [`Training::run`] call took.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ran {
    /// Steps taken (on the GPU: queued).
    pub steps: u32,
    /// Their mean batch loss where it is known at once (on the CPU); `None` on the GPU, whose
    /// loss is read back with [`Training::loss`].
    pub mean_loss: Option<f32>,
}

enum Engine {
    Cpu(drawing::Trainer),
    /// Consistency distillation, on the CPU whatever the backend.
    Distill(Distiller),
    Gpu {
        trainer: GpuTrainer,
        step: u32,
    },
}

/// A training run in progress, on the CPU or the GPU.
pub struct Training {
    plan: TrainingPlan,
    engine: Engine,
}

/// Values on their way back from a training run.
pub enum PendingValues {
    /// Already on the CPU.
    Ready(Vec<f32>),
    /// Being copied from the GPU.
    Gpu(Readback),
}

impl PendingValues {
    /// Waits for the values.
    pub async fn values(self) -> Result<Vec<f32>, GpuError> {
        match self {
            PendingValues::Ready(values) => Ok(values),
            PendingValues::Gpu(readback) => readback.floats().await,
        }
    }
}

impl Training {
    /// Starts `plan` on the CPU.
    pub fn on_cpu(plan: TrainingPlan) -> Training {
        let (mixture, schedule, config) = (plan.mixture.clone(), plan.schedule, plan.config.clone());
        if let (true, Some(teacher)) = (plan.distills(), &plan.teacher) {
            let distiller = Distiller::new(teacher.mlp.clone(), mixture, config);
            return Training { plan, engine: Engine::Distill(distiller) };
        }
        let trainer = if plan.conditional() {
            drawing::Trainer::conditional(mixture, plan.labels.clone(), schedule, config)
        } else {
            drawing::Trainer::new(mixture, schedule, config)
        };
        Training { plan, engine: Engine::Cpu(trainer) }
    }

    /// Starts `plan` on `context`'s GPU, from the same initial network (and embedding) as the
    /// CPU would; a plan the kernels cannot train (distillation, the divergence term) is refused.
    pub fn on_gpu(context: &GpuContext, plan: TrainingPlan) -> Result<Training, GpuError> {
        if plan.distills() {
            return Err(GpuError::Unsupported(
                "consistency distillation runs on the CPU (its target network follows the student every step)".into(),
            ));
        }
        if plan.config.divergence_weight > 0.0 {
            // The WGSL training kernels fit the first-order loss only.
            return Err(GpuError::Unsupported(format!(
                "the divergence term of second-order score matching (weight {}) trains on the CPU (dp-train's likelihood stage)",
                plan.config.divergence_weight
            )));
        }
        let embedding = plan.conditional().then(|| ClassEmbedding::zeros(drawing::DRAWING_CLASSES.len()));
        let mlp = Mlp::initialise_as(plan.config.architecture, plan.config.seed);
        let trainer = GpuTrainer::new(context, &mlp, embedding.as_ref(), plan.config.batch)?;
        Ok(Training { plan, engine: Engine::Gpu { trainer, step: 0 } })
    }

    /// True when it trains on the GPU.
    pub fn on_gpu_path(&self) -> bool {
        matches!(self.engine, Engine::Gpu { .. })
    }

    /// Takes (on the GPU: queues) up to `n` more Adam steps, none past the plan's last.
    pub fn run(&mut self, n: u32) -> Result<Ran, GpuError> {
        let plan = &self.plan;
        match &mut self.engine {
            Engine::Cpu(trainer) => {
                let first = trainer.step();
                let mean = trainer.run(n);
                let steps = trainer.step() - first;
                Ok(Ran { steps, mean_loss: (steps > 0).then_some(mean) })
            }
            Engine::Distill(distiller) => {
                let first = distiller.step();
                let mean = distiller.run(n);
                let steps = distiller.step() - first;
                Ok(Ran { steps, mean_loss: (steps > 0).then_some(mean) })
            }
            Engine::Gpu { trainer, step } => {
                let first = *step;
                let end = step.saturating_add(n).min(plan.config.steps);
                while *step < end {
                    let examples = plan.batch(*step);
                    trainer.step(&examples, train::learning_rate(&plan.config, *step))?;
                    *step += 1;
                }
                Ok(Ran { steps: *step - first, mean_loss: None })
            }
        }
    }

    /// Steps taken (or queued) so far.
    pub fn step(&self) -> u32 {
        match &self.engine {
            Engine::Cpu(trainer) => trainer.step(),
            Engine::Distill(distiller) => distiller.step(),
            Engine::Gpu { step, .. } => *step,
        }
    }

    /// Steps of the whole run.
    pub fn steps(&self) -> u32 {
        self.plan.config.steps
    }

    /// What it trains on.
    pub fn plan(&self) -> &TrainingPlan {
        &self.plan
    }

    /// The drawing it trains on (empty for a built-in dataset).
    pub fn points(&self) -> &[[f32; 2]] {
        &self.plan.points
    }

    /// Every step's batch loss so far on the CPU; empty on the GPU (see [`Training::loss`]).
    pub fn losses(&self) -> &[f32] {
        match &self.engine {
            Engine::Cpu(trainer) => trainer.losses(),
            Engine::Distill(distiller) => distiller.losses(),
            Engine::Gpu { .. } => &[],
        }
    }

    /// The network as trained so far, where it is on the CPU (on the GPU: [`Training::weights`]).
    pub fn mlp(&self) -> Option<&Mlp> {
        match &self.engine {
            Engine::Cpu(trainer) => Some(trainer.mlp()),
            Engine::Distill(distiller) => Some(distiller.mlp()),
            Engine::Gpu { .. } => None,
        }
    }

    /// The network as trained so far with what it learned (and its class embedding, when the
    /// plan is conditional), where it is on the CPU.
    pub fn trained(&self) -> Option<TrainedNet> {
        match &self.engine {
            Engine::Cpu(trainer) => {
                Some(drawn_network(trainer.mlp().clone(), trainer.embedding().cloned(), self.plan.learning()))
            }
            Engine::Distill(distiller) => {
                Some(drawn_network(distiller.mlp().clone(), None, self.plan.learning()))
            }
            Engine::Gpu { .. } => None,
        }
    }

    /// The batch loss of the last step taken (NaN before the first), as one value; on the GPU
    /// it waits for the GPU to get there.
    pub fn loss(&self) -> PendingValues {
        match &self.engine {
            Engine::Cpu(trainer) => {
                PendingValues::Ready(vec![trainer.losses().last().copied().unwrap_or(f32::NAN)])
            }
            Engine::Distill(distiller) => {
                PendingValues::Ready(vec![distiller.losses().last().copied().unwrap_or(f32::NAN)])
            }
            Engine::Gpu { trainer, .. } => PendingValues::Gpu(trainer.read_losses()),
        }
    }

    /// The network's weights as trained so far (the layout of `core::mlp`), then the class
    /// embedding's rows when the plan is conditional ([`trained_from_weights`] reads both).
    pub fn weights(&self) -> PendingValues {
        match &self.engine {
            Engine::Cpu(trainer) => PendingValues::Ready(
                trainer
                    .mlp()
                    .weights
                    .iter()
                    .chain(trainer.embedding().map_or(&[][..], |e| &e.rows))
                    .copied()
                    .collect(),
            ),
            Engine::Distill(distiller) => PendingValues::Ready(distiller.mlp().weights.clone()),
            Engine::Gpu { trainer, .. } => PendingValues::Gpu(trainer.read_weights()),
        }
    }
}

/// The batch loss in `values` from [`Training::loss`]: the GPU hands back one loss per example
/// (their sum is the batch loss), the CPU the batch loss itself.
pub fn batch_loss(values: &[f32]) -> f32 {
    values.iter().sum()
}

/// A network from trained `weights` (from [`Training::weights`]): the weights of one of
/// `mlp::ARCHITECTURES`, all finite (a diverged run is refused with a message saying so).
pub fn network_from_weights(weights: Vec<f32>) -> Result<Mlp, String> {
    if Architecture::of_parameters(weights.len()).is_none() {
        let counts: Vec<String> = ARCHITECTURES.iter().map(|a| a.parameters().to_string()).collect();
        return Err(format!(
            "invalid option 'weights': a list of {} values is not allowed (allowed: exactly {} values)",
            weights.len(),
            counts.join(" or ")
        ));
    }
    if weights.iter().any(|w| !w.is_finite()) {
        return Err("the trained weights are not all finite (training diverged)".into());
    }
    Mlp::from_weights(weights).ok_or_else(|| "the weights do not fit the network".into())
}

/// The network (and class embedding) in trained `weights` (from [`Training::weights`]): a
/// network's weights (`mlp::ARCHITECTURES`), or those and the rows of a drawing's class
/// embedding (`drawing::DRAWING_CLASSES` and the null class) for a conditional one; all finite (a
/// diverged run is refused with a message saying so).
pub fn trained_from_weights(mut weights: Vec<f32>) -> Result<(Mlp, Option<ClassEmbedding>), String> {
    let rows = (drawing::DRAWING_CLASSES.len() + 1) * HIDDEN;
    let conditional =
        ARCHITECTURES.into_iter().find(|a| weights.len() == a.parameters() + rows).map(|a| a.parameters());
    let Some(parameters) = conditional else {
        return network_from_weights(weights).map(|mlp| (mlp, None));
    };
    let rows = weights.split_off(parameters);
    if rows.iter().any(|w| !w.is_finite()) {
        return Err("the trained class embedding is not all finite (training diverged)".into());
    }
    Ok((network_from_weights(weights)?, ClassEmbedding::from_rows(rows)))
}
