//! Cross-tenant tests through the HTTP API: bob (developer in team-a) cannot list, read,
//! change or delete team-b's objects, also by guessing ids; carol (owner of team-b) cannot
//! see team-a's costs; tokens act with their owner's permissions; cross-site writes fail.
use crate::support::TestPortal;
use axum::body::Body;
use axum::http::{Method, Request, header};

#[tokio::test]
async fn bob_sees_only_team_a_and_cannot_touch_team_b_even_by_guessing_ids() {
    let portal = TestPortal::start().await;
    let bob = portal.session("bob").await;
    let team_a = portal.project_id("team-a").await;
    let team_b = portal.project_id("team-b").await;

    let listed = portal.get("/api/v1/projects", Some(&bob)).await.json();
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["team-a"], "bob's project list is filtered on the server");
    assert_eq!(portal.get(&format!("/api/v1/projects/{team_a}"), Some(&bob)).await.status, 200);

    for id in 1..=20 {
        let path = format!("/api/v1/projects/{id}");
        let read = portal.get(&path, Some(&bob)).await;
        if id == team_a {
            continue;
        }
        assert_eq!(read.status, 404, "guessing project {id} reveals nothing: {}", read.body);
        assert!(!read.body.contains("team-b") && !read.body.contains("Data platform"), "{}", read.body);
        assert_eq!(portal.get(&format!("{path}/members"), Some(&bob)).await.status, 404);
    }
    let rename = portal.send(Method::PATCH, &format!("/api/v1/projects/{team_b}"), Some(&bob), "application/json", r#"{"display_name":"pwned"}"#).await;
    assert_eq!(rename.status, 404, "{}", rename.body);
    let delete = portal.send(Method::DELETE, &format!("/api/v1/projects/{team_b}"), Some(&bob), "", "").await;
    assert_eq!(delete.status, 404);
    // Bob may read team-a but not change it (developers do not edit projects).
    let own = portal.send(Method::PATCH, &format!("/api/v1/projects/{team_a}"), Some(&bob), "application/json", r#"{"display_name":"x"}"#).await;
    assert_eq!(own.status, 403, "{}", own.body);
    // Nothing changed.
    let b = portal.state.people.project(team_b).await.unwrap().unwrap();
    assert_eq!(b.display_name, "Team B — data platform");
    let users = portal.get("/api/v1/users", Some(&bob)).await;
    assert_eq!(users.status, 403, "portal-wide lists are refused, not hidden: {}", users.body);
    assert!(users.json()["error"].as_str().unwrap().contains("You do not have permission to read the user list"));

    // Every refusal is in the audit log, with who and what.
    let alice = portal.session("alice").await;
    let denied = portal.get("/api/v1/audit?outcome=denied&actor=bob", Some(&alice)).await.json();
    let actions: Vec<&str> = denied.as_array().unwrap().iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"project.update") && actions.contains(&"project.delete") && actions.contains(&"project.read"), "{actions:?}");
    // Bob cannot read the audit log himself.
    assert_ne!(portal.get("/api/v1/audit", Some(&bob)).await.status, 200);
}

#[tokio::test]
async fn carol_cannot_see_team_a_costs_but_sees_her_own() {
    let portal = TestPortal::start().await;
    let carol = portal.session("carol").await;
    let team_a = portal.project_id("team-a").await;
    let team_b = portal.project_id("team-b").await;
    let theirs = portal.get(&format!("/api/v1/projects/{team_a}/costs"), Some(&carol)).await;
    assert_eq!(theirs.status, 404, "{}", theirs.body);
    let mine = portal.get(&format!("/api/v1/projects/{team_b}/costs"), Some(&carol)).await;
    assert_eq!(mine.status, 200, "{}", mine.body);
    assert_eq!(mine.json()["project_id"], team_b);
    assert!(mine.json()["report"]["series"].is_array());
    // The same by name, and as CSV; team-a's stays hidden whichever way it is asked.
    assert_eq!(portal.get("/api/v1/costs?project=team-a", Some(&carol)).await.status, 404);
    let csv = portal.get("/api/v1/costs?project=team-b&format=csv&step=hour&group_by=workload", Some(&carol)).await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    assert!(csv.body.starts_with("period_start,workload,cost_usd"), "{}", csv.body);
    let bad = portal.get("/api/v1/costs?group_by=colour", Some(&carol)).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("group_by is one of"), "{}", bad.body);
    // Only administrators see the per-cluster overview with idle cost.
    assert_eq!(portal.get("/api/v1/costs/clusters", Some(&carol)).await.status, 403);
    // As owner of team-b she may rename it.
    let renamed = portal.send(Method::PATCH, &format!("/api/v1/projects/{team_b}"), Some(&carol), "application/json", r#"{"display_name":"Data"}"#).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.json()["display_name"], "Data");
}

