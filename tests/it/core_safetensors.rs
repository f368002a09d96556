//! Networks as safetensors files (`core::safetensors_net`, `app::network_file`): a round trip
//! gives bit-identical outputs, a file laid out by hand from the format's specification (as
//! Python's `safetensors` writes it) loads, and every malformed file is refused with a message
//! that names what is wrong.

use diffusion_playground::app::options::{Options, RawOptions, RawValue};
use diffusion_playground::app::session::{Particles, Session};
use diffusion_playground::core::dataset::Dataset;
use diffusion_playground::core::embedded::{self, TRAINED_SCHEDULES};
use diffusion_playground::core::mlp;
use diffusion_playground::core::param::Parametrization;
use diffusion_playground::core::safetensors_net::{from_bytes, to_bytes, MAX_HEADER_BYTES, TENSOR_NAMES};

#[test]
fn every_embedded_network_survives_a_round_trip_bit_for_bit() {
    for dataset in Dataset::ALL {
        for schedule in TRAINED_SCHEDULES {
            if embedded::bytes(dataset, schedule).is_none() {
                continue; // not every dataset has a network for every schedule
            }
            let net = embedded::net(dataset, schedule).unwrap();
            let back = from_bytes(&to_bytes(&net, dataset.name())).unwrap();
            assert_eq!(back.mlp.weights, net.mlp.weights, "{} {}", dataset.name(), schedule.name());
            assert_eq!(
                (back.parametrization, back.schedule, back.dataset),
                (net.parametrization, net.schedule, Some(dataset))
            );
            assert_eq!((back.training_seed, back.training_steps), (net.training_seed, net.training_steps));
            let x = [0.3f32, -1.2];
            assert_eq!(back.mlp.forward(x, 0.4), net.mlp.forward(x, 0.4));
        }
    }
}

/// A network with coordinate features writes its architecture's name, how its features are made
/// and their tensor, and reads back as itself; a plain network's file names none of them, and a
/// file whose architecture is another refuses with the two this playground runs.
#[test]
fn a_network_with_coordinate_features_survives_a_round_trip_and_says_its_architecture() {
    use diffusion_playground::core::mlp::Architecture;
    use diffusion_playground::core::safetensors_net::{COORDINATE_FEATURES, COORDINATE_TENSOR};
    let plain = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).unwrap();
    let net = diffusion_playground::core::weights::TrainedNet {
        mlp: crate::support::networks::untrained(Architecture::FOURIER, 8),
        ..plain.clone()
    };
    let bytes = to_bytes(&net, "two_moons");
    let back = from_bytes(&bytes).unwrap();
    assert_eq!(back.mlp, net.mlp);
    assert_eq!(back.mlp.architecture(), Architecture::FOURIER);
    let text = String::from_utf8_lossy(&bytes[..4096.min(bytes.len())]).into_owned();
    for needle in ["mlp 18+24-64-64-2", COORDINATE_FEATURES, COORDINATE_TENSOR] {
        assert!(text.contains(needle), "the header names {needle:?}");
    }
    let plain_text = String::from_utf8_lossy(&to_bytes(&plain, "two_moons")[..2048]).into_owned();
    assert!(plain_text.contains("mlp 18-64-64-2") && !plain_text.contains(COORDINATE_TENSOR));
    // The same length, so the header stays valid: only the architecture differs.
    let (ours, theirs) = (b"mlp 18+24-64-64-2", b"mlp 18+99-64-64-2");
    let mut other = bytes.clone();
    let at = other.windows(ours.len()).position(|w| w == ours).expect("the architecture entry");
    other[at..at + ours.len()].copy_from_slice(theirs);
    let message = from_bytes(&other).unwrap_err();
    assert!(message.contains("architecture") && message.contains("mlp 18+24-64-64-2"), "{message}");
}

/// A safetensors file written from the specification: 8-byte length, the JSON header (padded with
/// spaces to a multiple of 8, keys in another order, as other writers do), then the data.
fn handmade(tensors: &[(&str, &str, Vec<usize>, Vec<u8>)], metadata: &str) -> Vec<u8> {
    let mut entries = Vec::new();
    let mut data = Vec::new();
    for (name, dtype, shape, bytes) in tensors {
        let shape: Vec<String> = shape.iter().map(usize::to_string).collect();
        entries.push(format!(
            "\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":[{}],\"data_offsets\":[{},{}]}}",
            shape.join(","),
            data.len(),
            data.len() + bytes.len()
        ));
        data.extend_from_slice(bytes);
    }
    let mut header =
        format!("{{{metadata}{}{}}}", if metadata.is_empty() { "" } else { "," }, entries.join(","));
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend(header.into_bytes());
    out.extend(data);
    out
}

