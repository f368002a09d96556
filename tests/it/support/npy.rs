//! NumPy files of float64 rows, as `numpy.save` writes them (NEP 1), for the tests of the data
//! files (`app::sample_files::npy` writes the float32 ones).

/// The rows (all of one length) as a float64 array of shape (rows, columns).
pub fn float64_rows(rows: &[Vec<f64>]) -> Vec<u8> {
    let columns = rows.first().map_or(2, Vec::len);
    let mut header =
        format!("{{'descr': '<f8', 'fortran_order': False, 'shape': ({}, {columns}), }}", rows.len());
    // Magic (6) + version (2) + length (2) + header + newline, padded to a multiple of 64.
    while !(10 + header.len() + 1).is_multiple_of(64) {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    for value in rows.iter().flatten() {
        bytes.extend(value.to_le_bytes());
    }
    bytes
}
