//! Server functions for cost reports.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A project's cost report. Hourly rows arrive with the cost ledger; until then the report
/// says so instead of showing zeros.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectCostReport {
    pub project: String,
    pub currency: String,
    /// (hour, namespace, cluster, cost in cents)
    pub rows: Vec<(String, String, String, i64)>,
    pub note: Option<String>,
}

#[server]
pub async fn project_costs(project_id: i64) -> Result<ProjectCostReport, AppError> {
    use flotilla_domain::{Kind, Target, Verb};
    let r = crate::guard::request()?;
    let target = Target { kind: Kind::CostReport, project: Some(project_id), owner: None };
    r.authorize(Verb::Read, target, "costs.read", "this project's costs").await?;
    let project = r.state.people.project(project_id).await.map_err(AppError::internal("load the project"))?;
    let project = project.ok_or_else(|| AppError::NotFound("This project".into()))?;
    Ok(ProjectCostReport {
        project: project.name,
        currency: "USD".into(),
        rows: Vec::new(),
        note: Some("No cost data has been collected yet: the cost ledger starts once prices are set.".into()),
    })
}

/// The price catalogue: instance type → hourly price (everyone who may read prices).
#[server]
pub async fn list_prices() -> Result<Vec<flotilla_domain::PriceEntry>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    // The catalogue is portal-wide: readable by anyone whose role reads prices anywhere.
    let caller = r.signed_in()?;
    let reads = |project| flotilla_domain::allows(&caller.subject, Verb::Read, &flotilla_domain::Target { kind: Kind::Price, project, owner: None }).is_allowed();
    if !reads(None) && !caller.subject.memberships.iter().any(|(p, _)| reads(Some(*p))) {
        r.authorize_portal(Verb::Read, Kind::Price, "prices.read", "the price catalogue").await?;
    }
    r.state.prices.list().await.map_err(AppError::internal("load the price catalogue"))
}

#[cfg(feature = "ssr")]
fn price_error(e: flotilla_backend::PriceError) -> AppError {
    match e {
        flotilla_backend::PriceError::Invalid(m) => AppError::Validation(m),
        other => AppError::internal("save the price catalogue")(other),
    }
}

/// Adds or changes one catalogue line (administrators).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_price(entry: flotilla_domain::PriceEntry) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::Price, "prices.save", "the price catalogue").await?;
    r.state.prices.import(std::slice::from_ref(&entry)).await.map_err(price_error)?;
    let detail = format!("{} {} = {} {}/h", entry.provider.as_str(), entry.instance_type, entry.price_per_hour, entry.currency);
    r.record("prices.save", &entry.instance_type, &detail).await;
    Ok(())
}

/// Removes one catalogue line (administrators); nodes of that type become "unpriced".
#[server]
pub async fn remove_price(provider: flotilla_domain::Provider, instance_type: String) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Delete, Kind::Price, "prices.remove", "the price catalogue").await?;
    r.state.prices.remove(provider, &instance_type).await.map_err(price_error)?;
    r.record("prices.remove", &instance_type, provider.as_str()).await;
    Ok(())
}

/// Imports catalogue CSV (`provider,instance_type,currency,price_per_hour`): all lines or none;
/// every bad line is named. Returns how many lines were saved.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn import_prices(csv: String) -> Result<usize, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Create, Kind::Price, "prices.import", "the price catalogue").await?;
    let entries = flotilla_domain::parse_prices_csv(&csv).map_err(|problems| AppError::Validation(format!("Nothing was imported: {}.", problems.join("; "))))?;
    r.state.prices.import(&entries).await.map_err(price_error)?;
    r.record("prices.import", "price catalogue", &format!("{} lines", entries.len())).await;
    Ok(entries.len())
}
