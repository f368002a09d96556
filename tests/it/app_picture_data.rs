//! A picture as data (`app::picture_data`): points drawn from its ink, its colours as the
//! drawing's classes; a picture with no ink, or pixels of the wrong size, is refused.

use diffusion_playground::app::picture_data::{from_pixels, MAX_PICTURE_SIDE};
use diffusion_playground::core::drawing::MAX_DRAWN_POINTS;

const SIDE: u32 = 64;

/// A white picture with a red disc on the left and a smaller blue square on the right.
fn two_colours() -> Vec<u8> {
    let mut pixels = vec![255u8; (4 * SIDE * SIDE) as usize];
    for row in 0..SIDE {
        for column in 0..SIDE {
            let at = (4 * (row * SIDE + column)) as usize;
            let (x, y) = (column as f64 + 0.5, row as f64 + 0.5);
            if (x - 16.0).hypot(y - 32.0) < 12.0 {
                pixels[at..at + 3].copy_from_slice(&[220, 30, 30]);
            } else if (x - 48.0).abs() < 6.0 && (y - 32.0).abs() < 6.0 {
                pixels[at..at + 3].copy_from_slice(&[20, 40, 200]);
            }
        }
    }
    pixels
}

#[test]
fn points_follow_the_ink_and_each_colour_is_a_class() {
    let data = from_pixels(&two_colours(), SIDE, SIDE, "figure.png").unwrap();
    assert_eq!((data.format, data.points.len() / 2), ("picture", MAX_DRAWN_POINTS));
    let points: Vec<[f32; 2]> = data.points.chunks_exact(2).map(|p| [p[0], p[1]]).collect();
    // The red disc has the more ink: it is the first class; every point of it lies left.
    let left =
        |class: u32| points.iter().zip(&data.labels).filter(|(_, &l)| l == class).all(|(p, _)| p[0] < 0.0);
    let right =
        |class: u32| points.iter().zip(&data.labels).filter(|(_, &l)| l == class).all(|(p, _)| p[0] > 0.0);
    assert!(left(0) && right(1), "red on the left, blue on the right");
    let share = data.labels.iter().filter(|&&l| l == 0).count() as f64 / MAX_DRAWN_POINTS as f64;
    // Ink in proportion: the disc's area (pi 12^2 = 452) against the square's (144) with its darker ink.
    assert!((0.6..0.85).contains(&share), "the disc's share of the points is {share}");
    assert!(
        data.notices
            .iter()
            .any(|n| n.contains("are the drawing's stroke colours: #") && n.contains(" is blue, #")),
        "{:?}",
        data.notices
    );
    assert_eq!(
        from_pixels(&two_colours(), SIDE, SIDE, "figure.png").unwrap(),
        data,
        "the same picture, the same points"
    );
}

#[test]
fn a_transparent_picture_is_read_by_its_opacity() {
    let mut pixels = vec![0u8; (4 * SIDE * SIDE) as usize];
    for row in 20..44 {
        for column in 10..54 {
            let at = (4 * (row * SIDE + column)) as usize;
            // White strokes on a clear background: no darkness, but opaque.
            pixels[at..at + 4].copy_from_slice(&[255, 255, 255, 255]);
        }
    }
    let data = from_pixels(&pixels, SIDE, SIDE, "logo.png").unwrap();
    assert!(data.labels.iter().all(|&l| l == 0), "one colour, one class");
}

#[test]
fn no_ink_or_pixels_of_the_wrong_size_are_refused() {
    let white = vec![255u8; (4 * SIDE * SIDE) as usize];
    assert_eq!(
        from_pixels(&white, SIDE, SIDE, "blank.png").unwrap_err(),
        "blank.png has no dark pixel to take points from"
    );
    assert!(from_pixels(&white, SIDE, SIDE + 1, "x").unwrap_err().contains("bytes of pixels for 64 x 65"));
    let huge = MAX_PICTURE_SIDE + 1;
    assert!(from_pixels(&[], huge, 1, "x").unwrap_err().contains("1 to 512 on a side"));
    assert!(from_pixels(&[], 0, 1, "x").is_err());
}

#[test]
fn a_colour_with_a_sliver_of_the_ink_is_not_a_class_of_its_own() {
    let mut pixels = two_colours();
    // A few green pixels (a lossy picture's ringing, a speck of dust): under 3% of the ink.
    for column in 30..34 {
        let at = (4 * (5 * SIDE + column)) as usize;
        pixels[at..at + 3].copy_from_slice(&[20, 200, 40]);
    }
    let data = from_pixels(&pixels, SIDE, SIDE, "specks.png").unwrap();
    assert_eq!(
        *data.labels.iter().max().unwrap(),
        1,
        "red and blue are the classes; the green speck joins one"
    );
}
