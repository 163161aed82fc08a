//! A cluster's inventory in compact form: what the watchers keep of each object (no
//! managedFields, no specs the portal never shows), and the views derived from it.
use flotilla_domain::inventory::{NamespaceView, NodeView, PodView, Usage};
use flotilla_domain::quantity::{Bytes, CpuMillis};
use flotilla_domain::rollout::Observed;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Namespace, Node, Pod, ResourceQuota};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Debug, Clone, PartialEq)]
pub struct NodeRec {
    pub instance_type: String,
    pub ready: bool,
    pub allocatable: Usage,
    pub allocatable_pods: u32,
    pub gpu: u32,
    /// Why the node takes no new pods of Flotilla's (which carry no tolerations): not Ready,
    /// cordoned, or the first NoSchedule/NoExecute taint ("tainted key=value:NoSchedule").
    pub refuses: Option<String>,
    /// A PreferNoSchedule taint: used only when nothing else fits.
    pub avoid: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PodRec {
    pub namespace: String,
    pub name: String,
    pub node: Option<String>,
    pub phase: String,
    pub workload: String,
    pub requested: Usage,
    /// GPUs requested (`nvidia.com/gpu`).
    pub gpus: u32,
    pub restarts: u32,
    /// Containers' waiting reasons with their image, and the scheduler's refusal (see [`pod_signals`]).
    pub waiting: Vec<(String, String)>,
    pub unschedulable: Option<String>,
}

impl PodRec {
    /// Holds resources on its node (not finished).
    pub fn active(&self) -> bool {
        !matches!(self.phase.as_str(), "Succeeded" | "Failed")
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NamespaceRec {
    pub project_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentRec {
    pub namespace: String,
    pub replicas: u32,
    pub ready: u32,
    /// The Flotilla workload it belongs to (`flotilla.io/workload-id`) and the revision applied
    /// (`flotilla.io/revision`), so the deployer can read a rollout here instead of asking.
    pub workload_id: Option<i64>,
    pub revision: Option<u32>,
    /// What the rollout reading needs from the Deployment (its pods' part is filled in from
    /// the pods when read).
    pub rollout: Observed,
}

/// The Deployment's part of a rollout reading: generation and observedGeneration, replica
/// counts, paused, and a failure condition (`ProgressDeadlineExceeded`, `ReplicaFailure`).
pub fn rollout_of(d: &Deployment) -> Observed {
    let status = d.status.clone().unwrap_or_default();
    let count = |v: Option<i32>| v.unwrap_or(0).max(0) as u32;
    let mut o = Observed {
        exists: true,
        paused: d.spec.paused.unwrap_or(false),
        generation: d.metadata.generation.unwrap_or(0),
        observed_generation: status.observed_generation.unwrap_or(0),
        wanted: d.spec.replicas.unwrap_or(1).max(0) as u32,
        replicas: count(status.replicas),
        updated: count(status.updated_replicas),
        ready: count(status.ready_replicas),
        available: count(status.available_replicas),
        ..Default::default()
    };
    for c in status.conditions.unwrap_or_default() {
        let (kind, status) = (c.type_.as_deref(), c.status.as_deref());
        let failed = (kind == Some("Progressing") && c.reason.as_deref() == Some("ProgressDeadlineExceeded")) || (kind == Some("ReplicaFailure") && status == Some("True"));
        if failed {
            o.failure_condition = c.message.or(c.reason);
        }
    }
    o
}

/// A pod's part of a rollout reading: its containers' waiting reasons (with the image) and the
/// scheduler's refusal, if any.
pub fn pod_signals(pod: &Pod) -> (Vec<(String, String)>, Option<String>) {
    let Some(st) = pod.status.as_ref() else { return (vec![], None) };
    let waiting = st.container_statuses.iter().flatten().filter_map(|cs| cs.state.as_ref().and_then(|s| s.waiting.as_ref()).and_then(|w| w.reason.clone()).map(|r| (r, cs.image.clone()))).collect();
    let unschedulable = st
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "PodScheduled" && c.status == "False" && c.reason.as_deref() == Some("Unschedulable"))
        .map(|c| c.message.clone().unwrap_or_else(|| "no node has room".into()));
    (waiting, unschedulable)
}

#[derive(Debug, Clone, PartialEq)]
pub struct QuotaRec {
    pub namespace: String,
    pub cpu_m: Option<u64>,
    pub mem_b: Option<u64>,
    pub pods: Option<u32>,
    /// `requests.nvidia.com/gpu` hard minus used (the quota's status).
    pub gpus_left: Option<u32>,
}

/// Everything known about one cluster, keyed by name (`namespace/name` for namespaced kinds).
#[derive(Debug, Default)]
pub struct Store {
    pub nodes: HashMap<String, NodeRec>,
    pub pods: HashMap<String, PodRec>,
    pub namespaces: HashMap<String, NamespaceRec>,
    pub deployments: HashMap<String, DeploymentRec>,
    pub quotas: HashMap<String, QuotaRec>,
    pub node_usage: HashMap<String, Usage>,
    pub pod_usage: HashMap<String, Usage>,
    /// metrics.k8s.io answered at the last poll.
    pub metrics_live: bool,
    /// Kinds whose first full list has arrived.
    pub synced: BTreeSet<&'static str>,
    /// Kinds the cluster's credentials may not list or watch (403), with the apiserver's words.
    pub forbidden: BTreeMap<&'static str, String>,
}

/// How a watched kind is kept: its key, its compact record and its table in the store.
pub trait Collect: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug + Send + Sync + 'static {
    type Rec: Send + Sync + 'static;
    const KIND: &'static str;
    fn rec(&self) -> Self::Rec;
    fn table(store: &mut Store) -> &mut HashMap<String, Self::Rec>;
    fn key(&self) -> String {
        let m = self.meta();
        match &m.namespace {
            Some(ns) => format!("{ns}/{}", m.name.as_deref().unwrap_or_default()),
            None => m.name.clone().unwrap_or_default(),
        }
    }
}

/// CPU as Kubernetes writes it, including metrics-server's nanocores ("12345678n").
pub fn cpu_millis(q: &str) -> u64 {
    let q = q.trim();
    if let Some(n) = q.strip_suffix('n') {
        return n.parse::<u64>().map(|v| v / 1_000_000).unwrap_or(0);
    }
    if let Some(u) = q.strip_suffix('u') {
        return u.parse::<u64>().map(|v| v / 1_000).unwrap_or(0);
    }
    CpuMillis::parse(q).map(|c| c.0).unwrap_or(0)
}

pub fn bytes(q: &str) -> u64 {
    Bytes::parse(q).map(|b| b.0).unwrap_or(0)
}

fn get<'a>(map: Option<&'a BTreeMap<String, Quantity>>, key: &str) -> Option<&'a str> {
    map.and_then(|m| m.get(key)).map(|q| q.0.as_str())
}

