//! The Kubernetes objects Flotilla applies for a workload, built as plain JSON for server-side
//! apply (field manager `flotilla`): the project's namespace with its ResourceQuota and
//! LimitRange, the cluster's PriorityClasses, and the workload's Deployment and, when a port is
//! exposed, its Service.
use flotilla_domain::schedule::Priority;
use flotilla_domain::workload::WorkloadSpec;
use serde_json::{Value, json};

pub const FIELD_MANAGER: &str = "flotilla";
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const NAME_LABEL: &str = "app.kubernetes.io/name";
pub const PROJECT_LABEL: &str = flotilla_domain::inventory::PROJECT_LABEL;
pub const WORKLOAD_LABEL: &str = "flotilla.io/workload";
/// The id of the Flotilla workload that created an object: the deployer changes and deletes
/// only objects that carry its own id, never another's object of the same name.
pub const WORKLOAD_ID_LABEL: &str = "flotilla.io/workload-id";
/// The id of the project a namespace was made for: a later project of the same name (after the
/// first was deleted) never takes over the namespace and what was left in it without being told.
pub const PROJECT_ID_LABEL: &str = "flotilla.io/project-id";
pub const REVISION_ANNOTATION: &str = "flotilla.io/revision";
pub const QUOTA_NAME: &str = "flotilla-quota";
pub const LIMITS_NAME: &str = "flotilla-limits";

/// A project's quota in each of its namespaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub cpu_m: u64,
    pub mem_b: u64,
    pub pods: u32,
    /// `requests.nvidia.com/gpu`.
    pub gpus: u32,
}

/// The namespace of a project on every cluster: the project's own name.
pub fn namespace_name(project: &str) -> &str {
    project
}

pub fn namespace(project: &str, project_id: i64) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": { "name": namespace_name(project), "labels": { MANAGED_BY: FIELD_MANAGER, PROJECT_LABEL: project, PROJECT_ID_LABEL: project_id.to_string() } }
    })
}

/// A project's CPU and memory limits may add up to this many times its requests quota
/// (containers burst above what they request; the LimitRange gives every container a limit).
pub const LIMITS_PER_REQUEST: u64 = 4;

pub fn resource_quota(project: &str, q: Quota) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": { "name": QUOTA_NAME, "namespace": namespace_name(project), "labels": { MANAGED_BY: FIELD_MANAGER, PROJECT_LABEL: project } },
        "spec": { "hard": {
            "requests.cpu": format!("{}m", q.cpu_m),
            "requests.memory": q.mem_b.to_string(),
            "limits.cpu": format!("{}m", q.cpu_m.saturating_mul(LIMITS_PER_REQUEST)),
            "limits.memory": q.mem_b.saturating_mul(LIMITS_PER_REQUEST).to_string(),
            "requests.nvidia.com/gpu": q.gpus.to_string(),
            "requests.ephemeral-storage": q.mem_b.to_string(),
            "limits.ephemeral-storage": q.mem_b.saturating_mul(LIMITS_PER_REQUEST).to_string(),
            "pods": q.pods.to_string(),
            "count/deployments.apps": q.pods.to_string(),
            "count/services": q.pods.to_string(),
        } }
    })
}

/// Defaults for containers that give no requests or limits (quota needs requests on every pod).
pub fn limit_range(project: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": { "name": LIMITS_NAME, "namespace": namespace_name(project), "labels": { MANAGED_BY: FIELD_MANAGER, PROJECT_LABEL: project } },
        "spec": { "limits": [ {
            "type": "Container",
            "defaultRequest": { "cpu": "100m", "memory": "128Mi" },
            "default": { "cpu": "500m", "memory": "512Mi" }
        } ] }
    })
}

fn labels(spec: &WorkloadSpec) -> Value {
    json!({ MANAGED_BY: FIELD_MANAGER, NAME_LABEL: spec.name.as_str(), PROJECT_LABEL: spec.project, WORKLOAD_LABEL: spec.name.as_str() })
}

/// The object's own labels: the pod labels plus the id of the workload that owns it.
fn owned_labels(id: i64, spec: &WorkloadSpec) -> Value {
    let mut l = labels(spec);
    l[WORKLOAD_ID_LABEL] = json!(id.to_string());
    l
}

fn selector(spec: &WorkloadSpec) -> Value {
    json!({ PROJECT_LABEL: spec.project, WORKLOAD_LABEL: spec.name.as_str() })
}

