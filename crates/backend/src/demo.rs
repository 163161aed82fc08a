//! The embedded demo: seeded people and projects so a newcomer sees a populated portal.
use crate::{AuditError, AuditLog, Database, PeopleDirectory, PeopleError};
use flotilla_domain::Dns1123Label;

/// A demo account as printed at start and offered on the login page in demo mode.
pub struct DemoAccount {
    pub login: &'static str,
    pub email: &'static str,
    pub display_name: &'static str,
    pub is_admin: bool,
    /// (project, role) pairs.
    pub memberships: &'static [(&'static str, &'static str)],
    pub summary: &'static str,
}

pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount { login: "alice", email: "alice@demo.flotilla.test", display_name: "Alice Admin", is_admin: true, memberships: &[], summary: "platform administrator" },
    DemoAccount { login: "bob", email: "bob@demo.flotilla.test", display_name: "Bob Builder", is_admin: false, memberships: &[("team-a", "developer")], summary: "developer in team-a" },
    DemoAccount {
        login: "carol",
        email: "carol@demo.flotilla.test",
        display_name: "Carol Owner",
        is_admin: false,
        memberships: &[("team-b", "owner"), ("team-c", "viewer")],
        summary: "owner of team-b",
    },
];

pub const DEMO_PROJECTS: &[(&str, &str)] = &[("team-a", "Team A — storefront"), ("team-b", "Team B — data platform"), ("team-c", "Team C — ML research")];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    People(#[from] PeopleError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Prices(#[from] crate::PriceError),
    #[error("could not add the demo's scheduled work: {0}")]
    Scheduled(String),
}

/// The demo's on-prem machines are in no cloud's price list: the demo prices them (an operator
/// would enter what a machine costs them per hour).
pub const DEMO_ONPREM_PRICE: (&str, f64) = ("bare-metal-8c32g", 0.30);

/// Seeds demo people and projects. Idempotent: running it twice changes nothing.
pub async fn seed(db: &Database) -> Result<(), DemoError> {
    let people = PeopleDirectory::new(db.clone());
    let mut project_ids = Vec::new();
    for (name, display) in DEMO_PROJECTS {
        let name = Dns1123Label::parse(name).expect("demo project names are valid labels");
        project_ids.push((name.to_string(), people.ensure_project(&name, display).await?));
    }
    for account in DEMO_ACCOUNTS {
        let user_id = people.ensure_user(account.email, account.display_name, account.is_admin).await?;
        for (project, role) in account.memberships {
            let (_, project_id) = project_ids.iter().find(|(n, _)| n == project).expect("demo membership names a demo project");
            people.set_member(*project_id, user_id, role).await?;
        }
    }
    let prices = crate::Prices::new(db.clone());
    let (onprem_type, onprem_price) = DEMO_ONPREM_PRICE;
    if prices.price_of(flotilla_domain::Provider::OnPrem, onprem_type).await?.is_none() {
        let entry = flotilla_domain::PriceEntry { provider: flotilla_domain::Provider::OnPrem, instance_type: onprem_type.into(), currency: "USD".into(), price_per_hour: onprem_price };
        prices.import(&[entry]).await?;
    }
    let audit = AuditLog::new(db.clone());
    if audit.recent(1).await?.is_empty() {
        audit.record("system", "demo.seeded", "portal", "demo users and projects created").await?;
    }
    Ok(())
}

/// Which demo clusters each demo project may use: team-a runs storefront services on the
/// general-purpose clusters; the data platform and ML research teams also use gpu-ml.
pub const DEMO_OPENED: &[(&str, &[&str])] =
    &[("team-a", &["tokyo-prod", "osaka-prod", "onprem-dev"]), ("team-b", &["tokyo-prod", "osaka-prod", "onprem-dev", "gpu-ml"]), ("team-c", &["tokyo-prod", "osaka-prod", "onprem-dev", "gpu-ml"])];

/// Opens the demo's clusters to the demo projects (idempotent; run once the fleet is registered).
pub async fn open_demo_clusters(db: &Database, clusters: &crate::ClusterDirectory) -> Result<(), DemoError> {
    let people = PeopleDirectory::new(db.clone());
    let projects = crate::Projects::new(db.clone(), people.clone(), clusters.clone(), AuditLog::new(db.clone()));
    let registered = clusters.list().await.map_err(|e| DemoError::Scheduled(e.to_string()))?;
    for (project, names) in DEMO_OPENED {
        let Some(p) = people.project_named(project).await? else { continue };
        for c in registered.iter().filter(|c| names.contains(&c.name.as_str())) {
            projects.open_for_setup(p.id, c.id).await.map_err(|e| DemoError::Scheduled(e.to_string()))?;
        }
    }
    Ok(())
}

