//! The scheduler with a controlled clock against the fleet simulator: a nightly window opens
//! (deployed) and closes (withdrawn, record kept); a restart mid-window changes nothing; two
//! schedulers → only the lease holder acts, and the other takes over when it stops; a burst on
//! a cluster evicts low-priority work, which spills over to the cluster with room.
use crate::fleet::{eventually, fast, register_fleet};
use crate::support::on_both_databases;
use chrono::{DateTime, Duration, Utc};
use flotilla_backend::entity::{audit_log, utilisation_snapshot as snap};
use flotilla_backend::scheduler::{ScheduleSpec, Scheduler};
use flotilla_backend::workloads::Desired;
use flotilla_backend::{ClusterDirectory, Collector, Database, SecretKey, Workloads};
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

fn present(w: &flotilla_backend::WorkloadRecord) -> Vec<i64> {
    w.deployments.iter().filter(|d| d.desired == Desired::Present).map(|d| d.cluster_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_leases_and_low_priority_spill_over() {
    on_both_databases(|db, kind| async move {
        let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: StdDuration::from_millis(50), ..Default::default() }).await.unwrap();
        let dir = ClusterDirectory::new(db.clone(), SecretKey::generate());
        let ids = register_fleet(&dir, &fleet).await;
        let (alpha, beta) = (ids[0], ids[1]);
        let collector = Collector::new(fast());
        collector.sync(&dir).await.unwrap();
        eventually(StdDuration::from_secs(20), "both clusters listed", || collector.states().iter().all(|s| s.synced)).await;
        let people = flotilla_backend::PeopleDirectory::new(db.clone());
        let project = people.ensure_project(&flotilla_domain::Dns1123Label::parse("team-a").unwrap(), "Team A").await.unwrap();
        let bob = people.ensure_user("bob@example.test", "Bob", false).await.unwrap();
        let workloads = Workloads::new(db.clone(), dir.clone());
        let s1 = Scheduler::new(db.clone(), workloads.clone(), collector.clone(), "replica-1");

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
        let restarted = Scheduler::new(db.clone(), workloads.clone(), collector.clone(), "replica-1");
        assert!(restarted.tick(utc(&format!("{day}02:00:00Z"))).await.unwrap().is_empty(), "{kind}");
        let w = workloads.get(nightly).await.unwrap();
        assert_eq!((present(&w), w.deployments.len()), (placed.clone(), 1), "{kind}: no duplicate deployment");

        // Two replicas: only the lease holder acts; when it stops renewing, the other takes over.
        let s2 = Scheduler::new(db.clone(), workloads.clone(), collector.clone(), "replica-2");
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
        let row = flotilla_backend::entity::workload_schedule::Entity::find()
            .filter(flotilla_backend::entity::workload_schedule::Column::WorkloadId.eq(batch))
            .one(db.conn())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.state, "queued", "{kind}");
        assert!(row.reason.contains("waiting for a cluster below 60 % CPU that fits (alpha at 95 %, beta at 95 %)"), "{kind}: {}", row.reason);
        let audited = audit_log::Entity::find().filter(audit_log::Column::Action.eq("schedule.evicted")).all(db.conn()).await.unwrap();
        assert_eq!(audited.len(), 2, "{kind}: every automatic action is audited");
        reconcile.abort();
        collector.shutdown();
        fleet.shutdown().await;
    })
    .await;
}
