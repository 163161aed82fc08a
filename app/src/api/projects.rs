//! Server functions for projects, the tenancy boundary: create, change, archive and delete
//! them, open clusters to them, and manage members — adapters over the backend's `Projects`.
use crate::error::AppError;
use flotilla_domain::{NewProject, ProjectChange, ProjectCluster, ProjectDetail, ProjectSummary};
use leptos::prelude::*;

/// Creates a project (administrators).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn create_project(project: NewProject) -> Result<ProjectSummary, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.projects.create(&r.access, &project).await?)
}

/// Renames (owners), sets the highest priority or archives (administrators).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn change_project(project_id: i64, change: ProjectChange) -> Result<ProjectSummary, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.projects.change(&r.access, project_id, &change).await?)
}

/// Deletes a project (administrators); one with workloads needs `remove_workloads`, and is
/// then archived while they are removed (the sentence returned says so).
#[server]
pub async fn delete_project(project_id: i64, remove_workloads: bool) -> Result<Option<String>, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.projects.delete(&r.access, project_id, remove_workloads).await?)
}

/// A project with its clusters, quota and members (who may read it).
#[server]
pub async fn load_project(project_id: i64) -> Result<ProjectDetail, AppError> {
    use flotilla_domain::{Kind, Target, Verb, allows};
    let r = crate::guard::request()?;
    let project = r.state.projects.readable(&r.access, project_id).await?;
    let clusters = r.state.projects.clusters(&r.access, project_id).await?;
    let members = r.state.people.members(project_id).await.map_err(AppError::internal("load the project's members"))?;
    let workloads = r.state.workload_service.list(&r.access, Some(project_id)).await?.len() as u32;
    let subject = &r.signed_in()?.subject;
    let may_manage_members = allows(subject, Verb::Update, &Target { kind: Kind::Project, project: Some(project_id), owner: None }).is_allowed();
    let may_administer = allows(subject, Verb::Update, &Target { kind: Kind::Project, project: None, owner: None }).is_allowed();
    let quota = r.state.workload_service.quota(&r.access, project_id).await?;
    Ok(ProjectDetail { project, clusters, quota, members, workloads, may_manage_members, may_administer })
}

/// The clusters opened to a project (who may read it).
#[server]
pub async fn project_clusters(project_id: i64) -> Result<Vec<ProjectCluster>, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.projects.clusters(&r.access, project_id).await?)
}

/// Opens exactly these clusters to a project (administrators).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn set_project_clusters(project_id: i64, clusters: Vec<i64>) -> Result<Vec<ProjectCluster>, AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.projects.set_clusters(&r.access, project_id, &clusters).await?)
}

/// Adds a member or changes their role (owners and administrators).
#[server]
pub async fn set_project_member(project_id: i64, email: String, role: String) -> Result<(), AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.projects.set_member(&r.access, project_id, &email, &role).await?)
}

/// Removes a member (owners and administrators).
#[server]
pub async fn remove_project_member(project_id: i64, user_id: i64) -> Result<(), AppError> {
    let r = crate::guard::request()?;
    Ok(r.state.projects.remove_member(&r.access, project_id, user_id).await?)
}
