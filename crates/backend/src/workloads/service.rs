//! The workload use-cases — preview, register, list, read, every lifecycle action and schedule
//! changes — each taking the caller and doing guard → validation → capacity → placement →
//! records → audit in this one place. Server functions and REST handlers only call these; the
//! scheduler places with the same [`Capacities`].
use super::capacity::Capacities;
use super::manifests::Quota;
use super::records::Desired;
use super::{WorkloadError, WorkloadRecord, Workloads};
use crate::scheduler::Scheduler;
use crate::{AuditLog, Caller, PeopleDirectory, Projects, Refusal, RequestAccess};
use flotilla_domain::placement::{Placement, place};
use flotilla_domain::schedule::{self, ScheduleSpec};
use flotilla_domain::workload::{FieldError, PlacementRule, WorkloadForm, WorkloadSpec};
use flotilla_domain::{Bytes, CpuMillis, Demand, Kind, PlacementInputs, ProjectQuota, ProjectSummary, QuotaChange, QuotaInput, RegisterOutcome, Target, Verb, WorkloadAction, allows, parse_quota};

/// A workload (or workloads to be) of `project`, owned by `owner`.
pub fn target(project: i64, owner: Option<i64>) -> Target {
    Target { kind: Kind::Workload, project: Some(project), owner }
}

fn project_target(project: Option<i64>) -> Target {
    Target { kind: Kind::Project, project, owner: None }
}

#[derive(Clone, Debug)]
pub struct WorkloadService {
    workloads: Workloads,
    capacities: Capacities,
    projects: Projects,
    people: PeopleDirectory,
    scheduler: Scheduler,
    audit: AuditLog,
}

impl WorkloadService {
    pub fn new(workloads: Workloads, capacities: Capacities, projects: Projects, people: PeopleDirectory, scheduler: Scheduler, audit: AuditLog) -> Self {
        Self { workloads, capacities, projects, people, scheduler, audit }
    }

    async fn guard<'a>(&self, access: &'a RequestAccess, verb: Verb, t: Target, action: &str, what: &'static str) -> Result<&'a Caller, WorkloadError> {
        access.authorize(&self.audit, verb, t, action, what).await.map_err(|refusal| WorkloadError::Refused { refusal, verb, what })
    }

    /// The project a form names, if the caller may create workloads in it. A project that does
    /// not exist and one the caller may not see get the same words.
    async fn project_to_create_in(&self, access: &RequestAccess, name: &str, action: &str) -> Result<(ProjectSummary, i64), WorkloadError> {
        let me = access.signed_in().map_err(|refusal| WorkloadError::Refused { refusal, verb: Verb::Create, what: "workloads" })?.user_id();
        let project = self.people.project_named(name.trim()).await.map_err(|e| WorkloadError::Invalid(e.to_string()))?;
        let Some(project) = project else { return Err(WorkloadError::ProjectNotFound) };
        match self.guard(access, Verb::Create, target(project.id, Some(me)), action, "workloads in this project").await {
            Err(WorkloadError::Refused { refusal: Refusal::Forbidden { hidden: true }, .. }) => return Err(WorkloadError::ProjectNotFound),
            other => other?,
        };
        if project.archived {
            return Err(WorkloadError::Invalid(format!("{} is archived and takes no new workloads; an administrator can restore it.", project.name)));
        }
        Ok((project, me))
    }

    /// Placement inputs for a project's registration preview (the clusters opened to it only).
    pub async fn placement_inputs(&self, access: &RequestAccess, project: &str) -> Result<PlacementInputs, WorkloadError> {
        let (p, _) = self.project_to_create_in(access, project, "workload.preview").await?;
        Ok(PlacementInputs { clusters: self.capacities.for_project(p.id, &p.name).await?, project: p.name })
    }

