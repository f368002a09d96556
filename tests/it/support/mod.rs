//! What several test modules share: the GPU they run on, the Python some of them call, and
//! network files the repository does not ship.

pub mod drawings;
pub mod gpu;
pub mod networks;
pub mod npy;
pub mod python;
