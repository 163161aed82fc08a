//! Backend integration tests: every test runs on a fresh SQLite file and on a
//! throw-away PostgreSQL database.
mod access;
mod costs;
mod dashboards;
mod demo;
mod fleet;
mod identities;
mod migrations;
mod prices;
mod real_k8s;
mod request_shape;
mod scheduling;
mod support;
mod workloads;
