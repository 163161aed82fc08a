//! What the deployer does on one cluster, through kube-rs: server-side apply of the project's
//! namespace (quota, limits) and the workload's objects, reading their state back, events, logs
//! and removal. Every call is bounded by a timeout so one slow cluster never holds up others.
use super::manifests::{self, FIELD_MANAGER, PROJECT_LABEL, Quota, Shape, WORKLOAD_ID_LABEL, WORKLOAD_LABEL};
use flotilla_domain::rollout::{EventLine, Observed};
use flotilla_domain::schedule::Priority;
use flotilla_domain::workload::WorkloadSpec;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Event, LimitRange, Namespace, Pod, ResourceQuota, Service};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams, LogParams, Patch, PatchParams, Preconditions};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::fmt::Debug;
use std::time::Duration;

/// How long one call to a cluster may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// A failed call to a cluster: what Flotilla was doing and why, with kube-rs's error kept as
/// the source.
#[derive(Debug, thiserror::Error)]
pub enum KubeError {
    /// The API server answered and said no (its message, worded by Kubernetes).
    #[error("{what}: {message}")]
    Refused {
        what: String,
        message: String,
        #[source]
        source: kube::Error,
    },
    /// The call did not get an answer from the API server (connection, TLS, a broken reply).
    #[error("{what}: {source}")]
    Unreachable {
        what: String,
        #[source]
        source: kube::Error,
    },
    #[error("{what}: the cluster did not answer within {} s", CALL_TIMEOUT.as_secs())]
    TimedOut { what: String },
    /// Flotilla declines: an object of that name belongs to someone else.
    #[error("{0}")]
    Declined(String),
}

impl KubeError {
    /// The cluster could not be asked (as opposed to answering no).
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. } | Self::TimedOut { .. })
    }

    fn of(what: &str, source: kube::Error) -> Self {
        match &source {
            kube::Error::Api(s) => Self::Refused { what: what.to_owned(), message: s.message.clone(), source },
            _ => Self::Unreachable { what: what.to_owned(), source },
        }
    }
}

async fn bounded<T>(what: &str, fut: impl Future<Output = Result<T, kube::Error>>) -> Result<T, KubeError> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(KubeError::of(what, e)),
        Err(_) => Err(KubeError::TimedOut { what: what.to_owned() }),
    }
}

/// Server-side apply as Flotilla's field manager. `force` takes fields back from other managers
/// and is asked only for objects known to be Flotilla's own; a new object is applied without
/// it, so one that someone else created meanwhile is a conflict, never a takeover.
async fn apply<K>(api: Api<K>, name: &str, object: &Value, force: bool) -> Result<(), KubeError>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let mut params = PatchParams::apply(FIELD_MANAGER);
    params.force = force;
    let kind = object.get("kind").and_then(Value::as_str).unwrap_or("object");
    bounded(&format!("apply {kind} {name}"), api.patch(name, &params, &Patch::Apply(object))).await.map(|_| ())
}

/// Creates or updates the project's namespace, ResourceQuota and LimitRange, and the cluster's
/// Flotilla PriorityClasses (which every Deployment names). Only a namespace already found to be
/// the project's is applied with force (and the quota and limits in it, which are Flotilla's).
pub async fn ensure_namespace(client: &Client, project: &str, project_id: i64, quota: Quota) -> Result<(), KubeError> {
    for p in Priority::ALL {
        // Cluster-wide and possibly shared with other tools: never taken from another manager.
        apply(Api::<PriorityClass>::all(client.clone()), p.class().0, &manifests::priority_class(p), false).await?;
    }
    let ns = manifests::namespace_name(project);
    let namespaces = Api::<Namespace>::all(client.clone());
    let found = bounded(&format!("read namespace {ns}"), namespaces.get_opt(ns)).await?;
    if let Some(refusal) = found.as_ref().and_then(|f| namespace_refusal(&f.metadata, project, project_id)) {
        return Err(KubeError::Declined(refusal));
    }
    let ours = found.is_some();
    apply(namespaces, ns, &manifests::namespace(project, project_id), ours).await?;
    apply(Api::<ResourceQuota>::namespaced(client.clone(), ns), manifests::QUOTA_NAME, &manifests::resource_quota(project, quota), ours).await?;
    apply(Api::<LimitRange>::namespaced(client.clone(), ns), manifests::LIMITS_NAME, &manifests::limit_range(project), ours).await
}

