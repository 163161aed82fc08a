//! What placement is told about each cluster, read from the collector's live inventory: every
//! node's free allocatable (allocatable − requested), the cluster totals, whether it can be
//! reached, and how much of the project's quota is left in its namespace there. [`Capacities`]
//! is the one assembly every caller uses (registration, preview, scale, move, the scheduler):
//! only the clusters opened to the project, its quota there, and today's prices.
use super::manifests::Quota;
use super::{WorkloadError, Workloads};
use crate::collector::ClusterState;
use crate::{Collector, Ledger, Projects};
use flotilla_domain::inventory::HealthState;
use flotilla_domain::placement::{ClusterCapacity, NodeFree, QuotaFree};
use flotilla_domain::workload::Resources;

/// Placement inputs for a project's workloads.
#[derive(Clone, Debug)]
pub struct Capacities {
    collector: Collector,
    ledger: Ledger,
    workloads: Workloads,
    projects: Projects,
}

impl Capacities {
    pub fn new(collector: Collector, ledger: Ledger, workloads: Workloads, projects: Projects) -> Self {
        Self { collector, ledger, workloads, projects }
    }

    pub fn collector(&self) -> &Collector {
        &self.collector
    }

    /// The clusters opened to the project, as placement sees them now, with today's prices
    /// (for the monthly estimate and the "cheapest" rule).
    pub async fn for_project(&self, project_id: i64, project: &str) -> Result<Vec<ClusterCapacity>, WorkloadError> {
        let quota = self.workloads.quota(project_id).await?.quota;
        let opened = self.projects.opened(project_id).await?;
        let states: Vec<ClusterState> = self.collector.states().into_iter().filter(|s| opened.contains(&s.summary.id)).collect();
        let mut out = capacities(&states, project, quota);
        for (c, s) in out.iter_mut().zip(&states) {
            c.prices = self.ledger.unit_prices(s).await.map_err(|e| WorkloadError::Invalid(format!("cannot look up the prices of {}: {e}", s.summary.name)))?;
        }
        Ok(out)
    }
}

/// Capacities of the given clusters for a workload of `project`. A namespace without a quota
/// yet gets `quota` (Flotilla applies it on first deploy).
pub fn capacities(states: &[ClusterState], project: &str, quota: Quota) -> Vec<ClusterCapacity> {
    states.iter().map(|s| capacity(s, project, quota)).collect()
}

fn capacity(s: &ClusterState, project: &str, quota: Quota) -> ClusterCapacity {
    let d = &s.derived;
    let reachable = matches!(s.health.state, HealthState::Connected | HealthState::Degraded);
    let (available, unavailable_reason) = if !s.summary.enabled {
        (false, Some("disabled by an administrator".to_owned()))
    } else if !reachable {
        (false, Some(format!("{}: {}", s.health.state.label(), s.health.detail)))
    } else if let Some(words) = s.forbidden_words() {
        (false, Some(format!("{words}, so it cannot tell whether a workload fits (an administrator must give its credentials the permission)")))
    } else if !s.synced {
        (false, Some("its inventory is still loading".to_owned()))
    } else {
        (true, None)
    };
    let mut nodes = Vec::with_capacity(d.nodes.len());
    let mut allocatable = Resources::default();
    let mut allocatable_pods = 0;
    for n in &d.nodes {
        nodes.push(NodeFree {
            name: n.name.clone(),
            cpu_m: n.allocatable.cpu_m.saturating_sub(n.requested.cpu_m),
            mem_b: n.allocatable.mem_b.saturating_sub(n.requested.mem_b),
            pods: n.allocatable_pods.saturating_sub(n.pods),
            gpu: n.gpu,
            refuses: n.refuses.clone(),
            avoid: n.avoid,
        });
        // A node that refuses new pods is no capacity to place against.
        if n.refuses.is_some() {
            continue;
        }
        allocatable.cpu_m += n.allocatable.cpu_m;
        allocatable.mem_b += n.allocatable.mem_b;
        allocatable.gpu += n.gpu;
        allocatable_pods += n.allocatable_pods;
    }
    let ns = d.namespaces.iter().find(|ns| ns.name == super::manifests::namespace_name(project));
    let quota_free = Some(match ns {
        Some(ns) => {
            // The collector reports the tightest quota; ours joins it on first deploy.
            let tight = |theirs: Option<u64>, ours: u64| theirs.map_or(ours, |t| t.min(ours));
            QuotaFree {
                cpu_m: Some(tight(ns.quota_cpu_m, quota.cpu_m).saturating_sub(ns.requested.cpu_m)),
                mem_b: Some(tight(ns.quota_mem_b, quota.mem_b).saturating_sub(ns.requested.mem_b)),
                pods: Some(ns.quota_pods.map_or(quota.pods, |p| p.min(quota.pods)).saturating_sub(ns.pods)),
                gpus: Some(ns.quota_gpus_left.map_or(quota.gpus, |g| g.min(quota.gpus))),
            }
        }
        None => QuotaFree { cpu_m: Some(quota.cpu_m), mem_b: Some(quota.mem_b), pods: Some(quota.pods), gpus: Some(quota.gpus) },
    });
    ClusterCapacity { id: s.summary.id, name: s.summary.name.clone(), available, unavailable_reason, nodes, allocatable, allocatable_pods, quota_free, prices: None }
}
