//! Cost allocation: splits one cluster's hourly cost over its namespaces, idle capacity and
//! the control plane, so that the parts add up to the whole to the micro-unit (see
//! `docs/cost-model.md`). Pure and allocation-free per pod, so the browser can rerun it.
use serde::{Deserialize, Serialize};

/// Money is reconciled in micro-units of the currency (1 unit = 1,000,000 micros).
const MICROS: f64 = 1_000_000.0;

/// How a node's hourly price is split into resource pools.
///
/// `cpu`, `memory` and `pods` are relative weights, normalised to sum to 1. On a node with
/// GPUs, `gpu` (clamped to 0..=1) is the fraction of the node price that forms the GPU pool
/// and the rest is split by the other three. Negative or non-finite weights count as 0; if
/// `cpu + memory + pods` is then 0, the default split of those three is used.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CostWeights {
    pub cpu: f64,
    pub memory: f64,
    pub pods: f64,
    pub gpu: f64,
}

impl Default for CostWeights {
    fn default() -> Self {
        Self { cpu: 0.6, memory: 0.35, pods: 0.05, gpu: 0.5 }
    }
}

/// Where the costs nobody asked for go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct AllocationOptions {
    /// Spread idle cost over namespaces pro rata to their cost (`Allocation::idle` is then 0).
    pub spread_idle: bool,
    /// Show the control-plane fee as its own line instead of spreading it over namespaces.
    pub control_plane_separate: bool,
}

/// One node: its hourly price and its allocatable resources.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NodeInput {
    pub name: String,
    /// `None` (or a negative or non-finite number) = price unknown: the node is listed in
    /// `Allocation::unpriced_nodes` and left out of every total.
    pub price_per_hour: Option<f64>,
    pub cpu_m: u64,
    pub mem_b: u64,
    pub pods: u32,
    pub gpus: u32,
}

/// One pod, with what it is charged for: the caller passes `max(request, usage)` per
/// resource (see [`PodInput::charged`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PodInput {
    /// Index into `ClusterInput::nodes`.
    pub node: u32,
    /// Index into the cluster's namespaces (`0..ClusterInput::namespaces`).
    pub namespace: u32,
    pub cpu_m: u64,
    pub mem_b: u64,
    pub gpus: u32,
}

impl PodInput {
    /// A pod charged for the larger of what it requested and what it used.
    pub fn charged(node: u32, namespace: u32, request: (u64, u64, u32), usage: (u64, u64, u32)) -> Self {
        Self { node, namespace, cpu_m: request.0.max(usage.0), mem_b: request.1.max(usage.1), gpus: request.2.max(usage.2) }
    }
}

/// One cluster to allocate. Pods whose node or namespace index is out of range are skipped.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterInput<'a> {
    pub nodes: &'a [NodeInput],
    pub pods: &'a [PodInput],
    /// How many namespaces; the result has one cost per namespace index.
    pub namespaces: usize,
    /// Negative or non-finite counts as 0.
    pub control_plane_per_hour: f64,
    pub weights: CostWeights,
}

/// The cluster's hourly cost and where it went. Every amount is a whole number of
/// micro-units, and in micro-units `Σ namespaces + idle + control_plane = cluster_per_hour`
/// exactly.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Allocation {
    /// Σ priced node prices + control-plane fee (unpriced nodes excluded).
    pub cluster_per_hour: f64,
    /// Per hour, index = namespace.
    pub namespaces: Vec<f64>,
    /// What no pod uses (0 when spread over namespaces, unless no namespace has a cost).
    pub idle: f64,
    /// The control-plane fee as its own line; 0 when spread (unless no namespace has a cost).
    pub control_plane: f64,
    /// Nodes without a known price, in input order; their cost is in no total.
    pub unpriced_nodes: Vec<String>,
}

impl Allocation {
    /// Converts an amount of this allocation back to exact micro-units.
    pub fn micros(amount: f64) -> i64 {
        (amount * MICROS).round() as i64
    }
}

/// The four pools of one node, in micros.
#[derive(Debug, Clone, Copy, Default)]
struct Pools {
    cpu: f64,
    mem: f64,
    pods: f64,
    gpu: f64,
}

/// Normalised weights: `(cpu, memory, pods)` summing to 1, and the GPU fraction.
fn normalised(w: CostWeights) -> ([f64; 3], f64) {
    let clean = |x: f64| if x.is_finite() && x > 0.0 { x } else { 0.0 };
    let (mut c, mut m, mut p) = (clean(w.cpu), clean(w.memory), clean(w.pods));
    let mut sum = c + m + p;
    if sum <= 0.0 || !sum.is_finite() {
        let d = CostWeights::default();
        (c, m, p, sum) = (d.cpu, d.memory, d.pods, d.cpu + d.memory + d.pods);
    }
    ([c / sum, m / sum, p / sum], clean(w.gpu).min(1.0))
}

