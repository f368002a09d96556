//! Particle colours: each particle keeps one colour, fixed by the angle of its initial noise, in a
//! rainbow or in the eight colour-blind-safe Okabe-Ito colours.

use diffusion_playground::core::render::{particle_colour, Palette, OKABE_ITO};
use diffusion_playground::core::rng;

#[test]
fn okabe_ito_colours_the_eight_sectors_of_the_noise_angle() {
    let mut used = [0usize; 8];
    for i in 0..4000 {
        let z = rng::normal2(5, i, 0, rng::stream::PRIOR);
        let turn = z[1].atan2(z[0]) / std::f32::consts::TAU + 0.5;
        let sector = ((turn * 8.0) as usize).min(7);
        assert_eq!(particle_colour(5, i, Palette::OkabeIto), OKABE_ITO[sector]);
        used[sector] += 1;
    }
    // The angle of a standard normal is uniform: every sector gets about an eighth.
    assert!(used.iter().all(|&n| (400..600).contains(&n)), "{used:?}");
}

#[test]
fn the_rainbow_is_smooth_in_the_angle_and_stays_in_gamut() {
    for i in 0..1000 {
        let c = particle_colour(9, i, Palette::Rainbow);
        assert!(c.iter().all(|v| (0.1..=1.0).contains(v)), "{c:?}");
    }
    assert_ne!(particle_colour(9, 0, Palette::Rainbow), particle_colour(9, 0, Palette::OkabeIto));
    assert_eq!(Palette::ALL.map(Palette::name), ["rainbow", "okabe_ito"]);
}
