//! The per-cluster control loop: a tokio task that, whenever the store changes (or a timer is due),
//! runs the controller-manager half (deployment controller, taint eviction, quota status; all idle
//! while `Cluster::pause_controllers` holds) and then the scheduler and simulated kubelet in one pass.

pub mod deployment;
pub mod kubelet;
pub mod taint_eviction;

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
    let mut evictions = taint_eviction::TaintEviction::default();
    loop {
        let next_due = {
            let mut st = cluster.store.lock();
            let now = Instant::now();
            let controllers = !cluster.controllers_paused();
            let mut due = None;
            if controllers {
                deployment::reconcile(&cluster, &mut st, &mut deploy);
                due = evictions.reconcile(&mut st, now);
            }
            scheduler::schedule(&mut st);
            let kubelet_due = kubelet.reconcile(&mut st, cluster.opts.pod_start_delay, now);
            if controllers {
                admission::refresh_quota_status(&mut st);
            }
            due.into_iter().chain(kubelet_due).min()
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
