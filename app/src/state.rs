//! The server-side state every page and server function reaches through context.
use axum::extract::FromRef;
use flotilla_backend::{
    AccessControl, Accounts, AllowedNetworks, ApiTokens, AuditLog, Budgets, Cache, Caller, ClusterDirectory, Collector, Database, Ledger, OidcClient, PeopleDirectory, Prices, SecretKey,
    SessionPolicy, Sessions, Snapshots, Topic, Workloads,
};
use leptos::prelude::*;

use crate::error::AppError;

/// How people sign in to this portal.
#[derive(Clone, Debug)]
pub struct SignIn {
    /// Single sign-on through an OpenID Connect provider, when configured.
    pub oidc: Option<OidcClient>,
    /// E-mail + password accounts (`flotilla admin create`).
    pub local: bool,
    /// Session cookies carry `Secure` (the portal is reached over https).
    pub secure_cookies: bool,
    /// When a first SSO sign-in may join an existing account with the same e-mail.
    pub link_by_email: flotilla_backend::LinkByEmail,
    /// SSO sessions are re-confirmed with the provider this often (`oidc_recheck_minutes`).
    pub recheck: chrono::Duration,
    /// Group-derived grants lapse after this long without the provider confirming them.
    pub group_grant_ttl: chrono::Duration,
    /// Proxies whose `X-Forwarded-For` is believed (`trusted_proxies`).
    pub trusted_proxies: AllowedNetworks,
}

impl SignIn {
    /// Local accounts only, with the default rules (tests, `flotilla serve` without SSO).
    pub fn local_only() -> Self {
        Self {
            oidc: None,
            local: true,
            secure_cookies: false,
            link_by_email: flotilla_backend::LinkByEmail::Verified,
            recheck: chrono::Duration::minutes(15),
            group_grant_ttl: chrono::Duration::days(flotilla_backend::access::GROUP_GRANT_DAYS),
            trusted_proxies: AllowedNetworks::default(),
        }
    }
}

/// What the portal needs to reach clusters: the key that seals their credentials and the collector.
#[derive(Clone, Debug)]
pub struct Fleet {
    pub key: SecretKey,
    pub collector: Collector,
}

/// The demo's "simulate a burst" control: runs a simulated cluster at about 97 % CPU for ten
/// minutes. Returns the factor its usage was multiplied by, or `None` for a cluster the
/// simulator does not run.
#[derive(Clone)]
pub struct DemoBurst(pub std::sync::Arc<BurstFn>);

/// Loads the named simulated cluster; `None` for a cluster the simulator does not run.
pub type BurstFn = dyn Fn(&str) -> Option<f64> + Send + Sync;

impl std::fmt::Debug for DemoBurst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoBurst")
    }
}

/// Everything a request may reach, shared: cloning an `AppState` (which axum, the guard and
/// Leptos's context do several times per request) copies one pointer. It once copied the ~30
/// services and their ~100 reference counts each time, which on two cores was most of a REST
/// request's CPU (BENCHMARKS.md, load).
#[derive(Clone, Debug)]
pub struct AppState(std::sync::Arc<Services>);

