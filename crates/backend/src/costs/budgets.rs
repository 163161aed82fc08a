//! Monthly project budgets: at 80 % and 100 % (of actual spend, or of the month-end forecast)
//! the project's owners get an in-app notification and the project's webhook (Slack-compatible
//! JSON) is called — once per threshold and month, even with several replicas (a unique row
//! decides), and every alert is audited. Webhook URLs are sealed: they never leave the server.
//! A webhook must reach a public address (or a network the administrator allows,
//! `allow_private_webhooks`): checked when it is saved and again at every send, which connects
//! to exactly the addresses checked and follows no redirect (see [`crate::net_guard`]).
use super::{Ledger, LedgerError};
use crate::entity::{budget, budget_alert, notification, project, project_member};
use crate::net_guard::{self, AllowedNetworks};
use crate::{AuditLog, Database, SecretKey};
use chrono::{DateTime, Utc};
use flotilla_domain::cost_report::budget_crossings;
use flotilla_domain::{Basis, Budget, Notification};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

#[derive(Debug, thiserror::Error)]
pub enum BudgetError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read or write budgets: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// What to do with a budget's webhook when saving it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Webhook {
    Keep,
    Clear,
    Set(String),
}

/// One alert that fired.
#[derive(Debug, Clone, PartialEq)]
pub struct Fired {
    pub project: String,
    pub month: String,
    pub threshold: u8,
    pub basis: Basis,
    pub text: String,
    /// What the webhook answered, when there is one.
    pub webhook: Option<Result<u16, String>>,
}

#[derive(Clone, Debug)]
pub struct Budgets {
    db: Database,
    key: SecretKey,
    ledger: Ledger,
    audit: AuditLog,
    /// Non-public networks webhooks may reach nonetheless.
    allowed: AllowedNetworks,
}

/// How long a webhook has to answer.
const WEBHOOK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

fn context(project_id: i64) -> String {
    format!("budget-webhook:{project_id}")
}

async fn check_url(url: &str, allowed: &AllowedNetworks) -> Result<(), BudgetError> {
    let parsed = url::Url::parse(url.trim()).map_err(|_| BudgetError::Invalid("The webhook must be a full URL such as https://hooks.slack.com/services/….".into()))?;
    if !matches!(parsed.scheme(), "https" | "http") || parsed.host_str().is_none() || url.len() > 2000 {
        return Err(BudgetError::Invalid("The webhook must be an http(s) URL of at most 2,000 characters.".into()));
    }
    net_guard::check_url(url, allowed).await.map_err(|refused| BudgetError::Invalid(refused.0))?;
    Ok(())
}

impl Budgets {
    /// `allowed`: the networks besides public addresses that webhooks may reach (the
    /// `allow_private_webhooks` setting; empty allows public addresses only).
    pub fn new(db: Database, key: SecretKey, ledger: Ledger, allowed: AllowedNetworks) -> Self {
        Self { audit: AuditLog::new(db.clone()), db, key, ledger, allowed }
    }

    pub async fn get(&self, project_id: i64) -> Result<Option<Budget>, BudgetError> {
        let row = budget::Entity::find().filter(budget::Column::ProjectId.eq(project_id)).one(self.db.conn()).await?;
        Ok(row.map(|b| Budget { project_id, monthly: b.monthly_micros as f64 / 1e6, currency: b.currency, webhook_set: b.webhook_sealed.is_some() }))
    }

