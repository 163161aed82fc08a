//! The kube-apiserver REST surface: URL parsing into (resource, namespace, name, subresource) and
//! the verbs get/list/create/update/patch/delete/deletecollection (+ status, scale, log subresources).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Extension;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use serde_json::{Value, json};

use crate::authz::{Attributes, Subject};
use crate::cluster::Cluster;
use crate::discovery;
#[cfg(test)]
use crate::resources::{DEPLOYMENT, POD};
use crate::resources::{NAMESPACE, NODE_METRICS, POD_METRICS, RESOURCES, ResId, lookup};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::store::{ObjRef, meta_str};
use crate::{usage, watch};

mod mutate;
use mutate::{create, delete, delete_collection, patch_obj, replace, scale_response};

pub fn router(cluster: Arc<Cluster>) -> Router {
    Router::new()
        .route("/version", get(discovery::version))
        .route("/healthz", get(|| async { "ok" }))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(|| async { "ok" }))
        .route("/api", get(discovery::core_versions))
        .route("/api/v1", get(discovery::core_resources))
        .route("/apis", get(discovery::groups))
        .route("/apis/{group}", get(discovery::group))
        .route("/apis/{group}/{version}", get(discovery::group_resources))
        .route("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", axum::routing::post(crate::authz::self_subject_access_review))
        .fallback(handle)
        .layer(axum::middleware::from_fn_with_state(cluster.clone(), crate::server::guard))
        .with_state(cluster)
}

/// A parsed resource URL.
#[derive(Debug)]
pub struct Target {
    pub res: ResId,
    pub ns: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

fn not_found_path() -> ApiError {
    ApiError::new(404, "NotFound", "the server could not find the requested resource")
}

pub fn parse_path(path: &str) -> Result<Target, ApiError> {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Err(not_found_path()),
    };
    let s = |i: usize| rest.get(i).map(|x| x.to_string());
    if rest.len() >= 3
        && rest[0] == "namespaces"
        && let Some(res) = lookup(group, version, rest[2]).filter(|r| RESOURCES[*r].namespaced)
    {
        if rest.len() > 5 {
            return Err(not_found_path());
        }
        return Ok(Target { res, ns: s(1), name: s(3), sub: s(4) });
    }
    let res = rest.first().and_then(|p| lookup(group, version, p)).ok_or_else(not_found_path)?;
    if rest.len() > 3 || (RESOURCES[res].namespaced && rest.len() > 1) {
        return Err(not_found_path());
    }
    Ok(Target { res, ns: None, name: s(1), sub: s(2) })
}

fn parse_query(q: Option<&str>) -> HashMap<String, String> {
    q.unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (pct_decode(k), pct_decode(v))
        })
        .collect()
}

fn pct_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                Ok(v) => {
                    out.push(v);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn json_bytes(code: StatusCode, body: impl Into<Body>) -> Response {
    let mut r = (code, body.into()).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn obj_response(code: StatusCode, o: &ObjRef) -> Response {
    json_bytes(code, o.raw.clone())
}

fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).or_else(|_| serde_yaml::from_slice::<Value>(body)).map_err(|e| ApiError::bad_request(format!("invalid request body: {e}")))
}

/// Everything a handler needs about one request.
pub struct Req {
    pub t: Target,
    pub q: HashMap<String, String>,
    pub headers: HeaderMap,
    /// Who is asking (for the authorization checks made deeper than the route's own).
    pub who: Arc<Subject>,
}

impl Req {
    pub fn ns(&self) -> &str {
        self.t.ns.as_deref().unwrap_or("")
    }
    /// kubectl asks for server-side printing with `Accept: ...;as=Table;...`.
    pub fn wants_table(&self) -> bool {
        self.headers.get(header::ACCEPT).and_then(|h| h.to_str().ok()).is_some_and(crate::table::wants_table)
    }

    pub fn selectors(&self) -> Result<(LabelSelector, FieldSelector), ApiError> {
        let l = LabelSelector::parse(self.q.get("labelSelector").map(String::as_str).unwrap_or("")).map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
        let f = FieldSelector::parse(self.q.get("fieldSelector").map(String::as_str).unwrap_or("")).map_err(ApiError::bad_request)?;
        Ok((l, f))
    }
}

