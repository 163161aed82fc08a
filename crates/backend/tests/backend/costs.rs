//! The cost ledger over simulated hours of the demo fleet (time-scaled simulator): parts add up
//! to every cluster-hour, the idle cluster's cost is mostly idle, an unreachable cluster leaves
//! a gap, a price change is applied by recomputing; budgets alert once and call a webhook,
//! which must reach a public address unless an administrator allows its network.
use crate::fleet::eventually;
use crate::support::on_both_databases;
use flotilla_backend::costs::budgets::Webhook;
use flotilla_backend::costs::report::Visible;
use flotilla_backend::costs::{IDLE, Sample};
use flotilla_backend::entity::{audit_log, budget_alert, cost_hour, cost_ledger};
use flotilla_backend::{AllowedNetworks, BudgetError, Budgets, ClusterDetails, ClusterDirectory, Credentials, Database, Ledger, NewCluster, PeopleDirectory, Prices, SecretKey};
use flotilla_domain::inventory::HealthState;
use flotilla_domain::{CostQuery, CostWeights, Dns1123Label, GroupBy, PriceEntry, Provider, Step};
use flotilla_sim::{FaultMode, FleetSpec, SimOptions};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Registers the running fleet with the providers and control-plane fees of its spec.
async fn register(dir: &ClusterDirectory, fleet: &flotilla_sim::RunningFleet) -> BTreeMap<String, i64> {
    let kubeconfig = fleet.kubeconfig_yaml();
    let mut ids = BTreeMap::new();
    for c in fleet.clusters() {
        let spec = c.spec();
        let details = ClusterDetails {
            display_name: spec.name.clone(),
            provider: Provider::parse(&spec.provider),
            region: spec.region.clone(),
            environment: "production".into(),
            labels: vec![],
            control_plane_price_per_hour: spec.control_plane_price_per_hour,
            location: None,
        };
        let creds = Credentials::from_kubeconfig(&kubeconfig, &spec.name).unwrap();
        let new = NewCluster { name: Dns1123Label::parse(&spec.name).unwrap(), details };
        ids.insert(spec.name.clone(), dir.register(new, Some(&creds)).await.unwrap().id);
    }
    ids
}

async fn hours_of(db: &Database, cluster: i64) -> Vec<cost_hour::Model> {
    cost_hour::Entity::find().filter(cost_hour::Column::ClusterId.eq(cluster)).all(db.conn()).await.unwrap()
}

