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
    assert_eq!(renamed.status, 204, "{}", renamed.body);
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
