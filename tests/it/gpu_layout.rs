//! The host and the shaders agree on every byte they share, checked without a GPU.
//!
//! Each kernel's WGSL, assembled exactly as the engine assembles it (`gpu::shaders`), is parsed
//! with naga and compared with the Rust side:
//! - every struct the host uploads or reads back (`#[repr(C)]`, bytemuck) has the size of its
//!   WGSL struct, and its fields are the WGSL members in the same order, at the same byte
//!   offsets, with the same sizes and types (a Rust field may stand for a member of a nested WGSL
//!   struct, `coefficients.alpha`, or for several padding members);
//! - every binding of the kernel's table in `gpu::layout`, from which the engine builds its
//!   bind-group layouts and bind groups, is declared by the shader at `@group(0)` with that
//!   number, name and address space (uniform, storage read or read_write; a dynamic-offset
//!   uniform's minimum size is its block's size); the shader declares no binding the table lacks;
//!   and a struct a binding holds is one whose layout is checked here.

use diffusion_playground::core::dataset::MixtureComponent;
use diffusion_playground::core::likelihood::LikelihoodStep;
use diffusion_playground::core::mlp::{self, Architecture, ARCHITECTURES};
use diffusion_playground::core::posterior_guidance::ObservationParams;
use diffusion_playground::core::sampler::{Evaluation, ReverseStep};
use diffusion_playground::core::train::PreparedExample;
use diffusion_playground::gpu::engine::{
    ContainParams, HistogramParams, NoiseParams, PredictParams, RunParams,
};
use diffusion_playground::gpu::layout::{self, Access, Binding};
use diffusion_playground::gpu::trainer::{AdamParams, TrainParams};
use diffusion_playground::gpu::{shaders, DrawParams, WeightsFormat};
use naga::common::wgsl::TypeContext;
use naga::{AddressSpace, Handle, Module, ResourceBinding, StorageAccess, StructMember, Type, TypeInner};

/// `host!(Type { field, field => ["member", ...], ... })`, or `host!(Type as "WgslName" { ... })`:
/// the layout of a Pod struct, with `offset_of!`, `size_of_val` and `type_name_of_val`.
macro_rules! host {
    ($ty:ident $(as $wgsl:literal)? { $($field:ident $(=> [$($member:literal),+])?),+ $(,)? }) => {{
        let zero: $ty = bytemuck::Zeroable::zeroed();
        HostStruct {
            rust: stringify!($ty),
            wgsl: host!(@name $ty $($wgsl)?),
            size: std::mem::size_of::<$ty>(),
            fields: vec![$(HostField {
                rust: stringify!($field),
                offset: std::mem::offset_of!($ty, $field),
                size: std::mem::size_of_val(&zero.$field),
                ty: std::any::type_name_of_val(&zero.$field),
                wgsl: host!(@members $field $([$($member),+])?),
            }),+],
        }
    }};
    (@name $ty:ident) => { stringify!($ty) };
    (@name $ty:ident $wgsl:literal) => { $wgsl };
    (@members $field:ident) => { vec![stringify!($field)] };
    (@members $field:ident [$($member:literal),+]) => { vec![$($member),+] };
}

// What the host shares with each kernel.

/// The binding table of `kernel` and the structs the host uploads to it or reads from it.
fn spec(kernel: &str) -> Option<(&'static [Binding], Vec<HostStruct>)> {
    // A kernel assembled for coordinate features has its file's bindings and structs.
    let kernel = kernel.strip_suffix("_fourier").unwrap_or(kernel);
    Some(match kernel {
        "forward_noise" => (layout::forward_noise::BINDINGS, vec![noise_params()]),
        "reverse_step_mlp" => (
            layout::reverse_step_mlp::BINDINGS,
            vec![run_params(), reverse_step(), evaluation(), mixture_component(), observation_params()],
        ),
        "reverse_step_exact" => (
            layout::reverse_step_exact::BINDINGS,
            vec![run_params(), reverse_step(), evaluation(), mixture_component(), observation_params()],
        ),
        "predict_mlp" => {
            (layout::predict_mlp::BINDINGS, vec![predict_params(), mixture_component(), observation_params()])
        }
        "predict_exact" => (
            layout::predict_exact::BINDINGS,
            vec![predict_params(), mixture_component(), observation_params()],
        ),
        "likelihood_step_mlp" => {
            (layout::likelihood_step_mlp::BINDINGS, vec![run_params(), likelihood_step(), evaluation()])
        }
        "likelihood_step_exact" => (
            layout::likelihood_step_exact::BINDINGS,
            vec![run_params(), likelihood_step(), evaluation(), mixture_component()],
        ),
        "histogram" => (layout::histogram::BINDINGS, vec![histogram_params()]),
        "contain_escaped" => (layout::contain_escaped::BINDINGS, vec![contain_params()]),
        "train_gradient" => (layout::train_gradient::BINDINGS, vec![train_params(), prepared_example()]),
        "adam_step" => (layout::adam_step::BINDINGS, vec![adam_params()]),
        "draw_particles" => (layout::draw_particles::BINDINGS, vec![draw_params()]),
        _ => return None,
    })
}

