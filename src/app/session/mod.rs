//! One playground's simulation state, independent of where it runs: what is sampled (a built-in
//! dataset or a drawing, its exact score, the embedded network or one trained in the page), the
//! plan of the reverse run, how far it has got, and the particles (on the CPU or in a GPU buffer).
//!
//! The session is the one source of what is sampled: every view asks it (the analyses are its
//! methods, in [`crate::app::views`]) instead of rebuilding the target from part of the options.
//! Native code and tests use it directly; the wasm bindings wrap it with a canvas.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::app::cpu_work::{score_source_of, split_state, CpuWork, HISTORY_FLOATS};
use crate::app::options::{self, OptionError, Options, ScoreChoice, EMPIRICAL_POINTS};
use crate::app::training::{drawn_network, Learning, Training, TrainingPlan};
use crate::core::class_embedding::{ClassEmbedding, MAX_CLASSES};
use crate::core::classes;
use crate::core::coupling::Coupling;
use crate::core::dataset::Dataset;
use crate::core::dataset::GaussianMixture;
use crate::core::drawing;
use crate::core::embedded;
use crate::core::guidance;
use crate::core::histogram::{self, Bins};
use crate::core::mlp::{Architecture, Mlp, ARCHITECTURES, HIDDEN};
use crate::core::network_check;
use crate::core::param::{Coefficients, Parametrization};
use crate::core::posterior::{self, Observation};
use crate::core::posterior_guidance::{ObservationParams, PosteriorMethod};
use crate::core::rng;
use crate::core::runaway;
use crate::core::sampler::{self, NetFrame, ReverseStep, ScoreSource};
use crate::core::schedule::Schedule;
use crate::core::smc::{self, SmcState};
use crate::core::weights::TrainedNet;
use crate::gpu::readback::Readback;
use crate::gpu::{ComputeEngine, GpuError, MlpKernelConfig};

mod cpu_protocol;

/// Where the particles live.
pub enum Particles {
    /// In memory, moved by the core samplers.
    Cpu(Vec<[f32; 2]>),
    /// In a GPU buffer, moved by the WGSL kernels.
    Gpu(Box<ComputeEngine>),
}

/// Positions on their way back to the caller.
pub enum PendingPositions {
    /// Already on the CPU.
    Ready(Vec<[f32; 2]>),
    /// Being copied from the GPU.
    Gpu(Readback),
}

impl PendingPositions {
    /// Waits for the positions.
    pub async fn positions(self) -> Result<Vec<[f32; 2]>, GpuError> {
        match self {
            PendingPositions::Ready(points) => Ok(points),
            PendingPositions::Gpu(readback) => readback.points().await,
        }
    }
}

/// Histogram counts on their way back (see [`Session::histogram`]).
pub enum PendingCounts {
    /// Counted on the CPU.
    Ready(Vec<u32>),
    /// Being copied from the GPU.
    Gpu(Readback),
}

impl PendingCounts {
    /// Waits for the counts.
    pub async fn counts(self) -> Result<Vec<u32>, GpuError> {
        match self {
            PendingCounts::Ready(counts) => Ok(counts),
            PendingCounts::Gpu(readback) => readback.words().await,
        }
    }
}

/// The count of escaped particles on its way back from the GPU ([`Session::divergence`]).
pub struct PendingDivergence {
    readback: Option<Readback>,
    particles: usize,
    step: usize,
    steps: usize,
}

impl PendingDivergence {
    /// Waits for the count: why the run must stop, or `None` while every particle is finite.
    pub async fn message(self) -> Result<Option<String>, GpuError> {
        let Some(readback) = self.readback else {
            return Ok(None);
        };
        let escaped = readback.words().await?.first().copied().unwrap_or(0) as usize;
        Ok((escaped > 0).then(|| runaway::diverged_message(escaped, self.particles, self.step, self.steps)))
    }
}

/// Positions and predictions on their way back (see [`Session::predict`]).
pub struct PendingPredictions {
    positions: PendingPositions,
    predictions: PendingPositions,
}

impl PendingPredictions {
    /// Waits for both: (positions, predictions), in particle order.
    pub async fn get(self) -> Result<(Vec<[f32; 2]>, Vec<[f32; 2]>), GpuError> {
        Ok((self.positions.positions().await?, self.predictions.positions().await?))
    }
}

/// Seed of the training points whose exact score the `empirical` choice uses (fixed, so that
/// every link shows the same training set).
pub const EMPIRICAL_SEED: u32 = 7;

/// The mixture whose exact score the exact kernels evaluate for a built-in dataset: the dataset's
/// own distribution, or the empirical distribution of a small training set drawn from it. When
/// the run is guided toward a class, its components are marked (`core::classes::marked`): the
/// exact classifier comes from the same mixture. (With a drawing in use,
/// [`Session::score_mixture`] is the drawing's.)
pub fn score_mixture(options: &Options) -> GaussianMixture {
    match options.score {
        ScoreChoice::Empirical => {
            let points = options.dataset.sample(EMPIRICAL_SEED, EMPIRICAL_POINTS);
            GaussianMixture::empirical(&points).unwrap_or_else(|| options.dataset.mixture())
        }
        _ => marked_dataset(options).unwrap_or_else(|| options.dataset.mixture()),
    }
}

/// The dataset's mixture with the guided class marked, when the run is guided toward one.
fn marked_dataset(options: &Options) -> Option<GaussianMixture> {
    let class = options.guided_class()?;
    classes::marked(&options.dataset.mixture(), &classes::class_members(options.dataset, class))
}

/// The data distribution of a built-in dataset under `options`: the dataset's mixture, the
/// class conditional p_0(x | c) when the run is guided toward class c, or the posterior
/// p(x0 | y) when it conditions on a measurement.
pub fn target_mixture(options: &Options) -> GaussianMixture {
    let prior = marked_dataset(options)
        .and_then(|marked| classes::conditional(&marked))
        .unwrap_or_else(|| options.dataset.mixture());
    conditioned_target(options, prior)
}

/// `prior` conditioned on the options' measurement, if any: the posterior the run aims at.
fn conditioned_target(options: &Options, prior: GaussianMixture) -> GaussianMixture {
    match options.measurement() {
        Some(measurement) => posterior::posterior(&prior, &measurement),
        None => prior,
    }
}

/// `mixture` as the exact score evaluates it: its posterior under the options' measurement
/// when the run samples the exact posterior's score, else itself (DPS and PiGDM add the
/// likelihood to the prior's score).
fn conditioned_score_mixture(options: &Options, mixture: GaussianMixture) -> GaussianMixture {
    match (options.posterior, options.measurement()) {
        (PosteriorMethod::Exact, Some(measurement)) => posterior::posterior(&mixture, &measurement),
        _ => mixture,
    }
}