/// Why a namespace found on a cluster is not project `project_id`'s, in words; `None` when it
/// is: it carries the project label with the project's name (and, when it has one, the project
/// id label with this project's id), or Flotilla's field manager created it. A namespace of the
/// same name that someone else made, or that was made for an earlier, deleted project of the
/// same name, is never taken over.
pub fn namespace_refusal(meta: &ObjectMeta, project: &str, project_id: i64) -> Option<String> {
    let ns = meta.name.as_deref().unwrap_or(project);
    let label = |key: &str| meta.labels.as_ref().and_then(|l| l.get(key));
    let ours = match label(manifests::PROJECT_LABEL) {
        Some(v) => v == project,
        None => applied_by_flotilla(meta),
    };
    if !ours {
        return Some(format!(
            "the namespace \"{ns}\" already exists on this cluster and does not belong to project {project}; \
             Flotilla leaves it untouched. An administrator can hand it over by labelling it {}={project}, or close this cluster to the project",
            manifests::PROJECT_LABEL
        ));
    }
    match label(manifests::PROJECT_ID_LABEL) {
        Some(id) if *id != project_id.to_string() => Some(format!(
            "the namespace \"{ns}\" on this cluster was made for an earlier project named {project} (id {id}), which was deleted; \
             Flotilla does not hand it, and what is left in it, to the new project without being told. An administrator can delete \
             the namespace, or hand it over by labelling it {}={project_id}",
            manifests::PROJECT_ID_LABEL
        )),
        _ => None,
    }
}

fn applied_by_flotilla(meta: &ObjectMeta) -> bool {
    meta.managed_fields.iter().flatten().any(|f| f.manager.as_deref() == Some(FIELD_MANAGER) && f.operation.as_deref() == Some("Apply"))
}

/// Whether an object found on a cluster belongs to workload `id`: it carries the workload's id
/// label, or (applied before objects carried ids) it has no id and Flotilla's field manager
/// applied it. An object someone else created under the same name is never ours.
pub fn owned_by(meta: &ObjectMeta, id: i64) -> bool {
    match meta.labels.as_ref().and_then(|l| l.get(WORKLOAD_ID_LABEL)) {
        Some(v) => *v == id.to_string(),
        None => applied_by_flotilla(meta),
    }
}

/// Looks for an object of this name before Flotilla writes it: `Ok(true)` when it is the
/// workload's own, `Ok(false)` when there is none, and a refusal in words when someone else's
/// object already has the name (Flotilla never replaces it).
async fn claim<K>(api: &Api<K>, kind: &str, ns: &str, name: &str, id: i64) -> Result<bool, KubeError>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    match bounded(&format!("read {kind} {name}"), api.get_opt(name)).await? {
        None => Ok(false),
        Some(o) if owned_by(o.meta(), id) => Ok(true),
        Some(_) => Err(KubeError::Declined(format!(
            "a {kind} named \"{name}\" already exists in namespace {ns} and was not created by this workload; \
             Flotilla leaves it untouched. Register the workload under another name, or remove that {kind} first"
        ))),
    }
}

/// Applies one of the workload's objects after [`claim`]: a new object is created without
/// force (so one created meanwhile by someone else is a conflict, not a takeover); the
/// workload's own object is applied with force, taking back fields edited by hand.
async fn apply_owned<K>(api: Api<K>, kind: &str, ns: &str, name: &str, id: i64, object: &Value) -> Result<(), KubeError>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let ours = claim(&api, kind, ns, name, id).await?;
    let mut params = PatchParams::apply(FIELD_MANAGER);
    params.force = ours;
    bounded(&format!("apply {kind} {name}"), api.patch(name, &params, &Patch::Apply(object))).await.map(|_| ())
}

/// Applies the Deployment and, when a port is exposed, the Service (removing a Service no
/// longer wanted). Objects of the same name that this workload did not create are refused.
pub async fn apply_workload(client: &Client, id: i64, spec: &WorkloadSpec, shape: &Shape) -> Result<(), KubeError> {
    let ns = manifests::namespace_name(&spec.project);
    let name = spec.name.as_str();
    apply_owned(Api::<Deployment>::namespaced(client.clone(), ns), "Deployment", ns, name, id, &manifests::deployment(id, spec, shape)).await?;
    let services = Api::<Service>::namespaced(client.clone(), ns);
    match manifests::service(id, spec) {
        Some(svc) => apply_owned(services, "Service", ns, name, id, &svc).await,
        None => delete_owned(services, name, id).await,
    }
}

/// Deletes the object when it belongs to workload `id`, with its uid as a precondition so an
/// object recreated meanwhile under the same name is not deleted; leaves any other object alone.
async fn delete_owned<K>(api: Api<K>, name: &str, id: i64) -> Result<(), KubeError>
where
    K: Resource + Clone + DeserializeOwned + Debug,
{
    let Some(o) = bounded(&format!("read {name}"), api.get_opt(name)).await? else { return Ok(()) };
    if !owned_by(o.meta(), id) {
        return Ok(());
    }
    let params = DeleteParams { preconditions: Some(Preconditions { uid: o.meta().uid.clone(), resource_version: None }), ..DeleteParams::background() };
    match bounded(&format!("delete {name}"), api.delete(name, &params)).await {
        Ok(_) => Ok(()),
        Err(KubeError::Refused { source: kube::Error::Api(s), .. }) if s.code == 404 => Ok(()),
        Err(KubeError::Refused { source: kube::Error::Api(s), .. }) if s.code == 409 => {
            Err(KubeError::Declined(format!("delete {name}: it was replaced meanwhile by another object of the same name, which Flotilla leaves alone")))
        }
        Err(e) => Err(e),
    }
}

