//! How the MLP kernels are shaped for an adapter: the workgroup size and the format and place of
//! the network's weights (f32 or half floats, in a uniform or a read-only storage buffer).
//!
//! Every format computes in f32. A half-float format stores the weights as IEEE binary16 and
//! widens each one to f32 as it is read (f32 accumulate), so it halves what the kernel reads per
//! evaluation; the engine uses one only where every weight is a half float already (the shipped
//! networks are stored as half floats, `core::weights`), so its particles are those of the f32
//! formats bit for bit. Which shape is fastest depends on the adapter: `app::kernel_tuning`
//! times them and the engine runs the winner ([`ComputeEngine::set_mlp_config`]).
//!
//! [`ComputeEngine::set_mlp_config`]: crate::gpu::ComputeEngine::set_mlp_config

use serde::{Deserialize, Serialize};

use crate::core::mlp::Architecture;
use crate::gpu::layout::Access;

/// Workgroup sizes the MLP kernels may run with (`override WORKGROUP_SIZE` in their WGSL): a
/// warp or wavefront multiple on every GPU, and within WebGPU's default limit of 256
/// invocations.
pub const WORKGROUP_SIZES: [u32; 3] = [64, 128, 256];

/// How the weights reach the MLP kernels (`shaders/common/weights_*.wgsl`, binding 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum WeightsFormat {
    /// f32 in a uniform buffer (`var<uniform>`): every invocation reads the same address at the
    /// same time, which GPUs serve from their constant caches.
    F32Uniform,
    /// f32 in a read-only storage buffer, through the data caches.
    F32Storage,
    /// Half floats packed two to a u32 in a uniform buffer, widened with `unpack2x16float`
    /// (core WGSL: no extension needed).
    F16Uniform,
    /// Half floats packed two to a u32 in a read-only storage buffer, widened with
    /// `unpack2x16float`.
    F16Storage,
    /// `vec4<f16>` in a read-only storage buffer, widened with `vec4<f32>(...)`: needs the
    /// adapter's `shader-f16` feature (`enable f16;`).
    F16Native,
}

impl WeightsFormat {
    /// Every format, the f32 ones first.
    pub const ALL: [WeightsFormat; 5] = [
        WeightsFormat::F32Uniform,
        WeightsFormat::F32Storage,
        WeightsFormat::F16Uniform,
        WeightsFormat::F16Storage,
        WeightsFormat::F16Native,
    ];

