//! The deployer's records: registering a workload where placement put it, and every change
//! (scale, image, roll-back, pause, move, delete) written as a new revision or desired state
//! for the reconcile loop to carry out.
use super::{DEFAULT_MAX_QUOTA, DEFAULT_QUOTA, Quota, QuotaSettings, WorkloadError, Workloads};
use crate::entity::{project_quota, workload, workload_deployment, workload_schedule};
use chrono::Utc;
use flotilla_domain::rollout::Phase;
use flotilla_domain::schedule::Priority;
use flotilla_domain::workload::WorkloadSpec;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set, SqlErr, TransactionTrait};

/// What should happen to a workload on one cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Desired {
    /// Run it here.
    Present,
    /// Remove it once every `Present` cluster of the workload is available (a move).
    Retire,
    /// Remove it.
    Absent,
}

impl Desired {
    fn as_str(self) -> &'static str {
        match self {
            Self::Present => "present",
            Self::Retire => "retire",
            Self::Absent => "absent",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "retire" => Self::Retire,
            "absent" => Self::Absent,
            _ => Self::Present,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentRecord {
    pub id: i64,
    pub cluster_id: i64,
    pub replicas: u32,
    pub desired: Desired,
    pub applied_revision: u32,
    pub phase: Phase,
    pub message: String,
    pub ready: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadRecord {
    pub id: i64,
    pub project_id: i64,
    pub spec: WorkloadSpec,
    pub revision: u32,
    pub previous: Option<WorkloadSpec>,
    pub paused: bool,
    pub owner_id: i64,
    pub created_by: String,
    pub deployments: Vec<DeploymentRecord>,
}

fn deployment_record(d: workload_deployment::Model) -> DeploymentRecord {
    DeploymentRecord {
        id: d.id,
        cluster_id: d.cluster_id,
        replicas: d.replicas.max(0) as u32,
        desired: Desired::parse(&d.desired),
        applied_revision: d.applied_revision.max(0) as u32,
        phase: Phase::parse(&d.phase),
        message: d.message,
        ready: d.ready.max(0) as u32,
    }
}

fn record(w: workload::Model, deployments: Vec<DeploymentRecord>) -> Result<WorkloadRecord, WorkloadError> {
    Ok(WorkloadRecord {
        id: w.id,
        project_id: w.project_id,
        spec: serde_json::from_str(&w.spec)?,
        revision: w.revision.max(0) as u32,
        previous: w.previous_spec.as_deref().map(serde_json::from_str).transpose()?,
        paused: w.paused,
        owner_id: w.owner_id,
        created_by: w.created_by,
        deployments,
    })
}

fn new_deployment(workload_id: i64, cluster_id: i64, replicas: u32) -> workload_deployment::ActiveModel {
    workload_deployment::ActiveModel {
        workload_id: Set(workload_id),
        cluster_id: Set(cluster_id),
        replicas: Set(replicas as i32),
        desired: Set(Desired::Present.as_str().to_owned()),
        applied_revision: Set(0),
        phase: Set(Phase::Pending.as_str().to_owned()),
        message: Set("waiting to be applied".to_owned()),
        ready: Set(0),
        updated_at: Set(Utc::now()),
        ..Default::default()
    }
}

/// Replicas per running copy for a new total: each chosen cluster runs the full count; a
/// spread keeps its proportions.
pub(super) fn replica_counts(rule: &flotilla_domain::workload::PlacementRule, present: &[&DeploymentRecord], replicas: u32) -> Vec<u32> {
    let spread = matches!(rule, flotilla_domain::workload::PlacementRule::Spread) && present.len() > 1;
    if spread {
        let weights: Vec<u64> = present.iter().map(|d| d.replicas.max(1) as u64).collect();
        flotilla_domain::placement::proportional(replicas, &weights)
    } else {
        vec![replicas; present.len()]
    }
}

impl Workloads {
    /// Records a new workload and where it goes; the reconcile loop deploys it.
    pub async fn create(&self, project_id: i64, owner_id: i64, owner_email: &str, spec: &WorkloadSpec, assignments: &[(i64, u32)]) -> Result<i64, WorkloadError> {
        if assignments.is_empty() {
            return Err(WorkloadError::Invalid("Placement found no cluster for this workload.".into()));
        }
        self.insert(project_id, owner_id, owner_email, spec, assignments).await
    }

    /// Records a workload with its deployments (none for a scheduled workload whose window is closed).
    pub async fn insert(&self, project_id: i64, owner_id: i64, owner_email: &str, spec: &WorkloadSpec, assignments: &[(i64, u32)]) -> Result<i64, WorkloadError> {
        let txn = self.db.conn().begin().await?;
        let now = Utc::now();
        let row = workload::ActiveModel {
            project_id: Set(project_id),
            name: Set(spec.name.to_string()),
            spec: Set(serde_json::to_string(spec)?),
            revision: Set(1),
            previous_spec: Set(None),
            paused: Set(false),
            owner_id: Set(owner_id),
            created_by: Set(owner_email.to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => WorkloadError::Duplicate(spec.name.to_string()),
            _ => WorkloadError::Db(e),
        })?;
        for &(cluster_id, replicas) in assignments {
            new_deployment(row.id, cluster_id, replicas).insert(&txn).await?;
        }
        txn.commit().await?;
        Ok(row.id)
    }

    /// Workloads of the given projects (`None` = all), by project then name.
    pub async fn list(&self, projects: Option<&[i64]>) -> Result<Vec<WorkloadRecord>, WorkloadError> {
        let mut q = workload::Entity::find().order_by_asc(workload::Column::ProjectId).order_by_asc(workload::Column::Name);
        if let Some(p) = projects {
            q = q.filter(workload::Column::ProjectId.is_in(p.iter().copied()));
        }
        let rows = q.all(self.db.conn()).await?;
        let ids: Vec<i64> = rows.iter().map(|w| w.id).collect();
        let mut by_workload: std::collections::HashMap<i64, Vec<DeploymentRecord>> = Default::default();
        if !ids.is_empty() {
            for d in workload_deployment::Entity::find().filter(workload_deployment::Column::WorkloadId.is_in(ids)).order_by_asc(workload_deployment::Column::ClusterId).all(self.db.conn()).await? {
                by_workload.entry(d.workload_id).or_default().push(deployment_record(d));
            }
        }
        rows.into_iter()
            .map(|w| {
                let d = by_workload.remove(&w.id).unwrap_or_default();
                record(w, d)
            })
            .collect()
    }

    pub async fn get(&self, id: i64) -> Result<WorkloadRecord, WorkloadError> {
        let w = workload::Entity::find_by_id(id).one(self.db.conn()).await?.ok_or(WorkloadError::NotFound)?;
        let d = workload_deployment::Entity::find().filter(workload_deployment::Column::WorkloadId.eq(id)).order_by_asc(workload_deployment::Column::ClusterId).all(self.db.conn()).await?;
        record(w, d.into_iter().map(deployment_record).collect())
    }

    /// Writes a new revision: `change` edits the spec (the old one is kept for roll-back).
    pub async fn revise(&self, id: i64, change: impl FnOnce(&mut WorkloadSpec)) -> Result<WorkloadRecord, WorkloadError> {
        let current = self.get(id).await?;
        let mut spec = current.spec.clone();
        change(&mut spec);
        if spec == current.spec {
            return Ok(current);
        }
        self.write_revision(&current, &spec, Some(&current.spec), current.paused).await?;
        if spec.replicas != current.spec.replicas {
            self.rescale(&current, spec.replicas).await?;
        }
        self.get(id).await
    }

    /// Goes back to the spec before the last change (which becomes the one to go back to).
    pub async fn roll_back(&self, id: i64) -> Result<WorkloadRecord, WorkloadError> {
        let current = self.get(id).await?;
        let Some(previous) = current.previous.clone() else {
            return Err(WorkloadError::Invalid("There is no earlier revision to roll back to.".into()));
        };
        self.write_revision(&current, &previous, Some(&current.spec), current.paused).await?;
        if previous.replicas != current.spec.replicas {
            self.rescale(&current, previous.replicas).await?;
        }
        self.get(id).await
    }

    /// Pauses or resumes rolling out changes.
    pub async fn set_paused(&self, id: i64, paused: bool) -> Result<WorkloadRecord, WorkloadError> {
        let current = self.get(id).await?;
        if current.paused != paused {
            self.write_revision(&current, &current.spec, current.previous.as_ref(), paused).await?;
        }
        self.get(id).await
    }

    async fn write_revision(&self, current: &WorkloadRecord, spec: &WorkloadSpec, previous: Option<&WorkloadSpec>, paused: bool) -> Result<(), WorkloadError> {
        let row = workload::Entity::find_by_id(current.id).one(self.db.conn()).await?.ok_or(WorkloadError::NotFound)?;
        let mut row = row.into_active_model();
        row.spec = Set(serde_json::to_string(spec)?);
        row.previous_spec = Set(previous.map(serde_json::to_string).transpose()?);
        row.revision = Set(current.revision as i32 + 1);
        row.paused = Set(paused);
        row.updated_at = Set(Utc::now());
        row.update(self.db.conn()).await?;
        Ok(())
    }

    /// New replica counts per cluster: each chosen cluster runs the full count; a spread keeps its proportions.
    async fn rescale(&self, current: &WorkloadRecord, replicas: u32) -> Result<(), WorkloadError> {
        let present: Vec<&DeploymentRecord> = current.deployments.iter().filter(|d| d.desired == Desired::Present).collect();
        let counts = replica_counts(&current.spec.placement, &present, replicas);
        for (d, n) in present.iter().zip(counts) {
            let Some(row) = workload_deployment::Entity::find_by_id(d.id).one(self.db.conn()).await? else { continue };
            let mut row = row.into_active_model();
            row.replicas = Set(n as i32);
            row.update(self.db.conn()).await?;
        }
        Ok(())
    }

    /// Moves the workload from one cluster to another: it starts there, and is removed here once available there.
    pub async fn move_to(&self, id: i64, from: i64, to: i64) -> Result<WorkloadRecord, WorkloadError> {
        let current = self.get(id).await?;
        let Some(source) = current.deployments.iter().find(|d| d.cluster_id == from && d.desired == Desired::Present) else {
            return Err(WorkloadError::Invalid("The workload does not run on the cluster to move from.".into()));
        };
        if current.deployments.iter().any(|d| d.cluster_id == to && d.desired == Desired::Present) {
            return Err(WorkloadError::Invalid("The workload already runs on the cluster to move to.".into()));
        }
        let txn = self.db.conn().begin().await?;
        // A row left over on the target (being removed) is reused.
        workload_deployment::Entity::delete_many().filter(workload_deployment::Column::WorkloadId.eq(id)).filter(workload_deployment::Column::ClusterId.eq(to)).exec(&txn).await?;
        new_deployment(id, to, source.replicas).insert(&txn).await?;
        let row = workload_deployment::Entity::find_by_id(source.id).one(&txn).await?.ok_or(WorkloadError::NotFound)?;
        let mut row = row.into_active_model();
        row.desired = Set(Desired::Retire.as_str().to_owned());
        row.update(&txn).await?;
        txn.commit().await?;
        self.get(id).await
    }

    /// Deploys the workload (again) on these clusters: new `Present` rows, replacing rows left
    /// over there (a scheduled workload whose window opens, or low-priority work returning).
    pub async fn deploy_to(&self, id: i64, assignments: &[(i64, u32)]) -> Result<WorkloadRecord, WorkloadError> {
        let txn = self.db.conn().begin().await?;
        for &(cluster_id, replicas) in assignments {
            workload_deployment::Entity::delete_many().filter(workload_deployment::Column::WorkloadId.eq(id)).filter(workload_deployment::Column::ClusterId.eq(cluster_id)).exec(&txn).await?;
            new_deployment(id, cluster_id, replicas).insert(&txn).await?;
        }
        txn.commit().await?;
        self.wake();
        self.get(id).await
    }

    /// Takes the workload off one cluster or (`None`) all, keeping its record: a scheduled
    /// workload outside its window, or low-priority work waiting for room.
    pub async fn withdraw(&self, id: i64, cluster: Option<i64>) -> Result<(), WorkloadError> {
        let mut q = workload_deployment::Entity::update_many()
            .col_expr(workload_deployment::Column::Desired, sea_orm::sea_query::Expr::value(Desired::Absent.as_str()))
            .col_expr(workload_deployment::Column::Phase, sea_orm::sea_query::Expr::value(Phase::Removing.as_str()))
            .filter(workload_deployment::Column::WorkloadId.eq(id));
        if let Some(c) = cluster {
            q = q.filter(workload_deployment::Column::ClusterId.eq(c));
        }
        q.exec(self.db.conn()).await?;
        self.wake();
        Ok(())
    }

    /// Sets the replica count on these clusters' running copies and applies them again: a
    /// scheduled workload scaled to zero when its window closes, and back when it opens.
    pub async fn scale_on(&self, id: i64, counts: &[(i64, u32)]) -> Result<(), WorkloadError> {
        let txn = self.db.conn().begin().await?;
        for &(cluster_id, replicas) in counts {
            workload_deployment::Entity::update_many()
                .col_expr(workload_deployment::Column::Replicas, sea_orm::sea_query::Expr::value(replicas as i32))
                .col_expr(workload_deployment::Column::AppliedRevision, sea_orm::sea_query::Expr::value(0))
                .filter(workload_deployment::Column::WorkloadId.eq(id))
                .filter(workload_deployment::Column::ClusterId.eq(cluster_id))
                .filter(workload_deployment::Column::Desired.eq(Desired::Present.as_str()))
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        self.wake();
        Ok(())
    }

    /// Applies the workload again everywhere it runs (its priority changed).
    pub async fn reapply(&self, id: i64) -> Result<(), WorkloadError> {
        workload_deployment::Entity::update_many()
            .col_expr(workload_deployment::Column::AppliedRevision, sea_orm::sea_query::Expr::value(0))
            .filter(workload_deployment::Column::WorkloadId.eq(id))
            .exec(self.db.conn())
            .await?;
        self.wake();
        Ok(())
    }

    /// The workload's priority (normal unless its schedule says otherwise).
    pub async fn priority_of(&self, id: i64) -> Result<Priority, WorkloadError> {
        let row = workload_schedule::Entity::find().filter(workload_schedule::Column::WorkloadId.eq(id)).one(self.db.conn()).await?;
        Ok(row.and_then(|r| Priority::parse(&r.priority)).unwrap_or_default())
    }

    /// Removes the workload from one cluster, or (`None`) from all and then its record.
    pub async fn remove(&self, id: i64, cluster: Option<i64>) -> Result<WorkloadRecord, WorkloadError> {
        let current = self.get(id).await?;
        if cluster.is_none() {
            // Deleting a scheduled workload ends its schedule, so the record goes with its last row.
            workload_schedule::Entity::delete_many().filter(workload_schedule::Column::WorkloadId.eq(id)).exec(self.db.conn()).await?;
        }
        let mut q = workload_deployment::Entity::update_many()
            .col_expr(workload_deployment::Column::Desired, sea_orm::sea_query::Expr::value(Desired::Absent.as_str()))
            .col_expr(workload_deployment::Column::Phase, sea_orm::sea_query::Expr::value(Phase::Removing.as_str()))
            .filter(workload_deployment::Column::WorkloadId.eq(id));
        if let Some(c) = cluster {
            if !current.deployments.iter().any(|d| d.cluster_id == c) {
                return Err(WorkloadError::Invalid("The workload does not run on that cluster.".into()));
            }
            q = q.filter(workload_deployment::Column::ClusterId.eq(c));
        }
        q.exec(self.db.conn()).await?;
        if current.deployments.is_empty() {
            workload::Entity::delete_by_id(id).exec(self.db.conn()).await?;
        }
        Ok(current)
    }

    /// Applies the workload again on one cluster (after what made it fail there was fixed).
    pub async fn retry(&self, id: i64, cluster: i64) -> Result<WorkloadRecord, WorkloadError> {
        let current = self.get(id).await?;
        let Some(d) = current.deployments.iter().find(|d| d.cluster_id == cluster && d.desired == Desired::Present) else {
            return Err(WorkloadError::Invalid("The workload does not run on that cluster.".into()));
        };
        let row = workload_deployment::Entity::find_by_id(d.id).one(self.db.conn()).await?.ok_or(WorkloadError::NotFound)?;
        let mut row = row.into_active_model();
        row.applied_revision = Set(0);
        row.phase = Set(Phase::Pending.as_str().to_owned());
        row.message = Set("applying again".to_owned());
        row.update(self.db.conn()).await?;
        self.get(id).await
    }

    /// Saves what the reconcile loop saw on a cluster.
    pub(super) async fn save_status(&self, d: &DeploymentRecord, applied: Option<u32>, phase: Phase, message: &str, ready: u32) -> Result<(), WorkloadError> {
        let Some(row) = workload_deployment::Entity::find_by_id(d.id).one(self.db.conn()).await? else { return Ok(()) };
        if row.phase == phase.as_str() && row.message == message && row.ready == ready as i32 && applied.is_none() {
            return Ok(());
        }
        let mut row = row.into_active_model();
        if let Some(rev) = applied {
            row.applied_revision = Set(rev as i32);
        }
        row.phase = Set(phase.as_str().to_owned());
        row.message = Set(message.to_owned());
        row.ready = Set(ready as i32);
        row.updated_at = Set(Utc::now());
        row.update(self.db.conn()).await?;
        Ok(())
    }

    /// Forgets a cluster's row once the workload is gone from it; the workload goes with its last row.
    pub(super) async fn forget(&self, workload_id: i64, deployment_id: i64) -> Result<(), WorkloadError> {
        workload_deployment::Entity::delete_by_id(deployment_id).exec(self.db.conn()).await?;
        let left = workload_deployment::Entity::find().filter(workload_deployment::Column::WorkloadId.eq(workload_id)).all(self.db.conn()).await?;
        // A scheduled workload keeps its record between windows.
        let scheduled = workload_schedule::Entity::find().filter(workload_schedule::Column::WorkloadId.eq(workload_id)).one(self.db.conn()).await?.is_some();
        if left.is_empty() && !scheduled {
            workload::Entity::delete_by_id(workload_id).exec(self.db.conn()).await?;
        }
        Ok(())
    }

    /// The project's quota settings (defaults until someone saves them).
    pub async fn quota(&self, project_id: i64) -> Result<QuotaSettings, WorkloadError> {
        Ok(match project_quota::Entity::find_by_id(project_id).one(self.db.conn()).await? {
            Some(q) => QuotaSettings {
                quota: Quota { cpu_m: q.cpu_m.max(0) as u64, mem_b: q.mem_b.max(0) as u64, pods: q.pods.max(0) as u32, gpus: q.gpus.max(0) as u32 },
                max: Quota { cpu_m: q.max_cpu_m.max(0) as u64, mem_b: q.max_mem_b.max(0) as u64, pods: q.max_pods.max(0) as u32, gpus: q.max_gpus.max(0) as u32 },
            },
            None => QuotaSettings { quota: DEFAULT_QUOTA, max: DEFAULT_MAX_QUOTA },
        })
    }

    /// Saves the quota; owners stay within `max`, which only administrators (`set_max`) change.
    /// Every workload of the project is re-applied so clusters get the new quota.
    pub async fn set_quota(&self, project_id: i64, quota: Quota, set_max: Option<Quota>) -> Result<QuotaSettings, WorkloadError> {
        let current = self.quota(project_id).await?;
        let max = set_max.unwrap_or(current.max);
        if quota.cpu_m > max.cpu_m || quota.mem_b > max.mem_b || quota.pods > max.pods || quota.gpus > max.gpus {
            return Err(WorkloadError::Invalid(format!(
                "The quota may be at most {} CPU, {} memory, {} pods and {} GPUs (the ceiling an administrator set for this project).",
                flotilla_domain::CpuMillis(max.cpu_m),
                flotilla_domain::Bytes(max.mem_b),
                max.pods,
                max.gpus
            )));
        }
        if quota.cpu_m == 0 || quota.mem_b == 0 || quota.pods == 0 {
            return Err(WorkloadError::Invalid("A quota of zero would stop every workload; give each limit a positive value.".into()));
        }
        let row = project_quota::ActiveModel {
            project_id: Set(project_id),
            cpu_m: Set(quota.cpu_m as i64),
            mem_b: Set(quota.mem_b as i64),
            pods: Set(quota.pods as i32),
            max_cpu_m: Set(max.cpu_m as i64),
            max_mem_b: Set(max.mem_b as i64),
            max_pods: Set(max.pods as i32),
            gpus: Set(quota.gpus as i32),
            max_gpus: Set(max.gpus as i32),
            updated_at: Set(Utc::now()),
        };
        project_quota::Entity::insert(row)
            .on_conflict(
                sea_orm::sea_query::OnConflict::column(project_quota::Column::ProjectId)
                    .update_columns([
                        project_quota::Column::CpuM,
                        project_quota::Column::MemB,
                        project_quota::Column::Pods,
                        project_quota::Column::MaxCpuM,
                        project_quota::Column::MaxMemB,
                        project_quota::Column::MaxPods,
                        project_quota::Column::Gpus,
                        project_quota::Column::MaxGpus,
                        project_quota::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(self.db.conn())
            .await?;
        // Re-apply: the reconcile loop applies anything whose applied revision is behind.
        workload_deployment::Entity::update_many()
            .col_expr(workload_deployment::Column::AppliedRevision, sea_orm::sea_query::Expr::value(0))
            .filter(
                workload_deployment::Column::WorkloadId
                    .in_subquery(sea_orm::sea_query::Query::select().column(workload::Column::Id).from(workload::Entity).and_where(workload::Column::ProjectId.eq(project_id)).to_owned()),
            )
            .exec(self.db.conn())
            .await?;
        Ok(QuotaSettings { quota, max })
    }
}
