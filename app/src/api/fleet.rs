//! Server functions for the Fleet page.
use crate::error::AppError;
use flotilla_domain::ClusterSummary;
use leptos::prelude::*;

/// The registered clusters the caller may see.
#[server]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    let r = crate::guard::request()?;
    let caller = r.signed_in()?;
    if !flotilla_domain::may_read_clusters(&caller.subject) {
        return Err(AppError::Forbidden(
            "see clusters yet: you are in no project. Ask an administrator to add you to one (or to map your SSO group)".into(),
        ));
    }
    r.state.clusters.list().await.map_err(AppError::internal("load the cluster list"))
}
