//! Server functions for self-service workloads: the placement preview's inputs, registering a
//! container, the workload list and page, and every lifecycle action. Each asks the guard
//! (developers act on their own workloads in their projects; owners on all of their project's).
use crate::error::AppError;
use flotilla_domain::placement::Placement;
use flotilla_domain::workload::{FieldError, WorkloadForm};
use flotilla_domain::{PlacementInputs, ProjectQuota, RegisterOutcome, WorkloadDetail, WorkloadSummary};
use leptos::prelude::*;

/// What of the workloads the caller may see: their clusters and summaries.
#[cfg(feature = "ssr")]
pub(crate) mod visible {
    use crate::error::AppError;
    use crate::guard::Request;
    use flotilla_backend::WorkloadRecord;
    use flotilla_domain::{ClusterRollout, WorkloadSummary};

    pub async fn clusters(r: &Request) -> Result<Vec<flotilla_domain::ClusterSummary>, AppError> {
        r.state.clusters.list().await.map_err(AppError::internal("load the cluster list"))
    }

    pub async fn summary(r: &Request, w: &WorkloadRecord) -> Result<WorkloadSummary, AppError> {
        Ok(summarise(w, &clusters(r).await?))
    }

    /// The workload as lists show it, with its clusters named from `clusters`.
    pub fn summarise(w: &WorkloadRecord, clusters: &[flotilla_domain::ClusterSummary]) -> WorkloadSummary {
        let name_of = |id: i64| clusters.iter().find(|c| c.id == id).map(|c| c.name.clone()).unwrap_or_else(|| format!("cluster {id}"));
        WorkloadSummary {
            id: w.id,
            project: w.spec.project.clone(),
            project_id: w.project_id,
            name: w.spec.name.to_string(),
            image: w.spec.image.clone(),
            replicas: w.spec.replicas,
            revision: w.revision,
            paused: w.paused,
            can_roll_back: w.previous.is_some(),
            created_by: w.created_by.clone(),
            rollouts: w
                .deployments
                .iter()
                .map(|d| ClusterRollout { cluster_id: d.cluster_id, cluster: name_of(d.cluster_id), replicas: d.replicas, ready: d.ready, phase: d.phase, message: d.message.clone() })
                .collect(),
        }
    }
}

/// What the registration preview needs to place `project`'s workload in the browser.
#[server]
pub async fn load_placement_inputs(project: String) -> Result<PlacementInputs, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.workload_service.placement_inputs(&r.access, &project).await?)
}

/// Registers a container: validated and placed with the same domain code the preview runs,
/// recorded, then deployed by the reconcile loop. Invalid input deploys nothing. With a
/// `schedule` that does not run at once (windows, or low priority), it is recorded and the
/// scheduler deploys it when its window opens or a cluster has room, placed then.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn register_workload(form: WorkloadForm, schedule: Option<flotilla_domain::schedule::ScheduleSpec>) -> Result<RegisterOutcome, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.workload_service.register(&r.access, &form, schedule).await?)
}

/// What the server's placement says for a form, without registering anything: field errors,
/// or the placement (which may report that nothing fits).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn preview_placement(form: WorkloadForm) -> Result<Result<Placement, Vec<FieldError>>, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.workload_service.preview(&r.access, &form).await?)
}

/// Every workload of the caller's projects (or of one project), with its status per cluster.
#[server]
pub async fn list_workloads(project_id: Option<i64>) -> Result<Vec<WorkloadSummary>, AppError> {
    let r = crate::guard::request()?;
    let visible = r.state.workload_service.list(&r.access, project_id).await?;
    let clusters = visible::clusters(&r).await?;
    Ok(visible.iter().map(|w| visible::summarise(w, &clusters)).collect())
}

