//! Users and projects as the portal shows them.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectSummary {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub members: u32,
}

/// A member of a project and the role they hold there.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSummary {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    /// Granted by an identity-provider group mapping rather than by hand.
    pub from_groups: bool,
}
