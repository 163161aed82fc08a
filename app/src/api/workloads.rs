//! Server functions for self-service workloads: the placement preview's inputs, registering a
//! container, the workload list and page, and every lifecycle action. Each asks the guard
//! (developers act on their own workloads in their projects; owners on all of their project's).
use crate::error::AppError;
use flotilla_domain::placement::Placement;
use flotilla_domain::workload::{FieldError, WorkloadForm};
use flotilla_domain::{PlacementInputs, ProjectQuota, RegisterOutcome, WorkloadDetail, WorkloadSummary};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
pub(crate) mod scope {
    use crate::error::AppError;
    use crate::guard::Request;
    use flotilla_backend::{WorkloadError, WorkloadRecord};
    use flotilla_domain::{ClusterRollout, Kind, ProjectSummary, Target, Verb, WorkloadSummary};

    pub fn target(project_id: i64, owner: Option<i64>) -> Target {
        Target { kind: Kind::Workload, project: Some(project_id), owner }
    }

    pub fn error(action: &'static str) -> impl Fn(WorkloadError) -> AppError {
        move |e| match e {
            WorkloadError::Duplicate(n) => AppError::Validation(format!("A workload named '{n}' already exists in this project; choose another name.")),
            WorkloadError::NotFound => AppError::NotFound("This workload".into()),
            WorkloadError::Invalid(m) => AppError::Validation(m),
            WorkloadError::Cluster(m) => AppError::Validation(crate::error::capitalised(&m)),
            other => AppError::internal(action)(other),
        }
    }

    pub async fn project_named(r: &Request, name: &str) -> Result<ProjectSummary, AppError> {
        let found = r.state.people.project_named(name.trim()).await.map_err(AppError::internal("load the project"))?;
        found.ok_or_else(|| AppError::Validation("Choose one of your projects.".into()))
    }

    /// The workload, if the caller may `verb` it (not found when they may not even read it).
    pub async fn authorized(r: &Request, id: i64, verb: Verb, action: &str) -> Result<WorkloadRecord, AppError> {
        r.signed_in()?;
        let w = r.state.workloads.get(id).await.map_err(error("load the workload"))?;
        r.authorize(verb, target(w.project_id, Some(w.owner_id)), action, "this workload").await?;
        Ok(w)
    }

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
                .map(|d| ClusterRollout {
                    cluster_id: d.cluster_id,
                    cluster: name_of(d.cluster_id),
                    replicas: d.replicas,
                    ready: d.ready,
                    phase: d.phase,
                    message: d.message.clone(),
                })
                .collect(),
        }
    }

    pub fn quota_view(project: &flotilla_domain::ProjectSummary, q: flotilla_backend::QuotaSettings, may_edit: bool, may_edit_max: bool) -> flotilla_domain::ProjectQuota {
        use flotilla_domain::{Bytes, CpuMillis};
        flotilla_domain::ProjectQuota {
            project_id: project.id,
            project: project.name.clone(),
            cpu: CpuMillis(q.quota.cpu_m).to_string(),
            memory: Bytes(q.quota.mem_b).to_string(),
            pods: q.quota.pods,
            max_cpu: CpuMillis(q.max.cpu_m).to_string(),
            max_memory: Bytes(q.max.mem_b).to_string(),
            max_pods: q.max.pods,
            may_edit,
            may_edit_max,
        }
    }

    /// Placement inputs for a project: every cluster the portal can deploy to.
    pub async fn capacities(r: &Request, project: &ProjectSummary) -> Result<Vec<flotilla_domain::placement::ClusterCapacity>, AppError> {
        let quota = r.state.workloads.quota(project.id).await.map_err(error("load the project's quota"))?.quota;
        let states = r.state.collector.states();
        let mut out = flotilla_backend::workloads::capacity::capacities(&states, &project.name, quota);
        // Today's prices, for the monthly estimate and the "cheapest" rule.
        for (c, s) in out.iter_mut().zip(&states) {
            c.prices = r.state.ledger.unit_prices(s).await.map_err(AppError::internal("look up the cluster's prices"))?;
        }
        Ok(out)
    }
}

