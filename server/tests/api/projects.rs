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

/// Outside the demo world: a fresh database, a local administrator and two clusters of the
/// simulator registered by kubeconfig. The administrator creates a project with both clusters
/// opened and a quota, maps an SSO group to it; its owner adds a member by hand; the member
/// registers a container, which runs — only on the project's clusters, in its namespace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_fresh_portal_an_administrator_sets_up_a_project_and_its_member_deploys() {
    use flotilla_sim::{FleetSpec, SimOptions};
    use std::time::Duration;
    let portal = TestPortal::start_empty().await;
    assert!(portal.state.people.projects().await.unwrap().is_empty(), "no demo projects");
    let root = portal.state.people.ensure_user("root@example.com", "Root", true).await.unwrap();
    let (dana, erin) = (portal.state.people.ensure_user("dana@example.com", "Dana", false).await.unwrap(), portal.state.people.ensure_user("erin@example.com", "Erin", false).await.unwrap());
    let (root, dana, erin) = (portal.session_of(root).await, portal.session_of(dana).await, portal.session_of(erin).await);
    // Before any project exists, a person without roles has nowhere to register.
    let nowhere = portal.send(Method::POST, "/api/v1/projects/1/workloads", Some(&erin), "application/json", r#"{"name":"web","image":"nginx:1.27"}"#).await;
    assert_eq!(nowhere.status, 404, "{}", nowhere.body);

    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: Duration::from_millis(50), ..Default::default() }).await.unwrap();
    let ids = crate::clusters::register(&portal, &fleet, &root).await;
    for id in &ids {
        crate::clusters::wait_for(&portal, &format!("/api/v1/clusters/{id}"), &root, "the cluster's inventory", |d| d["health"]["state"] == "connected").await;
    }
    let body = serde_json::json!({ "name": "payments", "display_name": "Payments", "owner_email": "dana@example.com", "clusters": ids, "max_priority": "normal" });
    let created = portal.send(Method::POST, "/api/v1/projects", Some(&root), "application/json", &body.to_string()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let p = created.json()["id"].as_i64().unwrap();
    let quota =
        portal.send(Method::PUT, &format!("/api/v1/projects/{p}/quota"), Some(&root), "application/json", r#"{"cpu":"4","memory":"8Gi","pods":10,"max":{"cpu":"8","memory":"16Gi","pods":20}}"#).await;
    assert_eq!(quota.status, 200, "{}", quota.body);
    let mapped = portal.send(Method::POST, "/api/v1/group-mappings", Some(&root), "application/json", r#"{"group":"payments-devs","role":"developer","project":"payments"}"#).await;
    assert_eq!(mapped.status, 201, "{}", mapped.body);
    // Dana (owner) adds erin by hand.
    let added = portal.send(Method::PUT, &format!("/api/v1/projects/{p}/members"), Some(&dana), "application/json", r#"{"email":"erin@example.com","role":"developer"}"#).await;
    assert_eq!(added.status, 204, "{}", added.body);
    // Erin registers nginx; it runs on a cluster opened to payments, in the namespace payments.
    let form = serde_json::json!({ "name": "web", "image": "nginx:1.27", "replicas": "2", "cpu_request": "250m", "memory_request": "128Mi", "placement": "least_loaded" });
    let registered = portal.send(Method::POST, &format!("/api/v1/projects/{p}/workloads"), Some(&erin), "application/json", &form.to_string()).await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    let w = registered.json()["Created"]["id"].as_i64().unwrap();
    let detail = crate::workloads::converge(&portal, &format!("/api/v1/projects/{p}/workloads/{w}"), &erin, "Available", |d| d["summary"]["rollouts"][0]["phase"] == "available").await;
    assert_eq!(detail["summary"]["rollouts"][0]["ready"], 2, "{detail}");
    let cluster = detail["summary"]["rollouts"][0]["cluster_id"].as_i64().unwrap();
    let pods = portal.get(&format!("/api/v1/clusters/{cluster}/pods"), Some(&erin)).await.json();
    assert!(pods.as_array().unwrap().iter().filter(|p| p["namespace"] == "payments").count() >= 2, "{pods}");
    assert!(pods.as_array().unwrap().iter().all(|p| p["namespace"] == "payments"), "erin sees only her project's pods: {pods}");
    // The project's quota is in its namespace, GPUs and limits included.
    let client = portal.state.workloads.client(cluster).await.unwrap();
    let quotas: kube::Api<k8s_openapi::api::core::v1::ResourceQuota> = kube::Api::namespaced(client, "payments");
    let hard = quotas.get("flotilla-quota").await.unwrap().spec.unwrap().hard.unwrap();
    assert_eq!((hard["requests.cpu"].0.as_str(), hard["limits.cpu"].0.as_str(), hard["requests.nvidia.com/gpu"].0.as_str()), ("4000m", "16000m", "0"));

    // Deleting payments removes its workloads but leaves its namespace on the cluster. A new
    // project of the same name does not inherit that namespace (nor what is left in it) until an
    // administrator hands it over.
    let removed = portal.send(Method::DELETE, &format!("/api/v1/projects/{p}?workloads=remove"), Some(&root), "", "").await;
    assert_eq!(removed.status, 202, "{}", removed.body);
    // Once its workloads are gone from the clusters, deleting it again deletes it.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        portal.state.workloads.reconcile_once().await.unwrap();
        let again = portal.send(Method::DELETE, &format!("/api/v1/projects/{p}"), Some(&root), "", "").await;
        if again.status == 204 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "payments was never deleted: {} {}", again.status, again.body);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let body = serde_json::json!({ "name": "payments", "owner_email": "dana@example.com", "clusters": [cluster] });
    let again = portal.send(Method::POST, "/api/v1/projects", Some(&root), "application/json", &body.to_string()).await;
    assert_eq!(again.status, 201, "{}", again.body);
    let p2 = again.json()["id"].as_i64().unwrap();
    assert_ne!(p2, p);
    let form = serde_json::json!({ "name": "web", "image": "nginx:1.27", "replicas": "1", "cpu_request": "100m", "memory_request": "64Mi" });
    let registered = portal.send(Method::POST, &format!("/api/v1/projects/{p2}/workloads"), Some(&dana), "application/json", &form.to_string()).await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    let w2 = registered.json()["Created"]["id"].as_i64().unwrap();
    let path = format!("/api/v1/projects/{p2}/workloads/{w2}");
    let detail = crate::workloads::converge(&portal, &path, &dana, "the refusal", |d| d["summary"]["rollouts"][0]["phase"] == "failed").await;
    let message = detail["summary"]["rollouts"][0]["message"].as_str().unwrap();
    assert!(message.contains(&format!("was made for an earlier project named payments (id {p})")) && message.contains(&format!("flotilla.io/project-id={p2}")), "{message}");
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(portal.state.workloads.client(cluster).await.unwrap());
    let hand_over = serde_json::json!({ "metadata": { "labels": { "flotilla.io/project-id": p2.to_string() } } });
    namespaces.patch("payments", &kube::api::PatchParams::default(), &kube::api::Patch::Merge(&hand_over)).await.unwrap();
    crate::workloads::converge(&portal, &path, &dana, "Available after the hand-over", |d| d["summary"]["rollouts"][0]["phase"] == "available").await;
    fleet.shutdown().await;
}
