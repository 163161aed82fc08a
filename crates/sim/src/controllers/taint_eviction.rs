//! Taint-based eviction, as kube-controller-manager's taint-eviction-controller does it: a pod on a
//! node with a NoExecute taint it does not tolerate is deleted at once; a pod whose tolerations
//! all carry `tolerationSeconds` is deleted that long after the controller first saw it exposed
//! (the smallest one wins); a matching toleration without `tolerationSeconds` keeps it forever.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::resources::{NODE, POD};
use crate::scheduler::{node_taints, pod_tolerations, tolerates};
use crate::store::{ObjRef, Store};

#[derive(Default)]
pub struct TaintEviction {
    /// Pod uid -> when it was first seen on a NoExecute-tainted node it tolerates for a while.
    exposed: HashMap<String, Instant>,
}

/// How long a pod may stay with these NoExecute taints: None = forever, Some(ZERO) = not at all
/// (kube's GetMatchingTolerations + getMinTolerationTime).
fn toleration_time(taints: &[Value], tolerations: &[Value]) -> Option<Duration> {
    let mut min: Option<u64> = None;
    for taint in taints {
        let Some(t) = tolerations.iter().find(|t| tolerates(t, taint)) else {
            return Some(Duration::ZERO);
        };
        if let Some(secs) = t.get("tolerationSeconds").and_then(Value::as_i64) {
            let secs = secs.max(0) as u64;
            min = Some(min.map_or(secs, |m| m.min(secs)));
        }
    }
    min.map(Duration::from_secs)
}

impl TaintEviction {
    /// One pass; returns when the next tolerated pod runs out of time.
    pub fn reconcile(&mut self, st: &mut Store, now: Instant) -> Option<Instant> {
        let tainted: HashMap<String, Vec<Value>> = st
            .iter(NODE, None, None)
            .filter_map(|n| {
                let taints: Vec<Value> = node_taints(&n.value()).into_iter().filter(|t| t["effect"] == "NoExecute").collect();
                (!taints.is_empty()).then(|| (n.idx.name.to_string(), taints))
            })
            .collect();
        if tainted.is_empty() {
            self.exposed.clear();
            return None;
        }
        let exposed: Vec<(ObjRef, &Vec<Value>)> = st.iter(POD, None, None).filter(|p| !p.idx.is_terminal()).filter_map(|p| Some((p.clone(), tainted.get(p.idx.node_name())?))).collect();
        let mut next: Option<Instant> = None;
        let mut still = HashMap::new();
        for (pod, taints) in exposed {
            let Some(grace) = toleration_time(taints, &pod_tolerations(&pod.value())) else {
                continue;
            };
            let uid = pod.idx.uid.to_string();
            let since = self.exposed.get(&uid).copied().unwrap_or(now);
            let due = since + grace;
            if now >= due {
                evict(st, &pod);
            } else {
                still.insert(uid, since);
                next = Some(next.map_or(due, |n: Instant| n.min(due)));
            }
        }
        self.exposed = still;
        next
    }
}

fn evict(st: &mut Store, pod: &ObjRef) {
    let (ns, name) = (pod.idx.ns.to_string(), pod.idx.name.to_string());
    st.record_event(&pod.value(), "Normal", "TaintManagerEviction", &format!("Marking for deletion Pod {ns}/{name}"), "taint-eviction-controller");
    let _ = st.delete(POD, &ns, &name);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn toleration_times() {
        let taints = [json!({"key": "k", "value": "v", "effect": "NoExecute"})];
        assert_eq!(toleration_time(&taints, &[]), Some(Duration::ZERO));
        let forever = json!({"key": "k", "operator": "Exists"});
        assert_eq!(toleration_time(&taints, &[forever]), None);
        let a_while = json!({"key": "k", "value": "v", "effect": "NoExecute", "tolerationSeconds": 30});
        assert_eq!(toleration_time(&taints, &[a_while]), Some(Duration::from_secs(30)));
        let wrong_value = json!({"key": "k", "value": "w"});
        assert_eq!(toleration_time(&taints, &[wrong_value]), Some(Duration::ZERO));
    }
}
