//! Browser sessions kept in the database (so replicas share them), with idle and absolute
//! timeouts, and the one-time records of OpenID Connect sign-ins in progress.
use crate::Database;
use crate::cache::Topic;
use crate::entity::{login_flow, session};
use crate::opaque_tokens::{digest, random_secret};
use crate::secrets::SecretKey;
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("cannot read or write sessions: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct SessionPolicy {
    /// Ends a session nobody used for this long.
    pub idle: Duration,
    /// Ends every session this long after sign-in, however busy.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self { idle: Duration::hours(8), absolute: Duration::hours(24 * 7) }
    }
}

/// A live session as the request guard sees it.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    /// The session's key (digest of the cookie value).
    pub id: String,
    pub user_id: i64,
    pub method: String,
    /// Kept for RP-initiated logout; never sent to the browser.
    pub id_token: Option<String>,
    /// For SSO sessions: the identity signed in, the provider's refresh token (unsealed) and
    /// when the provider last confirmed the session.
    pub identity_id: Option<i64>,
    pub refresh_token: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// What an SSO sign-in leaves with its session.
#[derive(Debug, Clone, Default)]
pub struct SsoSession {
    pub identity_id: i64,
    pub id_token: String,
    pub refresh_token: Option<String>,
}

/// An OpenID Connect sign-in in progress.
#[derive(Debug, Clone)]
pub struct LoginFlow {
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    /// A silent re-confirmation (`prompt=none`) of a session, not a sign-in someone started.
    pub silent: bool,
}

/// Sign-ins not completed within this long are forgotten.
const LOGIN_FLOW_TTL: i64 = 10;

#[derive(Clone, Debug)]
pub struct Sessions {
    db: Database,
    policy: SessionPolicy,
    /// Seals refresh tokens at rest.
    key: SecretKey,
    /// Whether sessions made by one-click demo sign-ins count (only in `flotilla demo`).
    demo: bool,
}

/// Sealing context of refresh tokens.
const REFRESH_CONTEXT: &str = "session-refresh-token";

impl Sessions {
    /// `demo`: whether sessions started by demo sign-ins are honoured (`flotilla demo` only;
    /// `flotilla serve` on the same database refuses them).
    pub fn new(db: Database, policy: SessionPolicy, key: SecretKey, demo: bool) -> Self {
        Self { db, policy, key, demo }
    }

    pub fn policy(&self) -> SessionPolicy {
        self.policy
    }

    /// Starts a session and returns the cookie value (a fresh random id every sign-in).
    pub async fn start(&self, user_id: i64, method: &str, sso: Option<SsoSession>) -> Result<String, SessionError> {
        let secret = random_secret("");
        let now = Utc::now();
        session::ActiveModel {
            id: Set(digest(&secret)),
            user_id: Set(user_id),
            method: Set(method.to_owned()),
            id_token: Set(sso.as_ref().map(|s| s.id_token.clone())),
            created_at: Set(now),
            last_seen_at: Set(now),
            expires_at: Set(now + self.policy.absolute),
            identity_id: Set(sso.as_ref().map(|s| s.identity_id)),
            refresh_token: Set(sso.as_ref().and_then(|s| s.refresh_token.as_deref()).map(|t| self.key.seal(t.as_bytes(), REFRESH_CONTEXT))),
            checked_at: Set(sso.is_some().then_some(now)),
        }
        .insert(self.db.conn())
        .await?;
        Ok(secret)
    }

    /// The session behind a cookie value, if it is still valid; refreshes its idle timer.
    pub async fn resolve(&self, secret: &str) -> Result<Option<ActiveSession>, SessionError> {
        self.resolve_at(secret, Utc::now()).await
    }

