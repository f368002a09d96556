//! The fields of a run that depend on each other (the class, the guidance and its score, the
//! measurement, SMC's backend and sampler, the guidance interval) made consistent for a page or
//! a link, with a plain-text notice for each field changed against what was asked.
//!
//! [`Options::merged`] refuses such a conflict, naming the field: right for a script calling
//! the API. A person who picks a score that a guidance does not work with, or a link that asks
//! for a measurement and guidance together, instead gets the nearest consistent settings and is
//! told what changed: [`settle`]. Its result is always accepted by [`Options::merged`].

use serde::Serialize;

use crate::app::measurement;
use crate::app::options::{BackendChoice, GuidanceChoice, Options, ScoreChoice};
use crate::core::classes;
use crate::core::drawing::DRAWING_CLASSES;
use crate::core::posterior_guidance::PosteriorMethod;
use crate::core::sampler::Sampler;
use crate::core::smc::SMC_SAMPLERS;

/// Longest piece of a value quoted back in a notice, in characters.
pub const QUOTE_LIMIT: usize = 40;

/// The fields a share link's settings win conflicts with: a link that names a class, guidance,
/// an interval's upper end, a posterior or a measured value means them.
pub const LINK_SETTLES_WITH: [&str; 5] = ["class", "guidance", "guidance_high", "posterior", "observation"];

/// Consistent options and what was changed to make them so.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct Settled {
    /// The options, every field consistent with the others.
    pub options: Options,
    /// One plain-text sentence per field changed against what was asked.
    pub notices: Vec<String>,
}

/// `value` quoted for a notice (as JSON), its first [`QUOTE_LIMIT`] characters and "..." when
/// longer.
pub fn quote(value: &str) -> String {
    let mut short: String = value.chars().take(QUOTE_LIMIT).collect();
    if short.len() < value.len() {
        short.push_str("...");
    }
    serde_json::to_string(&short).unwrap_or_default()
}

