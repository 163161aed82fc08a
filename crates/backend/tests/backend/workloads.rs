//! Self-service workloads: the records on both databases, and the deployer against the fleet
//! simulator — namespace, quota, Deployment and Service with Flotilla's labels; idempotent
//! apply; failures in words; two clusters; move; delete; and placement on the demo fleet.
use crate::fleet::{eventually, register_fleet};
use crate::support::{TestDb, on_both_databases};
use flotilla_backend::workloads::{Desired, capacity};
use flotilla_backend::{Quota, WorkloadError, Workloads};
use flotilla_domain::inventory::HealthState;
use flotilla_domain::placement::place;
use flotilla_domain::rollout::Phase;
use flotilla_domain::workload::{PlacementRule, PortSpec, WorkloadForm, WorkloadSpec, validate};
use flotilla_sim::{FleetSpec, SimOptions};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota, Service};
use kube::Api;
use std::time::{Duration, Instant};

fn form(name: &str, image: &str, replicas: u32, cpu: &str, placement: PlacementRule) -> WorkloadForm {
    WorkloadForm {
        project: "team-a".into(),
        name: name.into(),
        image: image.into(),
        replicas: replicas.to_string(),
        cpu_request: cpu.into(),
        memory_request: "128Mi".into(),
        ports: vec![PortSpec { port: 80, protocol: "TCP".into(), expose: true }],
        placement,
        ..Default::default()
    }
}

pub(crate) fn spec(name: &str, image: &str, replicas: u32, cpu: &str) -> WorkloadSpec {
    validate(&form(name, image, replicas, cpu, PlacementRule::LeastLoaded)).unwrap()
}

pub(crate) async fn project(db: &flotilla_backend::Database) -> i64 {
    let people = flotilla_backend::PeopleDirectory::new(db.clone());
    people.ensure_project(&flotilla_domain::Dns1123Label::parse("team-a").unwrap(), "Team A").await.unwrap()
}

#[tokio::test]
async fn records_keep_revisions_roll_back_and_guard_the_quota() {
    on_both_databases(|db, kind| async move {
        let s = crate::support::services(&db);
        let dir = s.clusters.clone();
        let c = dir.register(crate::fleet::cluster("alpha"), None).await.unwrap();
        let p = project(&db).await;
        let wl = s.workloads.clone();
        let s = spec("web", "nginx:1.27", 2, "250m");
        let id = wl.create(p, 7, "bob@example.test", &s, &[(c.id, 2)]).await.unwrap();
        assert!(matches!(wl.create(p, 7, "bob@example.test", &s, &[(c.id, 2)]).await, Err(WorkloadError::Duplicate(_))), "{kind}");
        let w = wl.get(id).await.unwrap();
        assert_eq!((w.revision, w.spec.image.as_str(), w.previous.is_none(), w.owner_id), (1, "nginx:1.27", true, 7), "{kind}");
        assert_eq!(w.deployments[0].desired, Desired::Present);
        let w = wl.revise(id, |s| s.image = "nginx:1.28".into()).await.unwrap();
        assert_eq!((w.revision, w.spec.image.as_str()), (2, "nginx:1.28"));
        assert_eq!(w.previous.as_ref().unwrap().image, "nginx:1.27");
        let w = wl.revise(id, |s| s.replicas = 5).await.unwrap();
        assert_eq!(w.deployments[0].replicas, 5, "{kind}: scaling changes the cluster's count");
        let w = wl.roll_back(id).await.unwrap();
        assert_eq!((w.spec.replicas, w.deployments[0].replicas, w.revision), (2, 2, 4), "{kind}");
        assert!(wl.set_paused(id, true).await.unwrap().paused);
        // Quotas: owners stay within the administrators' ceiling.
        let too_big = Quota { cpu_m: 10_000_000, mem_b: 1 << 30, pods: 10, gpus: 0 };
        assert!(matches!(wl.set_quota(p, too_big, None).await, Err(WorkloadError::Invalid(_))), "{kind}");
        let q = Quota { cpu_m: 4000, mem_b: 8 << 30, pods: 20, gpus: 0 };
        assert_eq!(wl.set_quota(p, q, None).await.unwrap().quota, q);
        assert_eq!(wl.quota(p).await.unwrap().quota, q, "{kind}");
        assert_eq!(wl.get(id).await.unwrap().deployments[0].applied_revision, 0, "a quota change re-applies the project's workloads");
        wl.remove(id, None).await.unwrap();
        assert_eq!(wl.get(id).await.unwrap().deployments[0].desired, Desired::Absent, "{kind}");
        assert_eq!(wl.list(Some(&[p])).await.unwrap().len(), 1);
    })
    .await;
}

