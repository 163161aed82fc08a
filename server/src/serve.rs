//! Starting the portal: the one assembly (`Application`: database, services, state, router,
//! listener), its background loops, and a graceful stop on SIGTERM.
use crate::{config::Settings, demo_fleet, metrics::HttpMetrics, router::router};
use app::state::{AppState, SignIn};
use flotilla_backend::{Accounts, AuditLog, Collector, CollectorSettings, Database, DbError, Ledger, OidcClient, OidcSettings, SecretKey, ServiceSettings, Services, SessionPolicy, demo};
use leptos::config::LeptosOptions;
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("could not seed the demo data: {0}")]
    Demo(#[from] demo::DemoError),
    #[error(transparent)]
    DemoFleet(#[from] demo_fleet::DemoFleetError),
    #[error("cannot create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("cannot listen on {addr}: {source} (is another program using the port? set FLOTILLA_ADDR)")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
    #[error("single sign-on is misconfigured: {0}")]
    Oidc(flotilla_backend::OidcError),
    #[error("could not create the account: {0}")]
    Account(#[from] flotilla_backend::AccountError),
    #[error("the secret key for cluster credentials cannot be loaded: {0}")]
    SecretKey(#[from] flotilla_backend::SecretError),
    #[error(transparent)]
    Fleet(#[from] flotilla_backend::FleetError),
    #[error("cannot prepare the price catalogue: {0}")]
    Prices(#[from] flotilla_backend::PriceError),
    #[error("cannot re-seal the budget webhooks: {0}")]
    Budget(String),
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

pub async fn migrate(settings: &Settings, down: bool) -> Result<(), StartError> {
    let db = Database::connect(&settings.database_url).await?;
    if down {
        db.migrate_down().await?;
        tracing::info!("all migrations reverted");
    } else {
        db.migrate().await?;
        tracing::info!("database is up to date");
    }
    Ok(())
}

/// Which portal to start: `flotilla serve` (the database as it is) or `flotilla demo` (demo
/// people, projects and, when `demo_fleet` is on, the simulated fleet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Serve,
    Demo,
}

/// The portal, assembled once: `flotilla serve`, `flotilla demo` and the tests all start it
/// here. [`Application::build`] prepares the database, builds every service
/// (`Services::build`), the state and the router, and binds the listener;
/// [`Application::run_until_stopped`] starts the background loops and serves until SIGTERM.
pub struct Application {
    settings: Settings,
    mode: Mode,
    listener: TcpListener,
    addr: std::net::SocketAddr,
    state: AppState,
    metrics: HttpMetrics,
    /// Kept alive until the portal stops; dropping it stops the simulated clusters.
    _fleet: Option<flotilla_sim::RunningFleet>,
}

impl Application {
    pub async fn build(settings: Settings, mode: Mode) -> Result<Self, StartError> {
        let db = Database::connect(&settings.database_url).await?;
        db.migrate().await?;
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| StartError::DataDir(settings.data_dir.clone(), e))?;
        let key = settings.load_secret_key()?;
        let listener = TcpListener::bind(settings.addr).await.map_err(|source| StartError::Bind { addr: settings.addr, source })?;
        let addr = listener.local_addr().map_err(StartError::Serve)?;
        let sign_in = sign_in_config(&settings, addr)?;
        let services = Services::build(db.clone(), key, service_settings(&settings, mode, sign_in.oidc.clone()));
        // The default price table for common cloud instance types; edited prices are kept.
        let added = services.prices.seed_defaults().await?;
        if added > 0 {
            tracing::info!(added, "default prices added to the price catalogue");
        }
        if mode == Mode::Demo {
            demo::seed(&db).await?;
        }
        let fleet = if mode == Mode::Demo && settings.demo_fleet {
            let kubeconfig = std::path::Path::new(&settings.data_dir).join("demo-fleet.kubeconfig");
            Some(demo_fleet::start(&db, &services.clusters, &kubeconfig).await?)
        } else {
            None
        };
        services.collector.sync(&services.clusters).await?;
        let leptos_options = LeptosOptions::builder().output_name("flotilla").site_root(settings.site_root.as_str()).site_pkg_dir("pkg").site_addr(addr).build();
        let mut state = AppState::new(leptos_options, services, sign_in);
        if let Some(fleet) = &fleet {
            demo::open_demo_clusters(&db, &state.clusters).await?;
            demo::seed_scheduled_work(&db, &state.workloads, &state.scheduler, &state.clusters).await?;
            state = state.with_demo_burst(demo_burst(fleet));
        }
        Ok(Self { settings, mode, listener, addr, state, metrics: HttpMetrics::default(), _fleet: fleet })
    }

    /// Where the portal listens (port 0 in the settings picks a free one).
    pub fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The portal's routes, for serving or for calling in-process.
    pub fn router(&self) -> axum::Router {
        router(self.state.clone(), self.metrics.clone())
    }

    /// Starts the background loops and serves until SIGTERM or Ctrl-C.
    pub async fn run_until_stopped(self) -> Result<(), StartError> {
        let Self { settings, mode, listener, addr, state, metrics, _fleet } = self;
        spawn_background(&settings, mode, &state, &metrics);
        let app = router(state.clone(), metrics).into_make_service_with_connect_info::<std::net::SocketAddr>();
        tracing::info!(database = state.db.backend_name(), "Flotilla is listening on http://{addr}");
        if mode == Mode::Demo {
            announce_demo(addr);
        }
        let grace = Duration::from_secs(settings.shutdown_grace_secs);
        axum::serve(listener, app).with_graceful_shutdown(shutdown_signal(grace)).await.map_err(StartError::Serve)?;
        tracing::info!("Flotilla stopped");
        Ok(())
    }
}

pub async fn run(settings: Settings, mode: Mode) -> Result<(), StartError> {
    Application::build(settings, mode).await?.run_until_stopped().await
}

/// The services' part of the settings.
pub fn service_settings(settings: &Settings, mode: Mode, oidc: Option<OidcClient>) -> ServiceSettings {
    ServiceSettings {
        replica: settings.replica.clone(),
        demo: mode == Mode::Demo,
        sessions: SessionPolicy { idle: chrono::Duration::minutes(settings.session_idle_minutes.into()), absolute: chrono::Duration::hours(settings.session_absolute_hours.into()) },
        oidc,
        link_by_email: settings.oidc_link_by_email,
        recheck: chrono::Duration::milliseconds((settings.oidc_recheck_minutes.max(0.05) * 60_000.0) as i64),
        group_grant_ttl: chrono::Duration::days(settings.oidc_group_grant_days.max(1).into()),
        webhooks: settings.allow_private_webhooks.clone(),
        collector: CollectorSettings {
            probe_interval: Duration::from_secs(settings.probe_interval_secs.max(1)),
            metrics_interval: Duration::from_secs(settings.metrics_interval_secs.max(1)),
            ..Default::default()
        },
    }
}

/// Singleton work (deployer, scheduler, snapshots + ledger + budget alerts) runs on the replica
/// holding its lease in the database; the others stand by and take over.
fn spawn_background(settings: &Settings, mode: Mode, state: &AppState, metrics: &HttpMetrics) {
    let db = &state.db;
    let every = Duration::from_secs(settings.scheduler_interval_secs.max(1));
    let ttl = chrono::Duration::from_std(every * 3).unwrap_or(chrono::Duration::seconds(15)).max(chrono::Duration::seconds(3));
    let lease = |name: &str, ttl| {
        let mut l = flotilla_backend::scheduler::Lease::new(db.clone(), name, &state.replica);
        l.ttl = ttl;
        l
    };
    let writer_ttl = chrono::Duration::seconds(settings.snapshot_interval_secs.max(5) as i64 * 2 + 5);
    spawn_fleet_loops(settings, state, lease("fleet-writer", writer_ttl), metrics.clone());
    if mode == Mode::Demo {
        spawn_demo_history(state.collector.clone(), state.ledger.clone());
    }
    // Carries out registered workloads on their clusters (and picks up where a restart left off).
    state.workloads.spawn_loop_leased(WORKLOAD_RECONCILE_EVERY, Some(lease("deployer", ttl)));
    // Scheduled and low-priority workloads; a lease in the database lets one replica act.
    state.scheduler.clone().with_lease_ttl(ttl).spawn_loop(every);
}

/// How often the deployer compares every workload with its clusters (changes also wake it at once).
pub const WORKLOAD_RECONCILE_EVERY: Duration = Duration::from_secs(2);

/// Background work on the fleet: re-reading the cluster directory (changes made through another
/// replica); utilisation snapshots with their retention; and beside each snapshot a sample for
/// the cost ledger, followed by the budget check — these three only on the replica holding the
/// `fleet-writer` lease.
fn spawn_fleet_loops(settings: &Settings, state: &AppState, lease: flotilla_backend::scheduler::Lease, metrics: HttpMetrics) {
    let (directory, collector, ledger, budgets, snapshots) = (state.clusters.clone(), state.collector.clone(), state.ledger.clone(), state.budgets.clone(), state.snapshots.clone());
    let resync = collector.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = resync.sync(&directory).await {
                tracing::warn!("could not re-read the cluster directory: {e}");
            }
        }
    });
    let every = Duration::from_secs(settings.snapshot_interval_secs.max(5));
    let keep = chrono::Duration::days(settings.snapshot_retention_days.max(1).into());
    tokio::spawn(async move {
        // The first snapshot soon after start (clusters listed by then), then one per interval.
        tokio::time::sleep(Duration::from_secs(10).min(every)).await;
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let now = chrono::Utc::now();
            if !lease.held(now).await {
                continue;
            }
            match snapshots.record(&collector, now).await {
                Ok(rows) => tracing::debug!(rows, "utilisation snapshot saved"),
                Err(e) => tracing::warn!("could not save the utilisation snapshot: {e}"),
            }
            let length = chrono::Duration::from_std(every.min(Duration::from_secs(3600))).unwrap_or(chrono::Duration::minutes(1));
            if let Err(e) = ledger.sample(&collector, now, length).await {
                tracing::warn!("could not add to the cost ledger: {e}");
            }
            match budgets.check(now).await {
                Ok(fired) => fired.iter().for_each(|f| tracing::info!(project = %f.project, threshold = f.threshold, "budget alert: {}", f.text)),
                Err(e) => tracing::warn!("could not check the budgets: {e}"),
            }
            if let Err(e) = snapshots.prune(keep).await {
                tracing::warn!("could not prune old utilisation snapshots: {e}");
            }
            metrics.pass("budget-check");
        }
    });
}

