//! The writing verbs of the REST surface: create, update/replace (status and scale subresources),
//! patch (merge, strategic, JSON patch, server-side apply), delete and deletecollection.

use axum::http::{StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Req, json_bytes, obj_response, parse_body};
use crate::cluster::Cluster;
use crate::patch;
use crate::resources::{RESOURCES, ResId};
use crate::selectors::LabelSelector;
use crate::status::ApiError;
use crate::store::{ObjRef, meta_str, now_rfc3339};

fn fill_identity(r: &Req, v: &mut Value, name: Option<&str>) -> Result<(), ApiError> {
    let def = &RESOURCES[r.t.res];
    if !v.get("metadata").is_some_and(Value::is_object) {
        v["metadata"] = json!({});
    }
    if let Some(n) = name {
        let given = meta_str(v, "name");
        if !given.is_empty() && given != n {
            return Err(ApiError::bad_request(format!("the name of the object ({given}) does not match the name on the URL ({n})")));
        }
        v["metadata"]["name"] = json!(n);
    }
    if def.namespaced {
        let given = meta_str(v, "namespace");
        if !given.is_empty() && given != r.ns() {
            return Err(ApiError::bad_request("the namespace of the provided object does not match the namespace sent on the request"));
        }
        v["metadata"]["namespace"] = json!(r.ns());
    }
    v["apiVersion"] = json!(def.api_version());
    v["kind"] = json!(def.kind);
    Ok(())
}

pub(super) fn create(c: &Cluster, r: &Req, body: &[u8]) -> Result<Response, ApiError> {
    if RESOURCES[r.t.res].namespaced && r.t.ns.is_none() {
        return Err(ApiError::method_not_allowed("create requires a namespace in the URL"));
    }
    let mut v = parse_body(body)?;
    fill_identity(r, &mut v, None)?;
    if let Some(m) = v["metadata"].as_object_mut() {
        m.remove("resourceVersion");
    }
    let mut st = c.store.lock();
    let o = c.create_object(&mut st, r.t.res, v)?;
    Ok(obj_response(StatusCode::CREATED, &o))
}

/// Keeps status (main resource) or everything but status (status subresource) from `live`.
fn split_status(res: ResId, sub: Option<&str>, live: &Value, mut new: Value) -> Value {
    if !RESOURCES[res].has_status() {
        return new;
    }
    if sub == Some("status") {
        let mut out = live.clone();
        out["status"] = new.get("status").cloned().unwrap_or(json!({}));
        if let Some(rv) = new.pointer("/metadata/resourceVersion").cloned() {
            out["metadata"]["resourceVersion"] = rv;
        }
        out
    } else {
        match live.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(o) = new.as_object_mut() {
                    o.remove("status");
                }
            }
        }
        new
    }
}

pub(super) fn replace(c: &Cluster, r: &Req, name: &str, sub: Option<&str>, body: &[u8]) -> Result<Response, ApiError> {
    let mut v = parse_body(body)?;
    let mut st = c.store.lock();
    let def = &RESOURCES[r.t.res];
    let live = st.get(r.t.res, r.ns(), name).ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
    if sub == Some("scale") {
        let replicas = v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0);
        let rv = meta_str(&v, "resourceVersion").to_string();
        let mut d = live.value().into_owned();
        d["spec"]["replicas"] = json!(replicas);
        d["metadata"]["resourceVersion"] = json!(rv);
        let o = st.update(r.t.res, d)?;
        return Ok(scale_response(&o));
    }
    fill_identity(r, &mut v, Some(name))?;
    let v = split_status(r.t.res, sub, &live.value(), v);
    crate::defaults::validate(r.t.res, &v)?;
    let o = st.update(r.t.res, v)?;
    Ok(obj_response(StatusCode::OK, &o))
}

fn content_type(r: &Req) -> String {
    r.headers.get(header::CONTENT_TYPE).and_then(|h| h.to_str().ok()).unwrap_or("").split(';').next().unwrap_or("").trim().to_string()
}

