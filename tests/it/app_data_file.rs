//! A user's data file becomes a drawing (`app::data_file`): CSV, NPY and JSON read to the same
//! points, fitted into the picture and cut to a drawing's limit; careless and hostile files are
//! refused with what is wrong, or read with a notice saying what was changed.

use diffusion_playground::app::data_file::{load, LoadedData, FIT_HALF_EXTENT, MAX_DATA_FILE_BYTES};
use diffusion_playground::app::sample_files;
use diffusion_playground::core::drawing::MAX_DRAWN_POINTS;
use proptest::prelude::*;

use crate::support::npy::float64_rows;

/// A NumPy file of `rows`: float64 when `wide`, else float32.
fn npy(rows: &[Vec<f64>], wide: bool) -> Vec<u8> {
    if wide {
        return float64_rows(rows);
    }
    let columns = rows.first().map_or(2, Vec::len);
    let values: Vec<f32> = rows.iter().flatten().map(|&v| v as f32).collect();
    sample_files::npy(&[rows.len(), columns], &values)
}

fn csv(rows: &[Vec<f64>]) -> Vec<u8> {
    let lines: Vec<String> =
        rows.iter().map(|r| r.iter().map(|v| v.to_string()).collect::<Vec<_>>().join(",")).collect();
    format!("x,y{}\n{}\n", if rows[0].len() == 3 { ",class" } else { "" }, lines.join("\n")).into_bytes()
}

fn points_of(data: &LoadedData) -> Vec<[f32; 2]> {
    data.points.chunks_exact(2).map(|p| [p[0], p[1]]).collect()
}

#[test]
fn a_circle_is_centred_and_scaled_into_the_picture_with_its_aspect_kept() {
    let rows: Vec<Vec<f64>> = (0..100)
        .map(|i| {
            let a = i as f64 / 100.0 * std::f64::consts::TAU;
            vec![100.0 + 50.0 * a.cos(), -20.0 + 25.0 * a.sin()]
        })
        .collect();
    let data = load(&csv(&rows), "circle.csv").unwrap();
    assert_eq!((data.format, data.points_in_file, data.labels.len()), ("csv", 100, 100));
    let points = points_of(&data);
    let max = |axis: usize| points.iter().map(|p| p[axis].abs()).fold(0.0f32, f32::max);
    assert!((max(0) - FIT_HALF_EXTENT).abs() < 1e-4, "the wider axis fills the fitted square");
    assert!((max(1) - FIT_HALF_EXTENT / 2.0).abs() < 1e-3, "the aspect is kept: {}", max(1));
    assert!(data.notices.is_empty(), "{:?}", data.notices);
}

#[test]
fn classes_become_the_drawings_stroke_colours_and_are_named_in_a_notice() {
    let text = "x\ty\tkind\n0\t0\tcat\n1\t1\tdog\n2\t0\tcat\n";
    let data = load(text.as_bytes(), "pets.tsv").unwrap();
    assert_eq!(data.labels, [0, 1, 0]);
    assert_eq!(
        data.notices,
        ["The classes of pets.tsv are the drawing's stroke colours: \"cat\" is blue, \"dog\" is orange."]
    );
    let five = "0,0,a\n1,0,b\n2,0,c\n3,0,d\n4,0,e\n";
    let refused = load(five.as_bytes(), "five.csv").unwrap_err();
    assert!(refused.contains("more than 4 classes"), "{refused}");
}

#[test]
fn a_big_file_is_cut_to_a_drawings_limit_the_same_way_every_time() {
    let rows: Vec<Vec<f64>> = (0..5000).map(|i| vec![i as f64, (i % 7) as f64]).collect();
    let first = load(&npy(&rows, true), "many.npy").unwrap();
    let again = load(&npy(&rows, true), "many.npy").unwrap();
    assert_eq!(first, again);
    assert_eq!((first.points.len() / 2, first.points_in_file), (MAX_DRAWN_POINTS, 5000));
    assert_eq!(
        first.notices,
        ["many.npy holds 5000 points; 512 of them, drawn at random, are used (a drawing's limit)."]
    );
    let xs: Vec<f32> = points_of(&first).iter().map(|p| p[0]).collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "kept in file order");
    assert!(xs[0] < -2.2 && xs[xs.len() - 1] > 2.2, "spread over the whole file, not its start");
}