// The structs, field by field in the order of the WGSL members; `field => ["member", ...]` where
// the WGSL names differ.

fn noise_params() -> HostStruct {
    host!(NoiseParams { alpha, sigma, seed, stream, particle_count, _pad => ["_pad0", "_pad1", "_pad2"] })
}

fn run_params() -> HostStruct {
    host!(RunParams { seed, particle_count, first_step, step_count })
}

fn evaluation() -> HostStruct {
    host!(Evaluation { t_net, input_scale, alpha, sigma, eps_from_output, eps_from_input })
}

fn reverse_step() -> HostStruct {
    host!(ReverseStep {
        eval1,
        eval2,
        pre_noise,
        stage2_x,
        stage2_e1,
        stage2,
        stage2_noise,
        out_x,
        out_e1,
        out_e2,
        out_hist => ["out_hist0", "out_hist1", "out_hist2"],
        out_noise,
        out_stage2_noise,
        hist_x,
        hist_e1,
        index,
    })
}

fn likelihood_step() -> HostStruct {
    host!(LikelihoodStep {
        eval1,
        eval2,
        stage2_x,
        stage2_e1,
        stage2,
        out_x,
        out_e1,
        out_e2,
        log_det,
        log_det_1,
        log_det_2,
    })
}

fn mixture_component() -> HostStruct {
    host!(MixtureComponent { mean, cov_xx, cov_xy, cov_yy, cov_det, log_weight, class_member })
}

fn observation_params() -> HostStruct {
    host!(ObservationParams {
        row0, row1, y, noise_variance, row_count, method,
        padding => ["padding0", "padding1", "padding2"],
    })
}

fn predict_params() -> HostStruct {
    host!(PredictParams {
        alpha => ["coefficients.alpha"],
        sigma => ["coefficients.sigma"],
        d_alpha => ["coefficients.d_alpha"],
        d_sigma => ["coefficients.d_sigma"],
        t_net, input_scale, eps_from_output, eps_from_input, target_parametrization, particle_count,
        _pad => ["padding0", "padding1"],
    })
}

fn histogram_params() -> HostStruct {
    host!(HistogramParams { side, half_extent, particle_count, _pad => ["padding"] })
}

fn contain_params() -> HostStruct {
    host!(ContainParams { particle_count, runaway_coordinate, _pad => ["padding0", "padding1"] })
}

fn train_params() -> HostStruct {
    host!(TrainParams { batch, scale, embedding_rows, stride })
}

fn prepared_example() -> HostStruct {
    host!(PreparedExample as "TrainExample" { x, t, weight, goal, label, padding })
}

fn adam_params() -> HostStruct {
    host!(AdamParams { parameters, batch, learning_rate, correction1, correction2, beta1, beta2, epsilon })
}

fn draw_params() -> HostStruct {
    host!(DrawParams { scale, radius, seed, particle_count, opacity, palette })
}

// One test per kernel.

#[test]
fn forward_noise() {
    check("forward_noise");
}

#[test]
fn reverse_step_mlp() {
    check("reverse_step_mlp");
}

#[test]
fn reverse_step_exact() {
    check("reverse_step_exact");
}

#[test]
fn predict_mlp() {
    check("predict_mlp");
}

#[test]
fn predict_exact() {
    check("predict_exact");
}

#[test]
fn likelihood_step_mlp() {
    check("likelihood_step_mlp");
}

#[test]
fn likelihood_step_exact() {
    check("likelihood_step_exact");
}

#[test]
fn histogram() {
    check("histogram");
}

#[test]
fn contain_escaped() {
    check("contain_escaped");
}

#[test]
fn train_gradient() {
    check("train_gradient");
}

#[test]
fn the_mlp_kernels_for_coordinate_features_match_their_tables() {
    for kernel in ["reverse_step_mlp", "predict_mlp", "likelihood_step_mlp", "train_gradient"] {
        check(&format!("{kernel}_fourier"));
    }
}

