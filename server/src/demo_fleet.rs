//! The demo's simulated fleet: started in-process by `flotilla demo` and registered in
//! the portal, so a newcomer sees clusters with no other step.
use flotilla_backend::{AuditLog, ClusterDetails, ClusterDirectory, ConnectError, Credentials, Database, FleetError, NewCluster};
use flotilla_domain::{Dns1123Label, Provider};
use flotilla_sim::{FleetSpec, RunningFleet, SimOptions};
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum DemoFleetError {
    #[error("the simulated demo fleet did not start: {0}")]
    Start(#[from] flotilla_sim::SimError),
    #[error("could not register the demo clusters: {0}")]
    Register(#[from] FleetError),
    #[error("the demo fleet's kubeconfig cannot be used: {0}")]
    Kubeconfig(#[from] ConnectError),
    #[error("the demo fleet has a cluster name that is not a valid DNS label: {0}")]
    Name(#[from] flotilla_domain::NameError),
}

/// Starts the default demo fleet, writes its kubeconfig to `kubeconfig_path` and registers
/// every cluster (or, when an earlier demo run registered it, gives it this run's credentials:
/// the simulator's ports and tokens are new each time). Keep the returned fleet alive while serving.
pub async fn start(db: &Database, directory: &ClusterDirectory, kubeconfig_path: &Path) -> Result<RunningFleet, DemoFleetError> {
    let fleet = flotilla_sim::start(FleetSpec::demo(), SimOptions::default()).await?;
    fleet.write_kubeconfig(kubeconfig_path)?;
    let kubeconfig = fleet.kubeconfig_yaml();
    let audit = AuditLog::new(db.clone());
    let registered = directory.list().await?;
    for cluster in fleet.clusters() {
        let spec = cluster.spec();
        let creds = Credentials::from_kubeconfig(&kubeconfig, &spec.name)?;
        if let Some(existing) = registered.iter().find(|c| c.name == spec.name) {
            directory.update_credentials(existing.id, &creds).await?;
            continue;
        }
        let provider = Provider::parse(&spec.provider);
        let labels = vec![("simulated".to_owned(), "true".to_owned())];
        // The demo's data centre, so the world map can place it (clouds are placed by region).
        let location = (provider == Provider::OnPrem).then(|| "Yokohama".to_owned());
        let details = ClusterDetails {
            display_name: spec.name.clone(),
            provider,
            region: spec.region.clone(),
            environment: environment(&spec.name).to_owned(),
            labels,
            control_plane_price_per_hour: spec.control_plane_price_per_hour,
            location,
        };
        directory.register(NewCluster { name: Dns1123Label::parse(&spec.name)?, details }, Some(&creds)).await?;
        if let Err(e) = audit.record("system", "cluster.registered", &spec.name, "simulated demo cluster").await {
            tracing::warn!("could not audit the demo cluster registration: {e}");
        }
    }
    tracing::info!(clusters = fleet.clusters().len(), kubeconfig = %kubeconfig_path.display(), "simulated demo fleet is running");
    Ok(fleet)
}

fn environment(name: &str) -> &'static str {
    if name.contains("prod") {
        "production"
    } else if name.contains("dev") {
        "development"
    } else {
        "shared"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_follows_the_cluster_name() {
        assert_eq!(environment("osaka-prod"), "production");
        assert_eq!(environment("onprem-dev"), "development");
        assert_eq!(environment("gpu-ml"), "shared");
    }
}