/// The likelihood term of a run (DPS or PiGDM), else none.
fn likelihood_of(options: &Options) -> ObservationParams {
    options
        .measurement()
        .map_or_else(ObservationParams::none, |m| ObservationParams::new(&m, options.posterior))
}

/// Refuses options that cannot run on the path chosen (the GPU when `on_gpu`), naming the field:
/// more particles than the CPU path takes; SMC, which resamples across particles (the CPU path
/// does) and needs a step that is one Gaussian kernel with fresh noise (`core::smc`). Run by
/// [`Session::new`]; the web layer runs it first to tell the page which field to fall back on.
pub fn check_for_path(options: &Options, on_gpu: bool) -> Result<(), OptionError> {
    if !on_gpu {
        options.check_cpu_particles()?;
    }
    if options.posterior != PosteriorMethod::Smc {
        return Ok(());
    }
    if on_gpu {
        return Err(OptionError {
            field: "posterior".into(),
            value: "\"smc\" on WebGPU".into(),
            allowed: "backend cpu; SMC resamples across particles, which the CPU path does".into(),
        });
    }
    let schedule = options.schedule;
    let times = options.run_times(schedule.t_max(), options.steps as usize);
    let plan = sampler::plan(schedule, NetFrame::eps(schedule), &options.sampler_settings(), &times);
    smc::check_plan(&plan).map_err(|allowed| OptionError {
        field: "sampler".into(),
        value: format!("{:?} with posterior smc", options.sampler.name()),
        allowed,
    })
}

/// What a run conditions on: a change reloads the mixtures and the data.
fn condition_of(options: &Options) -> (Option<usize>, PosteriorMethod, Option<Observation>) {
    (options.guided_class(), options.posterior, options.measurement())
}

/// The class-conditional network's embedding and the guided class, when `options` run
/// classifier-free guidance with `net`.
fn classifier_free<'a>(options: &Options, net: &'a TrainedNet) -> Option<(&'a ClassEmbedding, usize)> {
    if !needs_conditional_network(options) {
        return None;
    }
    Some((net.class_embedding.as_ref()?, options.guided_class()?))
}

/// True when `options` run classifier-free guidance with a network: the class-conditional one.
fn needs_conditional_network(options: &Options) -> bool {
    options.guidance == options::GuidanceChoice::Cfg && options.score == ScoreChoice::Mlp
}

/// The network a session on `options` samples with, when nothing was trained or loaded: the
/// dataset's class-conditional one for classifier-free guidance with the network, else the
/// dataset's for the schedule.
fn embedded_network(options: &Options) -> Result<TrainedNet, String> {
    let net = if needs_conditional_network(options) {
        embedded::conditional_net(options.dataset)
    } else {
        embedded::net_for(options.dataset, options.schedule)
    };
    net.map_err(|e| e.to_string())
}

/// Refuses `net` for `options` when they guide without a classifier and it has no class
/// embedding for the dataset's classes.
fn check_conditional_network(options: &Options, net: &TrainedNet) -> Result<(), String> {
    if !needs_conditional_network(options) {
        return Ok(());
    }
    let classes = options.class_list().len();
    match &net.class_embedding {
        Some(embedding) if embedding.classes() == classes => Ok(()),
        Some(embedding) => Err(format!(
            "invalid option 'guidance': \"cfg\" with score \"mlp\" needs a network conditioned on the {classes} \
             classes of {}; the network in use has {} (use guidance classifier, or score exact)",
            if options.classes_of_drawing { "a drawing" } else { options.dataset.name() },
            embedding.classes()
        )),
        None => Err(format!(
            "invalid option 'guidance': \"cfg\" with score \"mlp\" needs a class-conditional network; the network \
             in use ({}) is unconditional (use guidance classifier, or score exact)",
            if net.dataset == options.dataset { "loaded or trained here" } else { "loaded" }
        )),
    }
}

/// Refuses `options` that need the score of `net` when `net` was trained with an OT or
/// Schrödinger-bridge coupling (`core::coupling`): its marginals are not the noised data's, so
/// it has a velocity (an ODE every deterministic sampler integrates) but no score for a
/// stochastic sampler, classifier guidance or a posterior method to add to.
fn check_coupled_network(options: &Options, net: &TrainedNet) -> Result<(), String> {
    if net.coupling == Coupling::Independent || options.score != ScoreChoice::Mlp {
        return Ok(());
    }
    let why = format!(
        "the network in use was trained with the {} coupling: it has a velocity but no score",
        net.coupling.name()
    );
    let schedule = options.schedule;
    let times = options.run_times(schedule.t_max(), options.steps as usize);
    let plan = sampler::plan(schedule, NetFrame::of(net), &options.sampler_settings(), &times);
    if !plan.iter().all(|step| step.is_deterministic()) {
        return Err(format!(
            "invalid option 'sampler': {:?} draws noise and needs the score; {why} (use a deterministic sampler: \
             an ODE solver, DDIM with eta 0, no churn)",
            options.sampler.name()
        ));
    }
    if options.run_guidance().is_some() && options.guidance != options::GuidanceChoice::Cfg {
        return Err(format!(
            "invalid option 'guidance': {:?} adds to the score; {why}",
            options.guidance.name()
        ));
    }
    if options.posterior != PosteriorMethod::None {
        return Err(format!(
            "invalid option 'posterior': {:?} adds to the score; {why}",
            options.posterior.name()
        ));
    }
    Ok(())
}

/// [`check_conditional_network`] and [`check_coupled_network`]: whether `options` can run with `net`.
fn check_network_fits(options: &Options, net: &TrainedNet) -> Result<(), String> {
    check_conditional_network(options, net)?;
    check_coupled_network(options, net)
}

/// A drawing standing in for the dataset.
struct Drawing {
    points: Vec<[f32; 2]>,
    /// The class (stroke colour, an index of `drawing::DRAWING_CLASSES`) of every point.
    labels: Vec<usize>,
    mixture: GaussianMixture,
    /// The network trained on it, once there is one (class-conditional when it was trained on
    /// the stroke classes).
    net: Option<TrainedNet>,
    /// The flow `net` was reflowed (Liu et al. 2022) or distilled (Song et al. 2023) from, when
    /// it was trained here so: the race runs it beside `net` to show what that changed.
    teacher: Option<TrainedNet>,
}

