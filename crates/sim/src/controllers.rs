//! The per-cluster control loop: a tokio task that, whenever the store changes (or a timer is due),
//! runs the deployment controller, quota status, scheduler and simulated kubelet in one pass.

pub mod deployment;
pub mod kubelet;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::admission;
use crate::cluster::Cluster;
use crate::scheduler;

/// Runs until `shutdown` flips to true.
pub async fn run(cluster: Arc<Cluster>, mut shutdown: watch::Receiver<bool>) {
    let mut deploy = deployment::DeploymentCtl::default();
    let mut kubelet = kubelet::Kubelet::new(cluster.index);
    loop {
        let next_due = {
            let mut st = cluster.store.lock();
            deployment::reconcile(&cluster, &mut st, &mut deploy);
            scheduler::schedule(&mut st);
            let due = kubelet.reconcile(&mut st, cluster.opts.pod_start_delay, Instant::now());
            admission::refresh_quota_status(&mut st);
            due
        };
        let sleep_for = next_due
            .map(|t| t.saturating_duration_since(Instant::now()))
            // Nothing due: sleep until the store changes (no periodic full passes over idle clusters).
            .unwrap_or(Duration::from_secs(3600))
            .max(Duration::from_millis(1));
        tokio::select! {
            _ = cluster.notify.notified() => {
                // Let a burst of API writes land before the next pass.
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            _ = tokio::time::sleep(sleep_for) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}
