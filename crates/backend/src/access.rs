//! Roles and who holds them: custom roles, portal-wide role grants, IdP group mappings
//! (re-applied at every sign-in), and the `Subject` the domain decision is asked about.
use crate::Database;
use crate::cache::{Cache, Topic};
use crate::entity::{group_mapping, project, project_member, role, user, user_role};
use chrono::Utc;
use flotilla_domain::{BuiltinRole, GroupMapping, Me, Permission, Role, RoleDef, Subject};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("no role with key {0}")]
    UnknownRole(String),
    #[error("no project named {0}")]
    UnknownProject(String),
    #[error("no user with id {0}")]
    UnknownUser(i64),
    #[error("the account {0} is deactivated")]
    Deactivated(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the role {0} is still used by {1} membership(s) or group mapping(s); remove those first")]
    InUse(String, u64),
    #[error("cannot read or write roles: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("a stored role has unreadable permissions: {0}")]
    Corrupt(#[from] serde_json::Error),
}

#[derive(Clone, Debug)]
pub struct AccessControl {
    db: Database,
    /// Group-derived grants the provider has not confirmed for this long grant nothing.
    group_grant_ttl: chrono::Duration,
    /// Every dashboard and role check reads the roles: read once per [`crate::cache::TTL`] or
    /// after a change.
    listed: Cache<(), Vec<RoleDef>>,
}

/// `oidc_group_grant_days` by default.
pub const GROUP_GRANT_DAYS: i64 = 7;

impl AccessControl {
    pub fn new(db: Database) -> Self {
        let listed = Cache::new(&db, Topic::Access);
        Self { db, group_grant_ttl: chrono::Duration::days(GROUP_GRANT_DAYS), listed }
    }

    /// How long group-derived grants last without the provider confirming them.
    pub fn with_group_grant_ttl(mut self, ttl: chrono::Duration) -> Self {
        self.group_grant_ttl = ttl;
        self
    }

    /// Every role, built-in first, then custom ones by key.
    pub async fn roles(&self) -> Result<Vec<RoleDef>, AccessError> {
        self.listed.get_or_load((), || self.read_roles()).await
    }

    async fn read_roles(&self) -> Result<Vec<RoleDef>, AccessError> {
        let mut out: Vec<RoleDef> = BuiltinRole::ALL
            .into_iter()
            .map(|b| {
                let r = b.role();
                RoleDef { key: b.key().to_owned(), name: r.name, builtin: true, permissions: r.permissions }
            })
            .collect();
        for row in role::Entity::find().order_by_asc(role::Column::Key).all(self.db.conn()).await? {
            out.push(RoleDef { key: row.key, name: row.name, builtin: false, permissions: serde_json::from_str(&row.permissions)? });
        }
        Ok(out)
    }

    async fn role_map(&self) -> Result<HashMap<String, Role>, AccessError> {
        Ok(self.roles().await?.into_iter().map(|d| (d.key, Role { name: d.name, permissions: d.permissions })).collect())
    }

    /// Creates or replaces a custom role. Built-in roles cannot be changed.
    pub async fn save_role(&self, key: &str, name: &str, permissions: &[Permission]) -> Result<(), AccessError> {
        let key = flotilla_domain::identity::parse_role_key(key).map_err(AccessError::Invalid)?;
        let name = name.trim();
        if name.is_empty() {
            return Err(AccessError::Invalid("A role needs a name.".into()));
        }
        let mut permissions = permissions.to_vec();
        permissions.sort();
        permissions.dedup();
        let json = serde_json::to_string(&permissions)?;
        match role::Entity::find().filter(role::Column::Key.eq(&key)).one(self.db.conn()).await? {
            Some(row) => {
                let mut row: role::ActiveModel = row.into();
                row.name = Set(name.to_owned());
                row.permissions = Set(json);
                row.update(self.db.conn()).await?;
            }
            None => {
                role::ActiveModel { key: Set(key), name: Set(name.to_owned()), permissions: Set(json), created_at: Set(Utc::now()), ..Default::default() }.insert(self.db.conn()).await?;
            }
        }
        self.db.changed(Topic::Access);
        Ok(())
    }

    /// Deletes a custom role that nobody holds and no group mapping names.
    pub async fn delete_role(&self, key: &str) -> Result<(), AccessError> {
        let Some(row) = role::Entity::find().filter(role::Column::Key.eq(key)).one(self.db.conn()).await? else {
            return Err(AccessError::UnknownRole(key.to_owned()));
        };
        use sea_orm::PaginatorTrait;
        let used = project_member::Entity::find().filter(project_member::Column::Role.eq(key)).count(self.db.conn()).await?
            + user_role::Entity::find().filter(user_role::Column::Role.eq(key)).count(self.db.conn()).await?
            + group_mapping::Entity::find().filter(group_mapping::Column::Role.eq(key)).count(self.db.conn()).await?;
        if used > 0 {
            return Err(AccessError::InUse(key.to_owned(), used));
        }
        role::Entity::delete_by_id(row.id).exec(self.db.conn()).await?;
        self.db.changed(Topic::Access);
        Ok(())
    }

    pub async fn group_mappings(&self) -> Result<Vec<GroupMapping>, AccessError> {
        let projects = self.project_names().await?;
        let rows = group_mapping::Entity::find().order_by_asc(group_mapping::Column::GroupName).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(|m| GroupMapping { id: m.id, group: m.group_name, role: m.role, project: m.project_id.and_then(|p| projects.get(&p).cloned()) }).collect())
    }

    /// Adds a mapping: group → role, portal-wide (`project` None) or in the named project.
    pub async fn add_group_mapping(&self, group: &str, role_key: &str, project_name: Option<&str>) -> Result<i64, AccessError> {
        let group = group.trim();
        if group.is_empty() || group.len() > 200 {
            return Err(AccessError::Invalid("Give the group name exactly as the identity provider sends it.".into()));
        }
        if !self.role_map().await?.contains_key(role_key) {
            return Err(AccessError::UnknownRole(role_key.to_owned()));
        }
        let project_id = match project_name.filter(|p| !p.is_empty()) {
            Some(name) => Some(project::Entity::find().filter(project::Column::Name.eq(name)).one(self.db.conn()).await?.ok_or_else(|| AccessError::UnknownProject(name.to_owned()))?.id),
            None => None,
        };
        let row = group_mapping::ActiveModel { group_name: Set(group.to_owned()), role: Set(role_key.to_owned()), project_id: Set(project_id), created_at: Set(Utc::now()), ..Default::default() }
            .insert(self.db.conn())
            .await?;
        self.db.changed(Topic::Access);
        Ok(row.id)
    }

    pub async fn delete_group_mapping(&self, id: i64) -> Result<(), AccessError> {
        group_mapping::Entity::delete_by_id(id).exec(self.db.conn()).await?;
        self.db.changed(Topic::Access);
        Ok(())
    }

    /// Replaces the user's group-derived grants with what the mappings say for `groups` now.
    /// Grants given by hand are kept and win over group-derived ones in the same project.
    pub async fn apply_groups(&self, user_id: i64, groups: &[String]) -> Result<(), AccessError> {
        let mappings = if groups.is_empty() {
            Vec::new()
        } else {
            group_mapping::Entity::find().filter(group_mapping::Column::GroupName.is_in(groups.iter().cloned())).order_by_asc(group_mapping::Column::Id).all(self.db.conn()).await?
        };
        let now = chrono::Utc::now();
        let txn = self.db.conn().begin().await?;
        project_member::Entity::delete_many().filter(project_member::Column::UserId.eq(user_id)).filter(project_member::Column::FromGroups.eq(true)).exec(&txn).await?;
        user_role::Entity::delete_many().filter(user_role::Column::UserId.eq(user_id)).filter(user_role::Column::FromGroups.eq(true)).exec(&txn).await?;
        let manual: Vec<i64> = project_member::Entity::find().filter(project_member::Column::UserId.eq(user_id)).all(&txn).await?.into_iter().map(|m| m.project_id).collect();
        let manual_roles: Vec<String> = user_role::Entity::find().filter(user_role::Column::UserId.eq(user_id)).all(&txn).await?.into_iter().map(|r| r.role).collect();
        let mut granted_projects = Vec::new();
        let mut granted_roles = Vec::new();
        for m in mappings {
            match m.project_id {
                Some(p) if !manual.contains(&p) && !granted_projects.contains(&p) => {
                    granted_projects.push(p);
                    project_member::ActiveModel { project_id: Set(p), user_id: Set(user_id), role: Set(m.role), from_groups: Set(true), confirmed_at: Set(Some(now)), ..Default::default() }
                        .insert(&txn)
                        .await?;
                }
                None if !manual_roles.contains(&m.role) && !granted_roles.contains(&m.role) => {
                    granted_roles.push(m.role.clone());
                    user_role::ActiveModel { user_id: Set(user_id), role: Set(m.role), from_groups: Set(true), confirmed_at: Set(Some(now)), ..Default::default() }.insert(&txn).await?;
                }
                _ => {}
            }
        }
        txn.commit().await?;
        self.db.changed(Topic::Access);
        Ok(())
    }

    /// Grants a portal-wide role by hand (kept across sign-ins).
    pub async fn grant_global(&self, user_id: i64, role_key: &str) -> Result<(), AccessError> {
        if !self.role_map().await?.contains_key(role_key) {
            return Err(AccessError::UnknownRole(role_key.to_owned()));
        }
        let exists = user_role::Entity::find().filter(user_role::Column::UserId.eq(user_id)).filter(user_role::Column::Role.eq(role_key)).one(self.db.conn()).await?;
        if exists.is_none() {
            user_role::ActiveModel { user_id: Set(user_id), role: Set(role_key.to_owned()), from_groups: Set(false), ..Default::default() }.insert(self.db.conn()).await?;
            self.db.changed(Topic::Access);
        }
        Ok(())
    }

    /// Everything the access decision needs to know about a user. Memberships naming a role
    /// that no longer exists grant nothing.
    pub async fn subject(&self, user_id: i64) -> Result<Subject, AccessError> {
        Ok(self.subject_and_me(user_id).await?.0)
    }

    /// The subject and the person as the page shows them, from one set of queries.
    pub async fn subject_and_me(&self, user_id: i64) -> Result<(Subject, Me), AccessError> {
        self.subject_and_me_at(user_id, chrono::Utc::now()).await
    }

    /// As [`subject_and_me`](Self::subject_and_me) at a given time (tests move the clock).
    /// A deactivated account has no subject; group-derived grants the provider has not
    /// confirmed within the grant lifetime grant nothing.
    pub async fn subject_and_me_at(&self, user_id: i64, now: chrono::DateTime<chrono::Utc>) -> Result<(Subject, Me), AccessError> {
        let user = user::Entity::find_by_id(user_id).one(self.db.conn()).await?.ok_or(AccessError::UnknownUser(user_id))?;
        if user.deactivated_at.is_some() {
            return Err(AccessError::Deactivated(user.email));
        }
        let lapsed = |from_groups: bool, confirmed: Option<chrono::DateTime<chrono::Utc>>| from_groups && confirmed.is_none_or(|at| now - at > self.group_grant_ttl);
        let roles = self.role_map().await?;
        let projects = self.project_names().await?;
        let mut global_roles = Vec::new();
        let mut labels = Vec::new();
        if user.is_admin {
            global_roles.push(BuiltinRole::Administrator.role());
            labels.push("Administrator".to_owned());
        }
        for grant in user_role::Entity::find().filter(user_role::Column::UserId.eq(user_id)).all(self.db.conn()).await? {
            if lapsed(grant.from_groups, grant.confirmed_at) {
                continue;
            }
            if let Some(role) = roles.get(&grant.role) {
                labels.push(role.name.clone());
                global_roles.push(role.clone());
            }
        }
        let mut memberships = Vec::new();
        let rows = project_member::Entity::find().filter(project_member::Column::UserId.eq(user_id)).order_by_asc(project_member::Column::ProjectId).all(self.db.conn()).await?;
        for m in rows {
            if lapsed(m.from_groups, m.confirmed_at) {
                continue;
            }
            if let Some(role) = roles.get(&m.role) {
                labels.push(format!("{} in {}", role.name, projects.get(&m.project_id).map(String::as_str).unwrap_or("?")));
                memberships.push((m.project_id, role.clone()));
            }
        }
        let subject = Subject { user_id, global_roles, memberships };
        let is_admin = flotilla_domain::allows(&subject, flotilla_domain::Verb::Read, &flotilla_domain::Target { kind: flotilla_domain::Kind::AuditLog, project: None, owner: None }).is_allowed();
        let me = Me { user_id, email: user.email, display_name: user.display_name, roles: labels, is_admin };
        Ok((subject, me))
    }

    async fn project_names(&self) -> Result<HashMap<i64, String>, AccessError> {
        Ok(project::Entity::find().all(self.db.conn()).await?.into_iter().map(|p| (p.id, p.name)).collect())
    }
}
