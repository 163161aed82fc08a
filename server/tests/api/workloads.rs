//! Workloads through the REST API against the fleet simulator: bob (developer in team-a)
//! previews, registers, scales and deletes; bad input deploys nothing; carol (owner of
//! team-b) can neither see nor touch team-a's workload.
use crate::clusters::{register, wait_for};
use crate::support::TestPortal;
use axum::http::Method;
use flotilla_sim::{FleetSpec, SimOptions};
use std::time::{Duration, Instant};

fn form(name: &str, image: &str, cpu: &str) -> String {
    serde_json::json!({
        "project": "team-a", "name": name, "image": image, "command": "", "args": "", "env": [],
        "ports": [{"port": 80, "protocol": "TCP", "expose": true}], "replicas": "2", "cpu_request": cpu, "cpu_limit": "",
        "memory_request": "64Mi", "memory_limit": "", "gpu": "", "placement": "least_loaded"
    })
    .to_string()
}

/// Runs the deployer (the server's loop is not started in-process) until the workload's JSON satisfies `check`.
pub async fn converge(portal: &TestPortal, path: &str, cookie: &str, what: &str, check: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let start = Instant::now();
    loop {
        portal.state.workloads.reconcile_once().await.unwrap();
        let answer = portal.get(path, Some(cookie)).await;
        if answer.status == 200 && check(&answer.json()) {
            return answer.json();
        }
        assert!(start.elapsed() < Duration::from_secs(30), "timed out waiting for {what}: {} {}", answer.status, answer.body);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_developer_registers_scales_and_deletes_a_workload_and_other_teams_cannot_touch_it() {
    let portal = TestPortal::start().await;
    let (alice, bob, carol) = (portal.session("alice").await, portal.session("bob").await, portal.session("carol").await);
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: Duration::from_millis(50), ..Default::default() }).await.unwrap();
    let ids = register(&portal, &fleet, &alice).await;
    for id in &ids {
        wait_for(&portal, &format!("/api/v1/clusters/{id}"), &alice, "the cluster's inventory", |d| d["health"]["state"] == "connected" && !d["nodes"].as_array().unwrap().is_empty()).await;
    }
    let team_a = portal.project_id("team-a").await;
    let base = format!("/api/v1/projects/{team_a}/workloads");

    // Until an administrator opens a cluster to team-a, nothing can be placed, and the preview says so.
    let closed = portal.send(Method::POST, "/api/v1/placement/preview", Some(&bob), "application/json", &form("web", "nginx:1.27", "100m")).await;
    assert_eq!(closed.json()["Ok"]["assignments"].as_array().unwrap().len(), 0, "{}", closed.body);
    let opened = portal.send(Method::PUT, &format!("/api/v1/projects/{team_a}/clusters"), Some(&alice), "application/json", &format!(r#"{{"clusters":{ids:?}}}"#)).await;
    assert_eq!(opened.status, 200, "{}", opened.body);
    assert_eq!(opened.json().as_array().unwrap().len(), ids.len());

    // The preview places without registering anything.
    let preview = portal.send(Method::POST, "/api/v1/placement/preview", Some(&bob), "application/json", &form("web", "nginx:1.27", "100m")).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert_eq!(preview.json()["Ok"]["assignments"].as_array().unwrap().len(), 1, "{}", preview.body);
    assert_eq!(portal.get(&base, Some(&bob)).await.json().as_array().unwrap().len(), 0);

    // Bad input: every bad field named, nothing registered.
    let bad = portal.send(Method::POST, &base, Some(&bob), "application/json", &form("web", "NGINX::x", "abc")).await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let fields: Vec<String> = bad.json()["Invalid"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect();
    assert!(fields.contains(&"image".to_owned()) && fields.contains(&"cpu_request".to_owned()), "{fields:?}");
    assert_eq!(portal.get(&base, Some(&bob)).await.json().as_array().unwrap().len(), 0, "a bad request never reaches a cluster");

    // Carol may not register in team-a.
    let refused = portal.send(Method::POST, &base, Some(&carol), "application/json", &form("web", "nginx:1.27", "100m")).await;
    assert_eq!(refused.status, 404, "{}", refused.body);

    // Bob registers; it becomes Available with 2 pods.
    let created = portal.send(Method::POST, &base, Some(&bob), "application/json", &form("web", "nginx:1.27", "100m")).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["Created"]["id"].as_i64().unwrap();
    let path = format!("{base}/{id}");
    let detail = converge(&portal, &path, &bob, "web available", |d| d["summary"]["rollouts"][0]["phase"] == "available").await;
    assert_eq!(detail["summary"]["rollouts"][0]["ready"], 2);
    let again = portal.send(Method::POST, &base, Some(&bob), "application/json", &form("web", "nginx:1.27", "100m")).await;
    assert_eq!(again.status, 422, "a second workload of the same name is refused: {}", again.body);

    // Carol neither sees nor changes it, even by id.
    assert_eq!(portal.get(&path, Some(&carol)).await.status, 404);
    let team_b = portal.project_id("team-b").await;
    assert_eq!(portal.get(&format!("/api/v1/projects/{team_b}/workloads/{id}"), Some(&carol)).await.status, 404);
    assert_eq!(portal.send(Method::DELETE, &path, Some(&carol), "", "").await.status, 404);
    assert!(portal.get(&format!("/api/v1/projects/{team_b}/workloads"), Some(&carol)).await.json().as_array().unwrap().is_empty());

    // Bob schedules it for weekday nights in Tokyo at low priority; carol cannot see or set it.
    let nights = r#"{"schedule":{"kind":"recurring","days":31,"start":"01:00","end":"05:00","tz":"Asia/Tokyo"},"priority":"low","movable":true}"#;
    let scheduled = portal.send(Method::PUT, &format!("{path}/schedule"), Some(&bob), "application/json", nights).await;
    assert_eq!(scheduled.status, 200, "{}", scheduled.body);
    let view = scheduled.json();
    assert!(view["sentence"].as_str().unwrap().starts_with("runs every weekday 01:00–05:00 JST (Asia/Tokyo)"), "{view}");
    assert_eq!(view["priority"], "low");
    assert!(!view["windows_ms"].as_array().unwrap().is_empty(), "planned windows for the timeline");
    let bad_zone = r#"{"schedule":{"kind":"recurring","days":31,"start":"01:00","end":"05:00","tz":"Asia/Atlantis"}}"#;
    let refused = portal.send(Method::PUT, &format!("{path}/schedule"), Some(&bob), "application/json", bad_zone).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("time zone"), "{}", refused.body);
    assert_eq!(portal.get(&format!("{path}/schedule"), Some(&carol)).await.status, 404);
    assert_eq!(portal.send(Method::PUT, &format!("{path}/schedule"), Some(&carol), "application/json", nights).await.status, 404);
    let timeline = portal.get("/api/v1/schedules/timeline", Some(&bob)).await.json();
    assert!(timeline.as_array().unwrap().iter().any(|v| v["workload"] == "web"), "{timeline}");
    assert!(portal.get("/api/v1/schedules/timeline", Some(&carol)).await.json().as_array().unwrap().is_empty(), "carol sees no team-a schedule");
    // Back to always, normal priority, so the rest of this journey runs as before.
    let always = portal.send(Method::PUT, &format!("{path}/schedule"), Some(&bob), "application/json", r#"{"schedule":{"kind":"always"}}"#).await;
    assert_eq!(always.status, 200, "{}", always.body);
    assert_eq!(always.json()["sentence"], "runs all the time");

    // Scale to 3, change the image, roll back.
    let scaled = portal.send(Method::POST, &format!("{path}:scale"), Some(&bob), "application/json", r#"{"replicas":3}"#).await;
    assert_eq!(scaled.status, 200, "{}", scaled.body);
    converge(&portal, &path, &bob, "3 ready", |d| d["summary"]["rollouts"][0]["ready"] == 3 && d["summary"]["rollouts"][0]["phase"] == "available").await;
    let changed = portal.send(Method::PATCH, &path, Some(&bob), "application/json", r#"{"image":"nginx:1.28"}"#).await;
    assert_eq!(changed.json()["image"], "nginx:1.28", "{}", changed.body);
    let rolled = portal.send(Method::POST, &format!("{path}:rollback"), Some(&bob), "application/json", "{}").await;
    assert_eq!(rolled.json()["image"], "nginx:1.27", "{}", rolled.body);
    let audit = portal.get("/api/v1/audit?action=workload", Some(&alice)).await.body;
    assert!(audit.contains("scaled from 2 to 3") && audit.contains("rolled back"), "{audit}");

    // Delete: gone from the cluster and the list.
    assert_eq!(portal.send(Method::DELETE, &path, Some(&bob), "", "").await.status, 204);
    let start = Instant::now();
    while portal.get(&path, Some(&bob)).await.status != 404 {
        assert!(start.elapsed() < Duration::from_secs(30), "not deleted");
        portal.state.workloads.reconcile_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(portal.get(&base, Some(&bob)).await.json().as_array().unwrap().is_empty());
    fleet.shutdown().await;
}

#[tokio::test]
async fn owners_set_their_quota_within_the_ceiling_that_administrators_set() {
    let portal = TestPortal::start().await;
    let (alice, bob, carol) = (portal.session("alice").await, portal.session("bob").await, portal.session("carol").await);
    let (team_a, team_b) = (portal.project_id("team-a").await, portal.project_id("team-b").await);
    let quota = |p: i64| format!("/api/v1/projects/{p}/quota");
    let shown = portal.get(&quota(team_b), Some(&carol)).await.json();
    assert_eq!((shown["may_edit"].as_bool(), shown["may_edit_max"].as_bool()), (Some(true), Some(false)), "{shown}");
    let ok = portal.send(Method::PUT, &quota(team_b), Some(&carol), "application/json", r#"{"cpu":"8","memory":"16Gi","pods":40}"#).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!((ok.json()["cpu"].as_str(), ok.json()["pods"].as_u64()), (Some("8"), Some(40)), "{}", ok.body);
    let over = portal.send(Method::PUT, &quota(team_b), Some(&carol), "application/json", r#"{"cpu":"100000","memory":"16Gi","pods":40}"#).await;
    assert_eq!(over.status, 422, "above the ceiling: {}", over.body);
    assert!(over.body.contains("at most"), "{}", over.body);
    let ceiling = portal.send(Method::PUT, &quota(team_b), Some(&carol), "application/json", r#"{"cpu":"8","memory":"16Gi","pods":40,"max":{"cpu":"100000","memory":"1Ti","pods":1000}}"#).await;
    assert_eq!(ceiling.status, 403, "only administrators move the ceiling: {}", ceiling.body);
    let developer = portal.send(Method::PUT, &quota(team_a), Some(&bob), "application/json", r#"{"cpu":"1","memory":"1Gi","pods":1}"#).await;
    assert_eq!(developer.status, 403, "a developer does not set the quota: {}", developer.body);
    let raised =
        portal.send(Method::PUT, &quota(team_b), Some(&alice), "application/json", r#"{"cpu":"300","memory":"16Gi","pods":40,"gpus":2,"max":{"cpu":"400","memory":"2Ti","pods":2000,"gpus":4}}"#).await;
    assert_eq!(raised.status, 200, "{}", raised.body);
    assert_eq!(portal.get(&quota(team_b), Some(&carol)).await.json()["max_pods"], 2000);
    assert_eq!(portal.get(&quota(team_a), Some(&carol)).await.status, 404, "carol cannot see team-a");
}