async fn handle(State(c): State<Arc<Cluster>>, Extension(who): Extension<Arc<Subject>>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let t = match parse_path(uri.path()) {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let r = Req { t, q: parse_query(uri.query()), headers, who };
    if let Err(e) = authorize(&c, &r.who, &method, &r) {
        return e.into_response();
    }
    match dispatch(&c, &method, &r, &body).await {
        Ok(resp) => resp,
        Err(e) => e.into_response(),
    }
}

/// Authorizes the request as kube-apiserver's RequestInfo describes it (metrics.k8s.io included).
fn authorize(c: &Cluster, who: &Subject, method: &Method, r: &Req) -> Result<(), ApiError> {
    let def = &RESOURCES[r.t.res];
    let watching = r.q.get("watch").is_some_and(|w| w == "true" || w == "1");
    let verb = crate::authz::verb(method, r.t.name.is_some(), watching);
    let mut name = r.t.name.as_deref().unwrap_or("");
    if matches!(verb, "list" | "watch")
        && let Some(n) = r.q.get("fieldSelector").and_then(|f| crate::authz::selector_name(f))
    {
        name = n;
    }
    // A namespace is "in" itself: kube reads /api/v1/namespaces/x as namespace x.
    let namespace = match (&r.t.ns, r.t.res) {
        (Some(ns), _) => ns.as_str(),
        (None, NAMESPACE) => r.t.name.as_deref().unwrap_or(""),
        (None, _) => "",
    };
    let a = Attributes { verb, group: def.group, resource: def.plural, sub: r.t.sub.as_deref().unwrap_or(""), namespace, name };
    c.count_call(verb, def.plural);
    crate::authz::check(c, who, &a)
}

async fn dispatch(c: &Arc<Cluster>, method: &Method, r: &Req, body: &[u8]) -> Result<Response, ApiError> {
    let def = &RESOURCES[r.t.res];
    let not_allowed = || ApiError::method_not_allowed(format!("the server does not allow this method on the requested resource ({method})"));
    if def.computed {
        return if *method == Method::GET { metrics(c, r) } else { Err(not_allowed()) };
    }
    if let Some(sub) = &r.t.sub
        && !def.subresources.contains(&sub.as_str())
    {
        return Err(not_found_path());
    }
    if *method != Method::GET && r.q.get("dryRun").is_some_and(|d| !d.is_empty()) {
        // Persisting a dry run would be worse than refusing it.
        return Err(ApiError::bad_request("dryRun is not supported by flotilla-sim (simulated cluster)"));
    }
    let is_watch = matches!(r.q.get("watch").map(String::as_str), Some("true" | "1"));
    match (method.clone(), &r.t.name, r.t.sub.as_deref()) {
        (Method::GET, None, _) if is_watch => watch::serve(c, r),
        (Method::GET, None, _) => list(c, r),
        (Method::GET, Some(_), Some("log")) => watch::logs(c, r),
        (Method::GET, Some(n), Some("scale")) => Ok(scale_response(&get_obj(c, r, n)?)),
        (Method::GET, Some(n), None) if r.wants_table() => {
            let o = get_obj(c, r, n)?;
            let t = crate::table::render(r.t.res, &[&o.value()], Some(o.rv.to_string()), None);
            Ok(json_bytes(StatusCode::OK, t.to_string()))
        }
        (Method::GET, Some(n), _) => Ok(obj_response(StatusCode::OK, &get_obj(c, r, n)?)),
        (Method::POST, None, None) => create(c, r, body),
        (Method::PUT, Some(n), sub) => replace(c, r, n, sub, body),
        (Method::PATCH, Some(n), sub) => patch_obj(c, r, n, sub, body),
        (Method::DELETE, Some(n), None) => delete(c, r, n, body),
        (Method::DELETE, None, None) => delete_collection(c, r),
        _ => Err(not_allowed()),
    }
}

fn get_obj(c: &Cluster, r: &Req, name: &str) -> Result<ObjRef, ApiError> {
    let def = &RESOURCES[r.t.res];
    c.store.lock().get(r.t.res, r.ns(), name).ok_or_else(|| ApiError::not_found(def.group, def.plural, name))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Continue {
    ns: String,
    name: String,
}

fn list(c: &Cluster, r: &Req) -> Result<Response, ApiError> {
    let def = &RESOURCES[r.t.res];
    let (lsel, fsel) = r.selectors()?;
    let limit: usize = r.q.get("limit").and_then(|l| l.parse().ok()).filter(|l| *l > 0).unwrap_or(usize::MAX);
    let after = match r.q.get("continue").filter(|s| !s.is_empty()) {
        Some(tok) => {
            let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(tok).map_err(|_| ApiError::bad_request("invalid continue token"))?;
            let k: Continue = serde_json::from_slice(&raw).map_err(|_| ApiError::bad_request("invalid continue token"))?;
            Some((k.ns, k.name))
        }
        None => None,
    };
    let st = c.store.lock();
    let rv = st.current_rv();
    let ns = r.t.ns.as_deref();
    let matches = |o: &&ObjRef| lsel.matches_obj(o) && (fsel.is_empty() || fsel.matches_obj(o));
    let mut it = st.iter(r.t.res, ns, after).filter(matches);
    let items: Vec<ObjRef> = it.by_ref().take(limit).cloned().collect();
    let remaining = it.count();
    drop(st);
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if remaining > 0
        && let Some(last) = items.last()
    {
        let tok = serde_json::to_vec(&Continue { ns: last.idx.ns.to_string(), name: last.idx.name.to_string() }).unwrap_or_default();
        meta["continue"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tok));
        meta["remainingItemCount"] = json!(remaining);
    }
    if r.wants_table() {
        let owned: Vec<_> = items.iter().map(|o| o.value()).collect();
        let vals: Vec<&Value> = owned.iter().map(|v| &**v).collect();
        let t = crate::table::render(r.t.res, &vals, Some(rv.to_string()), meta.get("continue"));
        return Ok(json_bytes(StatusCode::OK, t.to_string()));
    }
    let total: usize = items.iter().map(|o| o.raw.len() + 1).sum();
    let mut out = Vec::with_capacity(total + 256);
    out.extend_from_slice(format!("{{\"kind\":\"{}\",\"apiVersion\":\"{}\",\"metadata\":", def.list_kind(), def.api_version()).as_bytes());
    out.extend_from_slice(meta.to_string().as_bytes());
    out.extend_from_slice(b",\"items\":[");
    for (i, o) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&o.raw);
    }
    out.extend_from_slice(b"]}");
    Ok(json_bytes(StatusCode::OK, out))
}

