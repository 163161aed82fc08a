//! The table of API resources the simulator serves; drives discovery, URL routing and storage.

/// Static description of one served resource type.
#[derive(Debug)]
pub struct ResourceDef {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub subresources: &'static [&'static str],
    /// Computed on read (metrics.k8s.io); only get/list.
    pub computed: bool,
}

/// Index into [`RESOURCES`].
pub type ResId = usize;

macro_rules! res {
    ($g:expr, $v:expr, $k:expr, $p:expr, $s:expr, $ns:expr, $short:expr, $sub:expr, $comp:expr) => {
        ResourceDef { group: $g, version: $v, kind: $k, plural: $p, singular: $s, namespaced: $ns, short_names: $short, subresources: $sub, computed: $comp }
    };
}

pub const NAMESPACE: ResId = 0;
pub const NODE: ResId = 1;
pub const POD: ResId = 2;
pub const SERVICE: ResId = 3;
pub const RESOURCE_QUOTA: ResId = 4;
pub const LIMIT_RANGE: ResId = 5;
pub const EVENT: ResId = 6;
pub const CONFIG_MAP: ResId = 7;
pub const DEPLOYMENT: ResId = 8;
pub const PRIORITY_CLASS: ResId = 9;
pub const NODE_METRICS: ResId = 10;
pub const POD_METRICS: ResId = 11;

pub static RESOURCES: &[ResourceDef] = &[
    res!("", "v1", "Namespace", "namespaces", "namespace", false, &["ns"], &["status"], false),
    res!("", "v1", "Node", "nodes", "node", false, &["no"], &["status"], false),
    res!("", "v1", "Pod", "pods", "pod", true, &["po"], &["status", "log"], false),
    res!("", "v1", "Service", "services", "service", true, &["svc"], &["status"], false),
    res!("", "v1", "ResourceQuota", "resourcequotas", "resourcequota", true, &["quota"], &["status"], false),
    res!("", "v1", "LimitRange", "limitranges", "limitrange", true, &["limits"], &[], false),
    res!("", "v1", "Event", "events", "event", true, &["ev"], &[], false),
    res!("", "v1", "ConfigMap", "configmaps", "configmap", true, &["cm"], &[], false),
    res!("apps", "v1", "Deployment", "deployments", "deployment", true, &["deploy"], &["status", "scale"], false),
    res!("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "priorityclass", false, &["pc"], &[], false),
    res!("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", "", false, &[], &[], true),
    res!("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", "", true, &[], &[], true),
];

impl ResourceDef {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }

    pub fn list_kind(&self) -> String {
        format!("{}List", self.kind)
    }

    /// Whether `spec` changes bump `metadata.generation`.
    pub fn has_generation(&self) -> bool {
        matches!(self.kind, "Deployment" | "Pod" | "PriorityClass")
    }

    pub fn has_status(&self) -> bool {
        self.subresources.contains(&"status")
    }
}

/// Finds the resource served under `group/version` with the given plural.
pub fn lookup(group: &str, version: &str, plural: &str) -> Option<ResId> {
    RESOURCES.iter().position(|r| r.group == group && r.version == version && r.plural == plural)
}

/// All (group, version) pairs, in discovery order (core first).
pub fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES {
        if !out.contains(&(r.group, r.version)) {
            out.push((r.group, r.version));
        }
    }
    out
}
