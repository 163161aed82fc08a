//! Flotilla fleet simulator (test and demo infrastructure): serves each simulated cluster on its own
//! 127.0.0.1 port with kube-apiserver's HTTP+JSON protocol, so real kube-rs clients work unchanged.
//!
//! ```no_run
//! # async fn demo() -> Result<(), flotilla_sim::SimError> {
//! let fleet = flotilla_sim::start(flotilla_sim::FleetSpec::demo(), Default::default()).await?;
//! let kubeconfig = fleet.kubeconfig_yaml();
//! # let _ = kubeconfig; Ok(()) }
//! ```

pub mod admin;
pub mod admission;
pub mod api;
pub mod apply;
pub mod authz;
pub mod cluster;
pub mod controllers;
pub mod defaults;
pub mod discovery;
pub mod error;
pub mod faults;
pub mod fleet;
pub mod index;
pub mod kubeconfig;
pub mod measure;
pub mod patch;
pub mod podinfo;
pub mod quantity;
pub mod resources;
pub mod roles;
pub mod scheduler;
pub mod selectors;
pub mod server;
pub mod status;
pub mod store;
pub mod table;
pub mod testing;
pub mod tls;
pub mod usage;
pub mod watch;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch as tokio_watch;

pub use authz::Rule;
pub use cluster::SimOptions;
pub use error::SimError;
pub use faults::FaultMode;
pub use fleet::{ClusterSpec, FleetSpec};

use cluster::Cluster;

/// One running simulated cluster.
#[derive(Clone)]
pub struct ClusterHandle {
    pub name: String,
    pub url: String,
    pub token: String,
    pub ca_pem: String,
    cluster: Arc<Cluster>,
}

impl ClusterHandle {
    pub fn spec(&self) -> &ClusterSpec {
        &self.cluster.spec
    }

    /// Fault injection (same as the admin endpoint's `/fault`).
    pub fn set_fault(&self, mode: FaultMode, latency: Option<Duration>) {
        self.cluster.faults.set(mode, latency.map(|d| d.as_millis() as u64));
    }

    pub fn add_nodes(&self, pool: Option<&str>, count: u32) -> Result<Vec<String>, SimError> {
        self.cluster.add_nodes(pool, count).map_err(|e| SimError::Invalid(e.message))
    }

    pub fn remove_nodes(&self, count: u32) -> Vec<String> {
        self.cluster.remove_nodes(count)
    }

    pub fn burst(&self, factor: f64, duration: Duration) {
        self.cluster.set_burst(factor, duration);
    }

    /// Bursts until the pods use about `fraction` of the allocatable CPU; returns the factor.
    pub fn burst_to(&self, fraction: f64, duration: Duration) -> f64 {
        self.cluster.burst_to(fraction, duration)
    }

    /// Refuses `verb` on `resource` ("pods", "deployments.apps", "nodes.metrics.k8s.io", or one
    /// subresource: "pods/log") for every token, in API calls and SelfSubjectAccessReviews alike.
    pub fn deny(&self, verb: &str, resource: &str) {
        self.cluster.deny(verb, resource);
    }

    /// A new bearer token for `user` (e.g. "system:serviceaccount:ops:viewer") allowed exactly what
    /// `rules` allow (see [`roles`] for presets); `token` keeps its full access.
    pub fn issue_token(&self, user: &str, rules: Vec<Rule>) -> String {
        self.cluster.issue_token(user, rules)
    }

    /// Stops (true) or restarts the controller-manager part of the control loop, like a stopped
    /// kube-controller-manager: Deployments are not reconciled (their `status.observedGeneration`
    /// lags `metadata.generation`), quota status and NoExecute evictions wait. The scheduler and
    /// the kubelets keep running.
    pub fn pause_controllers(&self, paused: bool) {
        self.cluster.pause_controllers(paused);
    }

    /// Adds (or replaces, for the same key and effect) the taint `key=value:effect` on `node`, like
    /// `kubectl taint nodes node key=value:effect --overwrite`; watchers see the node MODIFIED.
    pub fn taint(&self, node: &str, key: &str, value: &str, effect: &str) -> Result<(), SimError> {
        self.cluster.taint_node(node, key, value, effect).map_err(|e| SimError::Invalid(e.message))
    }

    /// Removes every taint with `key` from `node` (`kubectl taint nodes node key-`).
    pub fn untaint(&self, node: &str, key: &str) -> Result<(), SimError> {
        self.cluster.untaint_node(node, key).map_err(|e| SimError::Invalid(e.message))
    }

