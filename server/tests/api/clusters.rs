//! Clusters through the HTTP API against the fleet simulator: an administrator registers them
//! from a kubeconfig; the inventory appears; a developer sees only their project's namespaces
//! and pods; the credentials never come back in any answer or page.
use crate::support::TestPortal;
use axum::http::Method;
use flotilla_sim::{FleetSpec, RunningFleet, SimOptions};
use std::time::{Duration, Instant};

fn body(name: &str, kubeconfig: &str, context: &str) -> String {
    serde_json::json!({
        "metadata": { "name": name, "display_name": name.to_uppercase(), "provider": "eks", "region": "ap-northeast-1",
                      "environment": "production", "labels": "team=platform", "control_plane_price_per_hour": 0.1 },
        "connection": { "Kubeconfig": { "yaml": kubeconfig, "context": context } }
    })
    .to_string()
}

pub(crate) async fn register(portal: &TestPortal, fleet: &RunningFleet, admin: &str) -> Vec<i64> {
    let kubeconfig = fleet.kubeconfig_yaml();
    let mut ids = vec![];
    for c in fleet.clusters() {
        let created = portal.send(Method::POST, "/api/v1/clusters", Some(admin), "application/json", &body(&c.name, &kubeconfig, &c.name)).await;
        assert_eq!(created.status, 201, "{}", created.body);
        assert!(!created.body.contains(&c.token), "the token never comes back");
        ids.push(created.json()["id"].as_i64().unwrap());
    }
    ids
}

