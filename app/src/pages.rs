//! One module per route.
pub mod account;
pub mod admin;
pub mod admin_access;
pub mod admin_clusters;
pub mod admin_costs;
pub mod admin_prices;
pub mod cluster;
pub mod costs;
pub mod dashboard;
pub mod dashboard_widgets;
pub mod fleet;
pub mod login;
pub mod not_found;
pub mod register;
pub mod schedules;
pub mod workload;
pub mod workloads;
