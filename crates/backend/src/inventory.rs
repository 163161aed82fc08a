//! What each caller sees of the live inventory: administrators everything; others the clusters
//! where their projects have namespaces, only those namespaces, and only their pods. The fleet
//! map, cluster page and REST API all go through here, filtered on the server.
use crate::collector::ClusterState;
use flotilla_domain::inventory::{ClusterDetail, ClusterHealth, ClusterTile, FleetMap, HealthState, NamespaceView, NodeCell, Totals};
use flotilla_domain::{ClusterSummary, Kind, ProjectSummary, Subject, Target, Verb, allows};
use std::collections::{HashMap, HashSet};

/// Which namespaces a caller may see.
#[derive(Debug, Clone)]
pub struct Visibility {
    all: bool,
    /// Project name → may read its namespaces.
    projects: HashMap<String, bool>,
}

impl Visibility {
    pub fn for_subject(subject: &Subject, projects: &[ProjectSummary]) -> Self {
        let portal = Target { kind: Kind::Namespace, project: None, owner: None };
        Self {
            all: allows(subject, Verb::Read, &portal).is_allowed(),
            projects: projects.iter().map(|p| (p.name.clone(), allows(subject, Verb::Read, &Target { kind: Kind::Namespace, project: Some(p.id), owner: None }).is_allowed())).collect(),
        }
    }

    /// Everything (administrators).
    pub fn everything(projects: &[ProjectSummary]) -> Self {
        Self { all: true, projects: projects.iter().map(|p| (p.name.clone(), true)).collect() }
    }

    pub fn sees_everything(&self) -> bool {
        self.all
    }

    /// The project a namespace belongs to: its `flotilla.io/project` label, else a project of the same name.
    pub fn project_of(&self, ns: &NamespaceView) -> Option<String> {
        flotilla_domain::inventory::project_of_namespace(&ns.name, ns.project.as_deref(), |n| self.projects.contains_key(n)).map(str::to_owned)
    }

    pub fn namespace(&self, ns: &NamespaceView) -> bool {
        self.all || self.project_of(ns).is_some_and(|p| self.projects.get(&p).copied().unwrap_or(false))
    }
}

/// Health of a cluster the collector does not watch.
pub fn unwatched_health(summary: &ClusterSummary) -> ClusterHealth {
    let (state, detail) = if !summary.enabled {
        (HealthState::Disabled, "disabled by an administrator".to_owned())
    } else {
        (HealthState::Unreachable, "no credentials: an administrator must connect this cluster".to_owned())
    };
    ClusterHealth { state, since_ms: 0, last_seen_ms: None, detail, version: None }
}

/// The fleet map for one caller. `clusters` is the directory (including disabled clusters);
/// `states` the collector's live states.
pub fn fleet_map(generation: u64, clusters: &[ClusterSummary], states: &[ClusterState], vis: &Visibility) -> FleetMap {
    let by_id: HashMap<i64, &ClusterState> = states.iter().map(|s| (s.summary.id, s)).collect();
    let mut tiles = Vec::new();
    for summary in clusters {
        let Some(state) = by_id.get(&summary.id) else {
            if vis.sees_everything() {
                tiles.push(ClusterTile { cluster: summary.clone(), health: unwatched_health(summary), metrics_live: false, nodes: vec![], namespaces: vec![], pods: 0, forbidden: vec![] });
            }
            continue;
        };
        let d = &state.derived;
        // Old index → new index among the visible namespaces.
        let mut remap: HashMap<u16, u16> = HashMap::new();
        let mut namespaces = Vec::new();
        let mut pods = 0;
        for (i, ns) in d.namespaces.iter().enumerate() {
            if vis.namespace(ns) {
                remap.insert(i as u16, namespaces.len() as u16);
                namespaces.push((ns.name.clone(), vis.project_of(ns)));
                pods += ns.pods;
            }
        }
        if !vis.sees_everything() && namespaces.is_empty() {
            continue;
        }
        let nodes = d.nodes.iter().zip(&d.node_namespaces).map(|(n, nss)| NodeCell::from_node(n, nss.iter().filter_map(|i| remap.get(i).copied()).collect())).collect();
        tiles.push(ClusterTile {
            cluster: state.summary.clone(),
            health: state.health.clone(),
            metrics_live: state.metrics_live,
            nodes,
            namespaces,
            pods,
            forbidden: state.forbidden.iter().map(|k| (*k).to_owned()).collect(),
        });
    }
    FleetMap { generation, tiles }
}

/// The cluster page for one caller; `None` when the caller may not see the cluster at all.
pub fn cluster_detail(summary: &ClusterSummary, state: Option<&ClusterState>, vis: &Visibility) -> Option<ClusterDetail> {
    let Some(state) = state else {
        return vis.sees_everything().then(|| ClusterDetail {
            cluster: summary.clone(),
            health: unwatched_health(summary),
            metrics_live: false,
            totals: Totals::default(),
            nodes: vec![],
            namespaces: vec![],
            forbidden: vec![],
        });
    };
    let namespaces: Vec<NamespaceView> = state.derived.namespaces.iter().filter(|ns| vis.namespace(ns)).map(|ns| NamespaceView { project: vis.project_of(ns), ..ns.clone() }).collect();
    if !may_see(Some(state), vis) {
        return None;
    }
    Some(ClusterDetail {
        cluster: for_caller(state.summary.clone(), vis),
        health: state.health.clone(),
        metrics_live: state.metrics_live,
        totals: Totals::of(&state.derived.nodes),
        nodes: state.derived.nodes.clone(),
        namespaces,
        forbidden: state.forbidden.iter().map(|k| (*k).to_owned()).collect(),
    })
}

/// The registered clusters a caller may see (a cheap cut of `fleet_map`: no node cells).
pub fn visible_clusters(clusters: Vec<ClusterSummary>, states: &[ClusterState], vis: &Visibility) -> Vec<ClusterSummary> {
    if vis.sees_everything() {
        return clusters;
    }
    let by_id: HashMap<i64, &ClusterState> = states.iter().map(|s| (s.summary.id, s)).collect();
    clusters.into_iter().filter(|c| by_id.get(&c.id).is_some_and(|s| s.derived.namespaces.iter().any(|ns| vis.namespace(ns)))).map(|c| for_caller(c, vis)).collect()
}

/// A cluster as the caller may see it: the API server's address is for administrators (those
/// who see the whole fleet) only.
pub fn for_caller(mut c: ClusterSummary, vis: &Visibility) -> ClusterSummary {
    if !vis.sees_everything() {
        c.api_server.clear();
    }
    c
}

/// The names of the namespaces of a cluster the caller may see (for pod listings).
/// May the caller see this cluster at all: everything, or one of its namespaces.
pub fn may_see(state: Option<&ClusterState>, vis: &Visibility) -> bool {
    vis.sees_everything() || state.is_some_and(|s| s.derived.namespaces.iter().any(|ns| vis.namespace(ns)))
}

pub fn visible_namespaces(state: &ClusterState, vis: &Visibility) -> HashSet<String> {
    state.derived.namespaces.iter().filter(|ns| vis.namespace(ns)).map(|ns| ns.name.clone()).collect()
}
