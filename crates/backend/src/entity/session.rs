//! A signed-in browser session; the id is the SHA-256 of the cookie value.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub user_id: i64,
    pub method: String,
    pub id_token: Option<String>,
    pub created_at: ChronoDateTimeUtc,
    pub last_seen_at: ChronoDateTimeUtc,
    pub expires_at: ChronoDateTimeUtc,
    /// The SSO identity the session was started with.
    pub identity_id: Option<i64>,
    /// The provider's refresh token, sealed with the portal's key; never sent to the browser.
    pub refresh_token: Option<String>,
    /// When the provider last confirmed this SSO session (sign-in, refresh or silent sign-in).
    pub checked_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