impl Collect for Node {
    type Rec = NodeRec;
    const KIND: &'static str = "nodes";
    fn rec(&self) -> NodeRec {
        let status = self.status.as_ref();
        let alloc = status.and_then(|s| s.allocatable.as_ref());
        let labels = self.metadata.labels.as_ref();
        let label = |k: &str| labels.and_then(|l| l.get(k)).cloned();
        let ready = status.and_then(|s| s.conditions.as_ref()).is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        let spec = self.spec.as_ref();
        let taints = spec.and_then(|s| s.taints.as_deref()).unwrap_or_default();
        let words = |t: &k8s_openapi::api::core::v1::Taint| match t.value.as_deref().filter(|v| !v.is_empty()) {
            Some(v) => format!("tainted {}={v}:{}", t.key, t.effect),
            None => format!("tainted {}:{}", t.key, t.effect),
        };
        let refuses = if !ready {
            Some("not Ready".to_owned())
        } else if spec.and_then(|s| s.unschedulable).unwrap_or(false) {
            Some("cordoned".to_owned())
        } else {
            taints.iter().find(|t| matches!(t.effect.as_str(), "NoSchedule" | "NoExecute")).map(words)
        };
        NodeRec {
            instance_type: label("node.kubernetes.io/instance-type").or_else(|| label("beta.kubernetes.io/instance-type")).unwrap_or_default(),
            ready,
            refuses,
            avoid: taints.iter().any(|t| t.effect == "PreferNoSchedule"),
            allocatable: Usage { cpu_m: get(alloc, "cpu").map(cpu_millis).unwrap_or(0), mem_b: get(alloc, "memory").map(bytes).unwrap_or(0) },
            allocatable_pods: get(alloc, "pods").and_then(|p| p.parse().ok()).unwrap_or(0),
            gpu: get(alloc, "nvidia.com/gpu").and_then(|p| p.parse().ok()).unwrap_or(0),
        }
    }
    fn table(store: &mut Store) -> &mut HashMap<String, NodeRec> {
        &mut store.nodes
    }
}

