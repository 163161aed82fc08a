//! Facts about this portal instance that the shell shows (demo mode, version).
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalFacts {
    pub version: String,
    pub demo: bool,
    /// (login, what the account can do), offered only in demo mode.
    pub demo_accounts: Vec<(String, String)>,
}

#[server]
pub async fn portal_info() -> Result<PortalFacts, AppError> {
    let state = crate::state::AppState::from_context()?;
    let demo_accounts = if state.demo {
        flotilla_backend::demo::DEMO_ACCOUNTS.iter().map(|a| (a.login.to_owned(), a.summary.to_owned())).collect()
    } else {
        Vec::new()
    };
    Ok(PortalFacts { version: env!("CARGO_PKG_VERSION").to_owned(), demo: state.demo, demo_accounts })
}
