//! Personal API tokens: shown once, stored as SHA-256, with expiry and revocation; a token
//! acts with its owner's own permissions.
use crate::Database;
use crate::cache::Topic;
use crate::entity::api_token;
use crate::opaque_tokens::{digest, random_secret};
use chrono::{Duration, Utc};
use flotilla_domain::{ApiTokenInfo, CreatedApiToken};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("a token needs a name")]
    NoName,
    #[error("a token lives between 1 and 365 days")]
    BadLifetime,
    #[error("no such token")]
    NotFound,
    /// A leaked token must not be able to make more of itself: revoking it has to be enough.
    #[error("an API token cannot create tokens; create tokens on the Account page while signed in")]
    FromToken,
    #[error("cannot read or write API tokens: {0}")]
    Db(#[from] sea_orm::DbErr),
}

pub const TOKEN_PREFIX: &str = "flt_";

fn info(row: api_token::Model) -> ApiTokenInfo {
    ApiTokenInfo { id: row.id, name: row.name, prefix: row.prefix, created_at: row.created_at, expires_at: row.expires_at, last_used_at: row.last_used_at, revoked: row.revoked_at.is_some() }
}

#[derive(Clone, Debug)]
pub struct ApiTokens {
    db: Database,
}

impl ApiTokens {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Creates a token for the caller, who must be signed in with a session: a request made
    /// with an API token cannot create tokens (revoking a leaked token revokes all it can do).
    pub async fn create_for(&self, caller: &crate::Caller, name: &str, days: u32) -> Result<CreatedApiToken, TokenError> {
        if caller.via == "token" {
            return Err(TokenError::FromToken);
        }
        self.create(caller.user_id(), name, days).await
    }

    pub async fn create(&self, user_id: i64, name: &str, days: u32) -> Result<CreatedApiToken, TokenError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(TokenError::NoName);
        }
        if !(1..=365).contains(&days) {
            return Err(TokenError::BadLifetime);
        }
        let secret = random_secret(TOKEN_PREFIX);
        let now = Utc::now();
        let row = api_token::ActiveModel {
            user_id: Set(user_id),
            name: Set(name.chars().take(80).collect()),
            token_hash: Set(digest(&secret)),
            prefix: Set(secret.chars().take(TOKEN_PREFIX.len() + 6).collect()),
            created_at: Set(now),
            expires_at: Set(Some(now + Duration::days(days.into()))),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await?;
        Ok(CreatedApiToken { info: info(row), secret })
    }

    /// The user's tokens, newest first.
    pub async fn list(&self, user_id: i64) -> Result<Vec<ApiTokenInfo>, TokenError> {
        let rows = api_token::Entity::find().filter(api_token::Column::UserId.eq(user_id)).order_by_desc(api_token::Column::Id).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(info).collect())
    }

    /// Revokes one of the user's own tokens; another user's token id is "not found".
    pub async fn revoke(&self, user_id: i64, token_id: i64) -> Result<(), TokenError> {
        let row = api_token::Entity::find_by_id(token_id).filter(api_token::Column::UserId.eq(user_id)).one(self.db.conn()).await?.ok_or(TokenError::NotFound)?;
        if row.revoked_at.is_none() {
            let mut row: api_token::ActiveModel = row.into();
            row.revoked_at = Set(Some(Utc::now()));
            row.update(self.db.conn()).await?;
            self.db.changed(Topic::Access);
        }
        Ok(())
    }

    /// The user a bearer token acts for, if the token is known, unexpired and not revoked.
    pub async fn resolve(&self, secret: &str) -> Result<Option<i64>, TokenError> {
        if !secret.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let Some(row) = api_token::Entity::find().filter(api_token::Column::TokenHash.eq(digest(secret))).one(self.db.conn()).await? else {
            return Ok(None);
        };
        let now = Utc::now();
        if row.revoked_at.is_some() || row.expires_at.is_some_and(|e| now >= e) {
            return Ok(None);
        }
        let user_id = row.user_id;
        if row.last_used_at.is_none_or(|t| now - t > Duration::minutes(1)) {
            let mut row: api_token::ActiveModel = row.into();
            row.last_used_at = Set(Some(now));
            row.update(self.db.conn()).await?;
        }
        Ok(Some(user_id))
    }
}
