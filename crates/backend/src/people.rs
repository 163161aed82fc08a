//! The people directory: users, projects and who belongs where.
use crate::Database;
use crate::cache::{Cache, Topic};
use crate::entity::{project, project_member, user};
use chrono::Utc;
use flotilla_domain::{Dns1123Label, MemberSummary, ProjectSummary, UserSummary};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum PeopleError {
    #[error("no user with e-mail {0}")]
    UnknownUser(String),
    #[error("no project named {0}")]
    UnknownProject(String),
    #[error("cannot read or write users and projects: {0}")]
    Db(#[from] sea_orm::DbErr),
}

#[derive(Clone, Debug)]
pub struct PeopleDirectory {
    db: Database,
    /// Every request's visibility check needs the project list: read once per
    /// [`crate::cache::TTL`] or after a change.
    listed: Cache<(), Vec<ProjectSummary>>,
}

impl PeopleDirectory {
    pub fn new(db: Database) -> Self {
        let listed = Cache::new(&db, Topic::Access);
        Self { db, listed }
    }

    pub async fn users(&self) -> Result<Vec<UserSummary>, PeopleError> {
        let rows = user::Entity::find().order_by_asc(user::Column::Email).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(|u| UserSummary { id: u.id, email: u.email, display_name: u.display_name, is_admin: u.is_admin, deactivated: u.deactivated_at.is_some() }).collect())
    }

    pub async fn projects(&self) -> Result<Vec<ProjectSummary>, PeopleError> {
        self.listed.get_or_load((), || self.summaries(project::Entity::find(), None)).await
    }

    /// One project by id.
    pub async fn project(&self, id: i64) -> Result<Option<ProjectSummary>, PeopleError> {
        Ok(self.summaries(project::Entity::find_by_id(id), Some(id)).await?.pop())
    }

    /// One project by name.
    pub async fn project_named(&self, name: &str) -> Result<Option<ProjectSummary>, PeopleError> {
        let Some(row) = project::Entity::find().filter(project::Column::Name.eq(name)).one(self.db.conn()).await? else {
            return Ok(None);
        };
        self.project(row.id).await
    }

    /// The selected projects with their member counts: one grouped count (for `only` that
    /// project, or for all) instead of one query per project.
    async fn summaries(&self, select: sea_orm::Select<project::Entity>, only: Option<i64>) -> Result<Vec<ProjectSummary>, PeopleError> {
        let rows = select.order_by_asc(project::Column::Name).all(self.db.conn()).await?;
        let mut counts =
            project_member::Entity::find().select_only().column(project_member::Column::ProjectId).column_as(project_member::Column::Id.count(), "members").group_by(project_member::Column::ProjectId);
        if let Some(id) = only {
            counts = counts.filter(project_member::Column::ProjectId.eq(id));
        }
        let counts: HashMap<i64, i64> = counts.into_tuple::<(i64, i64)>().all(self.db.conn()).await?.into_iter().collect();
        Ok(rows
            .into_iter()
            .map(|p| ProjectSummary {
                members: counts.get(&p.id).copied().unwrap_or(0) as u32,
                id: p.id,
                name: p.name,
                display_name: p.display_name,
                max_priority: flotilla_domain::schedule::Priority::parse(&p.max_priority).unwrap_or_default(),
                archived: p.archived,
            })
            .collect())
    }

    pub async fn rename_project(&self, id: i64, display_name: &str) -> Result<(), PeopleError> {
        let row = project::Entity::find_by_id(id).one(self.db.conn()).await?.ok_or_else(|| PeopleError::UnknownProject(id.to_string()))?;
        let mut row: project::ActiveModel = row.into();
        row.display_name = Set(display_name.to_owned());
        row.update(self.db.conn()).await?;
        self.db.changed(Topic::Access);
        Ok(())
    }

    /// Deletes a project and, with it, its memberships and group mappings.
    pub async fn delete_project(&self, id: i64) -> Result<(), PeopleError> {
        let deleted = project::Entity::delete_by_id(id).exec(self.db.conn()).await?;
        if deleted.rows_affected == 0 {
            return Err(PeopleError::UnknownProject(id.to_string()));
        }
        self.db.changed(Topic::Access);
        Ok(())
    }

    pub async fn members(&self, project_id: i64) -> Result<Vec<MemberSummary>, PeopleError> {
        let rows = project_member::Entity::find().filter(project_member::Column::ProjectId.eq(project_id)).find_also_related(user::Entity).all(self.db.conn()).await?;
        let mut out: Vec<MemberSummary> =
            rows.into_iter().filter_map(|(m, u)| u.map(|u| MemberSummary { user_id: u.id, email: u.email, display_name: u.display_name, role: m.role, from_groups: m.from_groups })).collect();
        out.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(out)
    }

    pub async fn user(&self, id: i64) -> Result<Option<UserSummary>, PeopleError> {
        Ok(user::Entity::find_by_id(id).one(self.db.conn()).await?.map(|u| UserSummary {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            is_admin: u.is_admin,
            deactivated: u.deactivated_at.is_some(),
        }))
    }

    pub async fn note_sign_in(&self, id: i64) -> Result<(), PeopleError> {
        if let Some(row) = user::Entity::find_by_id(id).one(self.db.conn()).await? {
            let mut row: user::ActiveModel = row.into();
            row.last_sign_in_at = Set(Some(Utc::now()));
            row.update(self.db.conn()).await?;
        }
        Ok(())
    }

    /// Creates the user unless one with this e-mail exists; returns the user either way.
    pub async fn ensure_user(&self, email: &str, display_name: &str, is_admin: bool) -> Result<i64, PeopleError> {
        if let Some(u) = user::Entity::find().filter(user::Column::Email.eq(email)).one(self.db.conn()).await? {
            return Ok(u.id);
        }
        let row = user::ActiveModel { email: Set(email.to_owned()), display_name: Set(display_name.to_owned()), is_admin: Set(is_admin), created_at: Set(Utc::now()), ..Default::default() }
            .insert(self.db.conn())
            .await?;
        self.db.changed(Topic::Access);
        Ok(row.id)
    }

    /// Creates the project unless it exists; returns its id either way.
    pub async fn ensure_project(&self, name: &Dns1123Label, display_name: &str) -> Result<i64, PeopleError> {
        if let Some(p) = project::Entity::find().filter(project::Column::Name.eq(name.as_str())).one(self.db.conn()).await? {
            return Ok(p.id);
        }
        let row = project::ActiveModel {
            name: Set(name.to_string()),
            display_name: Set(display_name.to_owned()),
            created_at: Set(Utc::now()),
            max_priority: Set("normal".to_owned()),
            archived: Set(false),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await?;
        self.db.changed(Topic::Access);
        Ok(row.id)
    }

    /// Gives `user_id` the `role` in `project_id`, replacing any role they held there.
    pub async fn set_member(&self, project_id: i64, user_id: i64, role: &str) -> Result<(), PeopleError> {
        let existing = project_member::Entity::find().filter(project_member::Column::ProjectId.eq(project_id)).filter(project_member::Column::UserId.eq(user_id)).one(self.db.conn()).await?;
        match existing {
            Some(m) if m.role == role => {}
            Some(m) => {
                let mut m: project_member::ActiveModel = m.into();
                m.role = Set(role.to_owned());
                m.update(self.db.conn()).await?;
            }
            None => {
                project_member::ActiveModel { project_id: Set(project_id), user_id: Set(user_id), role: Set(role.to_owned()), ..Default::default() }.insert(self.db.conn()).await?;
            }
        }
        self.db.changed(Topic::Access);
        Ok(())
    }
}