/// What the registration preview needs to place `project`'s workload in the browser.
#[server]
pub async fn load_placement_inputs(project: String) -> Result<PlacementInputs, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    let me = r.signed_in()?.user_id();
    let p = scope::project_named(&r, &project).await?;
    r.authorize(Verb::Create, scope::target(p.id, Some(me)), "workload.preview", "workloads in this project").await?;
    Ok(PlacementInputs { clusters: scope::capacities(&r, &p).await?, project: p.name })
}

/// Registers a container: validated and placed with the same domain code the preview runs,
/// recorded, then deployed by the reconcile loop. Invalid input deploys nothing. With a
/// `schedule` that does not run at once (windows, or low priority), it is recorded and the
/// scheduler deploys it when its window opens or a cluster has room, placed then.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn register_workload(form: WorkloadForm, schedule: Option<flotilla_domain::schedule::ScheduleSpec>) -> Result<RegisterOutcome, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    let caller = r.signed_in()?.clone();
    let p = scope::project_named(&r, &form.project).await?;
    r.authorize(Verb::Create, scope::target(p.id, Some(caller.user_id())), "workload.create", "workloads in this project").await?;
    let spec = match flotilla_domain::workload::validate(&form) {
        Ok(spec) => spec,
        Err(errors) => return Ok(RegisterOutcome::Invalid(errors)),
    };
    let schedule = schedule.filter(|s| *s != Default::default());
    if let Some(s) = &schedule
        && let Err(e) = flotilla_domain::schedule::check(&s.schedule)
    {
        return Ok(RegisterOutcome::Invalid(vec![flotilla_domain::workload::FieldError { field: "schedule".into(), message: crate::error::capitalised(&e) }]));
    }
    let placement = flotilla_domain::placement::place(&spec.placement, &spec.demand(), &scope::capacities(&r, &p).await?);
    let at_once = schedule.as_ref().is_none_or(|s| s.deploys_at_once());
    if at_once && (placement.error.is_some() || placement.assignments.is_empty()) {
        return Ok(RegisterOutcome::NoRoom(placement));
    }
    let assignments = if at_once { placement.assignments.clone() } else { Vec::new() };
    let id = r.state.workloads.insert(p.id, caller.user_id(), caller.email(), &spec, &assignments).await.map_err(scope::error("register the workload"))?;
    let mut detail = format!("{} × {} — {}", spec.replicas, spec.image, placement.summary);
    if let Some(s) = &schedule {
        r.state.scheduler.set(id, s).await.map_err(crate::api::schedules::scope::error("save the schedule"))?;
        detail = format!("{} × {} — {}; priority {}", spec.replicas, spec.image, flotilla_domain::schedule::describe(&s.schedule, chrono::Utc::now()), s.priority.as_str());
    }
    r.record("workload.create", &format!("{}/{}", p.name, spec.name), &detail).await;
    r.state.workloads.wake();
    Ok(RegisterOutcome::Created { id, placement })
}

/// What the server's placement says for a form, without registering anything: field errors,
/// or the placement (which may report that nothing fits).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn preview_placement(form: WorkloadForm) -> Result<Result<Placement, Vec<FieldError>>, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    let me = r.signed_in()?.user_id();
    let p = scope::project_named(&r, &form.project).await?;
    r.authorize(Verb::Create, scope::target(p.id, Some(me)), "workload.preview", "workloads in this project").await?;
    let spec = match flotilla_domain::workload::validate(&form) {
        Ok(spec) => spec,
        Err(errors) => return Ok(Err(errors)),
    };
    Ok(Ok(flotilla_domain::placement::place(&spec.placement, &spec.demand(), &scope::capacities(&r, &p).await?)))
}

/// Every workload of the caller's projects (or of one project), with its status per cluster.
#[server]
pub async fn list_workloads(project_id: Option<i64>) -> Result<Vec<WorkloadSummary>, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    r.signed_in()?;
    let only = project_id.map(|p| vec![p]);
    let all = r.state.workloads.list(only.as_deref()).await.map_err(scope::error("load the workloads"))?;
    let visible = r.visible(Verb::Read, all, |w| scope::target(w.project_id, Some(w.owner_id)))?;
    let clusters = scope::clusters(&r).await?;
    Ok(visible.iter().map(|w| scope::summarise(w, &clusters)).collect())
}