/// How one cluster's copy of a workload runs: its replica count there, the revision being
/// applied, whether rollouts are paused, and its priority (a PriorityClass on the cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub replicas: u32,
    pub revision: u32,
    pub paused: bool,
    pub priority: Priority,
}

/// The PriorityClass Flotilla creates on every cluster for one priority, so the cluster's own
/// scheduler preempts low-priority pods first, as Flotilla does.
pub fn priority_class(p: Priority) -> Value {
    let (name, value) = p.class();
    json!({
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": { "name": name, "labels": { MANAGED_BY: FIELD_MANAGER } },
        "value": value,
        "globalDefault": false,
        // Only high priority preempts: normal work never evicts another team's pods (nor the
        // cluster's own pods without a class, which run at priority 0).
        "preemptionPolicy": if p.preempts() { "PreemptLowerPriority" } else { "Never" },
        "description": format!("Flotilla {} priority workloads", p.as_str()),
    })
}

pub fn deployment(id: i64, spec: &WorkloadSpec, shape: &Shape) -> Value {
    let Shape { replicas, revision, paused, priority } = *shape;
    let mut requests = json!({ "cpu": format!("{}m", spec.requests.cpu_m), "memory": spec.requests.mem_b.to_string() });
    let mut limits = json!({});
    if let Some(c) = spec.cpu_limit_m {
        limits["cpu"] = json!(format!("{c}m"));
    }
    if let Some(m) = spec.mem_limit_b {
        limits["memory"] = json!(m.to_string());
    }
    if spec.requests.gpu > 0 {
        requests["nvidia.com/gpu"] = json!(spec.requests.gpu.to_string());
        limits["nvidia.com/gpu"] = json!(spec.requests.gpu.to_string());
    }
    let mut container = json!({
        "name": spec.name.as_str(),
        "image": spec.image,
        "resources": { "requests": requests },
    });
    if limits.as_object().is_some_and(|l| !l.is_empty()) {
        container["resources"]["limits"] = limits;
    }
    if !spec.command.is_empty() {
        container["command"] = json!(spec.command);
    }
    if !spec.args.is_empty() {
        container["args"] = json!(spec.args);
    }
    if !spec.env.is_empty() {
        container["env"] = spec.env.iter().map(|e| json!({ "name": e.name, "value": e.value })).collect();
    }
    if !spec.ports.is_empty() {
        container["ports"] = spec.ports.iter().map(|p| json!({ "containerPort": p.port, "protocol": p.protocol })).collect();
    }
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": spec.name.as_str(),
            "namespace": namespace_name(&spec.project),
            "labels": owned_labels(id, spec),
            "annotations": { REVISION_ANNOTATION: revision.to_string() },
        },
        "spec": {
            "replicas": replicas,
            "paused": paused,
            "selector": { "matchLabels": selector(spec) },
            "template": {
                "metadata": { "labels": labels(spec) },
                "spec": { "containers": [container], "priorityClassName": priority.class().0 },
            },
        },
    })
}