    /// As [`resolve`](Self::resolve), at a given time (tests move the clock).
    pub async fn resolve_at(&self, secret: &str, now: DateTime<Utc>) -> Result<Option<ActiveSession>, SessionError> {
        let id = digest(secret);
        let Some(row) = session::Entity::find_by_id(id.clone()).one(self.db.conn()).await? else {
            return Ok(None);
        };
        if now >= row.expires_at || now - row.last_seen_at >= self.policy.idle {
            session::Entity::delete_by_id(id).exec(self.db.conn()).await?;
            return Ok(None);
        }
        if row.method == "demo" && !self.demo {
            // A demo sign-in proves nothing outside the demo (anyone may click it).
            return Ok(None);
        }
        let found = ActiveSession {
            id: row.id.clone(),
            user_id: row.user_id,
            method: row.method.clone(),
            id_token: row.id_token.clone(),
            identity_id: row.identity_id,
            // A token sealed with another key is as good as none: the next page load re-confirms.
            refresh_token: row.refresh_token.as_deref().and_then(|t| self.key.open(t, REFRESH_CONTEXT).ok()).and_then(|b| String::from_utf8(b).ok()),
            checked_at: row.checked_at,
        };
        // Write the idle timer at most once a minute, not on every request.
        if now - row.last_seen_at > Duration::minutes(1) {
            let mut row: session::ActiveModel = row.into();
            row.last_seen_at = Set(now);
            row.update(self.db.conn()).await?;
        }
        Ok(Some(found))
    }

    /// Ends the session behind a cookie value (sign-out). Unknown values are ignored.
    pub async fn end(&self, secret: &str) -> Result<(), SessionError> {
        self.end_by_id(&digest(secret)).await
    }

    /// Ends a session by its key (the provider no longer vouches for it).
    pub async fn end_by_id(&self, id: &str) -> Result<(), SessionError> {
        session::Entity::delete_by_id(id.to_owned()).exec(self.db.conn()).await?;
        self.db.changed(Topic::Access);
        Ok(())
    }

    /// Records that the provider confirmed the session now (and a rotated refresh token).
    pub async fn confirmed(&self, id: &str, refresh_token: Option<&str>, at: DateTime<Utc>) -> Result<(), SessionError> {
        let Some(row) = session::Entity::find_by_id(id.to_owned()).one(self.db.conn()).await? else { return Ok(()) };
        let mut row: session::ActiveModel = row.into();
        row.checked_at = Set(Some(at));
        if let Some(t) = refresh_token {
            row.refresh_token = Set(Some(self.key.seal(t.as_bytes(), REFRESH_CONTEXT)));
        }
        row.update(self.db.conn()).await?;
        Ok(())
    }

    /// Remembers a sign-in in progress under its `state`.
    pub async fn begin_login(&self, state: &str, flow: LoginFlow) -> Result<(), SessionError> {
        let now = Utc::now();
        login_flow::Entity::delete_many().filter(login_flow::Column::CreatedAt.lt(now - Duration::minutes(LOGIN_FLOW_TTL))).exec(self.db.conn()).await?;
        login_flow::ActiveModel {
            state: Set(digest(state)),
            nonce: Set(flow.nonce),
            pkce_verifier: Set(flow.pkce_verifier),
            return_to: Set(flow.return_to),
            silent: Set(flow.silent),
            created_at: Set(now),
        }
        .insert(self.db.conn())
        .await?;
        Ok(())
    }

    /// Takes the sign-in started with `state` — once: a second call (a replayed callback) or an
    /// unknown or expired state gets `None`.
    pub async fn take_login(&self, state: &str) -> Result<Option<LoginFlow>, SessionError> {
        let key = digest(state);
        let Some(row) = login_flow::Entity::find_by_id(key.clone()).one(self.db.conn()).await? else {
            return Ok(None);
        };
        let deleted = login_flow::Entity::delete_by_id(key).exec(self.db.conn()).await?;
        // Two callbacks racing: only the one that deleted the row continues.
        if deleted.rows_affected != 1 || Utc::now() - row.created_at > Duration::minutes(LOGIN_FLOW_TTL) {
            return Ok(None);
        }
        Ok(Some(LoginFlow { nonce: row.nonce, pkce_verifier: row.pkce_verifier, return_to: row.return_to, silent: row.silent }))
    }
}
