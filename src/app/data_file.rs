//! A user's own data as a file: points with an optional class each, read from CSV or TSV text
//! (`x,y` or `x,y,class`, a header line allowed), a NumPy `.npy` array (N x 2 or N x 3, float32
//! or float64) or the drawing JSON the page writes, then fitted into the picture (centred, aspect
//! kept) and cut to a drawing's point limit, so that it is sampled exactly as a drawing is: with
//! the exact score of the kernel-smoothed mixture of its points (`core::drawing`).
//!
//! Files are hostile input: each is refused, with what is wrong and where, or read with a notice
//! saying what was changed, in time linear in its size, which is capped before it is read.

use serde::Serialize;

use crate::core::drawing::{DRAWING_CLASSES, MAX_DRAWN_POINTS};
use crate::core::rng;

/// Largest file read as data (bytes): 16 MiB, about a million CSV rows; a bigger one is refused
/// before it is parsed, with the advice to cut it down (a drawing keeps 512 points anyway).
pub const MAX_DATA_FILE_BYTES: usize = 16 << 20;

/// Half the width of the square the data is fitted into (world units): four fifths of the
/// picture's half width (`core::render::DEFAULT_HALF_EXTENT`), so the smoothed density stays in view.
pub const FIT_HALF_EXTENT: f32 = 2.4;

/// Seed of the random choice of the points kept from a larger file (the same file always gives
/// the same points).
const SUBSAMPLE_SEED: u32 = 0x5eed;

/// The NumPy format's magic string (NEP 1, "A simple file format for NumPy arrays").
const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// Data read from a file, ready to be used as a drawing.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(target_arch = "wasm32", derive(tsify::Tsify), tsify(missing_as_null))]
pub struct LoadedData {
    /// The points, fitted into the picture, interleaved x, y.
    pub points: Vec<f32>,
    /// The class of each point: an index of the drawing's stroke classes.
    pub labels: Vec<u32>,
    /// What the file was read as: "csv", "npy", "json" or "picture".
    pub format: &'static str,
    /// How many points the file held.
    pub points_in_file: usize,
    /// One plain-text sentence per change made to the file's data (fitted, cut, classes named).
    pub notices: Vec<String>,
}

/// Reads the data file at `path`: a picture (PNG, JPEG, WebP, GIF) through
/// [`crate::app::picture_file`], points through [`load`]. The kind is told from the file's first
/// bytes, and a file over its kind's size cap is refused before it is read.
#[cfg(not(target_arch = "wasm32"))]
pub fn read(path: &std::path::Path) -> Result<LoadedData, String> {
    use crate::app::picture_data::MAX_PICTURE_FILE_BYTES;
    use crate::app::picture_file;
    use std::io::Read;
    /// Bytes read to tell a picture from points.
    const SNIFFED_BYTES: u64 = 512;
    let name = path.display().to_string();
    let cannot = |e: std::io::Error| format!("cannot read {name}: {e}");
    let mut file = std::fs::File::open(path).map_err(cannot)?;
    let size = file.metadata().map_err(cannot)?.len();
    let mut head = Vec::new();
    file.by_ref().take(SNIFFED_BYTES).read_to_end(&mut head).map_err(cannot)?;
    if picture_file::is_svg(&head, &name) {
        return Err(format!(
            "{name} is an SVG picture: the page reads it (through the browser); for the command-line tools save it as PNG"
        ));
    }
    let picture = picture_file::is_picture(&head);
    let cap = if picture { MAX_PICTURE_FILE_BYTES } else { MAX_DATA_FILE_BYTES };
    if size > cap as u64 {
        return Err(if picture { picture_file::too_big(&name, size) } else { too_big(&name, size) });
    }
    let mut bytes = head;
    file.read_to_end(&mut bytes).map_err(cannot)?;
    if picture {
        picture_file::load(&bytes, &name)
    } else {
        load(&bytes, &name)
    }
}

impl LoadedData {
    /// The points as pairs.
    pub fn point_pairs(&self) -> Vec<[f32; 2]> {
        self.points.chunks_exact(2).map(|p| [p[0], p[1]]).collect()
    }
}

/// Points and their raw class values, as a file gives them.
struct Table {
    points: Vec<[f64; 2]>,
    classes: Option<Vec<String>>,
}

