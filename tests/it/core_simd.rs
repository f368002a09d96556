//! The four-lane type of the CPU path's batched network gives exactly the scalar results, lane
//! by lane, on whichever backend this build uses (SSE2 natively on x86-64, SIMD128 in wasm).

use diffusion_playground::core::simd::F32x4;

fn lanes(values: [f32; 4]) -> F32x4 {
    F32x4::from_array(values)
}

#[test]
fn arithmetic_is_lane_wise_and_exact() {
    let (a, b) = ([1.5, -2.25, 1e-30, 3.0e8], [0.1, 7.0, -3.5, -0.0]);
    let expect =
        |f: fn(f32, f32) -> f32| std::array::from_fn::<f32, 4, _>(|i| f(a[i], b[i])).map(f32::to_bits);
    assert_eq!((lanes(a) + lanes(b)).to_array().map(f32::to_bits), expect(|x, y| x + y));
    assert_eq!((lanes(a) - lanes(b)).to_array().map(f32::to_bits), expect(|x, y| x - y));
    assert_eq!((lanes(a) * lanes(b)).to_array().map(f32::to_bits), expect(|x, y| x * y));
    assert_eq!((lanes(a) / lanes(b)).to_array().map(f32::to_bits), expect(|x, y| x / y));
    assert_eq!(
        (-lanes([0.0, -0.0, 2.0, -3.0])).to_array().map(f32::to_bits),
        [-0.0f32, 0.0, -2.0, 3.0].map(f32::to_bits)
    );
    assert_eq!(F32x4::splat(4.5).to_array(), [4.5; 4]);
}

#[test]
fn floor_matches_the_scalar_floor_on_both_sides_of_every_integer() {
    for i in -200..200 {
        for offset in [-0.75f32, -1e-3, 0.0, 1e-3, 0.5, 0.999] {
            let x = i as f32 + offset;
            let got = lanes([x, -x, x * 0.5, -x * 0.5]).floor().to_array();
            assert_eq!(got, [x.floor(), (-x).floor(), (x * 0.5).floor(), (-x * 0.5).floor()], "x = {x}");
        }
    }
}

#[test]
fn clamp_bounds_every_lane() {
    assert_eq!(lanes([-100.0, -1.0, 2.0, 100.0]).clamp(-87.0, 88.0).to_array(), [-87.0, -1.0, 2.0, 88.0]);
}

#[test]
fn exp2_of_an_integer_is_exact_over_the_normal_range() {
    for n in (-126..=127).step_by(4) {
        let got = lanes([n as f32, (n + 1) as f32, (n + 2) as f32, (n + 3).min(127) as f32])
            .exp2_of_integer()
            .to_array();
        let want = [n, n + 1, n + 2, (n + 3).min(127)].map(|k| 2f64.powi(k) as f32);
        assert_eq!(got, want, "n = {n}");
    }
}