/// The ClusterIP Service for the exposed ports, if any.
pub fn service(id: i64, spec: &WorkloadSpec) -> Option<Value> {
    let ports: Vec<Value> = spec
        .ports
        .iter()
        .filter(|p| p.expose)
        .map(|p| json!({ "name": format!("{}-{}", p.protocol.to_ascii_lowercase(), p.port), "port": p.port, "targetPort": p.port, "protocol": p.protocol }))
        .collect();
    if ports.is_empty() {
        return None;
    }
    Some(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": { "name": spec.name.as_str(), "namespace": namespace_name(&spec.project), "labels": owned_labels(id, spec) },
        "spec": { "type": "ClusterIP", "selector": selector(spec), "ports": ports },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use flotilla_domain::workload::{EnvVar, PlacementRule, PortSpec, WorkloadForm, validate};

    fn spec() -> WorkloadSpec {
        validate(&WorkloadForm {
            project: "team-a".into(),
            name: "web".into(),
            image: "nginx:1.27".into(),
            command: String::new(),
            args: "--port 8080".into(),
            env: vec![EnvVar { name: "MODE".into(), value: "prod".into() }],
            ports: vec![PortSpec { port: 8080, protocol: "TCP".into(), expose: true }, PortSpec { port: 9090, protocol: "TCP".into(), expose: false }],
            replicas: "2".into(),
            cpu_request: "250m".into(),
            cpu_limit: "1".into(),
            memory_request: "256Mi".into(),
            memory_limit: String::new(),
            gpu: String::new(),
            placement: PlacementRule::LeastLoaded,
        })
        .unwrap()
    }

    #[test]
    fn the_deployment_carries_the_labels_requests_and_revision() {
        let d = deployment(17, &spec(), &Shape { replicas: 3, revision: 4, paused: false, priority: Priority::Low });
        assert_eq!(d["metadata"]["labels"][WORKLOAD_ID_LABEL], "17", "the object names the workload that owns it");
        assert!(d["spec"]["template"]["metadata"]["labels"][WORKLOAD_ID_LABEL].is_null(), "pods keep the labels they always had");
        assert_eq!(d["spec"]["template"]["spec"]["priorityClassName"], "flotilla-low");
        assert_eq!(d["metadata"]["namespace"], "team-a");
        for l in [MANAGED_BY, NAME_LABEL, PROJECT_LABEL, WORKLOAD_LABEL] {
            assert!(d["metadata"]["labels"][l].is_string(), "{l}");
            assert!(d["spec"]["template"]["metadata"]["labels"][l].is_string(), "{l}");
        }
        assert_eq!(d["spec"]["replicas"], 3);
        assert_eq!(d["metadata"]["annotations"][REVISION_ANNOTATION], "4");
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["resources"]["requests"]["cpu"], "250m");
        assert_eq!(c["resources"]["requests"]["memory"], (256u64 << 20).to_string());
        assert_eq!(c["resources"]["limits"]["cpu"], "1000m");
        assert!(c["resources"]["limits"]["memory"].is_null(), "no memory limit given");
        assert_eq!(c["args"], json!(["--port", "8080"]));
        assert!(c.get("command").is_none());
        assert_eq!(c["env"][0]["name"], "MODE");
    }

    #[test]
    fn priority_classes_order_high_above_normal_above_low() {
        let v = |p| priority_class(p)["value"].as_i64().unwrap();
        assert!(v(Priority::High) > v(Priority::Normal) && v(Priority::Normal) > v(Priority::Low));
        assert_eq!(priority_class(Priority::Low)["preemptionPolicy"], "Never", "opportunistic work never preempts");
        assert_eq!(priority_class(Priority::Normal)["preemptionPolicy"], "Never", "normal work never preempts either");
        assert_eq!(priority_class(Priority::High)["preemptionPolicy"], "PreemptLowerPriority", "only high priority, a granted right, preempts");
        assert_eq!(priority_class(Priority::High)["metadata"]["name"], "flotilla-high");
    }

    #[test]
    fn only_exposed_ports_make_a_service() {
        let s = service(17, &spec()).unwrap();
        assert_eq!(s["metadata"]["labels"][WORKLOAD_ID_LABEL], "17");
        assert_eq!(s["spec"]["ports"].as_array().unwrap().len(), 1);
        assert_eq!(s["spec"]["ports"][0]["port"], 8080);
        let mut quiet = spec();
        quiet.ports.iter_mut().for_each(|p| p.expose = false);
        assert!(service(17, &quiet).is_none());
    }

    #[test]
    fn the_quota_is_written_in_kubernetes_units() {
        let q = resource_quota("team-a", Quota { cpu_m: 8000, mem_b: 16 << 30, pods: 40, gpus: 2 });
        let hard = &q["spec"]["hard"];
        assert_eq!((hard["requests.cpu"].as_str(), hard["limits.cpu"].as_str()), (Some("8000m"), Some("32000m")));
        assert_eq!((hard["requests.memory"].as_str(), hard["limits.memory"].as_str()), (Some("17179869184"), Some("68719476736")));
        assert_eq!((hard["requests.nvidia.com/gpu"].as_str(), hard["pods"].as_str()), (Some("2"), Some("40")));
        assert_eq!((hard["requests.ephemeral-storage"].as_str(), hard["count/deployments.apps"].as_str(), hard["count/services"].as_str()), (Some("17179869184"), Some("40"), Some("40")));
        let ns = namespace("team-a", 4);
        assert_eq!(ns["metadata"]["labels"][PROJECT_LABEL], "team-a");
        assert_eq!(ns["metadata"]["labels"][PROJECT_ID_LABEL], "4");
    }
}
