//! Local accounts: argon2id password hashes, the bootstrap administrator, password sign-in.
use crate::Database;
use crate::cache::Topic;
use crate::entity::{login_throttle, user};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("wrong e-mail or password")]
    WrongCredentials,
    #[error("a password must have at least 12 characters")]
    WeakPassword,
    #[error("too many failed sign-ins; try again in {0} seconds")]
    SlowDown(i64),
    #[error("this account is deactivated; ask an administrator if you need it again")]
    Deactivated,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("cannot read or write accounts: {0}")]
    Db(#[from] sea_orm::DbErr),
}

pub const MIN_PASSWORD_LEN: usize = 12;

fn hash(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| AccountError::Hash(e.to_string()))
}

/// Failed password sign-ins that cost nothing; after these, each next attempt waits twice as
/// long as the one before (2 s, 4 s, 8 s …) up to a ceiling: a slow-down, never a lock-out
/// that a stranger could impose on someone else's account.
const FREE_FAILURES: i32 = 3;
/// The longest wait per e-mail (a victim waits at most this long) and per address.
const MAX_WAIT_EMAIL_SECS: i64 = 30;
const MAX_WAIT_ADDRESS_SECS: i64 = 120;
/// A key nobody failed with for this long starts afresh.
const FORGET_AFTER_MINUTES: i64 = 15;

#[derive(Clone, Debug)]
pub struct Accounts {
    db: Database,
    /// Password hashing is CPU work: it runs on blocking threads, this many at once, so a
    /// flood of sign-in posts cannot stall the portal's async workers.
    hashing: std::sync::Arc<tokio::sync::Semaphore>,
}

impl Accounts {
    pub fn new(db: Database) -> Self {
        let permits = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2).max(1);
        Self { db, hashing: std::sync::Arc::new(tokio::sync::Semaphore::new(permits)) }
    }

    /// A password sign-in: the slow-down per e-mail and per address first (shared by every
    /// replica through the database), then the password check off the async workers.
    pub async fn sign_in(&self, email: &str, password: &str, ip: &str) -> Result<i64, AccountError> {
        let email = email.trim().to_lowercase();
        let keys = [(format!("email:{email}"), MAX_WAIT_EMAIL_SECS), (format!("ip:{ip}"), MAX_WAIT_ADDRESS_SECS)];
        let now = Utc::now();
        for (key, ceiling) in &keys {
            if let Some(wait) = self.wait_left(key, *ceiling, now).await? {
                return Err(AccountError::SlowDown(wait));
            }
        }
        match self.verify(&email, password).await {
            Ok(id) => {
                login_throttle::Entity::delete_by_id(keys[0].0.clone()).exec(self.db.conn()).await?;
                Ok(id)
            }
            Err(AccountError::WrongCredentials) => {
                for (key, _) in &keys {
                    self.failed(key, now).await?;
                }
                Err(AccountError::WrongCredentials)
            }
            Err(e) => Err(e),
        }
    }

    /// Seconds left before `key` may try again, if it must wait.
    async fn wait_left(&self, key: &str, ceiling: i64, now: chrono::DateTime<Utc>) -> Result<Option<i64>, AccountError> {
        let Some(row) = login_throttle::Entity::find_by_id(key.to_owned()).one(self.db.conn()).await? else { return Ok(None) };
        if now - row.last_failure_at > chrono::Duration::minutes(FORGET_AFTER_MINUTES) || row.failures < FREE_FAILURES {
            return Ok(None);
        }
        let wait = (2i64 << (row.failures - FREE_FAILURES).min(16)).min(ceiling);
        let left = wait - (now - row.last_failure_at).num_seconds();
        Ok((left > 0).then_some(left))
    }

    async fn failed(&self, key: &str, now: chrono::DateTime<Utc>) -> Result<(), AccountError> {
        let existing = login_throttle::Entity::find_by_id(key.to_owned()).one(self.db.conn()).await?;
        match existing {
            Some(row) => {
                let fresh = now - row.last_failure_at > chrono::Duration::minutes(FORGET_AFTER_MINUTES);
                let failures = if fresh { 1 } else { row.failures.saturating_add(1) };
                let mut row: login_throttle::ActiveModel = row.into();
                row.failures = Set(failures);
                row.last_failure_at = Set(now);
                row.update(self.db.conn()).await?;
            }
            None => {
                let inserted = login_throttle::ActiveModel { key: Set(key.to_owned()), failures: Set(1), last_failure_at: Set(now) }.insert(self.db.conn()).await;
                // Another replica inserted it at the same moment: count this failure there.
                if inserted.is_err() {
                    return Box::pin(self.failed(key, now)).await;
                }
            }
        }
        Ok(())
    }

    /// Creates a local account, or sets the password (and admin flag, if asked) of an existing one.
    /// Returns the user id.
    pub async fn create_local(&self, email: &str, display_name: &str, password: &str, admin: bool) -> Result<i64, AccountError> {
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(AccountError::WeakPassword);
        }
        let password_hash = hash(password)?;
        let existing = user::Entity::find().filter(user::Column::Email.eq(email)).one(self.db.conn()).await?;
        let row = match existing {
            Some(u) => {
                let mut u: user::ActiveModel = u.into();
                u.password_hash = Set(Some(password_hash));
                if admin {
                    u.is_admin = Set(true);
                }
                u.update(self.db.conn()).await?
            }
            None => {
                user::ActiveModel {
                    email: Set(email.to_owned()),
                    display_name: Set(display_name.to_owned()),
                    is_admin: Set(admin),
                    created_at: Set(Utc::now()),
                    password_hash: Set(Some(password_hash)),
                    ..Default::default()
                }
                .insert(self.db.conn())
                .await?
            }
        };
        self.db.changed(Topic::Access);
        Ok(row.id)
    }

    /// Checks an e-mail and password; the same work is done for unknown e-mails, so timing
    /// does not tell which accounts exist.
    pub async fn verify(&self, email: &str, password: &str) -> Result<i64, AccountError> {
        let found = user::Entity::find().filter(user::Column::Email.eq(email.trim())).one(self.db.conn()).await?;
        let deactivated = found.as_ref().is_some_and(|u| u.deactivated_at.is_some());
        let stored = found.and_then(|u| u.password_hash.map(|h| (u.id, h)));
        let password = password.to_owned();
        let _permit = self.hashing.acquire().await.map_err(|e| AccountError::Hash(e.to_string()))?;
        let checked = tokio::task::spawn_blocking(move || match stored {
            Some((id, stored)) => {
                let parsed = PasswordHash::new(&stored).map_err(|e| AccountError::Hash(e.to_string()))?;
                Argon2::default().verify_password(password.as_bytes(), &parsed).map_err(|_| AccountError::WrongCredentials)?;
                Ok(id)
            }
            None => {
                let _ = hash(&password);
                Err(AccountError::WrongCredentials)
            }
        })
        .await
        .map_err(|e| AccountError::Hash(e.to_string()))?;
        let id = checked?;
        if deactivated {
            return Err(AccountError::Deactivated);
        }
        Ok(id)
    }
}
