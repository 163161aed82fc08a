//! Read-only helpers over pod JSON: the pod's requests/limits (kube's rule), phase, priority, node.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::quantity;

/// One container's `resources.<which>` ("requests" or "limits"), by resource name (cores, bytes,
/// counts).
pub fn container_resources(c: &Value, which: &str) -> BTreeMap<String, f64> {
    c.get("resources").and_then(|r| r.get(which)).and_then(Value::as_object).map(|m| m.iter().map(|(k, v)| (k.clone(), quantity::parse_value(v).unwrap_or(0.0))).collect()).unwrap_or_default()
}

fn add_into(acc: &mut BTreeMap<String, f64>, r: &BTreeMap<String, f64>) {
    for (k, v) in r {
        *acc.entry(k.clone()).or_insert(0.0) += v;
    }
}

fn max_into(acc: &mut BTreeMap<String, f64>, r: &BTreeMap<String, f64>) {
    for (k, v) in r {
        let e = acc.entry(k.clone()).or_insert(*v);
        *e = e.max(*v);
    }
}

/// What the pod as a whole requests (`which` = "requests") or is limited to ("limits"), by
/// resource name: kube's `PodRequests` / `PodLimits` (pkg/api/v1/resource), the one rule that both
/// quota and the scheduler use. App containers and restartable (sidecar) init containers add up;
/// an ordinary init container runs alone beside the sidecars started before it, so the pod needs,
/// per resource, the larger of that sum and any init container's moment. Pod overhead is ignored.
pub fn pod_resources(pod: &Value, which: &str) -> BTreeMap<String, f64> {
    let list = |k: &str| pod.pointer(&format!("/spec/{k}")).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    let mut total = BTreeMap::new();
    for c in list("containers") {
        add_into(&mut total, &container_resources(c, which));
    }
    let mut sidecars = BTreeMap::new();
    let mut init_peak = BTreeMap::new();
    for c in list("initContainers") {
        let r = container_resources(c, which);
        if c.get("restartPolicy").and_then(Value::as_str) == Some("Always") {
            add_into(&mut total, &r);
            add_into(&mut sidecars, &r);
            max_into(&mut init_peak, &sidecars);
        } else {
            let mut moment = sidecars.clone();
            add_into(&mut moment, &r);
            max_into(&mut init_peak, &moment);
        }
    }
    max_into(&mut total, &init_peak);
    total
}

/// Requests of the scheduler's interest: (cpu cores, memory bytes, gpus).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Res {
    pub cpu: f64,
    pub mem: f64,
    pub gpu: f64,
    pub pods: f64,
}

impl Res {
    pub fn add(&mut self, o: &Res) {
        self.cpu += o.cpu;
        self.mem += o.mem;
        self.gpu += o.gpu;
        self.pods += o.pods;
    }
    pub fn sub(&mut self, o: &Res) {
        self.cpu -= o.cpu;
        self.mem -= o.mem;
        self.gpu -= o.gpu;
        self.pods -= o.pods;
    }
}

pub const GPU: &str = "nvidia.com/gpu";

/// The pod's requests the scheduler fits onto nodes (see [`pod_resources`]).
pub fn requests(pod: &Value) -> Res {
    let r = pod_resources(pod, "requests");
    Res { cpu: r.get("cpu").copied().unwrap_or(0.0), mem: r.get("memory").copied().unwrap_or(0.0), gpu: r.get(GPU).copied().unwrap_or(0.0), pods: 1.0 }
}

pub fn phase(pod: &Value) -> &str {
    pod.pointer("/status/phase").and_then(Value::as_str).unwrap_or("Pending")
}

/// Succeeded/Failed pods no longer hold resources or count against quota.
pub fn is_terminal(pod: &Value) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

pub fn node_name(pod: &Value) -> &str {
    pod.pointer("/spec/nodeName").and_then(Value::as_str).unwrap_or("")
}

pub fn priority(pod: &Value) -> i64 {
    pod.pointer("/spec/priority").and_then(Value::as_i64).unwrap_or(0)
}

pub fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions").and_then(Value::as_array).is_some_and(|cs| cs.iter().any(|c| c["type"] == "Ready" && c["status"] == "True"))
}

/// The controller owner's uid, if any.
pub fn owner_uid(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool).unwrap_or(false))
        .and_then(|o| o.get("uid"))
        .and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_resources_follow_kubes_init_and_sidecar_rule() {
        let c = |n: &str, cpu: &str| json!({"name": n, "resources": {"requests": {"cpu": cpu}}});
        let mut sidecar = c("proxy", "500m");
        sidecar["restartPolicy"] = json!("Always");
        // App 1 + sidecar 0.5 = 1.5 running; the init container after the sidecar runs beside it:
        // 2 + 0.5 = 2.5, the peak.
        let pod = json!({"spec": {"containers": [c("app", "1")],
                                  "initContainers": [c("first", "1"), sidecar, c("migrate", "2")]}});
        assert_eq!(pod_resources(&pod, "requests")["cpu"], 2.5);
        assert_eq!(requests(&pod).cpu, 2.5);
        // Without init containers: the plain sum; limits are kept apart from requests.
        let plain = json!({"spec": {"containers": [c("a", "1"), c("b", "250m")]}});
        assert_eq!(pod_resources(&plain, "requests")["cpu"], 1.25);
        assert!(pod_resources(&plain, "limits").is_empty());
    }
}
