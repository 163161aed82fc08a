//! Projects end to end through the REST API: administrators create them (name = namespace,
//! owner, clusters, highest priority), owners manage members, and nobody else can — refusals
//! in words, "not found" alike for a missing project and another tenant's, nothing changed.
use crate::support::TestPortal;
use axum::http::Method;

#[tokio::test]
async fn administrators_create_projects_and_owners_manage_their_members() {
    let portal = TestPortal::start().await;
    let (alice, bob, carol) = (portal.session("alice").await, portal.session("bob").await, portal.session("carol").await);

    // Only administrators create projects.
    let refused = portal.send(Method::POST, "/api/v1/projects", Some(&bob), "application/json", r#"{"name":"team-z"}"#).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.json()["error"].as_str().unwrap().contains("You do not have permission to create projects"), "{}", refused.body);
    assert!(portal.state.people.project_named("team-z").await.unwrap().is_none(), "nothing was created");

    // Bad names are refused in words a person can act on.
    for (body, words) in [
        (r#"{"name":"Team Z"}"#, "lower-case letters"),
        (r#"{"name":"kube-system"}"#, "Kubernetes keeps for itself"),
        (r#"{"name":"team-a"}"#, "already exists"),
        (r#"{"name":"team-z","owner_email":"nobody@example.test"}"#, "No user has the e-mail nobody@example.test"),
        (r#"{"name":"team-z","clusters":[999]}"#, "Cluster 999 is not registered"),
    ] {
        let answer = portal.send(Method::POST, "/api/v1/projects", Some(&alice), "application/json", body).await;
        assert_eq!(answer.status, 422, "{body}: {}", answer.body);
        assert!(answer.body.contains(words), "{body}: {}", answer.body);
    }
    let not_json = portal.send(Method::POST, "/api/v1/projects", Some(&alice), "application/json", "name=team-z").await;
    assert!(not_json.body.contains("Send JSON like"), "{}", not_json.body);

    // Alice creates team-z with carol as its owner; the body never repeats what the path says.
    let created = portal.send(Method::POST, "/api/v1/projects", Some(&alice), "application/json", r#"{"name":"team-z","display_name":"Team Z","owner_email":"carol@demo.flotilla.test"}"#).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let z = created.json()["id"].as_i64().unwrap();
    assert_eq!(created.json()["max_priority"], "normal", "the default grant is normal priority");
    let members = portal.get(&format!("/api/v1/projects/{z}/members"), Some(&carol)).await.json();
    assert_eq!(members[0]["role"], "owner", "{members}");

    // Carol (owner) adds bob as a developer; bob (developer) cannot add anyone.
    let added = portal.send(Method::PUT, &format!("/api/v1/projects/{z}/members"), Some(&carol), "application/json", r#"{"email":"bob@demo.flotilla.test","role":"developer"}"#).await;
    assert_eq!(added.status, 204, "{}", added.body);
    let bob_adds = portal.send(Method::PUT, &format!("/api/v1/projects/{z}/members"), Some(&bob), "application/json", r#"{"email":"dave@example.com","role":"owner"}"#).await;
    assert_eq!(bob_adds.status, 403, "{}", bob_adds.body);
    let admin_role = portal.send(Method::PUT, &format!("/api/v1/projects/{z}/members"), Some(&carol), "application/json", r#"{"email":"bob@demo.flotilla.test","role":"administrator"}"#).await;
    assert_eq!(admin_role.status, 422, "{}", admin_role.body);
    assert!(admin_role.body.contains("portal-wide role"), "{}", admin_role.body);
    // The last owner cannot be removed; bob can be.
    let carol_id = portal.user_id("carol").await;
    let bob_id = portal.user_id("bob").await;
    let last = portal.send(Method::DELETE, &format!("/api/v1/projects/{z}/members/{carol_id}"), Some(&carol), "", "").await;
    assert_eq!(last.status, 422, "{}", last.body);
    assert!(last.body.contains("last owner"), "{}", last.body);
    assert_eq!(portal.send(Method::DELETE, &format!("/api/v1/projects/{z}/members/{bob_id}"), Some(&carol), "", "").await.status, 204);
    assert_eq!(portal.get(&format!("/api/v1/projects/{z}"), Some(&bob)).await.status, 404, "bob left team-z");

    // Owners rename; only administrators grant priority, archive or open clusters.
    let renamed = portal.send(Method::PATCH, &format!("/api/v1/projects/{z}"), Some(&carol), "application/json", r#"{"display_name":"Team Z — payments"}"#).await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let grant = portal.send(Method::PATCH, &format!("/api/v1/projects/{z}"), Some(&carol), "application/json", r#"{"max_priority":"high"}"#).await;
    assert_eq!(grant.status, 403, "{}", grant.body);
    let open = portal.send(Method::PUT, &format!("/api/v1/projects/{z}/clusters"), Some(&carol), "application/json", r#"{"clusters":[]}"#).await;
    assert_eq!(open.status, 403, "{}", open.body);
    assert_eq!(portal.state.people.project(z).await.unwrap().unwrap().max_priority.as_str(), "normal", "nothing changed");
    let granted = portal.send(Method::PATCH, &format!("/api/v1/projects/{z}"), Some(&alice), "application/json", r#"{"max_priority":"high"}"#).await;
    assert_eq!(granted.json()["max_priority"], "high", "{}", granted.body);

    // "Not found" reads the same for a project that does not exist and one bob may not see.
    let missing = portal.get("/api/v1/projects/9999", Some(&bob)).await;
    let hidden = portal.get(&format!("/api/v1/projects/{z}"), Some(&bob)).await;
    assert_eq!((missing.status, hidden.status), (404, 404));
    assert_eq!(missing.body, hidden.body, "the same words for both");
    let hidden_change = portal.send(Method::PATCH, &format!("/api/v1/projects/{z}"), Some(&bob), "application/json", r#"{"display_name":"pwned"}"#).await;
    assert_eq!(hidden_change.body, missing.body);

    // The audit log tells who did what.
    let audit = portal.get("/api/v1/audit?action=project", Some(&alice)).await.body;
    assert!(audit.contains("project.create") && audit.contains("bob@demo.flotilla.test is now developer") && audit.contains("highest priority high"), "{audit}");

    // Deleting an empty project works; deleting it twice says it is gone.
    assert_eq!(portal.send(Method::DELETE, &format!("/api/v1/projects/{z}"), Some(&alice), "", "").await.status, 204);
    assert_eq!(portal.send(Method::DELETE, &format!("/api/v1/projects/{z}"), Some(&alice), "", "").await.status, 404);
}
