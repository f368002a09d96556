//! A picture file as data in the command-line tools (`--data logo.png`): decoded with the `image`
//! crate (PNG, JPEG, WebP, GIF), checked for its size from its header before any pixel is
//! decoded, scaled down to [`MAX_PICTURE_SIDE`] on its longer side as the page does, and handed
//! to [`picture_data::from_pixels`], so a picture gives the CLI the points it gives the page (up to
//! the two scalers' rounding). The page decodes pictures in the browser; this module is native only.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{ImageFormat, ImageReader};

use crate::app::data_file::LoadedData;
use crate::app::picture_data::{self, MAX_PICTURE_FILE_BYTES, MAX_PICTURE_PIXELS, MAX_PICTURE_SIDE};

/// The picture formats read, by the file's first bytes.
const PICTURE_FORMATS: [ImageFormat; 4] =
    [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::WebP, ImageFormat::Gif];

/// Whether `bytes` (a file's content) are a picture this module reads.
pub fn is_picture(bytes: &[u8]) -> bool {
    image::guess_format(bytes).is_ok_and(|format| PICTURE_FORMATS.contains(&format))
}

/// Whether `bytes` (or the file's `name`) are an SVG picture, which only the page reads.
pub fn is_svg(bytes: &[u8], name: &str) -> bool {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).to_ascii_lowercase();
    name.to_ascii_lowercase().ends_with(".svg") || head.contains("<svg")
}

/// The message refusing the picture `name` of `size` bytes.
pub fn too_big(name: &str, size: u64) -> String {
    format!(
        "{name} is {:.1} MB; pictures of at most {} MB are read",
        size as f64 / 1e6,
        MAX_PICTURE_FILE_BYTES >> 20
    )
}

/// The points of the picture `bytes` of the file called `name`.
pub fn load(bytes: &[u8], name: &str) -> Result<LoadedData, String> {
    if bytes.len() > MAX_PICTURE_FILE_BYTES {
        return Err(too_big(name, bytes.len() as u64));
    }
    let reader = || {
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| format!("cannot read {name} as a picture: {e}"))
    };
    let (width, height) =
        reader()?.into_dimensions().map_err(|e| format!("cannot read {name} as a picture: {e}"))?;
    if width as u64 * height as u64 > MAX_PICTURE_PIXELS as u64 {
        return Err(format!(
            "{name} is {width} x {height} pixels; pictures of at most {} megapixels are read",
            MAX_PICTURE_PIXELS / 1_000_000
        ));
    }
    let picture = reader()?.decode().map_err(|e| format!("cannot decode {name}: {e}"))?;
    let longer = width.max(height);
    let picture = if longer > MAX_PICTURE_SIDE {
        let scale = MAX_PICTURE_SIDE as f64 / longer as f64;
        let side = |n: u32| ((n as f64 * scale).round() as u32).max(1);
        picture.resize_exact(side(width), side(height), FilterType::Triangle)
    } else {
        picture
    };
    let rgba = picture.to_rgba8();
    picture_data::from_pixels(rgba.as_raw(), rgba.width(), rgba.height(), name)
}
