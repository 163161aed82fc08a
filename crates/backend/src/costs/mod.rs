//! The cost ledger. Every sample (once a minute, beside the utilisation snapshots) adds what
//! each workload used of each node — shares of the node's pools × the sample's length — to
//! that hour's `cost_usage`, and the node's observed time to `cost_node_hours`; then the hour
//! is priced with the catalogue into `cost_ledger` by the domain engine. Usage is kept apart
//! from money, so any period can be priced again when prices change. Time a cluster was not
//! observed is missing from `cost_hours.observed_hours`: a gap, never an estimate.
pub mod budgets;
pub mod report;

use crate::entity::{cost_hour, cost_ledger, cost_node_hour, cost_usage, cost_weight, project};
use crate::{ClusterDirectory, ClusterState, Collector, Database, Prices};
use chrono::{DateTime, Duration, DurationRound, Utc};
use flotilla_domain::inventory::project_of_namespace;
use flotilla_domain::{AllocationOptions, CostWeights, GroupUsage, NodeHours, NodeInput, PeriodInput, PodInput, Provider, pod_shares, price_period};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait};
use std::collections::{BTreeMap, HashMap, HashSet};

pub use budgets::{BudgetError, Budgets};

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot read or write the cost ledger: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error("{0}")]
    Invalid(String),
}

/// The hour an instant belongs to.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(Duration::hours(1)).unwrap_or(at)
}

/// The label of costs no namespace used.
pub const IDLE: &str = "(idle)";
/// The label of a control-plane fee that could not be spread (no namespace had a cost).
pub const CONTROL_PLANE: &str = "(control plane)";

#[derive(Clone, Debug)]
pub struct Ledger {
    db: Database,
    prices: Prices,
    directory: ClusterDirectory,
}

/// What one cluster used at one instant, ready to add to its hour.
#[derive(Debug, Default)]
pub struct Sample {
    /// (node, instance type, has GPUs)
    pub nodes: Vec<(String, String, bool)>,
    /// (node index, namespace, workload) → shares of the node's CPU, memory, pod-slot and GPU pools.
    pub usage: BTreeMap<(u32, String, String), [f64; 4]>,
    /// namespace → project
    pub projects: HashMap<String, String>,
}

/// Reads one cluster's shares from the live inventory: each running pod is charged for
/// max(request, usage) of its node. Nothing for a cluster not listed yet or unreachable now
/// (its inventory is stale: that time is a gap).
pub fn sample_of(state: &ClusterState, collector: &Collector, projects: &HashSet<String>) -> Option<Sample> {
    if !state.measurable() {
        return None;
    }
    let d = &state.derived;
    let index: HashMap<&str, u32> = d.nodes.iter().enumerate().map(|(i, n)| (n.name.as_str(), i as u32)).collect();
    let nodes: Vec<NodeInput> =
        d.nodes.iter().map(|n| NodeInput { name: n.name.clone(), price_per_hour: None, cpu_m: n.allocatable.cpu_m, mem_b: n.allocatable.mem_b, pods: n.allocatable_pods, gpus: n.gpu }).collect();
    let running: Vec<_> =
        collector.pods(state.summary.id, None, None).into_iter().filter(|p| !matches!(p.phase.as_str(), "Succeeded" | "Failed")).filter_map(|p| Some((*index.get(p.node.as_deref()?)?, p))).collect();
    let inputs: Vec<PodInput> = running
        .iter()
        .map(|(n, p)| {
            let used = p.used.unwrap_or_default();
            PodInput::charged(*n, 0, (p.requested.cpu_m, p.requested.mem_b, p.gpus), (used.cpu_m, used.mem_b, 0))
        })
        .collect();
    let mut usage: BTreeMap<(u32, String, String), [f64; 4]> = BTreeMap::new();
    for ((n, p), share) in running.iter().zip(pod_shares(&nodes, &inputs)) {
        let sum = usage.entry((*n, p.namespace.clone(), p.workload.clone())).or_default();
        for (s, x) in sum.iter_mut().zip(share) {
            *s += x;
        }
    }
    Some(Sample {
        nodes: d.nodes.iter().map(|n| (n.name.clone(), n.instance_type.clone(), n.gpu > 0)).collect(),
        usage,
        projects: d.namespaces.iter().filter_map(|ns| Some((ns.name.clone(), project_of_namespace(&ns.name, ns.project.as_deref(), |p| projects.contains(p))?.to_owned()))).collect(),
    })
}

