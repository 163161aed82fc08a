//! The audit trail: every change to portal state is written here, with who and why.
use crate::entity::audit_log;
use crate::Database;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, EntityTrait, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot write or read the audit log: {0}")]
    Db(#[from] sea_orm::DbErr),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub detail: String,
}

#[derive(Clone, Debug)]
pub struct AuditLog {
    db: Database,
}

impl AuditLog {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn record(&self, actor: &str, action: &str, target: &str, detail: &str) -> Result<(), AuditError> {
        audit_log::ActiveModel {
            at: Set(Utc::now()),
            actor: Set(actor.to_owned()),
            action: Set(action.to_owned()),
            target: Set(target.to_owned()),
            detail: Set(detail.to_owned()),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub async fn recent(&self, limit: u64) -> Result<Vec<AuditEntry>, AuditError> {
        let rows = audit_log::Entity::find()
            .order_by_desc(audit_log::Column::Id)
            .limit(limit)
            .all(self.db.conn())
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| AuditEntry { at: r.at, actor: r.actor, action: r.action, target: r.target, detail: r.detail })
            .collect())
    }
}
