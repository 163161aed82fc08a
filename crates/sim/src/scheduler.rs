//! Scheduler: binds pending pods to nodes where requests fit (cpu, memory, nvidia.com/gpu, pod
//! count, nodeSelector), preempts lower-priority pods when that makes room, otherwise marks the
//! pod Unschedulable with kube's `0/N nodes are available: ...` message and a FailedScheduling event.

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};

use crate::podinfo::{self, Res};
use crate::quantity;
use crate::resources::{NODE, POD};
use crate::store::{ObjRef, Store, now_rfc3339};

struct NodeInfo {
    name: String,
    labels: Value,
    alloc: Res,
    used: Res,
    pods: Vec<ObjRef>,
}

fn allocatable(node: &Value) -> Res {
    let a = node.pointer("/status/allocatable");
    let q = |k: &str| {
        a.and_then(|a| a.get(k))
            .and_then(quantity::parse_value)
            .unwrap_or(0.0)
    };
    Res {
        cpu: q("cpu"),
        mem: q("memory"),
        gpu: q(podinfo::GPU),
        pods: q("pods"),
    }
}

fn node_ready(node: &Value) -> bool {
    !node
        .pointer("/spec/unschedulable")
        .and_then(Value::as_bool)
        .unwrap_or(false)
        && node
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .is_some_and(|cs| {
                cs.iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True")
            })
}

/// Reasons the pod does not fit on a node given `used`; empty means it fits.
fn misfit(pod_req: &Res, selector: Option<&Value>, n: &NodeInfo, used: &Res) -> Vec<&'static str> {
    if let Some(sel) = selector.and_then(Value::as_object)
        && sel.iter().any(|(k, v)| n.labels.get(k) != Some(v))
    {
        return vec!["node(s) didn't match Pod's node affinity/selector"];
    }
    let mut out = Vec::new();
    if used.pods + 1.0 > n.alloc.pods {
        out.push("Too many pods");
    }
    if pod_req.cpu > 0.0 && used.cpu + pod_req.cpu > n.alloc.cpu + 1e-9 {
        out.push("Insufficient cpu");
    }
    if pod_req.mem > 0.0 && used.mem + pod_req.mem > n.alloc.mem + 0.5 {
        out.push("Insufficient memory");
    }
    if pod_req.gpu > 0.0 && used.gpu + pod_req.gpu > n.alloc.gpu + 1e-9 {
        out.push("Insufficient nvidia.com/gpu");
    }
    out
}

/// LeastAllocated-style score: lower is better (spreads load).
fn score(n: &NodeInfo, req: &Res) -> f64 {
    let f = |u: f64, r: f64, a: f64| if a > 0.0 { (u + r) / a } else { 0.0 };
    f(n.used.cpu, req.cpu, n.alloc.cpu) + f(n.used.mem, req.mem, n.alloc.mem)
}