const METADATA: &str = r#""__metadata__":{"schedule":"vp_linear","parametrization":"eps","format":"diffusion-playground-mlp","format_version":"1","architecture":"mlp 18-64-64-2","activation":"silu","time_embedding":"[x, sin(w_k t) for k = 0..7, cos(w_k t) for k = 0..7], w_k = 1 * 100^(k / 7)","time_frequency_min":"1","time_frequency_max":"100"}"#;

/// The tensors of `weights` as (name, dtype, shape, bytes), f32 or f16.
fn tensors_of(weights: &[f32], half: bool) -> Vec<(&'static str, &'static str, Vec<usize>, Vec<u8>)> {
    TENSOR_NAMES
        .iter()
        .map(|&(name, shape, offset)| {
            let values = &weights[offset..offset + shape[0] * shape[1]];
            let bytes: Vec<u8> = if half {
                values.iter().flat_map(|v| half::f16::from_f32(*v).to_le_bytes()).collect()
            } else {
                values.iter().flat_map(|v| v.to_le_bytes()).collect()
            };
            let shape = if shape[1] == 1 { vec![shape[0]] } else { shape.to_vec() };
            (name, if half { "F16" } else { "F32" }, shape, bytes)
        })
        .collect()
}

#[test]
fn a_file_laid_out_by_another_writer_loads_in_f32_and_f16() {
    let net = embedded::net(Dataset::Rings, Schedule::VpLinear).unwrap();
    for half in [false, true] {
        let loaded = from_bytes(&handmade(&tensors_of(&net.mlp.weights, half), METADATA)).unwrap();
        // The embedded weights are half floats widened: both encodings give them back exactly.
        assert_eq!(loaded.mlp.weights, net.mlp.weights, "half = {half}");
        assert_eq!(loaded.dataset, None, "no dataset named");
    }
}

use diffusion_playground::core::schedule::Schedule;