/// One workload: status, spec, pods (from the live inventory) and recent events.
#[server]
pub async fn load_workload(id: i64) -> Result<WorkloadDetail, AppError> {
    use flotilla_domain::{Verb, WorkloadPod};
    let r = crate::guard::request()?;
    let w = r.state.workload_service.authorized(&r.access, id, Verb::Read, "workload.read").await?;
    let may_change = flotilla_backend::WorkloadService::may_change(&r.access, &w);
    let summary = visible::summary(&r, &w).await?;
    let ns = vec![w.spec.project.clone()];
    let mut pods = Vec::new();
    let mut events = Vec::new();
    let mut problems = Vec::new();
    for ro in &summary.rollouts {
        for p in r.state.collector.pods(ro.cluster_id, None, Some(&ns)) {
            if p.workload == w.spec.name.as_str() {
                pods.push(WorkloadPod { cluster_id: ro.cluster_id, cluster: ro.cluster.clone(), name: p.name, node: p.node, phase: p.phase, restarts: p.restarts });
            }
        }
        match r.state.workloads.events(ro.cluster_id, &w.spec.project, w.spec.name.as_str(), &ro.cluster).await {
            Ok(mut e) => events.append(&mut e),
            Err(e) => problems.push(format!("{}: {e}", ro.cluster)),
        }
    }
    events.sort_by_key(|e| std::cmp::Reverse(e.at));
    events.truncate(50);
    Ok(WorkloadDetail { summary, spec: w.spec, pods, events, problems, may_change })
}

/// One workload's summary, without the live pod and event reads of [`load_workload`] (for the
/// REST API's checks before an action).
#[cfg(feature = "ssr")]
pub async fn workload_summary(id: i64) -> Result<WorkloadSummary, AppError> {
    let r = crate::guard::request()?;
    let w = r.state.workload_service.authorized(&r.access, id, flotilla_domain::Verb::Read, "workload.read").await?;
    visible::summary(&r, &w).await
}

/// The last lines of one of the workload's pods' log.
#[server]
pub async fn workload_log(id: i64, cluster_id: i64, pod: String) -> Result<String, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    let w = r.state.workload_service.authorized(&r.access, id, Verb::Read, "workload.logs").await?;
    if !w.deployments.iter().any(|d| d.cluster_id == cluster_id) || !pod.starts_with(&format!("{}-", w.spec.name)) {
        return Err(AppError::NotFound("This pod".into()));
    }
    Ok(r.state.workloads.log(cluster_id, &w.spec.project, &pod, 200).await?)
}

pub use flotilla_domain::WorkloadAction;

/// Carries out an action (audited); returns the workload as it now stands (`None` once deleted everywhere).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn act_on_workload(id: i64, action: WorkloadAction) -> Result<Option<WorkloadSummary>, AppError> {
    let r = crate::guard::request()?;
    match r.state.workload_service.act(&r.access, id, &action).await? {
        Some(w) => Ok(Some(visible::summary(&r, &w).await?)),
        None => Ok(None),
    }
}

/// The quotas of the projects the caller may see (applied in each project namespace on every cluster).
#[server]
pub async fn list_project_quotas() -> Result<Vec<ProjectQuota>, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.workload_service.quotas(&r.access).await?)
}

/// Changes a project's quota (owners, within the ceiling) and, for administrators, the ceiling.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_project_quota(project_id: i64, change: flotilla_domain::QuotaChange) -> Result<ProjectQuota, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.workload_service.set_quota(&r.access, project_id, &change).await?)
}

/// What a workload costs per hour now on each cluster it runs on: (cluster, cost, currency).
#[server]
pub async fn workload_costs_now(id: i64) -> Result<Vec<(String, f64, String)>, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    let w = r.state.workload_service.authorized(&r.access, id, Verb::Read, "workload.read").await?;
    let summary = visible::summary(&r, &w).await?;
    let mut out = Vec::new();
    for ro in &summary.rollouts {
        let live = r.state.ledger.live(&r.state.collector, ro.cluster_id).await.map_err(AppError::internal("compute the workload's cost"))?;
        if let Some(l) = live {
            let cost: f64 = l.lines.iter().filter(|(ns, wl, _)| *ns == w.spec.project && wl == w.spec.name.as_str()).map(|x| x.2).sum();
            out.push((ro.cluster.clone(), cost, l.currency));
        }
    }
    Ok(out)
}
