//! Server-side printing (`meta.k8s.io/v1 Table`), used when kubectl asks for `as=Table`, so
//! `kubectl get` shows the usual columns (READY, STATUS, AGE, ...).

use serde_json::{Value, json};

use crate::resources::RESOURCES;
use crate::store::meta_str;

/// Whether the Accept header asks for a Table.
pub fn wants_table(accept: &str) -> bool {
    accept.split(',').next().is_some_and(|first| first.contains("as=Table"))
}

fn age(ts: &str) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(ts) else {
        return "<unknown>".into();
    };
    let s = (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds().max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        format!("{m}m{}s", s % 60)
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        format!("{h}h{}m", m % 60)
    } else if h < 48 {
        format!("{h}h")
    } else if d < 8 {
        format!("{d}d{}h", h % 24)
    } else {
        format!("{d}d")
    }
}

fn s<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, ptr: &str) -> i64 {
    v.pointer(ptr).and_then(Value::as_i64).unwrap_or(0)
}

fn or_none(x: String) -> String {
    if x.is_empty() { "<none>".into() } else { x }
}

fn pod_status(p: &Value) -> String {
    if p.pointer("/metadata/deletionTimestamp").is_some() {
        return "Terminating".into();
    }
    let cs = p.pointer("/status/containerStatuses").and_then(Value::as_array);
    if let Some(reason) = cs.into_iter().flatten().find_map(|c| c.pointer("/state/waiting/reason").and_then(Value::as_str)) {
        return reason.into();
    }
    match s(p, "/status/phase") {
        "" => "Pending".into(),
        ph => ph.into(),
    }
}

fn columns(kind: &str) -> Vec<(&'static str, i32)> {
    match kind {
        "Pod" => vec![("Name", 0), ("Ready", 0), ("Status", 0), ("Restarts", 0), ("Age", 0), ("IP", 1), ("Node", 1)],
        "Node" => vec![("Name", 0), ("Status", 0), ("Roles", 0), ("Age", 0), ("Version", 0), ("Internal-IP", 1), ("OS-Image", 1), ("Container-Runtime", 1)],
        "Deployment" => vec![("Name", 0), ("Ready", 0), ("Up-to-date", 0), ("Available", 0), ("Age", 0), ("Images", 1), ("Selector", 1)],
        "Namespace" => vec![("Name", 0), ("Status", 0), ("Age", 0)],
        "Service" => vec![("Name", 0), ("Type", 0), ("Cluster-IP", 0), ("External-IP", 0), ("Port(s)", 0), ("Age", 0)],
        "Event" => vec![("Last Seen", 0), ("Type", 0), ("Reason", 0), ("Object", 0), ("Message", 0)],
        "ResourceQuota" => vec![("Name", 0), ("Age", 0), ("Request", 0)],
        "ConfigMap" => vec![("Name", 0), ("Data", 0), ("Age", 0)],
        "PriorityClass" => vec![("Name", 0), ("Value", 0), ("Global-Default", 0), ("Age", 0)],
        _ => vec![("Name", 0), ("Age", 0)],
    }
}