#[test]
fn adam_step() {
    check("adam_step");
}

#[test]
fn draw_particles() {
    check("draw_particles");
}

#[test]
fn every_assembled_shader_has_its_layout_checked_here() {
    for (name, _) in shaders::all() {
        assert!(
            spec(name).is_some(),
            "{name}.wgsl is assembled but its layout is not specified in this test"
        );
    }
}

/// A kernel's name, its source in a weights format for an architecture, and its binding table.
type ShapedKernel = (&'static str, fn(WeightsFormat, Architecture) -> String, &'static [Binding]);

/// The MLP kernels whose shape is tuned (`gpu::kernel_config`), with their sources in a format.
fn shaped_kernels() -> [ShapedKernel; 2] {
    [
        ("reverse_step_mlp", shaders::reverse_step_mlp_with, layout::reverse_step_mlp::BINDINGS),
        ("predict_mlp", shaders::predict_mlp_with, layout::predict_mlp::BINDINGS),
    ]
}

/// Every weights format with every architecture.
fn formats_and_architectures() -> impl Iterator<Item = (WeightsFormat, Architecture)> {
    WeightsFormat::ALL.into_iter().flat_map(|format| ARCHITECTURES.map(|architecture| (format, architecture)))
}

#[test]
fn every_weights_format_of_the_mlp_kernels_matches_its_table() {
    for (format, architecture) in formats_and_architectures() {
        for (kernel, source, table) in shaped_kernels() {
            let label = format!("{kernel} with {} ({})", format.describe(), architecture.name());
            let module = parse_source(&label, &source(format, architecture));
            let (_, structs) = spec(kernel).unwrap();
            check_module(&label, &module, &layout::with_weights(table, format.access()), &structs);
        }
    }
}

#[test]
fn the_weights_buffer_of_every_format_is_the_size_the_shader_declares() {
    // The engine's weights buffer: the flat parameters, zero-padded to whole 16-byte rows.
    let plain = Architecture::PLAIN;
    assert_eq!(WeightsFormat::F32Uniform.buffer_bytes(plain), 4 * mlp::PARAMETERS.next_multiple_of(4));
    let fourier = Architecture::FOURIER;
    assert_eq!(WeightsFormat::F16Uniform.buffer_bytes(fourier), 2 * fourier.parameters().next_multiple_of(8));
    for (format, architecture) in formats_and_architectures() {
        let host_bytes = format.buffer_bytes(architecture) as u32;
        for (kernel, source, _) in shaped_kernels() {
            let label = format!("{kernel} with {} ({})", format.describe(), architecture.name());
            let module = parse_source(&label, &source(format, architecture));
            let (_, weights) = module
                .global_variables
                .iter()
                .find(|(_, g)| g.name.as_deref() == Some("weights"))
                .unwrap_or_else(|| panic!("{label}: no `weights`"));
            let wgsl_bytes = module.types[weights.ty].inner.size(module.to_ctx());
            assert_eq!(
                wgsl_bytes, host_bytes,
                "{label}: `weights` is {wgsl_bytes} bytes, the host's {host_bytes}"
            );
        }
    }
}

// The checks.

/// A Rust struct as the host lays it out, and the name of its WGSL twin.
struct HostStruct {
    rust: &'static str,
    wgsl: &'static str,
    size: usize,
    fields: Vec<HostField>,
}

/// One field: its place and type in Rust, and the WGSL member(s) it stands for.
struct HostField {
    rust: &'static str,
    offset: usize,
    size: usize,
    ty: &'static str,
    wgsl: Vec<&'static str>,
}

/// The assembled source of `kernel`, parsed.
fn parse(kernel: &str) -> Module {
    let (_, source) = shaders::all()
        .into_iter()
        .find(|(name, _)| *name == kernel)
        .unwrap_or_else(|| panic!("gpu::shaders::all() has no {kernel}"));
    parse_source(kernel, &source)
}

/// `source`, parsed (`label` names it in the failure).
fn parse_source(label: &str, source: &str) -> Module {
    naga::front::wgsl::parse_str(source)
        .unwrap_or_else(|e| panic!("{label}.wgsl does not parse:\n{}", e.emit_to_string(source)))
}

/// Checks everything `kernel` shares with the host; the failure lists every disagreement.
fn check(kernel: &str) {
    let module = parse(kernel);
    let (bindings, structs) = spec(kernel).unwrap_or_else(|| panic!("no layout specified for {kernel}"));
    check_module(kernel, &module, bindings, &structs);
}

