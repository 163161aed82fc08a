//! The audit trail: every change, sign-in, sign-out and denied attempt, with who, what, where
//! from and how it ended. Append-only: the app offers no way to edit or delete lines.
use crate::Database;
use crate::entity::audit_log;
use chrono::Utc;
use flotilla_domain::{AuditLine, AuditQuery};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot write or read the audit log: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// How an audited attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

/// One thing that happened, about to be written.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub cluster: String,
    pub outcome: Outcome,
    pub source_ip: String,
    pub detail: String,
}

impl AuditEvent {
    pub fn new(actor: impl Into<String>, action: impl Into<String>, target: impl Into<String>) -> Self {
        Self { actor: actor.into(), action: action.into(), target: target.into(), cluster: String::new(), outcome: Outcome::Ok, source_ip: String::new(), detail: String::new() }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn from_ip(mut self, ip: impl Into<String>) -> Self {
        self.source_ip = ip.into();
        self
    }

    pub fn on_cluster(mut self, cluster: impl Into<String>) -> Self {
        self.cluster = cluster.into();
        self
    }
}

#[derive(Clone, Debug)]
pub struct AuditLog {
    db: Database,
}

fn line(r: audit_log::Model) -> AuditLine {
    AuditLine { id: r.id, at: r.at, actor: r.actor, action: r.action, target: r.target, cluster: r.cluster, outcome: r.outcome, source_ip: r.source_ip, detail: r.detail }
}

impl AuditLog {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn write(&self, e: AuditEvent) -> Result<(), AuditError> {
        audit_log::ActiveModel {
            at: Set(Utc::now()),
            actor: Set(e.actor),
            action: Set(e.action),
            target: Set(e.target),
            detail: Set(e.detail),
            cluster: Set(e.cluster),
            outcome: Set(e.outcome.as_str().to_owned()),
            source_ip: Set(e.source_ip),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await?;
        Ok(())
    }

    /// Writes the event; a failure is logged, never passed on (the action it records stands).
    pub async fn write_or_log(&self, e: AuditEvent) {
        let action = e.action.clone();
        if let Err(err) = self.write(e).await {
            tracing::error!("could not audit {action}: {err}");
        }
    }

    /// Shorthand for a successful change by `actor`.
    pub async fn record(&self, actor: &str, action: &str, target: &str, detail: &str) -> Result<(), AuditError> {
        self.write(AuditEvent::new(actor, action, target).detail(detail)).await
    }

    /// The newest `limit` entries, newest first.
    pub async fn recent(&self, limit: u64) -> Result<Vec<AuditLine>, AuditError> {
        self.search(&AuditQuery { limit, ..Default::default() }).await
    }

    /// Entries matching the filters (actor and action by substring, outcome exactly), newest
    /// first, at most `limit` (1..=5000; 0 means 200), older than `before` when given (the
    /// next page starts below the previous page's last id).
    pub async fn search(&self, q: &AuditQuery) -> Result<Vec<AuditLine>, AuditError> {
        let mut find = audit_log::Entity::find();
        if !q.actor.trim().is_empty() {
            find = find.filter(audit_log::Column::Actor.contains(q.actor.trim()));
        }
        if !q.action.trim().is_empty() {
            find = find.filter(audit_log::Column::Action.contains(q.action.trim()));
        }
        if !q.outcome.trim().is_empty() {
            find = find.filter(audit_log::Column::Outcome.eq(q.outcome.trim()));
        }
        if let Some(before) = q.before {
            find = find.filter(audit_log::Column::Id.lt(before));
        }
        let limit = if q.limit == 0 { 200 } else { q.limit.min(5000) };
        let rows = find.order_by_desc(audit_log::Column::Id).limit(limit).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(line).collect())
    }
}
