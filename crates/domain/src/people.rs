//! Users and projects as the portal shows them.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
    /// Deactivated by an administrator: no session or token of theirs works.
    #[serde(default)]
    pub deactivated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProjectSummary {
    pub id: i64,
    /// Also the name of its namespace on every cluster opened to it.
    pub name: String,
    pub display_name: String,
    pub members: u32,
    /// The highest priority its workloads may use (an administrator's grant; default normal).
    #[serde(default)]
    pub max_priority: crate::schedule::Priority,
    /// Archived projects keep their records and costs but take no new workloads.
    #[serde(default)]
    pub archived: bool,
}

/// What an administrator gives when creating a project.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NewProject {
    /// DNS-1123 label: the project's name and its namespace on every cluster.
    pub name: String,
    #[serde(default)]
    pub display_name: String,
    /// E-mail of an existing user who becomes its owner (optional).
    #[serde(default)]
    pub owner_email: String,
    /// Clusters opened to it at once.
    #[serde(default)]
    pub clusters: Vec<i64>,
    #[serde(default)]
    pub max_priority: crate::schedule::Priority,
}

/// What may change about a project; `None` leaves it as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProjectChange {
    #[serde(default)]
    pub display_name: Option<String>,
    /// Administrators only.
    #[serde(default)]
    pub max_priority: Option<crate::schedule::Priority>,
    /// Administrators only.
    #[serde(default)]
    pub archived: Option<bool>,
}

/// A cluster opened to a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProjectCluster {
    pub cluster_id: i64,
    pub cluster: String,
}

/// A project as its administrators and owners manage it: its clusters, quota and members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProjectDetail {
    pub project: ProjectSummary,
    pub clusters: Vec<ProjectCluster>,
    pub quota: crate::quota::ProjectQuota,
    pub members: Vec<MemberSummary>,
    /// Workloads recorded in it.
    pub workloads: u32,
    /// The caller may change members (owners and administrators).
    pub may_manage_members: bool,
    /// The caller is an administrator (clusters, priority, archive, delete).
    pub may_administer: bool,
}

/// A member of a project and the role they hold there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MemberSummary {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// Granted by an identity-provider group mapping rather than by hand.
    pub from_groups: bool,
}

/// A single sign-on identity as administrators see it (Admin → Users).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct IdentitySummary {
    pub id: i64,
    pub issuer: String,
    pub subject: String,
    /// The account it signs in to; None: a refused sign-in waiting for an administrator.
    pub user_id: Option<i64>,
    /// What the provider last said the e-mail is, and whether it said it was verified.
    pub email: String,
    pub email_verified: bool,
    pub display_name: String,
    pub last_seen_at: chrono::DateTime<chrono::Utc>,
}
