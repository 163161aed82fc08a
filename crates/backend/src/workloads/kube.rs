//! What the deployer does on one cluster, through kube-rs: server-side apply of the project's
//! namespace (quota, limits) and the workload's objects, reading their state back, events, logs
//! and removal. Every call is bounded by a timeout so one slow cluster never holds up others.
use super::manifests::{self, FIELD_MANAGER, PROJECT_LABEL, Quota, Shape, WORKLOAD_LABEL};
use flotilla_domain::schedule::Priority;
use flotilla_domain::rollout::{EventLine, Observed};
use flotilla_domain::workload::WorkloadSpec;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, LimitRange, Namespace, Pod, ResourceQuota, Service};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;
use std::time::Duration;

/// How long one call to a cluster may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A failed call, in words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KubeError(pub String);

async fn bounded<T>(what: &str, fut: impl Future<Output = Result<T, kube::Error>>) -> Result<T, KubeError> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(kube::Error::Api(s))) => Err(KubeError(format!("{what}: {}", s.message))),
        Ok(Err(e)) => Err(KubeError(format!("{what}: {e}"))),
        Err(_) => Err(KubeError(format!("{what}: the cluster did not answer within {} s", CALL_TIMEOUT.as_secs()))),
    }
}

async fn apply<K>(api: Api<K>, name: &str, object: &Value) -> Result<(), KubeError>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let params = PatchParams::apply(FIELD_MANAGER).force();
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("object");
    bounded(&format!("apply {kind} {name}"), api.patch(name, &params, &Patch::Apply(object))).await.map(|_| ())
}

/// Creates or updates the project's namespace, ResourceQuota and LimitRange, and the cluster's
/// Flotilla PriorityClasses (which every Deployment names).
pub async fn ensure_namespace(client: &Client, project: &str, quota: Quota) -> Result<(), KubeError> {
    for p in Priority::ALL {
        apply(Api::<PriorityClass>::all(client.clone()), p.class().0, &manifests::priority_class(p)).await?;
    }
    let ns = manifests::namespace_name(project);
    apply(Api::<Namespace>::all(client.clone()), ns, &manifests::namespace(project)).await?;
    apply(Api::<ResourceQuota>::namespaced(client.clone(), ns), manifests::QUOTA_NAME, &manifests::resource_quota(project, quota)).await?;
    apply(Api::<LimitRange>::namespaced(client.clone(), ns), manifests::LIMITS_NAME, &manifests::limit_range(project)).await
}

/// Applies the Deployment and, when a port is exposed, the Service (removing a Service no longer wanted).
pub async fn apply_workload(client: &Client, spec: &WorkloadSpec, shape: &Shape) -> Result<(), KubeError> {
    let ns = manifests::namespace_name(&spec.project);
    let name = spec.name.as_str();
    apply(Api::<Deployment>::namespaced(client.clone(), ns), name, &manifests::deployment(spec, shape)).await?;
    match manifests::service(spec) {
        Some(svc) => apply(Api::<Service>::namespaced(client.clone(), ns), name, &svc).await,
        None => delete_quietly(Api::<Service>::namespaced(client.clone(), ns), name).await,
    }
}

async fn delete_quietly<K>(api: Api<K>, name: &str) -> Result<(), KubeError>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    match tokio::time::timeout(CALL_TIMEOUT, api.delete(name, &DeleteParams::background())).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => Ok(()),
        Ok(Err(e)) => Err(KubeError(format!("delete {name}: {e}"))),
        Err(_) => Err(KubeError(format!("delete {name}: the cluster did not answer in time"))),
    }
}

/// Removes the workload's Deployment and Service (its pods go with the Deployment).
pub async fn remove_workload(client: &Client, project: &str, name: &str) -> Result<(), KubeError> {
    let ns = manifests::namespace_name(project);
    delete_quietly(Api::<Deployment>::namespaced(client.clone(), ns), name).await?;
    delete_quietly(Api::<Service>::namespaced(client.clone(), ns), name).await
}

fn selector(project: &str, name: &str) -> String {
    format!("{PROJECT_LABEL}={project},{WORKLOAD_LABEL}={name}")
}

