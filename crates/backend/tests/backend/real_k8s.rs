//! Kubernetes as it is, not as the demo is (issue 20), on the simulator: taints and cordon take
//! room away from placement and are named; a kind the credentials may not list is named, never
//! shown as empty; credentials lacking permissions are refused with the ClusterRole's words; a
//! blackholed cluster does not hold up deploys to the others.
use crate::fleet::{eventually, register_fleet};
use crate::support::TestDb;
use crate::workloads::{phase_is, project, spec};
use flotilla_backend::workloads::{DEFAULT_QUOTA, capacity};
use flotilla_backend::{ClusterDirectory, Collector, Credentials, kubeconn};
use flotilla_domain::inventory::HealthState;
use flotilla_domain::placement::{Demand, place};
use flotilla_domain::rollout::Phase;
use flotilla_domain::workload::{PlacementRule, Resources};
use flotilla_sim::{FaultMode, FleetSpec, SimOptions};
use k8s_openapi::api::core::v1::Node;
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams};
use serde_json::json;
use std::time::{Duration, Instant};

/// What placement says about one cluster for `replicas` × `cpu_m`.
fn verdict(collector: &Collector, id: i64, cpu_m: u64, replicas: u32) -> flotilla_domain::Candidate {
    let state = collector.state(id).expect("watched");
    let caps = capacity::capacities(&[state], "team-a", DEFAULT_QUOTA);
    let demand = Demand { per_replica: Resources { cpu_m, mem_b: 64 << 20, gpu: 0 }, replicas };
    place(&PlacementRule::LeastLoaded, &demand, &caps).candidates.remove(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taints_and_cordon_take_room_away_and_are_named() {
    let db = TestDb::sqlite().await;
    db.db().migrate().await.unwrap();
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions::default()).await.unwrap();
    let s = crate::support::services(db.db());
    let dir = s.clusters.clone();
    let ids = register_fleet(&dir, &fleet).await;
    let collector = s.collector.clone();
    collector.sync(&dir).await.unwrap();
    eventually(Duration::from_secs(15), "alpha listed", || collector.state(ids[0]).is_some_and(|s| s.synced)).await;
    assert!(verdict(&collector, ids[0], 100, 1).fits, "an untainted cluster takes a small workload");

    let kube = s.workloads.clone().client(ids[0]).await.unwrap();
    let nodes: Api<Node> = Api::all(kube);
    let names: Vec<String> = nodes.list(&ListParams::default()).await.unwrap().items.into_iter().filter_map(|n| n.metadata.name).collect();
    assert_eq!(names.len(), 3);
    let taint = json!({"spec": {"taints": [{"key": "dedicated", "value": "infra", "effect": "NoSchedule"}]}});
    for n in &names {
        nodes.patch(n, &PatchParams::default(), &Patch::Merge(&taint)).await.unwrap();
    }
    eventually(Duration::from_secs(5), "every node of alpha refuses new pods", || !verdict(&collector, ids[0], 100, 1).fits).await;
    let v = verdict(&collector, ids[0], 100, 1);
    assert_eq!(v.reason.as_deref(), Some("none of its nodes accepts new pods (3 tainted dedicated=infra:NoSchedule)"));
    assert_eq!(v.free_before, Resources::default(), "tainted nodes are no free room");
    let state = collector.state(ids[0]).unwrap();
    assert!(state.derived.nodes.iter().all(|n| n.refuses.as_deref() == Some("tainted dedicated=infra:NoSchedule")), "the cluster page shows why");

    // Lift the taint from two nodes, cordon one of them: one node's room is left, and when it
    // is too little both others are named.
    let untaint = json!({"spec": {"taints": null}});
    nodes.patch(&names[1], &PatchParams::default(), &Patch::Merge(&untaint)).await.unwrap();
    nodes.patch(&names[2], &PatchParams::default(), &Patch::Merge(&json!({"spec": {"taints": null, "unschedulable": true}}))).await.unwrap();
    eventually(Duration::from_secs(5), "one node accepts pods again, one is cordoned", || {
        let nodes = collector.state(ids[0]).unwrap().derived.nodes.clone();
        nodes.iter().any(|n| n.name == names[1] && n.refuses.is_none()) && nodes.iter().any(|n| n.name == names[2] && n.refuses.as_deref() == Some("cordoned"))
    })
    .await;
    assert!(verdict(&collector, ids[0], 100, 1).fits);
    let free_on_one = collector.state(ids[0]).unwrap().derived.nodes.iter().find(|n| n.name == names[1]).map(|n| n.allocatable.cpu_m - n.requested.cpu_m).unwrap();
    assert_eq!(verdict(&collector, ids[0], 100, 1).free_before.cpu_m, free_on_one, "only the accepting node's room counts");
    let too_big = verdict(&collector, ids[0], 4_000, 1);
    assert_eq!(
        too_big.reason.as_deref().map(|r| r.split_once("; ").map(|(_, rest)| rest.to_owned()).unwrap_or_default()),
        Some("the other nodes accept no new pods (1 cordoned, 1 tainted dedicated=infra:NoSchedule)".to_owned()),
        "{too_big:?}"
    );
    // PreferNoSchedule on the last node: it still fits, the room no longer scores.
    nodes.patch(&names[1], &PatchParams::default(), &Patch::Merge(&json!({"spec": {"taints": [{"key": "spot", "effect": "PreferNoSchedule"}]}}))).await.unwrap();
    eventually(Duration::from_secs(5), "the avoided node is seen", || collector.state(ids[0]).unwrap().derived.nodes.iter().any(|n| n.avoid)).await;
    let avoided = verdict(&collector, ids[0], 100, 1);
    assert!(avoided.fits && avoided.free_before.cpu_m == 0, "{avoided:?}");
    collector.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_flotilla_may_not_list_is_named_never_empty() {
    let db = TestDb::sqlite().await;
    db.db().migrate().await.unwrap();
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions::default()).await.unwrap();
    let alpha = fleet.cluster("alpha").unwrap();
    alpha.deny("list", "nodes");
    alpha.deny("watch", "nodes");

    // Registration (the app's use of the report) refuses these credentials, naming what is missing.
    let creds = Credentials::from_kubeconfig(&fleet.kubeconfig_yaml(), "alpha").unwrap();
    let report = kubeconn::test_connection(&creds, Duration::from_secs(3)).await;
    let refusal = kubeconn::refusal(&report).expect("credentials without list nodes are refused");
    assert!(refusal.contains("list nodes, watch nodes") && refusal.contains("ClusterRole"), "{refusal}");

    // Registered anyway (the permission withdrawn later): the collector says so everywhere.
    let s = crate::support::services(db.db());
    let dir = s.clusters.clone();
    let ids = register_fleet(&dir, &fleet).await;
    let collector = s.collector.clone();
    collector.sync(&dir).await.unwrap();
    eventually(Duration::from_secs(10), "nodes forbidden on alpha", || collector.state(ids[0]).is_some_and(|s| s.forbidden == ["nodes"])).await;
    eventually(Duration::from_secs(10), "alpha degraded, naming the permission", || {
        collector.state(ids[0]).is_some_and(|s| s.health.state == HealthState::Degraded && s.health.detail.starts_with("Flotilla may not list nodes on this cluster"))
    })
    .await;
    eventually(Duration::from_secs(10), "beta unaffected", || collector.state(ids[1]).is_some_and(|s| s.synced && s.forbidden.is_empty())).await;
    let state = collector.state(ids[0]).unwrap();
    assert!(!state.synced && !state.measurable(), "no snapshot or cost sample without nodes");
    let v = verdict(&collector, ids[0], 100, 1);
    assert!(!v.fits && v.reason.as_deref().is_some_and(|r| r.starts_with("Flotilla may not list nodes on this cluster")), "{v:?}");
    let everyone = flotilla_backend::inventory::Visibility::everything(&[]);
    let summary = dir.get(ids[0]).await.unwrap();
    let detail = flotilla_backend::inventory::cluster_detail(&summary, Some(&state), &everyone).unwrap();
    assert!(detail.nodes.is_empty());
    assert!(detail.may_not_list("nodes").is_some_and(|w| w.starts_with("Flotilla may not list nodes on alpha")), "{:?}", detail.forbidden);
    assert!(detail.may_not_list("pods").is_none());

    // Given the permission, the kind lists again (after its backoff) and the words go away.
    alpha.allow_all();
    eventually(Duration::from_secs(30), "alpha listed and connected", || collector.state(ids[0]).is_some_and(|s| s.synced && s.forbidden.is_empty() && s.health.state == HealthState::Connected)).await;
    assert!(verdict(&collector, ids[0], 100, 1).fits);
    collector.shutdown();
}

/// The deployer's passes run per cluster: with beta blackholed (every call hangs until its
/// timeout) and a change waiting there, a deploy to alpha is Available about as fast as with
/// every cluster healthy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blackholed_cluster_does_not_hold_up_deploys_elsewhere() {
    let db = TestDb::sqlite().await;
    db.db().migrate().await.unwrap();
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: Duration::from_millis(100), ..Default::default() }).await.unwrap();
    let s = crate::support::services(db.db());
    let dir = s.clusters.clone();
    let ids = register_fleet(&dir, &fleet).await;
    let (alpha, beta) = (ids[0], ids[1]);
    // As at the portal's start: the collector watches every registered cluster.
    s.collector.sync(&dir).await.unwrap();
    let p = project(db.db()).await;
    let wl = s.workloads.clone();
    let deployer = wl.spawn_loop(Duration::from_millis(200));
    let available = |id: i64| {
        let wl = wl.clone();
        async move {
            let start = Instant::now();
            loop {
                if phase_is(Phase::Available)(&wl.get(id).await.unwrap()) {
                    return start.elapsed();
                }
                assert!(start.elapsed() < Duration::from_secs(30), "workload {id} never became available: {:?}", wl.get(id).await.unwrap().deployments);
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    };
    let on_beta = wl.create(p, 1, "bob@example.test", &spec("steady", "nginx:1.27", 1, "50m"), &[(beta, 1)]).await.unwrap();
    available(on_beta).await;
    let healthy = wl.create(p, 1, "bob@example.test", &spec("first", "nginx:1.27", 1, "50m"), &[(alpha, 1)]).await.unwrap();
    let healthy = available(healthy).await;

    fleet.cluster("beta").unwrap().set_fault(FaultMode::Slow, Some(Duration::from_secs(120)));
    wl.revise(on_beta, |s| s.image = "nginx:1.28".into()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await; // beta's pass is now hanging
    let second = wl.create(p, 1, "bob@example.test", &spec("second", "nginx:1.27", 1, "50m"), &[(alpha, 1)]).await.unwrap();
    let blackholed = available(second).await;
    assert!(
        blackholed < healthy + Duration::from_secs(3) && blackholed < flotilla_backend::workloads::cluster_calls::CALL_TIMEOUT,
        "with beta blackholed alpha's deploy took {blackholed:?} (healthy: {healthy:?})"
    );
    deployer.abort();
    fleet.cluster("beta").unwrap().set_fault(FaultMode::Healthy, None);
}

/// With the controller-manager stopped, an image change leaves generation ahead of
/// observedGeneration and the old pods running: the rollout reads Progressing, never
/// Available, until the controller has rolled every replica to the new version.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rollout_is_not_available_before_the_controller_has_done_it() {
    use crate::workloads::until;
    let db = TestDb::sqlite().await;
    db.db().migrate().await.unwrap();
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: Duration::from_millis(100), ..Default::default() }).await.unwrap();
    let s = crate::support::services(db.db());
    let dir = s.clusters.clone();
    let ids = register_fleet(&dir, &fleet).await;
    s.collector.sync(&dir).await.unwrap();
    let p = project(db.db()).await;
    let wl = s.workloads.clone();
    let id = wl.create(p, 1, "bob@example.test", &spec("roll", "nginx:1.27", 3, "50m"), &[(ids[0], 3)]).await.unwrap();
    until(&wl, id, Duration::from_secs(20), "3 replicas available", phase_is(Phase::Available)).await;

    let alpha = fleet.cluster("alpha").unwrap();
    alpha.pause_controllers(true);
    wl.revise(id, |s| s.image = "nginx:1.28".into()).await.unwrap();
    until(&wl, id, Duration::from_secs(10), "the new image applied", |w| w.deployments[0].applied_revision == w.revision).await;
    for _ in 0..6 {
        wl.reconcile_once().await.unwrap();
        let d = wl.get(id).await.unwrap().deployments.remove(0);
        assert_eq!(d.phase, Phase::Progressing, "generation 2 unobserved must not read as done: {d:?}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    alpha.pause_controllers(false);
    until(&wl, id, Duration::from_secs(30), "rolled out", phase_is(Phase::Available)).await;
    let kube = wl.client(ids[0]).await.unwrap();
    let pods = kube::Api::<k8s_openapi::api::core::v1::Pod>::namespaced(kube, "team-a").list(&ListParams::default().labels("flotilla.io/workload=roll")).await.unwrap();
    let images: Vec<String> =
        pods.items.iter().filter(|p| p.metadata.deletion_timestamp.is_none()).flat_map(|p| p.spec.iter().flat_map(|s| s.containers.iter().filter_map(|c| c.image.clone()))).collect();
    assert!(!images.is_empty() && images.iter().all(|i| i == "nginx:1.28"), "Available means every replica runs the new image: {images:?}");
}

/// Test connection with
/// a token bound to Kubernetes' built-in `view` role names what Flotilla lacks, while one
/// bound to the flotilla ClusterRole lacks nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_judges_rbac_limited_tokens() {
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions::default()).await.unwrap();
    let alpha = fleet.cluster("alpha").unwrap();
    let viewer = alpha.issue_token("system:serviceaccount:ops:viewer", flotilla_sim::roles::view());
    let creds = Credentials::from_token(&alpha.url, &alpha.ca_pem, &viewer).unwrap();
    let report = kubeconn::test_connection(&creds, Duration::from_secs(3)).await;
    for lacking in ["list nodes", "watch nodes", "create namespaces", "patch deployments (apps)"] {
        assert!(report.missing.iter().any(|m| m == lacking), "{lacking} missing from {:?}", report.missing);
    }
    assert!(!report.missing.iter().any(|m| m == "list pods"), "view may list pods: {:?}", report.missing);
    assert!(kubeconn::refusal(&report).is_some());

    let portal = alpha.issue_token("system:serviceaccount:flotilla:flotilla", flotilla_sim::roles::flotilla());
    let creds = Credentials::from_token(&alpha.url, &alpha.ca_pem, &portal).unwrap();
    let report = kubeconn::test_connection(&creds, Duration::from_secs(3)).await;
    assert!(report.ok(), "{report:?}");
    assert!(kubeconn::refusal(&report).is_none());

    // A watcher on the view token: nodes forbidden in kube's words, the rest listed.
    let db = TestDb::sqlite().await;
    db.db().migrate().await.unwrap();
    let s = crate::support::services(db.db());
    let dir = s.clusters.clone();
    let creds = Credentials::from_token(&alpha.url, &alpha.ca_pem, &viewer).unwrap();
    let id = dir.register(crate::fleet::cluster("alpha"), Some(&creds)).await.unwrap().id;
    let collector = s.collector.clone();
    collector.sync(&dir).await.unwrap();
    eventually(Duration::from_secs(10), "only nodes forbidden", || collector.state(id).is_some_and(|s| s.forbidden == ["nodes"])).await;
    let state = collector.state(id).unwrap();
    assert!(state.derived.namespaces.iter().any(|n| n.pods > 0), "pods and namespaces are still listed");
    collector.shutdown();
}

