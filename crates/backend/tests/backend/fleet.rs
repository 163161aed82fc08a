//! Registering clusters (credentials sealed at rest), the live collector against the fleet
//! simulator (inventory, fault isolation, recovery), "Test connection" and snapshots.
use crate::support::{TestDb, on_both_databases};
use flotilla_backend::{ClusterDetails, ClusterDirectory, CollectorSettings, Credentials, FleetError, HeatScope, NewCluster, SecretKey, Snapshots};
use flotilla_domain::inventory::{HealthState, Metric};
use flotilla_domain::{Dns1123Label, Provider};
use flotilla_sim::{FaultMode, FleetSpec, RunningFleet, SimOptions};
use std::time::{Duration, Instant};

fn details(name: &str) -> ClusterDetails {
    ClusterDetails {
        display_name: name.to_uppercase(),
        provider: Provider::Eks,
        region: "ap-northeast-1".into(),
        environment: "production".into(),
        labels: vec![("team".into(), "payments".into())],
        control_plane_price_per_hour: 0.1,
        location: None,
    }
}

pub(crate) fn cluster(name: &str) -> NewCluster {
    NewCluster { name: Dns1123Label::parse(name).unwrap(), details: details(name) }
}

#[tokio::test]
async fn clusters_are_listed_by_name_and_duplicates_refused() {
    on_both_databases(|db, kind| async move {
        let dir = ClusterDirectory::new(db, SecretKey::generate());
        assert!(dir.list().await.unwrap().is_empty(), "{kind}: a new portal has no clusters");
        dir.register(cluster("tokyo-prod"), None).await.unwrap();
        dir.register(cluster("osaka-prod"), None).await.unwrap();
        let names: Vec<_> = dir.list().await.unwrap().into_iter().map(|c| c.name).collect();
        assert_eq!(names, ["osaka-prod", "tokyo-prod"], "{kind}");
        let err = dir.register(cluster("tokyo-prod"), None).await.unwrap_err();
        assert!(matches!(err, FleetError::Duplicate(ref n) if n == "tokyo-prod"), "{kind}: {err}");
        assert_eq!(dir.list().await.unwrap().len(), 2, "{kind}: the duplicate left nothing behind");
        let listed = &dir.list().await.unwrap()[1];
        assert_eq!(listed.provider, Provider::Eks);
        assert_eq!(listed.region, "ap-northeast-1");
        assert_eq!(listed.labels, vec![("team".to_owned(), "payments".to_owned())]);
        assert!(listed.enabled);
    })
    .await;
}

#[tokio::test]
async fn credentials_are_sealed_at_rest_and_rotate_to_a_new_key() {
    on_both_databases(|db, kind| async move {
        let key = SecretKey::generate();
        let dir = ClusterDirectory::new(db.clone(), key.clone());
        let creds = Credentials::from_token("https://10.1.2.3:6443", "", "very-secret-token-123").unwrap();
        let c = dir.register(cluster("tokyo-prod"), Some(&creds)).await.unwrap();
        let raw = raw_credentials(&db, c.id).await;
        assert!(!raw.contains("very-secret-token-123"), "{kind}: plaintext token in the database");
        assert!(raw.starts_with("fsk1."), "{kind}: {raw}");
        assert_eq!(c.api_server, "https://10.1.2.3:6443");
        let opened = dir.credentials(c.id).await.unwrap().unwrap();
        assert!(opened.kubeconfig.contains("very-secret-token-123"));
        // With another key the credentials do not open; rotation re-seals them.
        let other = ClusterDirectory::new(db.clone(), SecretKey::generate());
        assert!(matches!(other.credentials(c.id).await, Err(FleetError::Secret(_))), "{kind}");
        let new_key = SecretKey::generate();
        assert_eq!(dir.rotate_key(&new_key).await.unwrap(), 1);
        let rotated = ClusterDirectory::new(db.clone(), new_key);
        assert!(rotated.credentials(c.id).await.unwrap().unwrap().kubeconfig.contains("very-secret-token-123"), "{kind}");
        assert!(dir.credentials(c.id).await.is_err(), "{kind}: the old key no longer opens them");
        assert!(!raw_credentials(&db, c.id).await.contains("very-secret"));
        // Edit, disable, remove.
        let edited = rotated.update_details(c.id, ClusterDetails { region: "ap-northeast-3".into(), ..details("x") }).await.unwrap();
        assert_eq!(edited.region, "ap-northeast-3");
        assert!(!rotated.set_enabled(c.id, false).await.unwrap().enabled);
        assert!(rotated.connections().await.unwrap().is_empty(), "{kind}: disabled clusters are not watched");
        rotated.remove(c.id).await.unwrap();
        assert!(matches!(rotated.get(c.id).await, Err(FleetError::NotFound(_))));
    })
    .await;
}

async fn raw_credentials(db: &flotilla_backend::Database, id: i64) -> String {
    use sea_orm::EntityTrait;
    flotilla_backend::entity::cluster::Entity::find_by_id(id).one(db.conn()).await.unwrap().unwrap().credentials.unwrap()
}

