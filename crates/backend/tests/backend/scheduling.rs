//! The scheduler with a controlled clock against the fleet simulator: a nightly window opens
//! (deployed) and closes (withdrawn, record kept); a restart mid-window changes nothing; two
//! schedulers → only the lease holder acts, and the other takes over when it stops; a burst on
//! a cluster evicts low-priority work, which spills over to the cluster with room.
use crate::fleet::{eventually, register_fleet};
use crate::support::on_both_databases;
use chrono::{DateTime, Duration, Utc};
use flotilla_backend::Database;
use flotilla_backend::entity::{audit_log, utilisation_snapshot as snap};
use flotilla_backend::scheduler::{ScheduleSpec, Scheduler};
use flotilla_backend::workloads::Desired;
use flotilla_domain::schedule::{EVERY_DAY, Priority, Schedule};
use flotilla_domain::workload::{PlacementRule, WorkloadForm, validate};
use flotilla_sim::{FleetSpec, SimOptions};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use std::time::Duration as StdDuration;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn spec(name: &str) -> flotilla_domain::workload::WorkloadSpec {
    validate(&WorkloadForm {
        project: "team-a".into(),
        name: name.into(),
        image: "example/job:1".into(),
        replicas: "1".into(),
        cpu_request: "100m".into(),
        memory_request: "64Mi".into(),
        placement: PlacementRule::LeastLoaded,
        ..Default::default()
    })
    .unwrap()
}

/// Utilisation history as the collector would have written it: one reading a minute.
async fn utilisation(db: &Database, cluster: i64, from: DateTime<Utc>, minutes: i64, fraction: f64) {
    for m in 0..=minutes {
        snap::ActiveModel {
            cluster_id: Set(cluster),
            scope: Set("cluster".into()),
            name: Set("c".into()),
            at: Set(from + Duration::minutes(m)),
            cpu_alloc_m: Set(10_000),
            mem_alloc_b: Set(1 << 34),
            pods_alloc: Set(100),
            cpu_req_m: Set((fraction * 10_000.0) as i64),
            mem_req_b: Set(0),
            pods: Set(1),
            cpu_used_m: Set(Some((fraction * 10_000.0) as i64)),
            mem_used_b: Set(None),
            ..Default::default()
        }
        .insert(db.conn())
        .await
        .unwrap();
    }
}

/// Opens every test cluster to the project; answers the placement inputs the scheduler uses.
async fn open_all(s: &flotilla_backend::Services, project: i64, ids: &[i64]) -> flotilla_backend::workloads::capacity::Capacities {
    for id in ids {
        s.projects.open_for_setup(project, *id).await.unwrap();
    }
    s.capacities.clone()
}

