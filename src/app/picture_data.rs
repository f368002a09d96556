//! A picture (or a word the page renders) as data: points drawn from its pixels with probability
//! proportional to their ink (darkness on an opaque picture, opacity on one with transparency),
//! their colours grouped into at most four classes, then fitted into the picture as every data
//! file is (`app::data_file`). The page decodes the picture in the browser and hands over its
//! RGBA pixels, at most [`MAX_PICTURE_SIDE`] on a side.

use crate::app::data_file::{fit_points, LoadedData};
use crate::core::drawing::{DRAWING_CLASSES, MAX_DRAWN_POINTS};
use crate::core::rng;

/// Longest side of the pixels read (the page scales a picture down to it, aspect kept).
pub const MAX_PICTURE_SIDE: u32 = 512;

/// Largest picture file read (bytes): a 50 MB photograph is refused before it is decoded.
pub const MAX_PICTURE_FILE_BYTES: usize = 20 << 20;

/// Most pixels a picture may have before it is decoded (a 20,000 x 20,000 PNG is refused from
/// its header).
pub const MAX_PICTURE_PIXELS: u32 = 40_000_000;

/// Ink below this fraction counts as paper (the near-white of a scan or a photo's background).
const PAPER_INK: f64 = 0.1;

/// Two colour groups whose ink directions are closer than this (distance of the directions
/// scaled to 0-255 a channel) are one class: shades of one colour, and the edges a picture's
/// anti-aliasing mixes with the paper, stay together; colours a person tells apart do not.
const SAME_COLOUR: f64 = 80.0;

/// A colour group holding less than this share of the ink is not a class of its own: its pixels
/// join the nearest larger group. A lossy picture (JPEG's chroma subsampling) rings at the edges
/// between colours, in colours no one drew.
const MINOR_COLOUR_SHARE: f64 = 0.03;

/// Rounds of Lloyd's k-means on the ink's colours.
const KMEANS_ROUNDS: usize = 12;

/// Seed of the points drawn from a picture (the same picture always gives the same points).
const PICTURE_SEED: u32 = 0x1c0de;

/// The points of the RGBA `pixels` (`width` x `height`, row by row from the top) of the picture
/// called `name`.
pub fn from_pixels(pixels: &[u8], width: u32, height: u32, name: &str) -> Result<LoadedData, String> {
    if width == 0 || height == 0 || width > MAX_PICTURE_SIDE || height > MAX_PICTURE_SIDE {
        return Err(format!(
            "{name} is {width} x {height} pixels as handed over; 1 to {MAX_PICTURE_SIDE} on a side are read"
        ));
    }
    let count = (width * height) as usize;
    if pixels.len() != 4 * count {
        return Err(format!("{name}: {} bytes of pixels for {width} x {height} (4 each)", pixels.len()));
    }
    let pixel = |i: usize| [pixels[4 * i], pixels[4 * i + 1], pixels[4 * i + 2], pixels[4 * i + 3]];
    let transparent = (0..count).any(|i| pixel(i)[3] < 255);
    let ink: Vec<f64> = (0..count)
        .map(|i| {
            let [r, g, b, a] = pixel(i).map(|c| c as f64 / 255.0);
            // Rec. 709 luma of the colour.
            let darkness = 1.0 - (0.2126 * r + 0.7152 * g + 0.0722 * b);
            let amount = if transparent { a } else { darkness };
            if amount < PAPER_INK {
                0.0
            } else {
                amount
            }
        })
        .collect();
    let total: f64 = ink.iter().sum();
    if total <= 0.0 {
        let what = if transparent { "opaque" } else { "dark" };
        return Err(format!("{name} has no {what} pixel to take points from"));
    }
    let colours = colour_classes(&ink, pixel, count);
    // Draw pixels by inverse CDF of the ink, then a point uniformly inside each.
    let mut cumulative = Vec::with_capacity(count);
    let mut sum = 0.0;
    for &w in &ink {
        sum += w;
        cumulative.push(sum);
    }
    let mut points = Vec::with_capacity(MAX_DRAWN_POINTS);
    let mut labels = Vec::with_capacity(MAX_DRAWN_POINTS);
    for k in 0..MAX_DRAWN_POINTS {
        let words = rng::words(PICTURE_SEED, k as u32, 0, rng::stream::DATA);
        let target = rng::uniform(words[0]) as f64 * sum;
        let i = cumulative.partition_point(|&c| c <= target).min(count - 1);
        let (row, column) = (i / width as usize, i % width as usize);
        let x = column as f64 + rng::uniform(words[1]) as f64;
        let y = (height as usize - row) as f64 - rng::uniform(words[2]) as f64;
        points.push([x, y]);
        labels.push(colours.labels[i]);
    }
    let mut notices = colours.notices(name);
    notices.insert(0, format!("{MAX_DRAWN_POINTS} points were drawn from the ink of {name}."));
    fit_points(points, labels, "picture", MAX_DRAWN_POINTS, notices, name)
}

