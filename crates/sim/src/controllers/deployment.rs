//! Deployment controller: keeps `spec.replicas` pods of the current template (named
//! `<deploy>-<pod-template-hash>-<rand5>`, owned by the Deployment), rolls template changes with
//! maxSurge/maxUnavailable, garbage-collects orphans and writes status and conditions.

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::resources::{DEPLOYMENT, POD};
use crate::store::{ObjRef, Store, meta_str, now_rfc3339, rand_suffix};

#[derive(Default)]
pub struct DeploymentCtl {
    /// Last FailedCreate message per deployment uid (so events are not repeated every pass).
    last_failure: HashMap<String, String>,
}

/// The pod-template-hash of a template, built like kube's `ComputeHash`: the decimal FNV-32a hash
/// through `SafeEncodeString`, so it is 1-10 characters long (usually 9 or 10).
pub fn template_hash(template: &Value) -> String {
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let s = serde_json::to_string(template).unwrap_or_default();
    let h = s.bytes().fold(0x811c9dc5u32, |h, b| (h ^ b as u32).wrapping_mul(0x01000193));
    h.to_string().bytes().map(|d| ALPHA[d as usize % ALPHA.len()] as char).collect()
}

fn int_or_percent(v: Option<&Value>, total: i64, round_up: bool, default_pct: f64) -> i64 {
    let pct = |p: f64| {
        let x = total as f64 * p / 100.0;
        if round_up { x.ceil() as i64 } else { x.floor() as i64 }
    };
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) if s.ends_with('%') => pct(s.trim_end_matches('%').parse().unwrap_or(default_pct)),
        Some(Value::String(s)) => s.parse().unwrap_or(0),
        _ => pct(default_pct),
    }
}

/// Orders pods for deletion: unscheduled, then not ready, then newest.
fn deletion_order(pods: &mut [ObjRef]) {
    pods.sort_by_key(|p| (!p.idx.node_name().is_empty(), p.idx.is_ready(), std::cmp::Reverse(p.idx.created.to_string())));
}

pub fn reconcile(cluster: &Cluster, st: &mut Store, ctl: &mut DeploymentCtl) {
    let mut owned: HashMap<String, Vec<ObjRef>> = HashMap::new();
    let mut orphans = Vec::new();
    let deploys: Vec<ObjRef> = st.iter(DEPLOYMENT, None, None).cloned().collect();
    let uids: HashSet<&str> = deploys.iter().map(|d| &*d.idx.uid).collect();
    for p in st.iter(POD, None, None) {
        if let Some(uid) = p.idx.owner_uid() {
            if uids.contains(uid) {
                owned.entry(uid.to_string()).or_default().push(p.clone());
            } else if p.value().pointer("/metadata/ownerReferences/0/kind").and_then(Value::as_str) == Some("Deployment") {
                orphans.push(p.clone());
            }
        }
    }
    for p in orphans {
        let _ = st.delete(POD, &p.idx.ns, &p.idx.name);
    }
    for d in &deploys {
        let pods = owned.remove(&*d.idx.uid).unwrap_or_default();
        reconcile_one(cluster, st, ctl, d, pods);
    }
    ctl.last_failure.retain(|uid, _| uids.contains(uid.as_str()));
}

