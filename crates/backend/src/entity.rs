//! SeaORM entities, one module per table.
pub mod api_token;
pub mod audit_log;
pub mod cluster;
pub mod group_mapping;
pub mod login_flow;
pub mod node_price;
pub mod price;
pub mod project;
pub mod project_member;
pub mod project_quota;
pub mod role;
pub mod session;
pub mod user;
pub mod user_role;
pub mod utilisation_snapshot;
pub mod workload;
pub mod workload_deployment;
