//! The bindings the first frame does not need, compiled with the `full` feature only: the views'
//! measurements, training, export, data and network files. The page draws its first frame with
//! the module built without them (`cargo xtask build-wasm` builds both; `www/js/wasm-module.js`
//! loads the small one first), then moves onto the full module. Conversion only, as in
//! [`super::bindings`].

use serde::Serialize;
use wasm_bindgen::prelude::*;

use super::bindings::*;
use crate::app::data_file;
use crate::app::likelihood::PriorChoice;
use crate::app::options::{self, Options};
use crate::app::peer_plan::PeerPlan;
use crate::app::picture_data;
use crate::app::python_export;
use crate::app::sample_files;
use crate::app::training::{self, Learning, Training, TrainingPlan};
use crate::core::histogram::{self, Bins};
use crate::core::metrics;
use crate::core::param::Parametrization;
use crate::core::render;

/// The data file `bytes` called `name` (CSV or TSV, NumPy .npy, or the drawing JSON) as a
/// drawing: its points fitted into the picture and cut to a drawing's limit, their classes, and
/// a notice for each change (`app::data_file::load`); a file that cannot be read is refused with
/// what is wrong.
#[wasm_bindgen(unchecked_return_type = "LoadedData")]
pub fn load_data(bytes: &[u8], name: &str) -> Result<JsValue, JsError> {
    to_js(&data_file::load(bytes, name).map_err(js_error)?)
}

/// The fewest evaluations among a racer's laps (`evaluations[i]` with `distances[i]`) whose
/// distance is within `core::race::REACHED_FLOOR_FACTOR` of `floor`, or undefined when none is
/// (`race::evaluations_to_floor`).
#[wasm_bindgen]
pub fn evaluations_to_floor(evaluations: &[u32], distances: &[f64], floor: f64) -> Option<u32> {
    let laps: Vec<(usize, f64)> = evaluations.iter().zip(distances).map(|(&e, &d)| (e as usize, d)).collect();
    crate::core::race::evaluations_to_floor(&laps, floor).map(|e| e as u32)
}

/// The first `n` training pairs (data point, noise) of a run from `seed` on the drawing `points`
/// (classes `labels`) learning `objective` on `schedule` with `coupling`, interleaved x0.x, x0.y, eps.x,
/// eps.y (`TrainingPlan::first_pairs`): what the drawing panel draws.
#[wasm_bindgen]
pub fn training_pairs(
    points: &[f32],
    labels: &[u32],
    objective: &str,
    schedule: &str,
    coupling: &str,
    seed: u32,
    n: u32,
) -> Result<Vec<f32>, JsValue> {
    let learning = learning(objective, schedule, coupling)?;
    let batch = n.clamp(1, crate::app::training::MAX_TRAIN_BATCH);
    let plan = TrainingPlan::for_labelled_drawing(
        &self::points("points", points)?,
        labels,
        1,
        batch,
        seed,
        learning,
    )
    .map_err(js_error)?;
    Ok(plan.first_pairs(n))
}

/// The picture (or rendered word) called `name` as a drawing: the RGBA `pixels` of `width` x
/// `height` (at most `describe().drawing.max_picture_side` on a side), points drawn from their
/// ink and their colours as classes (`app::picture_data::from_pixels`).
#[wasm_bindgen(unchecked_return_type = "LoadedData")]
pub fn picture_data(pixels: &[u8], width: u32, height: u32, name: &str) -> Result<JsValue, JsError> {
    to_js(&picture_data::from_pixels(pixels, width, height, name).map_err(js_error)?)
}

/// The network and plan of a reverse run for peers in the benchmark (`app::peer_plan`).
#[wasm_bindgen(unchecked_return_type = "PeerPlan")]
pub fn peer_plan(
    #[wasm_bindgen(unchecked_param_type = "OptionValues")] options: JsValue,
) -> Result<JsValue, JsError> {
    let options = Options::default().merged(&raw_options(&options)?).map_err(js_error)?;
    to_js(&PeerPlan::for_options(&options).map_err(js_error)?)
}

