//! The portal's configuration: one typed struct from `flotilla.toml` and `FLOTILLA_*` variables.
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port (its address is logged).
    pub addr: SocketAddr,
    /// `sqlite://path` (default, embedded) or `postgres://user@host/db`. Also read from `DATABASE_URL`.
    pub database_url: String,
    /// Where the built site (`pkg/` with the wasm, js and css) lives.
    pub site_root: String,
    /// `human` (default) or `json` log lines.
    pub log_format: LogFormat,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// Where `flotilla demo` keeps files besides the database (the demo fleet's kubeconfig).
    pub data_dir: String,
    /// Whether `flotilla demo` starts and registers the simulated fleet.
    pub demo_fleet: bool,
    /// The address people use to reach the portal (e.g. `https://flotilla.example.com`);
    /// default `http://<listening address>`. An `https` URL makes session cookies `Secure`.
    pub public_url: Option<String>,
    /// Whether e-mail + password accounts may sign in (`flotilla admin create`).
    pub local_login: bool,
    /// A session nobody used for this long ends.
    pub session_idle_minutes: u32,
    /// Every session ends this long after sign-in.
    pub session_absolute_hours: u32,
    /// OpenID Connect issuer URL; single sign-on is on when this is set.
    pub oidc_issuer: Option<String>,
    pub oidc_client_id: String,
    pub oidc_client_secret: Secret,
    /// Space-separated scopes asked for.
    pub oidc_scopes: String,
    pub oidc_email_claim: String,
    pub oidc_name_claim: String,
    /// A claim name or a dotted path into nested claims (`realm_access.roles`).
    pub oidc_groups_claim: String,
    /// Match Keycloak-style full group paths (`/org/team-a-devs`) on their last segment.
    pub oidc_groups_last_segment: bool,
    /// `verified` (default): a first sign-in joins an existing account with the same e-mail
    /// only when the provider verified it; `never`: administrators link by hand.
    pub oidc_link_by_email: flotilla_backend::LinkByEmail,
    /// SSO sessions are re-confirmed with the provider this often.
    /// Fractions work (`0.1` is six seconds).
    pub oidc_recheck_minutes: f64,
    /// Group-derived grants lapse after this many days without the provider confirming them.
    pub oidc_group_grant_days: u32,
    /// Proxies (CIDRs) whose `X-Forwarded-For` names the client's address; empty: none.
    pub trusted_proxies: flotilla_backend::AllowedNetworks,
    /// The key that seals cluster credentials at rest: 32 bytes as base64 or hex
    /// (`flotilla keys generate` makes one). Replicas must share it.
    pub secret_key: Secret,
    /// A file holding the key instead; default `<data_dir>/secret.key`, created when missing.
    pub secret_key_file: Option<String>,
    /// Seconds between health probes of each cluster.
    pub probe_interval_secs: u64,
    /// Seconds between metrics.k8s.io polls of each cluster.
    pub metrics_interval_secs: u64,
    /// Seconds between utilisation snapshots (history, heatmaps, costs).
    pub snapshot_interval_secs: u64,
    /// Days utilisation snapshots are kept.
    pub snapshot_retention_days: u32,
    /// Seconds between scheduler passes; with several replicas the leader's leases last three
    /// times this, so another replica takes over within about that long after it dies.
    pub scheduler_interval_secs: u64,
    /// Networks budget webhooks may reach although they are not public (loopback, private,
    /// link-local, CGNAT …): a list of CIDRs, `FLOTILLA_ALLOW_PRIVATE_WEBHOOKS` comma-separated
    /// (`10.20.0.0/16,fd00::/8`). Empty (default): webhooks reach public addresses only.
    pub allow_private_webhooks: flotilla_backend::AllowedNetworks,
    /// Names this replica in the database leases of singleton work (scheduler, deployer,
    /// ledger). Default: the host name (a pod's name in Kubernetes) and the process id.
    pub replica: String,
}