async fn lines_of(db: &Database, cluster: i64) -> Vec<cost_ledger::Model> {
    cost_ledger::Entity::find().filter(cost_ledger::Column::ClusterId.eq(cluster)).all(db.conn()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_prices_simulated_hours_of_the_demo_fleet() {
    on_both_databases(|db, kind| async move {
        // One simulated hour per real second, so the day/night usage curve moves between samples.
        let opts = SimOptions { pod_start_delay: Duration::from_millis(50), time_scale: 3600.0, ..Default::default() };
        let fleet = flotilla_sim::start(FleetSpec::demo(), opts).await.unwrap();
        let s = crate::support::services(&db);
        let dir = s.clusters.clone();
        let ids = register(&dir, &fleet).await;
        let people = s.people.clone();
        for p in ["team-a", "team-b", "team-c"] {
            people.ensure_project(&Dns1123Label::parse(p).unwrap(), p).await.unwrap();
        }
        let prices = s.prices.clone();
        prices.seed_defaults().await.unwrap();
        let collector = s.collector.clone();
        collector.sync(&dir).await.unwrap();
        eventually(Duration::from_secs(30), "the demo fleet listed with metrics", || collector.states().iter().all(|s| s.synced && s.metrics_live && s.health.state == HealthState::Connected)).await;
        eventually(Duration::from_secs(20), "tokyo's pods scheduled", || collector.pods(ids["tokyo-prod"], None, None).iter().filter(|p| p.node.is_some()).count() >= 32).await;

        let ledger = s.ledger.clone();
        let start = chrono::Utc::now().date_naive().and_hms_opt(0, 0, 0).unwrap().and_utc() - chrono::Duration::days(1);
        let step = chrono::Duration::minutes(15);
        // Six hours in 15-minute samples; gpu-ml is unreachable for the third hour.
        for i in 0..24 {
            let at = start + step * i;
            if i == 8 {
                fleet.cluster("gpu-ml").unwrap().set_fault(FaultMode::Unreachable, None);
                eventually(Duration::from_secs(15), "gpu-ml unreachable", || collector.state(ids["gpu-ml"]).unwrap().health.state == HealthState::Unreachable).await;
            }
            if i == 12 {
                fleet.cluster("gpu-ml").unwrap().set_fault(FaultMode::Healthy, None);
                eventually(Duration::from_secs(20), "gpu-ml back", || collector.state(ids["gpu-ml"]).unwrap().health.state == HealthState::Connected).await;
            }
            // A restart in the middle: a new ledger over the same database carries on.
            let ledger = if i == 10 { Ledger::new(db.clone(), prices.clone(), dir.clone()) } else { ledger.clone() };
            let sampled = ledger.sample(&collector, at, step).await.unwrap();
            assert_eq!(sampled, if (8..12).contains(&i) { 3 } else { 4 }, "{kind}: sample {i}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }

        // Every cluster-hour: the lines add up to the cluster's cost exactly.
        for (name, id) in &ids {
            let hours = hours_of(&db, *id).await;
            let lines = lines_of(&db, *id).await;
            for h in &hours {
                let sum: i64 = lines.iter().filter(|l| l.hour == h.hour).map(|l| l.cost_micros).sum();
                assert_eq!(sum, h.total_micros, "{kind}: {name} at {}", h.hour);
                assert!(lines.iter().all(|l| l.cost_micros >= 0));
            }
        }
        // tokyo: 12 × m5.xlarge at 0.192 + 0.10 control plane, for each of six whole hours.
        let tokyo = hours_of(&db, ids["tokyo-prod"]).await;
        assert_eq!(tokyo.len(), 6, "{kind}");
        assert!(tokyo.iter().all(|h| h.total_micros == 12 * 192_000 + 100_000 && (h.observed_hours - 1.0).abs() < 1e-9), "{kind}: {tokyo:?}");
        // osaka is the idle cluster: most of its cost is idle.
        let osaka = hours_of(&db, ids["osaka-prod"]).await;
        let (total, idle): (i64, i64) = osaka.iter().fold((0, 0), |(t, i), h| (t + h.total_micros, i + h.idle_micros));
        assert!(idle * 2 > total, "{kind}: osaka idle {idle} of {total}");
        // onprem-dev's machines are in no catalogue: flagged, never priced at zero.
        let onprem = hours_of(&db, ids["onprem-dev"]).await;
        assert!(onprem.iter().all(|h| h.total_micros == 0 && h.unpriced.contains("onprem-dev")), "{kind}: {onprem:?}");
        // gpu-ml missed an hour: observed 5 of 6.
        let gpu = hours_of(&db, ids["gpu-ml"]).await;
        let observed: f64 = gpu.iter().map(|h| h.observed_hours).sum();
        assert!((observed - 5.0).abs() < 1e-9, "{kind}: gpu-ml observed {observed} h");

        // team-b's report: by cluster, hourly, with the gap and the unpriced nodes named.
        let now = start + chrono::Duration::hours(6);
        let q = CostQuery { project: Some("team-b".into()), from: start.format("%Y-%m-%d").to_string(), to: start.format("%Y-%m-%d").to_string(), step: Step::Hour, group_by: GroupBy::Cluster };
        let team_b = Visible::Projects(vec!["team-b".into()]);
        let r = ledger.report(&q, Some("team-b"), &team_b, now).await.unwrap();
        assert_eq!(r.buckets.len(), 24);
        let keys: Vec<&str> = r.series.iter().map(|s| s.key.as_str()).collect();
        assert!(keys.contains(&"tokyo-prod") && keys.contains(&"osaka-prod") && !keys.contains(&IDLE), "{kind}: {keys:?}");
        let mut b_lines = 0;
        for id in ids.values() {
            b_lines += lines_of(&db, *id).await.iter().filter(|l| l.project.as_deref() == Some("team-b")).map(|l| l.cost_micros).sum::<i64>();
        }
        assert!((r.total - b_lines as f64 / 1e6).abs() < 1e-6, "{kind}: {} vs {b_lines}", r.total);
        assert!(r.series.iter().all(|s| s.values.iter().skip(6).all(|v| *v == 0.0)), "{kind}: nothing after the sampled hours");
        assert!(r.gaps.iter().any(|g| g.starts_with("gpu-ml: 1.0 of 6 hours")), "{kind}: {:?}", r.gaps);
        assert!(r.unpriced.is_empty() || r.unpriced.iter().all(|u| u.starts_with("onprem-dev")), "{kind}");
        assert!(r.top_workloads.iter().all(|w| w.project.as_deref() == Some("team-b")), "{kind}: only team-b's workloads");
        let by_workload = ledger.report(&CostQuery { group_by: GroupBy::Workload, ..q.clone() }, Some("team-b"), &team_b, now).await.unwrap();
        // Like with like: a period that ends today is compared with the same hours of the
        // period before (at 03:00 the day after, with its first three hours), not a full day.
        let next_day = (start + chrono::Duration::days(1)).format("%Y-%m-%d").to_string();
        let early = ledger.report(&CostQuery { from: next_day.clone(), to: next_day, ..q.clone() }, Some("team-b"), &team_b, start + chrono::Duration::hours(27)).await.unwrap();
        let mut first_three = 0;
        for id in ids.values() {
            first_three += lines_of(&db, *id).await.iter().filter(|l| l.project.as_deref() == Some("team-b") && l.hour < start + chrono::Duration::hours(3)).map(|l| l.cost_micros).sum::<i64>();
        }
        assert!(first_three > 0 && first_three < b_lines, "{kind}: {first_three} of {b_lines}");
        assert!((early.previous_total - first_three as f64 / 1e6).abs() < 1e-6, "{kind}: compared with {} instead of the same three hours ({})", early.previous_total, first_three as f64 / 1e6);
        assert!(by_workload.series.iter().any(|s| s.key == "team-b/batch"), "{kind}");
        assert!((by_workload.total - r.total).abs() < 1e-6, "{kind}: the same money however it is grouped");

        // Administrators: idle per cluster.
        let fleet_costs = ledger.fleet_costs(&q.from, &q.to, now).await.unwrap();
        let osaka_cost = fleet_costs.clusters.iter().find(|c| c.cluster == "osaka-prod").unwrap();
        assert!(osaka_cost.idle_percent() > 50.0, "{kind}: {osaka_cost:?}");
        assert!((osaka_cost.control_plane - 0.6).abs() < 1e-6, "{kind}: six hours of 0.10");

        // A price change applies to the past only when recomputed.
        let before = hours_of(&db, ids["osaka-prod"]).await.iter().map(|h| h.total_micros).sum::<i64>();
        prices.import(&[PriceEntry { provider: Provider::Eks, instance_type: "m5.2xlarge".into(), currency: "USD".into(), price_per_hour: 0.768 }]).await.unwrap();
        assert_eq!(hours_of(&db, ids["osaka-prod"]).await.iter().map(|h| h.total_micros).sum::<i64>(), before);
        let n = ledger.recompute(start, start + chrono::Duration::hours(3)).await.unwrap();
        assert_eq!(n, 3 * 4 - 1, "{kind}: three hours of four clusters, gpu-ml missing one");
        let osaka = hours_of(&db, ids["osaka-prod"]).await;
        for h in &osaka {
            let doubled = h.hour < start + chrono::Duration::hours(3);
            let expected = 8 * if doubled { 768_000 } else { 384_000 } + 100_000;
            assert_eq!(h.total_micros, expected, "{kind}: {}", h.hour);
            let sum: i64 = lines_of(&db, ids["osaka-prod"]).await.iter().filter(|l| l.hour == h.hour).map(|l| l.cost_micros).sum();
            assert_eq!(sum, expected);
        }

        // Per-cluster weights: refused when unusable; applied by recomputing; totals unchanged.
        let tokyo_id = ids["tokyo-prod"];
        let bad = CostWeights { cpu: 0.0, memory: 0.0, pods: 0.0, gpu: 0.5 };
        assert!(matches!(ledger.set_weights(tokyo_id, Some(bad)).await, Err(flotilla_backend::LedgerError::Invalid(_))), "{kind}");
        let cpu_only = CostWeights { cpu: 1.0, memory: 0.0, pods: 0.0, gpu: 0.5 };
        ledger.set_weights(tokyo_id, Some(cpu_only)).await.unwrap();
        assert_eq!(ledger.weights(tokyo_id).await.unwrap(), cpu_only);
        // A refused save keeps the administrator's weights (it once deleted them first).
        for refused in [bad, CostWeights { gpu: 1.5, ..cpu_only }, CostWeights { cpu: f64::NAN, ..cpu_only }] {
            assert!(matches!(ledger.set_weights(tokyo_id, Some(refused)).await, Err(flotilla_backend::LedgerError::Invalid(_))), "{kind}: {refused:?}");
            assert_eq!(ledger.weights(tokyo_id).await.unwrap(), cpu_only, "{kind}: {refused:?} left the saved weights as they were");
        }
        let before: BTreeMap<String, i64> = lines_of(&db, tokyo_id).await.into_iter().fold(BTreeMap::new(), |mut m, l| {
            *m.entry(l.workload).or_default() += l.cost_micros;
            m
        });
        ledger.recompute(start, start + chrono::Duration::hours(6)).await.unwrap();
        let after: BTreeMap<String, i64> = lines_of(&db, tokyo_id).await.into_iter().fold(BTreeMap::new(), |mut m, l| {
            *m.entry(l.workload).or_default() += l.cost_micros;
            m
        });
        assert_eq!(before.values().sum::<i64>(), after.values().sum::<i64>(), "{kind}: the same money, split differently");
        assert_ne!(before, after, "{kind}: memory-heavy and CPU-heavy workloads trade places");
        ledger.set_weights(tokyo_id, None).await.unwrap();
        assert_eq!(ledger.weights(tokyo_id).await.unwrap(), CostWeights::default());
        collector.shutdown();
        fleet.shutdown().await;
    })
    .await;
}

/// A one-request-at-a-time HTTP receiver that keeps every body it is sent.
async fn webhook_receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let (url, bodies, _) = receiver(false).await;
    (url, bodies)
}

/// A one-request-at-a-time HTTP receiver on 127.0.0.1 that keeps every body and every path it
/// is sent; with `redirect` it answers 302 to `/followed` on itself instead of 200.
async fn receiver(redirect: bool) -> (String, Arc<Mutex<Vec<String>>>, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let at = listener.local_addr().unwrap();
    let url = format!("http://{at}/hooks/budget");
    let answer = if redirect {
        format!("HTTP/1.1 302 Found\r\nlocation: http://{at}/followed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
    } else {
        "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok".to_owned()
    };
    let bodies = Arc::new(Mutex::new(Vec::new()));
    let paths = Arc::new(Mutex::new(Vec::new()));
    let (kept, kept_paths) = (bodies.clone(), paths.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            loop {
                let n = socket.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
                let text = String::from_utf8_lossy(&buf).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap_or(0))).unwrap_or(0);
                    if body.len() >= length {
                        kept.lock().unwrap().push(body.to_owned());
                        kept_paths.lock().unwrap().push(head.split(' ').nth(1).unwrap_or_default().to_owned());
                        break;
                    }
                }
            }
            let _ = socket.write_all(answer.as_bytes()).await;
        }
    });
    (url, bodies, paths)
}

