//! What the particle picture looks like: the view transform, each particle's colour, and the CPU
//! rasteriser used when there is no WebGPU. Twin of `shaders/draw_particles.wgsl`.

use strum::{IntoStaticStr, VariantArray};

use crate::core::names;
use crate::core::rng;

/// Background of the canvas (sRGB bytes), dark so that colours and density read well.
pub const BACKGROUND: [u8; 3] = [11, 13, 20];
/// World units shown from the centre to the nearer edge of the canvas by default.
pub const DEFAULT_HALF_EXTENT: f32 = 3.0;
/// Default dot radius in device pixels.
pub const DEFAULT_DOT_RADIUS_PX: f32 = 1.5;
/// Default peak opacity of a dot.
pub const DEFAULT_OPACITY: f32 = 0.7;

/// How particles are coloured. Both colour particle i by the angle of its initial noise z_i, so a
/// colour follows one particle from noise to data and shows how the flow rearranges space.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    IntoStaticStr,
    VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub enum Palette {
    /// A smooth cyclic rainbow over the angle (cosine palette, I. Quilez 2015).
    #[default]
    Rainbow,
    /// Eight sectors of the angle in the Okabe-Ito colours (Okabe & Ito 2008), which stay
    /// distinguishable with the common colour-vision deficiencies.
    OkabeIto,
}

/// The Okabe-Ito colours in sRGB: orange, sky blue, bluish green, yellow, blue, vermillion,
/// reddish purple, grey. Twin of `OKABE_ITO` in `draw_particles.wgsl`.
pub const OKABE_ITO: [[f32; 3]; 8] = [
    [0.902, 0.624, 0.0],
    [0.337, 0.706, 0.914],
    [0.0, 0.620, 0.451],
    [0.941, 0.894, 0.259],
    [0.0, 0.447, 0.698],
    [0.835, 0.369, 0.0],
    [0.800, 0.475, 0.655],
    [0.600, 0.600, 0.600],
];

impl Palette {
    /// Every palette, in the order the UI lists them (declaration order).
    pub const ALL: [Palette; 2] = names::all(Palette::VARIANTS);

    /// The identifier used in options and share links.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Parses [`Palette::name`].
    pub fn from_name(name: &str) -> Option<Palette> {
        names::from_name(name)
    }

    /// Human label for the UI.
    pub fn label(self) -> &'static str {
        match self {
            Palette::Rainbow => "Rainbow",
            Palette::OkabeIto => "Okabe-Ito (colour-blind safe)",
        }
    }

    /// The id the shader reads.
    pub fn id(self) -> u32 {
        match self {
            Palette::Rainbow => 0,
            Palette::OkabeIto => 1,
        }
    }
}

/// How world coordinates map to pixels and how big the dots are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct View {
    /// World units from the centre to the nearer edge.
    pub half_extent: f32,
    /// Dot radius in device pixels.
    pub dot_radius_px: f32,
    /// Peak opacity of a dot, in (0, 1].
    pub opacity: f32,
    /// How the dots are coloured.
    pub palette: Palette,
}

impl Default for View {
    fn default() -> Self {
        View {
            half_extent: DEFAULT_HALF_EXTENT,
            dot_radius_px: DEFAULT_DOT_RADIUS_PX,
            opacity: DEFAULT_OPACITY,
            palette: Palette::Rainbow,
        }
    }
}

impl View {
    /// Pixels per world unit for a `width` x `height` target (square pixels, centred origin).
    pub fn pixels_per_unit(&self, width: u32, height: u32) -> f32 {
        0.5 * width.min(height).max(1) as f32 / self.half_extent
    }

    /// Pixel coordinates (x right, y down) of world point `p`.
    pub fn to_pixel(&self, p: [f32; 2], width: u32, height: u32) -> [f32; 2] {
        let scale = self.pixels_per_unit(width, height);
        [0.5 * width as f32 + scale * p[0], 0.5 * height as f32 - scale * p[1]]
    }
}

/// Background as the floats a GPU clear colour takes.
pub fn background_rgb() -> [f64; 3] {
    BACKGROUND.map(|c| c as f64 / 255.0)
}

/// Colour of particle `i` in `palette`, from the angle of its initial noise as a fraction of a
/// turn. Twin of `particle_colour` in the WGSL.
pub fn particle_colour(seed: u32, i: u32, palette: Palette) -> [f32; 3] {
    let z = rng::normal2(seed, i, 0, rng::stream::PRIOR);
    let turn = z[1].atan2(z[0]) / std::f32::consts::TAU + 0.5;
    match palette {
        Palette::Rainbow => {
            let phase = [0.0, 0.33, 0.67];
            phase.map(|p| 0.55 + 0.45 * (std::f32::consts::TAU * (turn + p)).cos())
        }
        Palette::OkabeIto => OKABE_ITO[((turn * 8.0) as usize).min(7)],
    }
}

/// Smoothstep as WGSL defines it.
fn smoothstep(edge0: f32, edge1: f32, x: f32) -> f32 {
    let t = ((x - edge0) / (edge1 - edge0)).clamp(0.0, 1.0);
    t * t * (3.0 - 2.0 * t)
}

/// Rasterises `particles` into an RGBA8 image (row-major, top row first), blending each dot over
/// the background with premultiplied alpha, as the GPU pipeline does.
pub fn rasterize(particles: &[[f32; 2]], seed: u32, view: &View, width: u32, height: u32) -> Vec<u8> {
    let mut image: Vec<[f32; 3]> = vec![BACKGROUND.map(|c| c as f32 / 255.0); (width * height) as usize];
    let r = view.dot_radius_px.max(0.5);
    for (i, p) in particles.iter().enumerate() {
        if !(p[0].is_finite() && p[1].is_finite()) {
            continue;
        }
        let [cx, cy] = view.to_pixel(*p, width, height);
        let colour = particle_colour(seed, i as u32, view.palette);
        let (x0, x1) = ((cx - r).floor().max(0.0) as i64, (cx + r).ceil().min(width as f32) as i64);
        let (y0, y1) = ((cy - r).floor().max(0.0) as i64, (cy + r).ceil().min(height as f32) as i64);
        for y in y0..y1 {
            for x in x0..x1 {
                let dx = (x as f32 + 0.5 - cx) / r;
                let dy = (y as f32 + 0.5 - cy) / r;
                let r2 = dx * dx + dy * dy;
                if r2 > 1.0 {
                    continue;
                }
                let alpha = view.opacity * (1.0 - smoothstep(0.5, 1.0, r2));
                let pixel = &mut image[(y as u32 * width + x as u32) as usize];
                for c in 0..3 {
                    pixel[c] = colour[c] * alpha + pixel[c] * (1.0 - alpha);
                }
            }
        }
    }
    image
        .iter()
        .flat_map(|p| {
            [p[0], p[1], p[2]].map(|c| (c.clamp(0.0, 1.0) * 255.0 + 0.5) as u8).into_iter().chain([255])
        })
        .collect()
}
