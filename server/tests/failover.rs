//! Two `flotilla serve` replicas on one machine against one PostgreSQL, as in production:
//! a session started on one works on the other; the replica holding the scheduler's lease is
//! killed just before a window opens and the other takes over within 10 s, deploying exactly
//! once; after restarting both, nothing is lost and nothing happens twice.
use chrono::{Duration as ChronoDuration, Utc};
use flotilla_backend::entity::{lease, schedule_event};
use flotilla_backend::scheduler::ScheduleSpec;
use flotilla_backend::{ClusterDetails, Credentials, Database, NewCluster, SecretKey, ServiceSettings, Services};
use flotilla_domain::schedule::Schedule;
use flotilla_domain::workload::{PlacementRule, WorkloadForm, validate};
use flotilla_sim::{FleetSpec, SimOptions};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const ADMIN_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

struct Replica {
    name: &'static str,
    child: Child,
    url: String,
}

fn details(name: &str) -> ClusterDetails {
    ClusterDetails {
        display_name: name.into(),
        provider: flotilla_domain::Provider::OnPrem,
        region: "local".into(),
        environment: "test".into(),
        labels: vec![],
        control_plane_price_per_hour: 0.0,
        location: None,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Env {
    db_url: String,
    key: String,
    dir: tempfile::TempDir,
}

impl Env {
    fn start(&self, name: &'static str) -> Replica {
        let port = free_port();
        let data = self.dir.path().join(name);
        std::fs::create_dir_all(&data).unwrap();
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log"))).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
            .arg("serve")
            .env("FLOTILLA_ADDR", format!("127.0.0.1:{port}"))
            .env("FLOTILLA_DATABASE_URL", &self.db_url)
            .env("FLOTILLA_SECRET_KEY", &self.key)
            .env("FLOTILLA_DATA_DIR", &data)
            .env("FLOTILLA_SITE_ROOT", &data)
            .env("FLOTILLA_LOCAL_LOGIN", "true")
            .env("FLOTILLA_SCHEDULER_INTERVAL_SECS", "1")
            .env("FLOTILLA_PROBE_INTERVAL_SECS", "1")
            .env("FLOTILLA_SHUTDOWN_GRACE_SECS", "2")
            .env("FLOTILLA_LOG_FORMAT", "json")
            .env("FLOTILLA_REPLICA", format!("{name}-{port}"))
            .env_remove("DATABASE_URL")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("the flotilla binary starts");
        Replica { name, child, url: format!("http://127.0.0.1:{port}") }
    }

    fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }
}

async fn healthy(env: &Env, r: &Replica) {
    let client = reqwest::Client::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(res) = client.get(format!("{}/healthz", r.url)).send().await
            && res.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{} did not become healthy:\n{}", r.name, env.log(r.name));
}

/// Stops a replica with SIGTERM (graceful: in-flight requests drain) and waits for it.
fn stop(r: &mut Replica) {
    Command::new("kill").arg("-TERM").arg(r.child.id().to_string()).status().unwrap();
    let start = Instant::now();
    while r.child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(15), "{} did not stop on SIGTERM", r.name);
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn holder(db: &Database, name: &str) -> Option<String> {
    lease::Entity::find().filter(lease::Column::Name.eq(name)).one(db.conn()).await.unwrap().map(|l| l.holder)
}

/// Waits until the scheduler's lease has been renewed `passes` times (each pass of the leader
/// renews it): "nothing happened twice" is checked after passes that could have done it, not
/// after a time that a busy machine may not reach.
async fn scheduler_passes(db: &Database, passes: usize) {
    let expiry = || async { lease::Entity::find().filter(lease::Column::Name.eq("scheduler")).one(db.conn()).await.unwrap().map(|l| l.expires_at) };
    let (mut last, mut seen, start) = (expiry().await, 0, Instant::now());
    while seen < passes {
        assert!(start.elapsed() < Duration::from_secs(60), "the scheduler made {seen} of {passes} passes in 60 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = expiry().await;
        if now.is_some() && now != last {
            seen += 1;
            last = now;
        }
    }
}

async fn deployed_events(db: &Database, workload: i64) -> u64 {
    schedule_event::Entity::find().filter(schedule_event::Column::WorkloadId.eq(workload)).filter(schedule_event::Column::Action.eq("deployed")).count(db.conn()).await.unwrap()
}

async fn exec(db: &Database, sql: &str) {
    let backend = db.conn().get_database_backend();
    db.conn().execute_raw(Statement::from_string(backend, sql.to_owned())).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_share_sessions_and_hand_over_the_scheduler() {
    let admin_url = std::env::var("FLOTILLA_TEST_POSTGRES").unwrap_or_else(|_| ADMIN_POSTGRES.to_owned());
    let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is needed for this test: {e}"));
    let name = format!("flotilla_failover_{}", std::process::id());
    exec(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    exec(&admin, &format!("CREATE DATABASE {name}")).await;
    let db_url = format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0);
    let db = Database::connect(&db_url).await.unwrap();
    db.migrate().await.unwrap();

    // One simulated cluster, registered as an operator would, sealed with the replicas' key.
    let key = SecretKey::generate();
    let fleet = flotilla_sim::start(FleetSpec::small(), SimOptions { pod_start_delay: Duration::from_millis(50), ..Default::default() }).await.unwrap();
    // Built as the replicas build theirs (`Services::build`), to set the scene.
    let services = Services::build(db.clone(), key.clone(), ServiceSettings::new("setup"));
    let kubeconfig = fleet.kubeconfig_yaml();
    let alpha = &fleet.clusters()[0].name;
    let creds = Credentials::from_kubeconfig(&kubeconfig, alpha).unwrap();
    let cluster = services.clusters.register(NewCluster { name: flotilla_domain::Dns1123Label::parse(alpha).unwrap(), details: details(alpha) }, Some(&creds)).await.unwrap().id;

    // People, and a workload whose one-off window opens in 25 s.
    let project = services.people.ensure_project(&flotilla_domain::Dns1123Label::parse("team-a").unwrap(), "Team A").await.unwrap();
    services.projects.open_for_setup(project, cluster).await.unwrap();
    let bob = services.people.ensure_user("bob@example.test", "Bob", false).await.unwrap();
    services.accounts.create_local("alice@example.test", "Alice", "correct horse battery staple", true).await.unwrap();
    let spec = validate(&WorkloadForm {
        project: "team-a".into(),
        name: "nightly".into(),
        image: "example/report:1".into(),
        replicas: "1".into(),
        cpu_request: "100m".into(),
        memory_request: "64Mi".into(),
        placement: PlacementRule::Clusters(vec![cluster]),
        ..Default::default()
    })
    .unwrap();
    let workloads = services.workloads.clone();
    let id = workloads.insert(project, bob, "bob@example.test", &spec, &[]).await.unwrap();
    let opens = Utc::now() + ChronoDuration::seconds(25);
    let window = Schedule::Once { start_ms: opens.timestamp_millis(), end_ms: (opens + ChronoDuration::hours(1)).timestamp_millis() };
    services.scheduler.set(id, &ScheduleSpec { schedule: window, ..Default::default() }).await.unwrap();

    let env = Env { db_url, key: key.to_text(), dir: tempfile::tempdir().unwrap() };
    let mut a = env.start("replica-a");
    healthy(&env, &a).await;
    let mut b = env.start("replica-b");
    healthy(&env, &b).await;

    // A session started on replica A works on replica B.
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login = client
        .post(format!("{}/auth/local", a.url))
        .header("origin", &a.url)
        .form(&[("email", "alice@example.test"), ("password", "correct horse battery staple"), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303, "{}", login.text().await.unwrap_or_default());
    let cookie = login.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let on_b = client.get(format!("{}/api/v1/projects", b.url)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(on_b.status(), 200, "the session from replica A is valid on replica B");
    assert!(on_b.text().await.unwrap().contains("team-a"));

    // Exactly one replica holds the scheduler's lease; kill it before the window opens.
    let start = Instant::now();
    let leader = loop {
        if let Some(h) = holder(&db, "scheduler").await {
            break h;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "nobody took the scheduler lease");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let (dead, survivor) = if leader.starts_with("replica-a-") { (&mut a, &b) } else { (&mut b, &a) };
    assert!(leader.starts_with(dead.name), "{leader}");
    assert!(Utc::now() < opens - ChronoDuration::seconds(3), "the replicas took too long to start for this test's window");
    dead.child.kill().unwrap();
    dead.child.wait().unwrap();
    let killed = Instant::now();
    loop {
        if holder(&db, "scheduler").await.is_some_and(|h| h.starts_with(survivor.name)) {
            break;
        }
        assert!(killed.elapsed() < Duration::from_secs(10), "{} did not take over the scheduler within 10 s", survivor.name);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let took_over = killed.elapsed();

    // The window opens: the survivor deploys it, exactly once, and its deployer applies it.
    let wait = Instant::now();
    while deployed_events(&db, id).await == 0 {
        assert!(wait.elapsed() < Duration::from_secs(40), "the window opened but nothing was deployed:\n{}", env.log(survivor.name));
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let wait = Instant::now();
    loop {
        let w = workloads.get(id).await.unwrap();
        if w.deployments.iter().any(|d| d.applied_revision > 0) {
            break;
        }
        assert!(wait.elapsed() < Duration::from_secs(20), "the surviving replica's deployer did not apply it: {:?}", w.deployments);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    scheduler_passes(&db, 3).await;
    assert_eq!(deployed_events(&db, id).await, 1, "the window fired exactly once");
    assert_eq!(workloads.get(id).await.unwrap().deployments.len(), 1);

    // Restart both: the killed one comes back, then both stop gracefully and start again.
    let dead_name = dead.name;
    *dead = env.start(dead_name);
    healthy(&env, dead).await;
    stop(&mut a);
    stop(&mut b);
    let a2 = env.start("replica-a");
    let b2 = env.start("replica-b");
    healthy(&env, &a2).await;
    healthy(&env, &b2).await;
    let again = client.get(format!("{}/api/v1/projects", b2.url)).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(again.status(), 200, "sessions live in PostgreSQL: still signed in after restarting both");
    scheduler_passes(&db, 3).await;
    assert_eq!(deployed_events(&db, id).await, 1, "nothing fired twice after the restart");
    let w = workloads.get(id).await.unwrap();
    assert_eq!(w.deployments.len(), 1, "the workload and its deployment are kept");
    assert!(holder(&db, "scheduler").await.is_some_and(|h| h.starts_with("replica-")), "one of the restarted replicas leads");
    eprintln!("scheduler handed over {took_over:?} after the leader was killed");

    for mut r in [a2, b2] {
        stop(&mut r);
    }
    fleet.shutdown().await;
    drop(db);
    exec(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
}
