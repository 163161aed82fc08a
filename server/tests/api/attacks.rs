//! The tenancy attacks of issue 18, run against the simulated demo fleet through the REST API:
//! bob (developer in team-a) and dave (Developer granted portal-wide, as a group mapping
//! without a project does) try to escape team-a — another project's cluster, a priority not
//! granted, room that is not there — and each attempt fails with the words a person sees,
//! while team-b's GPU work keeps running.
use crate::clusters::{register, wait_for};
use crate::support::TestPortal;
use axum::http::Method;
use flotilla_sim::{FleetSpec, SimOptions};
use std::time::Duration;

fn form(name: &str, gpu: &str, cpu: &str, placement: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "name": name, "image": "nginx:1.27", "command": "", "args": "", "env": [], "ports": [],
        "replicas": "1", "cpu_request": cpu, "cpu_limit": "", "memory_request": "64Mi", "memory_limit": "",
        "gpu": gpu, "placement": placement
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn developers_cannot_escape_their_project_preempt_others_or_overrun_their_room() {
    let portal = TestPortal::start().await;
    let (alice, bob) = (portal.session("alice").await, portal.session("bob").await);
    let fleet = flotilla_sim::start(FleetSpec::demo(), SimOptions { pod_start_delay: Duration::from_millis(50), ..Default::default() }).await.unwrap();
    let ids = register(&portal, &fleet, &alice).await;
    flotilla_backend::demo::open_demo_clusters(&portal.state.db, &portal.state.clusters).await.unwrap();
    for id in &ids {
        wait_for(&portal, &format!("/api/v1/clusters/{id}"), &alice, "the cluster's inventory", |d| d["health"]["state"] == "connected" && !d["nodes"].as_array().unwrap().is_empty()).await;
    }
    let names: Vec<String> = fleet.clusters().iter().map(|c| c.name.clone()).collect();
    let gpu = ids[names.iter().position(|n| n == "gpu-ml").unwrap()];
    let osaka = ids[names.iter().position(|n| n == "osaka-prod").unwrap()];
    let team_a = portal.project_id("team-a").await;
    let base = format!("/api/v1/projects/{team_a}/workloads");
    let trainers_running = || async {
        let pods = portal.get(&format!("/api/v1/clusters/{gpu}/pods"), Some(&alice)).await.json();
        pods.as_array().unwrap().iter().filter(|p| p["namespace"] == "team-b" && p["phase"] == "Running").count()
    };
    let running_before = trainers_running().await;
    assert!(running_before >= 3, "team-b's trainers run on gpu-ml");

    // The preview places only on the clusters opened to team-a, and never names gpu-ml.
    let mut preview_form = form("probe", "", "100m", serde_json::json!("least_loaded"));
    preview_form["project"] = "team-a".into();
    let preview = portal.send(Method::POST, "/api/v1/placement/preview", Some(&bob), "application/json", &preview_form.to_string()).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    let previewed = preview.json();
    let seen: Vec<&str> = previewed["Ok"]["candidates"].as_array().unwrap().iter().map(|c| c["cluster"].as_str().unwrap()).collect();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(!preview.body.contains("gpu-ml"), "{}", preview.body);

    // A 1-GPU workload at high priority pinned to gpu-ml: refused for the priority …
    let mut gpu_grab = form("grab", "1", "1", serde_json::json!({ "clusters": [gpu] }));
    gpu_grab["schedule"] = serde_json::json!({ "priority": "high" });
    let refused = portal.send(Method::POST, &base, Some(&bob), "application/json", &gpu_grab.to_string()).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("Priority high is above what this project may use (at most normal)"), "{}", refused.body);
    // … and at normal priority for the cluster, naming only team-a's clusters.
    gpu_grab["schedule"] = serde_json::Value::Null;
    let refused = portal.send(Method::POST, &base, Some(&bob), "application/json", &gpu_grab.to_string()).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("Choose clusters opened to team-a: tokyo-prod, osaka-prod, onprem-dev."), "{}", refused.body);
    assert!(!refused.body.contains("gpu-ml"), "{}", refused.body);
    assert!(portal.get(&base, Some(&bob)).await.json().as_array().unwrap().is_empty(), "nothing was registered");
    assert_eq!(trainers_running().await, running_before, "team-b's trainers were not preempted");

    // A portal-wide Developer (group mapping without a project) is no member of team-a: the
    // project reads as not found, exactly as one that does not exist.
    let dave = portal.state.people.ensure_user("dave@demo.flotilla.test", "Dave", false).await.unwrap();
    portal.state.access.grant_global(dave, "developer").await.unwrap();
    let dave = format!("flotilla_session={}", portal.state.sessions.start(dave, "test", None).await.unwrap());
    let as_dave = portal.send(Method::POST, &base, Some(&dave), "application/json", &form("dave", "", "100m", serde_json::json!("least_loaded")).to_string()).await;
    assert_eq!(as_dave.status, 404, "{}", as_dave.body);
    let nowhere = portal.send(Method::POST, "/api/v1/projects/9999/workloads", Some(&dave), "application/json", &form("dave", "", "100m", serde_json::json!("least_loaded")).to_string()).await;
    assert_eq!(nowhere.body, as_dave.body, "the same words as for a project that does not exist");

    // Bob registers a small workload on osaka-prod (no "project" in the body: the path says it).
    let created = portal.send(Method::POST, &base, Some(&bob), "application/json", &form("probe", "", "2", serde_json::json!({ "clusters": [osaka] })).to_string()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["Created"]["id"].as_i64().unwrap();
    // Scaling past the room on its cluster is refused in words, like a registration.
    let huge = portal.send(Method::POST, &format!("{base}/{id}:scale"), Some(&bob), "application/json", r#"{"replicas":100}"#).await;
    assert_eq!(huge.status, 422, "{}", huge.body);
    assert!(huge.body.contains("100 replicas of probe do not fit on osaka-prod"), "{}", huge.body);
    // Moving to a cluster not opened to team-a is refused without naming it.
    let moved = portal.send(Method::POST, &format!("{base}/{id}:move"), Some(&bob), "application/json", &format!(r#"{{"from":{osaka},"to":{gpu}}}"#)).await;
    assert_eq!(moved.status, 422, "{}", moved.body);
    assert!(moved.body.contains("Choose a cluster opened to team-a to move to.") && !moved.body.contains("gpu-ml"), "{}", moved.body);
    let now = portal.get(&format!("{base}/{id}"), Some(&bob)).await.json();
    assert_eq!(now["summary"]["replicas"], 1, "nothing changed: {now}");
    assert_eq!(now["summary"]["rollouts"].as_array().unwrap().len(), 1, "{now}");

    // Normal priority never preempts: the class Flotilla applies says so.
    let client = portal.state.workloads.client(osaka).await.unwrap();
    let start = std::time::Instant::now();
    loop {
        portal.state.workloads.reconcile_once().await.unwrap();
        let classes: kube::Api<k8s_openapi::api::scheduling::v1::PriorityClass> = kube::Api::all(client.clone());
        if let Ok(Some(pc)) = classes.get_opt("flotilla-normal").await {
            assert_eq!(pc.preemption_policy.as_deref(), Some("Never"));
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "flotilla-normal was never applied");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Bob registers "api" on tokyo-prod, where team-a's production Deployment "api" (8 replicas,
    // created by someone else) runs: Flotilla refuses to replace it, says why, and deleting
    // bob's workload leaves it running.
    let tokyo = ids[names.iter().position(|n| n == "tokyo-prod").unwrap()];
    let created = portal.send(Method::POST, &base, Some(&bob), "application/json", &form("api", "", "100m", serde_json::json!({ "clusters": [tokyo] })).to_string()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let same_name = created.json()["Created"]["id"].as_i64().unwrap();
    let detail = crate::workloads::converge(&portal, &format!("{base}/{same_name}"), &bob, "the refusal", |d| d["summary"]["rollouts"][0]["phase"] == "failed").await;
    let message = detail["summary"]["rollouts"][0]["message"].as_str().unwrap();
    assert!(message.contains("a Deployment named \"api\" already exists in namespace team-a and was not created by this workload"), "{message}");
    let deployments: kube::Api<k8s_openapi::api::apps::v1::Deployment> = kube::Api::namespaced(portal.state.workloads.client(tokyo).await.unwrap(), "team-a");
    let theirs = || async {
        let d = deployments.get("api").await.unwrap();
        let image = d.spec.template.spec.as_ref().unwrap().containers[0].image.clone().unwrap();
        (d.spec.replicas, image)
    };
    assert_eq!(theirs().await, (Some(8), "ghcr.io/example/team-a/api:2.3.0".to_owned()), "team-a's api was not replaced");
    let deleted = portal.send(Method::DELETE, &format!("{base}/{same_name}"), Some(&bob), "", "").await;
    assert!(deleted.status == 200 || deleted.status == 204, "{} {}", deleted.status, deleted.body);
    for _ in 0..5 {
        portal.state.workloads.reconcile_once().await.unwrap();
    }
    assert_eq!(theirs().await, (Some(8), "ghcr.io/example/team-a/api:2.3.0".to_owned()), "deleting bob's workload left team-a's api alone");

    // GPUs are part of the quota. team-b has none granted yet: carol's 1-GPU workload on
    // gpu-ml is refused by the project's quota, although the nodes have GPUs free.
    let carol = portal.session("carol").await;
    // (Free one of gpu-ml's four GPUs, all in use by the demo's trainers and team-c's inference.)
    let inference: kube::Api<k8s_openapi::api::apps::v1::Deployment> = kube::Api::namespaced(portal.state.workloads.client(gpu).await.unwrap(), "team-c");
    inference.delete("inference", &Default::default()).await.unwrap();
    wait_for(&portal, &format!("/api/v1/clusters/{gpu}/pods"), &alice, "team-c's inference gone", |pods| pods.as_array().unwrap().iter().all(|p| p["namespace"] != "team-c")).await;
    let team_b = portal.project_id("team-b").await;
    let b_base = format!("/api/v1/projects/{team_b}/workloads");
    let refused = portal.send(Method::POST, &b_base, Some(&carol), "application/json", &form("gpu-job", "1", "500m", serde_json::json!({ "clusters": [gpu] })).to_string()).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("the project's GPU quota has 0 left, needs 1 (1 × 1)"), "{}", refused.body);
    // An owner cannot grant GPUs above the ceiling an administrator set …
    let quota = format!("/api/v1/projects/{team_b}/quota");
    let raise = portal.send(Method::PUT, &quota, Some(&carol), "application/json", r#"{"cpu":"64","memory":"256Gi","pods":200,"gpus":4}"#).await;
    assert_eq!(raise.status, 422, "{}", raise.body);
    assert!(raise.body.contains("at most 64 CPU, 256Gi memory, 200 pods and 0 GPUs"), "{}", raise.body);
    // … the administrator grants one, and two 1-GPU replicas still do not fit in it.
    let grant =
        portal.send(Method::PUT, &quota, Some(&alice), "application/json", r#"{"cpu":"64","memory":"256Gi","pods":200,"gpus":1,"max":{"cpu":"64","memory":"256Gi","pods":200,"gpus":1}}"#).await;
    assert_eq!(grant.status, 200, "{}", grant.body);
    let mut two = form("gpu-job", "1", "500m", serde_json::json!({ "clusters": [gpu] }));
    two["replicas"] = "2".into();
    let refused = portal.send(Method::POST, &b_base, Some(&carol), "application/json", &two.to_string()).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(refused.body.contains("the project's GPU quota has 1 left, needs 2 (2 × 1)"), "{}", refused.body);
    assert!(portal.get(&b_base, Some(&carol)).await.json().as_array().unwrap().iter().all(|w| w["name"] != "gpu-job"), "nothing was registered");

    // A project named like a namespace someone else made on a cluster never takes it over.
    let namespaces: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(portal.state.workloads.client(osaka).await.unwrap());
    let theirs: k8s_openapi::api::core::v1::Namespace = serde_json::from_value(serde_json::json!({ "metadata": { "name": "payments", "labels": { "owner": "finance" } } })).unwrap();
    namespaces.create(&Default::default(), &theirs).await.unwrap();
    let body = serde_json::json!({ "name": "payments", "owner_email": "bob@demo.flotilla.test", "clusters": [osaka] });
    let created = portal.send(Method::POST, "/api/v1/projects", Some(&alice), "application/json", &body.to_string()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let payments = created.json()["id"].as_i64().unwrap();
    let p_base = format!("/api/v1/projects/{payments}/workloads");
    let registered = portal.send(Method::POST, &p_base, Some(&bob), "application/json", &form("web", "", "100m", serde_json::json!({ "clusters": [osaka] })).to_string()).await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    let w = registered.json()["Created"]["id"].as_i64().unwrap();
    let detail = crate::workloads::converge(&portal, &format!("{p_base}/{w}"), &bob, "the refusal", |d| d["summary"]["rollouts"][0]["phase"] == "failed").await;
    let message = detail["summary"]["rollouts"][0]["message"].as_str().unwrap();
    assert!(message.contains("the namespace \"payments\" already exists on this cluster and does not belong to project payments"), "{message}");
    let after = namespaces.get("payments").await.unwrap();
    let labels = after.metadata.labels.unwrap_or_default();
    assert_eq!((labels.get("owner").map(String::as_str), labels.get("flotilla.io/project")), (Some("finance"), None), "their namespace is untouched");
    let quotas: kube::Api<k8s_openapi::api::core::v1::ResourceQuota> = kube::Api::namespaced(portal.state.workloads.client(osaka).await.unwrap(), "payments");
    assert!(quotas.get_opt("flotilla-quota").await.unwrap().is_none(), "no quota was put in it");
    fleet.shutdown().await;
}