#[tokio::test]
async fn api_tokens_act_as_their_owner_until_revoked() {
    let portal = TestPortal::start().await;
    let bob = portal.session("bob").await;
    let created = portal.send(Method::POST, "/api/v1/tokens", Some(&bob), "application/json", r#"{"name":"ci","days":7}"#).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let created = created.json();
    let secret = created["secret"].as_str().unwrap().to_owned();
    let id = created["info"]["id"].as_i64().unwrap();
    let me = portal.bearer(Method::GET, "/api/v1/me", &secret, "").await;
    assert_eq!(me.json()["email"], "bob@demo.flotilla.test");
    let projects = portal.bearer(Method::GET, "/api/v1/projects", &secret, "").await.json();
    assert_eq!(projects.as_array().unwrap().len(), 1, "the token sees what bob sees");
    // The listing never shows the secret again.
    let listed = portal.get("/api/v1/tokens", Some(&bob)).await.body;
    assert!(!listed.contains(&secret));
    // Carol cannot revoke bob's token.
    let carol = portal.session("carol").await;
    assert_eq!(portal.send(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&carol), "", "").await.status, 404);
    assert_eq!(portal.send(Method::DELETE, &format!("/api/v1/tokens/{id}"), Some(&bob), "", "").await.status, 204);
    assert_eq!(portal.bearer(Method::GET, "/api/v1/me", &secret, "").await.status, 401);
    assert_eq!(portal.bearer(Method::GET, "/api/v1/me", "flt_made_up", "").await.status, 401);
}

