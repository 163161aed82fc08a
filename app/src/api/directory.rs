//! Server functions for people, projects and the audit trail.
use crate::error::AppError;
use flotilla_domain::{AuditLine, AuditQuery, MemberSummary, ProjectSummary, UserSummary};
use leptos::prelude::*;

/// The projects the caller may see.
#[server]
pub async fn list_projects() -> Result<Vec<ProjectSummary>, AppError> {
    use flotilla_domain::{Kind, Target, Verb};
    let r = crate::guard::request()?;
    r.signed_in()?;
    let all = r.state.people.projects().await.map_err(AppError::internal("load the projects"))?;
    r.visible(Verb::Read, all, |p| Target { kind: Kind::Project, project: Some(p.id), owner: None })
}

#[server]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Read, Kind::User, "users.list", "the user list").await?;
    r.state.people.users().await.map_err(AppError::internal("load the users"))
}

/// Members of one project the caller may see.
#[server]
pub async fn project_members(project_id: i64) -> Result<Vec<MemberSummary>, AppError> {
    use flotilla_domain::{Kind, Target, Verb};
    let r = crate::guard::request()?;
    let target = Target { kind: Kind::Project, project: Some(project_id), owner: None };
    r.authorize(Verb::Read, target, "project.read", "this project").await?;
    r.state.people.members(project_id).await.map_err(AppError::internal("load the project's members"))
}

/// The audit trail, filtered (administrators and roles granted the audit log).
#[server]
pub async fn audit_log(query: AuditQuery) -> Result<Vec<AuditLine>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Read, Kind::AuditLog, "audit.read", "the audit log").await?;
    r.state.audit.search(&query).await.map_err(AppError::internal("load the audit log"))
}

/// One project the caller may see ("not found" alike for one that does not exist).
#[server]
pub async fn get_project(project_id: i64) -> Result<ProjectSummary, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.projects.readable(&r.access, project_id).await?)
}

/// Whether the caller may open the Admin page (administrators and roles granted the audit log).
#[server]
pub async fn admin_gate() -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Read, Kind::AuditLog, "admin.open", "the Admin page").await?;
    Ok(())
}
