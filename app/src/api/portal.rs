//! Facts about this portal instance and the signed-in person, for the shell and login page.
use crate::error::AppError;
use flotilla_domain::Me;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortalFacts {
    pub version: String,
    pub demo: bool,
}

/// How a person can sign in here; open to everyone (it is what the login page shows).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginChoices {
    /// SSO is configured: `Ok(())` when the provider answers, else why not, in words.
    pub sso: Option<Result<(), String>>,
    pub local: bool,
    /// (login, what the account can do), offered only in demo mode.
    pub demo_accounts: Vec<(String, String)>,
}

#[server]
pub async fn portal_info() -> Result<PortalFacts, AppError> {
    let r = crate::guard::request()?;
    r.access.public();
    Ok(PortalFacts { version: env!("CARGO_PKG_VERSION").to_owned(), demo: r.state.demo })
}

#[server]
pub async fn sign_in_options() -> Result<LoginChoices, AppError> {
    let r = crate::guard::request()?;
    r.access.public();
    let sso = match &r.state.sign_in.oidc {
        Some(client) => Some(client.ready().await.map_err(|e| format!("Single sign-on is unavailable: {e}. Try again in a minute."))),
        None => None,
    };
    let demo_accounts = if r.state.demo { flotilla_backend::demo::DEMO_ACCOUNTS.iter().map(|a| (a.login.to_owned(), a.summary.to_owned())).collect() } else { Vec::new() };
    Ok(LoginChoices { sso, local: r.state.sign_in.local, demo_accounts })
}

/// The signed-in person, or `None`.
#[server]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    let r = crate::guard::request()?;
    r.access.public();
    Ok(r.access.caller.map(|c| c.me))
}