/// A price in whole micros, or `None` when it is unknown or not a usable number.
fn price_micros(price: Option<f64>) -> Option<i64> {
    match price {
        Some(p) if p.is_finite() && p >= 0.0 => Some((p * MICROS).round().min(i64::MAX as f64 / 4.0) as i64),
        _ => None,
    }
}

/// What the pods on one node ask for in total.
#[derive(Debug, Clone, Copy, Default)]
struct Demand {
    cpu_m: u64,
    mem_b: u64,
    pods: u64,
    gpus: u64,
}

/// Per-node price of one unit of each resource, in micros (after capping over-commit).
#[derive(Debug, Clone, Copy, Default)]
struct Rates {
    cpu: f64,
    mem: f64,
    pod: f64,
    gpu: f64,
}

/// The cost of one pool: the price per unit of demand, and the idle part.
/// A pool is shared over `max(allocatable, demand)`, so shares never sum past 1.
fn pool_rate(pool: f64, allocatable: u64, demand: u64) -> (f64, f64) {
    let denominator = allocatable.max(demand);
    if denominator == 0 {
        return (0.0, pool);
    }
    let rate = pool / denominator as f64;
    (rate, rate * (denominator - demand) as f64)
}

/// Sums what the pods on each node ask for.
fn node_demand(nodes: &[NodeInput], pods: &[PodInput], namespaces: usize) -> Vec<Demand> {
    let mut demand = vec![Demand::default(); nodes.len()];
    for pod in pods {
        let (n, ns) = (pod.node as usize, pod.namespace as usize);
        if n >= nodes.len() || ns >= namespaces {
            continue;
        }
        let d = &mut demand[n];
        d.cpu_m = d.cpu_m.saturating_add(pod.cpu_m);
        d.mem_b = d.mem_b.saturating_add(pod.mem_b);
        d.pods += 1;
        d.gpus += u64::from(pod.gpus);
    }
    demand
}

/// A node's price (in micros, for the whole period) split into its pools.
fn pools(price: f64, has_gpus: bool, split: [f64; 3], gpu_fraction: f64) -> Pools {
    let gpu = if has_gpus { price * gpu_fraction } else { 0.0 };
    let rest = price - gpu;
    Pools { cpu: rest * split[0], mem: rest * split[1], pods: rest * split[2], gpu }
}

/// Splits the cluster's hourly cost over namespaces, idle capacity and the control plane.
///
/// Two passes over the pods (sum demand per node, then charge each pod to its namespace) and
/// one over the nodes; no allocation per pod.
pub fn allocate(input: &ClusterInput, options: AllocationOptions) -> Allocation {
    let (split, gpu_fraction) = normalised(input.weights);
    let nodes = input.nodes;
    let namespaces = input.namespaces;
    let demand = node_demand(nodes, input.pods, namespaces);

    let mut rates = vec![Rates::default(); nodes.len()];
    let mut unpriced_nodes = Vec::new();
    let mut nodes_micros: i64 = 0;
    let mut idle = 0.0;
    for ((node, d), rate) in nodes.iter().zip(&demand).zip(rates.iter_mut()) {
        let Some(price) = price_micros(node.price_per_hour) else {
            unpriced_nodes.push(node.name.clone());
            continue;
        };
        nodes_micros = nodes_micros.saturating_add(price);
        let pools = pools(price as f64, node.gpus > 0, split, gpu_fraction);
        let (cpu, cpu_idle) = pool_rate(pools.cpu, node.cpu_m, d.cpu_m);
        let (mem, mem_idle) = pool_rate(pools.mem, node.mem_b, d.mem_b);
        let (pod, pod_idle) = pool_rate(pools.pods, u64::from(node.pods), d.pods);
        let (gpu, gpu_idle) = pool_rate(pools.gpu, u64::from(node.gpus), d.gpus);
        *rate = Rates { cpu, mem, pod, gpu };
        idle += cpu_idle + mem_idle + pod_idle + gpu_idle;
    }

    // Charge each pod to its namespace (exact shares, in micros; rounded once at the end).
    let mut charged = vec![0.0_f64; namespaces];
    for pod in input.pods {
        let (n, ns) = (pod.node as usize, pod.namespace as usize);
        if n >= nodes.len() || ns >= namespaces {
            continue;
        }
        let r = rates[n];
        charged[ns] += r.cpu * pod.cpu_m as f64 + r.mem * pod.mem_b as f64 + r.pod + r.gpu * f64::from(pod.gpus);
    }
    let control_plane_micros = price_micros(Some(input.control_plane_per_hour)).unwrap_or(0);
    settle(charged, idle, control_plane_micros, nodes_micros, options, unpriced_nodes)
}

