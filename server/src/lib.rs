//! The `flotilla` server: configuration, the axum router (pages, server functions, `/auth`,
//! the REST API, health, metrics), authentication, and starting and stopping the portal.
// Leptos view types of the larger pages nest deeper than the default limit of 128.
#![recursion_limit = "256"]
pub mod assets;
pub mod auth;
pub mod config;
pub mod demo_fleet;
pub mod health;
pub mod metrics;
pub mod rest;
pub mod router;
pub mod serve;
pub mod sign_in;
pub mod telemetry;