/// The workload's pods on one cluster.
pub async fn pods(client: &Client, project: &str, name: &str) -> Result<Vec<Pod>, KubeError> {
    let api = Api::<Pod>::namespaced(client.clone(), manifests::namespace_name(project));
    Ok(bounded("list pods", api.list(&ListParams::default().labels(&selector(project, name)))).await?.items)
}

/// Recent events about the workload's Deployment and pods, oldest first.
pub async fn events(client: &Client, project: &str, name: &str, cluster: &str) -> Result<Vec<EventLine>, KubeError> {
    let api = Api::<Event>::namespaced(client.clone(), manifests::namespace_name(project));
    let list = bounded("list events", api.list(&ListParams::default())).await?;
    let mut lines: Vec<EventLine> = list
        .items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref().is_some_and(|n| n == name || n.starts_with(&format!("{name}-"))))
        .map(|e| EventLine {
            cluster: cluster.to_owned(),
            at: e
                .last_timestamp
                .map(|t| t.0.to_string())
                .or_else(|| e.event_time.map(|t| t.0.to_string()))
                .or_else(|| e.metadata.creation_timestamp.map(|t| t.0.to_string()))
                .unwrap_or_default(),
            kind: e.type_.unwrap_or_default(),
            reason: e.reason.unwrap_or_default(),
            object: format!("{}/{}", e.involved_object.kind.unwrap_or_default(), e.involved_object.name.unwrap_or_default()),
            message: e.message.unwrap_or_default(),
        })
        .collect();
    lines.sort_by(|a, b| a.at.cmp(&b.at));
    Ok(lines)
}

/// The last `lines` lines of a pod's log.
pub async fn logs(client: &Client, project: &str, pod: &str, lines: i64) -> Result<String, KubeError> {
    let api = Api::<Pod>::namespaced(client.clone(), manifests::namespace_name(project));
    bounded("read the log", api.logs(pod, &LogParams { tail_lines: Some(lines), ..Default::default() })).await
}

/// What the cluster says about the workload: Deployment status, pod states, warning events.
pub async fn observe(client: &Client, project: &str, name: &str) -> Result<Observed, KubeError> {
    let ns = manifests::namespace_name(project);
    let Some(d) = bounded("read the deployment", Api::<Deployment>::namespaced(client.clone(), ns).get_opt(name)).await? else {
        return Ok(Observed::default());
    };
    let status = d.status.unwrap_or_default();
    let mut o = Observed {
        exists: true,
        paused: d.spec.paused.unwrap_or(false),
        wanted: d.spec.replicas.unwrap_or(1).max(0) as u32,
        updated: status.updated_replicas.unwrap_or(0).max(0) as u32,
        ready: status.ready_replicas.unwrap_or(0).max(0) as u32,
        available: status.available_replicas.unwrap_or(0).max(0) as u32,
        ..Default::default()
    };
    for c in status.conditions.unwrap_or_default() {
        let (kind, status) = (c.type_.as_deref(), c.status.as_deref());
        let failed = (kind == Some("Progressing") && c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
            || (kind == Some("ReplicaFailure") && status == Some("True"));
        if failed {
            o.failure_condition = c.message.or(c.reason);
        }
    }
    for pod in pods(client, project, name).await? {
        let Some(st) = pod.status else { continue };
        for cs in st.container_statuses.unwrap_or_default() {
            if let Some(reason) = cs.state.and_then(|s| s.waiting).and_then(|w| w.reason) {
                o.waiting.push((reason, cs.image.clone()));
            }
        }
        for c in st.conditions.unwrap_or_default() {
            if c.type_ == "PodScheduled" && c.status == "False" && c.reason.as_deref() == Some("Unschedulable") {
                o.unschedulable.push(c.message.unwrap_or_else(|| "no node has room".into()));
            }
        }
    }
    let api = Api::<Event>::namespaced(client.clone(), ns);
    if let Ok(list) = bounded("list events", api.list(&ListParams::default())).await {
        o.warnings = list
            .items
            .into_iter()
            .filter(|e| e.type_.as_deref() == Some("Warning") && e.involved_object.name.as_deref() == Some(name))
            .map(|e| (e.reason.unwrap_or_default(), e.message.unwrap_or_default()))
            .collect();
    }
    Ok(o)
}
