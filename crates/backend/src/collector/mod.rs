//! The live inventory: per registered cluster, one kube-runtime watcher per kind (Nodes, Pods,
//! Namespaces, Deployments, ResourceQuotas) feeding a compact in-memory store, a metrics.k8s.io
//! poller and a health probe. Each cluster runs on its own tasks with its own timeouts and
//! backoff, so a lost cluster never slows the others; pages read the stores, never the clusters.
pub mod snapshots;
pub mod store;

use crate::cluster_directory::ClusterDirectory;
use crate::kubeconn::{Credentials, describe_kube_error};
use chrono::Utc;
use flotilla_domain::ClusterSummary;
use flotilla_domain::inventory::{ClusterHealth, HealthState, PodView, Usage};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, ResourceQuota};
use kube::runtime::watcher::{self, Event};
use kube::{Api, Client};
use parking_lot::{Mutex, RwLock};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use store::{Collect, Derived, Store};
use tokio::task::AbortHandle;

/// How often and how patiently the collector talks to clusters.
#[derive(Debug, Clone)]
pub struct CollectorSettings {
    /// Health probe period (also the base of the backoff while unreachable).
    pub probe_interval: Duration,
    /// metrics.k8s.io poll period.
    pub metrics_interval: Duration,
    /// A probe slower than this marks the cluster degraded.
    pub slow_after: Duration,
    /// Connect and request timeout for probes and polls.
    pub timeout: Duration,
}

impl Default for CollectorSettings {
    fn default() -> Self {
        Self { probe_interval: Duration::from_secs(5), metrics_interval: Duration::from_secs(15), slow_after: Duration::from_millis(1500), timeout: Duration::from_secs(5) }
    }
}

/// One cluster's state at a moment, as pages read it.
#[derive(Debug, Clone)]
pub struct ClusterState {
    pub summary: ClusterSummary,
    pub health: ClusterHealth,
    pub metrics_live: bool,
    pub synced: bool,
    /// Kinds Flotilla may not list on this cluster ("nodes", "pods"…): their data is unknown,
    /// never empty.
    pub forbidden: Vec<&'static str>,
    pub derived: Arc<Derived>,
}

impl ClusterState {
    /// "Flotilla may not list nodes and pods on this cluster", when a kind is forbidden.
    pub fn forbidden_words(&self) -> Option<String> {
        (!self.forbidden.is_empty()).then(|| forbidden_words(&self.forbidden))
    }

    /// "Flotilla may not list pods on <cluster>…" for the first of `kinds` its credentials may
    /// not list: what needs them is unknown there, never empty or zero.
    pub fn may_not_list(&self, kinds: &[&str]) -> Option<String> {
        kinds.iter().find(|k| self.forbidden.contains(k)).map(|k| flotilla_domain::inventory::may_not_list(k, &self.summary.name))
    }

    /// Whether what the store holds may be recorded as a measurement now: the cluster was
    /// listed completely and answers. An unreachable cluster's inventory is stale, so that
    /// time stays a gap in snapshots and in the cost ledger alike.
    pub fn measurable(&self) -> bool {
        self.synced && self.health.state != flotilla_domain::inventory::HealthState::Unreachable
    }
}

struct HealthTrack {
    health: ClusterHealth,
    /// Each failing kind's latest watch error (cleared when the kind lists again).
    watch_errors: BTreeMap<&'static str, (Instant, String)>,
}

/// "Flotilla may not list nodes, pods and resourcequotas on this cluster".
fn forbidden_words(kinds: &[&str]) -> String {
    let list = match kinds {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    };
    format!("Flotilla may not list {list} on this cluster")
}

struct Live {
    summary: RwLock<ClusterSummary>,
    /// What the tasks were started with (restart when it changes).
    fingerprint: String,
    store: RwLock<Store>,
    health: Mutex<HealthTrack>,
    generation: AtomicU64,
    derived: Mutex<(u64, Arc<Derived>)>,
    tasks: Mutex<Vec<AbortHandle>>,
    fleet_generation: Arc<AtomicU64>,
}

