//! Particles as files, written the same way by `dp-sample` and the page: CSV with one
//! `step,particle,x,y` line per particle and step, or a little-endian f32 NumPy `.npy` array of
//! shape (particles, 2) or (steps, particles, 2).

use crate::app::options::{self, OptionError};

/// The file formats of particles.
const FORMATS: [&str; 2] = ["csv", "npy"];

/// `frames` as the file `format` names ("csv" or "npy"; the error names the field `format`).
pub fn particles_file(
    frames: &[Vec<[f32; 2]>],
    first_step: usize,
    format: &str,
) -> Result<Vec<u8>, OptionError> {
    match options::check_choice("format", format, &FORMATS, |f| f)? {
        "csv" => Ok(particles_csv(frames, first_step).into_bytes()),
        _ => Ok(particles_npy(frames)),
    }
}

/// A trajectory (frame k: the particles after step k, frame 0 the start) as the file `format`
/// names: "csv" (`step,particle,x,y` lines) or "npy" (shape (frames, particles, 2), even for one
/// frame).
pub fn trajectory_file(frames: &[Vec<[f32; 2]>], format: &str) -> Result<Vec<u8>, OptionError> {
    match options::check_choice("format", format, &FORMATS, |f| f)? {
        "csv" => Ok(particles_csv(frames, 0).into_bytes()),
        _ => {
            let n = frames.first().map_or(0, Vec::len);
            let flat: Vec<f32> = frames.iter().flatten().flatten().copied().collect();
            Ok(npy(&[frames.len(), n, 2], &flat))
        }
    }
}

/// A little-endian f32 NumPy array (format 1.0) of `shape` holding `values` in C order.
pub fn npy(shape: &[usize], values: &[f32]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape_text =
        if dims.len() == 1 { format!("({},)", dims[0]) } else { format!("({})", dims.join(", ")) };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape_text}, }}");
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    let total = (10 + header.len() + 1).next_multiple_of(64);
    header.push_str(&" ".repeat(total - 10 - header.len() - 1));
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// `frames` (the particles after steps `first_step`, `first_step + 1`, ...) as CSV lines
/// `step,particle,x,y` under that header.
pub fn particles_csv(frames: &[Vec<[f32; 2]>], first_step: usize) -> String {
    let mut text = String::from("step,particle,x,y\n");
    for (k, frame) in frames.iter().enumerate() {
        for (i, p) in frame.iter().enumerate() {
            text.push_str(&format!("{},{i},{},{}\n", first_step + k, p[0], p[1]));
        }
    }
    text
}

/// `frames` as an `.npy` array: (particles, 2) for one frame, else (frames, particles, 2).
pub fn particles_npy(frames: &[Vec<[f32; 2]>]) -> Vec<u8> {
    let n = frames.first().map_or(0, Vec::len);
    let flat: Vec<f32> = frames.iter().flatten().flatten().copied().collect();
    if frames.len() == 1 {
        npy(&[n, 2], &flat)
    } else {
        npy(&[frames.len(), n, 2], &flat)
    }
}