/// With the collector's store, a settled workload costs the cluster no calls: the deployer
/// reads the rollout (Deployment status, pods' waiting reasons) from the watches instead of a
/// GET of the Deployment, a list of pods and a list of events per workload and pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployer_reads_rollouts_from_the_watches_not_by_polling() {
    let db = TestDb::sqlite().await;
    db.db().migrate().await.unwrap();
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: Duration::from_millis(100), ..Default::default() }).await.unwrap();
    let s = crate::support::services(db.db());
    let dir = s.clusters.clone();
    let ids = register_fleet(&dir, &fleet).await;
    let collector = s.collector.clone();
    collector.sync(&dir).await.unwrap();
    let p = project(db.db()).await;
    let wl = s.workloads.clone();
    let id = wl.create(p, 1, "bob@example.test", &spec("quiet", "nginx:1.27", 2, "50m"), &[(ids[0], 2)]).await.unwrap();
    crate::workloads::until(&wl, id, Duration::from_secs(20), "available", phase_is(Phase::Available)).await;
    let alpha = fleet.cluster("alpha").unwrap();
    // The deployer's polling was a GET of the Deployment, a list of pods and a list of events;
    // the collector's watchers list pods too (and relist whenever a watch ends), so the
    // Deployment GETs and event lists are what tell the deployer's calls apart.
    let calls = || [alpha.calls("get", "deployments"), alpha.calls("list", "events")];
    let before = calls();
    for _ in 0..10 {
        wl.reconcile_once().await.unwrap();
    }
    assert_eq!(calls(), before, "ten passes over a settled workload asked the cluster nothing");
    assert_eq!(wl.get(id).await.unwrap().deployments[0].phase, Phase::Available);

    // A change is still read correctly: a bad image fails from the pods' waiting reasons.
    wl.revise(id, |s| s.image = "nginx:does-not-exist".into()).await.unwrap();
    crate::workloads::until(&wl, id, Duration::from_secs(20), "the pull failure", phase_is(Phase::Failed)).await;
    assert!(wl.get(id).await.unwrap().deployments[0].message.contains("cannot be pulled"));

    // An unreachable cluster (as the collector's probe says) is not called at all.
    alpha.set_fault(FaultMode::Unreachable, None);
    eventually(Duration::from_secs(10), "alpha unreachable", || collector.state(ids[0]).is_some_and(|s| s.health.state == HealthState::Unreachable)).await;
    let started = Instant::now();
    wl.reconcile_once().await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(1), "a pass over an unreachable cluster waits for nothing");
    assert!(wl.get(id).await.unwrap().deployments[0].message.starts_with("cannot reach the cluster"));
    alpha.set_fault(FaultMode::Healthy, None);
    collector.shutdown();
}

