//! The one source of `kube::Client`s: a pool keyed on (cluster id, fingerprint of the
//! credentials the client was built from). The collector's watches and the deployer's calls
//! share it, so a cluster has one connection pool (one TLS session cache, one HTTP/2
//! connection) whoever talks to it. Callers read the cluster's row from the database before
//! asking (the collector on every sync, the deployer on every call), so a credential change
//! or a disable made on any replica replaces or drops the client at the next call.
use crate::kubeconn::{ConnectError, Credentials};
use kube::Client;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct ClusterConnections {
    pool: Arc<Mutex<HashMap<i64, (String, Client)>>>,
    connect_timeout: Duration,
}

impl std::fmt::Debug for ClusterConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClusterConnections({} clusters)", self.pool.lock().len())
    }
}

impl ClusterConnections {
    /// `connect_timeout` bounds establishing a connection (calls keep their own timeouts).
    pub fn new(connect_timeout: Duration) -> Self {
        Self { pool: Arc::default(), connect_timeout }
    }

    /// The client for `cluster_id` built from `creds`: the pooled one while the credentials are
    /// those it was built from, else a new one that replaces it.
    pub async fn client(&self, cluster_id: i64, creds: &Credentials) -> Result<Client, ConnectError> {
        let fingerprint = creds.fingerprint();
        if let Some((f, c)) = self.pool.lock().get(&cluster_id)
            && *f == fingerprint
        {
            return Ok(c.clone());
        }
        let client = creds.client(self.connect_timeout).await?;
        self.pool.lock().insert(cluster_id, (fingerprint, client.clone()));
        Ok(client)
    }

    /// Drops the client of a cluster that was disabled, removed or lost its credentials.
    pub fn forget(&self, cluster_id: i64) {
        self.pool.lock().remove(&cluster_id);
    }

    /// Keeps only the clients of the clusters `keep` accepts.
    pub fn retain(&self, keep: impl Fn(i64) -> bool) {
        self.pool.lock().retain(|id, _| keep(*id));
    }

    /// How many clusters have a pooled client (for tests and diagnostics).
    pub fn pooled(&self) -> usize {
        self.pool.lock().len()
    }

    /// Whether two handles share one pool.
    pub fn same_pool(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.pool, &other.pool)
    }
}