fn present(w: &flotilla_backend::WorkloadRecord) -> Vec<i64> {
    w.deployments.iter().filter(|d| d.desired == Desired::Present).map(|d| d.cluster_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_leases_and_low_priority_spill_over() {
    on_both_databases(|db, kind| async move {
        let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: StdDuration::from_millis(50), ..Default::default() }).await.unwrap();
        let s = crate::support::services(&db);
        let dir = s.clusters.clone();
        let ids = register_fleet(&dir, &fleet).await;
        let (alpha, beta) = (ids[0], ids[1]);
        let collector = s.collector.clone();
        collector.sync(&dir).await.unwrap();
        eventually(StdDuration::from_secs(20), "both clusters listed", || collector.states().iter().all(|s| s.synced)).await;
        let people = s.people.clone();
        let project = people.ensure_project(&flotilla_domain::Dns1123Label::parse("team-a").unwrap(), "Team A").await.unwrap();
        let bob = people.ensure_user("bob@example.test", "Bob", false).await.unwrap();
        let workloads = s.workloads.clone();
        let capacities = open_all(&s, project, &ids).await;
        let s1 = Scheduler::new(db.clone(), workloads.clone(), capacities.clone(), "replica-1");

        // A nightly job: every day 01:00–05:00 UTC.
        let nightly = workloads.insert(project, bob, "bob@example.test", &spec("nightly"), &[]).await.unwrap();
        let night = Schedule::Recurring { days: EVERY_DAY, start: "01:00".into(), end: "05:00".into(), tz: "UTC".into() };
        s1.set(nightly, &ScheduleSpec { schedule: night, ..Default::default() }).await.unwrap();
        let day = "2026-11-24T";
        assert!(s1.tick(utc(&format!("{day}00:30:00Z"))).await.unwrap().is_empty(), "{kind}: before the window nothing happens");
        assert!(present(&workloads.get(nightly).await.unwrap()).is_empty());
        let opened = s1.tick(utc(&format!("{day}01:00:00Z"))).await.unwrap();
        assert_eq!(opened.len(), 1, "{kind}: {opened:?}");
        assert_eq!(opened[0].action, "deployed");
        assert!(opened[0].reason.contains("its window opened (runs every day 01:00–05:00 UTC"), "{}", opened[0].reason);
        let placed = present(&workloads.get(nightly).await.unwrap());
        assert_eq!(placed.len(), 1);

        // A restart in the middle of the window: a new scheduler (same replica) does nothing twice.
        let restarted = Scheduler::new(db.clone(), workloads.clone(), capacities.clone(), "replica-1");
        assert!(restarted.tick(utc(&format!("{day}02:00:00Z"))).await.unwrap().is_empty(), "{kind}");
        let w = workloads.get(nightly).await.unwrap();
        assert_eq!((present(&w), w.deployments.len()), (placed.clone(), 1), "{kind}: no duplicate deployment");

        // Two replicas: only the lease holder acts; when it stops renewing, the other takes over.
        let s2 = Scheduler::new(db.clone(), workloads.clone(), capacities.clone(), "replica-2");
        let t = utc(&format!("{day}05:00:00Z"));
        restarted.tick(t - Duration::seconds(5)).await.unwrap();
        assert!(s2.tick(t).await.unwrap().is_empty(), "{kind}: replica-1's lease still runs");
        assert_eq!(present(&workloads.get(nightly).await.unwrap()).len(), 1, "{kind}: replica-2 did not act");
        let closed = s2.tick(t + Duration::seconds(20)).await.unwrap();
        assert_eq!(closed.iter().map(|a| a.action).collect::<Vec<_>>(), ["window-closed"], "{kind}: replica-2 took over");
        assert!(restarted.tick(t + Duration::seconds(25)).await.unwrap().is_empty(), "{kind}: and replica-1 now stands by");
        let w = workloads.get(nightly).await.unwrap();
        assert!(present(&w).is_empty(), "{kind}: withdrawn at the window's end");
        assert_eq!(w.spec.name.as_str(), "nightly", "{kind}: the record stays for the next window");

        // The reconcile loop carries it out: the Deployment is gone from the cluster, the record stays.
        let reconcile = workloads.spawn_loop(StdDuration::from_millis(200));
        let mut gone = false;
        for _ in 0..100 {
            if workloads.get(nightly).await.unwrap().deployments.is_empty() {
                gone = true;
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(100)).await;
        }
        assert!(gone, "{kind}: the withdrawn deployment is forgotten once removed, and the record kept");

        // Low priority: alpha has room, beta is busy → alpha. Then alpha bursts → evicted from
        // alpha, and beta (now quiet) takes it.
        let t0 = utc(&format!("{day}12:00:00Z"));
        utilisation(&db, alpha, t0 - Duration::minutes(6), 6, 0.30).await;
        utilisation(&db, beta, t0 - Duration::minutes(6), 6, 0.70).await;
        let batch = workloads.insert(project, bob, "bob@example.test", &spec("batch-low"), &[]).await.unwrap();
        s2.set(batch, &ScheduleSpec { priority: Priority::Low, ..Default::default() }).await.unwrap();
        let first = s2.tick(t0).await.unwrap();
        assert_eq!(first.iter().map(|a| (a.action, a.cluster.as_str())).collect::<Vec<_>>(), [("deployed", "alpha")], "{kind}: {first:?}");
        let t1 = t0 + Duration::minutes(10);
        utilisation(&db, alpha, t1 - Duration::minutes(6), 6, 0.95).await;
        utilisation(&db, beta, t1 - Duration::minutes(6), 6, 0.40).await;
        let moved = s2.tick(t1).await.unwrap();
        let seen: Vec<(&str, &str)> = moved.iter().map(|a| (a.action, a.cluster.as_str())).collect();
        assert_eq!(seen, [("evicted", "alpha"), ("deployed", "beta")], "{kind}: {moved:?}");
        assert!(moved[0].reason.starts_with("alpha CPU 95 % for 5 min → removed low-priority batch-low"), "{}", moved[0].reason);
        assert_eq!(present(&workloads.get(batch).await.unwrap()), vec![beta]);
        // Both busy: it waits in the queue with the reason.
        let t2 = t1 + Duration::minutes(10);
        utilisation(&db, alpha, t2 - Duration::minutes(6), 6, 0.95).await;
        utilisation(&db, beta, t2 - Duration::minutes(6), 6, 0.95).await;
        let queued = s2.tick(t2).await.unwrap();
        assert_eq!(queued.iter().map(|a| a.action).collect::<Vec<_>>(), ["evicted"], "{kind}");
        let row = flotilla_backend::entity::workload_schedule::Entity::find().filter(flotilla_backend::entity::workload_schedule::Column::WorkloadId.eq(batch)).one(db.conn()).await.unwrap().unwrap();
        assert_eq!(row.state, "queued", "{kind}");
        assert!(row.reason.contains("waiting for a cluster with room that fits (alpha at 95 % CPU, needs below 60 %; beta at 95 % CPU, needs below 60 %)"), "{kind}: {}", row.reason);
        let audited = audit_log::Entity::find().filter(audit_log::Column::Action.eq("schedule.evicted")).all(db.conn()).await.unwrap();
        assert_eq!(audited.len(), 2, "{kind}: every automatic action is audited");
        reconcile.abort();
        collector.shutdown();
        fleet.shutdown().await;
    })
    .await;
}