impl HealthTrack {
    /// The kinds whose watch failed within `window`, each with its error: "pods: …; nodes: …".
    fn recent_watch_errors(&self, window: Duration) -> Option<String> {
        let recent: Vec<String> = self.watch_errors.iter().filter(|(_, (at, _))| at.elapsed() < window).map(|(kind, (_, e))| format!("{kind}: {e}")).collect();
        (!recent.is_empty()).then(|| recent.join("; "))
    }
}

impl Live {
    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        self.fleet_generation.fetch_add(1, Ordering::Relaxed);
    }

    fn update(&self, f: impl FnOnce(&mut Store)) {
        f(&mut self.store.write());
        self.bump();
    }

    fn set_health(&self, state: HealthState, detail: String, seen: bool, version: Option<String>) {
        let mut h = self.health.lock();
        let now = Utc::now().timestamp_millis();
        let changed = h.health.state != state || h.health.detail != detail;
        if h.health.state != state {
            h.health.since_ms = now;
        }
        h.health.state = state;
        h.health.detail = detail;
        if seen {
            h.health.last_seen_ms = Some(now);
        }
        if version.is_some() {
            h.health.version = version;
        }
        drop(h);
        if changed {
            self.bump();
        }
    }

    fn derived(&self) -> Arc<Derived> {
        let generation = self.generation.load(Ordering::Relaxed);
        let mut cached = self.derived.lock();
        if cached.0 != generation || generation == 0 {
            let d = Arc::new(self.store.read().derive());
            *cached = (generation.max(1), d);
        }
        cached.1.clone()
    }

    fn stop(&self) {
        for t in self.tasks.lock().drain(..) {
            t.abort();
        }
    }
}

/// The fleet's live inventory. Cheap to clone.
#[derive(Clone)]
pub struct Collector {
    clusters: Arc<RwLock<BTreeMap<i64, Arc<Live>>>>,
    generation: Arc<AtomicU64>,
    settings: CollectorSettings,
    /// Where every watch, probe and poll gets its client (shared with the deployer).
    connections: crate::ClusterConnections,
}

impl std::fmt::Debug for Collector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Collector({} clusters)", self.clusters.read().len())
    }
}

impl Collector {
    pub fn new(settings: CollectorSettings) -> Self {
        Self { clusters: Default::default(), generation: Arc::new(AtomicU64::new(1)), connections: crate::ClusterConnections::new(settings.timeout), settings }
    }

    /// The client pool the collector uses; give it to the deployer ([`crate::Workloads::with_collector`]).
    pub fn connections(&self) -> crate::ClusterConnections {
        self.connections.clone()
    }

