//! Server functions for registering and managing clusters (Admin → Clusters). Credentials go
//! in and are sealed at rest; nothing here ever sends them back.
use crate::error::AppError;
use flotilla_domain::{ClusterMetadata, ClusterSummary, Connection, ConnectionReport};
use leptos::prelude::*;

#[cfg(feature = "ssr")]
mod checks {
    use crate::error::AppError;
    use flotilla_backend::{ClusterDetails, Credentials};
    use flotilla_domain::{ClusterMetadata, Connection, parse_labels};
    use std::time::Duration;

    pub const TEST_TIMEOUT: Duration = Duration::from_secs(5);

    pub fn credentials(connection: &Connection) -> Result<Credentials, AppError> {
        Credentials::from_connection(connection).map_err(|e| AppError::Validation(flotilla_domain::sentence(&format!("{e}."))))
    }

    /// Credentials that lack what Flotilla needs are refused, each missing permission named.
    pub async fn sufficient(creds: &Credentials) -> Result<(), AppError> {
        let report = flotilla_backend::kubeconn::test_connection(creds, TEST_TIMEOUT).await;
        match flotilla_backend::kubeconn::refusal(&report) {
            Some(words) => Err(AppError::Validation(words)),
            None => Ok(()),
        }
    }

    /// Checked metadata, every problem named.
    pub fn details(m: &ClusterMetadata) -> Result<ClusterDetails, AppError> {
        let mut problems = Vec::new();
        let display_name = m.display_name.trim();
        if display_name.chars().count() > 80 {
            problems.push("the display name has at most 80 characters".to_owned());
        }
        if m.region.trim().chars().count() > 64 || m.environment.trim().chars().count() > 64 {
            problems.push("region and environment have at most 64 characters".to_owned());
        }
        if !(m.control_plane_price_per_hour.is_finite() && (0.0..=1000.0).contains(&m.control_plane_price_per_hour)) {
            problems.push("the control-plane price is an hourly amount between 0 and 1000".to_owned());
        }
        let labels = parse_labels(&m.labels).unwrap_or_else(|e| {
            problems.push(format!("labels: {e}"));
            vec![]
        });
        let location = Some(m.location.trim()).filter(|l| !l.is_empty());
        if let Some(Err(e)) = location.map(flotilla_domain::geo::parse_location) {
            problems.push(format!("location: {e}"));
        }
        if !problems.is_empty() {
            return Err(AppError::Validation(flotilla_domain::sentence(&format!("{}.", problems.join("; ")))));
        }
        Ok(ClusterDetails {
            display_name: if display_name.is_empty() { m.name.trim().to_owned() } else { display_name.to_owned() },
            provider: m.provider,
            region: m.region.trim().to_owned(),
            environment: m.environment.trim().to_owned(),
            labels,
            control_plane_price_per_hour: m.control_plane_price_per_hour,
            location: location.map(str::to_owned),
        })
    }

    pub fn fleet_error(e: flotilla_backend::FleetError) -> AppError {
        match e {
            flotilla_backend::FleetError::Duplicate(n) => AppError::Validation(format!("A cluster named '{n}' is already registered; choose another name.")),
            flotilla_backend::FleetError::NotFound(_) => AppError::NotFound("This cluster".into()),
            other => AppError::internal("save the cluster")(other),
        }
    }
}

/// The contexts of a pasted or uploaded kubeconfig (current context first).
#[server]
pub async fn kubeconfig_contexts(yaml: String) -> Result<Vec<String>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Create, Kind::Cluster, "cluster.contexts", "register clusters").await?;
    flotilla_backend::kubeconn::contexts(&yaml).map_err(|e| AppError::Validation(flotilla_domain::sentence(&format!("{e}."))))
}

/// "Test connection": server version, node count, metrics, and each missing permission named.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn test_cluster_connection(connection: Connection) -> Result<ConnectionReport, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Create, Kind::Cluster, "cluster.test", "register clusters").await?;
    let creds = checks::credentials(&connection)?;
    Ok(flotilla_backend::kubeconn::test_connection(&creds, checks::TEST_TIMEOUT).await)
}

/// Registers a cluster (credentials sealed) and starts watching it.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn register_cluster(metadata: ClusterMetadata, connection: Connection) -> Result<ClusterSummary, AppError> {
    use flotilla_domain::{Dns1123Label, Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Create, Kind::Cluster, "cluster.create", "register clusters").await?;
    let name = Dns1123Label::parse(metadata.name.trim()).map_err(|e| AppError::Validation(format!("Cluster name: {e}")))?;
    let details = checks::details(&metadata)?;
    let creds = checks::credentials(&connection)?;
    checks::sufficient(&creds).await?;
    let summary = r.state.clusters.register(flotilla_backend::NewCluster { name, details }, Some(&creds)).await.map_err(checks::fleet_error)?;
    r.record("cluster.create", &summary.name, &format!("registered ({})", summary.api_server)).await;
    resync(&r).await;
    Ok(summary)
}

/// Edits a cluster's description; new credentials replace the old ones when given.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn update_cluster(id: i64, metadata: ClusterMetadata, connection: Option<Connection>) -> Result<ClusterSummary, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::Cluster, "cluster.update", "change clusters").await?;
    let details = checks::details(&metadata)?;
    let creds = connection.as_ref().map(checks::credentials).transpose()?;
    if let Some(creds) = &creds {
        checks::sufficient(creds).await?;
    }
    let mut summary = r.state.clusters.update_details(id, details).await.map_err(checks::fleet_error)?;
    if let Some(creds) = &creds {
        summary = r.state.clusters.update_credentials(id, creds).await.map_err(checks::fleet_error)?;
    }
    let what = if creds.is_some() { "details and credentials changed" } else { "details changed" };
    r.record("cluster.update", &summary.name, what).await;
    resync(&r).await;
    Ok(summary)
}

/// Stops (or resumes) watching a cluster; its history is kept.
#[server]
pub async fn set_cluster_enabled(id: i64, enabled: bool) -> Result<ClusterSummary, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::Cluster, "cluster.update", "change clusters").await?;
    let summary = r.state.clusters.set_enabled(id, enabled).await.map_err(checks::fleet_error)?;
    r.record("cluster.update", &summary.name, if enabled { "enabled" } else { "disabled" }).await;
    resync(&r).await;
    Ok(summary)
}

/// Removes a cluster, its credentials and its history from Flotilla (the cluster itself is untouched).
#[server]
pub async fn remove_cluster(id: i64) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Delete, Kind::Cluster, "cluster.delete", "remove clusters").await?;
    let summary = r.state.clusters.remove(id).await.map_err(checks::fleet_error)?;
    r.record("cluster.delete", &summary.name, "removed from Flotilla").await;
    resync(&r).await;
    Ok(())
}

#[cfg(feature = "ssr")]
async fn resync(r: &crate::guard::Request) {
    if let Err(e) = r.state.collector.sync(&r.state.clusters).await {
        tracing::warn!("could not restart the cluster watchers: {e}");
    }
}