#[tokio::test]
async fn cross_site_writes_are_refused_and_audited() {
    let portal = TestPortal::start().await;
    let carol = portal.session("carol").await;
    let team_b = portal.project_id("team-b").await;
    let req = Request::builder()
        .method(Method::PATCH)
        .uri(format!("/api/v1/projects/{team_b}"))
        .header(header::HOST, "portal.test")
        .header(header::ORIGIN, "https://evil.test")
        .header(header::COOKIE, &carol)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"display_name":"forged"}"#))
        .unwrap();
    assert_eq!(portal.raw(req).await.status, 403);
    let b = portal.state.people.project(team_b).await.unwrap().unwrap();
    assert_ne!(b.display_name, "forged");
    let alice = portal.session("alice").await;
    let lines = portal.get("/api/v1/audit?action=request.cross-site", Some(&alice)).await.json();
    assert_eq!(lines.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn administrators_manage_roles_and_group_mappings_and_changes_are_audited() {
    let portal = TestPortal::start().await;
    let alice = portal.session("alice").await;
    let bob = portal.session("bob").await;
    let form = "application/x-www-form-urlencoded";
    let save = r#"{"key":"auditor","name":"Auditor","permissions":[{"kind":"AuditLog","verb":"Read","scope":"All"}]}"#;
    let json = "application/json";
    let path = |name: &str| {
        let (p, _) = leptos::server_fn::axum::server_fn_paths().find(|(p, _)| p.trim_start_matches("/api/").starts_with(name)).unwrap();
        p
    };
    let denied = portal.send(Method::POST, path("save_role"), Some(&bob), json, save).await;
    assert!(!(200..300).contains(&denied.status), "bob cannot create roles");
    let ok = portal.send(Method::POST, path("save_role"), Some(&alice), json, save).await;
    let empty = portal.send(Method::POST, path("save_role"), Some(&alice), json, r#"{"key":"nothing","name":"Nothing","permissions":[]}"#).await;
    assert_eq!(empty.status, 200, "a role may start empty: {}", empty.body);
    assert_eq!(ok.status, 200, "{}", ok.body);
    let roles = portal.get("/api/v1/roles", Some(&alice)).await.json();
    assert!(roles.as_array().unwrap().iter().any(|r| r["key"] == "auditor"));
    let mapped = portal.send(Method::POST, path("add_group_mapping"), Some(&alice), form, "group=auditors&role=auditor&project=").await;
    assert_eq!(mapped.status, 200, "{}", mapped.body);
    let mappings = portal.get("/api/v1/group-mappings", Some(&alice)).await.json();
    assert_eq!(mappings[0]["group"], "auditors");
    let log = portal.get("/api/v1/audit?actor=alice", Some(&alice)).await.json();
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|l| l["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"role.save") && actions.contains(&"group-mapping.add"), "{actions:?}");
    let csv = portal.get("/api/v1/audit?format=csv&actor=alice", Some(&alice)).await.body;
    assert!(csv.starts_with("at,actor,action,target,cluster,outcome,source_ip,detail\r\n") && csv.contains("role.save"), "{csv}");
}

#[tokio::test]
async fn access_changes_apply_to_the_very_next_request_although_callers_are_kept_in_memory() {
    let portal = TestPortal::start().await;
    let bob = portal.session("bob").await;
    let names = |v: serde_json::Value| -> Vec<String> { v.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_owned()).collect() };
    // Twice, so the second answer comes from the kept caller.
    assert_eq!(names(portal.get("/api/v1/projects", Some(&bob)).await.json()), ["team-a"]);
    assert_eq!(names(portal.get("/api/v1/projects", Some(&bob)).await.json()), ["team-a"]);
    let team_b = portal.project_id("team-b").await;
    let bob_id = portal.user_id("bob").await;
    portal.state.people.set_member(team_b, bob_id, "viewer").await.unwrap();
    assert_eq!(names(portal.get("/api/v1/projects", Some(&bob)).await.json()), ["team-a", "team-b"], "a new membership shows at once");
    let me = portal.get("/api/v1/me", Some(&bob)).await.json();
    assert!(me["roles"].to_string().contains("in team-b"), "{me}");
    // A portal-wide grant: bob becomes an administrator and may read the audit log at once.
    assert_eq!(portal.get("/api/v1/audit", Some(&bob)).await.status, 403);
    portal.state.access.grant_global(bob_id, "administrator").await.unwrap();
    assert_eq!(portal.get("/api/v1/audit", Some(&bob)).await.status, 200);
}

/// What carol (owner of team-b) gets when she tries a write on a team-a object, and how the
/// refusal must read: objects she may not see are "not found" (404), portal-wide settings are
/// "not permitted" (403).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Refused {
    NotFound,
    Forbidden,
}

#[tokio::test]
async fn carol_tries_every_write_on_team_a_objects_and_nothing_changes() {
    use flotilla_domain::workload::{WorkloadForm, validate};
    let portal = TestPortal::start().await;
    let (alice, carol) = (portal.session("alice").await, portal.session("carol").await);
    let (team_a, team_b) = (portal.project_id("team-a").await, portal.project_id("team-b").await);
    let bob_id = portal.user_id("bob").await;
    // team-a's objects: bob's workload, a budget, a quota.
    let spec = validate(&WorkloadForm {
        project: "team-a".into(),
        name: "api".into(),
        image: "nginx:1.27".into(),
        replicas: "2".into(),
        cpu_request: "100m".into(),
        memory_request: "64Mi".into(),
        ..Default::default()
    })
    .unwrap();
    let w = portal.state.workloads.insert(team_a, bob_id, "bob@demo.flotilla.test", &spec, &[]).await.unwrap();
    let budget = portal.send(Method::PUT, &format!("/api/v1/projects/{team_a}/budget"), Some(&alice), "application/json", r#"{"monthly":500}"#).await;
    assert!((200..300).contains(&budget.status), "{}", budget.body);
    let read_all = || async {
        let wl = portal.get(&format!("/api/v1/projects/{team_a}/workloads/{w}"), Some(&alice)).await.json();
        let budget = portal.get(&format!("/api/v1/projects/{team_a}/budget"), Some(&alice)).await.json();
        let quota = portal.get(&format!("/api/v1/projects/{team_a}/quota"), Some(&alice)).await.json();
        let project = portal.get(&format!("/api/v1/projects/{team_a}/detail"), Some(&alice)).await.json();
        let weights = portal.get("/api/v1/costs/weights", Some(&alice)).await.json();
        let thresholds = portal.get("/api/v1/schedules/thresholds", Some(&alice)).await.json();
        (wl["summary"].clone(), wl["spec"].clone(), budget, quota, project, weights, thresholds)
    };
    let before = read_all().await;
    let wl = |tail: &str| format!("/api/v1/projects/{team_a}/workloads/{w}{tail}");
    // The same workload through carol's own project's path: the id decides, not the path.
    let via_b = format!("/api/v1/projects/{team_b}/workloads/{w}");
    let json = "application/json";
    let attempts: Vec<(&str, Method, String, &str, Refused, &str)> = vec![
        ("set team-a's budget", Method::PUT, format!("/api/v1/projects/{team_a}/budget"), r#"{"monthly":1}"#, Refused::NotFound, "does not exist"),
        ("remove team-a's budget", Method::DELETE, format!("/api/v1/projects/{team_a}/budget"), "", Refused::NotFound, "does not exist"),
        ("change team-a's quota", Method::PUT, format!("/api/v1/projects/{team_a}/quota"), r#"{"cpu":"1","memory":"1Gi","pods":1}"#, Refused::NotFound, "does not exist"),
        ("patch the workload", Method::PATCH, wl(""), r#"{"replicas":9,"image":"evil:1"}"#, Refused::NotFound, "does not exist"),
        ("patch it through team-b's path", Method::PATCH, via_b.clone(), r#"{"replicas":9}"#, Refused::NotFound, "does not exist"),
        ("scale it", Method::POST, wl(":scale"), r#"{"replicas":9}"#, Refused::NotFound, "does not exist"),
        ("roll it back", Method::POST, wl(":rollback"), "{}", Refused::NotFound, "does not exist"),
        ("pause it", Method::POST, wl(":pause"), "{}", Refused::NotFound, "does not exist"),
        ("move it", Method::POST, wl(":move"), r#"{"from":1,"to":2}"#, Refused::NotFound, "does not exist"),
        ("delete it", Method::DELETE, wl(""), "", Refused::NotFound, "does not exist"),
        ("delete it through team-b's path", Method::DELETE, via_b, "", Refused::NotFound, "does not exist"),
        ("reschedule it", Method::PUT, wl("/schedule"), r#"{"schedule":{"kind":"always"},"priority":"high"}"#, Refused::NotFound, "does not exist"),
        ("rename team-a", Method::PATCH, format!("/api/v1/projects/{team_a}"), r#"{"display_name":"pwned"}"#, Refused::NotFound, "does not exist"),
        ("add herself to team-a", Method::PUT, format!("/api/v1/projects/{team_a}/members"), r#"{"email":"carol@demo.flotilla.test","role":"owner"}"#, Refused::NotFound, "does not exist"),
        ("open gpu-ml to team-a", Method::PUT, format!("/api/v1/projects/{team_a}/clusters"), r#"{"clusters":[]}"#, Refused::Forbidden, "permission"),
        ("delete team-a", Method::DELETE, format!("/api/v1/projects/{team_a}?workloads=remove"), "", Refused::NotFound, "does not exist"),
        ("change a cluster's cost weights", Method::PUT, "/api/v1/clusters/1/cost-weights".into(), r#"{"cpu":0,"memory":0,"pods":0,"gpu":1}"#, Refused::Forbidden, "permission"),
        (
            "change a cluster's thresholds",
            Method::PUT,
            "/api/v1/clusters/1/thresholds".into(),
            r#"{"deploy_below":0.1,"evict_above":0.2,"burst_minutes":1,"rebalance_minutes":1}"#,
            Refused::Forbidden,
            "permission",
        ),
    ];
    for (what, method, path, body, expected, words) in attempts {
        let answer = portal.send(method.clone(), &path, Some(&carol), json, body).await;
        let kind = match answer.status {
            404 => Some(Refused::NotFound),
            403 => Some(Refused::Forbidden),
            _ => None,
        };
        assert_eq!(kind, Some(expected), "carol tried to {what} ({method} {path}): {} {}", answer.status, answer.body);
        let said = answer.json()["error"].as_str().unwrap_or_default().to_owned();
        let worded = match expected {
            Refused::NotFound => said.contains("does not exist") || said.contains("not found"),
            Refused::Forbidden => said.contains(words),
        };
        assert!(worded, "carol tried to {what}: the refusal says {said:?}");
        assert!(!answer.body.contains("team-a") && !answer.body.contains("pwned"), "carol tried to {what}: the refusal names team-a: {}", answer.body);
    }
    // Server functions the REST API does not carry: the workload's logs, and a dashboard
    // widget that points at team-a (her layout may name it; its data stays hidden).
    let log = portal.server_fn("workload_log", &carol, &format!("id={w}&cluster_id=1&pod=api-1")).await;
    // (Server functions answer errors in their own encoding: the error's kind names the refusal.)
    assert!(log.body.starts_with(r#"{"NotFound":"#), "{}", log.body);
    let widget = r#"{"dashboard":{"widgets":[{"id":1,"kind":"cost_over_time","x":0,"y":0,"w":6,"h":4,"settings":{"project":"team-a","days":7}}]}}"#;
    portal.server_fn("save_dashboard", &carol, widget).await;
    let costs = portal.server_fn("load_costs", &carol, r#"{"query":{"project":"team-a","from":"","to":"","step":"Day","group_by":"Cluster"}}"#).await;
    assert!(costs.body.starts_with(r#"{"NotFound":"#) && !costs.body.contains("USD"), "the widget's data: {}", costs.body);
    assert_eq!(read_all().await, before, "team-a's objects are as they were");
    // And every attempt is in the audit log as denied, under carol's name.
    let denied = portal.get("/api/v1/audit?outcome=denied&actor=carol&limit=100", Some(&alice)).await.json();
    assert!(denied.as_array().unwrap().len() >= 10, "{denied}");
}