#[test]
fn careless_and_hostile_files_are_refused_with_what_is_wrong() {
    let refusals: [(&[u8], &str); 11] = [
        (b"", "holds no points"),
        (b"x,y\n", "holds no points"),
        (b"1,2\n3,NaN\n", "line 2: \"NaN\" is not a finite number"),
        (b"1,2\n3,inf\n", "line 2: \"inf\" is not a finite number"),
        (b"1,2\nthree,4\n", "line 2: \"three\" is not a finite number"),
        (b"1,2,3,4\n", "expected x,y or x,y,class, got 4 fields"),
        (b"1,2\n3,4,a\n", "line 2: 3 fields where the lines before have 2"),
        (b"\xff\xfe\x00", "neither a NumPy .npy array nor UTF-8 text"),
        (b"{\"points\": 5}", "has no \"points\" list"),
        (b"[[1, 2], [1e400, 0]]", "not JSON"),
        (
            b"\x93NUMPY\x01\x00\x10\x00{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }",
            "dtype <i8",
        ),
    ];
    for (bytes, expected) in refusals {
        let error = load(bytes, "f").expect_err(expected);
        assert!(error.contains(expected), "{expected:?} not in {error:?}");
    }
    let huge = vec![b'1'; MAX_DATA_FILE_BYTES + 1];
    let started = std::time::Instant::now();
    assert!(load(&huge, "huge.csv").unwrap_err().contains("data files of at most 16 MB are read"));
    assert!(started.elapsed().as_secs_f64() < 1.0);
    let mut cut = npy(&[vec![1.0, 2.0], vec![3.0, 4.0]], false);
    cut.truncate(cut.len() - 3);
    assert!(load(&cut, "cut.npy").unwrap_err().contains("data bytes where its shape needs 16"));
}

#[test]
fn a_single_point_is_shown_at_the_centre_with_a_notice() {
    let data = load(b"5,5\n", "one.csv").unwrap();
    assert_eq!(data.points, [0.0, 0.0]);
    assert_eq!(data.notices, ["The points of one.csv are all at one place: they are shown at the centre."]);
}

#[test]
fn the_pages_drawing_json_is_read_with_its_classes() {
    let json = br#"{"format":"diffusion-playground-drawing","version":2,"points":[[0,0],[1,1],[2,2]],"classes":[0,2,2]}"#;
    let data = load(json, "drawing.json").unwrap();
    assert_eq!((data.format, data.labels.as_slice()), ("json", &[0, 1, 1][..]));
}

proptest! {
    #[test]
    fn csv_npy_and_json_of_the_same_points_read_alike(
        rows in prop::collection::vec((-1e3..1e3f64, -1e3..1e3f64, 0u8..3), 2..700),
    ) {
        let with_class: Vec<Vec<f64>> = rows.iter().map(|&(x, y, c)| vec![x, y, c as f64]).collect();
        let from_csv = load(&csv(&with_class), "a").unwrap();
        let from_npy = load(&npy(&with_class, true), "a").unwrap();
        let json = serde_json::to_vec(&with_class).unwrap();
        let from_json = load(&json, "a").unwrap();
        prop_assert_eq!(&from_csv.labels, &from_npy.labels);
        prop_assert_eq!(&from_csv.labels, &from_json.labels);
        for (a, b) in from_csv.points.iter().zip(&from_npy.points) {
            prop_assert!((a - b).abs() < 1e-4, "{} vs {}", a, b);
        }
        for (a, b) in from_csv.points.iter().zip(&from_json.points) {
            prop_assert!((a - b).abs() < 1e-4, "{} vs {}", a, b);
        }
        prop_assert!(from_csv.points.iter().all(|v| v.abs() <= FIT_HALF_EXTENT + 1e-4));
        prop_assert_eq!(from_csv.points.len() / 2, rows.len().min(MAX_DRAWN_POINTS));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = load(&bytes, "random");
        let mut npy_like = b"\x93NUMPY".to_vec();
        npy_like.extend(&bytes);
        let _ = load(&npy_like, "random.npy");
    }
}