/// Checks `module` against `bindings` and `structs`; the failure lists every disagreement.
fn check_module(label: &str, module: &Module, bindings: &[Binding], structs: &[HostStruct]) {
    let mut errors = Vec::new();
    for host in structs {
        check_struct(module, host, structs, &mut errors);
    }
    check_bindings(module, bindings, structs, &mut errors);
    assert!(errors.is_empty(), "{label}: the host and the shader disagree:\n  {}", errors.join("\n  "));
}

fn check_struct(module: &Module, host: &HostStruct, checked: &[HostStruct], errors: &mut Vec<String>) {
    let name = if host.rust == host.wgsl {
        host.rust.to_string()
    } else {
        format!("{} (WGSL {})", host.rust, host.wgsl)
    };
    let Some((_, ty)) = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(host.wgsl)) else {
        errors.push(format!("{name}: the shader declares no struct {}", host.wgsl));
        return;
    };
    let TypeInner::Struct { members, span } = &ty.inner else {
        errors.push(format!("{name}: {} is not a struct in the shader", host.wgsl));
        return;
    };
    if host.size != *span as usize {
        errors.push(format!("{name}: {} bytes in Rust, {span} in WGSL", host.size));
    }
    // The fields listed here are all of the Rust struct: they tile it.
    let mut fields: Vec<&HostField> = host.fields.iter().collect();
    fields.sort_by_key(|f| f.offset);
    let mut end = 0;
    for f in &fields {
        if f.offset != end {
            errors
                .push(format!("{name}: Rust bytes {end}..{} are in no field listed in this test", f.offset));
        }
        end = f.offset + f.size;
    }
    if end != host.size {
        errors.push(format!("{name}: Rust bytes {end}..{} are in no field listed in this test", host.size));
    }
    // The same members in the same order.
    let paths: Vec<&str> = fields.iter().flat_map(|f| f.wgsl.iter().copied()).collect();
    let leaves = leaves(module, members, "", 0, &paths);
    let leaf_paths: Vec<&str> = leaves.iter().map(|(path, _, _)| path.as_str()).collect();
    if leaf_paths != paths {
        errors.push(format!(
            "{name}: the WGSL members are [{}], the Rust fields stand for [{}]",
            leaf_paths.join(", "),
            paths.join(", ")
        ));
    }
    // At the same offsets, with the same sizes and types.
    let ctx = module.to_ctx();
    for f in fields {
        let parts = f.wgsl.len();
        let part = f.size / parts;
        let types = wgsl_types(f.ty, parts, checked);
        for (i, member) in f.wgsl.iter().enumerate() {
            let label = if f.wgsl == [f.rust] {
                format!("{name}.{member}")
            } else {
                format!("{name}.{} (WGSL {member})", f.rust)
            };
            let Some((_, offset, ty)) = leaves.iter().find(|(path, _, _)| path == member) else {
                errors.push(format!("{label}: the shader's struct has no such member"));
                continue;
            };
            let rust_offset = f.offset + i * part;
            if *offset as usize != rust_offset {
                errors.push(format!("{label}: at byte {rust_offset} in Rust, at byte {offset} in WGSL"));
            }
            let size = module.types[*ty].inner.size(ctx) as usize;
            if size != part {
                errors.push(format!("{label}: {part} bytes in Rust, {size} in WGSL"));
            }
            let wgsl_type = ctx.type_to_string(*ty);
            match &types {
                Ok(types) if types[i] != wgsl_type => {
                    errors.push(format!("{label}: {} in Rust (WGSL {}), {wgsl_type} in WGSL", f.ty, types[i]))
                }
                Ok(_) => {}
                Err(e) => errors.push(format!("{label}: {e}")),
            }
        }
    }
}

/// The members of a WGSL struct in order, as (path, offset from the outermost struct, type);
/// a nested struct is opened where `paths` name its members (`coefficients.alpha`).
fn leaves(
    module: &Module,
    members: &[StructMember],
    prefix: &str,
    base: u32,
    paths: &[&str],
) -> Vec<(String, u32, Handle<Type>)> {
    let mut out = Vec::new();
    for m in members {
        let path = format!("{prefix}{}", m.name.as_deref().unwrap_or("?"));
        let nested = format!("{path}.");
        match &module.types[m.ty].inner {
            TypeInner::Struct { members, .. }
                if !paths.contains(&path.as_str()) && paths.iter().any(|p| p.starts_with(&nested)) =>
            {
                out.extend(leaves(module, members, &nested, base + m.offset, paths))
            }
            _ => out.push((path, base + m.offset, m.ty)),
        }
    }
    out
}

