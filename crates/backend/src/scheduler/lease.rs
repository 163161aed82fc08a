//! A lease in the database: one holder at a time for a named singleton task, renewed by every
//! pass and taken over by another replica once it has expired (holder gone).
use crate::Database;
use crate::entity::lease;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Set};

#[derive(Clone, Debug)]
pub struct Lease {
    db: Database,
    name: String,
    holder: String,
    pub ttl: Duration,
}

impl Lease {
    pub fn new(db: Database, name: &str, holder: &str) -> Self {
        Self { db, name: name.to_owned(), holder: holder.to_owned(), ttl: Duration::seconds(15) }
    }

    /// Takes or renews the lease at `now`; false while another holder's lease runs.
    pub async fn acquire(&self, now: DateTime<Utc>) -> Result<bool, sea_orm::DbErr> {
        let row = lease::ActiveModel { name: Set(self.name.clone()), holder: Set(self.holder.clone()), expires_at: Set(now + self.ttl), ..Default::default() };
        // Create it if nobody ever held it (a second inserter does nothing) …
        lease::Entity::insert(row).on_conflict(OnConflict::column(lease::Column::Name).do_nothing().to_owned()).exec_without_returning(self.db.conn()).await?;
        // … then one conditional update decides: ours already, or expired.
        let taken = lease::Entity::update_many()
            .col_expr(lease::Column::Holder, Expr::value(self.holder.clone()))
            .col_expr(lease::Column::ExpiresAt, Expr::value(now + self.ttl))
            .filter(lease::Column::Name.eq(self.name.clone()))
            .filter(Condition::any().add(lease::Column::Holder.eq(self.holder.clone())).add(lease::Column::ExpiresAt.lt(now)))
            .exec(self.db.conn())
            .await?;
        Ok(taken.rows_affected == 1)
    }

    /// [`acquire`](Self::acquire) for loops: true when this replica holds the lease now; a
    /// database error is logged and counts as not holding it (the pass is skipped).
    pub async fn held(&self, now: DateTime<Utc>) -> bool {
        self.acquire(now).await.unwrap_or_else(|e| {
            tracing::warn!(lease = %self.name, "cannot take or renew the lease: {e}");
            false
        })
    }
}