    /// The WGSL that declares binding 2 and the accessors `weight(i)` and `weight_quad(q)`.
    pub fn wgsl(self) -> &'static str {
        match self {
            WeightsFormat::F32Uniform => include_str!("../../shaders/common/weights_f32_uniform.wgsl"),
            WeightsFormat::F32Storage => include_str!("../../shaders/common/weights_f32_storage.wgsl"),
            WeightsFormat::F16Uniform => include_str!("../../shaders/common/weights_f16_uniform.wgsl"),
            WeightsFormat::F16Storage => include_str!("../../shaders/common/weights_f16_storage.wgsl"),
            WeightsFormat::F16Native => include_str!("../../shaders/common/weights_f16_native.wgsl"),
        }
    }

    /// How the shader declares the weights binding.
    pub fn access(self) -> Access {
        match self {
            WeightsFormat::F32Uniform | WeightsFormat::F16Uniform => Access::Uniform,
            _ => Access::ReadOnly,
        }
    }

    /// True for the half-float formats.
    pub fn is_half(self) -> bool {
        !matches!(self, WeightsFormat::F32Uniform | WeightsFormat::F32Storage)
    }

    /// True where the format needs the adapter's `shader-f16` feature.
    pub fn needs_shader_f16(self) -> bool {
        self == WeightsFormat::F16Native
    }

    /// The f32 format in the same place: what runs a network whose weights are not all half
    /// floats.
    pub fn f32_counterpart(self) -> WeightsFormat {
        match self {
            WeightsFormat::F32Uniform | WeightsFormat::F16Uniform => WeightsFormat::F32Uniform,
            _ => WeightsFormat::F32Storage,
        }
    }

    /// Bytes of the weights buffer of a network of `architecture`: its flat parameters padded
    /// with zeros to whole 16-byte rows (a uniform array's stride), four f32 or eight halves to a
    /// row.
    pub fn buffer_bytes(self, architecture: Architecture) -> usize {
        let per_row = if self.is_half() { 8 } else { 4 };
        16 * architecture.parameters().div_ceil(per_row)
    }

    /// The buffer's contents for `weights` (the flat parameters of a [`Mlp`](crate::core::mlp::Mlp) of `architecture`),
    /// or `None` for a half-float format when some weight is not exactly a half float.
    pub fn encode(self, architecture: Architecture, weights: &[f32]) -> Option<Vec<u8>> {
        let mut bytes = vec![0u8; self.buffer_bytes(architecture)];
        let weights = &weights[..weights.len().min(architecture.parameters())];
        if !self.is_half() {
            let floats: &[u8] = bytemuck::cast_slice(weights);
            bytes[..floats.len()].copy_from_slice(floats);
            return Some(bytes);
        }
        for (i, &w) in weights.iter().enumerate() {
            let half = half::f16::from_f32(w);
            if half.to_f32().to_bits() != w.to_bits() {
                return None;
            }
            // Little-endian halves, the first of a pair in the low 16 bits (`unpack2x16float`).
            bytes[2 * i..2 * i + 2].copy_from_slice(&half.to_bits().to_le_bytes());
        }
        Some(bytes)
    }

    /// A short name for reports: "f16 storage (shader-f16)".
    pub fn describe(self) -> &'static str {
        match self {
            WeightsFormat::F32Uniform => "f32 uniform",
            WeightsFormat::F32Storage => "f32 storage",
            WeightsFormat::F16Uniform => "f16 uniform (packed)",
            WeightsFormat::F16Storage => "f16 storage (packed)",
            WeightsFormat::F16Native => "f16 storage (shader-f16)",
        }
    }
}

/// The shape of the MLP kernels (`reverse_step_mlp` and `predict_mlp`, which share the weights
/// buffer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct MlpKernelConfig {
    /// Invocations per workgroup (one of [`WORKGROUP_SIZES`]).
    pub workgroup_size: u32,
    /// The weights' format and place.
    pub weights: WeightsFormat,
}

impl MlpKernelConfig {
    /// The shape every adapter starts with, before any tuning: 64 invocations, f32 weights in a
    /// uniform buffer.
    pub const DEFAULT: MlpKernelConfig =
        MlpKernelConfig { workgroup_size: 64, weights: WeightsFormat::F32Uniform };

    /// Every shape an adapter with `features` can run, the default first.
    pub fn candidates(features: wgpu::Features) -> Vec<MlpKernelConfig> {
        let f16 = features.contains(wgpu::Features::SHADER_F16);
        WeightsFormat::ALL
            .into_iter()
            .filter(|format| f16 || !format.needs_shader_f16())
            .flat_map(|weights| {
                WORKGROUP_SIZES
                    .into_iter()
                    .map(move |workgroup_size| MlpKernelConfig { workgroup_size, weights })
            })
            .collect()
    }

    /// Checks that the shape is one the engine can run on an adapter with `features`.
    pub fn check(self, features: wgpu::Features) -> Result<(), String> {
        if !WORKGROUP_SIZES.contains(&self.workgroup_size) {
            return Err(format!("workgroup size {} is not one of {WORKGROUP_SIZES:?}", self.workgroup_size));
        }
        if self.weights.needs_shader_f16() && !features.contains(wgpu::Features::SHADER_F16) {
            return Err(format!("{} needs the adapter's shader-f16 feature", self.weights.describe()));
        }
        Ok(())
    }

    /// A short name for reports: "256 x f16 uniform (packed)".
    pub fn describe(self) -> String {
        format!("{} x {}", self.workgroup_size, self.weights.describe())
    }
}

impl Default for MlpKernelConfig {
    fn default() -> MlpKernelConfig {
        MlpKernelConfig::DEFAULT
    }
}
