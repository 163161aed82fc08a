//! Kubernetes as it is, not as the demo is (issue 20), on the simulator: taints and cordon take
//! room away from placement and are named; a kind the credentials may not list is named, never
//! shown as empty; credentials lacking permissions are refused with the ClusterRole's words; a
//! blackholed cluster does not hold up deploys to the others.
use crate::fleet::{eventually, fast, register_fleet};
use crate::support::TestDb;
use crate::workloads::{phase_is, project, spec};
use flotilla_backend::workloads::{DEFAULT_QUOTA, capacity};
use flotilla_backend::{ClusterDirectory, Collector, Credentials, SecretKey, Workloads, kubeconn};
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
    let dir = ClusterDirectory::new(db.db().clone(), SecretKey::generate());
    let ids = register_fleet(&dir, &fleet).await;
    let collector = Collector::new(fast());
    collector.sync(&dir).await.unwrap();
    eventually(Duration::from_secs(15), "alpha listed", || collector.state(ids[0]).is_some_and(|s| s.synced)).await;
    assert!(verdict(&collector, ids[0], 100, 1).fits, "an untainted cluster takes a small workload");

    let kube = Workloads::new(db.db().clone(), dir.clone()).client(ids[0]).await.unwrap();
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
    eventually(Duration::from_secs(5), "one node accepts pods again", || verdict(&collector, ids[0], 100, 1).fits).await;
    let free_on_one = collector.state(ids[0]).unwrap().derived.nodes.iter().find(|n| n.name == names[1]).map(|n| n.allocatable.cpu_m - n.requested.cpu_m).unwrap();
    assert_eq!(verdict(&collector, ids[0], 100, 1).free_before.cpu_m, free_on_one, "only the accepting node's room counts");
    let too_big = verdict(&collector, ids[0], 64_000, 1);
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
    let dir = ClusterDirectory::new(db.db().clone(), SecretKey::generate());
    let ids = register_fleet(&dir, &fleet).await;
    let collector = Collector::new(fast());
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
    eventually(Duration::from_secs(30), "alpha listed and connected", || {
        collector.state(ids[0]).is_some_and(|s| s.synced && s.forbidden.is_empty() && s.health.state == HealthState::Connected)
    })
    .await;
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
    let dir = ClusterDirectory::new(db.db().clone(), SecretKey::generate());
    let ids = register_fleet(&dir, &fleet).await;
    let (alpha, beta) = (ids[0], ids[1]);
    let p = project(db.db()).await;
    let wl = Workloads::new(db.db().clone(), dir.clone());
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
        blackholed < healthy + Duration::from_secs(3) && blackholed < flotilla_backend::workloads::kube::CALL_TIMEOUT,
        "with beta blackholed alpha's deploy took {blackholed:?} (healthy: {healthy:?})"
    );
    deployer.abort();
    fleet.cluster("beta").unwrap().set_fault(FaultMode::Healthy, None);
}