#[test]
fn malformed_files_are_refused_with_what_is_wrong() {
    let net = embedded::net(Dataset::TwoMoons, Schedule::VpLinear).unwrap();
    let good = tensors_of(&net.mlp.weights, false);
    let mut wrong_shape = good.clone();
    wrong_shape[2].2 = vec![32, 128];
    let mut wrong_dtype = good.clone();
    wrong_dtype[0].1 = "I32";
    let mut renamed = good.clone();
    renamed[5].0 = "net.4.b";
    let mut with_nan = good.clone();
    with_nan[3].3[4..8].copy_from_slice(&f32::NAN.to_le_bytes());
    let mut huge = handmade(&good, METADATA);
    huge[..8].copy_from_slice(&(MAX_HEADER_BYTES + 1).to_le_bytes());
    let mut truncated = handmade(&good, METADATA);
    truncated.truncate(truncated.len() - 100);
    let other_embedding = METADATA.replace(r#""time_frequency_max":"100""#, r#""time_frequency_max":"1000""#);
    let no_schedule = METADATA.replace(r#""schedule":"vp_linear","#, "");
    let bad_parametrization = METADATA.replace(r#""parametrization":"eps""#, r#""parametrization":"noise""#);
    let cases: Vec<(Vec<u8>, &[&str])> = vec![
        (handmade(&wrong_shape, METADATA), &["\"net.2.weight\"", "[32, 128]", "[64, 64]"]),
        (handmade(&wrong_dtype, METADATA), &["\"net.0.weight\"", "I32", "F32 or F16"]),
        (handmade(&renamed, METADATA), &["\"net.4.b\"", "net.4.bias"]),
        (handmade(&with_nan, METADATA), &["\"net.2.bias\"", "NaN", "finite"]),
        (handmade(&good, ""), &["__metadata__"]),
        (handmade(&good, &no_schedule), &["'schedule'"]),
        (handmade(&good, &other_embedding), &["'time_frequency_max'", "\"1000\""]),
        (handmade(&good, &bad_parametrization), &["\"noise\"", "eps, x0"]),
        (huge, &["header claims", "65536"]),
        (truncated, &["not a valid safetensors file"]),
        (vec![1, 2, 3], &["8-byte header length", "3 bytes"]),
        (b"{\"not\": \"safetensors\"}".to_vec(), &["header claims"]),
    ];
    for (bytes, fragments) in cases {
        let message = from_bytes(&bytes).unwrap_err();
        for fragment in fragments {
            assert!(message.contains(fragment), "{message:?} should contain {fragment:?}");
        }
    }
    assert_eq!(good.len(), 6);
    assert_eq!(mlp::PARAMETERS, TENSOR_NAMES.iter().map(|t| t.1[0] * t.1[1]).sum::<usize>());
}

#[test]
fn a_loaded_network_is_the_one_the_session_samples_with_and_exports() {
    let net = embedded::net(Dataset::Spiral, Schedule::RectifiedFlow).unwrap();
    let mut raw = RawOptions::new();
    raw.insert("particles".into(), Some(RawValue::Number(64.0)));
    raw.insert("dataset".into(), Some(RawValue::Text("spiral".into())));
    let mut session =
        Session::new(Options::default().merged(&raw).unwrap(), Particles::Cpu(Vec::new())).unwrap();
    let imported = from_bytes(&to_bytes(&net, "spiral")).unwrap();
    session.use_network(imported.into_trained(Dataset::Spiral)).unwrap();
    assert_eq!(session.net().mlp.weights, net.mlp.weights);
    assert_eq!(session.net().schedule, Schedule::RectifiedFlow, "it keeps its own frame on a VP run");
    // It stays through a change of schedule (served through the log-SNR).
    session.set_options(Options { schedule: Schedule::Edm, ..session.options().clone() }).unwrap();
    assert_eq!(session.net().mlp.weights, net.mlp.weights);
    let exported = from_bytes(&session.network_file()).unwrap();
    assert_eq!(exported.mlp.weights, net.mlp.weights);
    assert_eq!(exported.dataset, Some(Dataset::Spiral));
}

#[test]
fn dp_sample_and_dp_likelihood_read_and_write_network_files() {
    use std::process::Command;
    let dir = std::env::temp_dir().join(format!("dp-weights-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("pinwheel.safetensors");
    let out = Command::new(env!("CARGO_BIN_EXE_dp-sample"))
        .args(["--dataset", "pinwheel", "--export_weights", file.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let loaded = from_bytes(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(loaded.mlp.weights, embedded::net(Dataset::Pinwheel, Schedule::VpLinear).unwrap().mlp.weights);
    let out = Command::new(env!("CARGO_BIN_EXE_dp-sample"))
        .args(["--weights", file.to_str().unwrap(), "--particles", "64", "--steps", "10"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 65);
    let out = Command::new(env!("CARGO_BIN_EXE_dp-likelihood"))
        .args(["--weights", file.to_str().unwrap(), "--data", "32", "--steps", "8"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let garbage = dir.join("garbage.safetensors");
    std::fs::write(&garbage, vec![0xff; 64]).unwrap();
    for exe in [env!("CARGO_BIN_EXE_dp-sample"), env!("CARGO_BIN_EXE_dp-likelihood")] {
        let out = Command::new(exe).args(["--weights", garbage.to_str().unwrap()]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&out.stderr).contains("garbage.safetensors: the header claims"));
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn the_session_loads_a_file_refuses_a_bad_or_huge_one_and_keeps_its_network() {
    let mut raw = RawOptions::new();
    raw.insert("particles".into(), Some(RawValue::Number(64.0)));
    let mut session =
        Session::new(Options::default().merged(&raw).unwrap(), Particles::Cpu(Vec::new())).unwrap();
    let spiral = embedded::net(Dataset::Spiral, Schedule::VpLinear).unwrap();
    let loaded = session.use_network_file(&to_bytes(&spiral, "spiral")).unwrap();
    assert_eq!(
        (loaded.parametrization, loaded.schedule, loaded.dataset),
        (Parametrization::Eps, Schedule::VpLinear, Some(Dataset::Spiral))
    );
    assert_eq!(session.net().mlp.weights, spiral.mlp.weights);
    let huge = vec![0u8; (diffusion_playground::app::network_file::MAX_NETWORK_FILE_BYTES + 1) as usize];
    assert!(session.use_network_file(&huge).unwrap_err().contains("at most 1048576"));
    assert!(session.use_network_file(&[0xff; 64]).unwrap_err().contains("header claims"));
    assert_eq!(session.net().mlp.weights, spiral.mlp.weights, "the network in use stays");
}

/// The command-line tools read a `.dpw` file of `cargo xtask train` too: the network it holds,
/// with its dataset and schedule; a truncated one is refused with the file's name.
#[test]
fn a_dpw_file_of_the_training_tool_reads_as_the_network_it_holds() {
    use diffusion_playground::app::network_file::read_network;
    let dir = std::env::temp_dir().join(format!("dp-dpw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let net = embedded::net(Dataset::Spiral, Schedule::VpLinear).unwrap();
    let file = dir.join("spiral.vp_linear.dpw");
    std::fs::write(&file, net.to_bytes()).unwrap();
    let read = read_network(&file).unwrap();
    assert_eq!(read.mlp.weights, net.mlp.weights);
    assert_eq!(
        (read.dataset, read.schedule, read.parametrization),
        (Some(Dataset::Spiral), Schedule::VpLinear, net.parametrization)
    );
    assert_eq!(read.training_steps, net.training_steps);
    let truncated = dir.join("truncated.dpw");
    std::fs::write(&truncated, &net.to_bytes()[..100]).unwrap();
    let Err(refused) = read_network(&truncated) else { panic!("a truncated file is refused") };
    assert!(refused.contains("truncated.dpw"), "{refused}");
}
