//! Flotilla's domain: pure types and rules shared by the server and the browser.
pub mod access;
pub mod fleet;
pub mod identity;
pub mod names;
pub mod people;
pub mod quantity;

pub use access::{BuiltinRole, Decision, Kind, Permission, Role, Scope, Subject, Target, Verb, allows, may_read_clusters};
pub use fleet::{ClusterSummary, Provider};
pub use identity::{ApiTokenInfo, AuditLine, AuditQuery, CreatedApiToken, GroupMapping, Me, RoleDef};
pub use names::{Dns1123Label, NameError};
pub use people::{MemberSummary, ProjectSummary, UserSummary};
pub use quantity::{Bytes, CpuMillis, QuantityError};
