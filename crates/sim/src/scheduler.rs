//! Scheduler: binds pending pods to nodes that pass kube-scheduler's filters, in its plugin order
//! (a node reports only its first failing plugin): NodeUnschedulable (cordoned nodes), TaintToleration
//! (NoSchedule/NoExecute taints against the pod's tolerations; a not-Ready node counts as tainted
//! `node.kubernetes.io/not-ready:NoSchedule`, as the node lifecycle controller would taint it),
//! NodeAffinity (nodeSelector), NodeResourcesFit (pod count, cpu, memory, nvidia.com/gpu; every
//! short resource is listed). Among fitting nodes the least allocated wins, and each untolerated
//! PreferNoSchedule taint weighs heavily against a node (kube's TaintToleration score, weight 3).
//!
//! When nothing fits, DefaultPreemption runs on the nodes where only resources were short: victims
//! are chosen like kube's SelectVictimsOnNode (all lower-priority pods out, the most important let
//! back in while the pod still fits), the node with the least important (then fewest) victims wins,
//! they are deleted and the pod binds at once (kube nominates the node and binds once the victims
//! are gone; a victim here vanishes immediately).
//! Otherwise the pod is marked Unschedulable with a FailedScheduling event carrying kube's full
//! message, the post-filter part included:
//! `0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: },
//! 1 node(s) were unschedulable, 2 Insufficient cpu. preemption: 0/4 nodes are available: 2 No
//! preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling.`
//! ("N reason" entries sorted as strings, like kube's histogram; "Preemption is not helpful" for
//! nodes failing a filter eviction cannot fix, which includes a request larger than the node's
//! allocatable; `preemption: not eligible due to preemptionPolicy=Never.` for such pods).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::podinfo::{self, Res};
use crate::quantity;
use crate::resources::{NODE, POD};
use crate::store::{ObjRef, Store, now_rfc3339};

/// The taint key kube's NodeUnschedulable plugin lets pods tolerate a cordon with.
const TAINT_UNSCHEDULABLE: &str = "node.kubernetes.io/unschedulable";
/// The taint the node lifecycle controller puts on a node that is not Ready.
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";

struct NodeInfo {
    name: String,
    labels: Value,
    alloc: Res,
    used: Res,
    pods: Vec<ObjRef>,
    /// `spec.taints`, plus the not-ready taint for a node that is not Ready.
    taints: Vec<Value>,
    unschedulable: bool,
}

fn allocatable(node: &Value) -> Res {
    let a = node.pointer("/status/allocatable");
    let q = |k: &str| a.and_then(|a| a.get(k)).and_then(quantity::parse_value).unwrap_or(0.0);
    Res { cpu: q("cpu"), mem: q("memory"), gpu: q(podinfo::GPU), pods: q("pods") }
}

fn node_ready(node: &Value) -> bool {
    node.pointer("/status/conditions").and_then(Value::as_array).is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

/// A node's `spec.taints` (empty when none).
pub fn node_taints(node: &Value) -> Vec<Value> {
    node.pointer("/spec/taints").and_then(Value::as_array).cloned().unwrap_or_default()
}

/// A pod's `spec.tolerations` (empty when none).
pub fn pod_tolerations(pod: &Value) -> Vec<Value> {
    pod.pointer("/spec/tolerations").and_then(Value::as_array).cloned().unwrap_or_default()
}

fn field<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// kube's `Toleration.ToleratesTaint`: an empty effect matches every effect, an empty key (with
/// Exists) every key; the operator defaults to Equal, which compares values.
pub fn tolerates(toleration: &Value, taint: &Value) -> bool {
    let effect = field(toleration, "effect");
    if !effect.is_empty() && effect != field(taint, "effect") {
        return false;
    }
    let key = field(toleration, "key");
    if !key.is_empty() && key != field(taint, "key") {
        return false;
    }
    match field(toleration, "operator") {
        "" | "Equal" => field(toleration, "value") == field(taint, "value"),
        "Exists" => true,
        _ => false,
    }
}

/// The first taint with one of `effects` that no toleration tolerates (kube's
/// `FindMatchingUntoleratedTaint`).
pub fn untolerated<'a>(taints: &'a [Value], tolerations: &[Value], effects: &[&str]) -> Option<&'a Value> {
    taints.iter().filter(|t| effects.contains(&field(t, "effect"))).find(|t| !tolerations.iter().any(|tol| tolerates(tol, t)))
}

/// What the scheduler needs of a pending pod.
struct PodCtx<'a> {
    req: Res,
    selector: Option<&'a Value>,
    tolerations: Vec<Value>,
}

