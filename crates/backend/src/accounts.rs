//! Local accounts: argon2id password hashes, the bootstrap administrator, password sign-in.
use crate::Database;
use crate::cache::Topic;
use crate::entity::user;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::Argon2;
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("wrong e-mail or password")]
    WrongCredentials,
    #[error("a password must have at least 12 characters")]
    WeakPassword,
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

#[derive(Clone, Debug)]
pub struct Accounts {
    db: Database,
}

impl Accounts {
    pub fn new(db: Database) -> Self {
        Self { db }
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
        let (id, stored) = match found.and_then(|u| u.password_hash.map(|h| (u.id, h))) {
            Some(pair) => pair,
            None => {
                let _ = hash(password);
                return Err(AccountError::WrongCredentials);
            }
        };
        let parsed = PasswordHash::new(&stored).map_err(|e| AccountError::Hash(e.to_string()))?;
        Argon2::default().verify_password(password.as_bytes(), &parsed).map_err(|_| AccountError::WrongCredentials)?;
        Ok(id)
    }
}
