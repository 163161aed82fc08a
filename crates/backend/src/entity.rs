//! SeaORM entities, one module per table.
pub mod audit_log;
pub mod cluster;
pub mod project;
pub mod project_member;
pub mod user;
