//! Starting the portal: database, state, listener, and a graceful stop on SIGTERM.
use crate::{config::Settings, demo_fleet, metrics::HttpMetrics, router::router};
use app::state::{AppState, SignIn};
use flotilla_backend::{Accounts, AuditLog, Database, DbError, OidcClient, OidcSettings, SessionPolicy, demo};
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

pub async fn run(settings: Settings, demo_mode: bool) -> Result<(), StartError> {
    let db = Database::connect(&settings.database_url).await?;
    db.migrate().await?;
    if demo_mode {
        demo::seed(&db).await?;
    }
    // Kept alive until the server stops; dropping it stops the simulated clusters.
    let _fleet = if demo_mode && settings.demo_fleet {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| StartError::DataDir(settings.data_dir.clone(), e))?;
        let kubeconfig = std::path::Path::new(&settings.data_dir).join("demo-fleet.kubeconfig");
        Some(demo_fleet::start(&db, &kubeconfig).await?)
    } else {
        None
    };
    let listener = TcpListener::bind(settings.addr).await.map_err(|source| StartError::Bind { addr: settings.addr, source })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    let leptos_options = LeptosOptions::builder()
        .output_name("flotilla")
        .site_root(settings.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .build();
    let sign_in = sign_in_config(&settings, addr)?;
    let policy = SessionPolicy {
        idle: chrono::Duration::minutes(settings.session_idle_minutes.into()),
        absolute: chrono::Duration::hours(settings.session_absolute_hours.into()),
    };
    let state = AppState::new(leptos_options, db.clone(), demo_mode, sign_in, policy);
    let app = router(state, HttpMetrics::default()).into_make_service_with_connect_info::<std::net::SocketAddr>();

    tracing::info!(database = db.backend_name(), "Flotilla is listening on http://{addr}");
    if demo_mode {
        announce_demo(addr);
    }
    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal(grace))
        .await
        .map_err(StartError::Serve)?;
    tracing::info!("Flotilla stopped");
    Ok(())
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
            })
            .map_err(StartError::Oidc)?;
            client.discover_in_background();
            Some(client)
        }
        None => None,
    };
    Ok(SignIn { oidc, local: settings.local_login, secure_cookies: public_url.starts_with("https://") })
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
