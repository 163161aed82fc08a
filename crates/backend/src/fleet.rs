//! The cluster directory: which clusters are registered and how they are described.
use crate::entity::cluster;
use crate::Database;
use chrono::Utc;
use flotilla_domain::{ClusterSummary, Dns1123Label, Provider};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, Set, SqlErr};

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("a cluster named '{0}' is already registered")]
    Duplicate(String),
    #[error("cannot read or write clusters: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// What is needed to register a cluster (connection details arrive with cluster registration).
#[derive(Debug, Clone)]
pub struct NewCluster {
    pub name: Dns1123Label,
    pub display_name: String,
    pub provider: Provider,
    pub region: String,
    pub environment: String,
}

#[derive(Clone, Debug)]
pub struct ClusterDirectory {
    db: Database,
}

impl ClusterDirectory {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Every registered cluster, by name.
    pub async fn list(&self) -> Result<Vec<ClusterSummary>, FleetError> {
        let rows = cluster::Entity::find().order_by_asc(cluster::Column::Name).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(summary).collect())
    }

    /// Registers a cluster; the unique index on the name refuses a second one, race-free.
    pub async fn register(&self, new: NewCluster) -> Result<ClusterSummary, FleetError> {
        let name = new.name.to_string();
        let row = cluster::ActiveModel {
            name: Set(new.name.to_string()),
            display_name: Set(new.display_name),
            provider: Set(new.provider.as_str().to_owned()),
            region: Set(new.region),
            environment: Set(new.environment),
            enabled: Set(true),
            created_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => FleetError::Duplicate(name),
            _ => FleetError::Db(e),
        })?;
        Ok(summary(row))
    }
}

fn summary(row: cluster::Model) -> ClusterSummary {
    ClusterSummary {
        id: row.id,
        name: row.name,
        display_name: row.display_name,
        provider: Provider::parse(&row.provider),
        region: row.region,
        environment: row.environment,
        enabled: row.enabled,
    }
}