/// Reconciles until `check` holds for the workload (or fails the test after `limit`).
pub(crate) async fn until(wl: &Workloads, id: i64, limit: Duration, what: &str, check: impl Fn(&flotilla_backend::WorkloadRecord) -> bool) {
    let start = Instant::now();
    loop {
        wl.reconcile_once().await.unwrap();
        match wl.get(id).await {
            Ok(w) if check(&w) => return,
            Ok(w) => assert!(start.elapsed() < limit, "timed out waiting for {what}: {:?}", w.deployments),
            Err(e) => panic!("{what}: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn gone(wl: &Workloads, id: i64, limit: Duration) {
    let start = Instant::now();
    while wl.get(id).await.is_ok() {
        assert!(start.elapsed() < limit, "the workload record was not removed");
        wl.reconcile_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) fn phase_is(p: Phase) -> impl Fn(&flotilla_backend::WorkloadRecord) -> bool {
    move |w| !w.deployments.is_empty() && w.deployments.iter().all(|d| d.phase == p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deployer_applies_reports_moves_and_cleans_up_on_the_simulator() {
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
    let kube = wl.client(alpha).await.unwrap();

    // Register on alpha: namespace, quota, limits, Deployment and Service appear, labelled.
    let id = wl.create(p, 1, "bob@example.test", &spec("hello", "nginx:1.27", 2, "100m"), &[(alpha, 2)]).await.unwrap();
    until(&wl, id, Duration::from_secs(20), "hello available on alpha", phase_is(Phase::Available)).await;
    let ns = Api::<Namespace>::all(kube.clone()).get("team-a").await.unwrap();
    assert_eq!(ns.metadata.labels.unwrap()["flotilla.io/project"], "team-a");
    Api::<ResourceQuota>::namespaced(kube.clone(), "team-a").get("flotilla-quota").await.unwrap();
    Api::<LimitRange>::namespaced(kube.clone(), "team-a").get("flotilla-limits").await.unwrap();
    let deployments = Api::<Deployment>::namespaced(kube.clone(), "team-a");
    let d = deployments.get("hello").await.unwrap();
    let labels = d.metadata.labels.clone().unwrap();
    for (k, v) in [("app.kubernetes.io/managed-by", "flotilla"), ("app.kubernetes.io/name", "hello"), ("flotilla.io/project", "team-a"), ("flotilla.io/workload", "hello")] {
        assert_eq!(labels.get(k).map(String::as_str), Some(v), "{k}");
    }
    assert!(d.metadata.managed_fields.unwrap_or_default().iter().any(|m| m.manager.as_deref() == Some("flotilla")), "field manager flotilla");
    let svc = Api::<Service>::namespaced(kube.clone(), "team-a").get("hello").await.unwrap();
    assert_eq!(svc.spec.unwrap().ports.unwrap()[0].port, 80);

    // Applying again changes nothing (a restart mid-deploy converges without duplicates).
    // (The simulator's controller may still update the status, so compare generation and spec, not resourceVersion.)
    let (generation, spec_before) = (d.metadata.generation, serde_json::to_value(&d.spec).unwrap());
    let q = wl.quota(p).await.unwrap().quota;
    wl.set_quota(p, q, None).await.unwrap();
    until(&wl, id, Duration::from_secs(10), "re-applied", |w| w.deployments[0].applied_revision == w.revision).await;
    let again = deployments.get("hello").await.unwrap();
    assert_eq!(again.metadata.generation, generation, "a second identical apply is a no-op");
    assert_eq!(serde_json::to_value(&again.spec).unwrap(), spec_before, "a second identical apply leaves the spec alone");
    assert_eq!(deployments.list(&Default::default()).await.unwrap().items.iter().filter(|d| d.metadata.name.as_deref() == Some("hello")).count(), 1);

    // Scale to 3: the cluster follows.
    wl.revise(id, |s| s.replicas = 3).await.unwrap();
    until(&wl, id, Duration::from_secs(20), "3 ready", |w| w.deployments[0].ready == 3 && w.deployments[0].phase == Phase::Available).await;

    // Failures in words: an image that cannot be pulled, a pod no node can hold, over quota.
    let bad = wl.create(p, 1, "bob@example.test", &spec("broken", "nginx:does-not-exist", 1, "100m"), &[(alpha, 1)]).await.unwrap();
    until(&wl, bad, Duration::from_secs(20), "image pull failure", phase_is(Phase::Failed)).await;
    assert!(wl.get(bad).await.unwrap().deployments[0].message.contains("cannot be pulled"), "{:?}", wl.get(bad).await.unwrap().deployments);
    let huge = wl.create(p, 1, "bob@example.test", &spec("huge", "nginx:1.27", 1, "6"), &[(beta, 1)]).await.unwrap();
    until(&wl, huge, Duration::from_secs(20), "unschedulable", phase_is(Phase::Failed)).await;
    assert!(wl.get(huge).await.unwrap().deployments[0].message.contains("not schedulable"), "{:?}", wl.get(huge).await.unwrap().deployments);
    // team-a's own quota on alpha allows 20 pods: 4 web + 3 hello + 1 broken are there.
    let many = wl.create(p, 1, "bob@example.test", &spec("many", "nginx:1.27", 14, "10m"), &[(alpha, 14)]).await.unwrap();
    until(&wl, many, Duration::from_secs(20), "over quota", phase_is(Phase::Failed)).await;
    assert!(wl.get(many).await.unwrap().deployments[0].message.contains("quota"), "{:?}", wl.get(many).await.unwrap().deployments);
    for gone_id in [bad, huge, many] {
        wl.remove(gone_id, None).await.unwrap();
        gone(&wl, gone_id, Duration::from_secs(20)).await;
    }
    assert!(deployments.get_opt("broken").await.unwrap().is_none(), "deleting removes the Deployment");

    // Two clusters at once.
    let both = wl.create(p, 1, "bob@example.test", &spec("both", "nginx:1.27", 1, "50m"), &[(alpha, 1), (beta, 1)]).await.unwrap();
    until(&wl, both, Duration::from_secs(20), "available on both", phase_is(Phase::Available)).await;

    // Move hello from alpha to beta: it starts there, then leaves alpha.
    wl.move_to(id, alpha, beta).await.unwrap();
    until(&wl, id, Duration::from_secs(30), "moved to beta", |w| w.deployments.len() == 1 && w.deployments[0].cluster_id == beta && w.deployments[0].phase == Phase::Available).await;
    assert!(deployments.get_opt("hello").await.unwrap().is_none(), "gone from alpha");
    let beta_kube = wl.client(beta).await.unwrap();
    assert!(Api::<Deployment>::namespaced(beta_kube.clone(), "team-a").get_opt("hello").await.unwrap().is_some());

    // Delete everywhere: Deployments and Services go, then the records.
    wl.remove(both, None).await.unwrap();
    wl.remove(id, None).await.unwrap();
    gone(&wl, both, Duration::from_secs(20)).await;
    gone(&wl, id, Duration::from_secs(20)).await;
    assert!(Api::<Deployment>::namespaced(beta_kube.clone(), "team-a").get_opt("hello").await.unwrap().is_none());
    assert!(Api::<Service>::namespaced(beta_kube, "team-a").get_opt("both").await.unwrap().is_none());
    fleet.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_placement_picks_the_idle_cluster_of_the_demo_fleet_over_the_hot_one() {
    let db = TestDb::sqlite().await;
    db.db().migrate().await.unwrap();
    let fleet = flotilla_sim::start(FleetSpec::demo(), SimOptions { pod_start_delay: Duration::from_millis(50), ..Default::default() }).await.unwrap();
    let s = crate::support::services(db.db());
    let dir = s.clusters.clone();
    register_fleet(&dir, &fleet).await;
    let collector = s.collector.clone();
    collector.sync(&dir).await.unwrap();
    eventually(Duration::from_secs(30), "every demo cluster listed", || collector.states().iter().all(|s| s.synced && s.health.state != HealthState::Connecting)).await;
    let caps = capacity::capacities(&collector.states(), "team-a", flotilla_backend::workloads::DEFAULT_QUOTA);
    let s = spec("web2", "nginx:1.27", 2, "500m");
    let placed = place(&PlacementRule::LeastLoaded, &s.demand(), &caps);
    let chosen: Vec<&str> = placed.assignments.iter().map(|(id, _)| caps.iter().find(|c| c.id == *id).unwrap().name.as_str()).collect();
    assert_eq!(chosen.len(), 1, "{}", placed.summary);
    assert_ne!(chosen[0], "tokyo-prod", "the hot cluster is not chosen: {}", placed.summary);
    let best = placed.candidates.iter().filter(|c| c.fits).map(|c| c.headroom_after).fold(f64::MIN, f64::max);
    let picked = placed.candidates.iter().find(|c| c.cluster == chosen[0]).unwrap();
    assert_eq!(picked.headroom_after, best, "the chosen cluster keeps the most room");
    let tokyo = placed.candidates.iter().find(|c| c.cluster == "tokyo-prod").unwrap();
    let osaka = placed.candidates.iter().find(|c| c.cluster == "osaka-prod").unwrap();
    assert!(osaka.headroom_after > tokyo.headroom_after, "{osaka:?} {tokyo:?}");
    collector.shutdown();
    fleet.shutdown().await;
}
