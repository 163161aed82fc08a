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
    DemoAccount {
        login: "alice",
        email: "alice@demo.flotilla.test",
        display_name: "Alice Admin",
        is_admin: true,
        memberships: &[],
        summary: "platform administrator",
    },
    DemoAccount {
        login: "bob",
        email: "bob@demo.flotilla.test",
        display_name: "Bob Builder",
        is_admin: false,
        memberships: &[("team-a", "developer")],
        summary: "developer in team-a",
    },
    DemoAccount {
        login: "carol",
        email: "carol@demo.flotilla.test",
        display_name: "Carol Owner",
        is_admin: false,
        memberships: &[("team-b", "owner"), ("team-c", "viewer")],
        summary: "owner of team-b",
    },
];

pub const DEMO_PROJECTS: &[(&str, &str)] =
    &[("team-a", "Team A — storefront"), ("team-b", "Team B — data platform"), ("team-c", "Team C — ML research")];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    People(#[from] PeopleError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Prices(#[from] crate::PriceError),
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
