//! The live inventory of a cluster as the portal shows it: nodes, pods, namespaces and health,
//! in compact integer units (millicores, bytes) shared by the server and the browser.
use serde::{Deserialize, Serialize};

use crate::fleet::ClusterSummary;

/// Label that ties a namespace to a Flotilla project (namespaces Flotilla creates carry it).
pub const PROJECT_LABEL: &str = "flotilla.io/project";

/// How the collector last found a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum HealthState {
    /// First contact not made yet.
    Connecting,
    Connected,
    /// Reachable, but answering with errors or slowly.
    Degraded,
    Unreachable,
    /// Switched off by an administrator; not watched.
    Disabled,
}

impl HealthState {
    pub fn label(self) -> &'static str {
        match self {
            Self::Connecting => "Connecting",
            Self::Connected => "Connected",
            Self::Degraded => "Degraded",
            Self::Unreachable => "Unreachable",
            Self::Disabled => "Disabled",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connecting => "connecting",
            Self::Connected => "connected",
            Self::Degraded => "degraded",
            Self::Unreachable => "unreachable",
            Self::Disabled => "disabled",
        }
    }
}

/// A cluster's health: its state, since when, when it last answered, and why (in words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterHealth {
    pub state: HealthState,
    /// Unix milliseconds when the state began.
    pub since_ms: i64,
    /// Unix milliseconds of the last successful answer.
    pub last_seen_ms: Option<i64>,
    pub detail: String,
    /// Kubernetes version reported by the API server.
    pub version: Option<String>,
}

/// CPU (millicores) and memory (bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Usage {
    pub cpu_m: u64,
    pub mem_b: u64,
}

impl Usage {
    pub fn add(&mut self, other: Usage) {
        self.cpu_m += other.cpu_m;
        self.mem_b += other.mem_b;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NodeView {
    pub name: String,
    pub instance_type: String,
    pub ready: bool,
    pub allocatable: Usage,
    pub allocatable_pods: u32,
    pub gpu: u32,
    /// Why new pods are refused (not Ready, cordoned, "tainted key=value:NoSchedule").
    #[serde(default)]
    pub refuses: Option<String>,
    /// Tainted PreferNoSchedule: used only when nothing else fits.
    #[serde(default)]
    pub avoid: bool,
    pub requested: Usage,
    /// Pods bound to the node that have not finished.
    pub pods: u32,
    /// From metrics.k8s.io, when the cluster serves it.
    pub used: Option<Usage>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    pub node: Option<String>,
    pub phase: String,
    /// The owning workload (Deployment name, or the pod's own name).
    pub workload: String,
    pub requested: Usage,
    /// GPUs requested.
    #[serde(default)]
    pub gpus: u32,
    pub used: Option<Usage>,
    pub restarts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NamespaceView {
    pub name: String,
    /// The project (by name) the namespace belongs to, if any.
    pub project: Option<String>,
    pub pods: u32,
    pub requested: Usage,
    pub used: Option<Usage>,
    /// ResourceQuota `hard` limits (the tightest of the namespace's quotas: all are enforced).
    pub quota_cpu_m: Option<u64>,
    pub quota_mem_b: Option<u64>,
    pub quota_pods: Option<u32>,
    /// GPUs left under the tightest `requests.nvidia.com/gpu` quota (its status).
    #[serde(default)]
    pub quota_gpus_left: Option<u32>,
    pub deployments: u32,
}

/// Which project a namespace belongs to: the `flotilla.io/project` label, else a project of
/// the same name.
pub fn project_of_namespace<'a>(name: &'a str, project_label: Option<&'a str>, is_project: impl Fn(&str) -> bool) -> Option<&'a str> {
    match project_label {
        Some(p) if !p.is_empty() => Some(p),
        _ if is_project(name) => Some(name),
        _ => None,
    }
}

/// Totals over a cluster's nodes (the donuts of the cluster page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Totals {
    pub allocatable: Usage,
    pub allocatable_pods: u32,
    pub requested: Usage,
    pub pods: u32,
    pub used: Option<Usage>,
}

impl Totals {
    pub fn of(nodes: &[NodeView]) -> Self {
        let mut t = Totals::default();
        let mut used = Usage::default();
        let mut any_used = false;
        for n in nodes {
            t.allocatable.add(n.allocatable);
            t.allocatable_pods += n.allocatable_pods;
            t.requested.add(n.requested);
            t.pods += n.pods;
            if let Some(u) = n.used {
                used.add(u);
                any_used = true;
            }
        }
        t.used = any_used.then_some(used);
        t
    }
}

/// What the node cells of the fleet map are coloured by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Metric {
    #[default]
    Cpu,
    Memory,
    Pods,
}

impl Metric {
    pub const ALL: [Metric; 3] = [Metric::Cpu, Metric::Memory, Metric::Pods];