/// The WGSL types of the `parts` members a Rust field of type `rust` stands for: a scalar for a
/// scalar, `vecN<S>` for `[S; N]` (N = 2 to 4) or N scalars for N members, and the WGSL twin of a
/// struct whose layout is also checked for this kernel.
fn wgsl_types(rust: &str, parts: usize, checked: &[HostStruct]) -> Result<Vec<String>, String> {
    let scalar = |t: &str| matches!(t, "f32" | "u32" | "i32");
    if scalar(rust) && parts == 1 {
        return Ok(vec![rust.to_string()]);
    }
    if let Some((element, length)) =
        rust.strip_prefix('[').and_then(|r| r.strip_suffix(']')).and_then(|r| r.split_once("; "))
    {
        let length: usize = length.parse().map_err(|_| format!("cannot read the Rust type {rust}"))?;
        if scalar(element) && parts == length {
            return Ok(vec![element.to_string(); length]);
        }
        if scalar(element) && parts == 1 && (2..=4).contains(&length) {
            return Ok(vec![format!("vec{length}<{element}>")]);
        }
    }
    let short = rust.rsplit("::").next().unwrap_or(rust);
    match checked.iter().find(|h| h.rust == short) {
        Some(h) if parts == 1 => Ok(vec![h.wgsl.to_string()]),
        _ => Err(format!("a Rust {rust} standing for {parts} member(s), which this test cannot check")),
    }
}

fn check_bindings(module: &Module, bindings: &[Binding], checked: &[HostStruct], errors: &mut Vec<String>) {
    let ctx = module.to_ctx();
    for (i, b) in bindings.iter().enumerate() {
        let label = format!("binding {} (`{}`)", b.number, b.name);
        if bindings[..i].iter().any(|other| other.number == b.number) {
            errors.push(format!("{label}: the host's table has binding {} twice", b.number));
        }
        let at = ResourceBinding { group: 0, binding: b.number };
        let Some((_, global)) = module.global_variables.iter().find(|(_, g)| g.binding == Some(at)) else {
            errors.push(format!("{label}: the shader declares nothing at @group(0) @binding({})", b.number));
            continue;
        };
        let wgsl_name = global.name.as_deref().unwrap_or("?");
        if wgsl_name != b.name {
            errors.push(format!("{label}: the shader's variable there is `{wgsl_name}`"));
        }
        let declared = match global.space {
            AddressSpace::Uniform => "var<uniform>".to_string(),
            AddressSpace::Storage { access } if !access.contains(StorageAccess::STORE) => {
                "var<storage, read>".to_string()
            }
            AddressSpace::Storage { .. } => "var<storage, read_write>".to_string(),
            other => format!("{other:?}"),
        };
        let expected = match b.access {
            Access::Uniform | Access::DynamicUniform { .. } => "var<uniform>",
            Access::ReadOnly => "var<storage, read>",
            Access::ReadWrite => "var<storage, read_write>",
        };
        if declared != expected {
            errors.push(format!("{label}: the host binds a {expected}, the shader declares a {declared}"));
        }
        if let Access::DynamicUniform { min_binding_size } = b.access {
            let size = module.types[global.ty].inner.size(ctx) as u64;
            if min_binding_size != size {
                errors.push(format!(
                    "{label}: bound at dynamic offsets with a minimum size of {min_binding_size} bytes, \
                     but its block is {size} bytes"
                ));
            }
        }
        // A struct the binding holds, or holds an array of, is checked above.
        let ty = match module.types[global.ty].inner {
            TypeInner::Array { base, .. } => base,
            _ => global.ty,
        };
        if let (TypeInner::Struct { .. }, Some(name)) = (&module.types[ty].inner, &module.types[ty].name) {
            if !checked.iter().any(|h| h.wgsl == name) {
                errors.push(format!("{label}: holds {name}, whose layout is not checked for this kernel"));
            }
        }
    }
    for (_, global) in module.global_variables.iter() {
        if let Some(at) = global.binding {
            if at.group != 0 || !bindings.iter().any(|b| b.number == at.binding) {
                errors.push(format!(
                    "the shader declares `{}` at @group({}) @binding({}), which the host's table lacks",
                    global.name.as_deref().unwrap_or("?"),
                    at.group,
                    at.binding
                ));
            }
        }
    }
}
