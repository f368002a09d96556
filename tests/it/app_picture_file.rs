//! A picture file as data in the command-line tools (`app::picture_file`, through
//! `app::data_file::read`): PNG, JPEG, WebP and GIF decoded by the `image` crate give the page's
//! points and classes; a picture too big in bytes or pixels is refused before it is decoded, and
//! an SVG is refused with the advice to save it as PNG.

use std::io::Cursor;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use diffusion_playground::app::data_file::{read, LoadedData};
use diffusion_playground::app::picture_data::{MAX_PICTURE_FILE_BYTES, MAX_PICTURE_SIDE};
use diffusion_playground::app::picture_file;
use diffusion_playground::core::drawing::MAX_DRAWN_POINTS;
use image::{ImageFormat, Rgba, RgbaImage};

/// A refusal comes back well within the second the issue allows (generous for a busy machine).
const PROMPT: Duration = Duration::from_millis(500);

/// A white picture `width` x `height` with a red disc on its left half and a smaller blue square
/// on its right half.
fn two_colours(width: u32, height: u32) -> RgbaImage {
    let (w, h) = (width as f64, height as f64);
    RgbaImage::from_fn(width, height, |column, row| {
        let (x, y) = (column as f64 + 0.5, row as f64 + 0.5);
        if (x - 0.25 * w).hypot(y - 0.5 * h) < 0.18 * h {
            Rgba([220, 30, 30, 255])
        } else if (x - 0.75 * w).abs() < 0.1 * h && (y - 0.5 * h).abs() < 0.1 * h {
            Rgba([20, 40, 200, 255])
        } else {
            Rgba([255, 255, 255, 255])
        }
    })
}

fn encoded(picture: &RgbaImage, format: ImageFormat) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    match format {
        // JPEG has no alpha channel.
        ImageFormat::Jpeg => {
            image::DynamicImage::ImageRgba8(picture.clone()).to_rgb8().write_to(&mut bytes, format)
        }
        _ => picture.write_to(&mut bytes, format),
    }
    .unwrap();
    bytes.into_inner()
}