impl std::ops::Deref for AppState {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The services behind [`AppState`].
#[derive(Clone, Debug)]
pub struct Services {
    pub leptos_options: LeptosOptions,
    pub db: Database,
    pub clusters: ClusterDirectory,
    /// The live inventory of every registered cluster.
    pub collector: Collector,
    /// Utilisation history (heatmaps).
    pub snapshots: Snapshots,
    pub people: PeopleDirectory,
    /// The price catalogue (instance type → hourly price) and per-node prices.
    pub prices: Prices,
    /// Self-service workloads and their deployment to clusters.
    pub workloads: Workloads,
    /// The hourly cost ledger and cost reports.
    pub ledger: Ledger,
    /// Project budgets, their alerts and in-app notifications.
    pub budgets: Budgets,
    /// People's dashboards and the defaults published for roles.
    pub dashboards: flotilla_backend::Dashboards,
    /// Scheduled and low-priority workloads (its loop is started by the server).
    pub scheduler: flotilla_backend::scheduler::Scheduler,
    /// Projects: creation, the clusters opened to them, members, priority grants.
    pub projects: flotilla_backend::Projects,
    /// The workload use-cases every server function, REST route and the scheduler share.
    pub workload_service: flotilla_backend::WorkloadService,
    pub audit: AuditLog,
    pub access: AccessControl,
    /// Single sign-on identities and the accounts they reach.
    pub identities: flotilla_backend::Identities,
    /// Re-confirms SSO sessions with the provider.
    pub recheck: flotilla_backend::SsoRecheck,
    pub accounts: Accounts,
    pub sessions: Sessions,
    pub tokens: ApiTokens,
    /// Who is behind a session cookie or API token (keyed by its digest), kept briefly so a
    /// request costs no database round trip; any change to access drops them.
    pub callers: Cache<String, Caller>,
    pub sign_in: SignIn,
    /// The embedded demo: demo hints and one-click demo accounts on the login page.
    pub demo: bool,
    /// Set when the demo runs its simulated fleet.
    pub demo_burst: Option<DemoBurst>,
    /// Names this replica in the leases of singleton work (host name + process id).
    pub replica: String,
}

impl AppState {
    /// `webhooks`: the networks besides public addresses that budget webhooks may reach
    /// (`allow_private_webhooks`).
    pub fn new(leptos_options: LeptosOptions, db: Database, demo: bool, sign_in: SignIn, policy: SessionPolicy, fleet: Fleet, webhooks: AllowedNetworks) -> Self {
        let clusters = ClusterDirectory::new(db.clone(), fleet.key.clone());
        let prices = Prices::new(db.clone());
        let ledger = Ledger::new(db.clone(), prices.clone(), clusters.clone());
        let workloads = Workloads::new(db.clone(), clusters.clone()).with_collector(fleet.collector.clone());
        let people = PeopleDirectory::new(db.clone());
        let audit = AuditLog::new(db.clone());
        let projects = flotilla_backend::Projects::new(db.clone(), people.clone(), clusters.clone(), audit.clone());
        let access = AccessControl::new(db.clone()).with_group_grant_ttl(sign_in.group_grant_ttl);
        let identities = flotilla_backend::Identities::new(db.clone(), audit.clone(), sign_in.link_by_email);
        let sessions = Sessions::new(db.clone(), policy, fleet.key.clone(), demo);
        let recheck = flotilla_backend::SsoRecheck::new(sign_in.oidc.clone(), sessions.clone(), identities.clone(), access.clone(), audit.clone(), sign_in.recheck);
        let capacities = flotilla_backend::workloads::capacity::Capacities::new(fleet.collector.clone(), ledger.clone(), workloads.clone(), projects.clone());
        // Names this replica in the scheduler's lease.
        let holder = format!("{}-{}", std::env::var("HOSTNAME").unwrap_or_else(|_| "flotilla".into()), std::process::id());
        let scheduler = flotilla_backend::scheduler::Scheduler::new(db.clone(), workloads.clone(), capacities.clone(), &holder);
        let workload_service = flotilla_backend::WorkloadService::new(workloads.clone(), capacities, projects.clone(), people.clone(), scheduler.clone(), audit.clone());
        Self(std::sync::Arc::new(Services {
            scheduler,
            projects,
            workload_service,
            replica: holder,
            dashboards: flotilla_backend::Dashboards::new(db.clone()),
            leptos_options,
            budgets: Budgets::new(db.clone(), fleet.key.clone(), ledger.clone(), webhooks),
            ledger,
            workloads,
            clusters,
            collector: fleet.collector,
            snapshots: Snapshots::new(db.clone()),
            people,
            prices,
            audit: audit.clone(),
            access,
            identities,
            recheck,
            accounts: Accounts::new(db.clone()),
            sessions,
            tokens: ApiTokens::new(db.clone()),
            callers: Cache::new(&db, Topic::Access),
            sign_in,
            db,
            demo,
            demo_burst: None,
        }))
    }

    /// The demo's burst control (set once at start, before the state is shared).
    pub fn with_demo_burst(mut self, burst: DemoBurst) -> Self {
        std::sync::Arc::make_mut(&mut self.0).demo_burst = Some(burst);
        self
    }

    /// The state provided to this request (server functions and SSR).
    pub fn from_context() -> Result<Self, AppError> {
        use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal("reach its own state".into())
        })
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
