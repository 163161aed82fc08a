//! Single sign-on identities: who the provider says signed in, (issuer, subject), and the
//! account it signs in to. One use-case per action: sign in (find or link or refuse),
//! administrators' link and unlink, and deactivating an account.
//!
//! A first sign-in whose e-mail already belongs to an account joins it only when the
//! provider verified the e-mail *and* `oidc_link_by_email` allows it *and* the account has
//! no other identity at that provider; otherwise nothing is linked or changed, the sign-in
//! waits for an administrator, and the refusal is audited.
use crate::Database;
use crate::audit::{AuditEvent, AuditLog, Outcome};
use crate::cache::Topic;
use crate::entity::{api_token, session, user, user_identity};
use crate::oidc::{LinkByEmail, SsoIdentity};
use chrono::Utc;
use flotilla_domain::IdentitySummary;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error("an account with the e-mail {email} already exists in Flotilla, and your sign-in was not linked to it ({why}). An administrator must link your sign-in to that account (Admin → People)")]
    LinkRefused { email: String, why: &'static str },
    #[error("your Flotilla account is deactivated; ask an administrator if you need it again")]
    Deactivated,
    #[error("no such sign-in identity")]
    UnknownIdentity,
    #[error("no such user")]
    UnknownUser,
    #[error("you cannot deactivate your own account; ask another administrator")]
    OwnAccount,
    #[error("cannot read or write identities: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// The account an SSO sign-in reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: i64,
    pub identity_id: i64,
}

#[derive(Clone, Debug)]
pub struct Identities {
    db: Database,
    audit: AuditLog,
    link_by_email: LinkByEmail,
}

impl Identities {
    pub fn new(db: Database, audit: AuditLog, link_by_email: LinkByEmail) -> Self {
        Self { db, audit, link_by_email }
    }

