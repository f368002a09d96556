//! The counter-based RNG: a fixed function of (seed, particle, step, stream) whose words match an
//! independent implementation of pcg4d, and whose normals have the moments of N(0, 1).

use diffusion_playground::core::rng;

/// pcg4d (Jarzynski and Olano 2020) written out straight-line in u64 arithmetic, each result
/// masked to 32 bits: an implementation independent of the wrapping u32 one in the crate.
fn pcg4d_reference(key: [u32; 4]) -> [u32; 4] {
    const MASK: u64 = 0xffff_ffff;
    let [mut x, mut y, mut z, mut w] = key.map(|k| (k as u64 * 1_664_525 + 1_013_904_223) & MASK);
    x = (x + y * w) & MASK;
    y = (y + z * x) & MASK;
    z = (z + x * y) & MASK;
    w = (w + y * z) & MASK;
    x ^= x >> 16;
    y ^= y >> 16;
    z ^= z >> 16;
    w ^= w >> 16;
    x = (x + y * w) & MASK;
    y = (y + z * x) & MASK;
    z = (z + x * y) & MASK;
    w = (w + y * z) & MASK;
    [x as u32, y as u32, z as u32, w as u32]
}

/// Known answers, computed once with the implementation; the GPU's `rng.wgsl` must give the same.
const KNOWN_ANSWERS: [([u32; 4], [u32; 4]); 4] = [
    ([0, 0, 0, 0], [251_852_841, 760_645_481, 850_445_371, 3_542_436_074]),
    ([1, 2, 3, 4], [908_250_390, 4_044_648_920, 3_775_961_919, 45_698_095]),
    ([42, 7, 0, 3], [2_814_675_099, 2_156_194_970, 3_886_553_689, 192_673_098]),
    ([u32::MAX; 4], [2_538_526_866, 3_222_658_151, 2_677_364_576, 2_713_428_488]),
];

#[test]
fn pcg4d_gives_the_known_answers() {
    for (key, expected) in KNOWN_ANSWERS {
        assert_eq!(rng::pcg4d(key), expected, "pcg4d({key:?})");
        assert_eq!(rng::words(key[0], key[1], key[2], key[3]), expected, "words{key:?}");
    }
}

#[test]
fn pcg4d_matches_an_independent_u64_implementation() {
    for (key, expected) in KNOWN_ANSWERS {
        assert_eq!(pcg4d_reference(key), expected, "reference pcg4d({key:?})");
    }
    for i in 0..10_000u32 {
        let key = [i.wrapping_mul(2_654_435_761), i, i ^ 0xdead_beef, i % 7];
        assert_eq!(rng::pcg4d(key), pcg4d_reference(key), "pcg4d({key:?})");
    }
}

#[test]
fn pcg4d_of_the_zero_key_step_by_step() {
    // Intermediate states computed by hand (Python big integers mod 2^32), stage by stage.
    const C: u64 = 1_013_904_223; // 0 * 1664525 + 1013904223, in all four lanes
    let cross_multiply = |[x, y, z, w]: [u64; 4]| {
        let x = (x + y * w) % (1 << 32);
        let y = (y + z * x) % (1 << 32);
        let z = (z + x * y) % (1 << 32);
        let w = (w + y * z) % (1 << 32);
        [x, y, z, w]
    };
    let first = cross_multiply([C; 4]);
    assert_eq!(first, [3_513_807_008, 2_496_700_095, 3_872_766_655, 2_253_859_296]);
    let shifted = first.map(|v| v ^ (v >> 16));
    assert_eq!(shifted, [3_513_819_600, 2_496_662_127, 3_872_742_506, 2_253_893_559]);
    let second = cross_multiply(shifted);
    assert_eq!(second, [251_852_841, 760_645_481, 850_445_371, 3_542_436_074]);
    assert_eq!(rng::pcg4d([0; 4]), second.map(|v| v as u32));
}

#[test]
fn the_same_key_always_gives_the_same_words() {
    for particle in 0..100 {
        assert_eq!(
            rng::words(5, particle, 9, rng::stream::REVERSE),
            rng::words(5, particle, 9, rng::stream::REVERSE)
        );
        assert_eq!(rng::normal2(5, particle, 9, 2), rng::normal2(5, particle, 9, 2));
    }
}