/// Removes the workload's own Deployment and Service (its pods go with the Deployment);
/// objects of the same name that it did not create stay.
pub async fn remove_workload(client: &Client, id: i64, project: &str, name: &str) -> Result<(), KubeError> {
    let ns = manifests::namespace_name(project);
    delete_owned(Api::<Deployment>::namespaced(client.clone(), ns), name, id).await?;
    delete_owned(Api::<Service>::namespaced(client.clone(), ns), name, id).await
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
                .map(|t| t.0)
                .or_else(|| e.event_time.map(|t| t.0))
                .or_else(|| e.metadata.creation_timestamp.map(|t| t.0))
                .and_then(|t| chrono::DateTime::from_timestamp(t.as_second(), t.subsec_nanosecond().try_into().unwrap_or(0))),
            kind: e.type_.unwrap_or_default(),
            reason: e.reason.unwrap_or_default(),
            object: format!("{}/{}", e.involved_object.kind.unwrap_or_default(), e.involved_object.name.unwrap_or_default()),
            message: e.message.unwrap_or_default(),
        })
        .collect();
    lines.sort_by_key(|a| a.at);
    Ok(lines)
}

/// The last `lines` lines of a pod's log.
pub async fn logs(client: &Client, project: &str, pod: &str, lines: i64) -> Result<String, KubeError> {
    let api = Api::<Pod>::namespaced(client.clone(), manifests::namespace_name(project));
    bounded("read the log", api.logs(pod, &LogParams { tail_lines: Some(lines), ..Default::default() })).await
}

/// What the cluster says about the workload: Deployment status, pod states, warning events.
/// Another's Deployment of the same name is not the workload's: it reads as not there.
pub async fn observe(client: &Client, id: i64, project: &str, name: &str) -> Result<Observed, KubeError> {
    let ns = manifests::namespace_name(project);
    let found = bounded("read the deployment", Api::<Deployment>::namespaced(client.clone(), ns).get_opt(name)).await?;
    let Some(d) = found.filter(|d| owned_by(&d.metadata, id)) else {
        return Ok(Observed::default());
    };
    let mut o = crate::collector::store::rollout_of(&d);
    for pod in pods(client, project, name).await? {
        let (waiting, unschedulable) = crate::collector::store::pod_signals(&pod);
        o.waiting.extend(waiting);
        o.unschedulable.extend(unschedulable);
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

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;

    fn meta(id: Option<&str>, manager: Option<(&str, &str)>) -> ObjectMeta {
        ObjectMeta {
            labels: id.map(|v| [(WORKLOAD_ID_LABEL.to_owned(), v.to_owned())].into()),
            managed_fields: manager.map(|(m, op)| vec![ManagedFieldsEntry { manager: Some(m.into()), operation: Some(op.into()), ..Default::default() }]),
            ..Default::default()
        }
    }

    #[test]
    fn only_objects_naming_the_workload_or_applied_by_flotilla_without_an_id_are_its_own() {
        assert!(owned_by(&meta(Some("7"), None), 7));
        assert!(!owned_by(&meta(Some("8"), Some((FIELD_MANAGER, "Apply"))), 7), "another workload's object");
        assert!(!owned_by(&meta(None, None), 7), "created by someone else");
        assert!(!owned_by(&meta(None, Some(("kubectl-client-side-apply", "Update"))), 7), "created with kubectl");
        assert!(!owned_by(&meta(None, Some((FIELD_MANAGER, "Update"))), 7), "only Flotilla's own apply counts");
        assert!(owned_by(&meta(None, Some((FIELD_MANAGER, "Apply"))), 7), "applied by Flotilla before objects carried ids");
    }

    #[test]
    fn a_namespace_is_a_projects_only_when_labelled_for_it_or_created_by_flotilla() {
        let labelled = |p: &str| ObjectMeta { labels: Some([(manifests::PROJECT_LABEL.to_owned(), p.to_owned())].into()), ..Default::default() };
        let ours = |m: &ObjectMeta| namespace_refusal(m, "payments", 12).is_none();
        assert!(ours(&labelled("payments")));
        assert!(!ours(&labelled("team-a")), "another project's namespace");
        assert!(!ours(&meta(None, None)), "someone else's namespace of the same name");
        assert!(ours(&meta(None, Some((FIELD_MANAGER, "Apply")))), "created by Flotilla");
        let mut made_for = labelled("payments");
        made_for.labels.as_mut().unwrap().insert(manifests::PROJECT_ID_LABEL.to_owned(), "12".into());
        assert!(ours(&made_for), "made for this project");
        made_for.labels.as_mut().unwrap().insert(manifests::PROJECT_ID_LABEL.to_owned(), "7".into());
        let refusal = namespace_refusal(&made_for, "payments", 12).expect("an earlier project's namespace");
        assert!(refusal.contains("made for an earlier project named payments (id 7)") && refusal.contains("flotilla.io/project-id=12"), "{refusal}");
    }
}
