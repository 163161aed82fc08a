//! Server functions for the fleet map and cluster pages: the live inventory, filtered per caller
//! on the server (administrators see everything; others only their projects' namespaces).
use crate::error::AppError;
use flotilla_domain::{ClusterDetail, ClusterSummary, FleetMap, Heatmap, Metric, PodView};
use leptos::prelude::*;

/// What of the fleet the caller may see: visible clusters and namespaces, costs cut to them.
#[cfg(feature = "ssr")]
mod visible {
    use crate::error::AppError;
    use crate::guard::Request;
    use flotilla_backend::inventory::Visibility;

    pub const NO_PROJECTS: &str = "see clusters yet: you are in no project. Ask an administrator to add you to one (or to map your SSO group)";

    /// The caller's view of the fleet: signed in, in some project (or an administrator).
    pub async fn visibility(r: &Request) -> Result<Visibility, AppError> {
        let caller = r.signed_in()?;
        if !flotilla_domain::may_read_clusters(&caller.subject) {
            return Err(AppError::Forbidden(NO_PROJECTS.into()));
        }
        let projects = r.state.people.projects().await.map_err(AppError::internal("load the projects"))?;
        Ok(Visibility::for_subject(&caller.subject, &projects))
    }

    /// A cluster's live costs cut to what the caller may see: without every namespace, only
    /// their namespaces' lines, and no cluster total or idle cost.
    pub fn for_caller(mut live: flotilla_domain::LiveCosts, state: &flotilla_backend::ClusterState, vis: &Visibility) -> flotilla_domain::LiveCosts {
        if !vis.sees_everything() {
            let allowed = flotilla_backend::inventory::visible_namespaces(state, vis);
            live.lines.retain(|(ns, _, _)| allowed.contains(ns));
            live.per_hour = None;
            live.idle = None;
        }
        live
    }

    pub fn not_found() -> AppError {
        AppError::NotFound("This cluster".into())
    }

    /// The caller's view and the cluster's live state, if the cluster exists and the caller
    /// may see it (else "not found").
    pub async fn seen_cluster(r: &Request, id: i64) -> Result<(Visibility, Option<flotilla_backend::ClusterState>), AppError> {
        let vis = visibility(r).await?;
        let state = r.state.collector.state(id);
        r.state.clusters.get(id).await.map_err(|_| not_found())?;
        if !flotilla_backend::inventory::may_see(state.as_ref(), &vis) {
            return Err(not_found());
        }
        Ok((vis, state))
    }
}

/// The registered clusters the caller may see.
#[server]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    let r = crate::guard::request()?;
    let vis = visible::visibility(&r).await?;
    let all = r.state.clusters.list().await.map_err(AppError::internal("load the cluster list"))?;
    Ok(flotilla_backend::inventory::visible_clusters(all, &r.state.collector.states(), &vis))
}

/// The fleet map; `None` when nothing changed since generation `since` (cheap polling).
#[server]
pub async fn load_fleet_map(since: Option<u64>) -> Result<Option<FleetMap>, AppError> {
    let r = crate::guard::request()?;
    let vis = visible::visibility(&r).await?;
    let generation = r.state.collector.generation();
    if since == Some(generation) {
        return Ok(None);
    }
    let all = r.state.clusters.list().await.map_err(AppError::internal("load the cluster list"))?;
    Ok(Some(flotilla_backend::inventory::fleet_map(generation, &all, &r.state.collector.states(), &vis)))
}

/// One cluster: health, totals, nodes and the namespaces the caller may see.
#[server]
pub async fn load_cluster(id: i64) -> Result<ClusterDetail, AppError> {
    let r = crate::guard::request()?;
    let vis = visible::visibility(&r).await?;
    let summary = match r.state.clusters.get(id).await {
        Ok(s) => s,
        Err(flotilla_backend::FleetError::NotFound(_)) => return Err(visible::not_found()),
        Err(e) => return Err(AppError::internal("load the cluster")(e)),
    };
    let state = r.state.collector.state(id);
    flotilla_backend::inventory::cluster_detail(&summary, state.as_ref(), &vis).ok_or_else(visible::not_found)
}

/// Pods of a cluster the caller may see, optionally on one node and/or in one namespace.
#[server]
pub async fn cluster_pods(id: i64, node: Option<String>, namespace: Option<String>) -> Result<Vec<PodView>, AppError> {
    let r = crate::guard::request()?;
    let vis = visible::visibility(&r).await?;
    let Some(state) = r.state.collector.state(id) else {
        return if vis.sees_everything() { Ok(vec![]) } else { Err(visible::not_found()) };
    };
    let mut allowed: Vec<String> = flotilla_backend::inventory::visible_namespaces(&state, &vis).into_iter().collect();
    if !vis.sees_everything() && allowed.is_empty() {
        return Err(visible::not_found());
    }
    if let Some(words) = state.may_not_list(&["pods"]) {
        return Err(AppError::ClusterForbids(words));
    }
    if let Some(ns) = namespace.filter(|n| !n.is_empty()) {
        allowed.retain(|n| *n == ns);
    }
    Ok(r.state.collector.pods(id, node.as_deref().filter(|n| !n.is_empty()), Some(&allowed)))
}

