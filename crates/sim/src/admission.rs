//! Admission on create: LimitRange defaults and PriorityClass resolution for pods, ResourceQuota
//! enforcement for every namespaced kind (compute quota for pods, object counts for the rest; 403
//! Forbidden with kube's `failed quota` / `exceeded quota` messages), plus quota status.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::podinfo;
use crate::quantity;
use crate::resources::{CONFIG_MAP, LIMIT_RANGE, POD, PRIORITY_CLASS, RESOURCE_QUOTA, RESOURCES, ResId, SERVICE};
use crate::status::ApiError;
use crate::store::{Store, meta_str};

/// The LimitRanger admission plugin's defaults: for every container and init container, each
/// resource missing from `limits` comes from a `Container` item's `default`, each missing from
/// `requests` from its `defaultRequest` (after kube's LimitRange item defaulting, so `default`
/// also stands for a missing `defaultRequest`). Runs after API defaulting (requests from limits).
pub fn apply_limit_ranges(st: &Store, ns: &str, pod: &mut Value) {
    for lr in st.iter(LIMIT_RANGE, Some(ns), None) {
        for item in lr.value().pointer("/spec/limits").and_then(Value::as_array).into_iter().flatten() {
            let mut item = item.clone();
            crate::defaults::default_limit_range_item(&mut item);
            if item.get("type").and_then(Value::as_str) != Some("Container") {
                continue;
            }
            for key in ["containers", "initContainers"] {
                let Some(cs) = pod.pointer_mut(&format!("/spec/{key}")).and_then(Value::as_array_mut) else {
                    continue;
                };
                for c in cs {
                    let Some(co) = c.as_object_mut() else {
                        continue;
                    };
                    let res = co.entry("resources").or_insert(json!({}));
                    for (src, dst) in [("default", "limits"), ("defaultRequest", "requests")] {
                        let Some(defaults) = item.get(src).and_then(Value::as_object) else {
                            continue;
                        };
                        let Some(ro) = res.as_object_mut() else {
                            continue;
                        };
                        let target = ro.entry(dst).or_insert(json!({}));
                        if let Some(t) = target.as_object_mut() {
                            for (k, v) in defaults {
                                t.entry(k.clone()).or_insert(v.clone());
                            }
                        }
                    }
                }
            }
        }
    }
}

const DEFAULT_PREEMPTION: &str = "PreemptLowerPriority";

fn policy_of(pc: &Value) -> String {
    pc.get("preemptionPolicy").and_then(Value::as_str).unwrap_or(DEFAULT_PREEMPTION).to_owned()
}

/// Resolves `spec.priorityClassName` (or the global default class) into `spec.priority` and
/// `spec.preemptionPolicy`.
pub fn resolve_priority(st: &Store, pod: &mut Value) -> Result<(), String> {
    let class = pod.pointer("/spec/priorityClassName").and_then(Value::as_str).unwrap_or("").to_string();
    let value = if class.is_empty() {
        st.iter(PRIORITY_CLASS, None, None)
            .find(|pc| pc.value().get("globalDefault").and_then(Value::as_bool).unwrap_or(false))
            .map(|pc| (pc.value()["value"].as_i64().unwrap_or(0), pc.idx.name.to_string(), policy_of(&pc.value())))
    } else {
        let pc = st.get(PRIORITY_CLASS, "", &class).ok_or_else(|| format!("no PriorityClass with name {class} was found"))?;
        Some((pc.value()["value"].as_i64().unwrap_or(0), class, policy_of(&pc.value())))
    };
    if let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) {
        let (v, name, policy) = value.unwrap_or((0, String::new(), DEFAULT_PREEMPTION.to_owned()));
        spec.insert("priority".into(), json!(v));
        // As the Priority admission plugin does: the class's policy is copied into the pod.
        spec.insert("preemptionPolicy".into(), json!(policy));
        if !name.is_empty() {
            spec.insert("priorityClassName".into(), json!(name));
        }
    }
    Ok(())
}

/// The quota keys kube's pod evaluator tracks by name (pkg/quota/v1/evaluator/core/pods.go).
const POD_KEYS: &[&str] =
    &["count/pods", "pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage"];