/// Reads the data file `bytes` called `name` (for messages): its format from its content (the
/// NumPy magic, JSON's opening bracket, else delimited text).
pub fn load(bytes: &[u8], name: &str) -> Result<LoadedData, String> {
    if bytes.len() > MAX_DATA_FILE_BYTES {
        return Err(too_big(name, bytes.len() as u64));
    }
    let (format, table) = if bytes.starts_with(NPY_MAGIC) {
        ("npy", parse_npy(bytes, name)?)
    } else {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            format!("{name} is neither a NumPy .npy array nor UTF-8 text (byte {})", e.valid_up_to())
        })?;
        match text.trim_start().chars().next() {
            Some('{' | '[') => ("json", parse_json(text, name)?),
            _ => ("csv", parse_delimited(text, name)?),
        }
    };
    fit(table, format, name)
}

/// `x,y` or `x,y,class` per line, separated by commas, tabs, semicolons or spaces; blank lines and
/// `#` comments skipped; a first line that is not numbers is a header.
fn parse_delimited(text: &str, name: &str) -> Result<Table, String> {
    let mut points = Vec::new();
    let mut classes: Vec<String> = Vec::new();
    let mut columns = None;
    let mut header_allowed = true;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> =
            line.split([',', '\t', ';', ' ']).map(str::trim).filter(|f| !f.is_empty()).collect();
        let first_is_number = fields.first().is_some_and(|f| f.parse::<f64>().is_ok());
        if header_allowed && !first_is_number {
            header_allowed = false;
            continue;
        }
        header_allowed = false;
        let where_ = || format!("{name}, line {}", number + 1);
        if fields.len() != 2 && fields.len() != 3 {
            return Err(format!("{}: expected x,y or x,y,class, got {} fields", where_(), fields.len()));
        }
        if *columns.get_or_insert(fields.len()) != fields.len() {
            return Err(format!(
                "{}: {} fields where the lines before have {}",
                where_(),
                fields.len(),
                columns.unwrap_or(0)
            ));
        }
        let mut xy = [0.0; 2];
        for (axis, field) in fields[..2].iter().enumerate() {
            xy[axis] = finite(field.parse::<f64>().ok(), || {
                format!("{}: {} is not a finite number", where_(), quote(field))
            })?;
        }
        points.push(xy);
        if let Some(class) = fields.get(2) {
            classes.push((*class).to_string());
        }
    }
    Ok(Table { points, classes: (columns == Some(3)).then_some(classes) })
}

/// The drawing JSON the page writes, `{ "points": [[x, y], ...], "classes": [c, ...] }`, or a
/// bare list of `[x, y]` or `[x, y, class]`.
fn parse_json(text: &str, name: &str) -> Result<Table, String> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|e| format!("{name} is not JSON ({e})"))?;
    let list = match &value {
        serde_json::Value::Array(list) => list,
        _ => value
            .get("points")
            .and_then(|p| p.as_array())
            .ok_or_else(|| format!("{name} has no \"points\" list"))?,
    };
    let mut points = Vec::with_capacity(list.len());
    let mut classes = Vec::new();
    for (i, entry) in list.iter().enumerate() {
        let numbers: Option<Vec<f64>> = entry.as_array().and_then(|a| a.iter().map(|v| v.as_f64()).collect());
        match numbers.as_deref() {
            Some([x, y]) => points.push([*x, *y]),
            Some([x, y, c]) => {
                points.push([*x, *y]);
                classes.push(c.to_string());
            }
            _ => return Err(format!("{name}: point {i} is not [x, y] or [x, y, class] of numbers")),
        }
        finite_pair(points[i], || format!("{name}: point {i} is not finite"))?;
    }
    if !classes.is_empty() && classes.len() != points.len() {
        return Err(format!("{name}: some points have a class and others not"));
    }
    if let Some(listed) = value.get("classes").and_then(|c| c.as_array()) {
        if listed.len() != points.len() {
            return Err(format!("{name}: {} classes for {} points", listed.len(), points.len()));
        }
        classes = listed.iter().map(|c| c.to_string()).collect();
    }
    Ok(Table { points, classes: (!classes.is_empty()).then_some(classes) })
}