/// One pool of clients: the deployer takes its clients from the collector's pool, and both
/// follow changes another replica makes in the database (new credentials, a disable).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_pool_of_clients_serves_watches_and_deploys_and_follows_other_replicas() {
    use k8s_openapi::api::core::v1::Namespace;
    let db = TestDb::sqlite().await;
    db.db().migrate().await.unwrap();
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions::default()).await.unwrap();
    let s = crate::support::services(db.db());
    let (key, dir) = (s.key.clone(), s.clusters.clone());
    let ids = register_fleet(&dir, &fleet).await;
    let (alpha, beta) = (ids[0], ids[1]);
    let collector = s.collector.clone();
    collector.sync(&dir).await.unwrap();
    let wl = s.workloads.clone();
    assert!(wl.connections().same_pool(&collector.connections()), "the deployer uses the collector's pool");
    eventually(Duration::from_secs(10), "a client per watched cluster", || collector.connections().pooled() == ids.len()).await;
    let namespaces = |c: kube::Client| async move { Api::<Namespace>::all(c).list(&ListParams::default()).await.unwrap().items.into_iter().filter_map(|n| n.metadata.name).collect::<Vec<_>>() };
    let beta_client = wl.client(beta).await.unwrap();
    Api::<Namespace>::all(beta_client).create(&Default::default(), &serde_json::from_value(json!({"metadata": {"name": "only-on-beta"}})).unwrap()).await.unwrap();
    assert!(!namespaces(wl.client(alpha).await.unwrap()).await.contains(&"only-on-beta".to_owned()));
    assert_eq!(collector.connections().pooled(), ids.len(), "the deployer's calls reuse the watches' clients");

    // Another replica (its own directory over the same database) gives alpha beta's credentials:
    // the next call here talks to what the new credentials reach.
    let other_replica = ClusterDirectory::new(db.db().clone(), key.clone());
    let beta_creds = other_replica.credentials(beta).await.unwrap().unwrap();
    other_replica.update_credentials(alpha, &beta_creds).await.unwrap();
    assert!(namespaces(wl.client(alpha).await.unwrap()).await.contains(&"only-on-beta".to_owned()), "the pooled client was replaced");

    // …and disables alpha: this replica's deployer refuses at once, its collector drops the client.
    other_replica.set_enabled(alpha, false).await.unwrap();
    let refused = wl.client(alpha).await.err().expect("a disabled cluster gives no client").to_string();
    assert!(refused.contains("disabled by an administrator"), "{refused}");
    collector.sync(&dir).await.unwrap();
    assert_eq!(collector.connections().pooled(), ids.len() - 1);
    assert!(collector.state(alpha).is_none(), "a disabled cluster is not watched");
    collector.shutdown();
}