pub(super) fn patch_obj(c: &Cluster, r: &Req, name: &str, sub: Option<&str>, body: &[u8]) -> Result<Response, ApiError> {
    let def = &RESOURCES[r.t.res];
    let ct = content_type(r);
    let p = parse_body(body)?;
    let mut st = c.store.lock();
    let live = st.get(r.t.res, r.ns(), name);
    if ct == "application/apply-patch+yaml" {
        let manager = r.q.get("fieldManager").filter(|m| !m.is_empty()).ok_or_else(|| {
            ApiError::invalid(
                "meta.k8s.io",
                "PatchOptions",
                "",
                &[crate::status::Cause { field: "fieldManager", reason: "FieldValueRequired", message: "Required value: is required for apply patch" }],
            )
        })?;
        let force = r.q.get("force").is_some_and(|f| f == "true");
        let mut cfg = p;
        fill_identity(r, &mut cfg, Some(name))?;
        let live_cow = live.as_ref().map(|o| o.value());
        let live_v = live_cow.as_deref();
        let now = now_rfc3339();
        let applied = crate::apply::apply(live_v, &cfg, manager, force, &def.api_version(), &now).map_err(|cs| {
            let fields: Vec<String> = cs.iter().map(|c| format!("conflict with \"{}\": {}", c.manager, c.field)).collect();
            let mut e = ApiError::conflict(def.group, def.plural, name, "");
            e.message = format!("Apply failed with {} conflict{}: {}", cs.len(), if cs.len() == 1 { "" } else { "s" }, fields.join("\n"));
            if let Some(d) = e.details.as_mut() {
                d["causes"] = json!(cs.iter().map(|c| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{}\"", c.manager), "field": c.field})).collect::<Vec<_>>());
            }
            e
        })?;
        return match live {
            None => {
                authorize_create_by_apply(c, r, name)?;
                let o = c.create_object(&mut st, r.t.res, applied)?;
                Ok(obj_response(StatusCode::CREATED, &o))
            }
            Some(l) => {
                let v = split_status(r.t.res, sub, &l.value(), applied);
                crate::defaults::validate(r.t.res, &v)?;
                let o = st.update(r.t.res, v)?;
                Ok(obj_response(StatusCode::OK, &o))
            }
        };
    }
    let live = live.ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
    let mut target = if sub == Some("scale") { scale_of(&live) } else { live.value().into_owned() };
    match ct.as_str() {
        "application/merge-patch+json" => patch::merge_patch(&mut target, &p),
        "application/strategic-merge-patch+json" => patch::strategic_merge(&mut target, &p),
        "application/json-patch+json" => patch::json_patch(&mut target, &p).map_err(|m| ApiError::new(422, "Invalid", m))?,
        other => return Err(ApiError::unsupported_media(other)),
    }
    if sub == Some("scale") {
        let mut d = live.value().into_owned();
        d["spec"]["replicas"] = target.pointer("/spec/replicas").cloned().unwrap_or(json!(0));
        d["metadata"]["resourceVersion"] = target.pointer("/metadata/resourceVersion").cloned().unwrap_or(json!(""));
        let o = st.update(r.t.res, d)?;
        return Ok(scale_response(&o));
    }
    // A patch cannot rename or move the object.
    target["metadata"]["name"] = json!(name);
    if def.namespaced {
        target["metadata"]["namespace"] = json!(r.ns());
    }
    let v = split_status(r.t.res, sub, &live.value(), target);
    crate::defaults::validate(r.t.res, &v)?;
    let o = st.update(r.t.res, v)?;
    Ok(obj_response(StatusCode::OK, &o))
}

/// Server-side apply that creates the object needs `create` as well as `patch`, like
/// kube-apiserver's `withAuthorization` on the patch handler's create path. That check words its
/// 403 with the authorizer's reason alone, which RBAC leaves empty: `deployments.apps "web" is
/// forbidden: `.
fn authorize_create_by_apply(c: &Cluster, r: &Req, name: &str) -> Result<(), ApiError> {
    let def = &RESOURCES[r.t.res];
    let a = crate::authz::Attributes { verb: "create", group: def.group, resource: def.plural, sub: "", namespace: r.ns(), name };
    if crate::authz::allowed(c, &r.who, &a) {
        return Ok(());
    }
    Err(ApiError::forbidden_request(def.group, def.plural, name, ""))
}

fn scale_of(d: &ObjRef) -> Value {
    let v = &d.value();
    let sel = v.pointer("/spec/selector").map(LabelSelector::from_json).unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": meta_str(v, "name"), "namespace": meta_str(v, "namespace"), "uid": meta_str(v, "uid"),
            "resourceVersion": d.rv.to_string(), "creationTimestamp": meta_str(v, "creationTimestamp"),
        },
        "spec": {"replicas": v.pointer("/spec/replicas").cloned().unwrap_or(json!(1))},
        "status": {"replicas": v.pointer("/status/replicas").cloned().unwrap_or(json!(0)), "selector": sel.to_query()},
    })
}

pub(super) fn scale_response(d: &ObjRef) -> Response {
    json_bytes(StatusCode::OK, scale_of(d).to_string())
}

pub(super) fn delete(c: &Cluster, r: &Req, name: &str, body: &[u8]) -> Result<Response, ApiError> {
    let def = &RESOURCES[r.t.res];
    let opts: Value = if body.is_empty() { json!({}) } else { parse_body(body)? };
    let orphan = opts.get("propagationPolicy").and_then(Value::as_str) == Some("Orphan")
        || opts.get("orphanDependents").and_then(Value::as_bool) == Some(true)
        || r.q.get("propagationPolicy").is_some_and(|p| p == "Orphan");
    let mut st = c.store.lock();
    if let Some(pre) = opts.get("preconditions") {
        let live = st.get(r.t.res, r.ns(), name).ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
        for (field, have) in [("uid", live.idx.uid.to_string()), ("resourceVersion", live.rv.to_string())] {
            if let Some(want) = pre.get(field).and_then(Value::as_str)
                && want != have
            {
                let why = format!("Precondition failed: {field} in precondition: {want}, {field} in object meta: {have}");
                return Err(ApiError::conflict(def.group, def.plural, name, &why));
            }
        }
    }
    let o = c.delete_object(&mut st, r.t.res, r.ns(), name, orphan)?;
    Ok(obj_response(StatusCode::OK, &o))
}

pub(super) fn delete_collection(c: &Cluster, r: &Req) -> Result<Response, ApiError> {
    let def = &RESOURCES[r.t.res];
    let (lsel, fsel) = r.selectors()?;
    let mut st = c.store.lock();
    let names: Vec<(String, String)> =
        st.iter(r.t.res, r.t.ns.as_deref(), None).filter(|o| lsel.matches_obj(o) && fsel.matches_obj(o)).map(|o| (o.idx.ns.to_string(), o.idx.name.to_string())).collect();
    let mut items = Vec::new();
    for (ns, n) in names {
        if let Ok(o) = c.delete_object(&mut st, r.t.res, &ns, &n, false) {
            items.push(o.value().into_owned());
        }
    }
    let rv = st.current_rv();
    let list = json!({"kind": def.list_kind(), "apiVersion": def.api_version(), "metadata": {"resourceVersion": rv.to_string()}, "items": items});
    Ok(json_bytes(StatusCode::OK, list.to_string()))
}
