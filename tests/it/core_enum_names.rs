//! The names of the enums: the one snake_case spelling that options, share links, the CLI and
//! weight files use. Each is derived by strum (`core::names`) and must be the spelling serde
//! writes and reads, and parse back to its variant.

use std::fmt::Debug;

use diffusion_playground::app::likelihood::PriorChoice;
use diffusion_playground::app::options::{BackendChoice, GuidanceChoice, ScoreChoice};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::posterior_guidance::PosteriorMethod;
use diffusion_playground::core::render::Palette;
use diffusion_playground::core::sampler::Sampler;
use diffusion_playground::core::schedule::Schedule;
use diffusion_playground::core::timesteps::TimeGrid;
use serde::{de::DeserializeOwned, Serialize};

/// Every variant of `all`: serde writes its name (as a JSON string) and reads the name back to
/// it, and `from_name` parses it.
fn named_as_serde_names_them<T>(all: &[T], name: fn(T) -> &'static str, from_name: fn(&str) -> Option<T>)
where
    T: Copy + Debug + PartialEq + Serialize + DeserializeOwned,
{
    for &variant in all {
        let json = format!("\"{}\"", name(variant));
        assert_eq!(serde_json::to_string(&variant).unwrap(), json, "serde's name of {variant:?}");
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), variant, "serde reads {json}");
        assert_eq!(from_name(name(variant)), Some(variant), "{} parses back", name(variant));
    }
}

#[test]
fn every_variant_is_named_as_serde_names_it_and_parses_back() {
    named_as_serde_names_them(&Dataset::ALL, Dataset::name, Dataset::from_name);
    named_as_serde_names_them(&Schedule::ALL, Schedule::name, Schedule::from_name);
    named_as_serde_names_them(&Sampler::ALL, Sampler::name, Sampler::from_name);
    named_as_serde_names_them(&TimeGrid::ALL, TimeGrid::name, TimeGrid::from_name);
    named_as_serde_names_them(
        &Parametrization::NETWORK_OUTPUTS,
        Parametrization::name,
        Parametrization::from_name,
    );
    named_as_serde_names_them(&PosteriorMethod::ALL, PosteriorMethod::name, PosteriorMethod::from_name);
    named_as_serde_names_them(&Palette::ALL, Palette::name, Palette::from_name);
    named_as_serde_names_them(&ScoreChoice::ALL, ScoreChoice::name, ScoreChoice::from_name);
    named_as_serde_names_them(&GuidanceChoice::ALL, GuidanceChoice::name, GuidanceChoice::from_name);
    named_as_serde_names_them(&BackendChoice::ALL, BackendChoice::name, BackendChoice::from_name);
}

#[test]
fn the_prior_choices_have_no_serde_form_and_parse_back() {
    assert_eq!(PriorChoice::ALL.map(PriorChoice::name), ["gaussian", "exact"]);
    for prior in PriorChoice::ALL {
        assert_eq!(PriorChoice::from_name(prior.name()), Some(prior));
    }
}

#[test]
fn names_with_digits_are_spelled_as_written_not_as_snake_case_splits_them() {
    // snake_case alone would write dpm_solver2_s, dpm2 and two_normals1d.
    assert_eq!(Sampler::DpmSolver2S.name(), "dpm_solver_2s");
    assert_eq!(Sampler::Dpm2Ancestral.name(), "dpm_2_ancestral");
    assert_eq!(Sampler::DpmSolver3MSde.name(), "dpm_solver_3m_sde");
    assert_eq!(Sampler::UniPc.name(), "unipc");
    assert_eq!(Dataset::TwoNormals1d.name(), "two_normals_1d");
    assert_eq!(Parametrization::X0.name(), "x0");
    assert_eq!(Sampler::from_name("dpm_solver2_s"), None);
    assert_eq!(Dataset::from_name("two_normals1d"), None);
}

#[test]
fn only_exact_names_parse() {
    for name in ["", "Heun", "HEUN", " heun", "heun ", "vp-linear", "VpLinear"] {
        assert_eq!(Sampler::from_name(name), None, "{name:?}");
        assert_eq!(Schedule::from_name(name), None, "{name:?}");
    }
}

#[test]
fn the_lists_hold_every_variant_once_in_the_order_the_ui_shows() {
    assert_eq!(Schedule::ALL.map(Schedule::name), ["vp_linear", "vp_cosine", "ve", "edm", "rectified_flow"]);
    assert_eq!(
        TimeGrid::ALL.map(TimeGrid::name),
        [
            "uniform",
            "quadratic",
            "karras",
            "uniform_log_snr",
            "polyexponential",
            "linspace",
            "leading",
            "trailing"
        ]
    );
    assert_eq!(PosteriorMethod::ALL.map(PosteriorMethod::name), ["none", "exact", "dps", "pigdm", "smc"]);
    assert_eq!(ScoreChoice::ALL.map(ScoreChoice::name), ["mlp", "exact", "empirical"]);
    assert_eq!(GuidanceChoice::ALL.map(GuidanceChoice::name), ["none", "cfg", "classifier"]);
    assert_eq!(BackendChoice::ALL.map(BackendChoice::name), ["auto", "webgpu", "cpu"]);
    assert_eq!(Sampler::ALL.map(Sampler::name)[..3], ["euler_maruyama", "probability_flow_euler", "heun"]);
    // The four targets the page converts between, and every network output (EDM's denoiser too).
    assert_eq!(Parametrization::ALL.map(Parametrization::name), ["eps", "x0", "score", "velocity"]);
    assert_eq!(
        Parametrization::NETWORK_OUTPUTS.map(Parametrization::name),
        ["eps", "x0", "score", "velocity", "edm_denoiser"]
    );
    let mut names = Sampler::ALL.map(Sampler::name).to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), Sampler::ALL.len(), "no sampler named twice");
}
