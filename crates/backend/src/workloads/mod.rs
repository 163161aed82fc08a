//! Self-service workloads. The database holds what should run where (`workloads`,
//! `workload_deployments`); a reconcile loop makes every cluster match it with server-side
//! apply and reads the state back. Because the records are the truth and apply is idempotent,
//! a restart mid-deploy simply converges, without duplicates.
pub mod capacity;
pub mod cluster_calls;
pub mod manifests;
mod reconcile;
mod records;
pub mod service;

pub use manifests::Quota;
pub use records::{DeploymentRecord, Desired, WorkloadRecord};
pub use service::WorkloadService;

use crate::{ClusterDirectory, Database, FleetError};
use kube::Client;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The guard said no; `what` names the object in words.
    #[error("may not {} {what}", verb.label())]
    Refused { refusal: crate::Refusal, verb: flotilla_domain::Verb, what: &'static str },
    #[error("a workload named '{0}' already exists in this project")]
    Duplicate(String),
    #[error("this workload does not exist")]
    NotFound,
    /// No such project, or one the caller may not see (the same words for both).
    #[error("this project does not exist")]
    ProjectNotFound,
    #[error("{0}")]
    Invalid(String),
    /// The cluster may not be used now (disabled, no credentials, no client can be built).
    #[error("{0}")]
    Cluster(String),
    /// A call to the cluster failed.
    #[error(transparent)]
    Kube(#[from] cluster_calls::KubeError),
    #[error("cannot read or write workloads: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("a stored workload is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    #[error(transparent)]
    Fleet(#[from] FleetError),
}

impl From<crate::ProjectError> for WorkloadError {
    fn from(e: crate::ProjectError) -> Self {
        use crate::ProjectError as P;
        match e {
            P::Refused { refusal, verb, what } => Self::Refused { refusal, verb, what },
            P::NotFound => Self::ProjectNotFound,
            P::Invalid(s) => Self::Invalid(s),
            P::Db(e) => Self::Db(e),
            P::People(e) => Self::Invalid(e.to_string()),
        }
    }
}

/// A project's quota settings: what applies in its namespaces, and the ceiling administrators set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaSettings {
    pub quota: Quota,
    pub max: Quota,
}

/// What a project gets until someone says otherwise.
/// No GPUs until an administrator grants some.
pub const DEFAULT_QUOTA: Quota = Quota { cpu_m: 64_000, mem_b: 256 << 30, pods: 200, gpus: 0 };
/// The ceiling owners may raise their quota to until an administrator changes it: the quota
/// they have.
pub const DEFAULT_MAX_QUOTA: Quota = DEFAULT_QUOTA;

/// The deployer. Cheap to clone.
#[derive(Clone)]
pub struct Workloads {
    db: Database,
    clusters: ClusterDirectory,
    /// Where kube clients come from: the collector's pool once [`Self::with_collector`] is
    /// called, so watches and deploys share one connection per cluster.
    connections: crate::ClusterConnections,
    /// Wakes the reconcile loop after a change, so deploys start at once.
    nudge: Arc<tokio::sync::Notify>,
    /// The live inventory, where rollouts are read without asking the cluster.
    collector: Option<crate::Collector>,
}

impl std::fmt::Debug for Workloads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Workloads").finish_non_exhaustive()
    }
}

impl Workloads {
    pub fn new(db: Database, clusters: ClusterDirectory) -> Self {
        Self { db, clusters, connections: crate::ClusterConnections::new(cluster_calls::CALL_TIMEOUT), nudge: Arc::default(), collector: None }
    }

    /// Reads rollouts from the collector's store (kept by its watches) instead of three GETs
    /// per workload and pass; the cluster is asked only when the store cannot tell.
    /// Takes its clients from the collector's pool too.
    pub fn with_collector(mut self, collector: crate::Collector) -> Self {
        self.connections = collector.connections();
        self.collector = Some(collector);
        self
    }

    /// A client for the cluster (credentials opened only here, never returned to callers), from
    /// the shared pool: the row is read on every call, so a credential change or a disable made
    /// on any replica takes effect at once.
    pub async fn client(&self, cluster_id: i64) -> Result<Client, WorkloadError> {
        let (summary, creds) = self.clusters.connection(cluster_id).await?;
        if !summary.enabled {
            self.connections.forget(cluster_id);
            return Err(WorkloadError::Cluster(format!("{} is disabled by an administrator", summary.name)));
        }
        let creds = creds.ok_or_else(|| WorkloadError::Cluster(format!("{} has no credentials: an administrator must connect it", summary.name)))?;
        self.connections.client(cluster_id, &creds).await.map_err(|e| WorkloadError::Cluster(e.to_string()))
    }

    /// The pool this deployer takes its clients from.
    pub fn connections(&self) -> &crate::ClusterConnections {
        &self.connections
    }

    /// Starts a reconcile pass now instead of at the next tick.
    pub fn wake(&self) {
        self.nudge.notify_one();
    }

    /// Recent events about the workload on one cluster.
    pub async fn events(&self, cluster_id: i64, project: &str, name: &str, cluster: &str) -> Result<Vec<flotilla_domain::EventLine>, WorkloadError> {
        Ok(cluster_calls::events(&self.client(cluster_id).await?, project, name, cluster).await?)
    }

    /// The last `lines` lines of a pod's log.
    pub async fn log(&self, cluster_id: i64, project: &str, pod: &str, lines: i64) -> Result<String, WorkloadError> {
        Ok(cluster_calls::logs(&self.client(cluster_id).await?, project, pod, lines).await?)
    }
}