pub(crate) async fn wait_for(portal: &TestPortal, path: &str, cookie: &str, what: &str, check: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
    let start = Instant::now();
    loop {
        let answer = portal.get(path, Some(cookie)).await;
        if answer.status == 200 && check(&answer.json()) {
            return answer.json();
        }
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}: {} {}", answer.status, answer.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registered_clusters_show_live_inventory_filtered_per_caller_and_never_their_secrets() {
    let portal = TestPortal::start().await;
    let alice = portal.session("alice").await;
    let bob = portal.session("bob").await;
    let fleet = tokio::time::timeout(Duration::from_secs(30), flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: Duration::from_millis(50), ..Default::default() }))
        .await
        .expect("the simulator starts within 30 s")
        .unwrap();
    let tokens: Vec<String> = fleet.clusters().iter().map(|c| c.token.clone()).collect();

    // Only administrators register clusters; a duplicate name is refused in words.
    let kubeconfig = fleet.kubeconfig_yaml();
    let refused = portal.send(Method::POST, "/api/v1/clusters", Some(&bob), "application/json", &body("alpha", &kubeconfig, "alpha")).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let ids = register(&portal, &fleet, &alice).await;
    let again = portal.send(Method::POST, "/api/v1/clusters", Some(&alice), "application/json", &body("alpha", &kubeconfig, "alpha")).await;
    assert_eq!(again.status, 422);
    assert!(again.body.contains("already registered"), "{}", again.body);
    let bad = portal.send(Method::POST, "/api/v1/clusters", Some(&alice), "application/json", &body("gamma", &kubeconfig, "no-such-context")).await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("no context named"), "{}", bad.body);

    // The inventory arrives.
    let alpha = ids[0];
    let detail = wait_for(&portal, &format!("/api/v1/clusters/{alpha}"), &alice, "alpha's nodes and pods", |d| {
        d["nodes"].as_array().is_some_and(|n| n.len() == 3) && d["totals"]["pods"].as_u64() == Some(7) && d["health"]["state"] == "connected"
    })
    .await;
    assert_eq!(detail["health"]["detail"], "connected");
    let ns: Vec<&str> = detail["namespaces"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert!(ns.contains(&"team-a") && ns.contains(&"team-b") && ns.contains(&"kube-system"), "{ns:?}");
    let pods = portal.get(&format!("/api/v1/clusters/{alpha}/pods?namespace=team-a"), Some(&alice)).await.json();
    assert_eq!(pods.as_array().unwrap().len(), 4);

    // Bob (developer in team-a) sees alpha's team-a only, and beta not at all.
    let bob_detail = portal.get(&format!("/api/v1/clusters/{alpha}"), Some(&bob)).await.json();
    assert_eq!(bob_detail["cluster"]["api_server"], "", "the API server's address is for administrators only");
    let bob_list = portal.get("/api/v1/clusters", Some(&bob)).await;
    assert!(!bob_list.body.contains("https://"), "{}", bob_list.body);
    let alice_detail = portal.get(&format!("/api/v1/clusters/{alpha}"), Some(&alice)).await.json();
    assert!(alice_detail["cluster"]["api_server"].as_str().unwrap().starts_with("https://127.0.0.1:"), "{alice_detail}");
    let bob_ns: Vec<&str> = bob_detail["namespaces"].as_array().unwrap().iter().map(|n| n["name"].as_str().unwrap()).collect();
    assert_eq!(bob_ns, ["team-a"]);
    let bob_pods = portal.get(&format!("/api/v1/clusters/{alpha}/pods"), Some(&bob)).await.json();
    assert!(bob_pods.as_array().unwrap().iter().all(|p| p["namespace"] == "team-a"), "{bob_pods}");
    assert_eq!(bob_pods.as_array().unwrap().len(), 4);
    let sneaky = portal.get(&format!("/api/v1/clusters/{alpha}/pods?namespace=team-b"), Some(&bob)).await.json();
    assert_eq!(sneaky.as_array().unwrap().len(), 0, "asking for another team's namespace returns nothing");
    assert_eq!(portal.get(&format!("/api/v1/clusters/{}", ids[1]), Some(&bob)).await.status, 404, "beta runs nothing of team-a");
    // A node's page: bob sees his own pods there (with their project), never team-b's; a node
    // of beta (which runs nothing of team-a) is "not found" for him, as is a node that is not there.
    let node = bob_pods[0]["node"].as_str().expect("bob's pod is scheduled").to_owned();
    let on_node = portal.server_fn("load_node", &bob, &format!("id={alpha}&node={node}")).await;
    assert_eq!(on_node.status, 200, "{}", on_node.body);
    let on_node = on_node.json();
    assert!(!on_node["pods"].as_array().unwrap().is_empty(), "{on_node}");
    assert!(on_node["pods"].as_array().unwrap().iter().all(|p| p["pod"]["namespace"] == "team-a" && p["project"] == "team-a"), "{on_node}");
    let beta_nodes = portal.get(&format!("/api/v1/clusters/{}/nodes", ids[1]), Some(&alice)).await.json();
    let beta_node = beta_nodes[0]["name"].as_str().unwrap();
    let hidden = portal.server_fn("load_node", &bob, &format!("id={}&node={beta_node}", ids[1])).await;
    assert_eq!(hidden.status, 404, "{}", hidden.body);
    let missing = portal.server_fn("load_node", &alice, &format!("id={alpha}&node=no-such-node")).await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Node no-such-node on "), "{}", missing.body);
    let bob_fleet = portal.get("/api/v1/fleet", Some(&bob)).await.json();
    let tiles: Vec<&str> = bob_fleet.as_array().unwrap().iter().map(|t| t["cluster"]["name"].as_str().unwrap()).collect();
    assert_eq!(tiles, ["alpha"]);
    let bob_list = portal.get("/api/v1/clusters", Some(&bob)).await.json();
    assert_eq!(bob_list.as_array().unwrap().len(), 1);
    let no_delete = portal.send(Method::DELETE, &format!("/api/v1/clusters/{alpha}"), Some(&bob), "", "").await;
    assert_eq!(no_delete.status, 403);

    // No answer and no page carries a token.
    let mut answers = vec![];
    for path in ["/api/v1/clusters", "/api/v1/fleet", &format!("/api/v1/clusters/{alpha}"), &format!("/api/v1/clusters/{alpha}/nodes")] {
        answers.push(portal.get(path, Some(&alice)).await.body);
    }
    answers.push(portal.get("/api/v1/audit", Some(&alice)).await.body);
    for page in ["/fleet", &format!("/clusters/{alpha}"), "/admin", "/admin/clusters", "/admin/audit"] {
        let html = portal.send(Method::GET, page, Some(&alice), "", "").await;
        answers.push(html.body);
    }
    for a in &answers {
        for t in &tokens {
            assert!(!a.contains(t.as_str()), "a response contains a cluster token");
        }
        assert!(!a.contains("certificate-authority-data"));
    }

    // Edit, disable (unwatched but listed), remove.
    let patched = portal
        .send(
            Method::PATCH,
            &format!("/api/v1/clusters/{alpha}"),
            Some(&alice),
            "application/json",
            r#"{"metadata":{"name":"alpha","display_name":"Alpha","provider":"eks","region":"ap-northeast-3","environment":"staging","labels":"","control_plane_price_per_hour":0.2},"enabled":false}"#,
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.json()["enabled"], false);
    let disabled = portal.get(&format!("/api/v1/clusters/{alpha}"), Some(&alice)).await.json();
    assert_eq!(disabled["health"]["state"], "disabled");
    assert_eq!(disabled["cluster"]["region"], "ap-northeast-3");
    assert_eq!(portal.send(Method::DELETE, &format!("/api/v1/clusters/{alpha}"), Some(&alice), "", "").await.status, 204);
    assert_eq!(portal.get(&format!("/api/v1/clusters/{alpha}"), Some(&alice)).await.status, 404);
    let audit = portal.get("/api/v1/audit?limit=200", Some(&alice)).await.body;
    assert!(audit.contains("cluster.create") && audit.contains("cluster.delete"), "{audit}");
    portal.state.collector.shutdown();
}

