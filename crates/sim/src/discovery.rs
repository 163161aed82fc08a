//! Discovery documents: /version, /api, /api/v1, /apis, /apis/<group>, /apis/<group>/<version>.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::resources::{RESOURCES, group_versions};
use crate::status::ApiError;

pub async fn version(State(c): State<Arc<Cluster>>) -> Json<Value> {
    let v = &c.spec.kubernetes_version;
    let minor: String = v.trim_start_matches('v').split('.').nth(1).unwrap_or("31").to_string();
    Json(json!({
        "major": "1",
        "minor": minor,
        "gitVersion": v,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-11-01T00:00:00Z",
        "goVersion": "go1.22.8",
        "compiler": "gc",
        "platform": "linux/amd64",
    }))
}

pub async fn core_versions() -> Json<Value> {
    Json(json!({"kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:443"}]}))
}

fn group_doc(group: &str) -> Value {
    let versions: Vec<Value> = group_versions().into_iter().filter(|(g, _)| *g == group).map(|(g, v)| json!({"groupVersion": format!("{g}/{v}"), "version": v})).collect();
    json!({"kind": "APIGroup", "apiVersion": "v1", "name": group, "versions": versions, "preferredVersion": versions[0]})
}

pub async fn groups() -> Json<Value> {
    let mut seen = Vec::new();
    for (g, _) in group_versions() {
        if !g.is_empty() && !seen.contains(&g) {
            seen.push(g);
        }
    }
    let groups: Vec<Value> = seen
        .into_iter()
        .map(|g| {
            let mut d = group_doc(g);
            if let Some(o) = d.as_object_mut() {
                o.remove("kind");
                o.remove("apiVersion");
            }
            d
        })
        .collect();
    Json(json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}))
}

pub async fn group(Path(group): Path<String>) -> Response {
    if group_versions().iter().any(|(g, _)| *g == group) {
        Json(group_doc(&group)).into_response()
    } else {
        ApiError::new(404, "NotFound", "the server could not find the requested resource").into_response()
    }
}

fn resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in RESOURCES.iter().filter(|r| r.group == group && r.version == version) {
        let verbs: Vec<&str> = if r.computed { vec!["get", "list"] } else { vec!["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] };
        resources.push(json!({"name": r.plural, "singularName": r.singular, "namespaced": r.namespaced,
                              "kind": r.kind, "verbs": verbs, "shortNames": r.short_names}));
        for sub in r.subresources {
            let mut e = json!({"name": format!("{}/{sub}", r.plural), "singularName": "", "namespaced": r.namespaced,
                               "kind": r.kind, "verbs": ["get", "patch", "update"]});
            match *sub {
                "log" => e["verbs"] = json!(["get"]),
                "scale" => {
                    e["kind"] = json!("Scale");
                    e["group"] = json!("autoscaling");
                    e["version"] = json!("v1");
                }
                _ => {}
            }
            resources.push(e);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}))
}

pub async fn core_resources() -> Json<Value> {
    Json(resource_list("", "v1").unwrap_or_default())
}

pub async fn group_resources(Path((group, version)): Path<(String, String)>) -> Response {
    match resource_list(&group, &version) {
        Some(v) => Json(v).into_response(),
        None => ApiError::new(404, "NotFound", "the server could not find the requested resource").into_response(),
    }
}