fn add_to(table: &str, column: &str) -> Expr {
    Expr::cust(format!("\"{table}\".\"{column}\" + excluded.\"{column}\""))
}

impl Ledger {
    pub fn new(db: Database, prices: Prices, directory: ClusterDirectory) -> Self {
        Self { db, prices, directory }
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Adds one sample of every listed cluster, lasting `length`, to the hour of `at`, and
    /// prices that hour. Returns how many clusters were sampled.
    pub async fn sample(&self, collector: &Collector, at: DateTime<Utc>, length: Duration) -> Result<usize, LedgerError> {
        let projects: HashSet<String> = project::Entity::find().all(self.db.conn()).await?.into_iter().map(|p| p.name).collect();
        let mut n = 0;
        for state in collector.states() {
            if let Some(sample) = sample_of(&state, collector, &projects) {
                self.add(state.summary.id, at, length, &sample).await?;
                self.price_hour(state.summary.id, hour_of(at)).await?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Adds one cluster's sample to its hour, all of it or none.
    pub async fn add(&self, cluster_id: i64, at: DateTime<Utc>, length: Duration, sample: &Sample) -> Result<(), LedgerError> {
        let hour = hour_of(at);
        let h = length.num_milliseconds() as f64 / 3_600_000.0;
        if !(h > 0.0 && h <= 1.0) {
            return Err(LedgerError::Invalid("a sample lasts more than nothing and at most an hour".into()));
        }
        let txn = self.db.conn().begin().await?;
        let usage: Vec<cost_usage::ActiveModel> = sample
            .usage
            .iter()
            .filter_map(|((n, ns, wl), share)| {
                let node = &sample.nodes.get(*n as usize)?.0;
                Some(cost_usage::ActiveModel {
                    cluster_id: Set(cluster_id),
                    hour: Set(hour),
                    node: Set(node.clone()),
                    namespace: Set(ns.clone()),
                    workload: Set(wl.clone()),
                    project: Set(sample.projects.get(ns).cloned()),
                    cpu_share_hours: Set(share[0] * h),
                    mem_share_hours: Set(share[1] * h),
                    pod_share_hours: Set(share[2] * h),
                    gpu_share_hours: Set(share[3] * h),
                    ..Default::default()
                })
            })
            .collect();
        for chunk in usage.chunks(200) {
            let t = "cost_usage";
            let conflict = OnConflict::columns([cost_usage::Column::ClusterId, cost_usage::Column::Hour, cost_usage::Column::Node, cost_usage::Column::Namespace, cost_usage::Column::Workload])
                .value(cost_usage::Column::CpuShareHours, add_to(t, "cpu_share_hours"))
                .value(cost_usage::Column::MemShareHours, add_to(t, "mem_share_hours"))
                .value(cost_usage::Column::PodShareHours, add_to(t, "pod_share_hours"))
                .value(cost_usage::Column::GpuShareHours, add_to(t, "gpu_share_hours"))
                .update_column(cost_usage::Column::Project)
                .to_owned();
            cost_usage::Entity::insert_many(chunk.to_vec()).on_conflict(conflict).exec(&txn).await?;
        }
        let nodes: Vec<cost_node_hour::ActiveModel> = sample
            .nodes
            .iter()
            .map(|(name, instance_type, gpus)| cost_node_hour::ActiveModel {
                cluster_id: Set(cluster_id),
                hour: Set(hour),
                node: Set(name.clone()),
                instance_type: Set(instance_type.clone()),
                has_gpus: Set(*gpus),
                hours: Set(h),
                ..Default::default()
            })
            .collect();
        for chunk in nodes.chunks(200) {
            let conflict = OnConflict::columns([cost_node_hour::Column::ClusterId, cost_node_hour::Column::Hour, cost_node_hour::Column::Node])
                .value(cost_node_hour::Column::Hours, add_to("cost_node_hours", "hours"))
                .update_columns([cost_node_hour::Column::InstanceType, cost_node_hour::Column::HasGpus])
                .to_owned();
            cost_node_hour::Entity::insert_many(chunk.to_vec()).on_conflict(conflict).exec(&txn).await?;
        }
        let row = cost_hour::ActiveModel {
            cluster_id: Set(cluster_id),
            hour: Set(hour),
            observed_hours: Set(h),
            currency: Set("USD".into()),
            total_micros: Set(0),
            idle_micros: Set(0),
            control_plane_micros: Set(0),
            unpriced: Set(String::new()),
            priced_at: Set(None),
            ..Default::default()
        };
        let conflict = OnConflict::columns([cost_hour::Column::ClusterId, cost_hour::Column::Hour]).value(cost_hour::Column::ObservedHours, add_to("cost_hours", "observed_hours")).to_owned();
        cost_hour::Entity::insert(row).on_conflict(conflict).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A cluster's cost weights (the documented defaults unless an administrator set them).
    pub async fn weights(&self, cluster_id: i64) -> Result<CostWeights, LedgerError> {
        let row = cost_weight::Entity::find().filter(cost_weight::Column::ClusterId.eq(cluster_id)).one(self.db.conn()).await?;
        Ok(row.map(|w| CostWeights { cpu: w.cpu, memory: w.memory, pods: w.pods, gpu: w.gpu }).unwrap_or_default())
    }

    /// Sets a cluster's cost weights (`None`: back to the defaults). They apply to hours priced
    /// from now on; recompute a period to apply them to it.
    pub async fn set_weights(&self, cluster_id: i64, weights: Option<CostWeights>) -> Result<(), LedgerError> {
        // Checked before anything is written: a refused save keeps the weights that were there.
        if let Some(w) = &weights {
            let ok = |x: f64| x.is_finite() && (0.0..=1000.0).contains(&x);
            if !(ok(w.cpu) && ok(w.memory) && ok(w.pods)) || w.cpu + w.memory + w.pods <= 0.0 {
                return Err(LedgerError::Invalid("The CPU, memory and pod weights are numbers of 0 or more, and at least one is above 0.".into()));
            }
            if !(w.gpu.is_finite() && (0.0..=1.0).contains(&w.gpu)) {
                return Err(LedgerError::Invalid("The GPU weight is the fraction of a GPU node's price that pays for its GPUs: a number from 0 to 1.".into()));
            }
        }
        // Replaced in one transaction: readers see the old weights or the new, never none.
        let txn = self.db.conn().begin().await?;
        cost_weight::Entity::delete_many().filter(cost_weight::Column::ClusterId.eq(cluster_id)).exec(&txn).await?;
        if let Some(w) = weights {
            let row = cost_weight::ActiveModel { cluster_id: Set(cluster_id), cpu: Set(w.cpu), memory: Set(w.memory), pods: Set(w.pods), gpu: Set(w.gpu), ..Default::default() };
            cost_weight::Entity::insert(row).exec(&txn).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// Prices one cluster-hour with today's catalogue, replacing its ledger lines.
    pub async fn price_hour(&self, cluster_id: i64, hour: DateTime<Utc>) -> Result<(), LedgerError> {
        let conn = self.db.conn();
        let Some(head) = cost_hour::Entity::find().filter(cost_hour::Column::ClusterId.eq(cluster_id)).filter(cost_hour::Column::Hour.eq(hour)).one(conn).await? else {
            return Ok(());
        };
        let node_rows = cost_node_hour::Entity::find().filter(cost_node_hour::Column::ClusterId.eq(cluster_id)).filter(cost_node_hour::Column::Hour.eq(hour)).all(conn).await?;
        let usage_rows = cost_usage::Entity::find().filter(cost_usage::Column::ClusterId.eq(cluster_id)).filter(cost_usage::Column::Hour.eq(hour)).all(conn).await?;
        let (prices, currency, fee) = self.node_prices_now(cluster_id, node_rows.iter().map(|r| (r.node.as_str(), r.instance_type.as_str()))).await?;
        let nodes: Vec<NodeHours> = node_rows.iter().zip(prices).map(|(r, price)| NodeHours { name: r.node.clone(), price_per_hour: price, has_gpus: r.has_gpus, hours: r.hours }).collect();
        let node_index: HashMap<&str, u32> = node_rows.iter().enumerate().map(|(i, r)| (r.node.as_str(), i as u32)).collect();
        let mut groups: Vec<(&str, &str, Option<&str>)> = Vec::new();
        let mut group_index: HashMap<(&str, &str), u32> = HashMap::new();
        let usage: Vec<GroupUsage> = usage_rows
            .iter()
            .filter_map(|u| {
                let node = *node_index.get(u.node.as_str())?;
                let g = *group_index.entry((u.namespace.as_str(), u.workload.as_str())).or_insert_with(|| {
                    groups.push((u.namespace.as_str(), u.workload.as_str(), u.project.as_deref()));
                    groups.len() as u32 - 1
                });
                Some(GroupUsage { node, group: g, share_hours: [u.cpu_share_hours, u.mem_share_hours, u.pod_share_hours, u.gpu_share_hours] })
            })
            .collect();
        let control_plane = fee * head.observed_hours.min(1.0);
        let input = PeriodInput { nodes: &nodes, usage: &usage, groups: groups.len(), control_plane, weights: self.weights(cluster_id).await? };
        let a = price_period(&input, AllocationOptions { spread_idle: false, control_plane_separate: false });
        let micros = flotilla_domain::Allocation::micros;
        let line = |project: Option<&str>, namespace: &str, workload: &str, cost: f64| cost_ledger::ActiveModel {
            cluster_id: Set(cluster_id),
            hour: Set(hour),
            project: Set(project.map(str::to_owned)),
            namespace: Set(namespace.to_owned()),
            workload: Set(workload.to_owned()),
            cost_micros: Set(micros(cost)),
            ..Default::default()
        };
        let mut lines: Vec<cost_ledger::ActiveModel> = groups.iter().zip(&a.namespaces).filter(|(_, c)| **c > 0.0).map(|((ns, wl, p), c)| line(*p, ns, wl, *c)).collect();
        if a.idle > 0.0 {
            lines.push(line(None, "", IDLE, a.idle));
        }
        if a.control_plane > 0.0 {
            lines.push(line(None, "", CONTROL_PLANE, a.control_plane));
        }
        let txn = conn.begin().await?;
        cost_ledger::Entity::delete_many().filter(cost_ledger::Column::ClusterId.eq(cluster_id)).filter(cost_ledger::Column::Hour.eq(hour)).exec(&txn).await?;
        for chunk in lines.chunks(300) {
            cost_ledger::Entity::insert_many(chunk.to_vec()).exec(&txn).await?;
        }
        let mut head: cost_hour::ActiveModel = head.into();
        head.currency = Set(currency);
        head.total_micros = Set(micros(a.cluster_per_hour));
        head.idle_micros = Set(micros(a.idle));
        head.control_plane_micros = Set(micros(control_plane));
        head.unpriced = Set(a.unpriced_nodes.join(", "));
        head.priced_at = Set(Some(Utc::now()));
        cost_hour::Entity::update(head).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }

    /// The demo's history: when the ledger is empty, one sample of the fleet as it is now for
    /// each of the last `hours` whole hours. Returns how many hours were added (0 when the
    /// ledger already had data). Only `flotilla demo` calls this: the fleet is simulated anyway.
    pub async fn backfill_demo(&self, collector: &Collector, hours: i64) -> Result<usize, LedgerError> {
        if cost_hour::Entity::find().one(self.db.conn()).await?.is_some() {
            return Ok(0);
        }
        let now = hour_of(Utc::now());
        for h in (1..=hours).rev() {
            self.sample(collector, now - Duration::hours(h), Duration::hours(1)).await?;
        }
        Ok(hours as usize)
    }

    /// Prices every recorded cluster-hour from `from` up to (not including) `to` again, with
    /// today's catalogue. Returns how many cluster-hours.
    pub async fn recompute(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<usize, LedgerError> {
        let hours = cost_hour::Entity::find().filter(cost_hour::Column::Hour.gte(hour_of(from))).filter(cost_hour::Column::Hour.lt(to)).all(self.db.conn()).await?;
        for h in &hours {
            self.price_hour(h.cluster_id, h.hour).await?;
        }
        Ok(hours.len())
    }
}

pub use flotilla_domain::LiveCosts;

impl Ledger {
    /// Today's hourly price of each `(node, instance type)` of a cluster — the node's own price,
    /// else the catalogue's for the cluster's provider and that type — with the catalogue's
    /// currency and the cluster's control-plane fee per hour.
    async fn node_prices_now<'a>(&self, cluster_id: i64, nodes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<(Vec<Option<f64>>, String, f64), LedgerError> {
        let cluster = self.directory.get(cluster_id).await.ok();
        let provider = cluster.as_ref().map(|c| c.provider).unwrap_or(Provider::Other);
        let fee = cluster.as_ref().map(|c| c.control_plane_price_per_hour).unwrap_or(0.0);
        let catalogue = self.prices.list().await.map_err(|e| LedgerError::Invalid(e.to_string()))?;
        let own: HashMap<String, f64> = self.prices.node_prices(cluster_id).await.map_err(|e| LedgerError::Invalid(e.to_string()))?.into_iter().collect();
        let mut currency = None;
        let prices = nodes
            .into_iter()
            .map(|(name, instance_type)| {
                let listed = catalogue.iter().find(|p| p.provider == provider && p.instance_type == instance_type);
                if let Some(p) = listed {
                    currency.get_or_insert_with(|| p.currency.clone());
                }
                own.get(name).copied().or(listed.map(|p| p.price_per_hour))
            })
            .collect();
        Ok((prices, currency.unwrap_or_else(|| "USD".into()), fee))
    }

    /// A cluster's cost per hour now, split like one ledger hour.
    pub async fn live(&self, collector: &Collector, cluster_id: i64) -> Result<Option<LiveCosts>, LedgerError> {
        let Some(state) = collector.state(cluster_id) else { return Ok(None) };
        let projects = HashSet::new();
        let Some(sample) = sample_of(&state, collector, &projects) else { return Ok(None) };
        let (prices, currency, fee) = self.node_prices_now(cluster_id, sample.nodes.iter().map(|(n, t, _)| (n.as_str(), t.as_str()))).await?;
        let nodes: Vec<NodeHours> = sample.nodes.iter().zip(&prices).map(|((name, _, gpus), price)| NodeHours { name: name.clone(), price_per_hour: *price, has_gpus: *gpus, hours: 1.0 }).collect();
        let keys: Vec<&(u32, String, String)> = sample.usage.keys().collect();
        let usage: Vec<GroupUsage> = sample.usage.iter().enumerate().map(|(g, ((n, _, _), share))| GroupUsage { node: *n, group: g as u32, share_hours: *share }).collect();
        let weights = self.weights(cluster_id).await?;
        let a = price_period(&PeriodInput { nodes: &nodes, usage: &usage, groups: keys.len(), control_plane: fee, weights }, AllocationOptions::default());
        let mut lines: Vec<(String, String, f64)> = keys.iter().zip(&a.namespaces).map(|((_, ns, wl), c)| (ns.clone(), wl.clone(), *c)).collect();
        lines.sort_by(|a, b| b.2.total_cmp(&a.2));
        Ok(Some(LiveCosts { currency, per_hour: Some(a.cluster_per_hour), idle: Some(a.idle + a.control_plane), lines, unpriced: a.unpriced_nodes }))
    }
}

impl Ledger {
    /// What each resource costs an hour on a cluster today (for estimates before deploying).
    pub async fn unit_prices(&self, state: &ClusterState) -> Result<Option<flotilla_domain::UnitPrices>, LedgerError> {
        let d = &state.derived;
        let (prices, currency, _) = self.node_prices_now(state.summary.id, d.nodes.iter().map(|n| (n.name.as_str(), n.instance_type.as_str()))).await?;
        let nodes: Vec<NodeInput> = d
            .nodes
            .iter()
            .zip(prices)
            .map(|(n, price)| NodeInput { name: n.name.clone(), price_per_hour: price, cpu_m: n.allocatable.cpu_m, mem_b: n.allocatable.mem_b, pods: n.allocatable_pods, gpus: n.gpu })
            .collect();
        Ok(flotilla_domain::unit_prices(&nodes, self.weights(state.summary.id).await?).map(|[cpu_core, mem_gib, pod, gpu]| flotilla_domain::UnitPrices { cpu_core, mem_gib, pod, gpu, currency }))
    }
}
