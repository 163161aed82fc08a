//! The people directory: users, projects and who belongs where.
use crate::entity::{project, project_member, user};
use crate::Database;
use chrono::Utc;
use flotilla_domain::{Dns1123Label, ProjectSummary, UserSummary};
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
}

impl PeopleDirectory {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn users(&self) -> Result<Vec<UserSummary>, PeopleError> {
        let rows = user::Entity::find().order_by_asc(user::Column::Email).all(self.db.conn()).await?;
        Ok(rows
            .into_iter()
            .map(|u| UserSummary { id: u.id, email: u.email, display_name: u.display_name, is_admin: u.is_admin })
            .collect())
    }

    pub async fn projects(&self) -> Result<Vec<ProjectSummary>, PeopleError> {
        let rows = project::Entity::find().order_by_asc(project::Column::Name).all(self.db.conn()).await?;
        // One grouped count for all projects instead of one query per project.
        let counts: HashMap<i64, i64> = project_member::Entity::find()
            .select_only()
            .column(project_member::Column::ProjectId)
            .column_as(project_member::Column::Id.count(), "members")
            .group_by(project_member::Column::ProjectId)
            .into_tuple::<(i64, i64)>()
            .all(self.db.conn())
            .await?
            .into_iter()
            .collect();
        Ok(rows
            .into_iter()
            .map(|p| ProjectSummary {
                members: counts.get(&p.id).copied().unwrap_or(0) as u32,
                id: p.id,
                name: p.name,
                display_name: p.display_name,
            })
            .collect())
    }

    /// Creates the user unless one with this e-mail exists; returns the user either way.
    pub async fn ensure_user(&self, email: &str, display_name: &str, is_admin: bool) -> Result<i64, PeopleError> {
        if let Some(u) = user::Entity::find().filter(user::Column::Email.eq(email)).one(self.db.conn()).await? {
            return Ok(u.id);
        }
        let row = user::ActiveModel {
            email: Set(email.to_owned()),
            display_name: Set(display_name.to_owned()),
            is_admin: Set(is_admin),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await?;
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
            ..Default::default()
        }
        .insert(self.db.conn())
        .await?;
        Ok(row.id)
    }

    /// Gives `user_id` the `role` in `project_id`, replacing any role they held there.
    pub async fn set_member(&self, project_id: i64, user_id: i64, role: &str) -> Result<(), PeopleError> {
        let existing = project_member::Entity::find()
            .filter(project_member::Column::ProjectId.eq(project_id))
            .filter(project_member::Column::UserId.eq(user_id))
            .one(self.db.conn())
            .await?;
        match existing {
            Some(m) if m.role == role => {}
            Some(m) => {
                let mut m: project_member::ActiveModel = m.into();
                m.role = Set(role.to_owned());
                m.update(self.db.conn()).await?;
            }
            None => {
                project_member::ActiveModel {
                    project_id: Set(project_id),
                    user_id: Set(user_id),
                    role: Set(role.to_owned()),
                    ..Default::default()
                }
                .insert(self.db.conn())
                .await?;
            }
        }
        Ok(())
    }
}
