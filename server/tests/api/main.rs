//! In-process API tests: the real router on a fresh SQLite database with the demo people,
//! spoken to with HTTP requests (no socket needed).
mod attacks;
mod bundle;
mod clusters;
mod dashboard;
mod guard;
mod openapi;
mod prices;
mod projects;
mod sign_in;
mod support;
mod tenancy;
mod workloads;