/// One node: its facts and the pods on it the caller may see, each with its project and its
/// share of its workload's cost now (workload cost split evenly over its replicas).
#[server]
pub async fn load_node(id: i64, node: String) -> Result<flotilla_domain::NodeDetail, AppError> {
    use flotilla_domain::{NodeDetail, NodePod};
    let detail = load_cluster(id).await?;
    if let Some(words) = detail.may_not_list("nodes") {
        return Err(AppError::ClusterForbids(words));
    }
    let Some(view) = detail.nodes.iter().find(|n| n.name == node).cloned() else {
        return Err(AppError::NotFound(format!("Node {node} on {}", detail.cluster.display_name)));
    };
    let everywhere = cluster_pods(id, None, None).await?;
    let live = cluster_costs_now(id).await.ok().flatten();
    let replicas = |ns: &str, workload: &str| everywhere.iter().filter(|p| p.namespace == ns && p.workload == workload).count().max(1) as f64;
    let project_of = |ns: &str| detail.namespaces.iter().find(|n| n.name == ns).and_then(|n| n.project.clone());
    let pods = everywhere
        .iter()
        .filter(|p| p.node.as_deref() == Some(node.as_str()))
        .map(|p| {
            let cost = live.as_ref().map(|l| l.lines.iter().find(|(ns, w, _)| *ns == p.namespace && *w == p.workload).map_or(0.0, |(_, _, c)| c / replicas(&p.namespace, &p.workload)));
            NodePod { pod: p.clone(), project: project_of(&p.namespace), cost_per_hour: cost }
        })
        .collect();
    Ok(NodeDetail {
        cluster_id: id,
        cluster: detail.cluster.display_name.clone(),
        node: view,
        pods,
        currency: live.map(|l| l.currency).unwrap_or_else(|| "USD".into()),
        metrics_live: detail.metrics_live,
    })
}

/// Utilisation history of a cluster's nodes (`by = "node"`) or namespaces, over `hours`.
#[server]
pub async fn cluster_heatmap(id: i64, by: String, metric: Metric, hours: u32) -> Result<Heatmap, AppError> {
    use flotilla_backend::HeatScope;
    let r = crate::guard::request()?;
    let (vis, state) = visible::seen_cluster(&r, id).await?;
    let scope = if by == "namespace" { HeatScope::Namespace } else { HeatScope::Node };
    let hours = hours.clamp(1, 24 * 7);
    // One column per minute for the last hour, per hour otherwise.
    let buckets = if hours == 1 { 60 } else { hours as usize };
    let mut map = r.state.snapshots.heatmap(id, scope, metric, chrono::Duration::hours(hours.into()), buckets).await.map_err(AppError::internal("load the utilisation history"))?;
    if scope == HeatScope::Namespace
        && let Some(state) = &state
    {
        let visible = flotilla_backend::inventory::visible_namespaces(state, &vis);
        map.rows.retain(|row| visible.contains(&row.name));
    }
    Ok(map)
}

/// What a cluster costs per hour now, split over namespaces and workloads with today's prices.
/// Those who see the whole cluster also get its total and idle cost; others only the lines of
/// the namespaces they may see.
#[server]
pub async fn cluster_costs_now(id: i64) -> Result<Option<flotilla_domain::LiveCosts>, AppError> {
    let r = crate::guard::request()?;
    let (vis, state) = visible::seen_cluster(&r, id).await?;
    let Some(state) = state else { return Ok(None) };
    // Costs split pods' requests over nodes' prices: without either they are unknown, not 0.
    if let Some(words) = state.may_not_list(&["nodes", "pods"]) {
        return Err(AppError::ClusterForbids(words));
    }
    let live = r.state.ledger.live(&r.state.collector, id).await.map_err(AppError::internal("compute the cluster's costs"))?;
    Ok(live.map(|l| visible::for_caller(l, &state, &vis)))
}

/// What each cluster the caller sees costs per hour now (the world map's hover): the whole
/// cluster for those who see every namespace, else only the caller's namespaces on it.
#[server]
pub async fn fleet_costs_now() -> Result<Vec<flotilla_domain::ClusterCostNow>, AppError> {
    let r = crate::guard::request()?;
    let vis = visible::visibility(&r).await?;
    let mut out = Vec::new();
    for state in r.state.collector.states() {
        if !flotilla_backend::inventory::may_see(Some(&state), &vis) {
            continue;
        }
        let id = state.summary.id;
        if let Some(live) = r.state.ledger.live(&r.state.collector, id).await.map_err(AppError::internal("compute the clusters' costs"))? {
            out.push(flotilla_domain::ClusterCostNow::of(id, &visible::for_caller(live, &state, &vis)));
        }
    }
    Ok(out)
}