/// `n` fresh samples of the built-in dataset `name` (interleaved x, y).
#[wasm_bindgen]
pub fn dataset_sample(name: &str, seed: u32, n: u32) -> Result<Vec<f32>, JsError> {
    let dataset = options_with(&[("dataset", name)])?.dataset;
    options::check_integer("n", n, 1, options::MAX_PARTICLES).map_err(js_error)?;
    Ok(flat(&dataset.sample(seed, n as usize)))
}

/// Total variation distance between a histogram of `total` particles and bin probabilities of
/// the same grid (`core::histogram::total_variation`).
#[wasm_bindgen]
pub fn total_variation(counts: &[u32], total: u32, probabilities: &[f32]) -> Result<f64, JsError> {
    options::check_length("probabilities", probabilities.len(), counts.len()).map_err(js_error)?;
    Ok(histogram::total_variation(counts, total as usize, probabilities))
}

/// Sliced 2-Wasserstein distance between two point sets given as interleaved x, y arrays.
/// Particles `positions` (interleaved x, y) after step `step` as a file: "csv"
/// (`step,particle,x,y` lines) or "npy" (a float32 array of shape (particles, 2)), the formats of
/// dp-sample (`app::sample_files`).
#[wasm_bindgen]
pub fn particles_file(positions: &[f32], step: u32, format: &str) -> Result<Vec<u8>, JsError> {
    sample_files::particles_file(&[points("positions", positions)?], step as usize, format).map_err(js_error)
}

#[wasm_bindgen]
pub fn sliced_wasserstein(a: &[f32], b: &[f32]) -> Result<f64, JsError> {
    Ok(metrics::sliced_wasserstein(&points("a", a)?, &points("b", b)?))
}

/// A network being trained on the CPU inside the wasm, a chunk of steps at a time
/// (`app::training::Training` on the CPU).
#[wasm_bindgen]
pub struct Trainer {
    inner: Training,
}

#[wasm_bindgen]
impl Trainer {
    /// A fresh network for the drawing `points` (interleaved x, y) whose point i has class
    /// `labels[i]` (empty: all the first), to train for `steps` Adam steps of `batch` examples
    /// from `seed`, learning the objective `objective` ("eps", "x0", "score", "velocity" or
    /// "edm_denoiser") on the schedule `schedule` with the coupling `coupling` ("independent",
    /// "ot" or "sb": `Learning::with_coupling`) (`TrainingPlan::for_labelled_drawing`: with
    /// points of two classes or more, a class-conditional network).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        points: &[f32],
        labels: &[u32],
        steps: u32,
        batch: u32,
        seed: u32,
        objective: &str,
        schedule: &str,
        coupling: &str,
    ) -> Result<Trainer, JsValue> {
        let learning = learning(objective, schedule, coupling)?;
        let plan = TrainingPlan::for_labelled_drawing(
            &self::points("points", points)?,
            labels,
            steps,
            batch,
            seed,
            learning,
        );
        Ok(Trainer { inner: Training::on_cpu(plan.map_err(js_error)?) })
    }

    /// A fresh network for the built-in dataset `name`, trained as `cargo xtask train` trains the
    /// embedded ones (`TrainingPlan::for_dataset`): what the benchmark times in the browser.
    pub fn for_dataset(name: &str, steps: u32, batch: u32, seed: u32) -> Result<Trainer, JsError> {
        let dataset = options_with(&[("dataset", name)])?.dataset;
        let plan = TrainingPlan::for_dataset(dataset, steps, batch, seed).map_err(js_error)?;
        Ok(Trainer { inner: Training::on_cpu(plan) })
    }

    /// Takes up to `n` more steps; returns their mean loss (NaN when the run is over).
    pub fn run(&mut self, n: u32) -> f32 {
        self.inner.run(n).ok().and_then(|ran| ran.mean_loss).unwrap_or(f32::NAN)
    }

    /// Steps taken so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> u32 {
        self.inner.step()
    }

    /// Steps of the run.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> u32 {
        self.inner.steps()
    }

    /// Every step's batch loss so far.
    pub fn losses(&self) -> Vec<f32> {
        self.inner.losses().to_vec()
    }
}