/// Each pod's share of its node's CPU, memory, pod-slot and GPU pools (each 0..=1), in pod
/// order: `demand / max(allocatable, demand of all pods on the node)`, as in [`allocate`].
/// Prices play no part, so shares gathered over a period can be priced later (and again).
/// A pod whose node index is out of range gets zeros; `PodInput::namespace` is ignored.
pub fn pod_shares(nodes: &[NodeInput], pods: &[PodInput]) -> Vec<[f64; 4]> {
    let demand = node_demand(nodes, pods, usize::MAX);
    let share = |part: u64, allocatable: u64, total: u64| {
        let denominator = allocatable.max(total);
        if denominator == 0 { 0.0 } else { part as f64 / denominator as f64 }
    };
    pods.iter()
        .map(|pod| {
            let n = pod.node as usize;
            let (Some(node), Some(d)) = (nodes.get(n), demand.get(n)) else {
                return [0.0; 4];
            };
            [share(pod.cpu_m, node.cpu_m, d.cpu_m), share(pod.mem_b, node.mem_b, d.mem_b), share(1, u64::from(node.pods), d.pods), share(u64::from(pod.gpus), u64::from(node.gpus), d.gpus)]
        })
        .collect()
}

/// A cluster's average hourly price of each resource over its priced nodes — Σ pool ÷ Σ
/// allocatable, per CPU core, GiB of memory, pod slot and GPU — in micros, for estimates
/// before anything runs. `None` when no node has a price.
pub fn unit_prices(nodes: &[NodeInput], weights: CostWeights) -> Option<[u64; 4]> {
    let (split, gpu_fraction) = normalised(weights);
    let (mut pool, mut alloc) = ([0.0_f64; 4], [0.0_f64; 4]);
    let mut priced = false;
    for node in nodes {
        let Some(price) = price_micros(node.price_per_hour) else { continue };
        priced = true;
        let p = pools(price as f64, node.gpus > 0, split, gpu_fraction);
        let amounts = [node.cpu_m as f64 / 1000.0, node.mem_b as f64 / (1u64 << 30) as f64, f64::from(node.pods), f64::from(node.gpus)];
        for (r, (value, amount)) in [p.cpu, p.mem, p.pods, p.gpu].into_iter().zip(amounts).enumerate() {
            pool[r] += value;
            alloc[r] += amount;
        }
    }
    priced.then(|| std::array::from_fn(|r| if alloc[r] > 0.0 { (pool[r] / alloc[r]).round() as u64 } else { 0 }))
}

/// One node over a period: its hourly price and for how many hours it was observed.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct NodeHours {
    pub name: String,
    /// `None` = price unknown (flagged, left out of every total, as in [`NodeInput`]).
    pub price_per_hour: Option<f64>,
    pub has_gpus: bool,
    pub hours: f64,
}

/// What one group (a namespace, or a workload) used of one node over a period: per pool
/// (CPU, memory, pod slots, GPU), the sum of `share × hours` over the samples.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct GroupUsage {
    /// Index into `PeriodInput::nodes`.
    pub node: u32,
    /// Index into the groups (`0..PeriodInput::groups`).
    pub group: u32,
    pub share_hours: [f64; 4],
}

/// One cluster over a period (an hour of the cost ledger), from shares gathered by sampling.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PeriodInput<'a> {
    pub nodes: &'a [NodeHours],
    pub usage: &'a [GroupUsage],
    pub groups: usize,
    /// The control-plane fee for the whole period (fee per hour × hours observed).
    pub control_plane: f64,
    pub weights: CostWeights,
}

/// Prices a period: like [`allocate`], but from shares summed over samples, so each amount is
/// money for the period. A single sample of one hour gives what `allocate` gives.
pub fn price_period(input: &PeriodInput, options: AllocationOptions) -> Allocation {
    let (split, gpu_fraction) = normalised(input.weights);
    let mut unpriced_nodes = Vec::new();
    let mut node_pools = vec![None; input.nodes.len()];
    let mut nodes_micros = 0.0_f64;
    for (node, slot) in input.nodes.iter().zip(node_pools.iter_mut()) {
        let Some(price) = price_micros(node.price_per_hour) else {
            unpriced_nodes.push(node.name.clone());
            continue;
        };
        let hours = if node.hours.is_finite() { node.hours.max(0.0) } else { 0.0 };
        nodes_micros += price as f64 * hours;
        *slot = Some((pools(price as f64, node.has_gpus, split, gpu_fraction), hours));
    }
    let mut charged = vec![0.0_f64; input.groups];
    // Per node and pool, the share-hours charged so far (never more than the node's hours).
    let mut used = vec![[0.0_f64; 4]; input.nodes.len()];
    for u in input.usage {
        let (n, g) = (u.node as usize, u.group as usize);
        let Some(Some((p, hours))) = node_pools.get(n) else { continue };
        if g >= input.groups {
            continue;
        }
        let rates = [p.cpu, p.mem, p.pods, p.gpu];
        for r in 0..4 {
            let room = (hours - used[n][r]).max(0.0);
            let sh = if u.share_hours[r].is_finite() { u.share_hours[r].clamp(0.0, room) } else { 0.0 };
            used[n][r] += sh;
            charged[g] += rates[r] * sh;
        }
    }
    let mut idle = 0.0;
    for (slot, used) in node_pools.iter().zip(&used) {
        if let Some((p, hours)) = slot {
            let rates = [p.cpu, p.mem, p.pods, p.gpu];
            idle += (0..4).map(|r| rates[r] * (hours - used[r]).max(0.0)).sum::<f64>();
        }
    }
    let control_plane_micros = price_micros(Some(input.control_plane)).unwrap_or(0);
    settle(charged, idle, control_plane_micros, nodes_micros.round() as i64, options, unpriced_nodes)
}

