//! Simulated kubelet: a bound pod shows ContainerCreating, then after the start delay becomes
//! Running and Ready; an image tagged `does-not-exist` goes ErrImagePull then ImagePullBackOff.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::resources::{NODE, POD};
use crate::scheduler::set_pod_condition;
use crate::store::{Store, now_rfc3339};

pub struct Kubelet {
    cluster_index: usize,
    seen: HashMap<String, Instant>,
    ip_seq: u32,
}

fn bad_image(image: &str) -> bool {
    image.rsplit('/').next().unwrap_or("").ends_with(":does-not-exist")
}

fn images(pod: &Value) -> Vec<(String, String)> {
    pod.pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| (c.get("name").and_then(Value::as_str).unwrap_or("").to_string(), c.get("image").and_then(Value::as_str).unwrap_or("").to_string()))
        .collect()
}

fn waiting_reason(pod: &Value) -> Option<&str> {
    pod.pointer("/status/containerStatuses/0/state/waiting/reason").and_then(Value::as_str)
}

fn hex_id(seed: &str) -> String {
    let mut h = seed.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100000001b3));
    (0..4)
        .map(|_| {
            h = h.wrapping_mul(0x9e3779b97f4a7c15).wrapping_add(1);
            format!("{h:016x}")
        })
        .collect()
}

impl Kubelet {
    pub fn new(cluster_index: usize) -> Self {
        Kubelet { cluster_index, seen: HashMap::new(), ip_seq: 0 }
    }

    fn next_pod_ip(&mut self) -> String {
        self.ip_seq += 1;
        let n = self.ip_seq;
        format!("10.{}.{}.{}", 100 + self.cluster_index % 150, (n / 250) % 250, n % 250 + 2)
    }

    /// One pass; returns the next instant at which some pod changes state by itself.
    pub fn reconcile(&mut self, st: &mut Store, delay: Duration, now: Instant) -> Option<Instant> {
        let node_ips: HashMap<String, String> = st
            .iter(NODE, None, None)
            .map(|n| {
                let v = n.value();
                let ip = v.pointer("/status/addresses/0/address").and_then(Value::as_str).unwrap_or("10.0.0.1");
                (n.idx.name.to_string(), ip.to_string())
            })
            .collect();
        let mut next: Option<Instant> = None;
        let mut live = HashSet::new();
        let mut work = Vec::new();
        for p in st.iter(POD, None, None) {
            let uid = p.idx.uid.to_string();
            live.insert(uid.clone());
            let node = p.idx.node_name();
            if node.is_empty() || p.idx.phase() != "Pending" {
                continue;
            }
            let t0 = *self.seen.entry(uid).or_insert(now);
            work.push((p.clone(), t0, node_ips.get(node).cloned().unwrap_or_else(|| "10.0.0.1".into())));
        }
        self.seen.retain(|uid, _| live.contains(uid));
        let mut due = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        for (p, t0, host_ip) in work {
            let (ns, name) = (p.idx.ns.to_string(), p.idx.name.to_string());
            let pv = p.value();
            let imgs = images(&pv);
            let broken: Vec<&(String, String)> = imgs.iter().filter(|(_, i)| bad_image(i)).collect();
            let start_at = t0 + delay;
            if now < start_at {
                if waiting_reason(&pv).is_none() {
                    self.set_waiting(st, &ns, &name, &imgs, "ContainerCreating", None, &host_ip);
                }
                due(start_at);
            } else if let Some((cname, image)) = broken.first() {
                let backoff_at = start_at + delay;
                if now < backoff_at {
                    if waiting_reason(&pv) != Some("ErrImagePull") {
                        let msg = format!("rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": not found");
                        if let Some(o) = self.set_waiting(st, &ns, &name, &imgs, "ErrImagePull", Some((cname, &msg)), &host_ip) {
                            st.record_event(&o.value(), "Warning", "Failed", &format!("Failed to pull image \"{image}\": {msg}"), "kubelet");
                        }
                    }
                    due(backoff_at);
                } else if waiting_reason(&pv) != Some("ImagePullBackOff") {
                    let msg = format!("Back-off pulling image \"{image}\"");
                    if let Some(o) = self.set_waiting(st, &ns, &name, &imgs, "ImagePullBackOff", Some((cname, &msg)), &host_ip) {
                        st.record_event(&o.value(), "Normal", "BackOff", &msg, "kubelet");
                    }
                }
            } else {
                let pod_ip = self.next_pod_ip();
                let started = now_rfc3339();
                let statuses: Vec<Value> = imgs
                    .iter()
                    .map(|(n, i)| {
                        json!({"name": n, "image": i, "imageID": format!("{i}@sha256:{}", hex_id(i)),
                               "containerID": format!("containerd://{}", hex_id(&format!("{ns}/{name}/{n}"))),
                               "ready": true, "started": true, "restartCount": 0,
                               "state": {"running": {"startedAt": started}}, "lastState": {}})
                    })
                    .collect();
                if let Some(o) = st.modify(POD, &ns, &name, |pod| {
                    let s = &mut pod["status"];
                    s["phase"] = json!("Running");
                    s["podIP"] = json!(pod_ip);
                    s["podIPs"] = json!([{"ip": pod_ip}]);
                    s["hostIP"] = json!(host_ip);
                    s["hostIPs"] = json!([{"ip": host_ip}]);
                    s["containerStatuses"] = json!(statuses);
                    for c in ["PodReadyToStartContainers", "Initialized", "ContainersReady", "Ready"] {
                        set_pod_condition(pod, c, "True", None, None);
                    }
                }) {
                    let cn = imgs.first().map(|(n, _)| n.as_str()).unwrap_or("");
                    st.record_event(&o.value(), "Normal", "Started", &format!("Started container {cn}"), "kubelet");
                }
            }
        }
        next
    }

    #[allow(clippy::too_many_arguments)]
    fn set_waiting(&mut self, st: &mut Store, ns: &str, name: &str, imgs: &[(String, String)], reason: &str, failing: Option<(&String, &String)>, host_ip: &str) -> Option<crate::store::ObjRef> {
        let statuses: Vec<Value> = imgs
            .iter()
            .map(|(n, i)| {
                let (r, m) = match failing {
                    Some((fc, msg)) if fc == n => (reason, Some(msg.clone())),
                    _ if reason == "ContainerCreating" => (reason, None),
                    _ => ("ContainerCreating", None),
                };
                let mut waiting = json!({"reason": r});
                if let Some(m) = m {
                    waiting["message"] = json!(m);
                }
                json!({"name": n, "image": i, "imageID": "", "ready": false, "started": false, "restartCount": 0,
                       "state": {"waiting": waiting}, "lastState": {}})
            })
            .collect();
        let names: Vec<&str> = imgs.iter().map(|(n, _)| n.as_str()).collect();
        let not_ready = format!("containers with unready status: [{}]", names.join(" "));
        st.modify(POD, ns, name, |pod| {
            let s = &mut pod["status"];
            s["hostIP"] = json!(host_ip);
            s["hostIPs"] = json!([{"ip": host_ip}]);
            if s.get("startTime").is_none() {
                s["startTime"] = json!(now_rfc3339());
            }
            s["containerStatuses"] = json!(statuses);
            set_pod_condition(pod, "Initialized", "True", None, None);
            set_pod_condition(pod, "Ready", "False", Some("ContainersNotReady"), Some(&not_ready));
            set_pod_condition(pod, "ContainersReady", "False", Some("ContainersNotReady"), Some(&not_ready));
        })
    }
}
