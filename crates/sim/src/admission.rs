//! Admission for pods: LimitRange defaults, PriorityClass resolution and ResourceQuota enforcement
//! (403 Forbidden with kube's `exceeded quota` message), plus quota status computation.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::podinfo::container_sum;
use crate::quantity;
use crate::resources::{LIMIT_RANGE, POD, PRIORITY_CLASS, RESOURCE_QUOTA};
use crate::status::ApiError;
use crate::store::{Store, meta_str};

/// Applies `Container` LimitRange defaults (limits from `default`, requests from `defaultRequest`).
pub fn apply_limit_ranges(st: &Store, ns: &str, pod: &mut Value) {
    for lr in st.iter(LIMIT_RANGE, Some(ns), None) {
        for item in lr
            .value()
            .pointer("/spec/limits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if item.get("type").and_then(Value::as_str) != Some("Container") {
                continue;
            }
            let Some(cs) = pod
                .pointer_mut("/spec/containers")
                .and_then(Value::as_array_mut)
            else {
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

const DEFAULT_PREEMPTION: &str = "PreemptLowerPriority";

fn policy_of(pc: &Value) -> String {
    pc.get("preemptionPolicy").and_then(Value::as_str).unwrap_or(DEFAULT_PREEMPTION).to_owned()
}

/// Resolves `spec.priorityClassName` (or the global default class) into `spec.priority` and
/// `spec.preemptionPolicy`.
pub fn resolve_priority(st: &Store, pod: &mut Value) -> Result<(), String> {
    let class = pod
        .pointer("/spec/priorityClassName")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let value = if class.is_empty() {
        st.iter(PRIORITY_CLASS, None, None)
            .find(|pc| {
                pc.value()
                    .get("globalDefault")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            })
            .map(|pc| {
                (
                    pc.value()["value"].as_i64().unwrap_or(0),
                    pc.idx.name.to_string(),
                    policy_of(&pc.value()),
                )
            })
    } else {
        let pc = st
            .get(PRIORITY_CLASS, "", &class)
            .ok_or_else(|| format!("no PriorityClass with name {class} was found"))?;
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

/// What one pod contributes to each quota key it may be counted under.
/// What one pod counts against quota ("pods", "requests.cpu", "cpu", "limits.memory", ...).
pub(crate) fn pod_usage(pod: &Value) -> BTreeMap<String, f64> {
    let req = container_sum(pod, "requests");
    let lim = container_sum(pod, "limits");
    let mut out = BTreeMap::new();
    out.insert("pods".to_string(), 1.0);
    for (k, v) in &req {
        out.insert(format!("requests.{k}"), *v);
        if k == "cpu" || k == "memory" {
            out.insert(k.clone(), *v);
        }
    }
    for (k, v) in &lim {
        out.insert(format!("limits.{k}"), *v);
    }
    out
}

fn hard_of(q: &Value) -> BTreeMap<String, f64> {
    q.pointer("/spec/hard")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), quantity::parse_value(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// Current usage in a namespace for the given quota keys (non-terminal pods only).
pub fn namespace_usage(st: &Store, ns: &str, keys: &[String]) -> BTreeMap<String, f64> {
    let mut used: BTreeMap<String, f64> = keys.iter().map(|k| (k.clone(), 0.0)).collect();
    for p in st.iter(POD, Some(ns), None) {
        if p.idx.is_terminal() {
            continue;
        }
        for (k, v) in used.iter_mut() {
            *v += p.idx.quota_usage(k);
        }
    }
    used
}

/// Rejects a pod create that would exceed any ResourceQuota in its namespace.
pub fn check_quota(st: &Store, ns: &str, pod: &Value) -> Result<(), String> {
    let want = pod_usage(pod);
    for q in st.iter(RESOURCE_QUOTA, Some(ns), None) {
        let qname = &*q.idx.name;
        let hard = hard_of(&q.value());
        let keys: Vec<String> = hard.keys().cloned().collect();
        let missing: Vec<&str> = keys
            .iter()
            .filter(|k| k.as_str() != "pods" && !want.contains_key(k.as_str()))
            .filter(|k| {
                [
                    "cpu",
                    "memory",
                    "requests.cpu",
                    "requests.memory",
                    "limits.cpu",
                    "limits.memory",
                ]
                .contains(&k.as_str())
            })
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "failed quota: {qname}: must specify {}",
                missing.join(",")
            ));
        }
        let used = namespace_usage(st, ns, &keys);
        let over: Vec<&String> = keys
            .iter()
            .filter(|k| {
                let r = want.get(k.as_str()).copied().unwrap_or(0.0);
                r > 0.0 && used[k.as_str()] + r > hard[k.as_str()] + 1e-9
            })
            .collect();
        if !over.is_empty() {
            let fmt = |m: &dyn Fn(&str) -> f64| {
                over.iter()
                    .map(|k| format!("{k}={}", quantity::format_for(k, m(k))))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            return Err(format!(
                "exceeded quota: {qname}, requested: {}, used: {}, limited: {}",
                fmt(&|k| want.get(k).copied().unwrap_or(0.0)),
                fmt(&|k| used[k]),
                fmt(&|k| hard[k]),
            ));
        }
    }
    Ok(())
}

/// Full pod admission on create. Errors are 403 Forbidden like kube's admission plugins.
pub fn admit_pod(st: &Store, ns: &str, pod: &mut Value) -> Result<(), ApiError> {
    let name = match meta_str(pod, "name") {
        "" => meta_str(pod, "generateName").to_string(),
        n => n.to_string(),
    };
    apply_limit_ranges(st, ns, pod);
    if let Some(spec) = pod.get_mut("spec") {
        crate::defaults::default_pod_spec(spec);
    }
    resolve_priority(st, pod).map_err(|m| ApiError::forbidden("", "pods", &name, &m))?;
    check_quota(st, ns, pod).map_err(|m| ApiError::forbidden("", "pods", &name, &m))?;
    Ok(())
}

/// Recomputes `status.hard` / `status.used` of every ResourceQuota.
pub fn refresh_quota_status(st: &mut Store) {
    let quotas: Vec<(String, String, BTreeMap<String, f64>)> = st
        .iter(RESOURCE_QUOTA, None, None)
        .map(|q| {
            (
                q.idx.ns.to_string(),
                q.idx.name.to_string(),
                hard_of(&q.value()),
            )
        })
        .collect();
    for (ns, name, hard) in quotas {
        let keys: Vec<String> = hard.keys().cloned().collect();
        let used = namespace_usage(st, &ns, &keys);
        let used_json: serde_json::Map<String, Value> = used
            .iter()
            .map(|(k, v)| (k.clone(), json!(quantity::format_for(k, *v))))
            .collect();
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
        st.create(
            crate::resources::NAMESPACE,
            json!({"metadata": {"name": "a"}}),
        )
        .unwrap();
        st.create(
            RESOURCE_QUOTA,
            json!({"metadata": {"name": "q", "namespace": "a"}, "spec": {"hard": {"cpu": "10"}}}),
        )
        .unwrap();
        st.create(POD, pod("a", "p1", "9")).unwrap();
        let err = check_quota(&st, "a", &pod("a", "p2", "2")).unwrap_err();
        assert_eq!(
            err,
            "exceeded quota: q, requested: cpu=2, used: cpu=9, limited: cpu=10"
        );
        assert!(check_quota(&st, "a", &pod("a", "p2", "1")).is_ok());
        refresh_quota_status(&mut st);
        let q = st.get(RESOURCE_QUOTA, "a", "q").unwrap();
        assert_eq!(q.value()["status"]["used"]["cpu"], "9");
    }
}
