//! The options table (`app::options::OPTIONS`): each option declared once, and everything else
//! (merging, the names of links and command lines, what `describe()` tells the page) read from
//! it. Every numeric option takes its ends and its default and refuses what lies past them,
//! naming itself; every row is described to the page with its label and range.

use std::collections::BTreeMap;

use diffusion_playground::app::options::{describe, Options, RawOptions, RawValue, Reader, FIELDS, OPTIONS};

fn merged(field: &str, value: RawValue) -> Result<Options, String> {
    let raw: RawOptions = BTreeMap::from([(field.to_string(), Some(value))]);
    Options::default().merged(&raw).map_err(|e| e.to_string())
}

#[test]
fn the_names_are_the_table_in_order_and_unique() {
    let names: Vec<&str> = OPTIONS.iter().map(|spec| spec.name).collect();
    assert_eq!(names, FIELDS);
    let mut sorted = names.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), names.len(), "no option is declared twice");
}

#[test]
fn every_numeric_option_takes_its_ends_and_default_and_refuses_past_them() {
    let defaults = serde_json::to_value(Options::default()).unwrap();
    for spec in OPTIONS {
        let (min, max, step) = match spec.reader {
            Reader::Integer { min, max, .. } => (min as f64, max as f64, 1.0),
            Reader::Number { min, max, .. } => (min, max, 1e-6 * (1.0 + max.abs())),
            Reader::Choice { .. } | Reader::Text { .. } => continue,
        };
        let default =
            defaults[spec.name].as_f64().unwrap_or_else(|| panic!("{}: a numeric default", spec.name));
        assert!((min..=max).contains(&default), "{}: default {default} in [{min}, {max}]", spec.name);
        for value in [min, max, default] {
            let options =
                merged(spec.name, RawValue::Number(value)).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            let read = serde_json::to_value(options).unwrap()[spec.name].as_f64().unwrap();
            assert_eq!(read, value, "{} goes where the table says", spec.name);
        }
        for value in [min - step, max + step] {
            if value < 0.0 && min == 0.0 && step == 1.0 {
                continue;
            }
            let refused = merged(spec.name, RawValue::Number(value)).expect_err("outside the range");
            assert!(refused.contains(&format!("invalid option '{}'", spec.name)), "{refused}");
        }
    }
}

#[test]
fn describe_tells_the_page_every_option_with_its_label_and_range() {
    let described = serde_json::to_value(describe()).unwrap();
    let options = described["options"].as_array().expect("a list of options");
    assert_eq!(options.len(), OPTIONS.len());
    for (row, spec) in options.iter().zip(OPTIONS) {
        assert_eq!(row["name"], spec.name);
        assert_eq!(row["label"], spec.label);
        match spec.reader {
            Reader::Integer { min, max, .. } => {
                assert_eq!(
                    (row["kind"].as_str(), row["min"].as_f64(), row["max"].as_f64()),
                    (Some("integer"), Some(min as f64), Some(max as f64))
                );
            }
            Reader::Number { min, max, .. } => {
                assert_eq!(
                    (row["kind"].as_str(), row["min"].as_f64(), row["max"].as_f64()),
                    (Some("number"), Some(min), Some(max))
                );
            }
            Reader::Choice { list, .. } => {
                assert_eq!(row["kind"], "choice");
                assert!(described[list].is_array(), "{}: describe() has its list {list}", spec.name);
            }
            Reader::Text { .. } => assert_eq!(row["kind"], "text"),
        }
    }
}

#[test]
fn describe_tells_when_each_knob_applies_by_the_choices_that_read_it() {
    use diffusion_playground::core::sampler::Sampler;
    let description = describe();
    let when = |name: &str| {
        let option = description.options.iter().find(|o| o.name == name).unwrap();
        option.applies_when.clone().map(|w| (w.field, w.values))
    };
    let reading = |reads: fn(Sampler) -> bool| {
        Sampler::ALL.iter().filter(|&&s| reads(s)).map(|s| s.name()).collect::<Vec<_>>()
    };
    assert_eq!(when("eta"), Some(("sampler", reading(Sampler::uses_eta))));
    assert!(when("eta").unwrap().1.contains(&"ddim") && !when("eta").unwrap().1.contains(&"heun"));
    assert_eq!(when("s_tmax"), Some(("sampler", reading(Sampler::uses_churn))));
    assert_eq!(when("guidance_scale"), Some(("guidance", vec!["cfg", "classifier"])));
    assert_eq!(when("posterior_scale"), Some(("posterior", vec!["dps", "pigdm", "smc"])));
    assert_eq!(when("observe"), Some(("posterior", vec!["exact", "dps", "pigdm", "smc"])));
    for name in ["dataset", "steps", "seed", "sampler"] {
        assert_eq!(when(name), None, "{name} always applies");
    }
    // Every condition names an option and values it can take.
    for option in &description.options {
        let Some(w) = &option.applies_when else { continue };
        let spec = OPTIONS
            .iter()
            .find(|s| s.name == w.field)
            .unwrap_or_else(|| panic!("{}: no option {}", option.name, w.field));
        let Reader::Choice { list, .. } = spec.reader else {
            panic!("{}: {} is not a choice", option.name, w.field)
        };
        let listed = serde_json::to_value(&description).unwrap()[list].clone();
        let names: Vec<&str> =
            listed.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        assert!(
            w.values.iter().all(|v| names.contains(v)) && !w.values.is_empty(),
            "{}: {:?}",
            option.name,
            w.values
        );
    }
}