/// A configuration value that must never be printed or logged.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { "[redacted]" })
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            database_url: "sqlite://data/flotilla.db".into(),
            site_root: "target/site".into(),
            log_format: LogFormat::Human,
            shutdown_grace_secs: 20,
            data_dir: "data".into(),
            demo_fleet: true,
            public_url: None,
            local_login: true,
            session_idle_minutes: 8 * 60,
            session_absolute_hours: 7 * 24,
            oidc_issuer: None,
            oidc_client_id: "flotilla".into(),
            oidc_client_secret: Secret::default(),
            oidc_scopes: "openid email profile groups".into(),
            oidc_email_claim: "email".into(),
            oidc_name_claim: "name".into(),
            oidc_groups_claim: "groups".into(),
            oidc_groups_last_segment: false,
            oidc_link_by_email: flotilla_backend::LinkByEmail::Verified,
            oidc_recheck_minutes: 15.0,
            oidc_group_grant_days: 7,
            trusted_proxies: flotilla_backend::AllowedNetworks::default(),
            secret_key: Secret::default(),
            secret_key_file: None,
            probe_interval_secs: 5,
            metrics_interval_secs: 15,
            snapshot_interval_secs: 60,
            snapshot_retention_days: 14,
            scheduler_interval_secs: 5,
            allow_private_webhooks: flotilla_backend::AllowedNetworks::default(),
            replica: format!("{}-{}", std::env::var("HOSTNAME").unwrap_or_else(|_| "flotilla".into()), std::process::id()),
        }
    }
}

/// Where `flotilla demo` keeps its data unless a database is configured.
pub const DEMO_DATABASE_URL: &str = "sqlite://data/demo.db";

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// The secret key: `secret_key` if set, else the key file (created on first use).
    pub fn load_secret_key(&self) -> Result<flotilla_backend::SecretKey, flotilla_backend::SecretError> {
        if !self.secret_key.0.is_empty() {
            return flotilla_backend::SecretKey::parse(&self.secret_key.0);
        }
        let path = self.secret_key_file.clone().unwrap_or_else(|| format!("{}/secret.key", self.data_dir));
        flotilla_backend::SecretKey::load_or_create(Path::new(&path))
    }

    /// `flotilla demo` keeps its own database unless one is configured, so a demo sign-in
    /// never lands in the portal's real database.
    pub fn for_demo(mut self) -> Self {
        if self.database_url == Self::default().database_url {
            self.database_url = DEMO_DATABASE_URL.into();
        }
        self
    }

    /// Defaults, then the TOML file (if present), then `FLOTILLA_*`, then `DATABASE_URL`.
    pub fn load(file: &Path) -> Result<Self, ConfigError> {
        Self::figment(file).extract().map_err(|e| ConfigError(e.to_string()))
    }

    fn figment(file: &Path) -> Figment {
        let mut f = Figment::from(Serialized::defaults(Settings::default())).merge(Toml::file(file)).merge(Env::prefixed("FLOTILLA_").ignore(&["config"]));
        if let Ok(url) = std::env::var("DATABASE_URL") {
            f = f.merge(Serialized::default("database_url", url));
        }
        f
    }
}

#[cfg(test)]
#[allow(clippy::field_reassign_with_default)]
mod secret_tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let mut s = Settings::default();
        s.oidc_client_secret = Secret("hunter2-very-secret".into());
        s.secret_key = Secret("c2VjcmV0LWtleS1zZWNyZXQta2V5LXNlY3JldC1rZXk=".into());
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2") && !shown.contains("c2VjcmV0"));
    }
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment's Jail closures return Result<_, figment::Error>
mod tests {
    use super::*;