pub(crate) fn fast() -> CollectorSettings {
    CollectorSettings { probe_interval: Duration::from_millis(200), metrics_interval: Duration::from_millis(300), slow_after: Duration::from_millis(400), timeout: Duration::from_secs(2) }
}

/// Polls `check` every 50 ms until it holds or `limit` passes.
pub(crate) async fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < limit, "timed out after {limit:?} waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) async fn register_fleet(dir: &ClusterDirectory, fleet: &RunningFleet) -> Vec<i64> {
    let kubeconfig = fleet.kubeconfig_yaml();
    let mut ids = vec![];
    for c in fleet.clusters() {
        let creds = Credentials::from_kubeconfig(&kubeconfig, &c.name).unwrap();
        ids.push(dir.register(cluster(&c.name), Some(&creds)).await.unwrap().id);
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_collector_mirrors_the_simulator_isolates_a_lost_cluster_and_resyncs() {
    let db = TestDb::sqlite().await;
    db.db().migrate().await.unwrap();
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: Duration::from_millis(100), ..Default::default() }).await.unwrap();
    let s = crate::support::services(db.db());
    let dir = s.clusters.clone();
    let ids = register_fleet(&dir, &fleet).await;
    let collector = s.collector.clone();
    collector.sync(&dir).await.unwrap();

    // Inventory matches what the simulator holds.
    eventually(Duration::from_secs(15), "both clusters listed and connected", || collector.states().iter().all(|s| s.synced && s.health.state == HealthState::Connected && s.metrics_live)).await;
    let alpha = collector.state(ids[0]).unwrap();
    assert_eq!(alpha.derived.nodes.len(), 3);
    assert_eq!(alpha.derived.nodes.iter().map(|n| n.allocatable.cpu_m).sum::<u64>(), 12_000);
    eventually(Duration::from_secs(10), "4 web pods scheduled", || collector.pods(ids[0], None, Some(&["team-a".to_owned()])).iter().filter(|p| p.node.is_some()).count() == 4).await;
    let alpha = collector.state(ids[0]).unwrap();
    let team_a = alpha.derived.namespaces.iter().find(|n| n.name == "team-a").unwrap();
    assert_eq!((team_a.pods, team_a.requested.cpu_m, team_a.quota_cpu_m, team_a.quota_pods), (4, 2000, Some(8000), Some(20)));
    assert!(team_a.used.is_some(), "usage from metrics.k8s.io");
    assert_eq!(collector.pods(ids[0], None, None).iter().filter(|p| p.workload == "web").count(), 4, "pods know their Deployment");

    // A pod created in the simulator shows up (the watch, not a re-list).
    let kube = Credentials::from_kubeconfig(&fleet.kubeconfig_yaml(), "alpha").unwrap().client(Duration::from_secs(2)).await.unwrap();
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(kube.clone(), "team-a");
    let pod: k8s_openapi::api::core::v1::Pod = serde_json::from_value(serde_json::json!({
        "metadata": { "name": "probe" },
        "spec": { "containers": [{ "name": "c", "image": "example/probe:1", "resources": { "requests": { "cpu": "100m" } } }] }
    }))
    .unwrap();
    let created = Instant::now();
    pods.create(&Default::default(), &pod).await.unwrap();
    eventually(Duration::from_secs(2), "the new pod in the store within 2 s", || collector.pods(ids[0], None, None).iter().any(|p| p.name == "probe")).await;
    println!("pod visible after {:?}", created.elapsed());

    // Unreachable alpha is marked; beta stays connected and fresh.
    let alpha_sim = fleet.cluster("alpha").unwrap();
    alpha_sim.set_fault(FaultMode::Unreachable, None);
    eventually(Duration::from_secs(10), "alpha unreachable", || collector.state(ids[0]).unwrap().health.state == HealthState::Unreachable).await;
    let beta = collector.state(ids[1]).unwrap();
    assert_eq!(beta.health.state, HealthState::Connected, "a lost cluster does not affect the others");
    let beta_client = Credentials::from_kubeconfig(&fleet.kubeconfig_yaml(), "beta").unwrap().client(Duration::from_secs(2)).await.unwrap();
    let beta_pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(beta_client, "team-b");
    beta_pods.create(&Default::default(), &pod).await.unwrap();
    eventually(Duration::from_secs(2), "beta stays fresh while alpha is down", || collector.pods(ids[1], None, None).iter().any(|p| p.name == "probe")).await;
    let last_seen = collector.state(ids[0]).unwrap().health.last_seen_ms;
    assert!(last_seen.is_some(), "last seen is kept while unreachable");
    // While alpha is unreachable its stale inventory is not recorded: a gap, not a measurement.
    let snapshots = Snapshots::new(db.db().clone());
    snapshots.record(&collector, chrono::Utc::now()).await.unwrap();
    let gap = snapshots.heatmap(ids[0], HeatScope::Node, Metric::Cpu, chrono::Duration::hours(1), 60).await.unwrap();
    assert!(gap.rows.iter().all(|r| r.values.iter().all(Option::is_none)), "no snapshot of unreachable alpha");
    let beta_heat = snapshots.heatmap(ids[1], HeatScope::Node, Metric::Cpu, chrono::Duration::hours(1), 60).await.unwrap();
    assert!(beta_heat.rows.iter().any(|r| r.values.iter().any(Option::is_some)), "beta is recorded");
    snapshots.prune(chrono::Duration::zero()).await.unwrap();

    // Slow alpha is degraded, not unreachable.
    alpha_sim.set_fault(FaultMode::Slow, Some(Duration::from_millis(700)));
    eventually(Duration::from_secs(15), "alpha degraded while slow", || collector.state(ids[0]).unwrap().health.state == HealthState::Degraded).await;
    assert!(collector.state(ids[0]).unwrap().health.detail.contains("slowly"));

    // Back to healthy: connected again, and changes made meanwhile arrive (resync).
    alpha_sim.set_fault(FaultMode::Unreachable, None);
    eventually(Duration::from_secs(10), "alpha unreachable again", || collector.state(ids[0]).unwrap().health.state == HealthState::Unreachable).await;
    alpha_sim.set_fault(FaultMode::Healthy, None);
    alpha_sim.add_nodes(None, 1).unwrap();
    eventually(Duration::from_secs(20), "alpha connected with its 4th node", || {
        let s = collector.state(ids[0]).unwrap();
        s.health.state == HealthState::Connected && s.derived.nodes.len() == 4
    })
    .await;

    // Snapshots of the synced inventory, read back as a heatmap.
    let snapshots = Snapshots::new(db.db().clone());
    let rows = snapshots.record(&collector, chrono::Utc::now()).await.unwrap();
    assert!(rows >= 2 + 4 + 2 + 2, "cluster, node and namespace rows: {rows}");
    let heat = snapshots.heatmap(ids[0], HeatScope::Node, Metric::Cpu, chrono::Duration::hours(1), 60).await.unwrap();
    assert_eq!(heat.rows.len(), 4);
    assert_eq!(heat.times_ms.len(), 60);
    assert!(heat.rows.iter().all(|r| r.values.iter().filter(|v| v.is_some()).count() == 1), "one snapshot → one filled bucket per node");
    assert_eq!(snapshots.prune(chrono::Duration::zero()).await.unwrap() as usize, rows);

    // Disabling a cluster stops watching it.
    dir.set_enabled(ids[1], false).await.unwrap();
    collector.sync(&dir).await.unwrap();
    assert!(collector.state(ids[1]).is_none());
    collector.shutdown();
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_names_what_the_credentials_may_not_do() {
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions::default()).await.unwrap();
    let kubeconfig = fleet.kubeconfig_yaml();
    let creds = Credentials::from_kubeconfig(&kubeconfig, "alpha").unwrap();
    let report = flotilla_backend::kubeconn::test_connection(&creds, Duration::from_secs(3)).await;
    assert!(report.ok(), "{report:?}");
    assert_eq!(report.nodes, Some(3));
    assert!(report.metrics);
    assert!(report.server_version.as_deref().is_some_and(|v| v.starts_with('v')));

    let alpha = fleet.cluster("alpha").unwrap();
    alpha.deny("watch", "pods");
    alpha.deny("create", "deployments.apps");
    let report = flotilla_backend::kubeconn::test_connection(&creds, Duration::from_secs(3)).await;
    assert!(!report.ok());
    assert_eq!(report.missing, vec!["watch pods".to_owned(), "create deployments (apps)".to_owned()]);

    let wrong = Credentials::from_token(&alpha.url, &alpha.ca_pem, "not-the-token").unwrap();
    let report = flotilla_backend::kubeconn::test_connection(&wrong, Duration::from_secs(3)).await;
    assert!(report.error.as_deref().is_some_and(|e| e.contains("401")), "{report:?}");

    // Another CA than the one that signed the server's certificate: the TLS cause deep in the
    // error chain decides the words, not the top-level "client error (Connect)".
    let elsewhere = flotilla_sim::start(FleetSpec::small(), SimOptions::default()).await.unwrap();
    let other_ca = elsewhere.cluster("alpha").unwrap().ca_pem.clone();
    let wrong_ca = Credentials::from_token(&alpha.url, &other_ca, &alpha.token).unwrap();
    let report = flotilla_backend::kubeconn::test_connection(&wrong_ca, Duration::from_secs(3)).await;
    let error = report.error.clone().unwrap_or_default();
    assert!(error.contains("cannot verify") && error.contains("TLS certificate"), "{report:?}");
    // A closed port reads differently.
    let closed = Credentials::from_token("https://127.0.0.1:9", &alpha.ca_pem, &alpha.token).unwrap();
    let report = flotilla_backend::kubeconn::test_connection(&closed, Duration::from_secs(3)).await;
    let error = report.error.clone().unwrap_or_default();
    assert!(error.contains("cannot reach") && !error.contains("TLS"), "{report:?}");

    alpha.set_fault(FaultMode::Unreachable, None);
    let report = flotilla_backend::kubeconn::test_connection(&creds, Duration::from_secs(2)).await;
    assert!(report.error.as_deref().is_some_and(|e| e.contains("cannot reach") || e.contains("no answer") || e.contains("did not answer")), "{report:?}");
}
