//! Every assembled shader parses and validates with naga, without a GPU.

use diffusion_playground::gpu::shaders;

#[test]
fn every_shader_parses_and_validates_with_naga() {
    for (name, source) in shaders::all() {
        let module = naga::front::wgsl::parse_str(&source)
            .unwrap_or_else(|e| panic!("{name}.wgsl does not parse:\n{}", e.emit_to_string(&source)));
        naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty())
            .validate(&module)
            .unwrap_or_else(|e| panic!("{name}.wgsl does not validate:\n{}", e.emit_to_string(&source)));
    }
}

#[test]
fn every_kernel_file_in_shaders_is_assembled_and_validated() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/shaders");
    let assembled: Vec<&str> = shaders::all().iter().map(|(name, _)| *name).collect();
    for entry in std::fs::read_dir(dir).expect("shaders/ exists") {
        let path = entry.expect("readable").path();
        if path.extension().is_some_and(|e| e == "wgsl") {
            let stem = path.file_stem().unwrap().to_string_lossy().to_string();
            assert!(assembled.contains(&stem.as_str()), "{stem}.wgsl is not in gpu::shaders::all()");
        }
    }
}

#[test]
fn the_generated_mlp_layout_matches_the_rust_offsets() {
    use diffusion_playground::core::mlp;
    let layout = shaders::mlp_layout(mlp::Architecture::PLAIN);
    assert!(layout.contains(&format!("const MLP_W2: u32 = {}u;", mlp::W2)));
    assert!(layout.contains(&format!("const MLP_B3: u32 = {}u;", mlp::B3)));
    assert!(layout.contains(&format!("const MLP_PARAMETERS: u32 = {}u;", mlp::PARAMETERS)));
    assert!(layout.contains("const MLP_COORDINATE_OCTAVES: u32 = 0u;"));
    assert!(shaders::reverse_step_mlp().contains(&layout));
}

#[test]
fn the_layout_of_a_network_with_coordinate_features_places_wc_after_b3_and_counts_its_weights() {
    use diffusion_playground::core::mlp::{self, Architecture};
    let fourier = Architecture::FOURIER;
    let layout = shaders::mlp_layout(fourier);
    assert!(layout.contains(&format!("const MLP_WC: u32 = {}u;", mlp::WC)));
    assert!(layout.contains(&format!("const MLP_COORDINATE_OCTAVES: u32 = {}u;", fourier.coordinate_octaves)));
    assert!(layout.contains(&format!("const MLP_PARAMETERS: u32 = {}u;", fourier.parameters())));
    assert_eq!(mlp::WC % 4, 0, "WC's rows are read as whole vec4s");
}
