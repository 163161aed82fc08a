//! Flotilla's server-side services. Each service is a small struct with an async API
//! and its own error enum; the app's server functions and the REST API call these.
pub mod access;
pub mod accounts;
pub mod audit;
pub mod cache;
pub mod collector;
pub mod credentials;
pub mod db;
pub mod demo;
pub mod entity;
pub mod fleet;
pub mod guard;
pub mod inventory;
pub mod kubeconn;
pub mod migration;
pub mod oidc;
pub mod people;
pub mod secrets;
pub mod sessions;
pub mod tokens;
pub mod workloads;

pub use access::{AccessControl, AccessError};
pub use accounts::{AccountError, Accounts};
pub use cache::{Cache, Topic};
pub use audit::{AuditError, AuditEvent, AuditLog, Outcome};
pub use db::{Database, DbError};
pub use guard::{Caller, GuardTrace, Refusal, RequestAccess};
pub use collector::snapshots::{HeatScope, Snapshots};
pub use collector::{ClusterState, Collector, CollectorSettings};
pub use fleet::{ClusterDetails, ClusterDirectory, FleetError, NewCluster};
pub use kubeconn::{ConnectError, Credentials};
pub use secrets::{SecretError, SecretKey};
pub use oidc::{OidcClient, OidcError, OidcSettings, SsoIdentity};
pub use people::{PeopleDirectory, PeopleError};
pub use sessions::{ActiveSession, LoginFlow, SessionError, SessionPolicy, Sessions};
pub use tokens::{ApiTokens, TokenError};
pub use workloads::{Quota, QuotaSettings, WorkloadError, WorkloadRecord, Workloads};