fn set_condition(
    pod: &mut Value,
    ctype: &str,
    status: &str,
    reason: Option<&str>,
    message: Option<&str>,
) {
    let st = pod
        .as_object_mut()
        .expect("pod")
        .entry("status")
        .or_insert(json!({}));
    let conds = st
        .as_object_mut()
        .expect("status")
        .entry("conditions")
        .or_insert(json!([]));
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
            let same =
                existing["status"] == c["status"] && existing.get("reason") == c.get("reason");
            let ts = if same {
                existing["lastTransitionTime"].clone()
            } else {
                json!(now_rfc3339())
            };
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

pub(crate) fn set_pod_condition(
    pod: &mut Value,
    ctype: &str,
    status: &str,
    reason: Option<&str>,
    message: Option<&str>,
) {
    set_condition(pod, ctype, status, reason, message);
}

/// One scheduling pass over all unbound pods.
pub fn schedule(st: &mut Store) {
    let mut nodes: Vec<NodeInfo> = st
        .iter(NODE, None, None)
        .filter(|n| node_ready(&n.value()))
        .map(|n| NodeInfo {
            name: n.idx.name.to_string(),
            labels: n
                .value()
                .pointer("/metadata/labels")
                .cloned()
                .unwrap_or(json!({})),
            alloc: allocatable(&n.value()),
            used: Res::default(),
            pods: Vec::new(),
        })
        .collect();
    let total_nodes = st.count(NODE);
    let index: HashMap<String, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.clone(), i))
        .collect();
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
    pending.sort_by(|a, b| {
        b.idx
            .priority()
            .cmp(&a.idx.priority())
            .then_with(|| a.idx.created.cmp(&b.idx.created))
            .then_with(|| a.rv.cmp(&b.rv))
    });
    for pod in pending {
        let req = pod.idx.requests();
        let pv = pod.value();
        let selector = pv.pointer("/spec/nodeSelector");
        let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
        let mut best: Option<(usize, f64)> = None;
        for (i, n) in nodes.iter().enumerate() {
            let why = misfit(&req, selector, n, &n.used);
            if why.is_empty() {
                let s = score(n, &req);
                if best.is_none_or(|(_, b)| s < b) {
                    best = Some((i, s));
                }
            }
            for w in why {
                *reasons.entry(w).or_default() += 1;
            }
        }
        let ns = pod.idx.ns.to_string();
        let name = pod.idx.name.to_string();
        let target = match best {
            Some((i, _)) => Some(i),
            None => preempt(st, &mut nodes, &pod, &req, selector),
        };
        match target {
            Some(i) => {
                let node_name = nodes[i].name.clone();
                nodes[i].used.add(&req);
                if let Some(bound) = st.modify(POD, &ns, &name, |p| {
                    p["spec"]["nodeName"] = json!(node_name);
                    set_condition(p, "PodScheduled", "True", None, None);
                }) {
                    nodes[i].pods.push(bound.clone());
                    let msg = format!("Successfully assigned {ns}/{name} to {node_name}");
                    st.record_event(
                        &bound.value(),
                        "Normal",
                        "Scheduled",
                        &msg,
                        "default-scheduler",
                    );
                }
            }
            None => {
                let mut parts: Vec<String> =
                    reasons.iter().map(|(r, c)| format!("{c} {r}")).collect();
                parts.sort();
                let msg = if parts.is_empty() {
                    format!("0/{total_nodes} nodes are available.")
                } else {
                    format!("0/{total_nodes} nodes are available: {}.", parts.join(", "))
                };
                let before = pod
                    .value()
                    .pointer("/status/conditions")
                    .and_then(Value::as_array)
                    .and_then(|cs| cs.iter().find(|c| c["type"] == "PodScheduled"))
                    .and_then(|c| c.get("message"))
                    .and_then(Value::as_str)
                    .map(String::from);
                if before.as_deref() != Some(msg.as_str())
                    && let Some(p) = st.modify(POD, &ns, &name, |p| {
                        set_condition(
                            p,
                            "PodScheduled",
                            "False",
                            Some("Unschedulable"),
                            Some(&msg),
                        );
                    })
                {
                    st.record_event(
                        &p.value(),
                        "Warning",
                        "FailedScheduling",
                        &msg,
                        "default-scheduler",
                    );
                }
            }
        }
    }
}

/// Finds the node where evicting the fewest lower-priority pods lets `pod` fit, evicts them, and
/// returns that node's index.
fn preempt(
    st: &mut Store,
    nodes: &mut [NodeInfo],
    pod: &ObjRef,
    req: &Res,
    selector: Option<&Value>,
) -> Option<usize> {
    // A pod whose class says `preemptionPolicy: Never` waits for room instead.
    if pod.value().pointer("/spec/preemptionPolicy").and_then(Value::as_str) == Some("Never") {
        return None;
    }
    let prio = pod.idx.priority();
    let mut best: Option<(usize, Vec<ObjRef>)> = None;
    for (i, n) in nodes.iter().enumerate() {
        let mut victims: Vec<ObjRef> = n
            .pods
            .iter()
            .filter(|p| p.idx.priority() < prio)
            .cloned()
            .collect();
        if victims.is_empty() {
            continue;
        }
        victims.sort_by_key(|p| p.idx.priority());
        let mut used = n.used;
        let mut chosen = Vec::new();
        for v in victims {
            if misfit(req, selector, n, &used).is_empty() {
                break;
            }
            used.sub(&v.idx.requests());
            chosen.push(v);
        }
        if !misfit(req, selector, n, &used).is_empty() {
            continue;
        }
        if best.as_ref().is_none_or(|(_, b)| chosen.len() < b.len()) {
            best = Some((i, chosen));
        }
    }
    let (i, victims) = best?;
    let pod_ns = &*pod.idx.ns;
    let pod_name = &*pod.idx.name;
    for v in &victims {
        let (vns, vname) = (v.idx.ns.to_string(), v.idx.name.to_string());
        let msg = format!(
            "Preempted by pod {} on node {}",
            &*pod.idx.uid, nodes[i].name
        );
        st.record_event(&v.value(), "Normal", "Preempted", &msg, "default-scheduler");
        if st.delete(POD, &vns, &vname).is_ok() {
            nodes[i].used.sub(&v.idx.requests());
            nodes[i].pods.retain(|p| !std::sync::Arc::ptr_eq(p, v));
        }
    }
    let node = nodes[i].name.clone();
    st.modify(POD, pod_ns, pod_name, |p| {
        p["status"]["nominatedNodeName"] = json!(node);
    });
    Some(i)
}
