//! The server-side state every page and server function reaches through context.
use axum::extract::FromRef;
use flotilla_backend::{AuditLog, ClusterDirectory, Database, PeopleDirectory};
use leptos::prelude::*;

use crate::error::AppError;

#[derive(Clone, Debug)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Database,
    pub clusters: ClusterDirectory,
    pub people: PeopleDirectory,
    pub audit: AuditLog,
    /// The embedded demo: shows demo hints (and, later, demo accounts on the login page).
    pub demo: bool,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Database, demo: bool) -> Self {
        Self {
            leptos_options,
            clusters: ClusterDirectory::new(db.clone()),
            people: PeopleDirectory::new(db.clone()),
            audit: AuditLog::new(db.clone()),
            db,
            demo,
        }
    }

    /// The state provided to this request (server functions and SSR).
    pub fn from_context() -> Result<Self, AppError> {
        use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal("reach its own state".into())
        })
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
