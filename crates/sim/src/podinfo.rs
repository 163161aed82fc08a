//! Read-only helpers over pod JSON: summed requests/limits, phase, priority, node.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::quantity;

/// Summed container resources of one pod, by resource name (cores, bytes, counts).
pub fn container_sum(pod: &Value, which: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for c in pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(m) = c
            .get("resources")
            .and_then(|r| r.get(which))
            .and_then(Value::as_object)
        {
            for (k, v) in m {
                *out.entry(k.clone()).or_insert(0.0) += quantity::parse_value(v).unwrap_or(0.0);
            }
        }
    }
    out
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

pub fn requests(pod: &Value) -> Res {
    let r = container_sum(pod, "requests");
    Res {
        cpu: r.get("cpu").copied().unwrap_or(0.0),
        mem: r.get("memory").copied().unwrap_or(0.0),
        gpu: r.get(GPU).copied().unwrap_or(0.0),
        pods: 1.0,
    }
}

pub fn phase(pod: &Value) -> &str {
    pod.pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Pending")
}

/// Succeeded/Failed pods no longer hold resources or count against quota.
pub fn is_terminal(pod: &Value) -> bool {
    matches!(phase(pod), "Succeeded" | "Failed")
}

pub fn node_name(pod: &Value) -> &str {
    pod.pointer("/spec/nodeName")
        .and_then(Value::as_str)
        .unwrap_or("")
}

pub fn priority(pod: &Value) -> i64 {
    pod.pointer("/spec/priority")
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

pub fn is_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["type"] == "Ready" && c["status"] == "True")
        })
}

/// The controller owner's uid, if any.
pub fn owner_uid(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)?
        .iter()
        .find(|o| {
            o.get("controller")
                .and_then(Value::as_bool)
                .unwrap_or(false)
        })
        .and_then(|o| o.get("uid"))
        .and_then(Value::as_str)
}