    pub fn label(self) -> &'static str {
        match self {
            Self::Cpu => "CPU",
            Self::Memory => "Memory",
            Self::Pods => "Pods",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cpu => "cpu",
            Self::Memory => "memory",
            Self::Pods => "pods",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "memory" => Self::Memory,
            "pods" => Self::Pods,
            _ => Self::Cpu,
        }
    }
}

/// Fraction (0..=1, clamped; 0 when nothing is allocatable).
pub fn fraction(part: u64, whole: u64) -> f32 {
    if whole == 0 { 0.0 } else { (part as f64 / whole as f64).clamp(0.0, 1.0) as f32 }
}

/// One node of a fleet-map tile: its utilisation per metric (usage when the cluster serves
/// metrics, requests otherwise) and which visible namespaces have pods on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NodeCell {
    pub name: String,
    pub ready: bool,
    pub cpu: f32,
    pub memory: f32,
    pub pods: f32,
    pub pod_count: u32,
    /// Indexes into the tile's `namespaces`.
    pub namespaces: Vec<u16>,
}

impl NodeCell {
    pub fn from_node(node: &NodeView, namespaces: Vec<u16>) -> Self {
        let load = node.used.unwrap_or(node.requested);
        NodeCell {
            name: node.name.clone(),
            ready: node.ready,
            cpu: fraction(load.cpu_m, node.allocatable.cpu_m),
            memory: fraction(load.mem_b, node.allocatable.mem_b),
            pods: fraction(node.pods.into(), node.allocatable_pods.into()),
            pod_count: node.pods,
            namespaces,
        }
    }

    pub fn value(&self, metric: Metric) -> f32 {
        match metric {
            Metric::Cpu => self.cpu,
            Metric::Memory => self.memory,
            Metric::Pods => self.pods,
        }
    }
}

/// A cluster on the fleet map.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterTile {
    pub cluster: ClusterSummary,
    pub health: ClusterHealth,
    /// Usage comes from metrics.k8s.io (else the cells show requests).
    pub metrics_live: bool,
    pub nodes: Vec<NodeCell>,
    /// Namespaces visible to the caller, with the project each belongs to.
    pub namespaces: Vec<(String, Option<String>)>,
    pub pods: u32,
    /// Kinds Flotilla may not list on this cluster: its node and pod counts are unknown, not 0.
    #[serde(default)]
    pub forbidden: Vec<String>,
}

impl ClusterTile {
    /// "Flotilla may not list nodes on …" when `kind` is forbidden there.
    pub fn may_not_list(&self, kind: &str) -> Option<String> {
        self.forbidden.iter().any(|k| k == kind).then(|| may_not_list(kind, &self.cluster.name))
    }

    /// "12 nodes · 40 pods", with "nodes unknown" / "pods unknown" for forbidden kinds.
    pub fn counts(&self) -> String {
        let count = |kind: &str, n: usize| match n {
            _ if self.forbidden.iter().any(|k| k == kind) => format!("{kind} unknown"),
            1 => format!("1 {}", kind.trim_end_matches('s')),
            n => format!("{n} {kind}"),
        };
        format!("{} · {}", count("nodes", self.nodes.len()), count("pods", self.pods as usize))
    }

    /// The nodes' average of `metric` (0..=1; 0 without nodes).
    pub fn mean(&self, metric: Metric) -> f32 {
        if self.nodes.is_empty() { 0.0 } else { self.nodes.iter().map(|n| n.value(metric)).sum::<f32>() / self.nodes.len() as f32 }
    }
}

/// The whole fleet map: a generation number that changes whenever any inventory changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FleetMap {
    pub generation: u64,
    pub tiles: Vec<ClusterTile>,
}

/// A registered cluster with everything the cluster page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterDetail {
    pub cluster: ClusterSummary,
    pub health: ClusterHealth,
    pub metrics_live: bool,
    pub totals: Totals,
    pub nodes: Vec<NodeView>,
    pub namespaces: Vec<NamespaceView>,
    /// Kinds Flotilla may not list on this cluster ("nodes", "pods"…): what is shown of them
    /// is unknown, not empty.
    #[serde(default)]
    pub forbidden: Vec<String>,
}