/// A network being trained on the playground's GPU (`app::training::Training` on the GPU), a
/// chunk of steps at a time.
#[wasm_bindgen]
pub struct GpuTraining {
    inner: Training,
}

#[wasm_bindgen]
impl GpuTraining {
    /// Queues up to `n` more Adam steps on the GPU; returns how many were queued.
    pub fn run(&mut self, n: u32) -> Result<u32, JsError> {
        Ok(self.inner.run(n).map_err(js_error)?.steps)
    }

    /// Steps queued so far.
    #[wasm_bindgen(getter)]
    pub fn step(&self) -> u32 {
        self.inner.step()
    }

    /// Steps of the run.
    #[wasm_bindgen(getter)]
    pub fn steps(&self) -> u32 {
        self.inner.steps()
    }

    /// Resolves to the batch loss of the last step queued (waits for the GPU to get there).
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn loss(&self) -> js_sys::Promise {
        let pending = self.inner.loss();
        wasm_bindgen_futures::future_to_promise(async move {
            let values = pending.values().await.map_err(js_reject)?;
            Ok(JsValue::from_f64(training::batch_loss(&values) as f64))
        })
    }

    /// Resolves to the network's weights as trained so far (a Float32Array for `use_weights`).
    #[wasm_bindgen(unchecked_return_type = "Promise<Float32Array>")]
    pub fn weights(&self) -> js_sys::Promise {
        let pending = self.inner.weights();
        wasm_bindgen_futures::future_to_promise(async move {
            let weights = pending.values().await.map_err(js_reject)?;
            Ok(js_sys::Float32Array::from(weights.as_slice()).into())
        })
    }

    /// The drawing it trains on (interleaved x, y).
    pub fn points(&self) -> Vec<f32> {
        flat(self.inner.points())
    }
}

#[wasm_bindgen]
impl Playground {
    /// The current run's paths for the first `particles` particles as a file, "csv" or "npy"
    /// (shape (steps + 1, particles, 2)), replayed on the CPU (`Session::trajectory_file`).
    pub fn trajectory_file(&self, particles: u32, format: &str) -> Result<Vec<u8>, JsError> {
        self.session.trajectory_file(particles, format).map_err(js_error)
    }

