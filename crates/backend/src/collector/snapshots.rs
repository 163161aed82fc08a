//! Utilisation history: every minute, one row per cluster, node and namespace from the live
//! inventory; kept for a configurable number of days; read back as heatmaps.
use super::{ClusterState, Collector};
use crate::Database;
use crate::entity::utilisation_snapshot as snap;
use chrono::{DateTime, Duration, DurationRound, Utc};
use flotilla_domain::inventory::{HeatRow, Heatmap, Metric, Usage};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct Snapshots {
    db: Database,
}

/// Which rows a heatmap shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeatScope {
    Node,
    Namespace,
}

impl HeatScope {
    fn as_str(self) -> &'static str {
        match self {
            Self::Node => "node",
            Self::Namespace => "namespace",
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn row(cluster_id: i64, scope: &str, name: &str, at: DateTime<Utc>, alloc: Usage, alloc_pods: u32, req: Usage, pods: u32, used: Option<Usage>) -> snap::ActiveModel {
    snap::ActiveModel {
        cluster_id: Set(cluster_id),
        scope: Set(scope.to_owned()),
        name: Set(name.to_owned()),
        at: Set(at),
        cpu_alloc_m: Set(alloc.cpu_m as i64),
        mem_alloc_b: Set(alloc.mem_b as i64),
        pods_alloc: Set(alloc_pods.into()),
        cpu_req_m: Set(req.cpu_m as i64),
        mem_req_b: Set(req.mem_b as i64),
        pods: Set(pods.into()),
        cpu_used_m: Set(used.map(|u| u.cpu_m as i64)),
        mem_used_b: Set(used.map(|u| u.mem_b as i64)),
        ..Default::default()
    }
}

/// The rows for one cluster at `at` (nothing for a cluster not fully listed yet or
/// unreachable now: gaps are left as gaps, never invented from a stale inventory).
pub fn rows_for(state: &ClusterState, at: DateTime<Utc>) -> Vec<snap::ActiveModel> {
    if !state.measurable() {
        return vec![];
    }
    let id = state.summary.id;
    let d = &state.derived;
    let totals = flotilla_domain::Totals::of(&d.nodes);
    let mut rows = vec![row(id, "cluster", &state.summary.name, at, totals.allocatable, totals.allocatable_pods, totals.requested, totals.pods, totals.used)];
    for n in &d.nodes {
        rows.push(row(id, "node", &n.name, at, n.allocatable, n.allocatable_pods, n.requested, n.pods, n.used));
    }
    for ns in &d.namespaces {
        // A namespace's share is measured against the whole cluster.
        rows.push(row(id, "namespace", &ns.name, at, totals.allocatable, totals.allocatable_pods, ns.requested, ns.pods, ns.used));
    }
    rows
}

impl Snapshots {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Writes one snapshot of every synced cluster; returns the number of rows.
    pub async fn record(&self, collector: &Collector, at: DateTime<Utc>) -> Result<usize, sea_orm::DbErr> {
        let mut total = 0;
        for state in collector.states() {
            let rows = rows_for(&state, at);
            total += rows.len();
            // Chunks keep each statement well under SQLite's bound-parameter limit.
            for chunk in rows.chunks(500) {
                snap::Entity::insert_many(chunk.to_vec()).exec(self.db.conn()).await?;
            }
        }
        Ok(total)
    }

    /// Deletes snapshots older than `keep`; returns how many.
    pub async fn prune(&self, keep: Duration) -> Result<u64, sea_orm::DbErr> {
        let cutoff = Utc::now() - keep;
        Ok(snap::Entity::delete_many().filter(snap::Column::At.lt(cutoff)).exec(self.db.conn()).await?.rows_affected)
    }

    /// Utilisation (usage when recorded, else requests) of each node or namespace of a cluster,
    /// averaged into `buckets` equal time buckets ending now and spanning `span`.
    pub async fn heatmap(&self, cluster_id: i64, scope: HeatScope, metric: Metric, span: Duration, buckets: usize) -> Result<Heatmap, sea_orm::DbErr> {
        let buckets = buckets.max(1);
        let step = span / buckets as i32;
        let end = Utc::now().duration_trunc(step).map(|t| t + step).unwrap_or_else(|_| Utc::now());
        let start = end - step * buckets as i32;
        let rows = snap::Entity::find()
            .filter(snap::Column::ClusterId.eq(cluster_id))
            .filter(snap::Column::Scope.eq(scope.as_str()))
            .filter(snap::Column::At.gte(start))
            .order_by_asc(snap::Column::At)
            .all(self.db.conn())
            .await?;
        let mut sums: BTreeMap<String, Vec<(f64, u32)>> = BTreeMap::new();
        for r in rows {
            let i = ((r.at - start).num_milliseconds() / step.num_milliseconds().max(1)) as usize;
            if i >= buckets {
                continue;
            }
            let f = value(&r, metric);
            let cells = sums.entry(r.name.clone()).or_insert_with(|| vec![(0.0, 0); buckets]);
            cells[i].0 += f;
            cells[i].1 += 1;
        }
        Ok(Heatmap {
            times_ms: (0..buckets).map(|i| (start + step * i as i32).timestamp_millis()).collect(),
            rows: sums.into_iter().map(|(name, cells)| HeatRow { name, values: cells.into_iter().map(|(s, n)| (n > 0).then(|| (s / f64::from(n)) as f32)).collect() }).collect(),
        })
    }
}

fn value(r: &snap::Model, metric: Metric) -> f64 {
    let ratio = |a: i64, b: i64| if b <= 0 { 0.0 } else { (a as f64 / b as f64).clamp(0.0, 1.0) };
    match metric {
        Metric::Cpu => ratio(r.cpu_used_m.unwrap_or(r.cpu_req_m), r.cpu_alloc_m),
        Metric::Memory => ratio(r.mem_used_b.unwrap_or(r.mem_req_b), r.mem_alloc_b),
        Metric::Pods => ratio(r.pods, r.pods_alloc),
    }
}
