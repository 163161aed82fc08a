//! Server functions, grouped by area. Each is a short adapter onto a backend service.
pub mod directory;
pub mod fleet;
pub mod portal;
