//! The reconcile loop: for every (workload, cluster) record, apply what is behind, read the
//! state back in words, carry out moves and removals. Each cluster has its own lane: the loop
//! starts a cluster's pass only when its previous one has finished, and never waits for it,
//! so a blackholed cluster (calls that hang until their timeout) delays only its own records;
//! a cluster whose pass failed to reach it is retried with backoff (2 s doubling to 1 min),
//! like kube-runtime's `Controller` with an error policy.
use super::manifests::{Shape, namespace_name};
use super::records::{DeploymentRecord, Desired, WorkloadRecord};
use super::{WorkloadError, Workloads, cluster_calls};
use flotilla_domain::inventory::HealthState;
use flotilla_domain::rollout::{Phase, classify};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Items = Vec<(WorkloadRecord, DeploymentRecord)>;

/// Which clusters have a pass running, and when a failing one may be tried again.
#[derive(Default)]
struct Lanes {
    busy: Mutex<std::collections::HashSet<i64>>,
    /// (consecutive failed passes, not before).
    backoff: Mutex<HashMap<i64, (u32, Instant)>>,
}

impl Lanes {
    /// Claims the cluster's lane when it is free and not backing off.
    fn claim(&self, cluster_id: i64) -> bool {
        if self.backoff.lock().get(&cluster_id).is_some_and(|(_, at)| Instant::now() < *at) {
            return false;
        }
        self.busy.lock().insert(cluster_id)
    }

    fn release(&self, cluster_id: i64, reached: bool) {
        let mut backoff = self.backoff.lock();
        if reached {
            backoff.remove(&cluster_id);
        } else {
            let failures = backoff.get(&cluster_id).map_or(0, |(n, _)| *n) + 1;
            let wait = Duration::from_secs(2).saturating_mul(2u32.saturating_pow(failures - 1)).min(Duration::from_secs(60));
            backoff.insert(cluster_id, (failures, Instant::now() + wait));
        }
        drop(backoff);
        self.busy.lock().remove(&cluster_id);
    }
}

impl Workloads {
    /// Every record, grouped by the cluster it is on.
    async fn by_cluster(&self) -> Result<BTreeMap<i64, Items>, WorkloadError> {
        let mut out: BTreeMap<i64, Items> = BTreeMap::new();
        for w in self.list(None).await? {
            for d in &w.deployments {
                out.entry(d.cluster_id).or_default().push((w.clone(), d.clone()));
            }
        }
        Ok(out)
    }

    /// One cluster's records, in order; false when the cluster could not be reached.
    async fn reconcile_cluster(&self, cluster_id: i64, items: Items) -> bool {
        let mut reached = true;
        for (w, d) in &items {
            if let Err(e) = self.reconcile_one(cluster_id, w, d).await {
                reached &= !matches!(e, WorkloadError::Cluster(_) | WorkloadError::Kube(_));
                tracing::warn!(workload = %w.spec.name, cluster_id, "reconcile: {e}");
            }
        }
        reached
    }

    /// Starts a pass on every cluster whose lane is free, without waiting for any of them.
    async fn dispatch(&self, lanes: &Arc<Lanes>) -> Result<(), WorkloadError> {
        for (cluster_id, items) in self.by_cluster().await? {
            if !lanes.claim(cluster_id) {
                continue;
            }
            let (this, lanes) = (self.clone(), lanes.clone());
            tokio::spawn(async move {
                let reached = this.reconcile_cluster(cluster_id, items).await;
                lanes.release(cluster_id, reached);
            });
        }
        Ok(())
    }

    /// One pass over every record, all clusters at once, waiting for the slowest (tests and
    /// tools that want a pass to be over); returns how many records it looked at.
    pub async fn reconcile_once(&self) -> Result<usize, WorkloadError> {
        let by_cluster = self.by_cluster().await?;
        let n = by_cluster.values().map(Vec::len).sum();
        futures::future::join_all(by_cluster.into_iter().map(|(cluster_id, items)| self.reconcile_cluster(cluster_id, items))).await;
        Ok(n)
    }

