//! In-process API tests: the real router on a fresh SQLite database with the demo people,
//! spoken to with HTTP requests (no socket needed).
mod clusters;
mod guard;
mod support;
mod tenancy;
mod workloads;