/// A NumPy array of shape (N, 2) or (N, 3), float32 or float64, little-endian, C order (NEP 1:
/// magic, version, header length, a Python dict literal, then the data).
fn parse_npy(bytes: &[u8], name: &str) -> Result<Table, String> {
    let bad = |what: &str| format!("{name} is not an array this page reads: {what}");
    let version = *bytes.get(NPY_MAGIC.len()).ok_or_else(|| bad("it ends after the magic"))?;
    let (length_bytes, start) = match version {
        1 => (2, NPY_MAGIC.len() + 4),
        2 | 3 => (4, NPY_MAGIC.len() + 6),
        v => return Err(bad(&format!("format version {v}"))),
    };
    let length_at = NPY_MAGIC.len() + 2;
    let length_field =
        bytes.get(length_at..length_at + length_bytes).ok_or_else(|| bad("its header is cut"))?;
    let header_length = length_field.iter().rev().fold(0usize, |acc, &b| acc * 256 + b as usize);
    let header_end = start.checked_add(header_length).ok_or_else(|| bad("its header is cut"))?;
    let header = bytes.get(start..header_end).ok_or_else(|| bad("its header is cut"))?;
    let header = std::str::from_utf8(header).map_err(|_| bad("its header is not text"))?;
    let descr = dict_value(header, "descr").ok_or_else(|| bad("no 'descr' in its header"))?;
    let width = match descr.trim_matches(['\'', '"']) {
        "<f4" | "|f4" => 4,
        "<f8" | "|f8" => 8,
        other => return Err(bad(&format!("dtype {other} (float32 or float64, little-endian, are read)"))),
    };
    if dict_value(header, "fortran_order").is_none_or(|v| v != "False") {
        return Err(bad("Fortran order (save it in C order)"));
    }
    let shape = dict_value(header, "shape").ok_or_else(|| bad("no 'shape' in its header"))?;
    let dims: Vec<usize> = shape
        .trim_matches(['(', ')'])
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<usize>())
        .collect::<Result<_, _>>()
        .map_err(|_| bad(&format!("shape {shape}")))?;
    let (rows, columns) = match dims[..] {
        [rows, columns @ (2 | 3)] => (rows, columns),
        _ => return Err(bad(&format!("shape {shape} (N x 2 or N x 3 is read)"))),
    };
    let data = &bytes[header_end..];
    let needed = rows.checked_mul(columns * width).ok_or_else(|| bad("its shape overflows"))?;
    if data.len() != needed {
        return Err(bad(&format!("{} data bytes where its shape needs {needed}", data.len())));
    }
    let value = |k: usize| -> f64 {
        let at = &data[k * width..(k + 1) * width];
        if width == 4 {
            f32::from_le_bytes([at[0], at[1], at[2], at[3]]) as f64
        } else {
            f64::from_le_bytes([at[0], at[1], at[2], at[3], at[4], at[5], at[6], at[7]])
        }
    };
    let mut points = Vec::with_capacity(rows);
    let mut classes = Vec::new();
    for row in 0..rows {
        let point = [value(row * columns), value(row * columns + 1)];
        points.push(finite_pair(point, || format!("{name}: row {row} is not finite"))?);
        if columns == 3 {
            classes.push(value(row * columns + 2).to_string());
        }
    }
    Ok(Table { points, classes: (columns == 3).then_some(classes) })
}

/// The text after `'key':` in a Python dict literal, up to the next top-level comma.
fn dict_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let rest = header.split_once(&format!("'{key}':"))?.1.trim_start();
    let end = if rest.starts_with('(') { rest.find(')')? + 1 } else { rest.find([',', '}'])? };
    Some(rest[..end].trim())
}

/// Why a file of `size` bytes called `name` is not read.
fn too_big(name: &str, size: u64) -> String {
    format!(
        "{name} is {:.1} MB; data files of at most {} MB are read (a drawing keeps {MAX_DRAWN_POINTS} points: sample the file down first)",
        size as f64 / 1e6,
        MAX_DATA_FILE_BYTES >> 20
    )
}

/// `value` when it is a finite number, else the error `why` makes.
fn finite(value: Option<f64>, why: impl Fn() -> String) -> Result<f64, String> {
    value.filter(|v| v.is_finite()).ok_or_else(why)
}

/// `point` when both its coordinates are finite, else the error `why` makes.
fn finite_pair(point: [f64; 2], why: impl Fn() -> String) -> Result<[f64; 2], String> {
    if point.iter().all(|v| v.is_finite()) {
        Ok(point)
    } else {
        Err(why())
    }
}

/// `text` quoted for a message, shortened.
fn quote(text: &str) -> String {
    crate::app::condition::quote(text)
}

/// The table fitted into the picture, cut to a drawing's limit, its classes named.
fn fit(table: Table, format: &'static str, name: &str) -> Result<LoadedData, String> {
    let Table { points, classes } = table;
    let mut notices = Vec::new();
    let labels = match classes {
        Some(values) => class_labels(&values, name, &mut notices)?,
        None => vec![0; points.len()],
    };
    let points_in_file = points.len();
    fit_points(points, labels, format, points_in_file, notices, name)
}

