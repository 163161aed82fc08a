//! Server functions for the caller's own personal API tokens.
use crate::error::AppError;
use flotilla_domain::{ApiTokenInfo, CreatedApiToken};
use leptos::prelude::*;

#[server]
pub async fn my_tokens() -> Result<Vec<ApiTokenInfo>, AppError> {
    let r = crate::guard::request()?;
    let me = r.signed_in()?.user_id();
    r.state.tokens.list(me).await.map_err(AppError::internal("load your tokens"))
}

/// Creates a token; the secret in the answer is shown once and never stored in clear.
#[server]
pub async fn create_token(name: String, days: u32) -> Result<CreatedApiToken, AppError> {
    use flotilla_backend::TokenError;
    let r = crate::guard::request()?;
    let created = r.state.tokens.create_for(r.signed_in()?, &name, days).await.map_err(|e| match e {
        TokenError::NoName => AppError::Validation("Give the token a name, e.g. \"CI pipeline\".".into()),
        TokenError::BadLifetime => AppError::Validation("A token lives between 1 and 365 days.".into()),
        TokenError::FromToken => AppError::Forbidden("create API tokens with an API token; create them on the Account page while signed in".into()),
        other => AppError::internal("create the token")(other),
    })?;
    r.record("token.create", &created.info.prefix, &format!("\"{}\", {days} days", created.info.name)).await;
    Ok(created)
}

#[server]
pub async fn revoke_token(id: i64) -> Result<(), AppError> {
    let r = crate::guard::request()?;
    let me = r.signed_in()?.user_id();
    r.state.tokens.revoke(me, id).await.map_err(|e| match e {
        flotilla_backend::TokenError::NotFound => AppError::NotFound("That token".into()),
        other => AppError::internal("revoke the token")(other),
    })?;
    r.record("token.revoke", &id.to_string(), "").await;
    Ok(())
}