    /// Cordons (`spec.unschedulable: true`) or uncordons `node`, like `kubectl cordon|uncordon`.
    pub fn cordon(&self, node: &str, on: bool) -> Result<(), SimError> {
        self.cluster.cordon_node(node, on).map_err(|e| SimError::Invalid(e.message))
    }

    /// How many `verb` requests ("get", "list", "watch", "patch"…) on `resource` (plural:
    /// "deployments", "pods", "events") the cluster has served.
    pub fn calls(&self, verb: &str, resource: &str) -> u64 {
        self.cluster.calls(verb, resource)
    }

    /// The cluster's node names, in name order.
    pub fn node_names(&self) -> Vec<String> {
        self.cluster.node_names()
    }

    /// Lifts every denial.
    pub fn allow_all(&self) {
        self.cluster.allow_all();
    }

    /// Shrinks (or grows) the watch history; tests use this to force 410 Gone.
    pub fn set_history_limit(&self, limit: usize) {
        self.cluster.store.lock().set_history_limit(limit);
    }

    /// The cluster's current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.cluster.store.lock().current_rv()
    }
}

/// A started fleet; stops all listeners and controllers on `shutdown()` or drop.
pub struct RunningFleet {
    clusters: Vec<ClusterHandle>,
    admin_url: Option<String>,
    shutdown: tokio_watch::Sender<bool>,
}

impl RunningFleet {
    pub fn clusters(&self) -> &[ClusterHandle] {
        &self.clusters
    }

    pub fn cluster(&self, name: &str) -> Option<&ClusterHandle> {
        self.clusters.iter().find(|c| c.name == name)
    }

    pub fn admin_url(&self) -> Option<&str> {
        self.admin_url.as_deref()
    }

    /// A kubeconfig with one context (and cluster and user) per simulated cluster.
    pub fn kubeconfig_yaml(&self) -> String {
        let entries: Vec<kubeconfig::KubeconfigEntry<'_>> = self.clusters.iter().map(|c| kubeconfig::KubeconfigEntry { name: &c.name, server: &c.url, token: &c.token, ca_pem: &c.ca_pem }).collect();
        kubeconfig::render(&entries)
    }

    pub fn write_kubeconfig(&self, path: &std::path::Path) -> Result<(), SimError> {
        std::fs::write(path, self.kubeconfig_yaml())?;
        Ok(())
    }

    /// The one line printed on stdout when everything listens.
    pub fn ready_line(&self, kubeconfig_path: &str) -> String {
        let cs: Vec<String> = self.clusters.iter().map(|c| format!("{}={}", c.name, c.url)).collect();
        let mut s = format!("flotilla-sim ready: kubeconfig={kubeconfig_path} clusters={}", cs.join(","));
        if let Some(a) = &self.admin_url {
            s.push_str(&format!(" admin={a}"));
        }
        s
    }

    pub async fn shutdown(self) {
        self.shutdown.send_replace(true);
        tokio::task::yield_now().await;
    }
}

impl Drop for RunningFleet {
    fn drop(&mut self) {
        self.shutdown.send_replace(true);
    }
}

/// Starts every cluster of `fleet` on its own 127.0.0.1 port (HTTPS, generated CA, bearer tokens).
pub async fn start(fleet: FleetSpec, opts: SimOptions) -> Result<RunningFleet, SimError> {
    start_with_admin_port(fleet, opts, 0).await
}

/// Like [`start`], binding the admin endpoint (if `opts.admin`) to `admin_port` (0 = any).
pub async fn start_with_admin_port(fleet: FleetSpec, opts: SimOptions, admin_port: u16) -> Result<RunningFleet, SimError> {
    let tls = tls::SimTls::generate()?;
    let (tx, rx) = tokio_watch::channel(false);
    let mut clusters = Vec::new();
    for (i, spec) in fleet.clusters.into_iter().enumerate() {
        let cluster = Cluster::new(i, spec, opts.clone());
        let app = api::router(cluster.clone());
        let port = server::spawn(cluster.clone(), app, tls.server_config.clone(), rx.clone()).await?;
        tokio::spawn(controllers::run(cluster.clone(), rx.clone()));
        clusters.push(ClusterHandle { name: cluster.spec.name.clone(), url: format!("https://127.0.0.1:{port}"), token: cluster.token.clone(), ca_pem: tls.ca_pem.clone(), cluster });
    }
    let admin_url = if opts.admin {
        let list = clusters.iter().map(|c| (c.cluster.clone(), c.url.clone())).collect();
        Some(admin::spawn(list, admin_port, rx.clone()).await?)
    } else {
        None
    };
    Ok(RunningFleet { clusters, admin_url, shutdown: tx })
}
