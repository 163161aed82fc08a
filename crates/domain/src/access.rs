//! The access decision: may this subject do this verb to this object? Pure and deny by default;
//! every server function and REST route is meant to ask it (the guard arrives with sign-in).
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Verb {
    Create,
    Read,
    Update,
    Delete,
}

impl Verb {
    pub const ALL: [Verb; 4] = [Verb::Create, Verb::Read, Verb::Update, Verb::Delete];

    pub fn label(self) -> &'static str {
        match self {
            Verb::Create => "create",
            Verb::Read => "read",
            Verb::Update => "update",
            Verb::Delete => "delete",
        }
    }
}

/// What a permission is about: Flotilla's own kinds and the Kubernetes kinds it acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Kind {
    Cluster,
    Project,
    Workload,
    Deployment,
    Pod,
    Namespace,
    Schedule,
    Price,
    CostReport,
    Budget,
    Role,
    User,
    AuditLog,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Cluster,
        Kind::Project,
        Kind::Workload,
        Kind::Deployment,
        Kind::Pod,
        Kind::Namespace,
        Kind::Schedule,
        Kind::Price,
        Kind::CostReport,
        Kind::Budget,
        Kind::Role,
        Kind::User,
        Kind::AuditLog,
    ];
}

impl Kind {
    /// The name people read, plural where it names a collection ("cost reports").
    pub fn label(self) -> &'static str {
        match self {
            Kind::Cluster => "clusters",
            Kind::Project => "projects",
            Kind::Workload => "workloads",
            Kind::Deployment => "deployments",
            Kind::Pod => "pods",
            Kind::Namespace => "namespaces",
            Kind::Schedule => "schedules",
            Kind::Price => "prices",
            Kind::CostReport => "cost reports",
            Kind::Budget => "budgets",
            Kind::Role => "roles",
            Kind::User => "users",
            Kind::AuditLog => "the audit log",
        }
    }
}

/// How far a permission reaches: the subject's own objects, its project's, or everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Scope {
    Own,
    Project,
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Permission {
    pub kind: Kind,
    pub verb: Verb,
    pub scope: Scope,
}

/// A named set of permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Role {
    pub name: String,
    pub permissions: Vec<Permission>,
}

impl Role {
    /// The widest scope this role grants for `verb` on `kind`, if any.
    fn scope_for(&self, kind: Kind, verb: Verb) -> Option<Scope> {
        self.permissions.iter().filter(|p| p.kind == kind && p.verb == verb).map(|p| p.scope).max()
    }
}

/// The roles Flotilla ships with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum BuiltinRole {
    Administrator,
    ProjectOwner,
    Developer,
    Viewer,
}

/// Per kind, the verbs (C, R, U, D) granted at project scope and at own scope.
/// Upper-case letter = project scope, lower-case = own objects only.
const PROJECT_OWNER: &[(Kind, &str)] = &[
    (Kind::Cluster, "R"),
    (Kind::Project, "RU"),
    (Kind::Workload, "CRUD"),
    (Kind::Deployment, "CRUD"),
    (Kind::Pod, "CRUD"),
    (Kind::Namespace, "R"),
    (Kind::Schedule, "CRUD"),
    (Kind::Price, "R"),
    (Kind::CostReport, "R"),
    (Kind::Budget, "CRUD"),
    (Kind::User, "R"),
];
const DEVELOPER: &[(Kind, &str)] = &[
    (Kind::Cluster, "R"),
    (Kind::Project, "R"),
    (Kind::Workload, "cRud"),
    (Kind::Deployment, "cRud"),
    (Kind::Pod, "Rd"),
    (Kind::Namespace, "R"),
    (Kind::Schedule, "cRud"),
    (Kind::Price, "R"),
    (Kind::CostReport, "R"),
    (Kind::Budget, "R"),
    (Kind::User, "R"),
];
const VIEWER: &[(Kind, &str)] = &[
    (Kind::Cluster, "R"),
    (Kind::Project, "R"),
    (Kind::Workload, "R"),
    (Kind::Deployment, "R"),
    (Kind::Pod, "R"),
    (Kind::Namespace, "R"),
    (Kind::Schedule, "R"),
    (Kind::CostReport, "R"),
    (Kind::Budget, "R"),
];