/// Keys that, when a quota tracks them, every container must give a value for (kube keeps this
/// for backward compatibility; ephemeral-storage and extended resources are not in it).
const MUST_SPECIFY: &[&str] = &["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

/// The quota keys kube's service evaluator tracks.
const SERVICE_KEYS: &[&str] = &["count/services", "services", "services.loadbalancers", "services.nodeports"];

/// An extended resource (`nvidia.com/gpu`): a domain-prefixed name outside kubernetes.io.
fn is_extended(name: &str) -> bool {
    name.contains('/') && !name.contains("kubernetes.io/") && !name.starts_with("requests.")
}

/// kube's `podComputeUsageHelper`: what given requests and limits count as, by quota key. `cpu`,
/// `memory` and `ephemeral-storage` are the requests; extended resources only count as
/// `requests.<name>` (they cannot be overcommitted, so requests equal limits).
fn compute_usage(req: &BTreeMap<String, f64>, lim: &BTreeMap<String, f64>) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::from([("pods".to_string(), 1.0)]);
    for r in ["cpu", "memory", "ephemeral-storage"] {
        if let Some(v) = req.get(r) {
            out.insert(r.to_string(), *v);
            out.insert(format!("requests.{r}"), *v);
        }
        if let Some(v) = lim.get(r) {
            out.insert(format!("limits.{r}"), *v);
        }
    }
    for (k, v) in req {
        if k.starts_with("hugepages-") {
            out.insert(k.clone(), *v);
            out.insert(format!("requests.{k}"), *v);
        }
        if is_extended(k) {
            out.insert(format!("requests.{k}"), *v);
        }
    }
    out
}

/// What one pod counts against quota, by key (kube's `PodUsageFunc`): `count/pods` always, the
/// compute keys ("pods", "requests.cpu", "cpu", "limits.memory", "requests.nvidia.com/gpu", ...)
/// from the pod's requests and limits while it is not Succeeded/Failed.
pub(crate) fn pod_usage(pod: &Value) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::from([("count/pods".to_string(), 1.0)]);
    if !podinfo::is_terminal(pod) {
        out.extend(compute_usage(&podinfo::pod_resources(pod, "requests"), &podinfo::pod_resources(pod, "limits")));
    }
    out
}

/// kube's object count quota key for a resource: `count/<plural>` (core) or `count/<plural>.<group>`.
fn count_key(res: ResId) -> String {
    let def = &RESOURCES[res];
    if def.group.is_empty() { format!("count/{}", def.plural) } else { format!("count/{}.{}", def.plural, def.group) }
}

/// The older names kube still counts objects under (the `count/` form came later).
fn legacy_alias(res: ResId) -> Option<&'static str> {
    match res {
        CONFIG_MAP => Some("configmaps"),
        RESOURCE_QUOTA => Some("resourcequotas"),
        _ => None,
    }
}

/// Whether quota key `key` counts objects of `res` (the evaluator's `MatchingResources`).
fn tracks(res: ResId, key: &str) -> bool {
    match res {
        POD => POD_KEYS.contains(&key) || key.starts_with("hugepages-") || key.starts_with("requests.hugepages-") || key.strip_prefix("requests.").is_some_and(is_extended),
        SERVICE => SERVICE_KEYS.contains(&key),
        _ => key == count_key(res) || legacy_alias(res) == Some(key),
    }
}

/// The stored namespaced resource whose objects quota key `key` counts; None when no evaluator
/// tracks the key (kube then reports no usage for it).
fn resource_for(key: &str) -> Option<ResId> {
    (0..RESOURCES.len()).find(|&r| RESOURCES[r].namespaced && !RESOURCES[r].computed && tracks(r, key))
}

/// What one object counts against quota, by key (the evaluators' `Usage`).
pub(crate) fn object_usage(res: ResId, obj: &Value) -> BTreeMap<String, f64> {
    match res {
        POD => pod_usage(obj),
        SERVICE => {
            let ports = obj.pointer("/spec/ports").and_then(Value::as_array);
            let n = ports.map_or(0, Vec::len) as f64;
            let (lb, node_ports) = match obj.pointer("/spec/type").and_then(Value::as_str) {
                Some("NodePort") => (0.0, n),
                Some("LoadBalancer") => {
                    let allocate = obj.pointer("/spec/allocateLoadBalancerNodePorts").and_then(Value::as_bool).unwrap_or(true);
                    let explicit = ports.into_iter().flatten().filter(|p| p.get("nodePort").and_then(Value::as_i64).unwrap_or(0) != 0);
                    (1.0, if allocate { n } else { explicit.count() as f64 })
                }
                _ => (0.0, 0.0),
            };
            BTreeMap::from([("count/services".to_string(), 1.0), ("services".to_string(), 1.0), ("services.loadbalancers".to_string(), lb), ("services.nodeports".to_string(), node_ports)])
        }
        _ => {
            let mut out = BTreeMap::from([(count_key(res), 1.0)]);
            if let Some(a) = legacy_alias(res) {
                out.insert(a.to_string(), 1.0);
            }
            out
        }
    }
}

