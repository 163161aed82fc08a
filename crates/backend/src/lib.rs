//! Flotilla's server-side services. Each service is a small struct with an async API
//! and its own error enum; the app's server functions and the REST API call these.
pub mod audit;
pub mod db;
pub mod demo;
pub mod entity;
pub mod fleet;
pub mod migration;
pub mod people;

pub use audit::{AuditEntry, AuditError, AuditLog};
pub use db::{Database, DbError};
pub use fleet::{ClusterDirectory, FleetError, NewCluster};
pub use people::{PeopleDirectory, PeopleError};