/// The workload a pod belongs to: its Deployment (through the ReplicaSet's name), another
/// owner, or the pod itself.
fn workload_of(pod: &Pod) -> String {
    let name = pod.metadata.name.clone().unwrap_or_default();
    match pod.metadata.owner_references.as_ref().and_then(|o| o.first()) {
        Some(o) if o.kind == "ReplicaSet" => o.name.rsplit_once('-').map(|(d, _)| d.to_owned()).unwrap_or_else(|| o.name.clone()),
        Some(o) => o.name.clone(),
        None => name,
    }
}

impl Collect for Pod {
    type Rec = PodRec;
    const KIND: &'static str = "pods";
    fn rec(&self) -> PodRec {
        let mut requested = Usage::default();
        let mut gpus = 0;
        for c in self.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default() {
            let req = c.resources.as_ref().and_then(|r| r.requests.as_ref());
            requested.cpu_m += get(req, "cpu").map(cpu_millis).unwrap_or(0);
            requested.mem_b += get(req, "memory").map(bytes).unwrap_or(0);
            gpus += get(req, "nvidia.com/gpu").and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
        }
        let status = self.status.as_ref();
        let (waiting, unschedulable) = pod_signals(self);
        PodRec {
            waiting,
            unschedulable,
            namespace: self.metadata.namespace.clone().unwrap_or_default(),
            name: self.metadata.name.clone().unwrap_or_default(),
            node: self.spec.as_ref().and_then(|s| s.node_name.clone()),
            phase: status.and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into()),
            workload: workload_of(self),
            requested,
            gpus,
            restarts: status.and_then(|s| s.container_statuses.as_ref()).map(|cs| cs.iter().map(|c| c.restart_count.max(0) as u32).sum()).unwrap_or(0),
        }
    }
    fn table(store: &mut Store) -> &mut HashMap<String, PodRec> {
        &mut store.pods
    }
}

impl Collect for Namespace {
    type Rec = NamespaceRec;
    const KIND: &'static str = "namespaces";
    fn rec(&self) -> NamespaceRec {
        NamespaceRec { project_label: self.metadata.labels.as_ref().and_then(|l| l.get(flotilla_domain::inventory::PROJECT_LABEL)).cloned() }
    }
    fn table(store: &mut Store) -> &mut HashMap<String, NamespaceRec> {
        &mut store.namespaces
    }
}

impl Collect for Deployment {
    type Rec = DeploymentRec;
    const KIND: &'static str = "deployments";
    fn rec(&self) -> DeploymentRec {
        let label = |k: &str| self.metadata.labels.as_ref().and_then(|l| l.get(k)).and_then(|v| v.parse().ok());
        let annotation = |k: &str| self.metadata.annotations.as_ref().and_then(|a| a.get(k)).and_then(|v| v.parse().ok());
        DeploymentRec {
            workload_id: label(crate::workloads::manifests::WORKLOAD_ID_LABEL),
            revision: annotation(crate::workloads::manifests::REVISION_ANNOTATION),
            rollout: rollout_of(self),
            namespace: self.metadata.namespace.clone().unwrap_or_default(),
            replicas: self.spec.replicas.unwrap_or(1).max(0) as u32,
            ready: self.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0).max(0) as u32,
        }
    }
    fn table(store: &mut Store) -> &mut HashMap<String, DeploymentRec> {
        &mut store.deployments
    }
}

const GPU_QUOTA: &str = "requests.nvidia.com/gpu";