fn hard_of(q: &Value) -> BTreeMap<String, f64> {
    q.pointer("/spec/hard").and_then(Value::as_object).map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), quantity::parse_value(v)?))).collect()).unwrap_or_default()
}

/// Current usage in a namespace for those of `keys` that some evaluator tracks (what kube's quota
/// controller writes to `status.used`); untracked keys are left out.
pub fn namespace_usage(st: &Store, ns: &str, keys: &[String]) -> BTreeMap<String, f64> {
    let mut by_res: BTreeMap<ResId, Vec<&str>> = BTreeMap::new();
    for k in keys {
        if let Some(r) = resource_for(k) {
            by_res.entry(r).or_default().push(k);
        }
    }
    let mut used = BTreeMap::new();
    for (r, ks) in by_res {
        let mut sums = vec![0.0; ks.len()];
        for o in st.iter(r, Some(ns), None) {
            match r {
                POD => {
                    for (s, k) in sums.iter_mut().zip(&ks) {
                        *s += o.idx.quota_usage(k);
                    }
                }
                SERVICE => {
                    let u = object_usage(r, &o.value());
                    for (s, k) in sums.iter_mut().zip(&ks) {
                        *s += u.get(*k).copied().unwrap_or(0.0);
                    }
                }
                // Every key of any other resource is an object count.
                _ => sums.iter_mut().for_each(|s| *s += 1.0),
            }
        }
        used.extend(ks.into_iter().map(String::from).zip(sums));
    }
    used
}