#[test]
fn changing_any_part_of_the_key_changes_every_word() {
    let base = rng::words(1, 2, 3, rng::stream::FORWARD);
    let others = [
        rng::words(2, 2, 3, rng::stream::FORWARD),
        rng::words(1, 3, 3, rng::stream::FORWARD),
        rng::words(1, 2, 4, rng::stream::FORWARD),
        rng::words(1, 2, 3, rng::stream::REVERSE),
    ];
    for other in others {
        assert!(base.iter().zip(&other).all(|(a, b)| a != b), "{base:?} vs {other:?}");
    }
    let streams = [
        rng::stream::PRIOR,
        rng::stream::FORWARD,
        rng::stream::REVERSE,
        rng::stream::DATA,
        rng::stream::INIT,
        rng::stream::TRAIN,
    ];
    for (i, a) in streams.iter().enumerate() {
        for b in &streams[i + 1..] {
            assert_ne!(a, b, "streams are distinct");
            assert_ne!(rng::words(7, 0, 0, *a), rng::words(7, 0, 0, *b));
        }
    }
}

#[test]
fn uniforms_lie_in_the_half_open_interval_zero_excluded() {
    assert_eq!(rng::uniform(0), 1.0 / 16_777_216.0, "the smallest uniform is 2^-24, never 0");
    assert_eq!(rng::uniform(u32::MAX), 1.0, "the largest uniform is 1");
    const N: u32 = 100_000;
    let mut sum = 0.0f64;
    for i in 0..N {
        for word in rng::words(3, i, 0, 0) {
            let u = rng::uniform(word);
            assert!(u > 0.0 && u <= 1.0);
            sum += u as f64;
        }
    }
    // Mean of 4N uniforms: 1/2 within 5 standard errors sqrt(1/12 / 4N).
    let mean = sum / (4 * N) as f64;
    assert!((mean - 0.5).abs() < 5.0 * (1.0 / 12.0 / (4 * N) as f64).sqrt(), "mean {mean}");
}

#[test]
fn normals_have_the_moments_of_a_standard_normal() {
    // 200k draws (100k keys x 2). Tolerances are 5 standard errors of each estimator under N(0, 1):
    // mean 1/sqrt(n), variance sqrt(2/n), skewness sqrt(6/n), excess kurtosis sqrt(24/n).
    const KEYS: u32 = 100_000;
    let mut draws = Vec::with_capacity(2 * KEYS as usize);
    let mut cross = 0.0f64;
    for i in 0..KEYS {
        let [a, b] = rng::normal2(11, i, 4, rng::stream::PRIOR);
        draws.extend([a as f64, b as f64]);
        cross += a as f64 * b as f64;
    }
    let n = draws.len() as f64;
    let mean = draws.iter().sum::<f64>() / n;
    let central = |p: i32| draws.iter().map(|x| (x - mean).powi(p)).sum::<f64>() / n;
    let variance = central(2);
    let skewness = central(3) / variance.powf(1.5);
    let excess_kurtosis = central(4) / (variance * variance) - 3.0;
    assert!(mean.abs() < 5.0 / n.sqrt(), "mean {mean}");
    assert!((variance - 1.0).abs() < 5.0 * (2.0 / n).sqrt(), "variance {variance}");
    assert!(skewness.abs() < 5.0 * (6.0 / n).sqrt(), "skewness {skewness}");
    assert!(excess_kurtosis.abs() < 5.0 * (24.0 / n).sqrt(), "excess kurtosis {excess_kurtosis}");
    // The two normals of one key are uncorrelated: E[ab] = 0 within 5 / sqrt(KEYS).
    let correlation = cross / KEYS as f64;
    assert!(correlation.abs() < 5.0 / (KEYS as f64).sqrt(), "correlation {correlation}");
}

#[test]
fn normal2_and_normal4_are_box_muller_of_the_key_words() {
    let w = rng::words(42, 7, 0, rng::stream::DATA);
    assert_eq!(rng::normal2(42, 7, 0, rng::stream::DATA), rng::box_muller(w[0], w[1]));
    let four = rng::normal4(42, 7, 0, rng::stream::DATA);
    assert_eq!([four[0], four[1]], rng::box_muller(w[0], w[1]));
    assert_eq!([four[2], four[3]], rng::box_muller(w[2], w[3]));
    // Box-Muller by hand: r = sqrt(-2 ln u1), theta = 2 pi u2.
    let (u1, u2) = (rng::uniform(w[0]) as f64, rng::uniform(w[1]) as f64);
    let r = (-2.0 * u1.ln()).sqrt();
    let theta = std::f64::consts::TAU * u2;
    let z = rng::box_muller(w[0], w[1]);
    assert!((z[0] as f64 - r * theta.cos()).abs() < 1e-5 && (z[1] as f64 - r * theta.sin()).abs() < 1e-5);
}
