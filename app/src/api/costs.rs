//! Server functions for cost reports.
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The projects whose costs the caller may see, and whether they may see the whole fleet's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostScope {
    pub projects: Vec<flotilla_domain::ProjectSummary>,
    /// Administrators: every namespace, idle capacity, and the per-cluster overview.
    pub fleet_wide: bool,
}

/// A cost report with the project's budget and what it has alerted this month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(schemars::JsonSchema))]
pub struct CostView {
    pub report: flotilla_domain::CostReport,
    /// The project reported on, when one was asked for.
    pub project_id: Option<i64>,
    pub budget: Option<flotilla_domain::Budget>,
    /// This month's budget alerts, in words (the banner).
    pub alerts: Vec<String>,
    pub may_edit_budget: bool,
}

/// What of the costs the caller may see: the projects whose reports they may read.
#[cfg(feature = "ssr")]
pub(crate) mod visible {
    use crate::error::AppError;
    use crate::guard::Request;
    use flotilla_domain::{Kind, ProjectSummary, Target, Verb, allows};

    pub fn target(kind: Kind, project: Option<i64>) -> Target {
        Target { kind, project, owner: None }
    }

    /// Projects whose cost reports the caller may read, and whether they may read all.
    pub async fn visible(r: &Request) -> Result<(Vec<ProjectSummary>, bool), AppError> {
        let caller = r.signed_in()?;
        let all = r.state.people.projects().await.map_err(AppError::internal("load the projects"))?;
        let fleet_wide = allows(&caller.subject, Verb::Read, &target(Kind::CostReport, None)).is_allowed();
        let mine = all.into_iter().filter(|p| allows(&caller.subject, Verb::Read, &target(Kind::CostReport, Some(p.id))).is_allowed()).collect();
        Ok((mine, fleet_wide))
    }
}

/// The projects whose costs the caller may see.
#[server]
pub async fn load_cost_scope() -> Result<CostScope, AppError> {
    let r = crate::guard::request()?;
    let (projects, fleet_wide) = visible::visible(&r).await?;
    Ok(CostScope { projects, fleet_wide })
}

/// Cost over time: one project (with its budget), or everything the caller may see.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn load_costs(query: flotilla_domain::CostQuery) -> Result<CostView, AppError> {
    use flotilla_backend::costs::report::Visible;
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    let now = chrono::Utc::now();
    let Some(name) = query.project.clone().filter(|p| !p.trim().is_empty()) else {
        let (projects, fleet_wide) = visible::visible(&r).await?;
        let visible = if fleet_wide { Visible::All } else { Visible::Projects(projects.into_iter().map(|p| p.name).collect()) };
        let report = r.state.ledger.report(&query, None, &visible, now).await?;
        return Ok(CostView { report, project_id: None, budget: None, alerts: vec![], may_edit_budget: false });
    };
    r.signed_in()?;
    let project = r.state.people.project_named(name.trim()).await.map_err(AppError::internal("load the project"))?;
    let project = project.ok_or_else(|| AppError::NotFound("This project".into()))?;
    let caller = r.authorize(Verb::Read, visible::target(Kind::CostReport, Some(project.id)), "costs.read", "this project's costs").await?;
    let may_edit_budget = flotilla_domain::allows(&caller.subject, Verb::Update, &visible::target(Kind::Budget, Some(project.id))).is_allowed();
    let visible = Visible::Projects(vec![project.name.clone()]);
    let mut report = r.state.ledger.report(&query, Some(&project.name), &visible, now).await?;
    let budget = r.state.budgets.get(project.id).await.map_err(AppError::internal("load the budget"))?;
    report.month = Some(r.state.ledger.month_status(&project.name, now, budget.as_ref().map(|b| b.monthly)).await?);
    let month = now.format("%Y-%m").to_string();
    let alerts = r.state.budgets.alerts(project.id, &month).await.map_err(AppError::internal("load the budget alerts"))?;
    Ok(CostView { report, project_id: Some(project.id), budget, alerts: alerts.into_iter().map(|a| a.2).collect(), may_edit_budget })
}

/// This month against the budget for every project whose costs the caller may see.
#[server]
pub async fn load_budget_status() -> Result<Vec<flotilla_domain::BudgetLine>, AppError> {
    let r = crate::guard::request()?;
    let (projects, _) = visible::visible(&r).await?;
    let now = chrono::Utc::now();
    let mut out = Vec::with_capacity(projects.len());
    for p in projects {
        let budget = r.state.budgets.get(p.id).await.map_err(AppError::internal("load the budget"))?;
        let month = r.state.ledger.month_status(&p.name, now, budget.as_ref().map(|b| b.monthly)).await?;
        let currency = budget.map_or_else(|| "USD".to_owned(), |b| b.currency);
        out.push(flotilla_domain::BudgetLine { project: p.name, display_name: p.display_name, currency, month });
    }
    Ok(out)
}

/// Administrators' overview: every cluster's cost, idle share and control plane, and every
/// project's total, over a period.
#[server]
pub async fn load_fleet_costs(from: String, to: String) -> Result<flotilla_domain::FleetCosts, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Read, Kind::CostReport, "costs.fleet", "the fleet's costs").await?;
    r.state.ledger.fleet_costs(&from, &to, chrono::Utc::now()).await.map_err(AppError::from)
}

