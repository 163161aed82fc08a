//! The cluster directory: which clusters are registered, how they are described, and their
//! credentials (sealed with the portal's secret key; opened only to connect).
use crate::Database;
use crate::cache::{Cache, Topic};
use crate::entity::cluster;
use crate::kubeconn::Credentials;
use crate::secrets::{SecretError, SecretKey};
use chrono::Utc;
use flotilla_domain::{ClusterSummary, Dns1123Label, Provider};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, QueryOrder, Set, SqlErr, TransactionTrait};

#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("a cluster named '{0}' is already registered")]
    Duplicate(String),
    #[error("no cluster with id {0}")]
    NotFound(i64),
    #[error("cluster credentials cannot be opened: {0}")]
    Secret(#[from] SecretError),
    #[error("cannot read or write clusters: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// What is needed to register a cluster.
#[derive(Debug, Clone)]
pub struct NewCluster {
    pub name: Dns1123Label,
    pub details: ClusterDetails,
}

/// The editable description of a cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterDetails {
    pub display_name: String,
    pub provider: Provider,
    pub region: String,
    pub environment: String,
    pub labels: Vec<(String, String)>,
    pub control_plane_price_per_hour: f64,
    /// A city or "lat, lon" (checked by the caller), for the world map.
    pub location: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ClusterDirectory {
    db: Database,
    key: SecretKey,
    /// The list, read once per [`crate::cache::TTL`] or after a change, not per request.
    listed: Cache<(), Vec<ClusterSummary>>,
}

fn context(name: &str) -> String {
    format!("cluster:{name}")
}

impl ClusterDirectory {
    pub fn new(db: Database, key: SecretKey) -> Self {
        let listed = Cache::new(&db, Topic::Clusters);
        Self { db, key, listed }
    }

    /// Every registered cluster, by name.
    pub async fn list(&self) -> Result<Vec<ClusterSummary>, FleetError> {
        self.listed
            .get_or_load((), || async {
                let rows = cluster::Entity::find().order_by_asc(cluster::Column::Name).all(self.db.conn()).await?;
                Ok(rows.into_iter().map(summary).collect())
            })
            .await
    }

    pub async fn get(&self, id: i64) -> Result<ClusterSummary, FleetError> {
        self.list().await?.into_iter().find(|c| c.id == id).ok_or(FleetError::NotFound(id))
    }

    /// A row this process just wrote, as a summary; copies of the list are stale from now on.
    fn saved(&self, row: cluster::Model) -> ClusterSummary {
        self.db.changed(Topic::Clusters);
        summary(row)
    }

    async fn row(&self, id: i64) -> Result<cluster::Model, FleetError> {
        cluster::Entity::find_by_id(id).one(self.db.conn()).await?.ok_or(FleetError::NotFound(id))
    }

    /// Registers a cluster; the unique index on the name refuses a second one, race-free.
    pub async fn register(&self, new: NewCluster, creds: Option<&Credentials>) -> Result<ClusterSummary, FleetError> {
        let name = new.name.to_string();
        let mut row = cluster::ActiveModel {
            name: Set(name.clone()),
            enabled: Set(true),
            created_at: Set(Utc::now()),
            api_server: Set(creds.map(|c| c.server.clone()).unwrap_or_default()),
            credentials: Set(creds.map(|c| self.key.seal(c.kubeconfig.as_bytes(), &context(&name)))),
            ..Default::default()
        };
        apply_details(&mut row, new.details);
        let row = row.insert(self.db.conn()).await.map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => FleetError::Duplicate(name),
            _ => FleetError::Db(e),
        })?;
        Ok(self.saved(row))
    }

    pub async fn update_details(&self, id: i64, details: ClusterDetails) -> Result<ClusterSummary, FleetError> {
        let mut row = self.row(id).await?.into_active_model();
        apply_details(&mut row, details);
        Ok(self.saved(row.update(self.db.conn()).await?))
    }

    /// Replaces the credentials (sealed).
    pub async fn update_credentials(&self, id: i64, creds: &Credentials) -> Result<ClusterSummary, FleetError> {
        let row = self.row(id).await?;
        let sealed = self.key.seal(creds.kubeconfig.as_bytes(), &context(&row.name));
        let mut row = row.into_active_model();
        row.api_server = Set(creds.server.clone());
        row.credentials = Set(Some(sealed));
        Ok(self.saved(row.update(self.db.conn()).await?))
    }

    pub async fn set_enabled(&self, id: i64, enabled: bool) -> Result<ClusterSummary, FleetError> {
        let mut row = self.row(id).await?.into_active_model();
        row.enabled = Set(enabled);
        Ok(self.saved(row.update(self.db.conn()).await?))
    }

    /// Removes the cluster and its history (snapshots cascade).
    pub async fn remove(&self, id: i64) -> Result<ClusterSummary, FleetError> {
        let row = self.row(id).await?;
        cluster::Entity::delete_by_id(id).exec(self.db.conn()).await?;
        Ok(self.saved(row))
    }

    /// The opened credentials of a cluster (None when it has none).
    pub async fn credentials(&self, id: i64) -> Result<Option<Credentials>, FleetError> {
        let row = self.row(id).await?;
        self.open(&row)
    }

    /// The cluster read from the database now (not this process's cached list), with its
    /// credentials opened: a credential change or a disable made on another replica is seen at
    /// the next call.
    pub async fn connection(&self, id: i64) -> Result<(ClusterSummary, Option<Credentials>), FleetError> {
        let row = self.row(id).await?;
        let creds = self.open(&row)?;
        Ok((summary(row), creds))
    }

    fn open(&self, row: &cluster::Model) -> Result<Option<Credentials>, FleetError> {
        let Some(sealed) = &row.credentials else { return Ok(None) };
        let bytes = self.key.open(sealed, &context(&row.name))?;
        let kubeconfig = String::from_utf8(bytes).map_err(|_| SecretError::Damaged)?;
        Ok(Some(Credentials { kubeconfig, server: row.api_server.clone() }))
    }

    /// Every enabled cluster with credentials, opened, for the collector. A cluster whose
    /// credentials cannot be opened comes with the reason instead.
    pub async fn connections(&self) -> Result<Vec<(ClusterSummary, Result<Credentials, String>)>, FleetError> {
        let rows = cluster::Entity::find().order_by_asc(cluster::Column::Name).all(self.db.conn()).await?;
        Ok(rows
            .into_iter()
            .filter(|r| r.enabled && r.credentials.is_some())
            .map(|r| {
                let creds = self.open(&r).map_err(|e| e.to_string()).and_then(|c| c.ok_or_else(|| "no credentials".to_owned()));
                (summary(r), creds)
            })
            .collect())
    }

    /// Re-seals every cluster's credentials under `new` (in one transaction); returns how many.
    /// The directory's own key must be the one they were sealed with.
    pub async fn rotate_key(&self, new: &SecretKey) -> Result<usize, FleetError> {
        let txn = self.db.conn().begin().await?;
        let rows = cluster::Entity::find().all(&txn).await?;
        let mut n = 0;
        for row in rows {
            let Some(sealed) = row.credentials.clone() else { continue };
            let plain = self.key.open(&sealed, &context(&row.name))?;
            let resealed = new.seal(&plain, &context(&row.name));
            let mut active = row.into_active_model();
            active.credentials = Set(Some(resealed));
            active.update(&txn).await?;
            n += 1;
        }
        txn.commit().await?;
        Ok(n)
    }
}

fn apply_details(row: &mut cluster::ActiveModel, d: ClusterDetails) {
    row.display_name = Set(d.display_name);
    row.provider = Set(d.provider.as_str().to_owned());
    row.region = Set(d.region);
    row.environment = Set(d.environment);
    row.labels = Set(serde_json::to_string(&d.labels).expect("labels serialise"));
    row.control_plane_price = Set(d.control_plane_price_per_hour);
    row.location = Set(d.location);
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
        labels: serde_json::from_str(&row.labels).unwrap_or_default(),
        control_plane_price_per_hour: row.control_plane_price,
        api_server: row.api_server,
        location: row.location,
    }
}