impl ClusterDetail {
    /// "Flotilla may not list nodes on this cluster…" when `kind` is forbidden there.
    pub fn may_not_list(&self, kind: &str) -> Option<String> {
        self.forbidden.iter().any(|k| k == kind).then(|| may_not_list(kind, &self.cluster.name))
    }
}

/// What a page or API answer says instead of an empty list when the cluster's credentials may
/// not list `kind`.
pub fn may_not_list(kind: &str, cluster: &str) -> String {
    format!("Flotilla may not list {kind} on {cluster}: its credentials lack the permission. An administrator can see what is missing with Test connection (Admin → Clusters).")
}

/// One row of utilisation history (the heatmap): a row key (node or namespace) × time buckets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Heatmap {
    /// Bucket start times, unix milliseconds.
    pub times_ms: Vec<i64>,
    pub rows: Vec<HeatRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct HeatRow {
    pub name: String,
    /// Utilisation fraction per bucket; `None` where there is no snapshot.
    pub values: Vec<Option<f32>>,
}

/// Ten-step colour scale for utilisation, cool to hot; the fleet map, heatmap and legend use it.
pub const HEAT_SCALE: [&str; 10] = ["#1a9850", "#4bb05c", "#7dc465", "#b0d86f", "#dcec8a", "#fee08b", "#fdbb63", "#f98e4a", "#e8563a", "#c2252c"];

/// The colour for a utilisation fraction.
pub fn heat_colour(fraction: f32) -> &'static str {
    let f = if fraction.is_finite() { fraction.clamp(0.0, 1.0) } else { 0.0 };
    HEAT_SCALE[((f * 10.0) as usize).min(9)]
}

/// "3.5 cores", "750m" for small values.
pub fn format_cpu(m: u64) -> String {
    if m >= 1000 {
        let cores = m as f64 / 1000.0;
        if (cores - cores.round()).abs() < 0.05 { format!("{} cores", cores.round()) } else { format!("{cores:.1} cores") }
    } else {
        format!("{m}m")
    }
}

/// Bytes in binary units ("12.5 GiB").
pub fn format_bytes(b: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b as f64;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 || v >= 100.0 { format!("{v:.0} {}", UNITS[i]) } else { format!("{v:.1} {}", UNITS[i]) }
}

/// Percentage with no decimals ("73 %").
pub fn percent(f: f32) -> String {
    format!("{:.0} %", f * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, cpu_req: u64, cpu_used: Option<u64>) -> NodeView {
        NodeView {
            name: name.into(),
            instance_type: "m5.xlarge".into(),
            ready: true,
            allocatable: Usage { cpu_m: 4000, mem_b: 16 << 30 },
            allocatable_pods: 58,
            gpu: 0,
            refuses: None,
            avoid: false,
            requested: Usage { cpu_m: cpu_req, mem_b: 4 << 30 },
            pods: 29,
            used: cpu_used.map(|c| Usage { cpu_m: c, mem_b: 2 << 30 }),
        }
    }

    #[test]
    fn cells_show_usage_when_metrics_exist_and_requests_otherwise() {
        let live = NodeCell::from_node(&node("a", 3000, Some(1000)), vec![]);
        assert_eq!(live.cpu, 0.25);
        assert_eq!(live.memory, 0.125);
        assert_eq!(live.pods, 0.5);
        let requests_only = NodeCell::from_node(&node("b", 3000, None), vec![]);
        assert_eq!(requests_only.cpu, 0.75);
        assert_eq!(requests_only.value(Metric::Memory), 0.25);
    }

    #[test]
    fn totals_sum_nodes_and_know_whether_usage_exists() {
        let t = Totals::of(&[node("a", 1000, Some(500)), node("b", 2000, None)]);
        assert_eq!(t.allocatable.cpu_m, 8000);
        assert_eq!(t.requested.cpu_m, 3000);
        assert_eq!(t.pods, 58);
        assert_eq!(t.used.map(|u| u.cpu_m), Some(500));
        assert_eq!(Totals::of(&[node("c", 1, None)]).used, None);
    }

    #[test]
    fn heat_colours_cover_the_range_and_survive_nonsense() {
        assert_eq!(heat_colour(0.0), HEAT_SCALE[0]);
        assert_eq!(heat_colour(0.55), HEAT_SCALE[5]);
        assert_eq!(heat_colour(1.0), HEAT_SCALE[9]);
        assert_eq!(heat_colour(7.0), HEAT_SCALE[9]);
        assert_eq!(heat_colour(f32::NAN), HEAT_SCALE[0]);
        assert_eq!(fraction(5, 0), 0.0);
    }

    #[test]
    fn namespaces_belong_to_the_labelled_project_else_the_namesake() {
        let projects = ["team-a", "team-b"];
        let is = |n: &str| projects.contains(&n);
        assert_eq!(project_of_namespace("team-a", None, is), Some("team-a"));
        assert_eq!(project_of_namespace("web-prod", Some("team-b"), is), Some("team-b"));
        assert_eq!(project_of_namespace("kube-system", None, is), None);
    }

    #[test]
    fn quantities_read_like_a_person_wrote_them() {
        assert_eq!(format_cpu(750), "750m");
        assert_eq!(format_cpu(4000), "4 cores");
        assert_eq!(format_cpu(3500), "3.5 cores");
        assert_eq!(format_bytes(16 << 30), "16.0 GiB");
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(percent(0.734), "73 %");
        assert_eq!(Metric::parse("memory"), Metric::Memory);
        assert_eq!(Metric::parse("junk"), Metric::Cpu);
    }
}

