//! Dashboards: each person's own layout, else the default an administrator published for one of
//! their roles, else the built-in one (world map above the fleet topology).
use crate::Database;
use crate::entity::dashboard;
use chrono::Utc;
use flotilla_domain::dashboard::Dashboard;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read or write dashboards: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// Where the layout someone sees comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    Own,
    /// The default published for this role (its key).
    Role(String),
    BuiltIn,
}

#[derive(Clone, Debug)]
pub struct Dashboards {
    db: Database,
}

fn parse(layout: &str) -> Option<Dashboard> {
    serde_json::from_str::<Dashboard>(layout).ok().filter(|d| d.check().is_ok())
}

impl Dashboards {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// The layout for a person holding these role keys (most privileged first).
    pub async fn for_user(&self, user_id: i64, role_keys: &[String]) -> Result<(Dashboard, Source), DashboardError> {
        if let Some(own) = dashboard::Entity::find().filter(dashboard::Column::UserId.eq(user_id)).one(self.db.conn()).await?
            && let Some(d) = parse(&own.layout)
        {
            return Ok((d, Source::Own));
        }
        let published = dashboard::Entity::find().filter(dashboard::Column::RoleKey.is_in(role_keys.to_vec())).all(self.db.conn()).await?;
        for key in role_keys {
            if let Some(d) = published.iter().find(|p| p.role_key.as_deref() == Some(key)).and_then(|p| parse(&p.layout)) {
                return Ok((d, Source::Role(key.clone())));
            }
        }
        Ok((Dashboard::built_in_for(role_keys), Source::BuiltIn))
    }

    async fn put(&self, user_id: Option<i64>, role_key: Option<String>, d: &Dashboard) -> Result<(), DashboardError> {
        d.check().map_err(DashboardError::Invalid)?;
        let layout = serde_json::to_string(d).map_err(|e| DashboardError::Invalid(e.to_string()))?;
        let column = if user_id.is_some() { dashboard::Column::UserId } else { dashboard::Column::RoleKey };
        let row = dashboard::ActiveModel { user_id: Set(user_id), role_key: Set(role_key), layout: Set(layout), updated_at: Set(Utc::now()), ..Default::default() };
        dashboard::Entity::insert(row)
            .on_conflict(OnConflict::column(column).update_columns([dashboard::Column::Layout, dashboard::Column::UpdatedAt]).to_owned())
            .exec_without_returning(self.db.conn())
            .await?;
        Ok(())
    }

    /// Saves a person's own layout.
    pub async fn save(&self, user_id: i64, d: &Dashboard) -> Result<(), DashboardError> {
        self.put(Some(user_id), None, d).await
    }

    /// Forgets a person's own layout: they see their role's default (or the built-in) again.
    pub async fn reset(&self, user_id: i64) -> Result<(), DashboardError> {
        dashboard::Entity::delete_many().filter(dashboard::Column::UserId.eq(user_id)).exec(self.db.conn()).await?;
        Ok(())
    }

    /// Publishes a layout as the default of a role (administrators).
    pub async fn publish(&self, role_key: &str, d: &Dashboard) -> Result<(), DashboardError> {
        self.put(None, Some(role_key.to_owned()), d).await
    }

    /// Withdraws a role's published default: its people see the built-in default again (those
    /// with their own layout keep it). False when none was published.
    pub async fn unpublish(&self, role_key: &str) -> Result<bool, DashboardError> {
        let gone = dashboard::Entity::delete_many().filter(dashboard::Column::RoleKey.eq(role_key)).exec(self.db.conn()).await?;
        Ok(gone.rows_affected > 0)
    }
}