/// Why a node fails a pod: the first failing filter plugin's reasons, and whether evicting pods
/// could ever help (kube's Unschedulable vs UnschedulableAndUnresolvable).
struct Misfit {
    reasons: Vec<String>,
    unresolvable: bool,
}

impl Misfit {
    fn unresolvable(reason: String) -> Self {
        Misfit { reasons: vec![reason], unresolvable: true }
    }
}

/// The node-level filters (cordon, taints, selector), which no eviction changes.
fn node_misfit(pod: &PodCtx<'_>, n: &NodeInfo) -> Option<Misfit> {
    let cordon = || json!({"key": TAINT_UNSCHEDULABLE, "effect": "NoSchedule"});
    if n.unschedulable && !pod.tolerations.iter().any(|t| tolerates(t, &cordon())) {
        return Some(Misfit::unresolvable("node(s) were unschedulable".into()));
    }
    if let Some(t) = untolerated(&n.taints, &pod.tolerations, &["NoSchedule", "NoExecute"]) {
        return Some(Misfit::unresolvable(format!("node(s) had untolerated taint {{{}: {}}}", field(t, "key"), field(t, "value"))));
    }
    if let Some(sel) = pod.selector.and_then(Value::as_object)
        && sel.iter().any(|(k, v)| n.labels.get(k) != Some(v))
    {
        return Some(Misfit::unresolvable("node(s) didn't match Pod's node affinity/selector".into()));
    }
    None
}

/// NodeResourcesFit given `used`: every short resource, unresolvable when the request exceeds the
/// node's whole allocatable.
fn resource_misfit(req: &Res, n: &NodeInfo, used: &Res) -> Option<Misfit> {
    let mut m = Misfit { reasons: Vec::new(), unresolvable: false };
    if used.pods + 1.0 > n.alloc.pods {
        m.reasons.push("Too many pods".into());
    }
    let mut short = |want: f64, used: f64, alloc: f64, slack: f64, reason: &str| {
        if want > 0.0 && used + want > alloc + slack {
            m.reasons.push(reason.into());
            m.unresolvable |= want > alloc + slack;
        }
    };
    short(req.cpu, used.cpu, n.alloc.cpu, 1e-9, "Insufficient cpu");
    short(req.mem, used.mem, n.alloc.mem, 0.5, "Insufficient memory");
    short(req.gpu, used.gpu, n.alloc.gpu, 1e-9, "Insufficient nvidia.com/gpu");
    (!m.reasons.is_empty()).then_some(m)
}

/// All filters in kube's order; None means the pod fits.
fn misfit(pod: &PodCtx<'_>, n: &NodeInfo, used: &Res) -> Option<Misfit> {
    node_misfit(pod, n).or_else(|| resource_misfit(&pod.req, n, used))
}

/// LeastAllocated-style score, lower is better (spreads load); each untolerated PreferNoSchedule
/// taint outweighs any difference in load.
fn score(n: &NodeInfo, pod: &PodCtx<'_>) -> f64 {
    let f = |u: f64, r: f64, a: f64| if a > 0.0 { (u + r) / a } else { 0.0 };
    let load = f(n.used.cpu, pod.req.cpu, n.alloc.cpu) + f(n.used.mem, pod.req.mem, n.alloc.mem);
    let avoided = n.taints.iter().filter(|t| field(t, "effect") == "PreferNoSchedule").filter(|t| !pod.tolerations.iter().any(|tol| tolerates(tol, t))).count();
    load + 10.0 * avoided as f64
}

/// kube's FitError text: `0/N nodes are available: <"count reason" sorted>.`
fn fit_error(total_nodes: usize, reasons: &BTreeMap<String, usize>) -> String {
    let mut parts: Vec<String> = reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
    parts.sort();
    if parts.is_empty() { format!("0/{total_nodes} nodes are available.") } else { format!("0/{total_nodes} nodes are available: {}.", parts.join(", ")) }
}

fn set_condition(pod: &mut Value, ctype: &str, status: &str, reason: Option<&str>, message: Option<&str>) {
    let st = pod.as_object_mut().expect("pod").entry("status").or_insert(json!({}));
    let conds = st.as_object_mut().expect("status").entry("conditions").or_insert(json!([]));
    let Some(arr) = conds.as_array_mut() else {
        return;
    };
    let mut c = json!({"type": ctype, "status": status, "lastProbeTime": null});
    if let Some(r) = reason {
        c["reason"] = json!(r);
    }
    if let Some(m) = message {
        c["message"] = json!(m);
    }
    match arr.iter_mut().find(|x| x["type"] == ctype) {
        Some(existing) => {
            let same = existing["status"] == c["status"] && existing.get("reason") == c.get("reason");
            let ts = if same { existing["lastTransitionTime"].clone() } else { json!(now_rfc3339()) };
            c["lastTransitionTime"] = ts;
            if *existing != c {
                *existing = c;
            }
        }
        None => {
            c["lastTransitionTime"] = json!(now_rfc3339());
            arr.push(c);
        }
    }
}