    #[test]
    fn defaults_run_the_embedded_demo_on_localhost() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            let s = Settings::load(Path::new("missing.toml")).unwrap();
            assert_eq!(s, Settings::default());
            assert_eq!(s.addr.to_string(), "127.0.0.1:3000");
            assert!(s.database_url.starts_with("sqlite://"));
            Ok(())
        });
    }

    #[test]
    fn the_demo_keeps_its_own_database_unless_one_is_configured() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            let s = Settings::load(Path::new("missing.toml")).unwrap();
            assert_eq!(s.clone().for_demo().database_url, DEMO_DATABASE_URL);
            jail.set_env("FLOTILLA_DATABASE_URL", "sqlite:///srv/mine.db");
            jail.set_env("FLOTILLA_OIDC_LINK_BY_EMAIL", "never");
            jail.set_env("FLOTILLA_OIDC_RECHECK_MINUTES", "0.5");
            jail.set_env("FLOTILLA_TRUSTED_PROXIES", "10.0.0.0/8,192.168.0.0/16");
            let s = Settings::load(Path::new("missing.toml")).unwrap();
            assert_eq!(s.clone().for_demo().database_url, "sqlite:///srv/mine.db");
            assert_eq!(s.oidc_link_by_email, flotilla_backend::LinkByEmail::Never);
            assert_eq!(s.oidc_recheck_minutes, 0.5);
            assert!(s.trusted_proxies.contains("192.168.1.1".parse().unwrap()));
            Ok(())
        });
    }

    #[test]
    fn file_then_env_then_database_url_override_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.create_file("flotilla.toml", "addr = \"127.0.0.1:8080\"\nlog_format = \"json\"\ndatabase_url = \"sqlite://x.db\"")?;
            let s = Settings::load(Path::new("flotilla.toml")).unwrap();
            assert_eq!(s.addr.port(), 8080);
            assert_eq!(s.log_format, LogFormat::Json);
            assert_eq!(s.database_url, "sqlite://x.db");
            jail.set_env("FLOTILLA_ADDR", "127.0.0.1:9090");
            jail.set_env("FLOTILLA_LOG_FORMAT", "human");
            jail.set_env("DATABASE_URL", "postgres://u@h/db");
            let s = Settings::load(Path::new("flotilla.toml")).unwrap();
            assert_eq!(s.addr.port(), 9090);
            assert_eq!(s.log_format, LogFormat::Human);
            assert_eq!(s.database_url, "postgres://u@h/db");
            Ok(())
        });
    }

    #[test]
    fn private_webhook_networks_are_read_from_a_list_or_comma_separated() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            assert!(Settings::load(Path::new("none.toml")).unwrap().allow_private_webhooks.is_empty());
            jail.create_file("flotilla.toml", "allow_private_webhooks = [\"10.20.0.0/16\", \"fd00::/8\"]")?;
            let s = Settings::load(Path::new("flotilla.toml")).unwrap();
            assert_eq!(s.allow_private_webhooks.to_string(), "10.20.0.0/16, fd00::/8");
            jail.set_env("FLOTILLA_ALLOW_PRIVATE_WEBHOOKS", "127.0.0.0/8, 192.168.5.0/24");
            let s = Settings::load(Path::new("flotilla.toml")).unwrap();
            assert_eq!(s.allow_private_webhooks.to_string(), "127.0.0.0/8, 192.168.5.0/24");
            jail.set_env("FLOTILLA_ALLOW_PRIVATE_WEBHOOKS", "127.0.0.1");
            assert_eq!(Settings::load(Path::new("none.toml")).unwrap().allow_private_webhooks.to_string(), "127.0.0.1/32");
            jail.set_env("FLOTILLA_ALLOW_PRIVATE_WEBHOOKS", "10.0.0.0/8,intranet");
            let err = Settings::load(Path::new("none.toml")).unwrap_err().to_string();
            assert!(err.to_lowercase().contains("allow_private_webhooks") && err.contains("`intranet` is not a network"), "{err}");
            Ok(())
        });
    }

    #[test]
    fn bad_values_are_reported_by_name() {
        figment::Jail::expect_with(|jail| {
            jail.clear_env();
            jail.set_env("FLOTILLA_ADDR", "not-an-address");
            let err = Settings::load(Path::new("none.toml")).unwrap_err().to_string();
            assert!(err.contains("addr"), "{err}");
            Ok(())
        });
    }
}