/// `options` made consistent. `drawing_classes`: the class of each drawn point when a drawing
/// stands in for the dataset (an empty list: all the first class), `None` for a built-in
/// dataset. `latest`: the fields just set, which win a conflict. The rules, in order:
/// - a class that is not one of the dataset's (or the drawing's) is dropped, said when it was
///   just set; guidance steers toward the first class when none is chosen;
/// - a guidance that does not work with the score ([`GuidanceChoice::scores`]) gives way to one
///   that does when the score was just chosen, else the score gives way;
/// - the exact posterior needs the mixture's score: with the network chosen last, the run
///   conditions with PiGDM instead, else the score becomes exact;
/// - a measurement and guidance toward a class do not combine: the one set last stays;
/// - SMC resamples across particles on the CPU path with a sampler whose step is one Gaussian
///   kernel with fresh noise (`core::smc::check_plan`): the backend, sampler and eta follow;
/// - one measured value per row of A: the values follow the operator unless just set;
/// - a guidance interval whose ends cross is closed at the end just set.
///
/// A churn interval whose ends cross is not resolved: the options table refuses it, naming
/// `s_tmin`, which a page or link then leaves at its default.
pub fn settle(options: &Options, drawing_classes: Option<&[u32]>, latest: &[&str]) -> Settled {
    let just = |field: &str| latest.contains(&field);
    let mut next = options.clone();
    let mut notices = Vec::new();

    let of_drawing = drawing_classes.is_some() && !just("dataset");
    let classes: Vec<&str> = match drawing_classes.filter(|_| of_drawing) {
        Some(labels) => {
            let used = |c: usize| if labels.is_empty() { c == 0 } else { labels.contains(&(c as u32)) };
            DRAWING_CLASSES.iter().enumerate().filter(|&(c, _)| used(c)).map(|(_, d)| d.name).collect()
        }
        None => classes::classes(next.dataset).iter().map(|c| c.name).collect(),
    };
    let first = classes.first().copied().unwrap_or_default();
    if !next.class.is_empty() && !classes.contains(&next.class.as_str()) {
        if just("class") {
            let owner = if of_drawing { "the drawing" } else { next.dataset.name() };
            let used = if next.guidance == GuidanceChoice::None { "none" } else { first };
            notices.push(format!(
                "class {} is not a class of {owner} (allowed: {}); using {used}.",
                quote(&next.class),
                classes.join(", ")
            ));
        }
        next.class.clear();
    }
    if next.guidance != GuidanceChoice::None && next.class.is_empty() && !classes.is_empty() {
        next.class = first.into();
    }

    if !next.guidance.scores().contains(&next.score) {
        let asked = next.guidance;
        if just("score") && !just("guidance") {
            let classifier_works = GuidanceChoice::Classifier.scores().contains(&next.score);
            next.guidance = if classifier_works { GuidanceChoice::Classifier } else { GuidanceChoice::None };
            notices.push(format!(
                "Guidance {} does not work with the score {}; guidance {} is used instead.",
                asked.name(),
                next.score.name(),
                next.guidance.name()
            ));
        } else {
            let scores: Vec<&str> = asked.scores().iter().map(|s| s.name()).collect();
            next.score = asked.scores()[0];
            notices.push(format!(
                "Guidance {} needs the score {}; the score {} is used.",
                asked.name(),
                scores.join(" or "),
                next.score.name()
            ));
        }
    }

    // The exact posterior's score is the mixture's (`core::posterior`).
    if next.posterior == PosteriorMethod::Exact && next.score == ScoreChoice::Mlp {
        if just("score") && !just("posterior") {
            next.posterior = PosteriorMethod::Pigdm;
            notices.push(
                "The exact posterior’s score is the mixture’s, not the network’s: with the network the run conditions with PiGDM.".into(),
            );
        } else {
            next.score = ScoreChoice::Exact;
            notices.push("The exact posterior’s score is the mixture’s: the score exact is used.".into());
        }
    }
    if next.posterior != PosteriorMethod::None && next.guidance != GuidanceChoice::None {
        if just("guidance") && !just("posterior") {
            notices.push(format!(
                "Guidance toward a class and a measurement do not combine; conditioning on the measurement ({}) is switched off.",
                next.posterior.name()
            ));
            next.posterior = PosteriorMethod::None;
        } else {
            notices.push(format!(
                "A measurement and guidance toward a class do not combine; guidance {} is switched off.",
                next.guidance.name()
            ));
            next.guidance = GuidanceChoice::None;
            next.class.clear();
        }
    }

    if next.posterior == PosteriorMethod::Smc {
        if next.backend != BackendChoice::Cpu {
            notices.push(
                "SMC resamples across particles, which the CPU path does: the backend is now CPU.".into(),
            );
            next.backend = BackendChoice::Cpu;
        }
        if !SMC_SAMPLERS.contains(&next.sampler) {
            let names: Vec<&str> = SMC_SAMPLERS.iter().map(|s| s.name()).collect();
            notices.push(format!(
                "SMC needs a sampler whose step is one Gaussian kernel ({}); {} gives way to euler_maruyama.",
                names.join(", "),
                next.sampler.name()
            ));
            next.sampler = Sampler::EulerMaruyama;
        }
        if next.sampler != Sampler::DdpmAncestral && next.eta == 0.0 {
            notices.push("SMC needs fresh noise at every step: eta is now 1.".into());
            next.eta = 1.0;
        }
    }

    let rows = measurement::parse_operator(&next.observe).map_or(1, |rows| rows.len());
    let values = measurement::parse_value_list(&next.observation);
    if values.as_ref().map_or(0, Vec::len) != rows {
        if just("observation") && !just("observe") {
            let plural = if rows == 1 { "" } else { "s" };
            notices.push(format!(
                "The measurement {} needs {rows} value{plural}, one per row of A; the missing are 0.",
                quote(&next.observation)
            ));
        }
        next.observation = measurement::values_text(&measurement::resized(&values.unwrap_or_default(), rows));
    }

    if let Some(notice) =
        close_interval("guidance", &mut next.guidance_low, &mut next.guidance_high, just("guidance_low"))
    {
        notices.push(notice);
    }
    Settled { options: next, notices }
}

/// An interval whose ends cross closed at the end just set (`low_latest`: the lower one), and
/// the notice that says so; `None` when the ends are in order.
fn close_interval(name: &str, low: &mut f64, high: &mut f64, low_latest: bool) -> Option<String> {
    if *low <= *high {
        return None;
    }
    if low_latest {
        *high = *low;
    } else {
        *low = *high;
    }
    Some(format!("The {name} interval's ends crossed; it is now {low} to {high}."))
}
