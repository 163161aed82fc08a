//! Usage model: each running pod uses a fraction of its requests that follows a day/night curve
//! on a (scalable) simulated clock; served read-only as metrics.k8s.io NodeMetrics / PodMetrics.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Timelike, Utc};
use serde_json::{Value, json};

use crate::fleet::UsageProfile;
use crate::quantity;
use crate::resources::{NODE, POD};
use crate::store::{Store, meta_str};

pub const ANN_DAY: &str = "sim.flotilla.dev/usage-day";
pub const ANN_NIGHT: &str = "sim.flotilla.dev/usage-night";

/// Simulated wall clock: starts at real time and runs `scale` times faster.
#[derive(Debug, Clone)]
pub struct SimClock {
    start_wall: DateTime<Utc>,
    start: Instant,
    scale: f64,
}

impl SimClock {
    pub fn new(scale: f64) -> Self {
        SimClock { start_wall: Utc::now(), start: Instant::now(), scale: if scale > 0.0 { scale } else { 1.0 } }
    }

    pub fn now(&self) -> DateTime<Utc> {
        let real = self.start.elapsed().as_secs_f64() * self.scale;
        self.start_wall + chrono::Duration::milliseconds((real * 1000.0) as i64)
    }
}

/// Fraction of requests in use at `local_hour`: night at 03:00, day peak at 15:00, cosine between.
pub fn curve(p: UsageProfile, local_hour: f64) -> f64 {
    let phase = (local_hour - 3.0) / 24.0 * std::f64::consts::TAU;
    p.night + (p.day - p.night) * (1.0 - phase.cos()) / 2.0
}

/// Everything the usage model needs to know about one cluster at one instant.
pub struct UsageCtx {
    pub now: DateTime<Utc>,
    pub utc_offset_hours: f64,
    pub default_profile: UsageProfile,
    pub burst: f64,
}

impl UsageCtx {
    fn local_hour(&self) -> f64 {
        let t = self.now;
        let h = t.hour() as f64 + t.minute() as f64 / 60.0 + t.second() as f64 / 3600.0;
        (h + self.utc_offset_hours).rem_euclid(24.0)
    }
}

fn jitter(uid: &str) -> f64 {
    let h = uid.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
    0.9 + (h % 1000) as f64 / 1000.0 * 0.2
}

fn profile_of(pod: &Value, default: UsageProfile) -> UsageProfile {
    let ann = |k: &str| pod.pointer("/metadata/annotations").and_then(|a| a.get(k)).and_then(Value::as_str).and_then(|s| s.parse::<f64>().ok());
    UsageProfile { day: ann(ANN_DAY).unwrap_or(default.day), night: ann(ANN_NIGHT).unwrap_or(default.night) }
}

/// Per-container (name, cpu cores, memory bytes) usage of a running pod.
pub fn pod_usage(pod: &Value, ctx: &UsageCtx) -> Vec<(String, f64, f64)> {
    let f = curve(profile_of(pod, ctx.default_profile), ctx.local_hour()) * jitter(meta_str(pod, "uid")) * ctx.burst;
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let req = |k: &str| c.pointer(&format!("/resources/requests/{k}")).and_then(quantity::parse_value);
            let cpu = req("cpu").map(|r| r * f).unwrap_or(0.01 * f.max(0.1));
            let mem = req("memory").map(|r| r * (0.5 + 0.4 * f.min(1.5))).unwrap_or(32.0 * 1024.0 * 1024.0);
            (c.get("name").and_then(Value::as_str).unwrap_or("").to_string(), cpu, mem)
        })
        .collect()
}

fn ts(ctx: &UsageCtx) -> String {
    ctx.now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// PodMetrics objects for running pods (optionally one namespace).
pub fn pod_metrics(st: &Store, ns: Option<&str>, ctx: &UsageCtx) -> Vec<Value> {
    st.iter(POD, ns, None)
        .filter(|p| p.idx.phase() == "Running")
        .map(|p| {
            let pv = p.value();
            let containers: Vec<Value> = pod_usage(&pv, ctx)
                .into_iter()
                .map(|(name, cpu, mem)| json!({"name": name, "usage": {"cpu": quantity::format_nanocores(cpu), "memory": format!("{}Ki", (mem / 1024.0).round() as i64)}}))
                .collect();
            json!({
                "kind": "PodMetrics",
                "apiVersion": "metrics.k8s.io/v1beta1",
                "metadata": {
                    "name": &*p.idx.name,
                    "namespace": &*p.idx.ns,
                    "labels": pv.pointer("/metadata/labels").cloned().unwrap_or(json!({})),
                    "creationTimestamp": ts(ctx),
                },
                "timestamp": ts(ctx),
                "window": "15s",
                "containers": containers,
            })
        })
        .collect()
}

/// NodeMetrics: sum of running pods' usage plus a small system overhead per node.
pub fn node_metrics(st: &Store, ctx: &UsageCtx) -> Vec<Value> {
    let mut per_node: HashMap<&str, (f64, f64)> = HashMap::new();
    for p in st.iter(POD, None, None) {
        if p.idx.phase() != "Running" {
            continue;
        }
        let e = per_node.entry(p.idx.node_name()).or_default();
        for (_, cpu, mem) in pod_usage(&p.value(), ctx) {
            e.0 += cpu;
            e.1 += mem;
        }
    }
    st.iter(NODE, None, None)
        .map(|n| {
            let name = &*n.idx.name;
            let (cpu, mem) = per_node.get(name).copied().unwrap_or_default();
            let (cpu, mem) = (cpu + 0.08, mem + 600.0 * 1024.0 * 1024.0);
            json!({
                "kind": "NodeMetrics",
                "apiVersion": "metrics.k8s.io/v1beta1",
                "metadata": {
                    "name": name,
                    "labels": n.value().pointer("/metadata/labels").cloned().unwrap_or(json!({})),
                    "creationTimestamp": ts(ctx),
                },
                "timestamp": ts(ctx),
                "window": "20s",
                "usage": {"cpu": quantity::format_nanocores(cpu), "memory": format!("{}Ki", (mem / 1024.0).round() as i64)},
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_night_curve() {
        let p = UsageProfile { day: 0.8, night: 0.2 };
        assert!((curve(p, 15.0) - 0.8).abs() < 1e-9);
        assert!((curve(p, 3.0) - 0.2).abs() < 1e-9);
        let mid = curve(p, 9.0);
        assert!(mid > 0.2 && mid < 0.8);
    }

    #[test]
    fn clock_scales() {
        let c = SimClock::new(3600.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
        // 20 ms real at 3600x is at least 72 s simulated.
        assert!((c.now() - c.start_wall).num_seconds() >= 72);
    }
}