/// Every cluster's cost weights (administrators): (cluster id, name, weights).
#[server]
pub async fn load_cost_weights() -> Result<Vec<(i64, String, flotilla_domain::CostWeights)>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Read, Kind::Price, "costs.weights.read", "cost weights").await?;
    let clusters = r.state.clusters.list().await.map_err(AppError::internal("load the clusters"))?;
    let mut out = Vec::with_capacity(clusters.len());
    for c in clusters {
        let w = r.state.ledger.weights(c.id).await?;
        out.push((c.id, c.name, w));
    }
    Ok(out)
}

/// Sets (or with `None` resets) how a cluster's node prices split into CPU, memory, pod-slot
/// and GPU pools (administrators). Applies to hours priced from now on.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_cost_weights(cluster_id: i64, weights: Option<flotilla_domain::CostWeights>) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::Price, "costs.weights.save", "cost weights").await?;
    let cluster = r.state.clusters.get(cluster_id).await.map_err(|_| AppError::NotFound("This cluster".into()))?;
    r.state.ledger.set_weights(cluster_id, weights).await?;
    let detail = weights.map_or("back to the defaults".to_owned(), |w| format!("cpu {} memory {} pods {} gpu {}", w.cpu, w.memory, w.pods, w.gpu));
    r.record("costs.weights.save", &cluster.name, &detail).await;
    Ok(())
}

/// Prices a period of the ledger again with today's catalogue (administrators), e.g. after a
/// price correction. Returns how many cluster-hours.
#[server]
pub async fn recompute_costs(from: String, to: String) -> Result<usize, AppError> {
    use flotilla_backend::costs::report::Period;
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::Price, "costs.recompute", "the cost ledger").await?;
    let period = Period::of(&from, &to, chrono::Utc::now().date_naive())?;
    let n = r.state.ledger.recompute(period.from, period.to).await?;
    r.record("costs.recompute", "cost ledger", &format!("{from} to {to}: {n} cluster-hours priced again")).await;
    Ok(n)
}

/// Sets a project's monthly budget (its owners). `webhook`: empty keeps the current one;
/// `clear_webhook` removes it.
#[server]
pub async fn save_budget(project_id: i64, monthly: String, currency: String, webhook: String, clear_webhook: bool) -> Result<flotilla_domain::Budget, AppError> {
    use flotilla_backend::costs::budgets::Webhook;
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize(Verb::Update, visible::target(Kind::Budget, Some(project_id)), "budget.save", "this project's budget").await?;
    let amount: f64 = monthly.trim().replace(',', "").parse().map_err(|_| AppError::Validation(format!("The monthly budget must be a number, such as 1500 (got “{monthly}”).")))?;
    let hook = match (clear_webhook, webhook.trim()) {
        (true, _) => Webhook::Clear,
        (false, "") => Webhook::Keep,
        (false, url) => Webhook::Set(url.to_owned()),
    };
    let changed_hook = !matches!(hook, Webhook::Keep);
    let b = r.state.budgets.set(project_id, amount, currency.trim(), hook).await.map_err(|e| match e {
        flotilla_backend::BudgetError::Invalid(m) => AppError::Validation(m),
        other => AppError::internal("save the budget")(other),
    })?;
    let detail = format!("{} a month{}", flotilla_domain::format::money(b.monthly, &b.currency), if changed_hook { "; webhook changed" } else { "" });
    r.record("budget.save", &format!("project {project_id}"), &detail).await;
    Ok(b)
}

/// A project's budget (anyone who may read its budget).
#[server]
pub async fn load_budget(project_id: i64) -> Result<Option<flotilla_domain::Budget>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize(Verb::Read, visible::target(Kind::Budget, Some(project_id)), "budget.read", "this project's budget").await?;
    r.state.budgets.get(project_id).await.map_err(AppError::internal("load the budget"))
}

/// Removes a project's budget (its owners).
#[server]
pub async fn remove_budget(project_id: i64) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize(Verb::Delete, visible::target(Kind::Budget, Some(project_id)), "budget.remove", "this project's budget").await?;
    r.state.budgets.remove(project_id).await.map_err(AppError::internal("remove the budget"))?;
    r.record("budget.remove", &format!("project {project_id}"), "").await;
    Ok(())
}

/// The caller's newest notifications.
#[server]
pub async fn load_notifications() -> Result<Vec<flotilla_domain::Notification>, AppError> {
    let r = crate::guard::request()?;
    let me = r.signed_in()?.user_id();
    r.state.budgets.notifications(me, 20).await.map_err(AppError::internal("load your notifications"))
}

/// Marks all of the caller's notifications read.
#[server]
pub async fn read_notifications() -> Result<(), AppError> {
    let r = crate::guard::request()?;
    let me = r.signed_in()?.user_id();
    r.state.budgets.mark_read(me).await.map_err(AppError::internal("mark your notifications read"))
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
    let detail = format!("{} {} = {}/h", entry.provider.as_str(), entry.instance_type, flotilla_domain::format::money(entry.price_per_hour, &entry.currency));
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