/// `points` (with their `labels`) cut to a drawing's limit and fitted into the picture, with
/// `notices` and a notice for each change: what every data source ends with (a file's points, a
/// picture's: `app::picture_data`). `points_in_file`: how many the source held.
pub fn fit_points(
    points: Vec<[f64; 2]>,
    labels: Vec<u32>,
    format: &'static str,
    points_in_file: usize,
    mut notices: Vec<String>,
    name: &str,
) -> Result<LoadedData, String> {
    if points.is_empty() {
        return Err(format!("{name} holds no points"));
    }
    let kept = kept_indices(points.len());
    if kept.len() < points.len() {
        notices.push(format!(
            "{name} holds {} points; {} of them, drawn at random, are used (a drawing's limit).",
            points.len(),
            kept.len()
        ));
    }
    let (low, high) = points.iter().fold(([f64::MAX; 2], [f64::MIN; 2]), |(lo, hi), p| {
        ([lo[0].min(p[0]), lo[1].min(p[1])], [hi[0].max(p[0]), hi[1].max(p[1])])
    });
    let centre = [0.5 * (low[0] + high[0]), 0.5 * (low[1] + high[1])];
    let half_range = (0.5 * (high[0] - low[0])).max(0.5 * (high[1] - low[1]));
    // All points at one place: centred, at the drawing's scale.
    let scale = if half_range > 0.0 { FIT_HALF_EXTENT as f64 / half_range } else { 1.0 };
    if half_range == 0.0 {
        notices.push(format!("The points of {name} are all at one place: they are shown at the centre."));
    }
    let mut flat = Vec::with_capacity(2 * kept.len());
    for &i in &kept {
        let p = points[i];
        flat.push(((p[0] - centre[0]) * scale) as f32);
        flat.push(((p[1] - centre[1]) * scale) as f32);
    }
    Ok(LoadedData {
        points: flat,
        labels: kept.iter().map(|&i| labels[i]).collect(),
        format,
        points_in_file,
        notices,
    })
}

/// The indices of the points kept (in file order): all of them, or [`MAX_DRAWN_POINTS`] drawn at
/// random without replacement (those with the smallest counter-based keys), the same for the
/// same file.
fn kept_indices(count: usize) -> Vec<usize> {
    if count <= MAX_DRAWN_POINTS {
        return (0..count).collect();
    }
    let key = |i: usize| rng::words(SUBSAMPLE_SEED, i as u32, 0, rng::stream::DATA)[0];
    let mut order: Vec<usize> = (0..count).collect();
    order.select_nth_unstable_by_key(MAX_DRAWN_POINTS - 1, |&i| (key(i), i));
    let mut kept = order[..MAX_DRAWN_POINTS].to_vec();
    kept.sort_unstable();
    kept
}

/// Class values named as the drawing's stroke classes, in order of first appearance (numbers in
/// increasing order); more than the drawing has are refused.
fn class_labels(values: &[String], name: &str, notices: &mut Vec<String>) -> Result<Vec<u32>, String> {
    let mut distinct: Vec<&str> = Vec::new();
    for v in values {
        if !distinct.contains(&v.as_str()) {
            distinct.push(v);
            if distinct.len() > DRAWING_CLASSES.len() {
                return Err(format!(
                    "{name} has more than {} classes ({}, ...); a drawing has at most {}",
                    DRAWING_CLASSES.len(),
                    distinct.iter().map(|d| quote(d)).collect::<Vec<_>>().join(", "),
                    DRAWING_CLASSES.len()
                ));
            }
        }
    }
    if distinct.iter().all(|d| d.parse::<f64>().is_ok()) {
        distinct.sort_by(|a, b| a.parse::<f64>().unwrap_or(0.0).total_cmp(&b.parse::<f64>().unwrap_or(0.0)));
    }
    if distinct.len() > 1 {
        let named: Vec<String> = distinct
            .iter()
            .zip(DRAWING_CLASSES.iter())
            .map(|(value, class)| format!("{} is {}", quote(value), class.name))
            .collect();
        notices
            .push(format!("The classes of {name} are the drawing's stroke colours: {}.", named.join(", ")));
    }
    Ok(values.iter().map(|v| distinct.iter().position(|d| d == v).unwrap_or(0) as u32).collect())
}