/// One workload: status, spec, pods (from the live inventory) and recent events.
#[server]
pub async fn load_workload(id: i64) -> Result<WorkloadDetail, AppError> {
    use flotilla_domain::{Verb, WorkloadPod};
    let r = crate::guard::request()?;
    let w = scope::authorized(&r, id, Verb::Read, "workload.read").await?;
    let may_change = flotilla_domain::allows(&r.signed_in()?.subject, Verb::Update, &scope::target(w.project_id, Some(w.owner_id))).is_allowed();
    let summary = scope::summary(&r, &w).await?;
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
    events.sort_by(|a, b| b.at.cmp(&a.at));
    events.truncate(50);
    Ok(WorkloadDetail { summary, spec: w.spec, pods, events, problems, may_change })
}

/// One workload's summary, without the live pod and event reads of [`load_workload`] (for the
/// REST API's checks before an action).
#[cfg(feature = "ssr")]
pub async fn workload_summary(id: i64) -> Result<WorkloadSummary, AppError> {
    let r = crate::guard::request()?;
    let w = scope::authorized(&r, id, flotilla_domain::Verb::Read, "workload.read").await?;
    scope::summary(&r, &w).await
}

/// The last lines of one of the workload's pods' log.
#[server]
pub async fn workload_log(id: i64, cluster_id: i64, pod: String) -> Result<String, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    let w = scope::authorized(&r, id, Verb::Read, "workload.logs").await?;
    if !w.deployments.iter().any(|d| d.cluster_id == cluster_id) || !pod.starts_with(&format!("{}-", w.spec.name)) {
        return Err(AppError::NotFound("This pod".into()));
    }
    r.state.workloads.log(cluster_id, &w.spec.project, &pod, 200).await.map_err(scope::error("read the log"))
}

/// A lifecycle action on a workload.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum WorkloadAction {
    Scale { replicas: u32 },
    SetImage { image: String },
    RollBack,
    Pause,
    Resume,
    Move { from: i64, to: i64 },
    /// From one cluster, or (`None`) from all of them.
    Delete { cluster: Option<i64> },
    /// Apply again on one cluster (after fixing what made it fail there).
    Retry { cluster: i64 },
}

/// Carries out an action (audited); returns the workload as it now stands (`None` once deleted everywhere).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn act_on_workload(id: i64, action: WorkloadAction) -> Result<Option<WorkloadSummary>, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    let verb = if matches!(action, WorkloadAction::Delete { .. }) { Verb::Delete } else { Verb::Update };
    let w = scope::authorized(&r, id, verb, "workload.change").await?;
    let wl = &r.state.workloads;
    let err = scope::error("change the workload");
    let (updated, detail) = match &action {
        WorkloadAction::Scale { replicas } => {
            if !(1..=100).contains(replicas) {
                return Err(AppError::Validation("Replicas must be a whole number from 1 to 100.".into()));
            }
            let n = *replicas;
            (wl.revise(id, |s| s.replicas = n).await.map_err(err)?, format!("scaled from {} to {n} replicas", w.spec.replicas))
        }
        WorkloadAction::SetImage { image } => {
            let image = flotilla_domain::image::ImageRef::parse(image.trim()).map_err(AppError::Validation)?.to_string();
            let text = format!("image {} → {image}", w.spec.image);
            (wl.revise(id, |s| s.image = image).await.map_err(err)?, text)
        }
        WorkloadAction::RollBack => (wl.roll_back(id).await.map_err(err)?, format!("rolled back from revision {}", w.revision)),
        WorkloadAction::Pause => (wl.set_paused(id, true).await.map_err(err)?, "paused".to_owned()),
        WorkloadAction::Retry { cluster } => (wl.retry(id, *cluster).await.map_err(err)?, format!("retried on cluster {cluster}")),
        WorkloadAction::Resume => (wl.set_paused(id, false).await.map_err(err)?, "resumed".to_owned()),
        WorkloadAction::Move { from, to } => {
            let clusters = scope::clusters(&r).await?;
            let target = clusters.iter().find(|c| c.id == *to).ok_or_else(|| AppError::Validation("Choose a registered cluster to move to.".into()))?;
            (wl.move_to(id, *from, *to).await.map_err(err)?, format!("moving to {}", target.name))
        }
        WorkloadAction::Delete { cluster } => {
            wl.remove(id, *cluster).await.map_err(err)?;
            let what = cluster.map_or("from every cluster".to_owned(), |c| format!("from cluster {c}"));
            r.record("workload.delete", &format!("{}/{}", w.spec.project, w.spec.name), &what).await;
            r.state.workloads.wake();
            // Deleted everywhere: nothing to show any more (the clusters are cleaned up in the background).
            if cluster.is_none() {
                return Ok(None);
            }
            return match wl.get(id).await {
                Ok(now) => Ok(Some(scope::summary(&r, &now).await?)),
                Err(_) => Ok(None),
            };
        }
    };
    r.record("workload.change", &format!("{}/{}", w.spec.project, w.spec.name), &detail).await;
    r.state.workloads.wake();
    Ok(Some(scope::summary(&r, &updated).await?))
}

