//! Placement: how many replicas each cluster can take and where they go. Pure and
//! deterministic, so the browser can show the same what-if the server decides on.
use crate::CpuMillis;
use crate::workload::{PlacementRule, Resources, memory_words};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// Room left on one node: allocatable minus what its pods request (the caller subtracts).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NodeFree {
    pub name: String,
    pub cpu_m: u64,
    pub mem_b: u64,
    /// How many more pods the node accepts.
    pub pods: u32,
    pub gpu: u32,
    /// Why the node takes no new pods, in words ("cordoned", "not Ready", "tainted
    /// dedicated=gpu:NoSchedule"): Flotilla's workloads carry no tolerations, so a NoSchedule
    /// or NoExecute taint refuses them as kube-scheduler would. Such a node adds no room.
    #[serde(default)]
    pub refuses: Option<String>,
    /// A PreferNoSchedule taint: kube-scheduler still uses the node when it must, so its room
    /// counts towards fitting, but not towards the headroom placement scores by.
    #[serde(default)]
    pub avoid: bool,
}

impl NodeFree {
    fn accepts(&self) -> bool {
        self.refuses.is_none()
    }
}

/// A project's ResourceQuota room on one cluster; `None` = no limit on that resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct QuotaFree {
    pub cpu_m: Option<u64>,
    pub mem_b: Option<u64>,
    pub pods: Option<u32>,
    /// `requests.nvidia.com/gpu` left.
    #[serde(default)]
    pub gpus: Option<u32>,
}

/// Everything placement needs to know about one cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterCapacity {
    pub id: i64,
    pub name: String,
    /// False when the cluster is unreachable or disabled: it is never chosen.
    pub available: bool,
    /// Why not, in words ("unreachable since 10:42").
    pub unavailable_reason: Option<String>,
    pub nodes: Vec<NodeFree>,
    /// The cluster's total allocatable resources, for headroom fractions.
    pub allocatable: Resources,
    pub allocatable_pods: u32,
    pub quota_free: Option<QuotaFree>,
    /// What a replica costs here (none when the cluster's nodes have no known price).
    #[serde(default)]
    pub prices: Option<UnitPrices>,
}

/// A cluster's average hourly price of each resource (its nodes' pools over their
/// allocatable amounts, see `cost::unit_prices`), in micro-units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct UnitPrices {
    pub cpu_core: u64,
    pub mem_gib: u64,
    pub pod: u64,
    pub gpu: u64,
    pub currency: String,
}

/// Hours in an average month (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;

impl UnitPrices {
    /// What one replica asking for `r` costs an hour.
    pub fn per_replica_hour(&self, r: &Resources) -> f64 {
        let micros = self.cpu_core as f64 * r.cpu_m as f64 / 1000.0 + self.mem_gib as f64 * r.mem_b as f64 / (1u64 << 30) as f64 + self.pod as f64 + self.gpu as f64 * f64::from(r.gpu);
        micros / 1_000_000.0
    }
}

/// What to find room for: `replicas` identical pods each requesting `per_replica`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Demand {
    pub per_replica: Resources,
    pub replicas: u32,
}

/// One cluster as placement saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Candidate {
    pub cluster_id: i64,
    pub cluster: String,
    /// True when all the demanded replicas fit (nodes and quota).
    pub fits: bool,
    /// Why not, in words: "not enough CPU on any node (largest free: 180m, needs 250m)".
    pub reason: Option<String>,
    /// How many replicas its nodes and quota could take in all (not capped at the demand).
    pub replicas_fitting: u32,
    /// Sum of free node resources.
    pub free_before: Resources,
    /// After the replicas this rule would put here: the full count where it fits for
    /// `Clusters` and `LeastLoaded` (chosen or not, so what-ifs can be compared), the share for
    /// `Spread`; nothing where it does not fit.
    pub free_after: Resources,
    /// The smaller of the CPU and memory fractions of `allocatable` free after placement.
    pub headroom_after: f64,
    /// `headroom_after` for `LeastLoaded` and `Clusters`, the share of the fleet's room for
    /// `Spread`; 0 where it does not fit.
    pub score: f64,
    pub chosen_replicas: u32,
    /// What all the demanded replicas would cost here a month (730 h), when prices are known.
    #[serde(default)]
    pub monthly_cost: Option<f64>,
    #[serde(default)]
    pub currency: String,
}