    async fn reconcile_one(&self, cluster_id: i64, w: &WorkloadRecord, d: &DeploymentRecord) -> Result<(), WorkloadError> {
        // The collector's probe says the cluster is unreachable: no call would get through.
        let unreachable = self.collector.as_ref().and_then(|c| c.state(cluster_id)).filter(|s| s.health.state == HealthState::Unreachable);
        if let Some(s) = unreachable {
            let phase = if d.applied_revision == 0 { Phase::Pending } else { d.phase };
            return self.save_status(d, None, phase, &format!("cannot reach the cluster: {}", s.health.detail), d.ready).await;
        }
        let client = match self.client(cluster_id).await {
            Ok(c) => c,
            Err(e) => {
                let phase = if d.applied_revision == 0 { Phase::Pending } else { d.phase };
                return self.save_status(d, None, phase, &format!("cannot reach the cluster: {e}"), d.ready).await;
            }
        };
        let project = &w.spec.project;
        let name = w.spec.name.as_str();
        match d.desired {
            Desired::Absent => {
                cluster_calls::remove_workload(&client, w.id, project, name).await?;
                self.forget(w.id, d.id).await
            }
            Desired::Retire => {
                let present: Vec<&DeploymentRecord> = w.deployments.iter().filter(|x| x.desired == Desired::Present).collect();
                if present.iter().all(|x| x.phase == Phase::Available) {
                    cluster_calls::remove_workload(&client, w.id, project, name).await?;
                    self.forget(w.id, d.id).await
                } else {
                    self.save_status(d, None, Phase::Progressing, "moving: kept running until the new cluster is available", d.ready).await
                }
            }
            Desired::Present => {
                let mut applied = None;
                if d.applied_revision < w.revision {
                    let quota = self.quota(w.project_id).await?.quota;
                    let shape = Shape { replicas: d.replicas, revision: w.revision, paused: w.paused, priority: self.priority_of(w.id).await? };
                    let result = async {
                        cluster_calls::ensure_namespace(&client, project, w.project_id, quota).await?;
                        cluster_calls::apply_workload(&client, w.id, &w.spec, &shape).await
                    }
                    .await;
                    if let Err(e) = result {
                        return self.save_status(d, None, Phase::Failed, &format!("the cluster refused the workload: {e}"), 0).await;
                    }
                    applied = Some(w.revision);
                }
                // Just applied: the store may not have the change yet, so ask the cluster.
                let stored = match applied {
                    None => self.collector.as_ref().and_then(|c| c.rollout(cluster_id, namespace_name(project), name, w.id, d.applied_revision)),
                    Some(_) => None,
                };
                let observed = match stored {
                    Some(o) => o,
                    None => cluster_calls::observe(&client, w.id, project, name).await?,
                };
                let (phase, message) = classify(&observed);
                self.save_status(d, applied, phase, &message, observed.ready).await
            }
        }
    }

    /// Runs [`reconcile_once`](Self::reconcile_once) every `every` until the task is dropped.
    pub fn spawn_loop(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        self.spawn_loop_leased(every, None)
    }

    /// Like [`spawn_loop`](Self::spawn_loop), but with several replicas only the one holding
    /// `lease` applies (the others stand by and take over when its lease runs out).
    pub fn spawn_loop_leased(&self, every: Duration, lease: Option<crate::scheduler::Lease>) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        let lanes = Arc::new(Lanes::default());
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = this.nudge.notified() => {}
                }
                if let Some(lease) = &lease
                    && !lease.held(chrono::Utc::now()).await
                {
                    continue;
                }
                if let Err(e) = this.dispatch(&lanes).await {
                    tracing::warn!("workload reconcile: {e}");
                }
            }
        })
    }
}