    /// Changes whenever any cluster's inventory or health changes.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Brings the watched set in line with the directory: starts new and re-enabled clusters,
    /// restarts those whose credentials changed, stops removed and disabled ones, and picks up
    /// metadata edits. Call after every change and periodically (other replicas' changes).
    pub async fn sync(&self, directory: &ClusterDirectory) -> Result<(), crate::FleetError> {
        let wanted = directory.connections().await?;
        let mut clusters = self.clusters.write();
        let keep: Vec<i64> = wanted.iter().map(|(s, _)| s.id).collect();
        self.connections.retain(|id| keep.contains(&id));
        clusters.retain(|id, live| {
            let stay = keep.contains(id);
            if !stay {
                live.stop();
                self.generation.fetch_add(1, Ordering::Relaxed);
            }
            stay
        });
        for (summary, creds) in wanted {
            let fingerprint = match &creds {
                Ok(c) => c.fingerprint(),
                Err(e) => format!("error:{e}"),
            };
            if let Some(live) = clusters.get(&summary.id) {
                if live.fingerprint == fingerprint {
                    if *live.summary.read() != summary {
                        *live.summary.write() = summary;
                        live.bump();
                    }
                    continue;
                }
                live.stop();
            }
            let live = Arc::new(Live {
                summary: RwLock::new(summary.clone()),
                fingerprint,
                store: Default::default(),
                health: Mutex::new(HealthTrack {
                    health: ClusterHealth { state: HealthState::Connecting, since_ms: Utc::now().timestamp_millis(), last_seen_ms: None, detail: "connecting".into(), version: None },
                    watch_errors: BTreeMap::new(),
                }),
                generation: AtomicU64::new(1),
                derived: Mutex::new((0, Arc::new(Derived::default()))),
                tasks: Mutex::new(Vec::new()),
                fleet_generation: self.generation.clone(),
            });
            match creds {
                Ok(creds) => {
                    let handle = tokio::spawn(run_cluster(live.clone(), self.connections.clone(), creds, self.settings.clone()));
                    live.tasks.lock().push(handle.abort_handle());
                }
                Err(e) => live.set_health(HealthState::Unreachable, format!("credentials cannot be used: {e}"), false, None),
            }
            clusters.insert(summary.id, live);
            self.generation.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Every watched cluster's state.
    pub fn states(&self) -> Vec<ClusterState> {
        self.clusters.read().values().map(|l| state_of(l)).collect()
    }

    pub fn state(&self, cluster_id: i64) -> Option<ClusterState> {
        self.clusters.read().get(&cluster_id).map(|l| state_of(l))
    }

    /// Pods of a cluster, optionally on one node and/or in the given namespaces, by namespace and name.
    pub fn pods(&self, cluster_id: i64, node: Option<&str>, namespaces: Option<&[String]>) -> Vec<PodView> {
        let Some(live) = self.clusters.read().get(&cluster_id).cloned() else { return vec![] };
        let store = live.store.read();
        let mut pods: Vec<PodView> = store
            .pods
            .iter()
            .filter(|(_, p)| node.is_none_or(|n| p.node.as_deref() == Some(n)))
            .filter(|(_, p)| namespaces.is_none_or(|ns| ns.contains(&p.namespace)))
            .map(|(k, p)| store.pod_view(k, p))
            .collect();
        pods.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        pods
    }

    /// The rollout of workload `id`'s Deployment `namespace/name` at `revision`, read from the
    /// store with its pods' signals (no call to the cluster). `None` when the store cannot tell:
    /// the cluster is not listed completely, unreachable, or the Deployment there is not yet
    /// that revision of that workload (the caller asks the cluster then).
    pub fn rollout(&self, cluster_id: i64, namespace: &str, name: &str, id: i64, revision: u32) -> Option<flotilla_domain::rollout::Observed> {
        let live = self.clusters.read().get(&cluster_id).cloned()?;
        if live.health.lock().health.state == HealthState::Unreachable {
            return None;
        }
        let store = live.store.read();
        if !(store.synced.contains("deployments") && store.synced.contains("pods")) {
            return None;
        }
        let d = store.deployments.get(&format!("{namespace}/{name}")).filter(|d| d.workload_id == Some(id) && d.revision == Some(revision))?;
        let mut o = d.rollout.clone();
        for p in store.pods.values().filter(|p| p.namespace == namespace && p.workload == name) {
            o.waiting.extend(p.waiting.iter().cloned());
            o.unschedulable.extend(p.unschedulable.iter().cloned());
        }
        Some(o)
    }

    /// Stops every cluster's tasks.
    pub fn shutdown(&self) {
        for live in self.clusters.write().values() {
            live.stop();
        }
    }
}

fn state_of(live: &Live) -> ClusterState {
    let (metrics_live, synced, forbidden) = {
        let s = live.store.read();
        (s.metrics_live, s.is_synced(), s.forbidden.keys().copied().collect())
    };
    ClusterState { summary: live.summary.read().clone(), health: live.health.lock().health.clone(), metrics_live, synced, forbidden, derived: live.derived() }
}

/// A cluster's supervisor: builds the client, starts the watchers and the metrics poller, and
/// probes health; when the cluster comes back after being unreachable, the watchers restart
/// so the store resyncs at once (a fresh list) instead of waiting out their backoff.
async fn run_cluster(live: Arc<Live>, connections: crate::ClusterConnections, creds: Credentials, settings: CollectorSettings) {
    let id = live.summary.read().id;
    let client = loop {
        match connections.client(id, &creds).await {
            Ok(c) => break c,
            Err(e) => {
                live.set_health(HealthState::Unreachable, e.to_string(), false, None);
                tokio::time::sleep(settings.probe_interval * 4).await;
            }
        }
    };
    let mut watchers = start_watchers(&live, &client, &settings);
    let mut failures: u32 = 0;
    loop {
        let started = Instant::now();
        let answer = tokio::time::timeout(settings.timeout, client.apiserver_version()).await;
        let elapsed = started.elapsed();
        let was_unreachable = live.health.lock().health.state == HealthState::Unreachable;
        match answer {
            Ok(Ok(info)) => {
                failures = 0;
                let forbidden: Vec<&'static str> = live.store.read().forbidden.keys().copied().collect();
                let recent_errors = live.health.lock().recent_watch_errors(settings.probe_interval * 3);
                let (state, detail) = if elapsed > settings.slow_after {
                    (HealthState::Degraded, format!("answering slowly ({:.1} s per request)", elapsed.as_secs_f32()))
                } else if !forbidden.is_empty() {
                    let words = forbidden_words(&forbidden);
                    (HealthState::Degraded, format!("{words}: its credentials lack the permission (Test connection names what is missing; docs/fleet.md has the ClusterRole)"))
                } else if let Some(errors) = recent_errors {
                    (HealthState::Degraded, format!("watch errors: {errors}"))
                } else {
                    (HealthState::Connected, "connected".to_owned())
                };
                live.set_health(state, detail, true, Some(info.git_version));
                if was_unreachable {
                    for w in watchers.drain(..) {
                        w.abort();
                    }
                    watchers = start_watchers(&live, &client, &settings);
                }
            }
            Ok(Err(e @ kube::Error::Api(_))) => {
                failures = 0;
                live.set_health(HealthState::Degraded, describe_kube_error(&live.summary.read().api_server, &e), true, None);
            }
            Ok(Err(e)) => {
                failures += 1;
                live.set_health(HealthState::Unreachable, describe_kube_error(&live.summary.read().api_server, &e), false, None);
            }
            Err(_) => {
                failures += 1;
                live.set_health(HealthState::Unreachable, format!("no answer within {} s", settings.timeout.as_secs_f32()), false, None);
            }
        }
        // Exponential backoff while unreachable: probe, 2×, 4×… up to 16× the probe period.
        let wait = settings.probe_interval * 2u32.pow(failures.min(4));
        tokio::time::sleep(wait.saturating_sub(started.elapsed()).max(settings.probe_interval / 2)).await;
    }
}

fn start_watchers(live: &Arc<Live>, client: &Client, settings: &CollectorSettings) -> Vec<AbortHandle> {
    let handles = vec![
        tokio::spawn(watch_kind::<Node>(live.clone(), client.clone())).abort_handle(),
        tokio::spawn(watch_kind::<Pod>(live.clone(), client.clone())).abort_handle(),
        tokio::spawn(watch_kind::<Namespace>(live.clone(), client.clone())).abort_handle(),
        tokio::spawn(watch_kind::<Deployment>(live.clone(), client.clone())).abort_handle(),
        tokio::spawn(watch_kind::<ResourceQuota>(live.clone(), client.clone())).abort_handle(),
        tokio::spawn(poll_metrics(live.clone(), client.clone(), settings.clone())).abort_handle(),
    ];
    live.tasks.lock().extend(handles.iter().cloned());
    handles
}

/// One kind's watcher: the first list replaces the table, then each event updates it.
///
/// Errors back off exponentially (1 s doubling to 5 min for a forbidden kind, to 30 s for
/// others) and are logged once per change, not once per retry. kube-runtime's own
/// `default_backoff()` cannot be used: the watcher emits `Event::Init` before every list
/// attempt, which resets it, so a forbidden list would be retried every second forever.
async fn watch_kind<K: Collect>(live: Arc<Live>, client: Client) {
    let api: Api<K> = Api::all(client);
    let mut stream = watcher::watcher(api, watcher::Config::default()).boxed();
    let mut buffer: Option<HashMap<String, K::Rec>> = None;
    let mut trouble = WatchTrouble::default();
    while let Some(event) = stream.next().await {
        match event {
            Ok(Event::Init) => buffer = Some(HashMap::new()),
            Ok(Event::InitApply(o)) => {
                buffer.get_or_insert_default().insert(o.key(), o.rec());
            }
            Ok(Event::InitDone) => {
                let table = buffer.take().unwrap_or_default();
                trouble.recovered(K::KIND, &live);
                live.update(|s| {
                    *K::table(s) = table;
                    s.synced.insert(K::KIND);
                    s.forbidden.remove(K::KIND);
                });
            }
            Ok(Event::Apply(o)) => live.update(|s| {
                K::table(s).insert(o.key(), o.rec());
            }),
            Ok(Event::Delete(o)) => live.update(|s| {
                K::table(s).remove(&o.key());
            }),
            // 410 Gone ("too old resource version", e.g. after an apiserver restart): the
            // watcher relists by design; that is no fault of the cluster.
            Err(e) if expected_relist(&e) => tracing::debug!(kind = K::KIND, "watch expired, relisting: {e}"),
            Err(e) => {
                let wait = trouble.failed(K::KIND, &live, &e);
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// A kind's run of watch failures: the backoff and what was last said about it.
#[derive(Default)]
struct WatchTrouble {
    failures: u32,
    said: Option<String>,
}

impl WatchTrouble {
    /// Records the failure (forbidden kinds are marked so pages say so instead of showing
    /// nothing), warns when the error differs from the last one, and returns the wait.
    fn failed(&mut self, kind: &'static str, live: &Live, e: &watcher::Error) -> Duration {
        let status = forbidden_status(e);
        let forbidden = status.is_some();
        let text = match &status {
            Some(message) => format!("forbidden: {message}"),
            None => crate::errors::chain(e),
        };
        if self.said.as_deref() != Some(text.as_str()) {
            let cluster = live.summary.read().name.clone();
            tracing::warn!(%cluster, kind, "watch failing: {text}");
            self.said = Some(text.clone());
        }
        if let Some(message) = status {
            let changed = live.store.read().forbidden.get(kind) != Some(&message);
            if changed {
                live.update(|s| {
                    s.forbidden.insert(kind, message);
                });
            }
        }
        live.health.lock().watch_errors.insert(kind, (Instant::now(), text));
        self.failures = self.failures.saturating_add(1);
        retry_after(self.failures, forbidden)
    }

    fn recovered(&mut self, kind: &'static str, live: &Live) {
        if self.said.take().is_some() {
            let cluster = live.summary.read().name.clone();
            tracing::info!(%cluster, kind, "watch listing again");
        }
        self.failures = 0;
        live.health.lock().watch_errors.remove(kind);
    }
}

/// The wait before a kind's next list after `failures` failures in a row: 1 s doubling, capped
/// at 5 min when forbidden (only a person can fix that) and 30 s otherwise.
fn retry_after(failures: u32, forbidden: bool) -> Duration {
    let cap = if forbidden { Duration::from_secs(300) } else { Duration::from_secs(30) };
    Duration::from_secs(1).saturating_mul(2u32.saturating_pow(failures.saturating_sub(1).min(16))).min(cap)
}

/// The apiserver's message when the watch or its list was refused with 403.
fn forbidden_status(e: &watcher::Error) -> Option<String> {
    match e {
        watcher::Error::WatchError(status) if status.code == 403 => Some(status.message.clone()),
        watcher::Error::InitialListFailed(kube::Error::Api(status)) | watcher::Error::WatchStartFailed(kube::Error::Api(status)) | watcher::Error::WatchFailed(kube::Error::Api(status))
            if status.code == 403 =>
        {
            Some(status.message.clone())
        }
        _ => None,
    }
}

/// Whether a watch error is the apiserver's "resource version too old" (410 Gone), which
/// kube-runtime's watcher answers with a fresh list.
fn expected_relist(e: &watcher::Error) -> bool {
    match e {
        watcher::Error::WatchError(status) => status.code == 410,
        watcher::Error::WatchStartFailed(kube::Error::Api(status)) | watcher::Error::WatchFailed(kube::Error::Api(status)) => status.code == 410,
        _ => false,
    }
}

/// Polls metrics.k8s.io; when the cluster does not serve it, usage is cleared (requests only).
async fn poll_metrics(live: Arc<Live>, client: Client, settings: CollectorSettings) {
    loop {
        let nodes = fetch_metrics(&client, "/apis/metrics.k8s.io/v1beta1/nodes", settings.timeout).await;
        let pods = match nodes {
            Some(_) => fetch_metrics(&client, "/apis/metrics.k8s.io/v1beta1/pods", settings.timeout).await,
            None => None,
        };
        match (nodes, pods) {
            (Some(nodes), Some(pods)) => live.update(|s| {
                s.node_usage = nodes;
                s.pod_usage = pods;
                s.metrics_live = true;
            }),
            _ => {
                let was = live.store.read().metrics_live;
                if was {
                    live.update(|s| {
                        s.node_usage.clear();
                        s.pod_usage.clear();
                        s.metrics_live = false;
                    });
                }
            }
        }
        tokio::time::sleep(settings.metrics_interval).await;
    }
}

async fn fetch_metrics(client: &Client, path: &str, timeout: Duration) -> Option<HashMap<String, Usage>> {
    let req = http::Request::get(path).body(Vec::new()).ok()?;
    let text = tokio::time::timeout(timeout, client.request_text(req)).await.ok()?.ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut out = HashMap::new();
    for item in doc["items"].as_array()? {
        let name = item["metadata"]["name"].as_str().unwrap_or_default();
        let key = match item["metadata"]["namespace"].as_str() {
            Some(ns) => format!("{ns}/{name}"),
            None => name.to_owned(),
        };
        let mut usage = Usage::default();
        let mut add = |u: &serde_json::Value| {
            usage.cpu_m += u["cpu"].as_str().map(store::cpu_millis).unwrap_or(0);
            usage.mem_b += u["memory"].as_str().map(store::bytes).unwrap_or(0);
        };
        match item["containers"].as_array() {
            Some(containers) => containers.iter().for_each(|c| add(&c["usage"])),
            None => add(&item["usage"]),
        }
        out.insert(key, usage);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_expired_watch_is_a_relist_not_a_fault() {
        let status = |code| kube::core::Status { code, message: "too old resource version: 5 (900)".into(), ..Default::default() };
        assert!(expected_relist(&watcher::Error::WatchError(Box::new(status(410)))));
        assert!(expected_relist(&watcher::Error::WatchStartFailed(kube::Error::Api(Box::new(status(410))))));
        assert!(!expected_relist(&watcher::Error::WatchError(Box::new(status(403)))), "a forbidden watch is a fault");
        assert!(!expected_relist(&watcher::Error::NoResourceVersion));
    }

    #[test]
    fn a_failing_watch_backs_off_and_a_forbidden_one_further() {
        let waits: Vec<u64> = (1..=10).map(|n| retry_after(n, true).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
        assert_eq!(retry_after(6, false), Duration::from_secs(30));
        assert_eq!(retry_after(u32::MAX, true), Duration::from_secs(300));
        let status = kube::core::Status { code: 403, message: "nodes is forbidden: User \"v\" cannot list resource \"nodes\"".into(), ..Default::default() };
        let refused = watcher::Error::InitialListFailed(kube::Error::Api(Box::new(status.clone())));
        assert_eq!(forbidden_status(&refused).as_deref(), Some(status.message.as_str()));
        assert_eq!(forbidden_status(&watcher::Error::WatchError(Box::new(status.clone()))).as_deref(), Some(status.message.as_str()));
        assert!(forbidden_status(&watcher::Error::NoResourceVersion).is_none());
    }
}