/// A file of `bytes` called `name` in a fresh folder of the test's own.
fn file(test: &str, name: &str, bytes: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dp-picture-file-{test}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Fraction of the points of `class` left (or right) of the middle.
fn on_side(data: &LoadedData, class: u32, left: bool) -> f64 {
    let of_class: Vec<f32> =
        data.point_pairs().iter().zip(&data.labels).filter(|(_, &l)| l == class).map(|(p, _)| p[0]).collect();
    of_class.iter().filter(|&&x| (x < 0.0) == left).count() as f64 / of_class.len().max(1) as f64
}

#[test]
fn each_picture_format_gives_the_red_disc_and_the_blue_square_as_two_classes() {
    let figure = two_colours(200, 100);
    for (format, name) in [
        (ImageFormat::Png, "figure.png"),
        (ImageFormat::Jpeg, "figure.jpg"),
        (ImageFormat::WebP, "figure.webp"),
        (ImageFormat::Gif, "figure.gif"),
    ] {
        let data = read(&file("formats", name, &encoded(&figure, format))).unwrap();
        assert_eq!((data.format, data.points.len() / 2), ("picture", MAX_DRAWN_POINTS), "{name}");
        assert_eq!(*data.labels.iter().max().unwrap(), 1, "{name}: two colours, two classes");
        // JPEG's ringing puts a few pixels of each colour's edge elsewhere: most, not all.
        assert!(
            on_side(&data, 0, true) > 0.97,
            "{name}: the red disc (more ink) is the first class, on the left"
        );
        assert!(on_side(&data, 1, false) > 0.97, "{name}: the blue square is the second, on the right");
        assert!(data.notices.iter().any(|n| n.contains("stroke colours")), "{name}: {:?}", data.notices);
    }
}

#[test]
fn a_png_gives_the_points_the_page_gets_from_its_pixels() {
    let figure = two_colours(200, 100);
    let path = file("same", "figure.png", &encoded(&figure, ImageFormat::Png));
    let from_file = read(&path).unwrap();
    let name = path.display().to_string();
    let from_pixels =
        diffusion_playground::app::picture_data::from_pixels(figure.as_raw(), 200, 100, &name).unwrap();
    assert_eq!(from_file.points, from_pixels.points);
    assert_eq!(from_file.labels, from_pixels.labels);
}

#[test]
fn a_picture_wider_than_the_side_read_is_scaled_down_with_its_aspect_kept() {
    let wide = two_colours(4 * MAX_PICTURE_SIDE, 2 * MAX_PICTURE_SIDE);
    let data = read(&file("wide", "wide.png", &encoded(&wide, ImageFormat::Png))).unwrap();
    let xs: Vec<f32> = data.point_pairs().iter().map(|p| p[0]).collect();
    let ys: Vec<f32> = data.point_pairs().iter().map(|p| p[1]).collect();
    let spread =
        |v: &[f32]| v.iter().cloned().fold(f32::MIN, f32::max) - v.iter().cloned().fold(f32::MAX, f32::min);
    // The ink spans 0.07 to 0.85 of the width and 0.32 to 0.68 of the height: about 4.3 to 1 in
    // the picture's 2 to 1 frame.
    let ratio = spread(&xs) / spread(&ys);
    assert!((3.5..5.5).contains(&ratio), "ink {ratio}:1 wide as drawn");
}

/// A PNG signature and header chunk saying `width` x `height` RGBA, a data chunk far too short
/// for it, then the end chunk: what a decoder reads before any pixel (PNG specification, 3rd ed.,
/// 5.2 to 5.3 and 11.2.1).
fn png_header_only(width: u32, height: u32) -> Vec<u8> {
    fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut out = (data.len() as u32).to_be_bytes().to_vec();
        let mut checked = kind.to_vec();
        checked.extend_from_slice(data);
        out.extend_from_slice(&checked);
        out.extend_from_slice(&crc32(&checked).to_be_bytes());
        out
    }
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // Bit depth 8, colour type 6 (RGBA), deflate, adaptive filtering, no interlace.
    header.extend_from_slice(&[8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(chunk(b"IHDR", &header));
    png.extend(chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    png.extend(chunk(b"IEND", &[]));
    png
}

/// CRC-32 (ISO 3309, the polynomial PNG uses), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in bytes {
        crc ^= byte as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn a_20000_by_20000_png_is_refused_from_its_header_at_once() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926, "the CRC-32 check value");
    let path = file("huge", "huge.png", &png_header_only(20_000, 20_000));
    let started = Instant::now();
    let refused = read(&path).unwrap_err();
    assert!(started.elapsed() < PROMPT);
    assert!(
        refused.ends_with("huge.png is 20000 x 20000 pixels; pictures of at most 40 megapixels are read"),
        "{refused}"
    );
}

#[test]
fn a_picture_file_over_the_cap_is_refused_before_it_is_read() {
    let mut bytes = encoded(&two_colours(20, 10), ImageFormat::Png);
    bytes.resize(MAX_PICTURE_FILE_BYTES + 1, 0);
    let refused = read(&file("big", "big.png", &bytes)).unwrap_err();
    assert!(refused.ends_with("big.png is 21.0 MB; pictures of at most 20 MB are read"), "{refused}");
}

#[test]
fn an_svg_is_refused_with_the_advice_to_save_it_as_png() {
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>"#;
    for name in ["shape.svg", "shape.txt"] {
        let refused = read(&file("svg", name, svg)).unwrap_err();
        assert!(
            refused.contains("is an SVG picture: the page reads it (through the browser); for the command-line tools save it as PNG"),
            "{refused}"
        );
    }
}

#[test]
fn a_picture_without_ink_or_that_is_not_one_is_refused_naming_the_problem() {
    let blank = RgbaImage::from_pixel(30, 20, Rgba([255, 255, 255, 255]));
    let refused = read(&file("blank", "blank.png", &encoded(&blank, ImageFormat::Png))).unwrap_err();
    assert!(refused.ends_with("blank.png has no dark pixel to take points from"), "{refused}");
    // A PNG signature and nothing after it: a picture that cannot be decoded.
    let refused = read(&file("broken", "broken.png", b"\x89PNG\r\n\x1a\n")).unwrap_err();
    assert!(refused.contains("broken.png"), "{refused}");
    assert!(picture_file::is_picture(b"\x89PNG\r\n\x1a\n") && !picture_file::is_picture(b"x,y\n1,2\n"));
}