    /// Sets a project's monthly budget (and its webhook as asked).
    pub async fn set(&self, project_id: i64, monthly: f64, currency: &str, webhook: Webhook) -> Result<Budget, BudgetError> {
        if !(monthly.is_finite() && monthly > 0.0 && monthly <= 1e9) {
            return Err(BudgetError::Invalid("The monthly budget is a number above 0 (at most 1,000,000,000).".into()));
        }
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(BudgetError::Invalid("The currency is a three-letter code such as USD or JPY.".into()));
        }
        let existing = budget::Entity::find().filter(budget::Column::ProjectId.eq(project_id)).one(self.db.conn()).await?;
        let sealed = match webhook {
            Webhook::Keep => existing.as_ref().and_then(|b| b.webhook_sealed.clone()),
            Webhook::Clear => None,
            Webhook::Set(url) => {
                check_url(&url, &self.allowed).await?;
                Some(self.key.seal(url.trim().as_bytes(), &context(project_id)))
            }
        };
        let row = budget::ActiveModel {
            project_id: Set(project_id),
            monthly_micros: Set((monthly * 1e6).round() as i64),
            currency: Set(currency.to_owned()),
            webhook_sealed: Set(sealed),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        budget::Entity::insert(row)
            .on_conflict(
                OnConflict::column(budget::Column::ProjectId)
                    .update_columns([budget::Column::MonthlyMicros, budget::Column::Currency, budget::Column::WebhookSealed, budget::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec(self.db.conn())
            .await?;
        Ok(self.get(project_id).await?.expect("the budget was just saved"))
    }

    pub async fn remove(&self, project_id: i64) -> Result<bool, BudgetError> {
        Ok(budget::Entity::delete_many().filter(budget::Column::ProjectId.eq(project_id)).exec(self.db.conn()).await?.rows_affected > 0)
    }

    /// The alerts a project's budget fired this month: (threshold, basis, text).
    pub async fn alerts(&self, project_id: i64, month: &str) -> Result<Vec<(u8, String, String)>, BudgetError> {
        let rows = budget_alert::Entity::find()
            .filter(budget_alert::Column::ProjectId.eq(project_id))
            .filter(budget_alert::Column::Month.eq(month))
            .order_by_asc(budget_alert::Column::Threshold)
            .all(self.db.conn())
            .await?;
        Ok(rows.into_iter().map(|a| (a.threshold as u8, a.basis, a.detail)).collect())
    }

    /// Checks every budget against the ledger at `now` and fires what newly crossed a threshold.
    pub async fn check(&self, now: DateTime<Utc>) -> Result<Vec<Fired>, BudgetError> {
        let mut fired = Vec::new();
        for b in budget::Entity::find().all(self.db.conn()).await? {
            let Some(p) = project::Entity::find_by_id(b.project_id).one(self.db.conn()).await? else { continue };
            let limit = b.monthly_micros as f64 / 1e6;
            let status = self.ledger.month_status(&p.name, now, Some(limit)).await?;
            let already: Vec<u8> = self.alerts(p.id, &status.month).await?.into_iter().map(|a| a.0).collect();
            for (threshold, basis) in budget_crossings(limit, status.to_date, status.forecast, &already) {
                let text = match basis {
                    Basis::Actual => {
                        format!("{} has spent {:.2} {} of its {:.2} {} budget for {} ({} % threshold reached).", p.name, status.to_date, b.currency, limit, b.currency, status.month, threshold)
                    }
                    Basis::Forecast => format!(
                        "{} is heading for {:.2} {} in {} (spent so far {:.2}): over {} % of its {:.2} {} budget.",
                        p.name, status.forecast, b.currency, status.month, status.to_date, threshold, limit, b.currency
                    ),
                };
                let alert = budget_alert::ActiveModel {
                    project_id: Set(p.id),
                    month: Set(status.month.clone()),
                    threshold: Set(i32::from(threshold)),
                    basis: Set(basis.as_str().to_owned()),
                    detail: Set(text.clone()),
                    fired_at: Set(now),
                    ..Default::default()
                };
                // The unique (project, month, threshold) row is the decision: whoever inserts it
                // first sends the alert, everyone else (another replica) does nothing.
                let inserted = budget_alert::Entity::insert(alert)
                    .on_conflict(OnConflict::columns([budget_alert::Column::ProjectId, budget_alert::Column::Month, budget_alert::Column::Threshold]).do_nothing().to_owned())
                    .exec_without_returning(self.db.conn())
                    .await?;
                if inserted == 0 {
                    continue;
                }
                self.notify_owners(p.id, &p.name, &text).await?;
                let webhook = match &b.webhook_sealed {
                    Some(sealed) => Some(self.call_webhook(p.id, sealed, &text).await),
                    None => None,
                };
                let outcome = match &webhook {
                    None => "no webhook set".to_owned(),
                    Some(Ok(code)) => format!("webhook answered {code}"),
                    Some(Err(e)) => format!("webhook failed: {e}"),
                };
                let _ = self.audit.record("flotilla", "budget.alert", &p.name, &format!("{text} In-app notification to the owners; {outcome}.")).await;
                fired.push(Fired { project: p.name.clone(), month: status.month.clone(), threshold, basis, text, webhook });
            }
        }
        Ok(fired)
    }

    async fn call_webhook(&self, project_id: i64, sealed: &str, text: &str) -> Result<u16, String> {
        let url = self.key.open(sealed, &context(project_id)).map_err(|e| e.to_string())?;
        let url = String::from_utf8(url).map_err(|_| "the stored webhook URL is damaged".to_owned())?;
        // Checked again at every send (the allowance or the name's addresses may have changed
        // since it was saved), and the request connects to exactly the addresses checked.
        let checked = net_guard::check_url(&url, &self.allowed).await.map_err(|refused| refused.0)?;
        let http = checked.client(WEBHOOK_TIMEOUT).map_err(|e| e.0)?;
        let body = serde_json::json!({ "text": text }).to_string();
        let answer = http.post(checked.url.clone()).header("content-type", "application/json").body(body).send().await;
        // The URL is a secret: errors are reported without it.
        match answer {
            Ok(r) if r.status().is_success() => Ok(r.status().as_u16()),
            Ok(r) if r.status().is_redirection() => Err(format!("HTTP {} (redirects are not followed)", r.status().as_u16())),
            Ok(r) => Err(format!("HTTP {}", r.status().as_u16())),
            Err(e) if e.is_timeout() => Err("no answer within 5 s".into()),
            Err(_) => Err("could not connect".into()),
        }
    }

    async fn notify_owners(&self, project_id: i64, project: &str, text: &str) -> Result<(), BudgetError> {
        let owners = project_member::Entity::find().filter(project_member::Column::ProjectId.eq(project_id)).filter(project_member::Column::Role.eq("owner")).all(self.db.conn()).await?;
        for o in owners {
            notification::ActiveModel {
                user_id: Set(o.user_id),
                project_id: Set(Some(project_id)),
                text: Set(text.to_owned()),
                link: Set(format!("/costs?project={project}")),
                created_at: Set(Utc::now()),
                read_at: Set(None),
                ..Default::default()
            }
            .insert(self.db.conn())
            .await?;
        }
        Ok(())
    }

    /// A user's newest notifications.
    pub async fn notifications(&self, user_id: i64, limit: u64) -> Result<Vec<Notification>, BudgetError> {
        let rows = notification::Entity::find()
            .filter(notification::Column::UserId.eq(user_id))
            .order_by_desc(notification::Column::CreatedAt)
            .order_by_desc(notification::Column::Id)
            .limit(limit)
            .all(self.db.conn())
            .await?;
        Ok(rows.into_iter().map(|n| Notification { id: n.id, text: n.text, link: n.link, at_ms: n.created_at.timestamp_millis(), read: n.read_at.is_some() }).collect())
    }

    /// Marks all of a user's notifications read.
    pub async fn mark_read(&self, user_id: i64) -> Result<(), BudgetError> {
        notification::Entity::update_many()
            .col_expr(notification::Column::ReadAt, sea_orm::sea_query::Expr::value(Utc::now()))
            .filter(notification::Column::UserId.eq(user_id))
            .filter(notification::Column::ReadAt.is_null())
            .exec(self.db.conn())
            .await?;
        Ok(())
    }

    /// Re-seals every webhook URL under a new key (key rotation).
    pub async fn rotate_key(&self, new: &SecretKey) -> Result<usize, BudgetError> {
        let mut n = 0;
        for b in budget::Entity::find().all(self.db.conn()).await? {
            let Some(sealed) = &b.webhook_sealed else { continue };
            let url = self.key.open(sealed, &context(b.project_id)).map_err(|e| BudgetError::Invalid(e.to_string()))?;
            let mut row: budget::ActiveModel = b.clone().into();
            row.webhook_sealed = Set(Some(new.seal(&url, &context(b.project_id))));
            row.update(self.db.conn()).await?;
            n += 1;
        }
        Ok(n)
    }
}