/// The test receivers listen on loopback, which webhooks may reach only when allowed.
fn loopback_allowed() -> AllowedNetworks {
    "127.0.0.0/8".parse().unwrap()
}

#[tokio::test]
async fn a_budget_alerts_its_owners_once_per_threshold_and_calls_the_webhook() {
    on_both_databases(|db, kind| async move {
        let people = PeopleDirectory::new(db.clone());
        let project = people.ensure_project(&Dns1123Label::parse("team-b").unwrap(), "Team B").await.unwrap();
        let carol = people.ensure_user("carol@example.test", "Carol", false).await.unwrap();
        let dave = people.ensure_user("dave@example.test", "Dave", false).await.unwrap();
        people.set_member(project, carol, "owner").await.unwrap();
        people.set_member(project, dave, "developer").await.unwrap();
        let key = SecretKey::generate();
        let dir = ClusterDirectory::new(db.clone(), key.clone());
        let cluster = dir.register(crate::fleet::cluster("alpha"), None).await.unwrap();
        let prices = Prices::new(db.clone());
        prices.import(&[PriceEntry { provider: Provider::Eks, instance_type: "m5.xlarge".into(), currency: "USD".into(), price_per_hour: 1.0 }]).await.unwrap();
        let ledger = Ledger::new(db.clone(), prices, dir);
        let budgets = Budgets::new(db.clone(), key.clone(), ledger.clone(), loopback_allowed());

        // team-b's batch uses half of a 1.00/h node: 0.50 an hour (+ a spread control-plane fee).
        let mut sample = Sample { nodes: vec![("n1".into(), "m5.xlarge".into(), false)], ..Default::default() };
        sample.usage.insert((0, "team-b".into(), "batch".into()), [0.5, 0.5, 0.5, 0.0]);
        sample.projects.insert("team-b".into(), "team-b".into());
        let month_start = chrono::Utc::now().date_naive().with_day(1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
        for h in 0..10 {
            let at = month_start + chrono::Duration::hours(h);
            ledger.add(cluster.id, at, chrono::Duration::hours(1), &sample).await.unwrap();
            ledger.price_hour(cluster.id, at).await.unwrap();
        }
        let (url, bodies) = webhook_receiver().await;
        assert!(matches!(budgets.set(project, -5.0, "USD", Webhook::Keep).await, Err(flotilla_backend::BudgetError::Invalid(_))));
        assert!(matches!(budgets.set(project, 10.0, "USD", Webhook::Set("not a url".into())).await, Err(flotilla_backend::BudgetError::Invalid(_))));
        let b = budgets.set(project, 1000.0, "USD", Webhook::Set(url.clone())).await.unwrap();
        assert!(b.webhook_set);
        let stored = flotilla_backend::entity::budget::Entity::find().one(db.conn()).await.unwrap().unwrap();
        assert!(!stored.webhook_sealed.unwrap().contains("127.0.0.1"), "{kind}: the webhook URL is sealed at rest");

        // Ten hours in, 6.00 spent (0.50 + 0.10 control plane an hour): far below 80 % of 1,000,
        // and the forecast (0.60 an hour to the month's end, under 460) stays below too.
        let now = month_start + chrono::Duration::hours(10);
        assert!(budgets.check(now).await.unwrap().is_empty(), "{kind}");
        // With a budget of 7, 6.00 spent crosses 80 % (actual), and the forecast crosses 100 %.
        budgets.set(project, 7.0, "USD", Webhook::Keep).await.unwrap();
        let fired = budgets.check(now).await.unwrap();
        let got: Vec<(u8, &str)> = fired.iter().map(|f| (f.threshold, f.basis.as_str())).collect();
        assert_eq!(got, vec![(80, "actual"), (100, "forecast")], "{kind}: {fired:?}");
        assert!(fired.iter().all(|f| f.webhook == Some(Ok(200))), "{kind}: {fired:?}");
        assert!(budgets.check(now).await.unwrap().is_empty(), "{kind}: each threshold fires once a month");
        assert!(budgets.check(now + chrono::Duration::hours(1)).await.unwrap().is_empty(), "{kind}");

        let bodies = bodies.lock().unwrap().clone();
        assert_eq!(bodies.len(), 2, "{kind}: {bodies:?}");
        let first: serde_json::Value = serde_json::from_str(&bodies[0]).unwrap();
        assert!(first["text"].as_str().unwrap().contains("team-b has spent"), "{kind}: Slack-compatible {first}");

        // The owner is notified, the developer is not; every alert is audited.
        let notes = budgets.notifications(carol, 10).await.unwrap();
        assert_eq!(notes.len(), 2, "{kind}");
        assert!(notes.iter().all(|n| !n.read && n.link == "/costs?project=team-b"));
        assert!(budgets.notifications(dave, 10).await.unwrap().is_empty(), "{kind}: only owners");
        budgets.mark_read(carol).await.unwrap();
        assert!(budgets.notifications(carol, 10).await.unwrap().iter().all(|n| n.read));
        let audited = audit_log::Entity::find().filter(audit_log::Column::Action.eq("budget.alert")).all(db.conn()).await.unwrap();
        assert_eq!(audited.len(), 2, "{kind}");
        assert!(audited.iter().all(|a| a.detail.contains("webhook answered 200") && !a.detail.contains("127.0.0.1")), "{kind}: {audited:?}");
        let month = now.format("%Y-%m").to_string();
        assert_eq!(budgets.alerts(project, &month).await.unwrap().len(), 2);

        // A webhook that fails is reported in the audit, not retried as a second alert.
        assert!(budgets.remove(project).await.unwrap());
        assert!(budgets.get(project).await.unwrap().is_none());
    })
    .await;
}

use chrono::Datelike;

/// A project (with an owner) whose ledger shows 6.00 spent ten hours into this month, so a
/// budget of 7 crosses 80 % (actual) and 100 % (forecast). Returns the project, the key, the
/// ledger and that moment.
async fn spending_project(db: &Database) -> (i64, SecretKey, Ledger, chrono::DateTime<chrono::Utc>) {
    let people = PeopleDirectory::new(db.clone());
    let project = people.ensure_project(&Dns1123Label::parse("team-b").unwrap(), "Team B").await.unwrap();
    let carol = people.ensure_user("carol@example.test", "Carol", false).await.unwrap();
    people.set_member(project, carol, "owner").await.unwrap();
    let key = SecretKey::generate();
    let dir = ClusterDirectory::new(db.clone(), key.clone());
    let cluster = dir.register(crate::fleet::cluster("alpha"), None).await.unwrap();
    let prices = Prices::new(db.clone());
    prices.import(&[PriceEntry { provider: Provider::Eks, instance_type: "m5.xlarge".into(), currency: "USD".into(), price_per_hour: 1.0 }]).await.unwrap();
    let ledger = Ledger::new(db.clone(), prices, dir);
    let mut sample = Sample { nodes: vec![("n1".into(), "m5.xlarge".into(), false)], ..Default::default() };
    sample.usage.insert((0, "team-b".into(), "batch".into()), [0.5, 0.5, 0.5, 0.0]);
    sample.projects.insert("team-b".into(), "team-b".into());
    let month_start = chrono::Utc::now().date_naive().with_day(1).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc();
    for h in 0..10 {
        let at = month_start + chrono::Duration::hours(h);
        ledger.add(cluster.id, at, chrono::Duration::hours(1), &sample).await.unwrap();
        ledger.price_hour(cluster.id, at).await.unwrap();
    }
    (project, key, ledger, month_start + chrono::Duration::hours(10))
}

const LOOPBACK_REFUSED: &str = "The webhook address resolves to 127.0.0.1, a loopback address; Flotilla only sends alerts to public addresses. \
                                An administrator can allow this network with allow_private_webhooks.";

#[tokio::test]
async fn a_webhook_to_a_private_address_is_refused_unless_an_administrator_allows_its_network() {
    on_both_databases(|db, kind| async move {
        let (project, key, ledger, now) = spending_project(&db).await;
        let (url, bodies, _) = receiver(false).await;
        assert!(url.starts_with("http://127.0.0.1:"));

        // By default only public addresses: saving is refused with a sentence a person can act on.
        let public_only = Budgets::new(db.clone(), key.clone(), ledger.clone(), AllowedNetworks::default());
        match public_only.set(project, 7.0, "USD", Webhook::Set(url.clone())).await {
            Err(BudgetError::Invalid(m)) => assert_eq!(m, LOOPBACK_REFUSED, "{kind}"),
            other => panic!("{kind}: a loopback webhook must be refused, got {other:?}"),
        }
        for hidden in ["http://169.254.169.254/latest/meta-data/", "http://[::ffff:127.0.0.1]:9/hook", "http://10.0.0.8/hook", "http://localhost:9/hook"] {
            assert!(
                matches!(public_only.set(project, 7.0, "USD", Webhook::Set(hidden.into())).await, Err(BudgetError::Invalid(m)) if m.contains("Flotilla only sends alerts to public addresses")),
                "{kind}: {hidden}"
            );
        }
        assert!(public_only.get(project).await.unwrap().is_none(), "{kind}: nothing was saved");

        // With loopback allowed it saves, and the alert reaches the local receiver.
        let allowed = Budgets::new(db.clone(), key.clone(), ledger.clone(), loopback_allowed());
        assert!(allowed.set(project, 7.0, "USD", Webhook::Set(url.clone())).await.unwrap().webhook_set, "{kind}");
        let fired = allowed.check(now).await.unwrap();
        assert_eq!(fired.len(), 2, "{kind}: {fired:?}");
        assert!(fired.iter().all(|f| f.webhook == Some(Ok(200))), "{kind}: {fired:?}");
        assert_eq!(bodies.lock().unwrap().len(), 2, "{kind}");

        // Every send is checked again: once the allowance is gone, the stored webhook is not
        // called, and the refusal is recorded where failed sends are (the alert's audit entry).
        budget_alert::Entity::delete_many().exec(db.conn()).await.unwrap();
        let fired = public_only.check(now).await.unwrap();
        assert_eq!(fired.len(), 2, "{kind}: {fired:?}");
        assert!(fired.iter().all(|f| f.webhook == Some(Err(LOOPBACK_REFUSED.to_owned()))), "{kind}: {fired:?}");
        assert_eq!(bodies.lock().unwrap().len(), 2, "{kind}: the refused sends never arrived");
        let audited = audit_log::Entity::find().filter(audit_log::Column::Action.eq("budget.alert")).all(db.conn()).await.unwrap();
        let refused = audited.iter().filter(|a| a.detail.contains(&format!("webhook failed: {LOOPBACK_REFUSED}"))).count();
        assert_eq!(refused, 2, "{kind}: {audited:?}");
    })
    .await;
}

#[tokio::test]
async fn a_webhook_redirect_is_not_followed() {
    on_both_databases(|db, kind| async move {
        let (project, key, ledger, now) = spending_project(&db).await;
        let (url, bodies, paths) = receiver(true).await;
        let budgets = Budgets::new(db.clone(), key, ledger, loopback_allowed());
        budgets.set(project, 7.0, "USD", Webhook::Set(url)).await.unwrap();
        let fired = budgets.check(now).await.unwrap();
        assert_eq!(fired.len(), 2, "{kind}: {fired:?}");
        assert!(fired.iter().all(|f| f.webhook == Some(Err("HTTP 302 (redirects are not followed)".to_owned()))), "{kind}: {fired:?}");
        assert_eq!(*paths.lock().unwrap(), vec!["/hooks/budget", "/hooks/budget"], "{kind}: only the webhook itself was asked");
        assert_eq!(bodies.lock().unwrap().len(), 2, "{kind}");
    })
    .await;
}