/// The decision: where the replicas go and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Placement {
    /// (cluster id, replicas), sorted by id; empty when `error` is set.
    pub assignments: Vec<(i64, u32)>,
    /// One per input cluster, in input order.
    pub candidates: Vec<Candidate>,
    /// One sentence for the person deploying.
    pub summary: String,
    pub error: Option<String>,
}

/// `free / need` replicas by one resource; a resource the replica does not need never limits.
fn per(free: u64, need: u64) -> u64 {
    free.checked_div(need).unwrap_or(u64::MAX)
}

/// Replicas one node can take: exact for identical replicas (first fit places them the same).
fn node_fit(n: &NodeFree, need: &Resources) -> u64 {
    per(n.cpu_m, need.cpu_m).min(per(n.mem_b, need.mem_b)).min(per(n.gpu as u64, need.gpu as u64)).min(n.pods as u64)
}

fn quota_fit(q: &QuotaFree, need: &Resources) -> u64 {
    let cpu = q.cpu_m.map_or(u64::MAX, |f| per(f, need.cpu_m));
    let mem = q.mem_b.map_or(u64::MAX, |f| per(f, need.mem_b));
    let gpu = q.gpus.map_or(u64::MAX, |f| per(u64::from(f), u64::from(need.gpu)));
    cpu.min(mem).min(gpu).min(q.pods.map_or(u64::MAX, u64::from))
}

fn fraction(free: u64, total: u64) -> f64 {
    if total == 0 { 0.0 } else { (free as f64 / total as f64).clamp(0.0, 1.0) }
}

fn after(free: Resources, need: &Resources, n: u32) -> Resources {
    Resources {
        cpu_m: free.cpu_m.saturating_sub(need.cpu_m.saturating_mul(n as u64)),
        mem_b: free.mem_b.saturating_sub(need.mem_b.saturating_mul(n as u64)),
        gpu: free.gpu.saturating_sub(need.gpu.saturating_mul(n)),
    }
}

/// Look at one cluster: one pass over its nodes; words only when it falls short.
fn assess(c: &ClusterCapacity, demand: &Demand) -> Candidate {
    let need = &demand.per_replica;
    let mut free = Resources::default();
    let mut on_nodes: u64 = 0;
    for n in c.nodes.iter().filter(|n| n.accepts()) {
        if !n.avoid {
            free.cpu_m = free.cpu_m.saturating_add(n.cpu_m);
            free.mem_b = free.mem_b.saturating_add(n.mem_b);
            free.gpu = free.gpu.saturating_add(n.gpu);
        }
        on_nodes = on_nodes.saturating_add(node_fit(n, need));
    }
    let in_quota = c.quota_free.as_ref().map_or(u64::MAX, |q| quota_fit(q, need));
    let fitting = if c.available { on_nodes.min(in_quota).min(u32::MAX as u64) as u32 } else { 0 };
    let fits = c.available && fitting >= demand.replicas;
    Candidate {
        cluster_id: c.id,
        cluster: c.name.clone(),
        fits,
        reason: (!fits).then(|| shortfall(c, demand, on_nodes, in_quota)),
        replicas_fitting: fitting,
        free_before: free,
        free_after: free,
        headroom_after: 0.0,
        score: 0.0,
        chosen_replicas: 0,
        monthly_cost: c.prices.as_ref().map(|p| p.per_replica_hour(need) * f64::from(demand.replicas) * HOURS_PER_MONTH),
        currency: c.prices.as_ref().map(|p| p.currency.clone()).unwrap_or_default(),
    }
}

