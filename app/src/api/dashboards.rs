//! Server functions for dashboards: a signed-in person's own layout (load, save, reset), and an
//! administrator publishing a layout as a role's default. What each widget shows comes from the
//! pages' own server functions, so widgets obey the same permissions.
use crate::error::AppError;
use flotilla_domain::dashboard::{Dashboard, DashboardView};
use leptos::prelude::*;

/// About the caller: the roles whose published dashboards apply to them.
#[cfg(feature = "ssr")]
mod caller {
    use crate::error::AppError;
    use crate::guard::Request;

    /// The caller's role keys, portal-wide roles first, then project roles.
    pub async fn role_keys(r: &Request) -> Result<Vec<String>, AppError> {
        let caller = r.signed_in()?;
        let roles = r.state.access.roles().await.map_err(AppError::internal("load the roles"))?;
        let names = caller.subject.global_roles.iter().chain(caller.subject.memberships.iter().map(|(_, role)| role)).map(|role| role.name.clone());
        let mut keys: Vec<String> = Vec::new();
        for name in names {
            if let Some(def) = roles.iter().find(|d| d.name == name)
                && !keys.contains(&def.key)
            {
                keys.push(def.key.clone());
            }
        }
        Ok(keys)
    }

    /// The role whose default an administrator changes (`action`, audited), after the guard:
    /// an unknown role answers not found.
    pub async fn role_default(r: &Request, action: &str, role_key: &str) -> Result<flotilla_domain::RoleDef, AppError> {
        use flotilla_domain::{Kind, Verb};
        r.authorize_portal(Verb::Update, Kind::Role, action, "role defaults").await?;
        let roles = r.state.access.roles().await.map_err(AppError::internal("load the roles"))?;
        roles.into_iter().find(|d| d.key == role_key).ok_or_else(|| AppError::NotFound(format!("the role {role_key:?}")))
    }
}

/// The caller's dashboard: their own, else their role's default, else the built-in one.
#[server]
pub async fn load_dashboard() -> Result<DashboardView, AppError> {
    use flotilla_backend::dashboards::Source;
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    let me = r.signed_in()?.user_id();
    let keys = caller::role_keys(&r).await?;
    let (dashboard, source) = r.state.dashboards.for_user(me, &keys).await?;
    let roles = r.state.access.roles().await.map_err(AppError::internal("load the roles"))?;
    let source = match source {
        Source::Own => "your own layout".to_owned(),
        Source::Role(key) => format!("the default for {}", roles.iter().find(|d| d.key == key).map_or(key.as_str(), |d| d.name.as_str())),
        Source::BuiltIn => "the built-in default".to_owned(),
    };
    let caller = r.signed_in()?;
    let portal = flotilla_domain::Target { kind: Kind::Role, project: None, owner: None };
    let publish_roles = if flotilla_domain::allows(&caller.subject, Verb::Update, &portal).is_allowed() { roles.into_iter().map(|d| (d.key, d.name)).collect() } else { Vec::new() };
    Ok(DashboardView { dashboard, source, publish_roles })
}

/// Saves the caller's own layout.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_dashboard(dashboard: Dashboard) -> Result<(), AppError> {
    let r = crate::guard::request()?;
    let me = r.signed_in()?.user_id();
    r.state.dashboards.save(me, &dashboard).await.map_err(AppError::from)
}

/// Forgets the caller's own layout and answers what they see now (their role's default or the
/// built-in one).
#[server]
pub async fn reset_dashboard() -> Result<DashboardView, AppError> {
    let r = crate::guard::request()?;
    let me = r.signed_in()?.user_id();
    r.state.dashboards.reset(me).await?;
    // What the person sees now: their role's default or the built-in one.
    load_dashboard().await
}

/// Publishes a layout as the default of a role (administrators).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn publish_dashboard(role_key: String, dashboard: Dashboard) -> Result<(), AppError> {
    let r = crate::guard::request()?;
    let role = caller::role_default(&r, "dashboard.publish", &role_key).await?;
    r.state.dashboards.publish(&role.key, &dashboard).await?;
    r.record("dashboard.publish", &role.name, &format!("{} widgets", dashboard.widgets.len())).await;
    Ok(())
}

/// Withdraws a role's published default (administrators): people of that role see the built-in
/// default again. Answers whether one was published.
#[server]
pub async fn remove_dashboard_default(role_key: String) -> Result<bool, AppError> {
    let r = crate::guard::request()?;
    let role = caller::role_default(&r, "dashboard.unpublish", &role_key).await?;
    let removed = r.state.dashboards.unpublish(&role.key).await?;
    if removed {
        r.record("dashboard.unpublish", &role.name, "back to the built-in default").await;
    }
    Ok(removed)
}