pub(crate) fn set_pod_condition(pod: &mut Value, ctype: &str, status: &str, reason: Option<&str>, message: Option<&str>) {
    set_condition(pod, ctype, status, reason, message);
}

/// One scheduling pass over all unbound pods.
pub fn schedule(st: &mut Store) {
    let mut nodes: Vec<NodeInfo> = st.iter(NODE, None, None).map(|n| node_info(n.idx.name.to_string(), &n.value())).collect();
    let total_nodes = nodes.len();
    let index: HashMap<String, usize> = nodes.iter().enumerate().map(|(i, n)| (n.name.clone(), i)).collect();
    let mut pending: Vec<ObjRef> = Vec::new();
    for p in st.iter(POD, None, None) {
        if p.idx.is_terminal() {
            continue;
        }
        let node = p.idx.node_name();
        if node.is_empty() {
            pending.push(p.clone());
        } else if let Some(&i) = index.get(node) {
            nodes[i].used.add(&p.idx.requests());
            nodes[i].pods.push(p.clone());
        }
    }
    if pending.is_empty() {
        return;
    }
    pending.sort_by(|a, b| b.idx.priority().cmp(&a.idx.priority()).then_with(|| a.idx.created.cmp(&b.idx.created)).then_with(|| a.rv.cmp(&b.rv)));
    for pod in pending {
        schedule_one(st, &mut nodes, &pod, total_nodes);
    }
}

fn node_info(name: String, v: &Value) -> NodeInfo {
    let mut taints = node_taints(v);
    if !node_ready(v) && !taints.iter().any(|t| field(t, "key") == TAINT_NOT_READY) {
        taints.push(json!({"key": TAINT_NOT_READY, "effect": "NoSchedule"}));
    }
    NodeInfo {
        name,
        labels: v.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
        alloc: allocatable(v),
        used: Res::default(),
        pods: Vec::new(),
        taints,
        unschedulable: v.pointer("/spec/unschedulable").and_then(Value::as_bool).unwrap_or(false),
    }
}

fn schedule_one(st: &mut Store, nodes: &mut [NodeInfo], pod: &ObjRef, total_nodes: usize) {
    let pv = pod.value();
    let ctx = PodCtx { req: pod.idx.requests(), selector: pv.pointer("/spec/nodeSelector"), tolerations: pod_tolerations(&pv) };
    let mut misfits: Vec<Option<Misfit>> = Vec::with_capacity(nodes.len());
    let mut best: Option<(usize, f64)> = None;
    for (i, n) in nodes.iter().enumerate() {
        let m = misfit(&ctx, n, &n.used);
        if m.is_none() {
            let s = score(n, &ctx);
            if best.is_none_or(|(_, b)| s < b) {
                best = Some((i, s));
            }
        }
        misfits.push(m);
    }
    let target = match best {
        Some((i, _)) => Ok(i),
        None => preempt(st, nodes, pod, &ctx, &misfits),
    };
    match target {
        Ok(i) => bind(st, &mut nodes[i], pod, &ctx.req),
        // kube-scheduler's ErrNoNodesAvailable.
        Err(_) if total_nodes == 0 => mark_unschedulable(st, pod, "no nodes available to schedule pods"),
        Err(post_filter) => {
            let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
            for r in misfits.into_iter().flatten().flat_map(|m| m.reasons) {
                *reasons.entry(r).or_default() += 1;
            }
            let msg = format!("{} {post_filter}", fit_error(total_nodes, &reasons));
            mark_unschedulable(st, pod, &msg);
        }
    }
}

fn bind(st: &mut Store, node: &mut NodeInfo, pod: &ObjRef, req: &Res) {
    let (ns, name) = (pod.idx.ns.to_string(), pod.idx.name.to_string());
    let node_name = node.name.clone();
    node.used.add(req);
    if let Some(bound) = st.modify(POD, &ns, &name, |p| {
        p["spec"]["nodeName"] = json!(node_name);
        set_condition(p, "PodScheduled", "True", None, None);
    }) {
        node.pods.push(bound.clone());
        let msg = format!("Successfully assigned {ns}/{name} to {node_name}");
        st.record_event(&bound.value(), "Normal", "Scheduled", &msg, "default-scheduler");
    }
}