    /// Field errors, or where the workload would run (which may be "nowhere", with reasons).
    pub async fn preview(&self, access: &RequestAccess, form: &WorkloadForm) -> Result<Result<Placement, Vec<FieldError>>, WorkloadError> {
        let (p, _) = self.project_to_create_in(access, &form.project, "workload.preview").await?;
        let spec = match flotilla_domain::workload::validate(form) {
            Ok(spec) => spec,
            Err(errors) => return Ok(Err(errors)),
        };
        let caps = self.capacities.for_project(p.id, &p.name).await?;
        if let Err(e) = chosen_clusters_opened(&spec, &caps, &p.name) {
            return Ok(Err(vec![e]));
        }
        Ok(Ok(place(&spec.placement, &spec.demand(), &caps)))
    }

    /// Registers a container: validated, its priority within the project's grant, placed on the
    /// clusters opened to its project, recorded and audited; the reconcile loop deploys it. With
    /// a schedule that does not run at once, the scheduler places it when its window opens.
    pub async fn register(&self, access: &RequestAccess, form: &WorkloadForm, schedule: Option<ScheduleSpec>) -> Result<RegisterOutcome, WorkloadError> {
        let (p, me) = self.project_to_create_in(access, &form.project, "workload.create").await?;
        let spec = match flotilla_domain::workload::validate(form) {
            Ok(spec) => spec,
            Err(errors) => return Ok(RegisterOutcome::Invalid(errors)),
        };
        let schedule = schedule.filter(|s| *s != ScheduleSpec::default());
        if let Some(s) = &schedule {
            let mut errors = Vec::new();
            if let Err(e) = schedule::check(&s.schedule) {
                errors.push(FieldError { field: "schedule".into(), message: flotilla_domain::sentence(&e) });
            }
            if let Err(e) = s.priority.allowed_under(p.max_priority) {
                errors.push(FieldError { field: "priority".into(), message: e });
            }
            if !errors.is_empty() {
                return Ok(RegisterOutcome::Invalid(errors));
            }
        }
        let caps = self.capacities.for_project(p.id, &p.name).await?;
        if let Err(e) = chosen_clusters_opened(&spec, &caps, &p.name) {
            return Ok(RegisterOutcome::Invalid(vec![e]));
        }
        let placement = place(&spec.placement, &spec.demand(), &caps);
        let at_once = schedule.as_ref().is_none_or(|s| s.deploys_at_once());
        if at_once && (placement.error.is_some() || placement.assignments.is_empty()) {
            return Ok(RegisterOutcome::NoRoom(placement));
        }
        let assignments = if at_once { placement.assignments.clone() } else { Vec::new() };
        let email = access.caller.as_ref().map(|c| c.email().to_owned()).unwrap_or_default();
        let id = self.workloads.insert(p.id, me, &email, &spec, &assignments).await?;
        let mut detail = format!("{} × {} — {}", spec.replicas, spec.image, placement.summary);
        if let Some(s) = &schedule {
            self.scheduler.set(id, s).await.map_err(|e| WorkloadError::Invalid(flotilla_domain::sentence(&e.to_string())))?;
            detail = format!("{} × {} — {}; priority {}", spec.replicas, spec.image, schedule::describe(&s.schedule, chrono::Utc::now()), s.priority.as_str());
        }
        access.record(&self.audit, "workload.create", &format!("{}/{}", p.name, spec.name), &detail).await;
        self.workloads.wake();
        Ok(RegisterOutcome::Created { id, placement })
    }

    /// The workload, if the caller may `verb` it ("not found" when they may not even read it).
    pub async fn authorized(&self, access: &RequestAccess, id: i64, verb: Verb, action: &str) -> Result<WorkloadRecord, WorkloadError> {
        access.signed_in().map_err(|refusal| WorkloadError::Refused { refusal, verb, what: "this workload" })?;
        let w = self.workloads.get(id).await?;
        self.guard(access, verb, target(w.project_id, Some(w.owner_id)), action, "this workload").await?;
        Ok(w)
    }

