//! Particles as files (`app::sample_files`, used by dp-sample and the page): CSV lines
//! `step,particle,x,y`, and NumPy format 1.0 with its header padded to a multiple of 64 bytes.

use diffusion_playground::app::sample_files::{npy, particles_csv, particles_npy};

#[test]
fn csv_has_a_header_and_one_line_per_particle_and_step() {
    let frames = vec![vec![[0.5f32, -1.0], [2.0, 3.25]], vec![[0.0, 0.0], [1.0, 1.0]]];
    assert_eq!(particles_csv(&frames, 7), "step,particle,x,y\n7,0,0.5,-1\n7,1,2,3.25\n8,0,0,0\n8,1,1,1\n");
}

#[test]
fn npy_is_numpy_format_1_with_a_padded_header_and_c_order_data() {
    let one = particles_npy(&[vec![[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]]]);
    assert_eq!(&one[..8], b"\x93NUMPY\x01\x00");
    let header_length = u16::from_le_bytes([one[8], one[9]]) as usize;
    assert_eq!((10 + header_length) % 64, 0, "the data starts on a 64-byte boundary");
    let header = std::str::from_utf8(&one[10..10 + header_length]).unwrap();
    assert!(header.starts_with("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }"), "{header}");
    assert!(header.ends_with('\n'));
    let data: Vec<f32> = one[10 + header_length..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(data, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let many = particles_npy(&vec![vec![[0.0f32; 2]; 4]; 3]);
    assert!(std::str::from_utf8(&many[10..80]).unwrap().contains("'shape': (3, 4, 2)"));
    assert!(std::str::from_utf8(&npy(&[5], &[0.0; 5])[10..70]).unwrap().contains("'shape': (5,)"));
}
