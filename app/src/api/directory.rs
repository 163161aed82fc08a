//! Server functions for people, projects and the audit trail.
use crate::error::AppError;
use flotilla_domain::{ProjectSummary, UserSummary};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// An audit line as the Admin page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[server]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, AppError> {
    let state = crate::state::AppState::from_context()?;
    state.people.projects().await.map_err(AppError::internal("load the projects"))
}

#[server]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    let state = crate::state::AppState::from_context()?;
    state.people.users().await.map_err(AppError::internal("load the users"))
}

#[server]
pub async fn recent_audit() -> Result<Vec<AuditLine>, AppError> {
    let state = crate::state::AppState::from_context()?;
    let entries = state.audit.recent(50).await.map_err(AppError::internal("load the audit log"))?;
    Ok(entries
        .into_iter()
        .map(|e| AuditLine {
            at: e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            actor: e.actor,
            action: e.action,
            target: e.target,
            detail: e.detail,
        })
        .collect())
}
