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