/// The quotas of the projects the caller may see (applied in each project namespace on every cluster).
#[server]
pub async fn list_project_quotas() -> Result<Vec<ProjectQuota>, AppError> {
    use flotilla_domain::{Kind, Target, Verb, allows};
    let r = crate::guard::request()?;
    let caller = r.signed_in()?.clone();
    let all = r.state.people.projects().await.map_err(AppError::internal("load the projects"))?;
    let target = |p: i64| Target { kind: Kind::Project, project: Some(p), owner: None };
    let visible = r.visible(Verb::Read, all, |p| target(p.id))?;
    let admin = allows(&caller.subject, Verb::Update, &Target { kind: Kind::Project, project: None, owner: None }).is_allowed();
    let mut out = Vec::with_capacity(visible.len());
    for p in &visible {
        let q = r.state.workloads.quota(p.id).await.map_err(scope::error("load the quota"))?;
        out.push(scope::quota_view(p, q, allows(&caller.subject, Verb::Update, &target(p.id)).is_allowed(), admin));
    }
    Ok(out)
}

/// Changes a project's quota (owners, within the ceiling) and, for administrators, the ceiling.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_project_quota(project_id: i64, cpu: String, memory: String, pods: u32, max: Option<(String, String, u32)>) -> Result<ProjectQuota, AppError> {
    use flotilla_domain::{Kind, Target, Verb};
    let r = crate::guard::request()?;
    r.authorize(Verb::Update, Target { kind: Kind::Project, project: Some(project_id), owner: None }, "project.quota", "this project's quota").await?;
    if max.is_some() {
        r.authorize_portal(Verb::Update, Kind::Project, "project.quota-ceiling", "quota ceilings").await?;
    }
    let project = r.state.people.project(project_id).await.map_err(AppError::internal("load the project"))?.ok_or_else(|| AppError::NotFound("This project".into()))?;
    let (cpu_m, mem_b, pods) = flotilla_domain::parse_quota(&cpu, &memory, pods).map_err(|e| AppError::Validation(crate::error::capitalised(&format!("{e}."))))?;
    let ceiling = match &max {
        Some((c, m, p)) => {
            let (cpu_m, mem_b, pods) = flotilla_domain::parse_quota(c, m, *p).map_err(|e| AppError::Validation(crate::error::capitalised(&format!("ceiling {e}."))))?;
            Some(flotilla_backend::Quota { cpu_m, mem_b, pods })
        }
        None => None,
    };
    let saved = r.state.workloads.set_quota(project_id, flotilla_backend::Quota { cpu_m, mem_b, pods }, ceiling).await.map_err(scope::error("save the quota"))?;
    r.record("project.quota", &project.name, &format!("quota {cpu} CPU, {memory} memory, {pods} pods{}", if max.is_some() { " (ceiling changed)" } else { "" })).await;
    r.state.workloads.wake();
    Ok(scope::quota_view(&project, saved, true, max.is_some()))
}

/// What a workload costs per hour now on each cluster it runs on: (cluster, cost, currency).
#[server]
pub async fn workload_costs_now(id: i64) -> Result<Vec<(String, f64, String)>, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    let w = scope::authorized(&r, id, Verb::Read, "workload.read").await?;
    let summary = scope::summary(&r, &w).await?;
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