/// kube's pod evaluator `Constraints`: when a quota tracks cpu or memory (requests or limits),
/// every container and init container must give a value for it; the error lists each missing key
/// (sorted) with the containers missing it (sorted).
fn pod_constraints(tracked: &[&String], pod: &Value) -> Result<(), String> {
    let required: Vec<&str> = tracked.iter().map(|k| k.as_str()).filter(|k| MUST_SPECIFY.contains(k)).collect();
    if required.is_empty() {
        return Ok(());
    }
    let mut missing: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for key in ["containers", "initContainers"] {
        for c in pod.pointer(&format!("/spec/{key}")).and_then(Value::as_array).into_iter().flatten() {
            let has = compute_usage(&podinfo::container_resources(c, "requests"), &podinfo::container_resources(c, "limits"));
            let name = c.get("name").and_then(Value::as_str).unwrap_or("");
            for r in required.iter().filter(|r| !has.contains_key(**r)) {
                missing.entry(r).or_default().insert(name);
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let parts: Vec<String> = missing.iter().map(|(r, cs)| format!("{r} for: {}", cs.iter().copied().collect::<Vec<_>>().join(","))).collect();
    Err(format!("must specify {}", parts.join("; ")))
}

/// `new` is over `hard`, allowing for float rounding.
fn exceeds(new: f64, hard: f64) -> bool {
    new > hard + 1e-9 * hard.abs().max(1.0)
}

/// kube's ResourceQuota admission for creating `obj` (of `res`) in `ns`: first every quota that
/// tracks one of its keys checks its constraints (`failed quota: <q>: must specify ...`), then
/// each such quota refuses the object if it would push a key over the hard limit
/// (`exceeded quota: <q>, requested: <k>=<v>,..., used: ..., limited: ...`, keys sorted).
pub fn check_quota(st: &Store, ns: &str, res: ResId, obj: &Value) -> Result<(), String> {
    let mut pertinent = Vec::new();
    for q in st.iter(RESOURCE_QUOTA, Some(ns), None) {
        let hard = hard_of(&q.value());
        let tracked: Vec<&String> = hard.keys().filter(|k| tracks(res, k)).collect();
        if tracked.is_empty() {
            continue;
        }
        if res == POD {
            pod_constraints(&tracked, obj).map_err(|e| format!("failed quota: {}: {e}", q.idx.name))?;
        }
        pertinent.push((q.idx.name.to_string(), hard));
    }
    let delta = object_usage(res, obj);
    if pertinent.is_empty() || delta.values().all(|v| *v == 0.0) {
        return Ok(());
    }
    for (qname, hard) in pertinent {
        let requested: Vec<(&String, f64)> = delta.iter().filter(|(k, _)| hard.contains_key(*k)).map(|(k, v)| (k, *v)).collect();
        let keys: Vec<String> = requested.iter().map(|(k, _)| (*k).clone()).collect();
        let used = namespace_usage(st, ns, &keys);
        let used_of = |k: &str| used.get(k).copied().unwrap_or(0.0);
        let over: Vec<(&String, f64)> = requested.into_iter().filter(|(k, r)| exceeds(used_of(k) + r, hard[*k])).collect();
        if !over.is_empty() {
            let fmt = |m: &dyn Fn(&str, f64) -> f64| over.iter().map(|(k, r)| format!("{k}={}", quantity::format_for(k, m(k, *r)))).collect::<Vec<_>>().join(",");
            return Err(format!("exceeded quota: {qname}, requested: {}, used: {}, limited: {}", fmt(&|_, r| r), fmt(&|k, _| used_of(k)), fmt(&|k, _| hard[k]),));
        }
    }
    Ok(())
}

/// Admission on create of a namespaced object: the pod chain for pods, object-count quota for
/// everything else. Refusals are 403 Forbidden, as kube's admission plugins give.
pub fn admit(st: &Store, ns: &str, res: ResId, obj: &mut Value) -> Result<(), ApiError> {
    if res == POD {
        return admit_pod(st, ns, obj);
    }
    let def = &RESOURCES[res];
    check_quota(st, ns, res, obj).map_err(|m| ApiError::forbidden(def.group, def.plural, &display_name(obj), &m))
}

/// The name a refusal names: the object's name, or its generateName prefix.
fn display_name(obj: &Value) -> String {
    match meta_str(obj, "name") {
        "" => meta_str(obj, "generateName").to_string(),
        n => n.to_string(),
    }
}

/// Full pod admission on create. Errors are 403 Forbidden like kube's admission plugins.
/// The order is kube's: API defaulting (requests from limits) at decode, then the LimitRanger,
/// Priority and ResourceQuota plugins.
pub fn admit_pod(st: &Store, ns: &str, pod: &mut Value) -> Result<(), ApiError> {
    let name = display_name(pod);
    if let Some(spec) = pod.get_mut("spec") {
        crate::defaults::default_pod_spec(spec);
        crate::defaults::default_pod_requests(spec);
    }
    apply_limit_ranges(st, ns, pod);
    resolve_priority(st, pod).map_err(|m| ApiError::forbidden("", "pods", &name, &m))?;
    check_quota(st, ns, POD, pod).map_err(|m| ApiError::forbidden("", "pods", &name, &m))?;
    Ok(())
}

/// Recomputes `status.hard` / `status.used` of every ResourceQuota.
pub fn refresh_quota_status(st: &mut Store) {
    let quotas: Vec<(String, String, BTreeMap<String, f64>)> = st.iter(RESOURCE_QUOTA, None, None).map(|q| (q.idx.ns.to_string(), q.idx.name.to_string(), hard_of(&q.value()))).collect();
    for (ns, name, hard) in quotas {
        let keys: Vec<String> = hard.keys().cloned().collect();
        let used = namespace_usage(st, &ns, &keys);
        let used_json: serde_json::Map<String, Value> = used.iter().map(|(k, v)| (k.clone(), json!(quantity::format_for(k, *v)))).collect();
        st.modify(RESOURCE_QUOTA, &ns, &name, |q| {
            let hard_spec = q.pointer("/spec/hard").cloned().unwrap_or(json!({}));
            q["status"] = json!({"hard": hard_spec, "used": used_json});
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn pod(ns: &str, name: &str, cpu: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": ns}, "spec": {"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}]}, "status": {"phase": "Running"}})
    }

    #[test]
    fn quota_message_has_kube_shape() {
        let mut st = Store::new(100, Arc::new(tokio::sync::Notify::new()));
        st.create(crate::resources::NAMESPACE, json!({"metadata": {"name": "a"}})).unwrap();
        st.create(RESOURCE_QUOTA, json!({"metadata": {"name": "q", "namespace": "a"}, "spec": {"hard": {"cpu": "10"}}})).unwrap();
        st.create(POD, pod("a", "p1", "9")).unwrap();
        let err = check_quota(&st, "a", POD, &pod("a", "p2", "2")).unwrap_err();
        assert_eq!(err, "exceeded quota: q, requested: cpu=2, used: cpu=9, limited: cpu=10");
        assert!(check_quota(&st, "a", POD, &pod("a", "p2", "1")).is_ok());
        refresh_quota_status(&mut st);
        let q = st.get(RESOURCE_QUOTA, "a", "q").unwrap();
        assert_eq!(q.value()["status"]["used"]["cpu"], "9");
    }
}