fn token_body(name: &str, url: &str, ca: &str, token: &str) -> String {
    serde_json::json!({
        "metadata": { "name": name, "display_name": "", "provider": "other", "region": "", "environment": "production", "labels": "", "control_plane_price_per_hour": 0.0 },
        "connection": { "Token": { "server": url, "ca_pem": ca, "token": token } }
    })
    .to_string()
}

/// Credentials bound to Kubernetes' `view` role are refused at registration with each missing
/// permission named; when a permission is withdrawn after registration, the API says that
/// Flotilla may not list nodes or pods there (503) instead of answering an empty list.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_without_permissions_are_refused_and_withdrawn_ones_are_named() {
    let portal = TestPortal::start().await;
    let alice = portal.session("alice").await;
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions::default()).await.unwrap();
    let alpha = fleet.cluster("alpha").unwrap();
    let viewer = alpha.issue_token("system:serviceaccount:ops:viewer", flotilla_sim::roles::view());
    let refused = portal.send(Method::POST, "/api/v1/clusters", Some(&alice), "application/json", &token_body("alpha", &alpha.url, &alpha.ca_pem, &viewer)).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("list nodes") && refused.body.contains("create namespaces") && refused.body.contains("ClusterRole"), "{}", refused.body);
    assert!(!refused.body.contains(&viewer), "the token is never echoed");
    assert_eq!(portal.get("/api/v1/clusters", Some(&alice)).await.json().as_array().unwrap().len(), 0, "nothing was registered");

    let ids = register(&portal, &fleet, &alice).await;
    wait_for(&portal, &format!("/api/v1/clusters/{}", ids[0]), &alice, "alpha listed", |d| d["nodes"].as_array().is_some_and(|n| n.len() == 3)).await;
    alpha.deny("list", "pods");
    alpha.deny("watch", "pods");
    alpha.deny("list", "nodes");
    alpha.deny("watch", "nodes");
    // Open watches live on (as on a real apiserver after an RBAC change); an outage makes the
    // collector list again, and the lists are refused.
    alpha.set_fault(flotilla_sim::FaultMode::Unreachable, None);
    wait_for(&portal, &format!("/api/v1/clusters/{}", ids[0]), &alice, "alpha unreachable", |d| d["health"]["state"] == "unreachable").await;
    alpha.set_fault(flotilla_sim::FaultMode::Healthy, None);
    // Each kind's watcher finds out on its own list (nodes and pods may be a backoff apart).
    for kind in ["nodes", "pods"] {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let answer = portal.get(&format!("/api/v1/clusters/{}/{kind}", ids[0]), Some(&alice)).await;
            if answer.status == 503 {
                assert!(answer.body.contains(&format!("Flotilla may not list {kind} on alpha")), "{}", answer.body);
                break;
            }
            assert_eq!(answer.status, 200, "{}", answer.body);
            assert!(Instant::now() < deadline, "{kind} never reported as forbidden: {}", answer.body);
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    }
    let beta = portal.get(&format!("/api/v1/clusters/{}/nodes", ids[1]), Some(&alice)).await;
    assert_eq!(beta.status, 200, "beta's credentials are untouched");

    // Everywhere else the data would be: the fleet map's tile says the counts are unknown (the
    // map and the dashboard widgets draw from it), and the cost now is refused in words.
    let map = portal.get("/api/v1/fleet", Some(&alice)).await.json();
    let tile = |name: &str| map.as_array().unwrap().iter().find(|t| t["cluster"]["name"] == name).cloned().unwrap();
    assert_eq!(tile("alpha")["forbidden"], serde_json::json!(["nodes", "pods"]), "{map}");
    assert_eq!(tile("beta")["forbidden"], serde_json::json!([]));
    let cost = portal.server_fn("cluster_costs_now", &alice, &format!("id={}", ids[0])).await;
    assert!(cost.body.starts_with(r#"{"ClusterForbids":"Flotilla may not list nodes on alpha"#), "{}", cost.body);
    let beta_cost = portal.server_fn("cluster_costs_now", &alice, &format!("id={}", ids[1])).await;
    assert_eq!(beta_cost.status, 200, "{}", beta_cost.body);
}