    /// The workloads of the caller's projects (or of one project) the caller may read.
    pub async fn list(&self, access: &RequestAccess, project: Option<i64>) -> Result<Vec<WorkloadRecord>, WorkloadError> {
        let only = project.map(|p| vec![p]);
        let all = self.workloads.list(only.as_deref()).await?;
        access.visible(Verb::Read, all, |w| target(w.project_id, Some(w.owner_id))).map_err(|refusal| WorkloadError::Refused { refusal, verb: Verb::Read, what: "workloads" })
    }

    /// Ids of the workloads the caller may read (`None` = all: administrators).
    pub async fn readable_ids(&self, access: &RequestAccess) -> Result<Option<Vec<i64>>, WorkloadError> {
        let caller = access.signed_in().map_err(|refusal| WorkloadError::Refused { refusal, verb: Verb::Read, what: "workloads" })?;
        let portal = Target { kind: Kind::Workload, project: None, owner: None };
        if allows(&caller.subject, Verb::Read, &portal).is_allowed() {
            return Ok(None);
        }
        Ok(Some(self.list(access, None).await?.into_iter().map(|w| w.id).collect()))
    }

    /// Whether the caller may change this workload (for the page's buttons).
    pub fn may_change(access: &RequestAccess, w: &WorkloadRecord) -> bool {
        access.caller.as_ref().is_some_and(|c| allows(&c.subject, Verb::Update, &target(w.project_id, Some(w.owner_id))).is_allowed())
    }

    /// Carries out a lifecycle action (audited). Scale, roll-back and move go through placement
    /// and quota like a registration. Returns the workload as it now stands (`None` once it is
    /// being deleted everywhere).
    pub async fn act(&self, access: &RequestAccess, id: i64, action: &WorkloadAction) -> Result<Option<WorkloadRecord>, WorkloadError> {
        let verb = if matches!(action, WorkloadAction::Delete { .. }) { Verb::Delete } else { Verb::Update };
        let w = self.authorized(access, id, verb, "workload.change").await?;
        let wl = &self.workloads;
        let (updated, detail) = match action {
            WorkloadAction::Scale { replicas } => {
                let n = *replicas;
                if !(1..=100).contains(&n) {
                    return Err(WorkloadError::Invalid("Replicas must be a whole number from 1 to 100.".into()));
                }
                self.check_room_to_scale(&w, n).await?;
                (wl.revise(id, |s| s.replicas = n).await?, format!("scaled from {} to {n} replicas", w.spec.replicas))
            }
            WorkloadAction::SetImage { image } => {
                let image = flotilla_domain::image::ImageRef::parse(image.trim()).map_err(WorkloadError::Invalid)?.to_string();
                let text = format!("image {} → {image}", w.spec.image);
                (wl.revise(id, |s| s.image = image).await?, text)
            }
            WorkloadAction::RollBack => {
                if let Some(previous) = &w.previous {
                    self.check_room_to_scale(&w, previous.replicas).await?;
                }
                (wl.roll_back(id).await?, format!("rolled back from revision {}", w.revision))
            }
            WorkloadAction::Pause => (wl.set_paused(id, true).await?, "paused".to_owned()),
            WorkloadAction::Resume => (wl.set_paused(id, false).await?, "resumed".to_owned()),
            WorkloadAction::Retry { cluster } => (wl.retry(id, *cluster).await?, format!("retried on cluster {cluster}")),
            WorkloadAction::Move { from, to } => {
                let name = self.check_room_to_move(&w, *from, *to).await?;
                (wl.move_to(id, *from, *to).await?, format!("moving to {name}"))
            }
            WorkloadAction::Delete { cluster } => {
                wl.remove(id, *cluster).await?;
                let what = cluster.map_or("from every cluster".to_owned(), |c| format!("from cluster {c}"));
                access.record(&self.audit, "workload.delete", &format!("{}/{}", w.spec.project, w.spec.name), &what).await;
                wl.wake();
                return Ok(match cluster {
                    None => None,
                    Some(_) => wl.get(id).await.ok(),
                });
            }
        };
        access.record(&self.audit, "workload.change", &format!("{}/{}", w.spec.project, w.spec.name), &detail).await;
        wl.wake();
        Ok(Some(updated))
    }