/// PodScheduled=False/Unschedulable and a FailedScheduling event, once per distinct message.
fn mark_unschedulable(st: &mut Store, pod: &ObjRef, msg: &str) {
    let (ns, name) = (pod.idx.ns.to_string(), pod.idx.name.to_string());
    let before = pod
        .value()
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|cs| cs.iter().find(|c| c["type"] == "PodScheduled"))
        .and_then(|c| c.get("message"))
        .and_then(Value::as_str)
        .map(String::from);
    if before.as_deref() != Some(msg)
        && let Some(p) = st.modify(POD, &ns, &name, |p| {
            set_condition(p, "PodScheduled", "False", Some("Unschedulable"), Some(msg));
        })
    {
        st.record_event(&p.value(), "Warning", "FailedScheduling", msg, "default-scheduler");
    }
}

/// The victims that make room for `pod` on node `n`, as kube's SelectVictimsOnNode picks them:
/// all lower-priority pods must make room together, then the most important are reprieved while
/// the pod still fits. Err: why the node cannot help (kube's per-node preemption status).
fn victims_on(pod: &PodCtx<'_>, prio: i64, n: &NodeInfo) -> Result<Vec<ObjRef>, String> {
    let mut lower: Vec<ObjRef> = n.pods.iter().filter(|p| p.idx.priority() < prio).cloned().collect();
    if lower.is_empty() {
        return Err("No preemption victims found for incoming pod".into());
    }
    let mut used = n.used;
    for v in &lower {
        used.sub(&v.idx.requests());
    }
    if let Some(m) = misfit(pod, n, &used) {
        return Err(m.reasons.join(", "));
    }
    // Most important first: higher priority, then older.
    lower.sort_by(|a, b| b.idx.priority().cmp(&a.idx.priority()).then_with(|| a.idx.created.cmp(&b.idx.created)));
    let mut victims = Vec::new();
    for v in lower {
        let mut with = used;
        with.add(&v.idx.requests());
        if misfit(pod, n, &with).is_none() {
            used = with;
        } else {
            victims.push(v);
        }
    }
    Ok(victims)
}

/// DefaultPreemption: evicts the cheapest set of lower-priority pods that makes room and returns
/// that node, or Err with kube's post-filter message.
fn preempt(st: &mut Store, nodes: &mut [NodeInfo], pod: &ObjRef, ctx: &PodCtx<'_>, misfits: &[Option<Misfit>]) -> Result<usize, String> {
    if pod.value().pointer("/spec/preemptionPolicy").and_then(Value::as_str) == Some("Never") {
        return Err("preemption: not eligible due to preemptionPolicy=Never.".into());
    }
    let prio = pod.idx.priority();
    let mut best: Option<(usize, Vec<ObjRef>)> = None;
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        let outcome = match &misfits[i] {
            Some(m) if m.unresolvable => Err("Preemption is not helpful for scheduling".into()),
            _ => victims_on(ctx, prio, n),
        };
        match outcome {
            Ok(victims) => {
                // kube prefers the lowest most-important victim, then the fewest victims.
                let rank = |vs: &[ObjRef]| (vs.iter().map(|v| v.idx.priority()).max().unwrap_or(i64::MIN), vs.len());
                if best.as_ref().is_none_or(|(_, b)| rank(&victims) < rank(b)) {
                    best = Some((i, victims));
                }
            }
            Err(r) => *reasons.entry(r).or_default() += 1,
        }
    }
    let Some((i, victims)) = best else {
        return Err(format!("preemption: {}", fit_error(nodes.len(), &reasons)));
    };
    evict_victims(st, &mut nodes[i], pod, &victims);
    Ok(i)
}

fn evict_victims(st: &mut Store, node: &mut NodeInfo, pod: &ObjRef, victims: &[ObjRef]) {
    for v in victims {
        let (vns, vname) = (v.idx.ns.to_string(), v.idx.name.to_string());
        let msg = format!("Preempted by pod {} on node {}", &*pod.idx.uid, node.name);
        st.record_event(&v.value(), "Normal", "Preempted", &msg, "default-scheduler");
        if st.delete(POD, &vns, &vname).is_ok() {
            node.used.sub(&v.idx.requests());
            node.pods.retain(|p| !std::sync::Arc::ptr_eq(p, v));
        }
    }
    let node_name = node.name.clone();
    st.modify(POD, &pod.idx.ns, &pod.idx.name, |p| {
        p["status"]["nominatedNodeName"] = json!(node_name);
    });
}