fn cpu(m: u64) -> String {
    CpuMillis(m).to_string()
}

/// Why a cluster cannot take all the replicas, naming the resource that runs out.
fn shortfall(c: &ClusterCapacity, demand: &Demand, on_nodes: u64, in_quota: u64) -> String {
    let (need, replicas) = (&demand.per_replica, demand.replicas);
    if !c.available {
        return c.unavailable_reason.clone().unwrap_or_else(|| "the cluster is unreachable or disabled".to_owned());
    }
    if c.nodes.is_empty() {
        return "the cluster has no nodes to run pods on".to_owned();
    }
    let refused = refusals(&c.nodes);
    if c.nodes.iter().all(|n| !n.accepts()) {
        return format!("none of its nodes accepts new pods ({})", refused.unwrap_or_default());
    }
    let also = refused.map(|r| format!("; the other nodes accept no new pods ({r})")).unwrap_or_default();
    // The quota explains when it is at least as tight as the nodes (more nodes alone would not help).
    if let Some(q) = c.quota_free.as_ref().filter(|_| in_quota <= on_nodes) {
        let total = |n: u64| n.saturating_mul(replicas as u64);
        if let Some(g) = q.gpus.filter(|g| per(u64::from(*g), u64::from(need.gpu)) == in_quota) {
            return format!("the project's GPU quota has {g} left, needs {} ({replicas} × {})", total(u64::from(need.gpu)), need.gpu);
        }
        return match (q.pods, q.cpu_m, q.mem_b) {
            (Some(p), _, _) if p as u64 == in_quota => format!("the project's quota allows {p} more pods, needs {replicas}"),
            (_, Some(f), _) if per(f, need.cpu_m) == in_quota => {
                format!("the project's CPU quota has {} left, needs {} ({replicas} × {})", cpu(f), cpu(total(need.cpu_m)), cpu(need.cpu_m))
            }
            (_, _, Some(f)) => format!("the project's memory quota has {} left, needs {} ({replicas} × {})", memory_words(f), memory_words(total(need.mem_b)), memory_words(need.mem_b)),
            _ => format!("the project's quota allows {in_quota} more replicas, needs {replicas}"),
        };
    }
    // Largest free amount per resource, and the room each resource alone would leave.
    let (mut big_cpu, mut big_mem, mut big_gpu, mut any_pod_room) = (0, 0, 0, false);
    let (mut by_cpu, mut by_mem, mut by_gpu, mut by_pods) = (0u64, 0u64, 0u64, 0u64);
    for n in c.nodes.iter().filter(|n| n.accepts()) {
        big_cpu = big_cpu.max(n.cpu_m);
        big_mem = big_mem.max(n.mem_b);
        big_gpu = big_gpu.max(n.gpu);
        any_pod_room |= n.pods > 0;
        by_cpu = by_cpu.saturating_add(per(n.cpu_m, need.cpu_m));
        by_mem = by_mem.saturating_add(per(n.mem_b, need.mem_b));
        by_gpu = by_gpu.saturating_add(per(n.gpu as u64, need.gpu as u64));
        by_pods = by_pods.saturating_add(n.pods as u64);
    }
    if on_nodes == 0 {
        let why = if big_cpu < need.cpu_m {
            format!("not enough CPU on any node (largest free: {}, needs {})", cpu(big_cpu), cpu(need.cpu_m))
        } else if big_mem < need.mem_b {
            format!("not enough memory on any node (largest free: {}, needs {})", memory_words(big_mem), memory_words(need.mem_b))
        } else if big_gpu < need.gpu {
            format!("not enough GPUs on any node (largest free: {big_gpu}, needs {})", need.gpu)
        } else if !any_pod_room {
            "every node is at its pod limit".to_owned()
        } else {
            format!("no single node has {} CPU and {} memory free at once", cpu(need.cpu_m), memory_words(need.mem_b))
        };
        return format!("{why}{also}");
    }
    let first_out = [(by_cpu, "CPU"), (by_mem, "memory"), (by_gpu, "GPUs"), (by_pods, "room for pods")].into_iter().min_by_key(|(room, _)| *room).map_or("room", |(_, what)| what);
    format!("only {on_nodes} of {replicas} replicas fit on its nodes ({first_out} runs out first){also}")
}