fn cells(kind: &str, o: &Value) -> Vec<Value> {
    let name = meta_str(o, "name");
    let created = age(meta_str(o, "creationTimestamp"));
    match kind {
        "Pod" => {
            let cs = o.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
            let total = o.pointer("/spec/containers").and_then(Value::as_array).map_or(0, Vec::len);
            let ready = cs.iter().filter(|c| c["ready"] == true).count();
            let restarts: i64 = cs.iter().map(|c| c["restartCount"].as_i64().unwrap_or(0)).sum();
            vec![
                json!(name),
                json!(format!("{ready}/{total}")),
                json!(pod_status(o)),
                json!(restarts),
                json!(created),
                json!(or_none(s(o, "/status/podIP").into())),
                json!(or_none(s(o, "/spec/nodeName").into())),
            ]
        }
        "Node" => {
            let ready = o.pointer("/status/conditions").and_then(Value::as_array).into_iter().flatten().any(|c| c["type"] == "Ready" && c["status"] == "True");
            let mut status = if ready { "Ready".to_string() } else { "NotReady".to_string() };
            if o.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
                status.push_str(",SchedulingDisabled");
            }
            let roles: Vec<&str> = o.pointer("/metadata/labels").and_then(Value::as_object).into_iter().flatten().filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/")).collect();
            vec![
                json!(name),
                json!(status),
                json!(or_none(roles.join(","))),
                json!(created),
                json!(s(o, "/status/nodeInfo/kubeletVersion")),
                json!(s(o, "/status/addresses/0/address")),
                json!(s(o, "/status/nodeInfo/osImage")),
                json!(s(o, "/status/nodeInfo/containerRuntimeVersion")),
            ]
        }
        "Deployment" => {
            let images: Vec<&str> = o.pointer("/spec/template/spec/containers").and_then(Value::as_array).into_iter().flatten().filter_map(|c| c["image"].as_str()).collect();
            let sel = o.pointer("/spec/selector").map(crate::selectors::LabelSelector::from_json).unwrap_or_default();
            vec![
                json!(name),
                json!(format!("{}/{}", n(o, "/status/readyReplicas"), n(o, "/spec/replicas"))),
                json!(n(o, "/status/updatedReplicas")),
                json!(n(o, "/status/availableReplicas")),
                json!(created),
                json!(images.join(",")),
                json!(sel.to_query()),
            ]
        }
        "Namespace" => vec![json!(name), json!(s(o, "/status/phase")), json!(created)],
        "Service" => {
            let ports: Vec<String> = o.pointer("/spec/ports").and_then(Value::as_array).into_iter().flatten().map(|p| format!("{}/{}", p["port"], p["protocol"].as_str().unwrap_or("TCP"))).collect();
            vec![json!(name), json!(s(o, "/spec/type")), json!(s(o, "/spec/clusterIP")), json!("<none>"), json!(or_none(ports.join(","))), json!(created)]
        }
        "Event" => vec![
            json!(age(s(o, "/lastTimestamp"))),
            json!(s(o, "/type")),
            json!(s(o, "/reason")),
            json!(format!("{}/{}", s(o, "/involvedObject/kind").to_lowercase(), s(o, "/involvedObject/name"))),
            json!(s(o, "/message")),
        ],
        "ResourceQuota" => {
            let hard = o.pointer("/status/hard").and_then(Value::as_object);
            let used = o.pointer("/status/used");
            let req: Vec<String> =
                hard.into_iter().flatten().map(|(k, h)| format!("{k}: {}/{}", used.and_then(|u| u.get(k)).and_then(Value::as_str).unwrap_or("0"), h.as_str().unwrap_or(""))).collect();
            vec![json!(name), json!(created), json!(req.join(", "))]
        }
        "ConfigMap" => vec![json!(name), json!(o.get("data").and_then(Value::as_object).map_or(0, |d| d.len())), json!(created)],
        "PriorityClass" => vec![json!(name), json!(o["value"]), json!(o["globalDefault"].as_bool().unwrap_or(false)), json!(created)],
        _ => vec![json!(name), json!(created)],
    }
}

/// Renders objects of resource `res` as a Table (rows carry PartialObjectMetadata).
pub fn render(res: usize, objects: &[&Value], resource_version: Option<String>, cont: Option<&Value>) -> Value {
    let kind = RESOURCES[res].kind;
    let cols: Vec<Value> = columns(kind)
        .into_iter()
        .map(|(name, prio)| {
            let fmt = if name == "Name" { "name" } else { "" };
            json!({"name": name, "type": "string", "format": fmt, "description": name, "priority": prio})
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let mut meta = o.get("metadata").cloned().unwrap_or(json!({}));
            if let Some(m) = meta.as_object_mut() {
                m.remove("managedFields");
            }
            json!({"cells": cells(kind, o), "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}})
        })
        .collect();
    let mut meta = json!({});
    if let Some(rv) = resource_version {
        meta["resourceVersion"] = json!(rv);
    }
    if let Some(c) = cont {
        meta["continue"] = c.clone();
    }
    json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": cols, "rows": rows})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pod_row() {
        let p = json!({"metadata": {"name": "p", "creationTimestamp": "2020-01-01T00:00:00Z"},
                       "spec": {"containers": [{"name": "c"}], "nodeName": "n1"},
                       "status": {"phase": "Pending", "containerStatuses": [{"ready": false, "restartCount": 0, "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}});
        let t = render(crate::resources::POD, &[&p], Some("5".into()), None);
        assert_eq!(t["rows"][0]["cells"][1], "0/1");
        assert_eq!(t["rows"][0]["cells"][2], "ImagePullBackOff");
        assert!(t["rows"][0]["cells"][4].as_str().unwrap().ends_with('d'));
        assert!(wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json"));
        assert!(!wants_table("application/json"));
    }
}