impl Drawing {
    /// The learned score needs a network trained on the drawing (a class-conditional one for
    /// classifier-free guidance with it), and guidance a class the drawing has points of.
    fn check_score(&self, options: &Options) -> Result<(), String> {
        if options.score == ScoreChoice::Mlp && self.net.is_none() {
            return Err(
                "invalid option 'score': \"mlp\" is not allowed for a drawing without a trained network \
                 (allowed: exact or empirical until one is trained)"
                    .into(),
            );
        }
        if options.run_guidance().is_some() {
            let used = drawing::used_classes(&self.labels);
            let names: Vec<&str> = used.iter().map(|&c| drawing::DRAWING_CLASSES[c].name).collect();
            if !options.guided_class().is_some_and(|c| used.contains(&c)) {
                return Err(format!(
                    "invalid option 'class': {:?} is not a class of the drawing (allowed: {}, the colours it \
                     has points of)",
                    options.class.chars().take(40).collect::<String>(),
                    names.join(", ")
                ));
            }
        }
        if let Some(net) = &self.net {
            check_network_fits(options, net)?;
        }
        Ok(())
    }

    /// The drawing's mixture with the guided class marked (the exact classifier's), else as it is.
    fn score_prior(&self, options: &Options) -> GaussianMixture {
        options
            .guided_class()
            .and_then(|class| drawing::marked_mixture(&self.mixture, &self.labels, class))
            .unwrap_or_else(|| self.mixture.clone())
    }

    /// The drawing's distribution, or its class conditional p_0(x | c) when the run is guided.
    fn target_prior(&self, options: &Options) -> GaussianMixture {
        classes::conditional(&self.score_prior(options)).unwrap_or_else(|| self.mixture.clone())
    }
}

/// Bytes of a plain network in a share link ([`Session::network_link_bytes`]): the weight
/// format's header and [`crate::core::mlp::PARAMETERS`] half floats.
pub const NETWORK_LINK_BYTES: usize = crate::core::weights::HEADER_BYTES + 2 * crate::core::mlp::PARAMETERS;

/// Bytes of a network of `architecture` in a share link.
fn network_bytes(architecture: Architecture) -> usize {
    crate::core::weights::HEADER_BYTES + 2 * architecture.parameters()
}

/// True for the size of a network in a share link, of either architecture
/// (`mlp::ARCHITECTURES`): the header and its half floats; a class-conditional network's (one
/// more header word and (classes + 1) rows of half floats); or a coupled network's (four more
/// header words, with or without the rows; `core::weights`, version 4).
pub fn network_link_size(bytes: usize) -> bool {
    let row = 2 * HIDDEN;
    let rows_fit = |rows: usize| rows.is_multiple_of(row) && (2..=MAX_CLASSES + 1).contains(&(rows / row));
    ARCHITECTURES.into_iter().any(|architecture| {
        let network = network_bytes(architecture);
        let after = |extra_header: usize| bytes.checked_sub(network + extra_header);
        bytes == network
            || after(4).is_some_and(rows_fit)
            || after(16).is_some_and(|rows| rows == 0 || rows_fit(rows))
    })
}

/// Source of [`Session::revision`] numbers, shared by every session so that two sessions never
/// show the same number.
static NEXT_REVISION: AtomicU64 = AtomicU64::new(1);

fn next_revision() -> u64 {
    NEXT_REVISION.fetch_add(1, Ordering::Relaxed)
}

/// What [`Session::use_network_file`] read: what the network predicts, its schedule and the
/// built-in dataset it names (if any).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct LoadedNetwork {
    /// What it predicts.
    pub parametrization: Parametrization,
    /// The schedule it was trained on.
    pub schedule: Schedule,
    /// The dataset it was trained on, where the file names a built-in one.
    pub dataset: Option<Dataset>,
}

/// A playground's simulation.
pub struct Session {
    options: Options,
    /// A drawing replacing the dataset, if any.
    drawing: Option<Drawing>,
    /// The data distribution: the dataset's mixture, or the drawing's.
    target: GaussianMixture,
    /// The mixture whose exact score the exact choices evaluate (see [`score_mixture`]).
    mixture: GaussianMixture,
    /// The likelihood term DPS and PiGDM add (none otherwise).
    likelihood: ObservationParams,
    /// Changes whenever the options or what is sampled change.
    revision: u64,
    /// Changes with every new run (and so with every new revision): what work done elsewhere
    /// names to be taken back ([`Session::accept_cpu_steps`]).
    run_key: u64,
    /// A network loaded from a file (`core::safetensors_net`), used in place of the embedded ones
    /// (a drawing's own network still comes first).
    loaded: Option<TrainedNet>,
    net: TrainedNet,
    data: Vec<[f32; 2]>,
    /// Times of the current run's grid (`plan.len() + 1` of them).
    times: Vec<f64>,
    plan: Vec<ReverseStep>,
    /// Multistep history of each particle on the CPU path (the GPU keeps its own).
    history: Vec<sampler::History>,
    step_index: usize,
    current_t: f64,
    /// Where the current run's particles came from (to replay it: [`Session::run_start_points`]).
    run_start: RunStart,
    /// Threads the CPU path steps its particles on (natively; 1 in the page).
    cpu_threads: usize,
    /// The CPU particles before the latest batch of steps, where escaped ones are held
    /// (`core::runaway`); kept between batches so a frame allocates nothing.
    held: Vec<[f32; 2]>,
    /// The latest [`Session::step`] stopped because particles left the finite range
    /// (`core::runaway`): its error is that reason, not a failure of the step.
    diverged: bool,
    /// The weights of an SMC run (`posterior` smc), from its start.
    smc: Option<SmcState>,
    particles: Particles,
}

/// Where a run's particles start: all three are reproducible from the seed, the data and, for
/// given points, a copy.
#[derive(Clone, Debug, PartialEq)]
enum RunStart {
    /// The prior noise at t ([`sampler::prior`]).
    Prior(f64),
    /// The forward-noised data at t ([`sampler::forward_noise`]).
    Noised(f64),
    /// Points given by [`Session::start_from`].
    Points(Vec<[f32; 2]>),
}

impl Session {
    /// A session with particles at the prior noise, ready to run.
    pub fn new(options: Options, mut particles: Particles) -> Result<Session, String> {
        check_for_path(&options, matches!(particles, Particles::Gpu(_))).map_err(|e| e.to_string())?;
        let net = embedded_network(&options)?;
        let target = target_mixture(&options);
        let mixture = conditioned_score_mixture(&options, score_mixture(&options));
        let likelihood = likelihood_of(&options);
        let data = target.sample(options.seed, 0, options.particles as usize);
        if let Particles::Gpu(engine) = &mut particles {
            engine.set_weights(&net.mlp);
            engine.set_mixture(&mixture);
            engine.set_data(&data).map_err(|e| e.to_string())?;
        }
        let mut session = Session {
            options,
            drawing: None,
            target,
            mixture,
            likelihood,
            revision: next_revision(),
            run_key: 0,
            loaded: None,
            net,
            data,
            times: Vec::new(),
            plan: Vec::new(),
            history: Vec::new(),
            step_index: 0,
            current_t: 0.0,
            run_start: RunStart::Prior(0.0),
            cpu_threads: 1,
            held: Vec::new(),
            diverged: false,
            smc: None,
            particles,
        };
        session.reset()?;
        Ok(session)
    }

