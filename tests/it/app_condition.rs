//! The page's settling of the fields that depend on each other (`app::condition::settle`):
//! whatever a person or a link combines, the settled options are ones the options table accepts
//! as they are, settling them again changes nothing, and each change is said.

use diffusion_playground::app::condition::{quote, settle, Settled, LINK_SETTLES_WITH};
use diffusion_playground::app::options::{
    BackendChoice, GuidanceChoice, Options, RawOptions, RawValue, ScoreChoice, FIELDS,
};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::posterior_guidance::PosteriorMethod;
use diffusion_playground::core::sampler::Sampler;
use proptest::prelude::*;

/// Every field of `options` as the page sends it.
fn raw_of(options: &Options) -> RawOptions {
    let serde_json::Value::Object(fields) = serde_json::to_value(options).unwrap() else { unreachable!() };
    fields
        .into_iter()
        .map(|(name, value)| {
            let raw = match value {
                serde_json::Value::Bool(b) => RawValue::Bool(b),
                serde_json::Value::Number(n) => RawValue::Number(n.as_f64().unwrap()),
                serde_json::Value::String(s) => RawValue::Text(s),
                other => panic!("option {name} serialises as {other}"),
            };
            (name, Some(raw))
        })
        .collect()
}

/// The table's own check of settled options: every field given at once.
fn accepted(settled: &Settled, of_drawing: bool) -> Result<Options, String> {
    // The drawing in use stands in for the dataset the options name.
    let base =
        Options { classes_of_drawing: of_drawing, dataset: settled.options.dataset, ..Options::default() };
    base.merged(&raw_of(&settled.options)).map_err(|e| e.to_string())
}

fn settled_with(options: Options, latest: &[&str]) -> Settled {
    settle(&options, None, latest)
}

#[test]
fn a_guidance_the_score_cannot_serve_gives_way_to_the_score_just_chosen() {
    let asked =
        Options { guidance: GuidanceChoice::Cfg, score: ScoreChoice::Empirical, ..Options::default() };
    let settled = settled_with(asked.clone(), &["score"]);
    assert_eq!(settled.options.guidance, GuidanceChoice::None);
    assert_eq!(settled.options.score, ScoreChoice::Empirical);
    assert_eq!(
        settled.notices,
        ["Guidance cfg does not work with the score empirical; guidance none is used instead."]
    );
    // Chosen last, the guidance wins: the score gives way to the first it works with.
    let settled = settled_with(asked, &["guidance"]);
    assert_eq!((settled.options.guidance, settled.options.score), (GuidanceChoice::Cfg, ScoreChoice::Exact));
    assert_eq!(settled.notices, ["Guidance cfg needs the score exact or mlp; the score exact is used."]);
}

#[test]
fn a_class_the_dataset_lacks_is_dropped_and_said_when_just_set() {
    let asked = Options {
        dataset: Dataset::TwoMoons,
        class: "<script>".repeat(10),
        guidance: GuidanceChoice::Classifier,
        ..Options::default()
    };
    let settled = settled_with(asked, &["class"]);
    assert_eq!(settled.options.class, "upper", "guidance steers toward the first class");
    assert_eq!(settled.notices.len(), 1);
    assert!(settled.notices[0]
        .starts_with("class \"<script><script><script><script><script>...\" is not a class of two_moons"));
    assert!(settled.notices[0].ends_with("; using upper."), "{}", settled.notices[0]);
}

#[test]
fn a_drawing_offers_the_classes_its_points_have() {
    let asked =
        Options { class: "orange".into(), guidance: GuidanceChoice::Classifier, ..Options::default() };
    // Points of the first and third stroke classes only.
    let settled = settle(&asked, Some(&[0, 2, 2]), &["class"]);
    assert_eq!(settled.notices.len(), 1, "{:?}", settled.notices);
    assert_eq!(
        settled.notices[0],
        "class \"orange\" is not a class of the drawing (allowed: blue, green); using blue."
    );
    assert!(accepted(&settled, true).is_ok());
    // The dataset just chosen ends the drawing: its classes are the dataset's.
    let settled = settle(&Options { dataset: Dataset::GaussianMixture, ..asked }, Some(&[0]), &["dataset"]);
    assert!(!settled.options.class.is_empty() && accepted(&settled, false).is_ok());
}

#[test]
fn smc_brings_the_cpu_backend_a_gaussian_kernel_and_fresh_noise() {
    let asked = Options {
        posterior: PosteriorMethod::Smc,
        score: ScoreChoice::Exact,
        backend: BackendChoice::Webgpu,
        sampler: Sampler::Heun,
        ..Options::default()
    };
    let settled = settled_with(asked, &LINK_SETTLES_WITH);
    assert_eq!(
        (settled.options.backend, settled.options.sampler),
        (BackendChoice::Cpu, Sampler::EulerMaruyama)
    );
    assert_eq!(settled.notices.len(), 2, "{:?}", settled.notices);
    let ddim =
        Options { posterior: PosteriorMethod::Smc, sampler: Sampler::Ddim, eta: 0.0, ..Options::default() };
    let settled = settled_with(ddim, &["sampler"]);
    assert_eq!(settled.options.eta, 1.0);
    assert!(settled.notices.iter().any(|n| n == "SMC needs fresh noise at every step: eta is now 1."));
}