/// The ink's colours in at most four groups.
struct ColourClasses {
    /// The group of each pixel (0 for paper).
    labels: Vec<u32>,
    /// Each group's colour as the picture shows it (its most inked pixel's), largest group first.
    centres: Vec<[u8; 3]>,
}

impl ColourClasses {
    /// A notice naming the groups' colours as the drawing's stroke colours, when there are two or more.
    fn notices(&self, name: &str) -> Vec<String> {
        if self.centres.len() < 2 {
            return Vec::new();
        }
        let named: Vec<String> = self
            .centres
            .iter()
            .zip(DRAWING_CLASSES.iter())
            .map(|(c, class)| format!("#{:02x}{:02x}{:02x} is {}", c[0], c[1], c[2], class.name))
            .collect();
        vec![format!("The colours of {name} are the drawing's stroke colours: {}.", named.join(", "))]
    }
}

/// Lloyd's k-means (k = the drawing's classes) on the ink directions of the inked pixels,
/// weighted by their ink, from centres spread by farthest-point seeding; groups closer than
/// [`SAME_COLOUR`] are merged, groups with less than [`MINOR_COLOUR_SHARE`] of the ink are
/// dropped (their pixels join the nearest group left), and the groups are ordered by ink, largest first. A pixel's ink
/// direction is its distance from white, 255 - c, scaled so its largest channel is 255: a colour
/// mixed with the paper (c = a k + (1 - a) 255) has the direction of the colour k itself.
fn colour_classes(ink: &[f64], pixel: impl Fn(usize) -> [u8; 4], count: usize) -> ColourClasses {
    let colour = |i: usize| {
        let [r, g, b, _] = pixel(i);
        let away = [255.0 - r as f64, 255.0 - g as f64, 255.0 - b as f64];
        let largest = away[0].max(away[1]).max(away[2]);
        if largest > 0.0 {
            away.map(|v| 255.0 * v / largest)
        } else {
            [0.0; 3]
        }
    };
    let distance = |a: [f64; 3], b: [f64; 3]| {
        ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2) + (a[2] - b[2]).powi(2)).sqrt()
    };
    let inked: Vec<usize> = (0..count).filter(|&i| ink[i] > 0.0).collect();
    // Farthest-point seeding from the most inked pixel.
    let first = *inked.iter().max_by(|&&a, &&b| ink[a].total_cmp(&ink[b])).expect("some pixel has ink");
    let mut centres = vec![colour(first)];
    while centres.len() < DRAWING_CLASSES.len() {
        let far = inked
            .iter()
            .map(|&i| (i, centres.iter().map(|&c| distance(colour(i), c)).fold(f64::MAX, f64::min)))
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match far {
            Some((i, d)) if d >= SAME_COLOUR => centres.push(colour(i)),
            _ => break,
        }
    }
    let nearest = |c: [f64; 3], centres: &[[f64; 3]]| {
        (0..centres.len())
            .min_by(|&a, &b| distance(c, centres[a]).total_cmp(&distance(c, centres[b])))
            .unwrap_or(0)
    };
    for _ in 0..KMEANS_ROUNDS {
        let mut sums = vec![([0.0; 3], 0.0); centres.len()];
        for &i in &inked {
            let c = colour(i);
            let k = nearest(c, &centres);
            for (sum, value) in sums[k].0.iter_mut().zip(c) {
                *sum += ink[i] * value;
            }
            sums[k].1 += ink[i];
        }
        for (centre, (sum, weight)) in centres.iter_mut().zip(&sums) {
            if *weight > 0.0 {
                *centre = sum.map(|s| s / weight);
            }
        }
    }
    // Merge groups that ended up close, then order by ink.
    let mut merged: Vec<[f64; 3]> = Vec::new();
    for c in centres {
        if merged.iter().all(|&m| distance(m, c) >= SAME_COLOUR) {
            merged.push(c);
        }
    }
    let mut weights = vec![0.0; merged.len()];
    for &i in &inked {
        weights[nearest(colour(i), &merged)] += ink[i];
    }
    let total: f64 = weights.iter().sum();
    let mut order: Vec<usize> = (0..merged.len()).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
    // The largest group always stays; the minor ones go.
    let kept = order.iter().skip(1).take_while(|&&k| weights[k] >= MINOR_COLOUR_SHARE * total).count() + 1;
    order.truncate(kept);
    let directions: Vec<[f64; 3]> = order.iter().map(|&k| merged[k]).collect();
    let labels: Vec<u32> =
        (0..count).map(|i| if ink[i] > 0.0 { nearest(colour(i), &directions) as u32 } else { 0 }).collect();
    let shown = |k: usize| {
        let most =
            inked.iter().filter(|&&i| labels[i] == k as u32).max_by(|&&a, &&b| ink[a].total_cmp(&ink[b]));
        most.map_or([0, 0, 0], |&i| {
            let [r, g, b, _] = pixel(i);
            [r, g, b]
        })
    };
    let centres = (0..directions.len()).map(shown).collect();
    ColourClasses { labels, centres }
}