    /// Sets a workload's schedule and priority (who may change the workload), within the
    /// priority its project is granted.
    pub async fn set_schedule(&self, access: &RequestAccess, id: i64, spec: &ScheduleSpec) -> Result<WorkloadRecord, WorkloadError> {
        let w = self.authorized(access, id, Verb::Update, "schedule.save").await?;
        let ceiling = self.projects.max_priority(w.project_id).await?;
        spec.priority.allowed_under(ceiling).map_err(WorkloadError::Invalid)?;
        self.scheduler.set(id, spec).await.map_err(|e| WorkloadError::Invalid(flotilla_domain::sentence(&e.to_string())))?;
        let said = format!("{}; priority {}", schedule::describe(&spec.schedule, chrono::Utc::now()), spec.priority.as_str());
        access.record(&self.audit, "schedule.save", &format!("{}/{}", w.spec.project, w.spec.name), &said).await;
        Ok(w)
    }

    /// The quotas of the projects the caller may read.
    pub async fn quotas(&self, access: &RequestAccess) -> Result<Vec<ProjectQuota>, WorkloadError> {
        let all = self.people.projects().await.map_err(|e| WorkloadError::Invalid(e.to_string()))?;
        let visible = access.visible(Verb::Read, all, |p| project_target(Some(p.id))).map_err(|refusal| WorkloadError::Refused { refusal, verb: Verb::Read, what: "projects" })?;
        let mut out = Vec::with_capacity(visible.len());
        for p in &visible {
            out.push(self.quota_view(access, p).await?);
        }
        Ok(out)
    }

    /// One project's quota (who may read the project; "not found" otherwise).
    pub async fn quota(&self, access: &RequestAccess, project_id: i64) -> Result<ProjectQuota, WorkloadError> {
        let p = self.projects.readable(access, project_id).await?;
        self.quota_view(access, &p).await
    }

    async fn quota_view(&self, access: &RequestAccess, p: &ProjectSummary) -> Result<ProjectQuota, WorkloadError> {
        let q = self.workloads.quota(p.id).await?;
        let may = |t: Target| access.caller.as_ref().is_some_and(|c| allows(&c.subject, Verb::Update, &t).is_allowed());
        Ok(ProjectQuota {
            project_id: p.id,
            project: p.name.clone(),
            cpu: CpuMillis(q.quota.cpu_m).to_string(),
            memory: Bytes(q.quota.mem_b).to_string(),
            pods: q.quota.pods,
            gpus: q.quota.gpus,
            max_cpu: CpuMillis(q.max.cpu_m).to_string(),
            max_memory: Bytes(q.max.mem_b).to_string(),
            max_pods: q.max.pods,
            max_gpus: q.max.gpus,
            may_edit: may(project_target(Some(p.id))),
            may_edit_max: may(project_target(None)),
        })
    }

    /// Changes a project's quota (owners, up to the ceiling) and, for administrators, the
    /// ceiling; every workload of the project is re-applied so each cluster gets it.
    pub async fn set_quota(&self, access: &RequestAccess, project_id: i64, change: &QuotaChange) -> Result<ProjectQuota, WorkloadError> {
        let p = self.projects.readable(access, project_id).await?;
        self.guard(access, Verb::Update, project_target(Some(project_id)), "project.quota", "this project's quota").await?;
        if change.max.is_some() {
            self.guard(access, Verb::Update, project_target(None), "project.quota-ceiling", "quota ceilings").await?;
        }
        let read = |q: &QuotaInput, what: &str| {
            parse_quota(&q.cpu, &q.memory, q.pods)
                .map(|(cpu_m, mem_b, pods)| Quota { cpu_m, mem_b, pods, gpus: q.gpus })
                .map_err(|e| WorkloadError::Invalid(flotilla_domain::sentence(&format!("{what}{e}."))))
        };
        let quota = read(&change.quota, "")?;
        let ceiling = change.max.as_ref().map(|m| read(m, "ceiling ")).transpose()?;
        self.workloads.set_quota(project_id, quota, ceiling).await?;
        let q = &change.quota;
        let said = format!("quota {} CPU, {} memory, {} pods, {} GPUs{}", q.cpu, q.memory, q.pods, q.gpus, if ceiling.is_some() { " (ceiling changed)" } else { "" });
        access.record(&self.audit, "project.quota", &p.name, &said).await;
        self.workloads.wake();
        self.quota_view(access, &p).await
    }

