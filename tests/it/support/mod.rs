//! What several test modules share: the GPU they run on and the Python some of them call.

pub mod drawings;
pub mod gpu;
pub mod npy;
pub mod python;
