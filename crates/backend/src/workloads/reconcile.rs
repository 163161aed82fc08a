//! The reconcile loop: for every (workload, cluster) record, apply what is behind, read the
//! state back in words, carry out moves and removals. Clusters are handled concurrently, so
//! an unreachable one only marks its own records.
use super::records::{DeploymentRecord, Desired, WorkloadRecord};
use super::manifests::Shape;
use super::{WorkloadError, Workloads, kube};
use flotilla_domain::rollout::{Phase, classify};
use std::time::Duration;

impl Workloads {
    /// One pass over every record; returns how many records it looked at.
    pub async fn reconcile_once(&self) -> Result<usize, WorkloadError> {
        let all = self.list(None).await?;
        let mut by_cluster: std::collections::BTreeMap<i64, Vec<(&WorkloadRecord, &DeploymentRecord)>> = Default::default();
        for w in &all {
            for d in &w.deployments {
                by_cluster.entry(d.cluster_id).or_default().push((w, d));
            }
        }
        let n = by_cluster.values().map(Vec::len).sum();
        let passes = by_cluster.into_iter().map(|(cluster_id, items)| async move {
            for (w, d) in items {
                if let Err(e) = self.reconcile_one(cluster_id, w, d).await {
                    tracing::warn!(workload = %w.spec.name, cluster_id, "reconcile: {e}");
                }
            }
        });
        futures::future::join_all(passes).await;
        Ok(n)
    }

    async fn reconcile_one(&self, cluster_id: i64, w: &WorkloadRecord, d: &DeploymentRecord) -> Result<(), WorkloadError> {
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
                kube::remove_workload(&client, w.id, project, name).await?;
                self.forget(w.id, d.id).await
            }
            Desired::Retire => {
                let present: Vec<&DeploymentRecord> = w.deployments.iter().filter(|x| x.desired == Desired::Present).collect();
                if present.iter().all(|x| x.phase == Phase::Available) {
                    kube::remove_workload(&client, w.id, project, name).await?;
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
                        kube::ensure_namespace(&client, project, quota).await?;
                        kube::apply_workload(&client, w.id, &w.spec, &shape).await
                    }
                    .await;
                    if let Err(e) = result {
                        return self.save_status(d, None, Phase::Failed, &format!("the cluster refused the workload: {e}"), 0).await;
                    }
                    applied = Some(w.revision);
                }
                let observed = kube::observe(&client, w.id, project, name).await?;
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
                if let Err(e) = this.reconcile_once().await {
                    tracing::warn!("workload reconcile: {e}");
                }
            }
        })
    }
}