/// A node as its own page shows it: its cluster, the node, and its pods the caller may see, each
/// with its project and what it costs per hour now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NodeDetail {
    pub cluster_id: i64,
    pub cluster: String,
    pub node: NodeView,
    pub pods: Vec<NodePod>,
    /// The currency of `cost_per_hour`.
    pub currency: String,
    /// Whether pods' usage comes from metrics.k8s.io (else only requests are known).
    pub metrics_live: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NodePod {
    pub pod: PodView,
    /// The project whose namespace the pod runs in, if any.
    pub project: Option<String>,
    /// The pod's share of its workload's cost now (`None` when the node has no known price).
    pub cost_per_hour: Option<f64>,
}

/// Labels for nodes drawn side by side: the part of each name that tells them apart. The
/// domain every name shares is dropped (`ip-10-0-0-12.ap-northeast-1.compute.internal` →
/// `ip-10-0-0-12`), then the words every name starts with (`gke-prod-pool-1-abc12` → `abc12`);
/// what is left keeps its last 12 characters.
pub fn node_labels(names: &[&str]) -> Vec<String> {
    if names.is_empty() {
        return Vec::new();
    }
    let split: Vec<Vec<&str>> = names.iter().map(|n| n.split('.').collect()).collect();
    let common_tail =
        (0..split.iter().map(Vec::len).min().unwrap_or(0).saturating_sub(1)).take_while(|&i| split.iter().all(|parts| parts[parts.len() - 1 - i] == split[0][split[0].len() - 1 - i])).count();
    let heads: Vec<String> = split.iter().map(|parts| parts[..parts.len() - common_tail].join(".")).collect();
    let words: Vec<Vec<&str>> = heads.iter().map(|h| h.split('-').collect()).collect();
    let common_head = if names.len() < 2 { 0 } else { (0..words.iter().map(Vec::len).min().unwrap_or(0).saturating_sub(1)).take_while(|&i| words.iter().all(|w| w[i] == words[0][i])).count() };
    // "ip-10-0-0-12" stays whole: dropping "ip-10-0-0" would leave numbers that mean nothing.
    let common_head = if words[0].first() == Some(&"ip") { 0 } else { common_head };
    words
        .iter()
        .map(|w| {
            let label = w[common_head..].join("-");
            let chars: Vec<char> = label.chars().collect();
            if chars.len() > 12 { format!("…{}", chars[chars.len() - 11..].iter().collect::<String>()) } else { label }
        })
        .collect()
}

#[cfg(test)]
mod node_label_tests {
    use super::node_labels;

    #[test]
    fn node_labels_keep_what_tells_nodes_apart() {
        assert_eq!(node_labels(&["ip-10-0-0-12.ap-northeast-1.compute.internal", "ip-10-0-1-7.ap-northeast-1.compute.internal"]), ["ip-10-0-0-12", "ip-10-0-1-7"]);
        assert_eq!(node_labels(&["gke-prod-pool-1-abc12", "gke-prod-pool-1-def34"]), ["abc12", "def34"]);
        assert_eq!(node_labels(&["tokyo-n0", "tokyo-n1"]), ["n0", "n1"]);
        assert_eq!(node_labels(&["worker"]), ["worker"]);
        assert_eq!(node_labels(&["aks-nodepool1-12345678-vmss000000", "aks-nodepool1-12345678-vmss000001"]), ["vmss000000", "vmss000001"]);
        assert_eq!(node_labels(&["a-very-long-node-name-without-a-shared-part", "b"]), ["…shared-part", "b"]);
    }
}