/// Polls `check` (an async read of the cluster) until it holds.
async fn until_cluster<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..150 {
        if check().await {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!("timed out waiting for: {what}");
}

async fn replicas_on(client: &kube::Client, name: &str) -> Option<i32> {
    use k8s_openapi::api::apps::v1::Deployment;
    kube::Api::<Deployment>::namespaced(client.clone(), "team-a").get_opt(name).await.unwrap().and_then(|d| d.spec.replicas)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn priority_classes_scale_to_zero_rebalancing_and_cluster_thresholds() {
    use flotilla_domain::schedule::{Thresholds, WhenClosed};
    use k8s_openapi::api::apps::v1::Deployment;
    use k8s_openapi::api::scheduling::v1::PriorityClass;
    let db = crate::support::TestDb::sqlite().await;
    let db = db.db().clone();
    db.migrate().await.unwrap();
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: StdDuration::from_millis(50), ..Default::default() }).await.unwrap();
    let s = crate::support::services(&db);
    let dir = s.clusters.clone();
    let ids = register_fleet(&dir, &fleet).await;
    let (alpha, beta) = (ids[0], ids[1]);
    let collector = s.collector.clone();
    collector.sync(&dir).await.unwrap();
    eventually(StdDuration::from_secs(20), "both clusters listed", || collector.states().iter().all(|s| s.synced)).await;
    let people = s.people.clone();
    let project = people.ensure_project(&flotilla_domain::Dns1123Label::parse("team-a").unwrap(), "Team A").await.unwrap();
    let bob = people.ensure_user("bob@example.test", "Bob", false).await.unwrap();
    let workloads = s.workloads.clone();
    let reconcile = workloads.spawn_loop(StdDuration::from_millis(200));
    let capacities = open_all(&s, project, &ids).await;
    let s = Scheduler::new(db.clone(), workloads.clone(), capacities, "replica-1");
    let (ka, kb) = (workloads.client(alpha).await.unwrap(), workloads.client(beta).await.unwrap());

    // A high-priority nightly report, scaled to zero (not removed) outside its window, pinned to alpha.
    let mut pinned = spec("reports");
    pinned.placement = PlacementRule::Clusters(vec![alpha]);
    let reports = workloads.insert(project, bob, "bob@example.test", &pinned, &[]).await.unwrap();
    let night = Schedule::Recurring { days: EVERY_DAY, start: "01:00".into(), end: "05:00".into(), tz: "UTC".into() };
    s.set(reports, &ScheduleSpec { schedule: night, when_closed: WhenClosed::ScaleToZero, priority: Priority::High, movable: false }).await.unwrap();
    let day = "2026-11-24T";
    assert_eq!(s.tick(utc(&format!("{day}01:00:00Z"))).await.unwrap().iter().map(|a| a.action).collect::<Vec<_>>(), ["deployed"]);
    until_cluster("reports runs on alpha with 1 replica", || async { replicas_on(&ka, "reports").await == Some(1) }).await;
    let d = kube::Api::<Deployment>::namespaced(ka.clone(), "team-a").get("reports").await.unwrap();
    assert_eq!(d.spec.template.spec.unwrap().priority_class_name.as_deref(), Some("flotilla-high"), "the Deployment names its PriorityClass");
    let classes = kube::Api::<PriorityClass>::all(ka.clone()).list(&Default::default()).await.unwrap();
    for (name, value) in Priority::ALL.map(|p| p.class()) {
        let pc = classes.items.iter().find(|c| c.metadata.name.as_deref() == Some(name)).unwrap_or_else(|| panic!("{name} is on the cluster"));
        assert_eq!(pc.value, Some(value));
    }
    until_cluster("its pod runs with the class's priority", || async {
        let pods = kube::Api::<k8s_openapi::api::core::v1::Pod>::namespaced(ka.clone(), "team-a").list(&Default::default()).await.unwrap();
        pods.items.iter().any(|p| p.metadata.name.as_deref().is_some_and(|n| n.starts_with("reports-")) && p.spec.as_ref().and_then(|s| s.priority) == Some(100_000))
    })
    .await;
    let closed = s.tick(utc(&format!("{day}05:00:00Z"))).await.unwrap();
    assert_eq!(closed.iter().map(|a| (a.action, a.reason.as_str())).collect::<Vec<_>>(), [("scaled-to-zero", "its window closed (runs every day 01:00–05:00 UTC (UTC)); scaled to zero")]);
    until_cluster("reports scaled to zero, Deployment kept", || async { replicas_on(&ka, "reports").await == Some(0) }).await;
    assert!(s.tick(utc(&format!("{day}06:00:00Z"))).await.unwrap().is_empty(), "nothing twice");
    let views = s.views(utc(&format!("{day}06:00:00Z")), 7, Some(&[reports])).await.unwrap();
    assert!(views[0].reason.starts_with("outside its window (scaled to zero): next window opens 2026-11-25 01:00"), "{}", views[0].reason);
    assert_eq!(views[0].clusters, ["alpha"]);
    let opened = s.tick(utc("2026-11-25T01:00:00Z")).await.unwrap();
    assert_eq!(opened.iter().map(|a| a.action).collect::<Vec<_>>(), ["scaled-up"], "{opened:?}");
    until_cluster("reports back to 1 replica", || async { replicas_on(&ka, "reports").await == Some(1) }).await;

    // A movable log aggregator on a cluster that stays above 85 % for 10 min moves to the quiet one, once.
    let agg = workloads.insert(project, bob, "bob@example.test", &spec("log-aggregator"), &[(beta, 1)]).await.unwrap();
    s.set(agg, &ScheduleSpec { movable: true, ..Default::default() }).await.unwrap();
    until_cluster("log-aggregator on beta", || async { replicas_on(&kb, "log-aggregator").await == Some(1) }).await;
    let t0 = utc("2026-11-25T12:00:00Z");
    utilisation(&db, beta, t0 - Duration::minutes(4), 4, 0.91).await;
    utilisation(&db, alpha, t0 - Duration::minutes(4), 4, 0.30).await;
    let of = |actions: Vec<flotilla_backend::scheduler::Action>, name: &str| actions.into_iter().filter(|a| a.workload == name).collect::<Vec<_>>();
    assert!(of(s.tick(t0).await.unwrap(), "log-aggregator").is_empty(), "hot for only 4 minutes: nothing moves");
    utilisation(&db, beta, t0 - Duration::minutes(11), 6, 0.91).await;
    let moved = of(s.tick(t0).await.unwrap(), "log-aggregator");
    assert_eq!(moved.iter().map(|a| (a.action, a.reason.as_str())).collect::<Vec<_>>(), [("moved", "beta CPU 91 % for 10 min → moved log-aggregator to alpha")]);
    until_cluster("log-aggregator moved: on alpha, gone from beta", || async { replicas_on(&ka, "log-aggregator").await == Some(1) && replicas_on(&kb, "log-aggregator").await.is_none() }).await;
    // Now alpha is hot too: the workload moved minutes ago, so it stays (no flapping).
    let t1 = t0 + Duration::minutes(12);
    utilisation(&db, alpha, t1 - Duration::minutes(11), 11, 0.95).await;
    utilisation(&db, beta, t1 - Duration::minutes(11), 11, 0.20).await;
    assert!(s.tick(t1).await.unwrap().iter().all(|a| a.action != "moved"), "moved 12 minutes ago: not again");
    let audited = audit_log::Entity::find().filter(audit_log::Column::Action.eq("schedule.moved")).all(db.conn()).await.unwrap();
    assert_eq!(audited.len(), 1);
    assert!(audited[0].detail.contains("beta CPU 91 % for 10 min → moved log-aggregator to alpha"), "{:?}", audited[0].detail);

    // Per-cluster thresholds: beta asks for room below 15 %, so low-priority work waits, then
    // back to the defaults (60 %) it comes.
    s.set_cluster_thresholds(beta, Some(Thresholds { deploy_below: 0.15, ..Thresholds::default() })).await.unwrap();
    assert!(s.set_cluster_thresholds(beta, Some(Thresholds { deploy_below: 0.9, ..Thresholds::default() })).await.is_err(), "no hysteresis gap is refused");
    let low = workloads.insert(project, bob, "bob@example.test", &spec("thumbnails"), &[]).await.unwrap();
    s.set(low, &ScheduleSpec { priority: Priority::Low, ..Default::default() }).await.unwrap();
    let t2 = t1 + Duration::minutes(1);
    assert!(s.tick(t2).await.unwrap().iter().all(|a| a.workload != "thumbnails"));
    let v = s.views(t2, 1, Some(&[low])).await.unwrap();
    assert!(v[0].reason.contains("beta at 20 % CPU, needs below 15 %"), "{}", v[0].reason);
    let listed = s.cluster_thresholds(t2).await.unwrap();
    assert_eq!(listed.iter().map(|c| (c.cluster.as_str(), c.custom)).collect::<Vec<_>>(), [("alpha", false), ("beta", true)]);
    s.set_cluster_thresholds(beta, None).await.unwrap();
    let came = s.tick(t2).await.unwrap();
    assert_eq!(came.iter().filter(|a| a.workload == "thumbnails").map(|a| (a.action, a.cluster.as_str())).collect::<Vec<_>>(), [("deployed", "beta")]);
    until_cluster("thumbnails runs at low priority", || async {
        let d = kube::Api::<Deployment>::namespaced(kb.clone(), "team-a").get_opt("thumbnails").await.unwrap();
        d.and_then(|d| d.spec.template.spec?.priority_class_name).as_deref() == Some("flotilla-low")
    })
    .await;
    reconcile.abort();
    collector.shutdown();
    fleet.shutdown().await;
}
