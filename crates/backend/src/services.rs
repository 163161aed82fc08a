//! The one assembly of the backend: every service built once, from a database, the key that
//! seals secrets and [`ServiceSettings`]. `flotilla serve`, `flotilla demo`, the black-box
//! tests and the backend tests' helpers all build their services here, so what a test runs is
//! what production runs.
use crate::workloads::capacity::Capacities;
use crate::{
    AccessControl, Accounts, AllowedNetworks, ApiTokens, AuditLog, Budgets, Cache, Caller, ClusterDirectory, Collector, CollectorSettings, Dashboards, Database, Identities, Ledger, LinkByEmail,
    OidcClient, PeopleDirectory, Prices, Projects, SecretKey, SessionPolicy, Sessions, Snapshots, SsoRecheck, Topic, WorkloadService, Workloads, scheduler::Scheduler,
};

/// What the services need besides the database and the key.
#[derive(Clone, Debug)]
pub struct ServiceSettings {
    /// Names this replica in the leases of singleton work (`Settings::replica`).
    pub replica: String,
    /// The embedded demo: sessions may be started by one click on a demo account.
    pub demo: bool,
    /// How long sessions last.
    pub sessions: SessionPolicy,
    /// Single sign-on through an OpenID Connect provider, when configured.
    pub oidc: Option<OidcClient>,
    /// When a first SSO sign-in may join an existing account with the same e-mail.
    pub link_by_email: LinkByEmail,
    /// SSO sessions are re-confirmed with the provider this often.
    pub recheck: chrono::Duration,
    /// Group-derived grants lapse after this long without the provider confirming them.
    pub group_grant_ttl: chrono::Duration,
    /// The networks besides public addresses that budget webhooks may reach.
    pub webhooks: AllowedNetworks,
    /// How often the collector probes clusters and reads their metrics.
    pub collector: CollectorSettings,
}

impl ServiceSettings {
    /// The defaults of `flotilla serve` without a configuration file, for this replica.
    pub fn new(replica: impl Into<String>) -> Self {
        Self {
            replica: replica.into(),
            demo: false,
            sessions: SessionPolicy::default(),
            oidc: None,
            link_by_email: LinkByEmail::Verified,
            recheck: chrono::Duration::minutes(15),
            group_grant_ttl: chrono::Duration::days(crate::access::GROUP_GRANT_DAYS),
            webhooks: AllowedNetworks::default(),
            collector: CollectorSettings::default(),
        }
    }
}

/// Every backend service, each built once and shared by the pages, the REST API, the
/// scheduler and the background loops (cloning one copies reference counts).
#[derive(Clone, Debug)]
pub struct Services {
    pub db: Database,
    /// The registered clusters and their sealed credentials.
    pub clusters: ClusterDirectory,
    /// The live inventory of every registered cluster.
    pub collector: Collector,
    /// Utilisation history (heatmaps).
    pub snapshots: Snapshots,
    pub people: PeopleDirectory,
    /// The price catalogue (instance type → hourly price) and per-node prices.
    pub prices: Prices,
    /// The records of registered workloads and their deployment to clusters.
    pub workloads: Workloads,
    /// The hourly cost ledger and cost reports.
    pub ledger: Ledger,
    /// Project budgets, their alerts and in-app notifications.
    pub budgets: Budgets,
    /// People's dashboards and the defaults published for roles.
    pub dashboards: Dashboards,
    /// Scheduled and low-priority workloads.
    pub scheduler: Scheduler,
    /// Projects: creation, the clusters opened to them, members, priority grants.
    pub projects: Projects,
    /// The workload use-cases every server function, REST route and the scheduler share.
    pub workload_service: WorkloadService,
    /// The placement inputs (clusters opened to a project, its quota there, prices) that
    /// registration and the scheduler share.
    pub capacities: Capacities,
    pub audit: AuditLog,
    pub access: AccessControl,
    /// Single sign-on identities and the accounts they reach.
    pub identities: Identities,
    /// Re-confirms SSO sessions with the provider.
    pub recheck: SsoRecheck,
    pub accounts: Accounts,
    pub sessions: Sessions,
    pub tokens: ApiTokens,
    /// Who is behind a session cookie or API token (keyed by its digest), kept briefly so a
    /// request costs no database round trip; any change to access drops them.
    pub callers: Cache<String, Caller>,
    /// The embedded demo: demo hints and one-click demo accounts on the login page.
    pub demo: bool,
    /// Names this replica in the leases of singleton work.
    pub replica: String,
    /// The key that seals cluster credentials and webhook addresses.
    pub key: SecretKey,
}

impl Services {
    /// Builds every service once. Nothing runs yet: the caller starts the background loops.
    pub fn build(db: Database, key: SecretKey, settings: ServiceSettings) -> Self {
        let clusters = ClusterDirectory::new(db.clone(), key.clone());
        let collector = Collector::new(settings.collector);
        let prices = Prices::new(db.clone());
        let ledger = Ledger::new(db.clone(), prices.clone(), clusters.clone());
        let workloads = Workloads::new(db.clone(), clusters.clone()).with_collector(collector.clone());
        let people = PeopleDirectory::new(db.clone());
        let audit = AuditLog::new(db.clone());
        let projects = Projects::new(db.clone(), people.clone(), clusters.clone(), audit.clone());
        let access = AccessControl::new(db.clone()).with_group_grant_ttl(settings.group_grant_ttl);
        let identities = Identities::new(db.clone(), audit.clone(), settings.link_by_email);
        let sessions = Sessions::new(db.clone(), settings.sessions, key.clone(), settings.demo);
        let recheck = SsoRecheck::new(settings.oidc, sessions.clone(), identities.clone(), access.clone(), audit.clone(), settings.recheck);
        let capacities = Capacities::new(collector.clone(), ledger.clone(), workloads.clone(), projects.clone());
        let scheduler = Scheduler::new(db.clone(), workloads.clone(), capacities.clone(), &settings.replica);
        let workload_service = WorkloadService::new(workloads.clone(), capacities.clone(), projects.clone(), people.clone(), scheduler.clone(), audit.clone());
        Self {
            budgets: Budgets::new(db.clone(), key.clone(), ledger.clone(), settings.webhooks),
            dashboards: Dashboards::new(db.clone()),
            snapshots: Snapshots::new(db.clone()),
            accounts: Accounts::new(db.clone()),
            tokens: ApiTokens::new(db.clone()),
            callers: Cache::new(&db, Topic::Access),
            scheduler,
            projects,
            workload_service,
            capacities,
            ledger,
            workloads,
            clusters,
            collector,
            people,
            prices,
            audit,
            access,
            identities,
            recheck,
            sessions,
            demo: settings.demo,
            replica: settings.replica,
            key,
            db,
        }
    }
}