/// The common end of [`allocate`] and [`price_period`]: spreads the control plane and idle
/// as the options say, then rounds every part to whole micros adding up to the total.
fn settle(mut charged: Vec<f64>, mut idle: f64, control_plane_micros: i64, nodes_micros: i64, options: AllocationOptions, unpriced_nodes: Vec<String>) -> Allocation {
    let namespaces = charged.len();
    let total_micros = nodes_micros.saturating_add(control_plane_micros);
    let charged_sum: f64 = charged.iter().sum();
    let mut control_plane = control_plane_micros as f64;
    // Spreading pro rata to cost needs some cost to be pro rata to; with none, the amount
    // stays on its own line.
    if charged_sum > 0.0 {
        let mut spread = 0.0;
        if !options.control_plane_separate {
            spread += control_plane;
            control_plane = 0.0;
        }
        if options.spread_idle {
            spread += idle;
            idle = 0.0;
        }
        if spread > 0.0 {
            let factor = 1.0 + spread / charged_sum;
            charged.iter_mut().for_each(|c| *c *= factor);
        }
    }

    // Round every part to whole micros so that the parts add up to the total exactly.
    charged.push(idle.max(0.0));
    charged.push(control_plane);
    // The exact parts add up to the total; rounding only ever moves float error.
    debug_assert!((charged.iter().sum::<f64>() - total_micros as f64).abs() <= 1.0 + 1e-9 * total_micros as f64, "parts {} ≠ total {total_micros}", charged.iter().sum::<f64>());
    let micros = apportion(&charged, total_micros);
    let to_money = |m: i64| m as f64 / MICROS;
    Allocation {
        cluster_per_hour: to_money(total_micros),
        namespaces: micros[..namespaces].iter().copied().map(to_money).collect(),
        idle: to_money(micros[namespaces]),
        control_plane: to_money(micros[namespaces + 1]),
        unpriced_nodes,
    }
}

/// Largest-remainder rounding: whole numbers, each within about one of its (non-negative)
/// value, summing to `total`. A value of 0 stays 0. Leftovers that nothing can absorb
/// (only possible when every value is 0) go to the second-to-last part (idle).
fn apportion(values: &[f64], total: i64) -> Vec<i64> {
    let clean = |v: f64| if v.is_finite() && v > 0.0 { v } else { 0.0 };
    let mut parts: Vec<i64> = values.iter().map(|&v| clean(v).floor() as i64).collect();
    let mut diff = total - parts.iter().sum::<i64>();
    if diff == 0 {
        return parts;
    }
    let mut order: Vec<usize> = (0..values.len()).collect();
    let fraction = |i: usize| clean(values[i]) - clean(values[i]).floor();
    // Largest fractions first when adding, smallest first when taking away.
    order.sort_by(|&a, &b| fraction(b).total_cmp(&fraction(a)));
    if diff < 0 {
        order.reverse();
    }
    // Normally |diff| is below the number of parts and one round settles it; the step keeps
    // this linear-time even if float error ever left a larger gap.
    while diff != 0 {
        let movable = order.iter().filter(|&&i| if diff > 0 { clean(values[i]) > 0.0 } else { parts[i] > 0 }).count() as i64;
        if movable == 0 {
            // Nothing can take or give: put the rest on idle (keeps the sum exact).
            let idle = values.len().saturating_sub(2);
            parts[idle] += diff;
            break;
        }
        let step = (diff.abs() / movable).max(1);
        for &i in &order {
            if diff > 0 && clean(values[i]) > 0.0 {
                let add = step.min(diff);
                parts[i] += add;
                diff -= add;
            } else if diff < 0 && parts[i] > 0 {
                let take = step.min(-diff).min(parts[i]);
                parts[i] -= take;
                diff += take;
            }
            if diff == 0 {
                break;
            }
        }
    }
    parts
}

#[cfg(test)]
#[path = "cost_tests.rs"]
mod tests;