fn metrics(c: &Cluster, r: &Req) -> Result<Response, ApiError> {
    let def = &RESOURCES[r.t.res];
    let (lsel, _) = r.selectors()?;
    let ctx = c.usage_ctx();
    let st = c.store.lock();
    let items = if r.t.res == NODE_METRICS { usage::node_metrics(&st, &ctx) } else { usage::pod_metrics(&st, r.t.ns.as_deref(), &ctx) };
    drop(st);
    debug_assert!(r.t.res == NODE_METRICS || r.t.res == POD_METRICS);
    if let Some(name) = &r.t.name {
        let o = items.into_iter().find(|i| meta_str(i, "name") == name).ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
        return Ok(json_bytes(StatusCode::OK, o.to_string()));
    }
    let items: Vec<Value> = items.into_iter().filter(|i| lsel.matches_object(i)).collect();
    let list = json!({"kind": def.list_kind(), "apiVersion": def.api_version(), "metadata": {}, "items": items});
    Ok(json_bytes(StatusCode::OK, list.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        let t = parse_path("/api/v1/namespaces/a/pods/p/log").unwrap();
        assert_eq!((t.res, t.ns.as_deref(), t.name.as_deref(), t.sub.as_deref()), (POD, Some("a"), Some("p"), Some("log")));
        let t = parse_path("/api/v1/namespaces/a").unwrap();
        assert_eq!((t.res, t.name.as_deref()), (crate::resources::NAMESPACE, Some("a")));
        let t = parse_path("/api/v1/namespaces/a/status").unwrap();
        assert_eq!((t.res, t.sub.as_deref()), (crate::resources::NAMESPACE, Some("status")));
        let t = parse_path("/apis/apps/v1/deployments").unwrap();
        assert_eq!((t.res, t.ns), (DEPLOYMENT, None));
        assert!(parse_path("/apis/apps/v1/widgets").is_err());
        assert!(parse_path("/api/v1/pods/x").is_err());
        assert_eq!(pct_decode("app%3Dweb%2Cenv+in+%28a%29"), "app=web,env in (a)");
    }
}