/// The nodes that refuse new pods, counted by reason, most common first:
/// "2 tainted node-role.kubernetes.io/control-plane:NoSchedule, 1 cordoned".
fn refusals(nodes: &[NodeFree]) -> Option<String> {
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for why in nodes.iter().filter_map(|n| n.refuses.as_deref()) {
        *counts.entry(why).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = counts.iter().map(|(why, n)| format!("{n} {why}")).collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// Fill in what `n` replicas on this candidate would leave.
fn consider(cand: &mut Candidate, cluster: &ClusterCapacity, need: &Resources, n: u32) {
    cand.free_after = after(cand.free_before, need, n);
    cand.headroom_after = headroom(cand, cluster);
}

fn headroom(cand: &Candidate, cluster: &ClusterCapacity) -> f64 {
    fraction(cand.free_after.cpu_m, cluster.allocatable.cpu_m).min(fraction(cand.free_after.mem_b, cluster.allocatable.mem_b))
}

/// Decide where `demand` goes under `rule`. Same input, same answer, whatever the order of `clusters`.
pub fn place(rule: &PlacementRule, demand: &Demand, clusters: &[ClusterCapacity]) -> Placement {
    let mut candidates: Vec<Candidate> = clusters.iter().map(|c| assess(c, demand)).collect();
    if demand.replicas == 0 {
        let summary = "nothing to place: the workload asks for 0 replicas".to_owned();
        return Placement { assignments: Vec::new(), candidates, summary, error: None };
    }
    let result = match rule {
        PlacementRule::Clusters(ids) => chosen_clusters(ids, demand, clusters, &mut candidates),
        PlacementRule::LeastLoaded => least_loaded(demand, clusters, &mut candidates),
        PlacementRule::Spread => spread(demand, clusters, &mut candidates),
        PlacementRule::Cheapest => cheapest(demand, clusters, &mut candidates),
    };
    match result {
        Ok((mut assignments, summary)) => {
            assignments.sort_unstable();
            Placement { assignments, candidates, summary, error: None }
        }
        Err(error) => {
            candidates.iter_mut().for_each(|c| c.chosen_replicas = 0);
            let summary = format!("nothing placed: {error}");
            Placement { assignments: Vec::new(), candidates, summary, error: Some(error) }
        }
    }
}

type Outcome = Result<(Vec<(i64, u32)>, String), String>;

fn replicas_word(n: u32) -> String {
    if n == 1 { "1 replica".to_owned() } else { format!("{n} replicas") }
}

/// Indices of candidates ordered by cluster id (ties: input order), for order-free text.
fn by_id(candidates: &[Candidate]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| candidates[i].cluster_id);
    order
}

fn chosen_clusters(ids: &[i64], demand: &Demand, clusters: &[ClusterCapacity], candidates: &mut [Candidate]) -> Outcome {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Err("choose at least one cluster".to_owned());
    }
    let n = demand.replicas;
    for (cand, cluster) in candidates.iter_mut().zip(clusters) {
        if cand.fits {
            consider(cand, cluster, &demand.per_replica, n);
            cand.score = cand.headroom_after;
        }
    }
    let mut problems = Vec::new();
    let mut names = Vec::with_capacity(ids.len());
    for &id in &ids {
        match candidates.iter().position(|c| c.cluster_id == id) {
            None => problems.push(format!("cluster {id} is not registered (it may have been removed); choose again")),
            Some(i) if !candidates[i].fits => {
                let reason = candidates[i].reason.as_deref().unwrap_or("it does not fit");
                problems.push(format!("{} cannot take {}: {reason}", candidates[i].cluster, replicas_word(n)));
            }
            Some(i) => {
                candidates[i].chosen_replicas = n;
                names.push(candidates[i].cluster.clone());
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let summary = match names.as_slice() {
        [one] => format!("{} on {one}, as chosen", replicas_word(n)),
        [rest @ .., last] => format!("{} on each of {} and {last}, as chosen", replicas_word(n), rest.join(", ")),
        [] => unreachable!("ids is not empty and every id was found"),
    };
    Ok((ids.iter().map(|&id| (id, n)).collect(), summary))
}

fn least_loaded(demand: &Demand, clusters: &[ClusterCapacity], candidates: &mut [Candidate]) -> Outcome {
    let n = demand.replicas;
    // (index, headroom after, CPU fraction free after, id): the most headroom, then the most CPU, then the lowest id.
    let mut best: Option<(usize, f64, f64, i64)> = None;
    for (i, (cand, cluster)) in candidates.iter_mut().zip(clusters).enumerate() {
        if !cand.fits {
            continue;
        }
        consider(cand, cluster, &demand.per_replica, n);
        cand.score = cand.headroom_after;
        let cpu_free = fraction(cand.free_after.cpu_m, cluster.allocatable.cpu_m);
        let better = best.is_none_or(|(_, b_headroom, b_cpu, b_id)| {
            let order = cand.headroom_after.total_cmp(&b_headroom).then(cpu_free.total_cmp(&b_cpu)).then(b_id.cmp(&cand.cluster_id));
            order == Ordering::Greater
        });
        if better {
            best = Some((i, cand.headroom_after, cpu_free, cand.cluster_id));
        }
    }
    let Some((i, _, cpu_free, _)) = best else {
        return Err(nothing_fits(n, candidates));
    };
    let cand = &mut candidates[i];
    cand.chosen_replicas = n;
    let mem_free = fraction(cand.free_after.mem_b, clusters[i].allocatable.mem_b);
    let summary = format!("{}: least loaded after placement (CPU {:.0} % free, memory {:.0} % free)", cand.cluster, cpu_free * 100.0, mem_free * 100.0);
    Ok((vec![(cand.cluster_id, n)], summary))
}

/// All replicas on the cluster where they cost least a month; ties go to the most headroom,
/// then the lowest id. Clusters without known prices are never the cheapest.
fn cheapest(demand: &Demand, clusters: &[ClusterCapacity], candidates: &mut [Candidate]) -> Outcome {
    let n = demand.replicas;
    let mut best: Option<(usize, f64, f64, i64)> = None;
    let mut unpriced_fit = false;
    for (i, (cand, cluster)) in candidates.iter_mut().zip(clusters).enumerate() {
        if !cand.fits {
            continue;
        }
        consider(cand, cluster, &demand.per_replica, n);
        cand.score = cand.headroom_after;
        let Some(cost) = cand.monthly_cost else {
            unpriced_fit = true;
            continue;
        };
        let better = best.is_none_or(|(_, b_cost, b_headroom, b_id)| b_cost.total_cmp(&cost).then(cand.headroom_after.total_cmp(&b_headroom)).then(b_id.cmp(&cand.cluster_id)) == Ordering::Greater);
        if better {
            best = Some((i, cost, cand.headroom_after, cand.cluster_id));
        }
    }
    let Some((i, cost, _, _)) = best else {
        return Err(if unpriced_fit {
            "no cluster that fits has known prices, so none can be called cheapest: price its instance types in Admin → Prices, or choose another rule".to_owned()
        } else {
            nothing_fits(n, candidates)
        });
    };
    let cand = &mut candidates[i];
    cand.chosen_replicas = n;
    Ok((vec![(cand.cluster_id, n)], format!("{}: the cheapest cluster that fits (about {cost:.2} {} a month)", cand.cluster, cand.currency)))
}

fn nothing_fits(n: u32, candidates: &[Candidate]) -> String {
    let closest = by_id(candidates).into_iter().max_by(|&a, &b| {
        let (a, b) = (&candidates[a], &candidates[b]);
        a.replicas_fitting.cmp(&b.replicas_fitting).then(b.cluster_id.cmp(&a.cluster_id))
    });
    match closest {
        None => "no clusters are registered".to_owned(),
        Some(i) => {
            let c = &candidates[i];
            let reason = c.reason.as_deref().unwrap_or("it does not fit");
            format!("no cluster has room for {}; the closest, {}: {reason}", replicas_word(n), c.cluster)
        }
    }
}

fn spread(demand: &Demand, clusters: &[ClusterCapacity], candidates: &mut [Candidate]) -> Outcome {
    let n = demand.replicas;
    let total: u64 = candidates.iter().map(|c| c.replicas_fitting as u64).sum();
    for c in candidates.iter_mut() {
        c.score = if total == 0 { 0.0 } else { c.replicas_fitting as f64 / total as f64 };
    }
    if total < n as u64 {
        let mut text = format!("only {total} of {} fit across all clusters", replicas_word(n));
        for i in by_id(candidates).into_iter().filter(|&i| candidates[i].reason.is_some()).take(3) {
            let c = &candidates[i];
            text.push_str(&format!("; {}: {}", c.cluster, c.reason.as_deref().unwrap_or_default()));
        }
        return Err(text);
    }
    // In cluster-id order, so ties go to the lower id whatever the input order.
    let order = by_id(candidates);
    let weights: Vec<u64> = order.iter().map(|&i| candidates[i].replicas_fitting as u64).collect();
    for (&i, share) in order.iter().zip(proportional(n, &weights)) {
        candidates[i].chosen_replicas = share;
    }
    for (cand, cluster) in candidates.iter_mut().zip(clusters) {
        consider(cand, cluster, &demand.per_replica, cand.chosen_replicas);
    }
    let mut assignments: Vec<(i64, u32)> = candidates.iter().filter(|c| c.chosen_replicas > 0).map(|c| (c.cluster_id, c.chosen_replicas)).collect();
    assignments.sort_unstable();
    let parts: Vec<String> = by_id(candidates).into_iter().filter(|&i| candidates[i].chosen_replicas > 0).map(|i| format!("{} {}", candidates[i].cluster, candidates[i].chosen_replicas)).collect();
    let shown = parts.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    let more = if parts.len() > 5 { format!(" and {} more", parts.len() - 5) } else { String::new() };
    let summary = format!("{} spread over {} by free room: {shown}{more}", replicas_word(n), clusters_word(parts.len()));
    Ok((assignments, summary))
}

/// `n` divided in proportion to `weights` by largest remainder (the floor of each exact share,
/// then one more to the largest remainders; ties to the lower index). The parts sum to `n`
/// when any weight is positive, and while `n ≤ Σ weights` no part exceeds its weight (so a
/// zero weight gets nothing).
pub fn proportional(n: u32, weights: &[u64]) -> Vec<u32> {
    let total: u128 = weights.iter().map(|&w| w as u128).sum();
    if total == 0 {
        return vec![0; weights.len()];
    }
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    let mut given: u64 = 0;
    for (i, &w) in weights.iter().enumerate() {
        let weighted = n as u128 * w as u128;
        let share = (weighted / total) as u32;
        given += share as u64;
        shares.push(share);
        remainders.push((weighted % total, i));
    }
    remainders.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in remainders.iter().take((n as u64).saturating_sub(given) as usize) {
        shares[i] += 1;
    }
    shares
}

fn clusters_word(n: usize) -> String {
    if n == 1 { "1 cluster".to_owned() } else { format!("{n} clusters") }
}

#[cfg(test)]
#[path = "placement_tests.rs"]
mod tests;
