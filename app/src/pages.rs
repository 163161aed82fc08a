//! One module per route.
pub mod admin;
pub mod costs;
pub mod fleet;
pub mod not_found;
pub mod workloads;
