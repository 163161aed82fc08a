//! Server functions, grouped by area. Each is a short adapter: the guard, one backend call, a DTO.
pub mod access;
pub mod clusters;
pub mod costs;
pub mod dashboards;
pub mod directory;
pub mod fleet;
pub mod people;
pub mod portal;
pub mod projects;
pub mod schedules;
pub mod tokens;
pub mod workloads;