    /// The current options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The network in use: the embedded one for the dataset and schedule, or the one trained on
    /// the drawing in use.
    pub fn net(&self) -> &TrainedNet {
        &self.net
    }

    /// The data distribution being sampled: the dataset's Gaussian mixture, or the drawing's
    /// when one is in use. What the distance readout and the race measure against.
    pub fn target(&self) -> &GaussianMixture {
        &self.target
    }

    /// The classes a run may be guided toward: the dataset's, or while a drawing stands in for
    /// it the stroke classes it has points of.
    pub fn guidable_classes(&self) -> Vec<classes::DataClass> {
        match &self.drawing {
            Some(drawing) => drawing::used_classes(&drawing.labels)
                .into_iter()
                .map(|c| drawing::DRAWING_CLASSES[c])
                .collect(),
            None => classes::classes(self.options.dataset).to_vec(),
        }
    }

    /// The mixture whose exact score the `exact` and `empirical` choices evaluate: the target,
    /// or for `empirical` on a built-in dataset the empirical distribution of its training set.
    /// Its p_t is what the particles follow with an exact score.
    pub fn score_mixture(&self) -> &GaussianMixture {
        &self.mixture
    }

    /// Where the reverse run's score comes from: the network in use or the exact score of
    /// [`Session::score_mixture`], guided toward the options' class when they say so (the
    /// classifier exact, from the marked [`Session::score_mixture`]).
    pub fn score_source(&self) -> ScoreSource<'_> {
        score_source_of(
            self.options.score,
            &self.net.mlp,
            &self.mixture,
            self.guidance(),
            self.classifier_free(),
            &self.likelihood,
            self.options.posterior_scale,
        )
    }

    /// The class-conditional network's embedding and the class, when the run is guided without
    /// a classifier by the network (`guidance` cfg, `score` mlp).
    pub fn classifier_free(&self) -> Option<(&ClassEmbedding, usize)> {
        self.guidance()?;
        classifier_free(&self.options, &self.net)
    }

    /// The measurement's likelihood as DPS and PiGDM (and SMC's twist) evaluate it
    /// ([`ObservationParams::none`] without one).
    pub fn observation(&self) -> &ObservationParams {
        &self.likelihood
    }

    /// The prior's mixture whatever the run conditions on: the drawing's distribution, or
    /// [`score_mixture`] of the options (what DPS, PiGDM and SMC add their likelihood to).
    pub fn prior_mixture(&self) -> GaussianMixture {
        match &self.drawing {
            Some(drawing) => drawing.mixture.clone(),
            None => score_mixture(&self.options),
        }
    }

    /// The weights of the current SMC run (`posterior` smc): the ESS after each step and the
    /// resamplings so far.
    pub fn smc_state(&self) -> Option<&SmcState> {
        self.smc.as_ref()
    }

    /// The guidance of the run, when it is guided toward a class of the dataset (or of the
    /// drawing in use).
    pub fn guidance(&self) -> Option<guidance::Guidance> {
        self.options.guided_class().and(self.options.run_guidance())
    }

    /// The class the run is guided toward, if any.
    pub fn guided_class(&self) -> Option<classes::DataClass> {
        self.guidance()?;
        self.options.class_list().get(self.options.guided_class()?).copied()
    }

    /// A number that changes whenever the options or what is sampled change (a new dataset,
    /// drawing or network), and differs between sessions: a key for caching what a view derives
    /// from the session.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// True when the particles are on the GPU.
    pub fn on_gpu(&self) -> bool {
        matches!(self.particles, Particles::Gpu(_))
    }

    /// The GPU engine, when the particles are on the GPU.
    pub fn engine(&self) -> Option<&ComputeEngine> {
        match &self.particles {
            Particles::Gpu(engine) => Some(engine),
            Particles::Cpu(_) => None,
        }
    }

    /// The particles, when they are on the CPU.
    pub fn cpu_particles(&self) -> Option<&[[f32; 2]]> {
        match &self.particles {
            Particles::Cpu(points) => Some(points),
            Particles::Gpu(_) => None,
        }
    }

    /// Applies new options. Everything but the look of the dots restarts the run from the prior.
    /// A new dataset ends a drawing in use; other changes keep it (its distribution, network and
    /// data stand in for the dataset's).
    pub fn set_options(&mut self, mut next: Options) -> Result<(), String> {
        check_for_path(&next, self.on_gpu()).map_err(|e| e.to_string())?;
        let keeps_drawing = self.drawing.is_some() && next.dataset == self.options.dataset;
        // The class names one of the drawing's while it stays, else one of the dataset's.
        next.classes_of_drawing = keeps_drawing;
        if next.run_guidance().is_some() && next.guided_class().is_none() && !keeps_drawing {
            let names: Vec<&str> = next.class_list().iter().map(|c| c.name).collect();
            return Err(format!(
                "invalid option 'class': {:?} is not a class of {} (allowed: {})",
                next.class.chars().take(40).collect::<String>(),
                next.dataset.name(),
                names.join(", ")
            ));
        }
        if let Some(loaded) = self.loaded.as_ref().filter(|_| !keeps_drawing || !self.drawing_has_network()) {
            check_network_fits(&next, loaded)?;
        }
        if keeps_drawing {
            if let Some(drawing) = &self.drawing {
                drawing.check_score(&next)?;
            }
        }
        let previous = std::mem::replace(&mut self.options, next.clone());
        if !keeps_drawing && self.drawing.take().is_some() {
            // Back to the dataset: everything derived from the drawing is replaced.
            self.load_target(true, true, true)?;
        } else {
            let condition_changed = condition_of(&previous) != condition_of(&next);
            self.load_target(
                (previous.dataset, previous.schedule) != (next.dataset, next.schedule)
                    || needs_conditional_network(&previous) != needs_conditional_network(&next),
                (previous.dataset, previous.score) != (next.dataset, next.score) || condition_changed,
                (previous.dataset, previous.particles, previous.seed)
                    != (next.dataset, next.particles, next.seed)
                    || condition_changed,
            )?;
        }
        let only_look_changed =
            Options { point_size: previous.point_size, palette: previous.palette, ..next } == previous;
        if !only_look_changed {
            self.revision = next_revision();
            self.reset()?;
        }
        Ok(())
    }

    /// Replaces the dataset by a drawing (see `core::drawing`): its distribution gives the exact
    /// score and the data, and `mlp` (trained on it with `drawing::DRAWN_SCHEDULE`), when given,
    /// is the network. Without one, the score must be the exact one. Restarts the run.
    pub fn use_drawing(&mut self, points: &[[f32; 2]], mlp: Option<Mlp>) -> Result<(), String> {
        self.use_drawing_learned(points, mlp.map(|mlp| (mlp, Learning::DEFAULT)))
    }

    /// [`Session::use_drawing`] with a network that learned `learning`'s objective on its
    /// schedule (a network trained in the page with another objective or schedule).
    pub fn use_drawing_learned(
        &mut self,
        points: &[[f32; 2]],
        net: Option<(Mlp, Learning)>,
    ) -> Result<(), String> {
        self.use_labelled_drawing(points, &[], net.map(|(mlp, learning)| drawn_network(mlp, None, learning)))
    }

    /// Replaces the dataset by a drawing whose point i has class `labels[i]` (an index of
    /// `drawing::DRAWING_CLASSES`; no labels: every point in the first), with `net` trained on
    /// it ([`drawn_network`]), if any. A run guided toward a class keeps its guidance, toward
    /// the drawing's first class unless it names one the drawing has. Restarts the run.
    pub fn use_labelled_drawing(
        &mut self,
        points: &[[f32; 2]],
        labels: &[u32],
        net: Option<TrainedNet>,
    ) -> Result<(), String> {
        let mixture = drawing::drawn_mixture(points)?;
        let labels = drawing::drawn_labels(points, labels)?;
        let net = net.map(|net| TrainedNet { dataset: self.options.dataset, ..net });
        let drawing = Drawing { points: points.to_vec(), labels, mixture, net, teacher: None };
        let mut options = Options { classes_of_drawing: true, ..self.options.clone() };
        if options.run_guidance().is_some() {
            let used = drawing::used_classes(&drawing.labels);
            if !options.guided_class().is_some_and(|c| used.contains(&c)) {
                options.class = drawing::DRAWING_CLASSES[used[0]].name.into();
            }
        }
        drawing.check_score(&options)?;
        self.options = options;
        self.drawing = Some(drawing);
        self.load_target(true, true, true)?;
        self.revision = next_revision();
        self.reset()
    }

    /// Replaces the dataset by the drawing `training` trains on (with its classes) and the
    /// network as trained so far, where it trains on the CPU ([`Session::use_labelled_drawing`]).
    pub fn use_trained_drawing(&mut self, training: &Training) -> Result<(), String> {
        self.use_planned_drawing(training.plan(), training.trained())
    }

    /// Replaces the dataset by the drawing `plan` trains on (with its classes) and `net`, the
    /// network it trained ([`Session::use_labelled_drawing`]); the teacher of a reflow or a
    /// distillation stays beside it ([`Session::teacher_flow`]).
    pub fn use_planned_drawing(
        &mut self,
        plan: &TrainingPlan,
        net: Option<TrainedNet>,
    ) -> Result<(), String> {
        let labels: Vec<u32> = plan.labels.iter().map(|&l| l as u32).collect();
        self.use_labelled_drawing(&plan.points, &labels, net)?;
        if let Some(drawing) = self.drawing.as_mut() {
            drawing.teacher = plan.teacher.clone();
        }
        Ok(())
    }

    /// The flow the drawing's network was reflowed or distilled from, when a reflow or a
    /// distillation here trained it (a link or file carries the network alone).
    pub fn teacher_flow(&self) -> Option<&TrainedNet> {
        self.drawing.as_ref().and_then(|d| d.teacher.as_ref())
    }

    /// The class of every drawn point (indices of `drawing::DRAWING_CLASSES`), if a drawing
    /// replaces the dataset.
    pub fn drawing_labels(&self) -> Option<&[usize]> {
        self.drawing.as_ref().map(|d| d.labels.as_slice())
    }

    /// Uses `net` (read from a file) as the network in place of the embedded one, whatever the
    /// dataset and schedule (other schedules use it through the log-SNR). Restarts the run.
    pub fn use_network(&mut self, net: TrainedNet) -> Result<(), String> {
        network_check::check(&net).map_err(|e| e.to_string())?;
        check_network_fits(&self.options, &net)?;
        self.loaded = Some(net);
        self.load_target(true, false, false)?;
        self.revision = next_revision();
        self.reset()
    }

    /// Uses the network in the safetensors `bytes` (at most
    /// [`network_file::MAX_NETWORK_FILE_BYTES`](crate::app::network_file::MAX_NETWORK_FILE_BYTES))
    /// like [`Session::use_network`], on the file's dataset where it names one, else the
    /// session's. Returns what the file says it is; a malformed file is refused with what is
    /// wrong, and the network in use stays.
    pub fn use_network_file(&mut self, bytes: &[u8]) -> Result<LoadedNetwork, String> {
        let max = crate::app::network_file::MAX_NETWORK_FILE_BYTES;
        if bytes.len() as u64 > max {
            return Err(format!(
                "the file is {} bytes; a network file is about 24 KB (at most {max})",
                bytes.len()
            ));
        }
        let imported = crate::core::safetensors_net::from_bytes(bytes)?;
        let loaded = LoadedNetwork {
            parametrization: imported.parametrization,
            schedule: imported.schedule,
            dataset: imported.dataset,
        };
        let dataset = self.options.dataset;
        self.use_network(imported.into_trained(dataset))?;
        Ok(loaded)
    }

    /// The network in use in the compact form a share link carries (`TrainedNet::to_bytes`:
    /// the weight format of `weights/`, half floats, [`NETWORK_LINK_BYTES`] bytes), when it is
    /// not an embedded one (every page has those): the drawing's trained network, or one loaded
    /// from a file. `None` otherwise.
    pub fn network_link_bytes(&self) -> Option<Vec<u8>> {
        let net = self.drawing.as_ref().and_then(|d| d.net.as_ref()).or(self.loaded.as_ref())?;
        Some(net.to_bytes())
    }

    /// Uses the network of a share link (`TrainedNet::from_bytes`): as the drawing's network
    /// when a drawing is in use (with what it learned: its parametrization and schedule), else
    /// in place of the embedded one ([`Session::use_network`]). Returns what it is; malformed
    /// bytes are refused with what is wrong, and the network in use stays.
    pub fn use_network_link_bytes(&mut self, bytes: &[u8]) -> Result<LoadedNetwork, String> {
        if !network_link_size(bytes.len()) {
            return Err(format!(
                "the network in the link is {} bytes; a network is {NETWORK_LINK_BYTES} or {} bytes ({} or {} half floats and a header)",
                bytes.len(),
                network_bytes(Architecture::FOURIER),
                Architecture::PLAIN.parameters(),
                Architecture::FOURIER.parameters()
            ));
        }
        let net = TrainedNet::from_bytes(bytes).map_err(|e| e.to_string())?;
        let loaded =
            LoadedNetwork { parametrization: net.parametrization, schedule: net.schedule, dataset: None };
        match &self.drawing {
            Some(drawing) => {
                network_check::check(&net).map_err(|e| e.to_string())?;
                let points = drawing.points.clone();
                let labels: Vec<u32> = drawing.labels.iter().map(|&l| l as u32).collect();
                self.use_labelled_drawing(&points, &labels, Some(net))?;
            }
            None => self.use_network(net)?,
        }
        Ok(loaded)
    }

    /// The network in use as a safetensors file (`core::safetensors_net`), with what it learned:
    /// the drawing's network names "drawing" as its dataset.
    pub fn network_file(&self) -> Vec<u8> {
        let dataset = if self.drawing_has_network() { "drawing" } else { self.net.dataset.name() };
        // The network as trained (a class-conditional one with its embedding), not as folded
        // for an unguided run.
        let net =
            self.drawing.as_ref().and_then(|d| d.net.as_ref()).or(self.loaded.as_ref()).unwrap_or(&self.net);
        crate::core::safetensors_net::to_bytes(net, dataset)
    }

    /// True when a drawing is in use and a network has been trained on it.
    pub fn drawing_has_network(&self) -> bool {
        self.drawing.as_ref().is_some_and(|d| d.net.is_some())
    }

    /// The network trained on the drawing in use, if there is one.
    pub fn drawing_network(&self) -> Option<&TrainedNet> {
        self.drawing.as_ref().and_then(|d| d.net.as_ref())
    }

    /// The drawn points in use, if a drawing replaces the dataset.
    pub fn drawing_points(&self) -> Option<&[[f32; 2]]> {
        self.drawing.as_ref().map(|d| d.points.as_slice())
    }

    /// Reloads what the target supplies (the drawing's, or the dataset's): the network, the
    /// score's mixture and the data, each when asked; uploads them to the GPU.
    fn load_target(&mut self, net: bool, mixture: bool, data: bool) -> Result<(), String> {
        let options = &self.options;
        if net {
            let source = match (self.drawing.as_ref().and_then(|d| d.net.clone()), &self.loaded) {
                (Some(trained), _) => trained,
                (None, Some(loaded)) => loaded.clone(),
                (None, None) => embedded_network(options)?,
            };
            // Only classifier-free guidance reads the class embedding; every other run samples
            // with the unconditional network (the null class folded in).
            self.net = if needs_conditional_network(options) { source } else { source.unconditional() };
        }
        if mixture || data {
            self.target = match &self.drawing {
                Some(drawing) => conditioned_target(options, drawing.target_prior(options)),
                None => target_mixture(options),
            };
        }
        if mixture {
            let unconditioned = match &self.drawing {
                Some(drawing) => drawing.score_prior(options),
                None => score_mixture(options),
            };
            self.mixture = conditioned_score_mixture(options, unconditioned);
        }
        self.likelihood = likelihood_of(options);
        if data {
            self.data = self.target.sample(options.seed, 0, options.particles as usize);
        }
        if let Particles::Gpu(engine) = &mut self.particles {
            if net {
                engine.set_weights(&self.net.mlp);
            }
            if mixture {
                engine.set_mixture(&self.mixture);
            }
            if data {
                engine.set_data(&self.data).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Particles back to the prior noise x_T = temperature sigma(t_max) z, run restarted.
    pub fn reset(&mut self) -> Result<(), String> {
        let schedule = self.options.schedule;
        let t_start = schedule.t_max();
        let (temperature, seed) = (self.options.temperature, self.options.seed);
        match &mut self.particles {
            Particles::Cpu(points) => {
                *points = sampler::prior_at_temperature(
                    schedule,
                    t_start,
                    temperature,
                    seed,
                    self.options.particles as usize,
                )
            }
            Particles::Gpu(engine) => engine
                .noise(0.0, (temperature * schedule.sigma(t_start)) as f32, seed, rng::stream::PRIOR)
                .map_err(|e| e.to_string())?,
        }
        self.start_run(t_start, self.options.steps as usize);
        self.run_start = RunStart::Prior(t_start);
        Ok(())
    }

    /// Restarts the run from t_max with the given particles instead of the prior noise.
    pub fn start_from(&mut self, points: &[[f32; 2]]) -> Result<(), String> {
        if points.len() != self.data.len() {
            return Err(OptionError {
                field: "points".into(),
                value: format!("{} points", points.len()),
                allowed: format!("{} points, one per particle", self.data.len()),
            }
            .to_string());
        }
        if let Some(at) = points.iter().position(|&p| runaway::escaped(p)) {
            return Err(OptionError {
                field: "points".into(),
                value: format!("point {at} at ({}, {})", points[at][0], points[at][1]),
                allowed: format!("finite points within ±{:e}", runaway::RUNAWAY_COORDINATE),
            }
            .to_string());
        }
        self.reset()?;
        match &mut self.particles {
            Particles::Cpu(current) => current.copy_from_slice(points),
            Particles::Gpu(engine) => engine.write_particles(points).map_err(|e| e.to_string())?,
        }
        self.run_start = RunStart::Points(points.to_vec());
        Ok(())
    }

    /// Shows the forward-noised data x_t = alpha_t x_0 + sigma_t eps at the fraction `u` in [0, 1] of
    /// the schedule's time range ([`crate::core::schedule::Schedule::time_at_fraction`]); a later [`Session::step`]
    /// continues the reverse run from there (from t_max where t is above it).
    pub fn noise_to(&mut self, u: f64) -> Result<(), String> {
        options::check_real("t", u, 0.0, 1.0).map_err(|e| e.to_string())?;
        let schedule = self.options.schedule;
        let t = Self::start_time_at_fraction(schedule, u);
        match &mut self.particles {
            Particles::Cpu(points) => {
                *points = sampler::forward_noise(schedule, t, self.options.seed, &self.data)
            }
            Particles::Gpu(engine) => engine
                .noise(
                    schedule.alpha(t) as f32,
                    schedule.sigma(t) as f32,
                    self.options.seed,
                    rng::stream::FORWARD,
                )
                .map_err(|e| e.to_string())?,
        }
        let t_start = t.min(schedule.t_max());
        // Steps in proportion to the part of the run left, measured as the slider measures it.
        let fraction = schedule.fraction_of_time(t_start) / schedule.fraction_of_time(schedule.t_max());
        let steps = (self.options.steps as f64 * fraction).ceil() as usize;
        self.start_run(t_start, steps);
        self.current_t = t;
        self.run_start = RunStart::Noised(t);
        Ok(())
    }

    /// The first `n` particles (at most all of them) where the current run started, computed on
    /// the CPU from the seed and the data as `reset`, `noise_to` and `start_from` made them.
    pub fn run_start_points(&self, n: usize) -> Vec<[f32; 2]> {
        let n = n.min(self.data.len());
        let (schedule, seed) = (self.options.schedule, self.options.seed);
        match &self.run_start {
            RunStart::Prior(t) => {
                sampler::prior_at_temperature(schedule, *t, self.options.temperature, seed, n)
            }
            RunStart::Noised(t) => sampler::forward_noise(schedule, *t, seed, &self.data[..n]),
            RunStart::Points(points) => points[..n].to_vec(),
        }
    }

    /// Runs the GPU's MLP kernels in `shape` from now on (a measured choice,
    /// `app::kernel_tuning`): the same particles, in less time where the adapter favours it.
    /// Errs on the CPU path and where the device cannot run the shape.
    pub fn set_mlp_kernel_shape(&mut self, shape: MlpKernelConfig) -> Result<(), String> {
        match &mut self.particles {
            Particles::Gpu(engine) => engine.set_mlp_config(shape).map_err(|e| e.to_string()),
            Particles::Cpu(_) => {
                Err("the MLP kernels' shape applies to the GPU path; this run is on the CPU".into())
            }
        }
    }

    /// The shape the GPU's MLP kernels run in now (`None` on the CPU path).
    pub fn mlp_kernel_shape(&self) -> Option<MlpKernelConfig> {
        self.engine().map(ComputeEngine::running_mlp_config)
    }

    /// Steps the CPU path on `threads` threads (natively; at least 1): the same particles, bit
    /// for bit, in less time on a machine with the cores (`sampler::run_threaded`).
    pub fn set_cpu_threads(&mut self, threads: usize) {
        self.cpu_threads = threads.max(1);
    }

    /// The steps of the current run.
    pub fn plan(&self) -> &[ReverseStep] {
        &self.plan
    }

    /// Whether the current run draws noise (a stochastic sampler, DDIM with eta > 0, churn):
    /// such a run needs a score, and its paths have no straightness.
    pub fn draws_noise(&self) -> bool {
        !self.plan.iter().all(|step| step.is_deterministic())
    }

    /// The times of the current run's frames: `plan().len() + 1` of them, from where it starts
    /// to where it ends.
    pub fn run_times(&self) -> &[f64] {
        &self.times
    }

    /// The time [`Session::noise_to`] shows for the fraction `u`: [`Schedule::time_at_fraction`],
    /// except that a fraction above 0 but below [`Schedule::min_start_fraction`] (noise too small
    /// to exist in f32) starts at [`Schedule::min_start_time`]; u = 0 is the data itself.
    pub fn start_time_at_fraction(schedule: Schedule, u: f64) -> f64 {
        let t = schedule.time_at_fraction(u);
        if u > 0.0 && t < schedule.min_start_time() {
            schedule.min_start_time()
        } else {
            t
        }
    }

    fn start_run(&mut self, t_start: f64, steps: usize) {
        let options = &self.options;
        let schedule = options.schedule;
        self.times = if steps == 0 || t_start <= schedule.t_min() {
            vec![t_start]
        } else {
            options.run_times(t_start, steps)
        };
        let settings = options.sampler_settings();
        self.plan = sampler::plan(schedule, NetFrame::of(&self.net), &settings, &self.times);
        // Only the CPU path keeps history here; the GPU engine clears its own in `set_plan`.
        let cpu_particles = if self.on_gpu() { 0 } else { self.data.len() };
        let guidance = self.guidance();
        let likelihood = self.likelihood;
        self.smc = (options.posterior == PosteriorMethod::Smc).then(|| SmcState::new(cpu_particles));
        self.history = sampler::empty_history(cpu_particles);
        self.step_index = 0;
        self.current_t = t_start;
        self.run_key = next_revision();
        let classifier_free = self.classifier_free().map(|(embedding, class)| (embedding.clone(), class));
        if let Particles::Gpu(engine) = &mut self.particles {
            let biases = match (options.score.is_learned(), &classifier_free) {
                (true, Some((embedding, class))) => {
                    sampler::classifier_free_hidden_biases(&self.net.mlp, embedding, *class, &self.plan)
                }
                (true, None) => sampler::hidden_biases(&self.net.mlp, &self.plan),
                (false, _) => Vec::new(),
            };
            let rows = if classifier_free.is_some() { 4 } else { 2 };
            debug_assert!(biases.is_empty() || biases.len() == rows * self.plan.len() * HIDDEN);
            engine.set_plan(&self.plan, &biases);
            engine.set_classifier_free(classifier_free.is_some());
            engine.set_observation(&likelihood);
            let guidance = match likelihood.guides() {
                true => Some(guidance::Guidance::everywhere(options.posterior_scale)),
                false => guidance,
            };
            if let Some(guidance) = guidance {
                let weights = guidance::guidance_weights(&self.plan, Some(&guidance));
                engine.set_guidance_weights(&weights).expect("two weights per step of the plan just set");
            }
        }
    }

    /// Advances the reverse run by up to `n` steps; returns how many were taken (0 when done).
    pub fn step(&mut self, n: u32) -> Result<u32, String> {
        self.diverged = false;
        let count = (n as usize).min(self.plan.len() - self.step_index);
        if count == 0 {
            return Ok(0);
        }
        let range = self.step_index..self.step_index + count;
        let seed = self.options.seed;
        let guidance = self.guidance();
        if let Particles::Cpu(points) = &self.particles {
            self.held.clone_from(points);
        }
        match &mut self.particles {
            Particles::Cpu(points) if self.smc.is_some() => {
                let state = self.smc.as_mut().expect("an SMC run has its weights");
                let prior = self.options.score.source(&self.net.mlp, &self.mixture);
                // The last step ends the run: a final weighting at t_min and equal weights.
                let last = (range.end == self.plan.len()).then(|| {
                    let t = self.times[range.end].max(self.options.schedule.t_min());
                    sampler::evaluation(self.options.schedule, NetFrame::of(&self.net), t)
                });
                let steps = &self.plan[range.clone()];
                let scale = self.options.posterior_scale as f32;
                smc::run(prior, &self.likelihood, scale, steps, points, state, seed, last);
            }
            Particles::Cpu(points) => {
                let source = score_source_of(
                    self.options.score,
                    &self.net.mlp,
                    &self.mixture,
                    guidance,
                    classifier_free(&self.options, &self.net),
                    &self.likelihood,
                    self.options.posterior_scale,
                );
                let steps = &self.plan[range.clone()];
                sampler::run_threaded(source, steps, points, &mut self.history, seed, 0, self.cpu_threads);
            }
            Particles::Gpu(engine) => {
                let kind = self.options.score.kernel();
                engine.reverse(kind, seed, range.start as u32, count as u32).map_err(|e| e.to_string())?;
            }
        }
        let escaped = match &mut self.particles {
            Particles::Cpu(points) => runaway::contain(points, &self.held),
            _ => 0,
        };
        self.step_index = range.end;
        self.current_t = self.times[self.step_index];
        self.diverged = escaped > 0;
        self.stop_if_escaped(escaped)?;
        Ok(count as u32)
    }

    /// Whether the latest [`Session::step`] was stopped because particles left the finite range
    /// (its error then says how many, and by which step), rather than failing.
    pub fn diverged(&self) -> bool {
        self.diverged
    }

    /// Why the run was stopped, once it is known: on the GPU the reverse steps hold the
    /// particles that escaped (`core::runaway`, `shaders/contain_escaped.wgsl`) and count them;
    /// this copies the count back and resolves to the message when any did (`None` otherwise).
    /// On the CPU path [`Session::step`] says so at once, so this resolves to `None`.
    pub fn divergence(&self) -> Result<PendingDivergence, String> {
        let readback = match &self.particles {
            Particles::Gpu(engine) => Some(engine.read_escaped().map_err(|e| e.to_string())?),
            Particles::Cpu(_) => None,
        };
        Ok(PendingDivergence {
            readback,
            particles: self.options.particles as usize,
            step: self.step_index,
            steps: self.plan.len(),
        })
    }

    /// After a batch of steps in which `escaped` particles left the finite range (and were held
    /// where they were, `core::runaway`): an error that says so, when there were any.
    fn stop_if_escaped(&self, escaped: usize) -> Result<(), String> {
        if escaped == 0 {
            return Ok(());
        }
        let particles = self.options.particles as usize;
        Err(runaway::diverged_message(escaped, particles, self.step_index, self.plan.len()))
    }

    /// Time of the particles now, in the schedule's own units.
    pub fn current_t(&self) -> f64 {
        self.current_t
    }

    /// [`Session::current_t`] as a fraction of the schedule's time range (what the slider shows).
    pub fn time_fraction(&self) -> f64 {
        self.options.schedule.fraction_of_time(self.current_t)
    }

    /// Network evaluations per particle in the current run so far.
    pub fn evaluations(&self) -> usize {
        self.plan[..self.step_index].iter().map(ReverseStep::evaluations).sum()
    }

    /// Steps done in the current run.
    pub fn step_index(&self) -> usize {
        self.step_index
    }

    /// Steps of the current run.
    pub fn total_steps(&self) -> usize {
        self.plan.len()
    }

    /// True when the run has reached the end of the schedule (t_min).
    pub fn done(&self) -> bool {
        self.step_index == self.plan.len()
    }

    /// Starts computing what the score source predicts at the first `limit` particles now, in
    /// the parametrization `target` (for x0: the Tweedie denoised "ghost" of each particle), on
    /// the GPU (`shaders/predict_*.wgsl`, which evaluates every particle; only `limit` come back)
    /// or the CPU (`sampler::predict`). Resolves to (positions, predictions). Where a conversion is
    /// undefined (x0 where alpha = 0) the values are not finite; callers skip those.
    pub fn predict(&self, target: Parametrization, limit: usize) -> Result<PendingPredictions, String> {
        let schedule = self.options.schedule;
        // The run's clock can sit a hair outside the domain after rounding; clamp into it.
        let t = self.current_t.clamp(schedule.t_min(), schedule.t_max());
        let evaluation = sampler::evaluation(schedule, NetFrame::of(&self.net), t);
        let coefficients = Coefficients::at(schedule, t);
        let limit_u32 = u32::try_from(limit).unwrap_or(u32::MAX);
        match &self.particles {
            Particles::Cpu(points) => {
                let points = &points[..limit.min(points.len())];
                let predictions =
                    sampler::predict(self.score_source(), evaluation, &coefficients, target, points);
                Ok(PendingPredictions {
                    positions: PendingPositions::Ready(points.to_vec()),
                    predictions: PendingPositions::Ready(predictions),
                })
            }
            Particles::Gpu(engine) => {
                let kind = self.options.score.kernel();
                let plain = self.net.mlp.hidden_bias(evaluation.t_net);
                // Classifier-free guidance reads the class's row and then the null class's.
                let bias: Vec<f32> = match self.classifier_free() {
                    Some((embedding, class)) => [class, embedding.null()]
                        .into_iter()
                        .flat_map(|c| embedding.shifted(plain, c))
                        .collect(),
                    None => plain.to_vec(),
                };
                let weight = match self.likelihood.guides() {
                    true => self.options.posterior_scale as f32,
                    false => self.guidance().map_or(0.0, |g| g.weight(&evaluation)),
                };
                let gpu = |e: GpuError| e.to_string();
                engine.predict(kind, &evaluation, &coefficients, target, &bias, weight).map_err(gpu)?;
                Ok(PendingPredictions {
                    positions: PendingPositions::Gpu(engine.read_first_particles(limit_u32).map_err(gpu)?),
                    predictions: PendingPositions::Gpu(engine.read_predictions(limit_u32).map_err(gpu)?),
                })
            }
        }
    }

    /// Starts counting the particles per bin of `bins`: on the GPU with `histogram.wgsl` (only
    /// the counts come back), on the CPU with its twin.
    pub fn histogram(&self, bins: &Bins) -> Result<PendingCounts, String> {
        options::check_integer("side", bins.side, 1, histogram::MAX_SIDE).map_err(|e| e.to_string())?;
        match &self.particles {
            Particles::Cpu(points) => Ok(PendingCounts::Ready(histogram::histogram(points, bins))),
            Particles::Gpu(engine) => {
                engine.histogram(bins).map(PendingCounts::Gpu).map_err(|e| e.to_string())
            }
        }
    }

    /// Starts reading the positions back.
    pub fn read_positions(&self) -> Result<PendingPositions, String> {
        self.read_first_positions(usize::MAX)
    }

    /// Starts reading the first `limit` positions back (all when there are fewer).
    pub fn read_first_positions(&self, limit: usize) -> Result<PendingPositions, String> {
        match &self.particles {
            Particles::Cpu(points) => Ok(PendingPositions::Ready(points[..limit.min(points.len())].to_vec())),
            Particles::Gpu(engine) => engine
                .read_first_particles(u32::try_from(limit).unwrap_or(u32::MAX))
                .map(PendingPositions::Gpu)
                .map_err(|e| e.to_string()),
        }
    }
}