#[test]
fn crossed_interval_ends_close_at_the_end_just_set() {
    let asked = Options { guidance_low: 5.0, guidance_high: 2.0, ..Options::default() };
    let settled = settled_with(asked.clone(), &["guidance_low"]);
    assert_eq!((settled.options.guidance_low, settled.options.guidance_high), (5.0, 5.0));
    assert_eq!(settled.notices, ["The guidance interval's ends crossed; it is now 5 to 5."]);
    let settled = settled_with(asked, &["guidance_high"]);
    assert_eq!((settled.options.guidance_low, settled.options.guidance_high), (2.0, 2.0));
    // Crossed churn ends are the options table's to refuse (the page falls back on s_tmin).
    let churn = Options { s_tmin: 3.0, s_tmax: 1.0, ..Options::default() };
    assert_eq!(settled_with(churn.clone(), &["s_tmin"]).options, churn);
}

#[test]
fn the_measured_values_follow_the_operator() {
    let asked = Options { observe: "1,0;0,1".into(), observation: "0.5".into(), ..Options::default() };
    let settled = settled_with(asked.clone(), &["observe"]);
    assert_eq!(settled.options.observation, "0.5,0");
    assert!(settled.notices.is_empty(), "resized quietly when the operator changed");
    let settled = settled_with(asked, &["observation"]);
    assert_eq!(
        settled.notices,
        ["The measurement \"0.5\" needs 2 values, one per row of A; the missing are 0."]
    );
}

#[test]
fn quotes_are_json_and_short() {
    assert_eq!(quote("a\"b"), r#""a\"b""#);
    assert_eq!(quote(&"é".repeat(50)), format!("\"{}...\"", "é".repeat(40)));
}

fn any_options() -> impl Strategy<Value = Options> {
    let dataset = prop::sample::select(Dataset::ALL.to_vec());
    let score = prop::sample::select(ScoreChoice::ALL.to_vec());
    let guidance = prop::sample::select(GuidanceChoice::ALL.to_vec());
    let posterior = prop::sample::select(PosteriorMethod::ALL.to_vec());
    let sampler = prop::sample::select(Sampler::ALL.to_vec());
    let backend = prop::sample::select(BackendChoice::ALL.to_vec());
    let class = prop::sample::select(vec!["", "upper", "lower", "red", "blue", "nonsense", "inner"]);
    let observe = prop::sample::select(vec!["1,0", "0,1", "1,0;0,1", "1,1;1,-1"]);
    let observation = prop::sample::select(vec!["0", "0.5", "0.5,-1", "2,3"]);
    let interval = (0.0..50.0f64, 0.0..50.0f64, 0.0..50.0f64, 0.0..50.0f64);
    let eta = prop::sample::select(vec![0.0, 0.5, 1.0]);
    ((dataset, score, guidance, posterior, sampler, backend), (class, observe, observation, interval, eta))
        .prop_map(
            |(
                (dataset, score, guidance, posterior, sampler, backend),
                (class, observe, observation, i, eta),
            )| {
                Options {
                    dataset,
                    score,
                    guidance,
                    posterior,
                    sampler,
                    backend,
                    class: class.into(),
                    observe: observe.into(),
                    observation: observation.into(),
                    guidance_low: i.0,
                    guidance_high: i.1,
                    // Churn ends in order: crossed ones are refused, not settled.
                    s_tmin: i.2.min(i.3),
                    s_tmax: i.2.max(i.3),
                    eta,
                    ..Options::default()
                }
            },
        )
}

proptest! {
    #[test]
    fn whatever_is_combined_the_settled_options_are_accepted_and_stable(
        options in any_options(),
        latest in prop::sample::subsequence(FIELDS.to_vec(), 0..6),
        drawing in prop::option::of(prop::collection::vec(0u32..4, 0..6)),
    ) {
        let settled = settle(&options, drawing.as_deref(), &latest);
        let of_drawing = drawing.is_some() && !latest.contains(&"dataset");
        prop_assert!(accepted(&settled, of_drawing).is_ok(), "{:?}: {:?}", settled.options, accepted(&settled, of_drawing));
        let again = settle(&settled.options, drawing.as_deref(), &latest);
        prop_assert_eq!(&again.options, &settled.options);
        prop_assert!(again.notices.is_empty(), "{:?}", again.notices);
        // Only the fields that depend on each other change.
        let untouched = |o: &Options| (o.dataset, o.steps, o.seed, o.particles, o.schedule, o.observe.clone());
        prop_assert_eq!(untouched(&settled.options), untouched(&options));
    }
}