fn reconcile_one(cluster: &Cluster, st: &mut Store, ctl: &mut DeploymentCtl, d: &ObjRef, pods: Vec<ObjRef>) {
    let dv = &d.value();
    let (ns, name, uid) = (meta_str(dv, "namespace"), meta_str(dv, "name"), meta_str(dv, "uid"));
    let want = dv.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1).max(0);
    let template = dv.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let hash = template_hash(&template);
    let recreate = dv.pointer("/spec/strategy/type").and_then(Value::as_str) == Some("Recreate");
    let ru = dv.pointer("/spec/strategy/rollingUpdate");
    let mut max_surge = int_or_percent(ru.and_then(|r| r.get("maxSurge")), want, true, 25.0);
    let max_unavail = int_or_percent(ru.and_then(|r| r.get("maxUnavailable")), want, false, 25.0);
    if max_surge == 0 && max_unavail == 0 {
        max_surge = 1;
    }
    let is_new = |p: &ObjRef| p.idx.label("pod-template-hash") == Some(hash.as_str());
    let (mut new, mut old): (Vec<ObjRef>, Vec<ObjRef>) = pods.into_iter().partition(is_new);
    let mut to_delete: Vec<ObjRef> = Vec::new();
    let mut to_create = 0i64;

    if recreate {
        to_delete.append(&mut old);
        to_create = (want - new.len() as i64).max(0);
    } else {
        let total = (new.len() + old.len()) as i64;
        if (new.len() as i64) < want {
            let room = if old.is_empty() { want } else { want + max_surge - total };
            to_create = (want - new.len() as i64).min(room).max(0);
        }
        if !old.is_empty() {
            let ready_new = new.iter().filter(|p| p.idx.is_ready()).count() as i64;
            let (mut ready_old, mut unready_old): (Vec<ObjRef>, Vec<ObjRef>) = old.drain(..).partition(|p| p.idx.is_ready());
            to_delete.append(&mut unready_old);
            let min_available = want - max_unavail;
            let mut can_remove = ready_new + ready_old.len() as i64 - min_available;
            if ready_new >= want {
                can_remove = ready_old.len() as i64;
            }
            deletion_order(&mut ready_old);
            for p in ready_old {
                if can_remove > 0 {
                    to_delete.push(p);
                    can_remove -= 1;
                } else {
                    old.push(p);
                }
            }
        }
    }
    if new.len() as i64 > want {
        deletion_order(&mut new);
        let surplus = new.len() - want as usize;
        to_delete.extend(new.drain(..surplus));
    }

    let scaled_down = !to_delete.is_empty();
    for p in &to_delete {
        let _ = st.delete(POD, ns, &p.idx.name);
    }
    let mut failure: Option<String> = None;
    let mut created = 0;
    for _ in 0..to_create {
        let mut labels = template.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
        labels["pod-template-hash"] = json!(hash);
        let pod = json!({
            "metadata": {
                "name": format!("{name}-{hash}-{}", rand_suffix(5)),
                "namespace": ns,
                "labels": labels,
                "annotations": template.pointer("/metadata/annotations").cloned().unwrap_or(json!({})),
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": uid,
                                     "controller": true, "blockOwnerDeletion": true}],
            },
            "spec": template.get("spec").cloned().unwrap_or(json!({})),
        });
        match cluster.create_object(st, POD, pod) {
            Ok(p) => {
                new.push(p);
                created += 1;
            }
            Err(e) => {
                failure = Some(e.message);
                break;
            }
        }
    }
    if created > 0 || scaled_down {
        let verb = if created > 0 { "up" } else { "down" };
        let msg = format!("Scaled {verb} replica set {name}-{hash} to {}", new.len());
        st.record_event(dv, "Normal", "ScalingReplicaSet", &msg, "deployment-controller");
    }
    match &failure {
        Some(m) if ctl.last_failure.get(uid) != Some(m) => {
            st.record_event(dv, "Warning", "FailedCreate", &format!("Error creating: {m}"), "replicaset-controller");
            ctl.last_failure.insert(uid.to_string(), m.clone());
        }
        None => {
            ctl.last_failure.remove(uid);
        }
        _ => {}
    }

    // Status.
    let ready_new = new.iter().filter(|p| p.idx.is_ready()).count() as i64;
    let ready_old = old.iter().filter(|p| p.idx.is_ready()).count() as i64;
    let total = (new.len() + old.len()) as i64;
    let ready = ready_new + ready_old;
    let available_ok = ready >= want - max_unavail;
    let complete = new.len() as i64 == want && ready_new == want && old.is_empty();
    let rs = format!("{name}-{hash}");
    let mut conds = vec![
        if available_ok {
            ("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.".to_string())
        } else {
            ("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.".to_string())
        },
        if complete {
            ("Progressing", "True", "NewReplicaSetAvailable", format!("ReplicaSet \"{rs}\" has successfully progressed."))
        } else {
            ("Progressing", "True", "ReplicaSetUpdated", format!("ReplicaSet \"{rs}\" is progressing."))
        },
    ];
    if let Some(m) = &failure {
        conds.push(("ReplicaFailure", "True", "FailedCreate", m.clone()));
    }
    let generation = dv.pointer("/metadata/generation").cloned().unwrap_or(json!(1));
    let old_conds = dv.pointer("/status/conditions").and_then(Value::as_array).cloned().unwrap_or_default();
    let now = now_rfc3339();
    let conditions: Vec<Value> = conds
        .into_iter()
        .map(|(t, s, r, m)| {
            let prev = old_conds.iter().find(|c| c["type"] == t);
            let same = prev.is_some_and(|c| c["status"] == s && c["reason"] == r && c["message"] == m.as_str());
            let transition = prev.filter(|c| c["status"] == s).map(|c| c["lastTransitionTime"].clone()).unwrap_or(json!(now));
            let update = if same { prev.map(|c| c["lastUpdateTime"].clone()).unwrap_or(json!(now)) } else { json!(now) };
            json!({"type": t, "status": s, "reason": r, "message": m, "lastUpdateTime": update, "lastTransitionTime": transition})
        })
        .collect();
    let mut status = json!({
        "observedGeneration": generation,
        "replicas": total,
        "updatedReplicas": new.len(),
        "readyReplicas": ready,
        "availableReplicas": ready,
        "conditions": conditions,
    });
    if want - ready > 0 {
        status["unavailableReplicas"] = json!(want - ready);
    }
    if let Some(o) = status.as_object_mut() {
        o.retain(|k, v| k == "conditions" || k == "observedGeneration" || v.as_i64() != Some(0));
    }
    st.modify(DEPLOYMENT, ns, name, |d| d["status"] = status);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_is_stable_and_template_sensitive() {
        let a = template_hash(&json!({"spec": {"containers": [{"image": "a:1"}]}}));
        assert!((1..=10).contains(&a.len()), "{a}");
        assert_eq!(a, template_hash(&json!({"spec": {"containers": [{"image": "a:1"}]}})));
        assert_ne!(a, template_hash(&json!({"spec": {"containers": [{"image": "a:2"}]}})));
    }

    #[test]
    fn surge_and_unavailable() {
        assert_eq!(int_or_percent(None, 10, true, 25.0), 3);
        assert_eq!(int_or_percent(None, 10, false, 25.0), 2);
        assert_eq!(int_or_percent(Some(&json!(1)), 10, true, 25.0), 1);
        assert_eq!(int_or_percent(Some(&json!("50%")), 3, true, 25.0), 2);
    }
}