impl Collect for ResourceQuota {
    type Rec = QuotaRec;
    const KIND: &'static str = "resourcequotas";
    fn rec(&self) -> QuotaRec {
        let hard = self.spec.as_ref().and_then(|s| s.hard.as_ref());
        let either = |a: &str, b: &str| get(hard, a).or_else(|| get(hard, b));
        QuotaRec {
            namespace: self.metadata.namespace.clone().unwrap_or_default(),
            cpu_m: either("requests.cpu", "cpu").map(cpu_millis),
            mem_b: either("requests.memory", "memory").map(bytes),
            pods: get(hard, "pods").and_then(|p| p.parse().ok()),
            gpus_left: get(hard, GPU_QUOTA).and_then(|h| h.parse::<u32>().ok()).map(|h| {
                let used = self.status.as_ref().and_then(|s| s.used.as_ref());
                h.saturating_sub(get(used, GPU_QUOTA).and_then(|u| u.parse::<u32>().ok()).unwrap_or(0))
            }),
        }
    }
    fn table(store: &mut Store) -> &mut HashMap<String, QuotaRec> {
        &mut store.quotas
    }
}

/// Views of a store at one moment: nodes and namespaces (sorted by name), and for each node the
/// namespaces (indexes into `namespaces`) with pods on it.
#[derive(Debug, Default)]
pub struct Derived {
    pub nodes: Vec<NodeView>,
    pub namespaces: Vec<NamespaceView>,
    pub node_namespaces: Vec<Vec<u16>>,
}

impl Store {
    pub fn is_synced(&self) -> bool {
        ["nodes", "pods", "namespaces", "deployments", "resourcequotas"].iter().all(|k| self.synced.contains(k))
    }

    pub fn pod_view(&self, key: &str, p: &PodRec) -> PodView {
        PodView {
            namespace: p.namespace.clone(),
            name: p.name.clone(),
            node: p.node.clone(),
            phase: p.phase.clone(),
            workload: p.workload.clone(),
            requested: p.requested,
            gpus: p.gpus,
            used: if self.metrics_live { self.pod_usage.get(key).copied() } else { None },
            restarts: p.restarts,
        }
    }

    pub fn derive(&self) -> Derived {
        let mut ns_names: BTreeSet<&str> = self.namespaces.keys().map(String::as_str).collect();
        ns_names.extend(self.pods.values().map(|p| p.namespace.as_str()));
        let ns_index: HashMap<&str, u16> = ns_names.iter().enumerate().map(|(i, n)| (*n, i as u16)).collect();
        let mut namespaces: Vec<NamespaceView> = ns_names
            .iter()
            .map(|n| NamespaceView {
                name: (*n).to_owned(),
                project: self.namespaces.get(*n).and_then(|r| r.project_label.clone()),
                pods: 0,
                requested: Usage::default(),
                used: self.metrics_live.then(Usage::default),
                quota_cpu_m: None,
                quota_mem_b: None,
                quota_pods: None,
                quota_gpus_left: None,
                deployments: 0,
            })
            .collect();
        let mut node_names: Vec<&String> = self.nodes.keys().collect();
        node_names.sort();
        let node_index: HashMap<&str, usize> = node_names.iter().enumerate().map(|(i, n)| (n.as_str(), i)).collect();
        let mut nodes: Vec<NodeView> = node_names
            .iter()
            .map(|n| {
                let r = &self.nodes[*n];
                NodeView {
                    name: (*n).clone(),
                    instance_type: r.instance_type.clone(),
                    ready: r.ready,
                    allocatable: r.allocatable,
                    allocatable_pods: r.allocatable_pods,
                    gpu: r.gpu,
                    refuses: r.refuses.clone(),
                    avoid: r.avoid,
                    requested: Usage::default(),
                    pods: 0,
                    used: if self.metrics_live { self.node_usage.get(*n).copied() } else { None },
                }
            })
            .collect();
        let mut node_ns: Vec<BTreeSet<u16>> = vec![BTreeSet::new(); nodes.len()];
        for (key, p) in &self.pods {
            if !p.active() {
                continue;
            }
            let ni = ns_index[p.namespace.as_str()];
            let ns = &mut namespaces[ni as usize];
            ns.pods += 1;
            ns.requested.add(p.requested);
            if let (Some(total), Some(u)) = (ns.used.as_mut(), self.pod_usage.get(key)) {
                total.add(*u);
            }
            if let Some(i) = p.node.as_deref().and_then(|n| node_index.get(n)) {
                nodes[*i].requested.add(p.requested);
                nodes[*i].pods += 1;
                node_ns[*i].insert(ni);
            }
        }
        for q in self.quotas.values() {
            if let Some(&i) = ns_index.get(q.namespace.as_str()) {
                let ns = &mut namespaces[i as usize];
                // Every quota is enforced: the tightest limit is the one that counts.
                ns.quota_cpu_m = tightest(ns.quota_cpu_m, q.cpu_m);
                ns.quota_mem_b = tightest(ns.quota_mem_b, q.mem_b);
                ns.quota_pods = tightest(ns.quota_pods.map(u64::from), q.pods.map(u64::from)).map(|v| v as u32);
                ns.quota_gpus_left = tightest(ns.quota_gpus_left.map(u64::from), q.gpus_left.map(u64::from)).map(|v| v as u32);
            }
        }
        for d in self.deployments.values() {
            if let Some(&i) = ns_index.get(d.namespace.as_str()) {
                namespaces[i as usize].deployments += 1;
            }
        }
        Derived { nodes, namespaces, node_namespaces: node_ns.into_iter().map(|s| s.into_iter().collect()).collect() }
    }
}