/// How long the demo's "Simulate a burst" button loads a simulated cluster.
const DEMO_BURST: std::time::Duration = std::time::Duration::from_secs(10 * 60);

fn demo_burst(fleet: &flotilla_sim::RunningFleet) -> app::state::DemoBurst {
    let clusters = fleet.clusters().to_vec();
    app::state::DemoBurst(std::sync::Arc::new(move |name: &str| clusters.iter().find(|c| c.name == name).map(|c| c.burst_to(0.97, DEMO_BURST))))
}

/// The demo's cost history: once the simulated clusters are listed, an empty ledger gets two weeks
/// of hourly samples of the fleet as it is now (two weeks, so "this period vs last" has a last
/// period), so cost pages have something to show.
fn spawn_demo_history(collector: Collector, ledger: Ledger) {
    tokio::spawn(async move {
        for _ in 0..60 {
            if !collector.states().is_empty() && collector.states().iter().all(|s| s.synced) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        match ledger.backfill_demo(&collector, 14 * 24).await {
            Ok(0) => {}
            Ok(hours) => tracing::info!(hours, "demo cost history added to the empty ledger"),
            Err(e) => tracing::warn!("could not add the demo cost history: {e}"),
        }
    });
}

/// `flotilla keys rotate`: re-seals every cluster's credentials under a new key, in one
/// transaction. Afterwards configure the new key (FLOTILLA_SECRET_KEY or the key file).
pub async fn rotate_key(settings: &Settings, new: &SecretKey) -> Result<usize, StartError> {
    let db = Database::connect(&settings.database_url).await?;
    db.migrate().await?;
    let old = settings.load_secret_key()?;
    let services = Services::build(db, old.clone(), service_settings(settings, Mode::Serve, None));
    let n = services.clusters.rotate_key(new).await?;
    let hooks = services.budgets.rotate_key(new).await.map_err(|e| StartError::Budget(e.to_string()))?;
    tracing::info!(webhooks = hooks, "budget webhooks re-sealed");
    if let Err(e) = services.audit.record("cli", "secret-key.rotated", "portal", &format!("{n} clusters re-sealed; key {} → {}", old.fingerprint(), new.fingerprint())).await {
        tracing::warn!("could not audit the key rotation: {e}");
    }
    Ok(n)
}

/// Single sign-on (when an issuer is configured; discovery keeps retrying in the
/// background) and local accounts, as the settings say.
pub fn sign_in_config(settings: &Settings, addr: std::net::SocketAddr) -> Result<SignIn, StartError> {
    let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
    let public_url = public_url.trim_end_matches('/').to_owned();
    let oidc = match &settings.oidc_issuer {
        Some(issuer) => {
            let client = OidcClient::new(OidcSettings {
                issuer: issuer.clone(),
                client_id: settings.oidc_client_id.clone(),
                client_secret: settings.oidc_client_secret.0.clone(),
                redirect_url: format!("{public_url}/auth/callback"),
                post_logout_url: format!("{public_url}/login?signed_out=1"),
                scopes: settings.oidc_scopes.split_whitespace().map(str::to_owned).collect(),
                email_claim: settings.oidc_email_claim.clone(),
                name_claim: settings.oidc_name_claim.clone(),
                groups_claim: settings.oidc_groups_claim.clone(),
                groups_last_segment: settings.oidc_groups_last_segment,
            })
            .map_err(StartError::Oidc)?;
            client.discover_in_background();
            Some(client)
        }
        None => None,
    };
    Ok(SignIn { oidc, local: settings.local_login, secure_cookies: public_url.starts_with("https://"), trusted_proxies: settings.trusted_proxies.clone() })
}

/// `flotilla admin create`: a local administrator, password from the environment or stdin.
pub async fn create_admin(settings: &Settings, email: &str, name: &str) -> Result<(), StartError> {
    let password = match std::env::var("FLOTILLA_ADMIN_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            eprintln!("Password for {email} (at least {} characters), then Enter:", flotilla_backend::accounts::MIN_PASSWORD_LEN);
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(StartError::Serve)?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let db = Database::connect(&settings.database_url).await?;
    db.migrate().await?;
    let id = Accounts::new(db.clone()).create_local(email.trim(), name, &password, true).await?;
    if let Err(e) = AuditLog::new(db).record("cli", "user.admin-created", email, "flotilla admin create").await {
        tracing::warn!("could not audit the new administrator: {e}");
    }
    println!("Administrator {email} (user {id}) can now sign in with a password.");
    Ok(())
}

fn announce_demo(addr: std::net::SocketAddr) {
    let mut text = format!("\n  Flotilla demo is running: http://{addr}\n\n  Demo accounts (one click on the login page):\n");
    for a in demo::DEMO_ACCOUNTS {
        text.push_str(&format!("    {:<6} {}\n", a.login, a.summary));
    }
    println!("{text}");
}

/// Resolves on SIGTERM or Ctrl-C; after that, in-flight requests get `grace` to finish.
async fn shutdown_signal(grace: Duration) {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("stopping: finishing requests in flight (up to {}s)", grace.as_secs());
    tokio::spawn(async move {
        tokio::time::sleep(grace).await;
        tracing::warn!("grace period over; exiting");
        std::process::exit(0);
    });
}