/// The demo's scheduled work (seed §4.2: the idle night is used, low-priority work runs only
/// when there is room): a nightly log aggregator (movable), a weekday-night model retraining
/// scaled to zero by day, and a low-priority batch. The demo's clusters react faster than the
/// defaults (their own thresholds: bursts of 2 min, rebalancing after 3), so the "Simulate a burst" button of the Schedules page shows the
/// low-priority queue at work within minutes. Only into a demo with no schedules yet.
pub async fn seed_scheduled_work(db: &Database, workloads: &crate::Workloads, scheduler: &crate::scheduler::Scheduler, clusters: &crate::ClusterDirectory) -> Result<(), DemoError> {
    use crate::entity::workload_schedule;
    use flotilla_domain::schedule::{EVERY_DAY, Priority, Schedule, ScheduleSpec, Thresholds, WEEKDAYS, WhenClosed};
    use flotilla_domain::workload::{PlacementRule, WorkloadForm, validate};
    use sea_orm::{EntityTrait, PaginatorTrait};
    if workload_schedule::Entity::find().count(db.conn()).await.map_err(PeopleError::from)? > 0 {
        return Ok(());
    }
    let people = PeopleDirectory::new(db.clone());
    let night = |days: u8, start: &str, end: &str| Schedule::Recurring { days, start: start.into(), end: end.into(), tz: "Asia/Tokyo".into() };
    let work = [
        ("team-a", "bob", "log-aggregator", "fluent/fluent-bit:3.0", "2", "500m", "512Mi", ScheduleSpec { schedule: night(EVERY_DAY, "01:00", "05:00"), movable: true, ..Default::default() }),
        (
            "team-b",
            "carol",
            "model-retraining",
            "pytorch/pytorch:2.4.0-cuda12.1-cudnn9-runtime",
            "1",
            "2",
            "4Gi",
            ScheduleSpec { schedule: night(WEEKDAYS, "00:00", "06:00"), when_closed: WhenClosed::ScaleToZero, ..Default::default() },
        ),
        ("team-b", "carol", "batch-thumbnails", "imagemagick/worker:7", "3", "250m", "256Mi", ScheduleSpec { priority: Priority::Low, ..Default::default() }),
    ];
    for (project, login, name, image, replicas, cpu, mem, schedule) in work {
        let Some(account) = DEMO_ACCOUNTS.iter().find(|a| a.login == login) else { continue };
        let project_id = people.ensure_project(&Dns1123Label::parse(project).expect("demo project"), project).await?;
        let user_id = people.ensure_user(account.email, account.display_name, account.is_admin).await?;
        let form = WorkloadForm {
            project: project.into(),
            name: name.into(),
            image: image.into(),
            replicas: replicas.into(),
            cpu_request: cpu.into(),
            memory_request: mem.into(),
            placement: PlacementRule::LeastLoaded,
            ..Default::default()
        };
        let spec = validate(&form).expect("demo workloads are valid");
        let id = workloads.insert(project_id, user_id, account.email, &spec, &[]).await.map_err(|e| DemoError::Scheduled(e.to_string()))?;
        scheduler.set(id, &schedule).await.map_err(|e| DemoError::Scheduled(e.to_string()))?;
    }
    // team-b trains models: its administrators granted it GPUs (other projects have none).
    if let Some(b) = people.project_named("team-b").await? {
        let gpus = crate::workloads::Quota { gpus: 8, ..crate::workloads::DEFAULT_QUOTA };
        workloads.set_quota(b.id, gpus, Some(gpus)).await.map_err(|e| DemoError::Scheduled(e.to_string()))?;
    }
    let quick = Thresholds { burst_minutes: 2, rebalance_minutes: 3, ..Thresholds::default() };
    for c in clusters.list().await.map_err(|e| DemoError::Scheduled(e.to_string()))? {
        scheduler.set_cluster_thresholds(c.id, Some(quick)).await.map_err(|e| DemoError::Scheduled(e.to_string()))?;
    }
    Ok(())
}