fn tightest(a: Option<u64>, b: Option<u64>) -> Option<u64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ns: &str, name: &str, node: Option<&str>, cpu: u64, phase: &str) -> PodRec {
        PodRec {
            namespace: ns.into(),
            name: name.into(),
            node: node.map(Into::into),
            phase: phase.into(),
            workload: "web".into(),
            requested: Usage { cpu_m: cpu, mem_b: 1 << 30 },
            gpus: 0,
            restarts: 0,
            waiting: vec![],
            unschedulable: None,
        }
    }

    #[test]
    fn quantities_include_metrics_server_nanocores() {
        assert_eq!(cpu_millis("250m"), 250);
        assert_eq!(cpu_millis("2"), 2000);
        assert_eq!(cpu_millis("123456789n"), 123);
        assert_eq!(cpu_millis("1500u"), 1);
        assert_eq!(bytes("1Gi"), 1 << 30);
        assert_eq!(cpu_millis("junk"), 0);
    }

    #[test]
    fn derived_views_sum_active_pods_per_node_and_namespace() {
        let mut s = Store::default();
        let n = NodeRec { instance_type: "m5".into(), ready: true, allocatable: Usage { cpu_m: 4000, mem_b: 16 << 30 }, allocatable_pods: 58, gpu: 0, refuses: None, avoid: false };
        s.nodes.insert("n1".into(), n.clone());
        s.nodes.insert("n0".into(), n);
        s.namespaces.insert("team-a".into(), NamespaceRec { project_label: None });
        s.namespaces.insert("web".into(), NamespaceRec { project_label: Some("team-b".into()) });
        s.pods.insert("team-a/a".into(), pod("team-a", "a", Some("n1"), 500, "Running"));
        s.pods.insert("team-a/b".into(), pod("team-a", "b", None, 300, "Pending"));
        s.pods.insert("web/c".into(), pod("web", "c", Some("n1"), 1000, "Running"));
        s.pods.insert("web/d".into(), pod("web", "d", Some("n0"), 9000, "Succeeded"));
        s.quotas.insert("web/q".into(), QuotaRec { namespace: "web".into(), cpu_m: Some(8000), mem_b: None, pods: Some(10), gpus_left: Some(3) });
        let gpu_quota: ResourceQuota = serde_json::from_value(serde_json::json!({
            "metadata": { "name": "gpus", "namespace": "web" },
            "spec": { "hard": { "requests.nvidia.com/gpu": "4" } },
            "status": { "hard": { "requests.nvidia.com/gpu": "4" }, "used": { "requests.nvidia.com/gpu": "3" } }
        }))
        .unwrap();
        s.quotas.insert("web/gpus".into(), gpu_quota.rec());
        let d = s.derive();
        assert_eq!(d.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(), ["n0", "n1"]);
        assert_eq!(d.nodes[0].pods, 0, "finished pods hold nothing");
        assert_eq!(d.nodes[1].requested.cpu_m, 1500);
        assert_eq!(d.node_namespaces[1], vec![0, 1]);
        let web = &d.namespaces[1];
        assert_eq!((web.name.as_str(), web.project.as_deref(), web.pods), ("web", Some("team-b"), 1));
        assert_eq!((web.quota_cpu_m, web.quota_pods, web.quota_gpus_left), (Some(8000), Some(10), Some(1)), "the tightest quota counts, GPUs as hard − used");
        assert_eq!(d.namespaces[0].requested.cpu_m, 800, "pending pods count for their namespace");
        assert!(d.nodes[1].used.is_none(), "no metrics → requests only");
    }
}
