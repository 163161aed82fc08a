//! The REST API described by code: every route of `rest::routes()` is in the OpenAPI document
//! with its answer's schema (and its body's, where it reads one), every schema it names exists,
//! each body example of the document is read by the server, and the examples in docs/api.md are
//! accepted by a running portal with a simulated fleet.
use crate::clusters::{register, wait_for};
use crate::support::TestPortal;
use axum::http::Method;
use flotilla_server::rest;
use flotilla_sim::{FleetSpec, SimOptions};
use serde_json::Value;
use std::time::Duration;

/// Every `$ref` inside `v`.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get("$ref") {
                out.push(r.clone());
            }
            m.values().for_each(|x| refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_route_is_described_with_its_schemas() {
    let portal = TestPortal::start().await;
    // Served to anyone: an API's description is public, like its documentation.
    let answer = portal.get("/api/v1/openapi.json", None).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let doc = answer.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let schemas = doc["components"]["schemas"].as_object().expect("components.schemas");
    for (method, path, _) in rest::routes() {
        let op = &doc["paths"][path][method.as_str().to_ascii_lowercase()];
        assert!(op.is_object(), "{method} {path} is not in the OpenAPI document");
        assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{method} {path} has no summary");
        let responses = op["responses"].as_object().unwrap_or_else(|| panic!("{method} {path} has no responses"));
        let success: Vec<&String> = responses.keys().filter(|s| s.starts_with('2')).collect();
        assert!(!success.is_empty(), "{method} {path} documents no success");
        for status in success {
            let r = &responses[status];
            if status != "204" && status != "201" && r.get("content").is_none() {
                panic!("{method} {path} answers {status} without a schema: {r}");
            }
        }
        assert!(responses["default"]["content"]["application/json"]["schema"]["$ref"].as_str().is_some_and(|r| r.ends_with("/Problem")), "{method} {path}: errors are documented");
        if [Method::POST, Method::PUT, Method::PATCH].contains(&method) {
            let body = &op["requestBody"]["content"]["application/json"];
            let bodiless = path.ends_with("/notifications/read");
            assert!(bodiless || body["schema"].is_object(), "{method} {path} reads a JSON body but documents no schema for it");
        }
        // Path parameters are named as in the route.
        let named: Vec<&str> = op["parameters"].as_array().unwrap().iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect();
        let in_path: Vec<&str> = path.split('/').filter_map(|s| s.strip_prefix('{')?.strip_suffix('}')).collect();
        assert_eq!(named, in_path, "{method} {path}");
    }
    // Nothing documented that does not exist.
    let routes: Vec<(String, String)> = rest::routes().into_iter().map(|(m, p, _)| (m.as_str().to_ascii_lowercase(), p.to_owned())).collect();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            assert!(routes.contains(&(method.clone(), path.clone())), "{method} {path} is documented but not routed");
        }
    }
    // Every schema named is defined, and the main ones have their fields.
    let mut named = Vec::new();
    refs(&doc, &mut named);
    for r in &named {
        let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("a reference outside components: {r}"));
        assert!(schemas.contains_key(name), "{r} is not defined");
    }
    let form = &schemas["WorkloadForm"]["properties"];
    for field in ["name", "image", "replicas", "cpu_request", "memory_request", "ports", "placement"] {
        assert!(form.get(field).is_some(), "WorkloadForm documents {field}: {form}");
    }
    let registered = &doc["paths"]["/api/v1/projects/{p}/workloads"]["post"];
    assert!(registered["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].as_str().unwrap().ends_with("/RegisterOutcome"));
    assert!(doc["paths"]["/api/v1/costs"]["get"]["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "group_by" && p["in"] == "query"));

    // The reference page reads the same document.
    let alice = portal.session("alice").await;
    let page = portal.get("/api/v1/reference", Some(&alice)).await;
    assert_eq!(page.status, 200);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    for text in ["Flotilla REST API", "/api/v1/projects/{p}/workloads", "Register a container", "id=\"schema-WorkloadForm\"", "/api/v1/openapi.json"] {
        assert!(page.body.contains(text), "the reference shows {text}");
    }
    assert!(!page.body.contains("<script"), "the reference needs no script");
}

/// Each body example of the document is read by the server as the operation's body: whatever
/// the answer (the ids in paths are made up, so most are 404), it is never "Send JSON like …".
#[tokio::test]
async fn the_documents_examples_have_the_shape_the_server_reads() {
    let portal = TestPortal::start().await;
    let alice = portal.session("alice").await;
    for op in rest::openapi::operations() {
        let Some(example) = op.example else { continue };
        assert!(serde_json::from_str::<Value>(example).is_ok(), "{} {}: the example is JSON: {example}", op.method, op.path);
        let action = op.method == Method::POST && op.path.ends_with("/workloads/{w}");
        let path: Vec<&str> = op
            .path
            .split('/')
            .map(|seg| {
                if !seg.starts_with('{') {
                    seg
                } else if action && seg == "{w}" {
                    "999999:scale"
                } else {
                    "999999"
                }
            })
            .collect();
        let path = path.join("/");
        let answer = portal.send(op.method.clone(), &path, Some(&alice), "application/json", example).await;
        assert!(!answer.body.contains("Send JSON like"), "{} {path}: the server did not read the documented example: {} {}", op.method, answer.status, answer.body);
    }
}

/// One request of docs/api.md: method, path, body.
fn doc_examples() -> Vec<(Method, String, String)> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/api.md")).expect("docs/api.md");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(start) = rest.find("```http\n") {
        let block = &rest[start + 8..];
        let end = block.find("```").expect("an http block ends");
        let mut lines = block[..end].lines();
        let (method, path) = lines.next().unwrap().split_once(' ').unwrap();
        out.push((Method::from_bytes(method.as_bytes()).unwrap(), path.to_owned(), lines.collect::<Vec<_>>().join("\n")));
        rest = &block[end + 3..];
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_examples_in_the_docs_are_accepted_by_a_running_portal() {
    let examples = doc_examples();
    assert!(examples.len() >= 10, "docs/api.md has its examples: {}", examples.len());
    let portal = TestPortal::start().await;
    let alice = portal.session("alice").await;
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: Duration::from_millis(50), ..Default::default() }).await.unwrap();
    let ids = register(&portal, &fleet, &alice).await;
    wait_for(&portal, &format!("/api/v1/clusters/{}", ids[0]), &alice, "the cluster's inventory", |d| d["health"]["state"] == "connected" && !d["nodes"].as_array().unwrap().is_empty()).await;
    let team_a = portal.project_id("team-a").await;
    let doc = portal.get("/api/v1/openapi.json", None).await.json();
    let templates: Vec<(Method, &'static str)> = rest::routes().into_iter().map(|(m, p, _)| (m, p)).collect();
    for (method, path, body) in examples {
        let mut path = path.replace("{team-a}", &team_a.to_string()).replace("{cluster}", &ids[0].to_string());
        let body = body.replace("{cluster}", &ids[0].to_string());
        if path.contains("{web}") {
            let listed = portal.get(&format!("/api/v1/projects/{team_a}/workloads"), Some(&alice)).await.json();
            let web = listed.as_array().unwrap().iter().find(|w| w["name"] == "web").unwrap_or_else(|| panic!("web is registered before {path}: {listed}"))["id"].as_i64().unwrap();
            path = path.replace("{web}", &web.to_string());
        }
        // The example's route is one the document describes, with a body where it sends one.
        let bare = path.split('?').next().unwrap();
        let template = templates.iter().find(|(m, t)| *m == method && matches(t, bare)).unwrap_or_else(|| panic!("{method} {path} in docs/api.md is no route"));
        if !body.is_empty() {
            assert!(doc["paths"][template.1][method.as_str().to_ascii_lowercase()]["requestBody"].is_object(), "{method} {}: the document describes its body", template.1);
        }
        let answer = portal.send(method.clone(), &path, Some(&alice), "application/json", &body).await;
        assert!((200..300).contains(&answer.status), "docs/api.md: {method} {path} {body}\n→ {} {}", answer.status, answer.body);
    }
    fleet.shutdown().await;
}

/// Whether a concrete path fits a route template (`{x}` matches one segment, `{w}` also `12:scale`).
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| (t.starts_with('{') && !p.is_empty()) || t == p)
}