    /// The account `who` signs in to: theirs by (issuer, subject); a new one when nobody has
    /// their e-mail; an existing one only by the linking rules. `ip` goes to the audit log.
    pub async fn sign_in(&self, who: &SsoIdentity, ip: &str) -> Result<SignedIn, IdentityError> {
        let now = Utc::now();
        let known = user_identity::Entity::find().filter(user_identity::Column::Issuer.eq(&who.issuer)).filter(user_identity::Column::Subject.eq(&who.subject)).one(self.db.conn()).await?;
        if let Some(row) = &known
            && let Some(user_id) = row.user_id
        {
            let account = user::Entity::find_by_id(user_id).one(self.db.conn()).await?.ok_or(IdentityError::UnknownUser)?;
            if account.deactivated_at.is_some() {
                self.audit.write_or_log(AuditEvent::new(who.email.clone(), "auth.sign-in", "sso").outcome(Outcome::Denied).from_ip(ip).detail("account deactivated")).await;
                return Err(IdentityError::Deactivated);
            }
            self.seen(row.clone(), who, Some(user_id)).await?;
            let mut account: user::ActiveModel = account.into();
            if !who.name.is_empty() {
                account.display_name = Set(who.name.clone());
            }
            account.last_sign_in_at = Set(Some(now));
            account.update(self.db.conn()).await?;
            self.db.changed(Topic::Access);
            return Ok(SignedIn { user_id, identity_id: row.id });
        }
        let holder = user::Entity::find().filter(user::Column::Email.eq(who.email.to_lowercase())).one(self.db.conn()).await?;
        let Some(holder) = holder else {
            // Nobody has this e-mail: a new account, signed in by this identity from now on.
            let txn = self.db.conn().begin().await?;
            let account = user::ActiveModel {
                email: Set(who.email.to_lowercase()),
                display_name: Set(if who.name.is_empty() { who.email.clone() } else { who.name.clone() }),
                is_admin: Set(false),
                created_at: Set(now),
                last_sign_in_at: Set(Some(now)),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            let identity = match known {
                Some(row) => self.seen_in(&txn, row, who, Some(account.id)).await?,
                None => self.insert_in(&txn, who, Some(account.id)).await?,
            };
            txn.commit().await?;
            self.db.changed(Topic::Access);
            return Ok(SignedIn { user_id: account.id, identity_id: identity });
        };
        let other_here = user_identity::Entity::find().filter(user_identity::Column::UserId.eq(holder.id)).filter(user_identity::Column::Issuer.eq(&who.issuer)).one(self.db.conn()).await?.is_some();
        let refusal = if holder.deactivated_at.is_some() {
            Some("the account is deactivated")
        } else if self.link_by_email == LinkByEmail::Never {
            Some("this portal links sign-ins to existing accounts only by hand")
        } else if !who.email_verified {
            Some("your identity provider has not verified that the address is yours")
        } else if other_here {
            Some("the account already signs in with another identity at this provider")
        } else {
            None
        };
        if let Some(why) = refusal {
            // Remember the sign-in so an administrator can link it; change nothing else.
            match known {
                Some(row) => drop(self.seen(row, who, None).await?),
                None => drop(self.insert_in(self.db.conn(), who, None).await?),
            }
            self.audit
                .write_or_log(
                    AuditEvent::new(who.email.clone(), "auth.sign-in", "sso")
                        .outcome(Outcome::Denied)
                        .from_ip(ip)
                        .detail(format!("not linked to the existing account {}: {why} (identity {} at {})", holder.email, who.subject, who.issuer)),
                )
                .await;
            return Err(IdentityError::LinkRefused { email: holder.email, why });
        }
        let identity = match known {
            Some(row) => self.seen(row, who, Some(holder.id)).await?,
            None => self.insert_in(self.db.conn(), who, Some(holder.id)).await?,
        };
        let mut account: user::ActiveModel = holder.clone().into();
        account.last_sign_in_at = Set(Some(now));
        account.update(self.db.conn()).await?;
        self.db.changed(Topic::Access);
        self.audit
            .write_or_log(
                AuditEvent::new(who.email.clone(), "identity.link", holder.email.clone())
                    .from_ip(ip)
                    .detail(format!("linked by the provider's verified e-mail (identity {} at {})", who.subject, who.issuer)),
            )
            .await;
        Ok(SignedIn { user_id: holder.id, identity_id: identity })
    }

    async fn seen(&self, row: user_identity::Model, who: &SsoIdentity, user_id: Option<i64>) -> Result<i64, IdentityError> {
        self.seen_in(self.db.conn(), row, who, user_id).await
    }

    async fn seen_in<C: sea_orm::ConnectionTrait>(&self, conn: &C, row: user_identity::Model, who: &SsoIdentity, user_id: Option<i64>) -> Result<i64, IdentityError> {
        let id = row.id;
        let mut row: user_identity::ActiveModel = row.into();
        row.user_id = Set(user_id);
        row.email = Set(who.email.to_lowercase());
        row.email_verified = Set(who.email_verified);
        row.display_name = Set(who.name.clone());
        row.last_seen_at = Set(Utc::now());
        row.update(conn).await?;
        Ok(id)
    }

    async fn insert_in<C: sea_orm::ConnectionTrait>(&self, conn: &C, who: &SsoIdentity, user_id: Option<i64>) -> Result<i64, IdentityError> {
        let now = Utc::now();
        let row = user_identity::ActiveModel {
            issuer: Set(who.issuer.clone()),
            subject: Set(who.subject.clone()),
            user_id: Set(user_id),
            email: Set(who.email.to_lowercase()),
            email_verified: Set(who.email_verified),
            display_name: Set(who.name.clone()),
            created_at: Set(now),
            last_seen_at: Set(now),
            ..Default::default()
        }
        .insert(conn)
        .await?;
        Ok(row.id)
    }

    /// The (issuer, subject) of an identity, if it still exists.
    pub async fn issuer_and_subject(&self, identity_id: i64) -> Result<Option<(String, String)>, IdentityError> {
        Ok(user_identity::Entity::find_by_id(identity_id).one(self.db.conn()).await?.map(|r| (r.issuer, r.subject)))
    }

    /// Every identity, linked ones and sign-ins waiting for a link (newest first).
    pub async fn list(&self) -> Result<Vec<IdentitySummary>, IdentityError> {
        let rows = user_identity::Entity::find().order_by_desc(user_identity::Column::LastSeenAt).all(self.db.conn()).await?;
        Ok(rows
            .into_iter()
            .map(|r| IdentitySummary {
                id: r.id,
                issuer: r.issuer,
                subject: r.subject,
                user_id: r.user_id,
                email: r.email,
                email_verified: r.email_verified,
                display_name: r.display_name,
                last_seen_at: r.last_seen_at,
            })
            .collect())
    }

    /// Links an identity to an account (an administrator's decision): its next sign-in
    /// reaches that account. Ends sessions the identity had with another account.
    pub async fn link(&self, identity_id: i64, user_id: i64) -> Result<(String, String), IdentityError> {
        let row = user_identity::Entity::find_by_id(identity_id).one(self.db.conn()).await?.ok_or(IdentityError::UnknownIdentity)?;
        let account = user::Entity::find_by_id(user_id).one(self.db.conn()).await?.ok_or(IdentityError::UnknownUser)?;
        let label = format!("{} at {}", row.subject, row.issuer);
        if row.user_id != Some(user_id) {
            self.end_sessions_of_identity(identity_id).await?;
            let mut row: user_identity::ActiveModel = row.into();
            row.user_id = Set(Some(user_id));
            row.update(self.db.conn()).await?;
            self.db.changed(Topic::Access);
        }
        Ok((label, account.email))
    }

    /// Forgets an identity: its sessions end, and its next sign-in goes through the linking
    /// rules again.
    pub async fn unlink(&self, identity_id: i64) -> Result<String, IdentityError> {
        let row = user_identity::Entity::find_by_id(identity_id).one(self.db.conn()).await?.ok_or(IdentityError::UnknownIdentity)?;
        self.end_sessions_of_identity(identity_id).await?;
        user_identity::Entity::delete_by_id(identity_id).exec(self.db.conn()).await?;
        self.db.changed(Topic::Access);
        Ok(format!("{} at {}", row.subject, row.issuer))
    }

    async fn end_sessions_of_identity(&self, identity_id: i64) -> Result<(), IdentityError> {
        session::Entity::delete_many().filter(session::Column::IdentityId.eq(identity_id)).exec(self.db.conn()).await?;
        Ok(())
    }

    /// Deactivates (or reactivates) an account. Deactivating ends every session and revokes
    /// every API token of theirs at once.
    pub async fn set_active(&self, by: i64, user_id: i64, active: bool) -> Result<String, IdentityError> {
        if by == user_id && !active {
            return Err(IdentityError::OwnAccount);
        }
        let account = user::Entity::find_by_id(user_id).one(self.db.conn()).await?.ok_or(IdentityError::UnknownUser)?;
        let email = account.email.clone();
        let now = Utc::now();
        let txn = self.db.conn().begin().await?;
        let mut row: user::ActiveModel = account.into();
        row.deactivated_at = Set((!active).then_some(now));
        row.update(&txn).await?;
        if !active {
            session::Entity::delete_many().filter(session::Column::UserId.eq(user_id)).exec(&txn).await?;
            api_token::Entity::update_many()
                .col_expr(api_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
                .filter(api_token::Column::UserId.eq(user_id))
                .filter(api_token::Column::RevokedAt.is_null())
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        self.db.changed(Topic::Access);
        Ok(email)
    }
}
