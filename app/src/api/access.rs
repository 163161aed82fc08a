//! Server functions of the Admin page's access section: roles and group mappings.
use crate::error::AppError;
use flotilla_domain::{GroupMapping, Permission, RoleDef};
use leptos::prelude::*;

#[server]
pub async fn list_roles() -> Result<Vec<RoleDef>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Read, Kind::Role, "roles.read", "the roles").await?;
    r.state.access.roles().await.map_err(AppError::internal("load the roles"))
}

/// Creates or replaces a custom role. JSON arguments: an empty permission list has no
/// url-encoded form.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_role(key: String, name: String, permissions: Vec<Permission>) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::Role, "role.save", &format!("role {key}")).await?;
    r.state.access.save_role(&key, &name, &permissions).await?;
    r.record("role.save", &key, &format!("{} permission(s)", permissions.len())).await;
    Ok(())
}

#[server]
pub async fn delete_role(key: String) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Delete, Kind::Role, "role.delete", &format!("role {key}")).await?;
    r.state.access.delete_role(&key).await?;
    r.record("role.delete", &key, "").await;
    Ok(())
}

#[server]
pub async fn list_group_mappings() -> Result<Vec<GroupMapping>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Read, Kind::Role, "group-mappings.read", "the group mappings").await?;
    r.state.access.group_mappings().await.map_err(AppError::internal("load the group mappings"))
}

#[server]
pub async fn add_group_mapping(group: String, role: String, project: String) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Create, Kind::Role, "group-mapping.add", &format!("group {group}")).await?;
    let project = Some(project.trim()).filter(|p| !p.is_empty());
    r.state.access.add_group_mapping(&group, &role, project).await?;
    r.record("group-mapping.add", group.trim(), &format!("→ {role}{}", project.map(|p| format!(" in {p}")).unwrap_or_default())).await;
    Ok(())
}

#[server]
pub async fn delete_group_mapping(id: i64) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Delete, Kind::Role, "group-mapping.delete", "the group mapping").await?;
    r.state.access.delete_group_mapping(id).await.map_err(AppError::internal("delete the group mapping"))?;
    r.record("group-mapping.delete", &id.to_string(), "").await;
    Ok(())
}