fn from_table(name: &str, table: &[(Kind, &str)]) -> Role {
    let mut permissions = Vec::new();
    for (kind, letters) in table {
        for c in letters.chars() {
            let verb = match c.to_ascii_uppercase() {
                'C' => Verb::Create,
                'R' => Verb::Read,
                'U' => Verb::Update,
                'D' => Verb::Delete,
                other => unreachable!("unknown verb letter {other} in the built-in role table"),
            };
            let scope = if c.is_ascii_uppercase() { Scope::Project } else { Scope::Own };
            permissions.push(Permission { kind: *kind, verb, scope });
        }
    }
    Role { name: name.to_owned(), permissions }
}

impl BuiltinRole {
    pub const ALL: [BuiltinRole; 4] = [Self::Administrator, Self::ProjectOwner, Self::Developer, Self::Viewer];

    /// The stable key stored in memberships and group mappings.
    pub fn key(self) -> &'static str {
        match self {
            Self::Administrator => "administrator",
            Self::ProjectOwner => "owner",
            Self::Developer => "developer",
            Self::Viewer => "viewer",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.key() == key)
    }

    pub fn role(self) -> Role {
        match self {
            Self::Administrator => Role { name: "Administrator".into(), permissions: Kind::ALL.iter().flat_map(|&kind| Verb::ALL.map(|verb| Permission { kind, verb, scope: Scope::All })).collect() },
            Self::ProjectOwner => from_table("Project owner", PROJECT_OWNER),
            Self::Developer => from_table("Developer", DEVELOPER),
            Self::Viewer => from_table("Viewer", VIEWER),
        }
    }
}

/// Who is asking: roles held across the whole portal, and roles held in projects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Subject {
    pub user_id: i64,
    pub global_roles: Vec<Role>,
    /// (project id, role held in that project)
    pub memberships: Vec<(i64, Role)>,
}

/// What is acted on: its kind, the project it belongs to (none for portal-wide objects such as
/// prices or roles) and the user who owns it (the creator of a workload, say), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Target {
    pub kind: Kind,
    pub project: Option<i64>,
    pub owner: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Decision {
    Allow,
    /// No role of the subject grants this verb on this kind at all.
    DenyNoPermission,
    /// A role grants it, but not for this object (another project, or another user's object).
    DenyOutOfScope,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Does `scope`, held where `held_in` says (None = portal-wide), reach `target` for `subject`?
fn reaches(scope: Scope, held_in: Option<i64>, subject: &Subject, target: &Target) -> bool {
    let owns = target.owner == Some(subject.user_id);
    match (held_in, scope) {
        (None, Scope::All) => true,
        (None, Scope::Project) => target.project.is_some_and(|p| subject.memberships.iter().any(|(m, _)| *m == p)),
        // Portal-wide "own" reaches only the subject's own objects in projects it belongs to
        // (or portal-wide objects): the caller is the owner of anything it is about to create,
        // so owning alone would reach every project.
        (None, Scope::Own) => owns && target.project.is_none_or(|p| subject.memberships.iter().any(|(m, _)| *m == p)),
        // A role held in a project never reaches beyond that project.
        (Some(p), Scope::All | Scope::Project) => target.project == Some(p),
        (Some(p), Scope::Own) => target.project == Some(p) && owns,
    }
}

/// The one access decision. Deny unless some role grants `verb` on the target's kind with a
/// scope that reaches the target.
pub fn allows(subject: &Subject, verb: Verb, target: &Target) -> Decision {
    let held = subject.global_roles.iter().map(|r| (None, r)).chain(subject.memberships.iter().map(|(p, r)| (Some(*p), r)));
    let mut granted_somewhere = false;
    for (held_in, role) in held {
        if let Some(scope) = role.scope_for(target.kind, verb) {
            granted_somewhere = true;
            if reaches(scope, held_in, subject, target) {
                return Decision::Allow;
            }
        }
    }
    if granted_somewhere { Decision::DenyOutOfScope } else { Decision::DenyNoPermission }
}

#[cfg(test)]
#[path = "access_tests.rs"]
mod tests;

/// Clusters are shared by projects: a subject sees a cluster if it may read clusters
/// portal-wide or in one of its projects (until placement rules tie projects to clusters,
/// every project may use every cluster).
pub fn may_read_clusters(subject: &Subject) -> bool {
    let portal = Target { kind: Kind::Cluster, project: None, owner: None };
    allows(subject, Verb::Read, &portal).is_allowed()
        || subject.memberships.iter().any(|(p, _)| allows(subject, Verb::Read, &Target { kind: Kind::Cluster, project: Some(*p), owner: None }).is_allowed())
}
