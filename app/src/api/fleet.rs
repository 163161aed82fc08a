//! Server functions for the Fleet page.
use crate::error::AppError;
use flotilla_domain::ClusterSummary;
use leptos::prelude::*;

/// Every registered cluster.
#[server]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    let state = crate::state::AppState::from_context()?;
    state.clusters.list().await.map_err(AppError::internal("load the cluster list"))
}