    /// Refuses, in words, a replica count whose extra replicas do not fit on a cluster the
    /// workload runs on (nodes and the project's quota there).
    async fn check_room_to_scale(&self, w: &WorkloadRecord, replicas: u32) -> Result<(), WorkloadError> {
        let present: Vec<_> = w.deployments.iter().filter(|d| d.desired == Desired::Present).collect();
        if present.is_empty() || replicas <= w.spec.replicas {
            return Ok(());
        }
        let caps = self.capacities.for_project(w.project_id, &w.spec.project).await?;
        let counts = super::records::replica_counts(&w.spec.placement, &present, replicas);
        for (d, n) in present.iter().zip(counts) {
            let extra = n.saturating_sub(d.replicas);
            if extra == 0 {
                continue;
            }
            let demand = Demand { per_replica: w.spec.requests, replicas: extra };
            let p = place(&PlacementRule::Clusters(vec![d.cluster_id]), &demand, &caps);
            if p.assignments.is_empty() {
                let cluster = caps.iter().find(|c| c.id == d.cluster_id).map_or_else(|| format!("cluster {}", d.cluster_id), |c| c.name.clone());
                let why = p.candidates.iter().find(|c| c.cluster_id == d.cluster_id).and_then(|c| c.reason.clone()).or(p.error).unwrap_or_else(|| "it is not open to the project".into());
                return Err(WorkloadError::Invalid(format!("{n} replicas of {} do not fit on {cluster}: {why}.", w.spec.name)));
            }
        }
        Ok(())
    }

    /// Refuses a move to a cluster not opened to the project or without room; returns the
    /// target cluster's name.
    async fn check_room_to_move(&self, w: &WorkloadRecord, from: i64, to: i64) -> Result<String, WorkloadError> {
        let caps = self.capacities.for_project(w.project_id, &w.spec.project).await?;
        let Some(target) = caps.iter().find(|c| c.id == to) else {
            return Err(WorkloadError::Invalid(format!("Choose a cluster opened to {} to move to.", w.spec.project)));
        };
        let Some(source) = w.deployments.iter().find(|d| d.cluster_id == from && d.desired == Desired::Present) else {
            return Err(WorkloadError::Invalid("The workload does not run on the cluster to move from.".into()));
        };
        let demand = Demand { per_replica: w.spec.requests, replicas: source.replicas.max(1) };
        let p = place(&PlacementRule::Clusters(vec![to]), &demand, &caps);
        if p.assignments.is_empty() {
            let why = p.candidates.iter().find(|c| c.cluster_id == to).and_then(|c| c.reason.clone()).or(p.error).unwrap_or_else(|| "no room".into());
            return Err(WorkloadError::Invalid(format!("{} does not fit on {}: {why}.", w.spec.name, target.name)));
        }
        Ok(target.name.clone())
    }
}

/// A form that names clusters must name only clusters opened to the project; the refusal
/// names only those (never another project's clusters).
fn chosen_clusters_opened(spec: &WorkloadSpec, caps: &[flotilla_domain::ClusterCapacity], project: &str) -> Result<(), FieldError> {
    let PlacementRule::Clusters(ids) = &spec.placement else { return Ok(()) };
    if ids.iter().all(|id| caps.iter().any(|c| c.id == *id)) {
        return Ok(());
    }
    let open: Vec<&str> = caps.iter().map(|c| c.name.as_str()).collect();
    let message =
        if open.is_empty() { format!("No cluster is open to {project} yet; ask an administrator to open one.") } else { format!("Choose clusters opened to {project}: {}.", open.join(", ")) };
    Err(FieldError { field: "placement".into(), message })
}