    /// What the score source predicts now at the first `limit` particles, in the parametrization
    /// `target`: "x0" (the Tweedie denoised ghost of each particle), "eps", "score" or "velocity".
    /// Resolves to a Float32Array of 4 numbers per particle: x, y, then the prediction's two
    /// coordinates. Rejects any other target with a message listing the allowed ones.
    pub fn predict(&self, target: &str, limit: u32) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let parametrization =
            options::check_choice("target", target, &Parametrization::ALL, Parametrization::name)
                .map_err(js_error)?;
        let pending = self.session.predict(parametrization, limit as usize).map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let (positions, predictions) = pending.get().await.map_err(js_reject)?;
            let flat: Vec<f32> =
                positions.iter().zip(&predictions).flat_map(|(x, p)| [x[0], x[1], p[0], p[1]]).collect();
            Ok(js_sys::Float32Array::from(flat.as_slice()).into())
        }))
    }

    /// Counts of the particles in a `side` x `side` grid over the picture ([-3, 3]^2, row 0 at
    /// the top), counted on the GPU where the particles are there: a Uint32Array.
    #[wasm_bindgen(unchecked_return_type = "Promise<Uint32Array>")]
    pub fn histogram(&self, side: u32) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let bins = Bins { side, half_extent: render::DEFAULT_HALF_EXTENT };
        let pending = self.session.histogram(&bins).map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let counts = pending.counts().await.map_err(js_reject)?;
            Ok(js_sys::Uint32Array::from(counts.as_slice()).into())
        }))
    }

    /// The exact probability of each bin of the same grid under p_t of what is sampled (the
    /// drawing's distribution when one is in use) at time `t` in the schedule's own units
    /// (`Session::exact_probabilities`).
    pub fn exact_probabilities(&self, t: f64, side: u32) -> Result<Vec<f32>, JsError> {
        self.session.exact_probabilities(t, side).map_err(js_error)
    }

    /// The distance readout for `positions` (interleaved x, y): `{ distance, floor }`, the sliced
    /// Wasserstein distance to as many fresh points of what is sampled, and that of a second
    /// sample (`Session::distance_to_data`).
    #[wasm_bindgen(unchecked_return_type = "Distance")]
    pub fn distance_to_data(&self, positions: &[f32]) -> Result<JsValue, JsError> {
        to_js(&self.session.distance_to_data(&points("positions", positions)?).map_err(js_error)?)
    }

    /// The conditional paths of flow matching and the marginal trajectories of the run and of
    /// the exact flow for the first `paths` particles (`Session::path_comparison`); refused
    /// (field `sampler`) for a run that draws noise.
    #[wasm_bindgen(unchecked_return_type = "PathComparison")]
    pub fn path_comparison(&self, paths: u32) -> Result<JsValue, JsValue> {
        let picture = self.session.path_comparison(paths).map_err(option_error)?;
        Ok(to_js(&picture)?)
    }

    /// The straightness readout of the current run's first `paths` paths, and of the exact
    /// flow's from the same start, replayed on the CPU (`Session::straightness`); refused (field
    /// `sampler`) for a run that draws noise.
    #[wasm_bindgen(unchecked_return_type = "StraightnessView")]
    pub fn straightness(&self, paths: u32) -> Result<JsValue, JsValue> {
        let view = self.session.straightness(paths).map_err(option_error)?;
        Ok(to_js(&view)?)
    }

    /// One lap of the sampler race: the racer `{ sampler, eta?, churn?, ..., posterior? }`
    /// (checked by the options table over the playground's own) carries `particles` prior samples
    /// to what is sampled with about `budget` evaluations of the playground's score, or with
    /// `posterior` conditioned by that method on the playground's measurement
    /// (`Session::racer_lap`). Returns `{ steps, evaluations, distance, particles, floor }`.
    #[wasm_bindgen(unchecked_return_type = "RaceLap")]
    pub fn race_lap(
        &self,
        #[wasm_bindgen(unchecked_param_type = "OptionValues")] racer: JsValue,
        budget: u32,
        particles: u32,
    ) -> Result<JsValue, JsError> {
        to_js(&self.session.racer_lap(&raw_options(&racer)?, budget, particles).map_err(js_error)?)
    }

    /// `race_lap` run on the teacher of the drawing's network, the flow a reflow or a
    /// distillation here trained it from, from the same noise (`Session::racer_lap_on_teacher`);
    /// refused when neither trained it here.
    #[wasm_bindgen(unchecked_return_type = "RaceLap")]
    pub fn race_lap_on_teacher(
        &self,
        #[wasm_bindgen(unchecked_param_type = "OptionValues")] racer: JsValue,
        budget: u32,
        particles: u32,
    ) -> Result<JsValue, JsError> {
        to_js(&self.session.racer_lap_on_teacher(&raw_options(&racer)?, budget, particles).map_err(js_error)?)
    }

    /// How the network in use paired noise with data when it was trained (`core::coupling`:
    /// "independent", "ot", "sb", "reflow" or "consistency").
    pub fn network_coupling(&self) -> String {
        self.session.net().coupling.name().to_string()
    }

    /// How the drawing's network was trained from a teacher kept beside it ("reflow" or
    /// "consistency", the race then also runs the teacher: `race_lap_on_teacher`), or undefined
    /// when it has none.
    pub fn teacher_coupling(&self) -> Option<String> {
        self.session.teacher_flow().map(|_| self.session.net().coupling.name().to_string())
    }

    /// The log-likelihood of `points` (interleaved x, y; 1 to 16,384) under the playground's
    /// model by the probability-flow ODE with the deterministic sampler `solver` in `steps` steps
    /// on the time grid `grid` (on the GPU when the particles are there), next to the exact log-density of what is
    /// sampled (`Session::likelihood`). Resolves to `{ solver, steps, evaluations, data_time,
    /// log_p, exact_log_p, model, exact, histogram }`; refused while the run is guided.
    #[wasm_bindgen(unchecked_return_type = "Promise<LikelihoodView>")]
    pub fn likelihood(
        &self,
        solver: &str,
        grid: &str,
        steps: u32,
        points: &[f32],
    ) -> Result<js_sys::Promise, JsError> {
        self.check_device()?;
        let points = self::points("points", points)?;
        let pending = self
            .session
            .likelihood_where_particles_are(solver, grid, steps, PriorChoice::Gaussian, &points)
            .map_err(js_error)?;
        Ok(wasm_bindgen_futures::future_to_promise(async move {
            let view = pending.view().await.map_err(js_reject)?;
            view.serialize(&serde_wasm_bindgen::Serializer::json_compatible()).map_err(js_reject)
        }))
    }

    /// `n` fresh points of what is sampled (the likelihood panel's test set), interleaved x, y.
    pub fn likelihood_data(&self, n: u32) -> Result<Vec<f32>, JsError> {
        Ok(flat(&self.session.likelihood_data(n).map_err(js_error)?))
    }

    /// The variational bound of the discrete chain of the playground's schedule on the time grid
    /// `grid` in `steps` steps, averaged over `points` with `draws` Monte Carlo draws per latent
    /// (`Session::elbo`): `{ latent_times, prior, transitions, reconstruction, elbo,
    /// standard_error, bits_per_dimension, exact_log_p }`, in nats.
    #[wasm_bindgen(unchecked_return_type = "ElboView")]
    pub fn elbo(&self, grid: &str, steps: u32, points: &[f32], draws: u32) -> Result<JsValue, JsError> {
        to_js(&self.session.elbo(grid, steps, &self::points("points", points)?, draws).map_err(js_error)?)
    }

    /// ||eps_theta - eps*||^2 of the network in use against the exact noise of what is sampled
    /// on a `side` x `side` grid over the picture at time `t` (`Session::model_error_field`).
    pub fn model_error_field(&self, t: f64, side: u32) -> Result<Vec<f32>, JsError> {
        self.session.model_error_field(t, side).map_err(js_error)
    }

    /// The denoising loss of the network in use at `count` times along the time slider, split
    /// into `{ t, network_error, irreducible, loss }` (`Session::loss_profile`).
    #[wasm_bindgen(unchecked_return_type = "LossAtTime[]")]
    pub fn loss_profile(&self, samples: u32, count: u32) -> Result<JsValue, JsError> {
        to_js(&self.session.loss_profile(samples, count).map_err(js_error)?)
    }

    /// The 1-D space-time view (docs/theory.md) for what is sampled (`Session::space_time`).
    #[wasm_bindgen(unchecked_return_type = "SpaceTime")]
    pub fn space_time(&self) -> Result<JsValue, JsError> {
        to_js(&self.session.space_time())
    }

    /// The schedule lab's curves for the playground's schedule, time grid and steps, with
    /// `samples` points per curve (`Session::schedule_curves`).
    #[wasm_bindgen(unchecked_return_type = "ScheduleCurves")]
    pub fn schedule_curves(&self, samples: u32) -> Result<JsValue, JsError> {
        to_js(&self.session.schedule_curves(samples).map_err(js_error)?)
    }

    /// Replaces the dataset by the drawing `points` (interleaved x, y; at most 512 inside the
    /// picture) whose point i has class `labels[i]` (an index of `describe().drawing.classes`;
    /// empty: all the first), with its exact score; the score option must be "exact" or
    /// "empirical" until a network is trained (`use_trainer`). A guided run keeps its guidance,
    /// toward the drawing's first class unless its class is one of the drawing's (read
    /// `options()` back). Restarts the run.
    pub fn use_drawing(&mut self, points: &[f32], labels: &[u32]) -> Result<(), JsError> {
        self.check_device()?;
        self.session.use_labelled_drawing(&self::points("points", points)?, labels, None).map_err(js_error)
    }

    /// A CPU trainer of the next rectified flow of the drawing in use (reflow, Liu et al. 2022):
    /// `pairs` pairs of the drawing's trained flow, then `steps` Adam steps of `batch` examples
    /// from `seed` on them (`TrainingPlan::reflow_of`); refused, naming what is missing, without
    /// a drawing's unconditional flow.
    pub fn reflow_trainer(&self, steps: u32, batch: u32, seed: u32, pairs: u32) -> Result<Trainer, JsValue> {
        let plan = TrainingPlan::reflow_of(&self.session, steps, batch, seed, pairs).map_err(option_error)?;
        Ok(Trainer { inner: Training::on_cpu(plan) })
    }

    /// A CPU trainer that distills the drawing's flow into a one-step generator (consistency
    /// distillation, Song et al. 2023, Alg. 2): `steps` Adam steps of `batch` examples from
    /// `seed` (`TrainingPlan::distillation_of`); it runs on the CPU whatever the backend. Refused,
    /// naming what is missing, without a drawing's unconditional flow.
    pub fn distillation_trainer(&self, steps: u32, batch: u32, seed: u32) -> Result<Trainer, JsValue> {
        let plan = TrainingPlan::distillation_of(&self.session, steps, batch, seed).map_err(option_error)?;
        Ok(Trainer { inner: Training::on_cpu(plan) })
    }

    /// `reflow_trainer` on this playground's GPU (WebGPU backend only).
    pub fn gpu_reflow_training(
        &self,
        steps: u32,
        batch: u32,
        seed: u32,
        pairs: u32,
    ) -> Result<GpuTraining, JsValue> {
        let context = self.training_context()?;
        let plan = TrainingPlan::reflow_of(&self.session, steps, batch, seed, pairs).map_err(option_error)?;
        Ok(GpuTraining { inner: Training::on_gpu(context, plan).map_err(js_error)? })
    }

    /// Replaces the dataset by `gpu`'s drawing with the network of `weights` (from its
    /// `weights()`), which learned what its plan says (objective, schedule, coupling). Restarts the run.
    pub fn use_gpu_weights(&mut self, gpu: &GpuTraining, weights: Vec<f32>) -> Result<(), JsValue> {
        self.check_device()?;
        let plan = gpu.inner.plan();
        let (mlp, embedding) = training::trained_from_weights(weights).map_err(js_error)?;
        let net = training::drawn_network(mlp, embedding, plan.learning());
        Ok(self.session.use_planned_drawing(plan, Some(net)).map_err(js_error)?)
    }

    /// Replaces the dataset by the trainer's drawing and its network as trained so far (the
    /// learned score then samples the drawing; a class-conditional one can guide without a
    /// classifier). Restarts the run.
    pub fn use_trainer(&mut self, trainer: &Trainer) -> Result<(), JsError> {
        self.check_device()?;
        self.session.use_trained_drawing(&trainer.inner).map_err(js_error)
    }

    /// The classes a run may be guided toward, `[{ name, label }]`: the dataset's, or the
    /// stroke classes the drawing in use has points of.
    #[wasm_bindgen(unchecked_return_type = "DataClass[]")]
    pub fn guidable_classes(&self) -> Result<JsValue, JsError> {
        to_js(&self.session.guidable_classes())
    }

    /// The class of each drawn point in use, or undefined when the dataset is a built-in one.
    pub fn drawing_labels(&self) -> Option<Vec<u32>> {
        self.session.drawing_labels().map(|labels| labels.iter().map(|&l| l as u32).collect())
    }

    /// Starts training a fresh network on the drawing `points` on this playground's GPU (WebGPU
    /// backend only): `steps` Adam steps of `batch` examples from `seed`, as `Trainer` does on
    /// the CPU. Errors on the CPU backend.
    // The same arguments as `Trainer`'s constructor, which JavaScript calls the same way.
    #[allow(clippy::too_many_arguments)]
    pub fn gpu_training(
        &self,
        points: &[f32],
        labels: &[u32],
        steps: u32,
        batch: u32,
        seed: u32,
        objective: &str,
        schedule: &str,
        coupling: &str,
    ) -> Result<GpuTraining, JsValue> {
        let context = self.training_context()?;
        let learning = learning(objective, schedule, coupling)?;
        let plan = TrainingPlan::for_labelled_drawing(
            &self::points("points", points)?,
            labels,
            steps,
            batch,
            seed,
            learning,
        );
        Ok(GpuTraining { inner: Training::on_gpu(context, plan.map_err(js_error)?).map_err(js_error)? })
    }

    /// Starts training a fresh network on the built-in dataset `name` on this playground's GPU,
    /// with the embedded networks' recipe (see `Trainer.for_dataset`): what the benchmark times.
    pub fn gpu_training_dataset(
        &self,
        name: &str,
        steps: u32,
        batch: u32,
        seed: u32,
    ) -> Result<GpuTraining, JsError> {
        let context = self.training_context()?;
        let dataset = options_with(&[("dataset", name)])?.dataset;
        let plan = TrainingPlan::for_dataset(dataset, steps, batch, seed).map_err(js_error)?;
        Ok(GpuTraining { inner: Training::on_gpu(context, plan).map_err(js_error)? })
    }

    /// Replaces the dataset by the drawing `points` (classes `labels`) with a network of
    /// `weights` trained on it (from `GpuTraining.weights()`: a class-conditional network's
    /// embedding rows follow its weights), which learned `objective` on `schedule`. Restarts
    /// the run.
    pub fn use_weights(
        &mut self,
        points: &[f32],
        labels: &[u32],
        weights: Vec<f32>,
        objective: &str,
        schedule: &str,
        coupling: &str,
    ) -> Result<(), JsValue> {
        self.check_device()?;
        let points = self::points("points", points)?;
        let learning = learning(objective, schedule, coupling)?;
        let (mlp, embedding) = training::trained_from_weights(weights).map_err(js_error)?;
        let net = training::drawn_network(mlp, embedding, learning);
        Ok(self.session.use_labelled_drawing(&points, labels, Some(net)).map_err(js_error)?)
    }

    /// The run as a runnable NumPy script (`app::python_export`), with the page's share link
    /// `origin` in its header; a posterior method it cannot write out is refused by name.
    pub fn python_script(&self, origin: &str) -> Result<String, JsError> {
        python_export::script(&self.session, origin).map_err(js_error)
    }

    /// The file name the script is offered under.
    pub fn python_script_name(&self) -> String {
        python_export::file_name(&self.session)
    }

    /// The network in use as a safetensors file (`core::safetensors_net`; `docs/weights.md`).
    pub fn network_file(&self) -> Vec<u8> {
        self.session.network_file()
    }

    /// Uses the network in the safetensors `bytes` (at most 1 MiB) in place of the embedded one
    /// (`Session::use_network`; on the file's dataset where it names one, else the playground's).
    /// Returns `{ parametrization, schedule, dataset }` of the file (dataset null when it names
    /// none); a malformed file is refused with what is wrong and the current network is kept.
    #[wasm_bindgen(unchecked_return_type = "LoadedNetwork")]
    pub fn use_network_file(&mut self, bytes: &[u8]) -> Result<JsValue, JsError> {
        self.check_device()?;
        to_js(&self.session.use_network_file(bytes).map_err(js_error)?)
    }

    /// Uses the network of a share link (`Session::use_network_link_bytes`): the drawing's when
    /// one is in use, else in place of the embedded one. Returns `{ parametrization, schedule,
    /// dataset }`; malformed bytes are refused with what is wrong and the network kept.
    #[wasm_bindgen(unchecked_return_type = "LoadedNetwork")]
    pub fn use_network_link(&mut self, bytes: &[u8]) -> Result<JsValue, JsError> {
        self.check_device()?;
        to_js(&self.session.use_network_link_bytes(bytes).map_err(js_error)?)
    }
}

/// What a network trained in the page learns: `objective` on `schedule` with `coupling`
/// (`Learning::from_names`, `Learning::with_coupling`); a refusal is a structured option error.
fn learning(objective: &str, schedule: &str, coupling: &str) -> Result<Learning, JsValue> {
    Learning::from_names(objective, schedule).and_then(|l| l.with_coupling(coupling)).map_err(option_error)
}
