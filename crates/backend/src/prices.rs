//! The price catalogue in the database: seeded with the default table of common cloud instance
//! types, edited by administrators, imported and exported as CSV; plus per-node prices for
//! on-prem nodes. Looking up a type nobody priced answers "unknown", never zero.
use crate::Database;
use crate::entity::{node_price, price};
use chrono::Utc;
use flotilla_domain::{PriceEntry, Provider};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set, TransactionTrait};

#[derive(Debug, thiserror::Error)]
pub enum PriceError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read or write prices: {0}")]
    Db(#[from] sea_orm::DbErr),
}

#[derive(Clone, Debug)]
pub struct Prices {
    db: Database,
}

fn entry(row: price::Model) -> PriceEntry {
    PriceEntry { provider: Provider::parse(&row.provider), instance_type: row.instance_type, currency: row.currency, price_per_hour: row.price_per_hour }
}

fn check(e: &PriceEntry) -> Result<(), PriceError> {
    if e.instance_type.trim().is_empty() || e.instance_type.len() > 100 {
        return Err(PriceError::Invalid("Give the instance type exactly as the cloud names it (at most 100 characters).".into()));
    }
    if !(e.price_per_hour.is_finite() && (0.0..=10_000.0).contains(&e.price_per_hour)) {
        return Err(PriceError::Invalid("The price per hour is a number from 0 to 10000.".into()));
    }
    if e.currency.len() != 3 || !e.currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(PriceError::Invalid("The currency is a three-letter code such as USD or JPY.".into()));
    }
    Ok(())
}

impl Prices {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Adds the default table's lines that are missing; prices already there (edited or not) stay.
    pub async fn seed_defaults(&self) -> Result<usize, PriceError> {
        let have = self.list().await?;
        let missing: Vec<PriceEntry> = flotilla_domain::default_prices().into_iter().filter(|d| !have.iter().any(|h| h.provider == d.provider && h.instance_type == d.instance_type)).collect();
        let n = missing.len();
        if n > 0 {
            self.import(&missing).await?;
        }
        Ok(n)
    }

    /// The catalogue by provider and instance type.
    pub async fn list(&self) -> Result<Vec<PriceEntry>, PriceError> {
        let rows = price::Entity::find().order_by_asc(price::Column::Provider).order_by_asc(price::Column::InstanceType).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(entry).collect())
    }

    /// Creates or replaces lines, all or none (a CSV import).
    pub async fn import(&self, entries: &[PriceEntry]) -> Result<(), PriceError> {
        for e in entries {
            check(e)?;
        }
        let txn = self.db.conn().begin().await?;
        for e in entries {
            let row = price::ActiveModel {
                provider: Set(e.provider.as_str().to_owned()),
                instance_type: Set(e.instance_type.trim().to_owned()),
                currency: Set(e.currency.clone()),
                price_per_hour: Set(e.price_per_hour),
                updated_at: Set(Utc::now()),
                ..Default::default()
            };
            price::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([price::Column::Provider, price::Column::InstanceType])
                        .update_columns([price::Column::Currency, price::Column::PricePerHour, price::Column::UpdatedAt])
                        .to_owned(),
                )
                .exec(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(())
    }

    pub async fn remove(&self, provider: Provider, instance_type: &str) -> Result<(), PriceError> {
        price::Entity::delete_many().filter(price::Column::Provider.eq(provider.as_str())).filter(price::Column::InstanceType.eq(instance_type)).exec(self.db.conn()).await?;
        Ok(())
    }

    /// The hourly price of an instance type, or `None` when the catalogue does not know it.
    pub async fn price_of(&self, provider: Provider, instance_type: &str) -> Result<Option<f64>, PriceError> {
        Ok(price::Entity::find().filter(price::Column::Provider.eq(provider.as_str())).filter(price::Column::InstanceType.eq(instance_type)).one(self.db.conn()).await?.map(|r| r.price_per_hour))
    }

    /// Sets (or with `None`, clears) the price of one node, e.g. an on-prem machine.
    pub async fn set_node_price(&self, cluster_id: i64, node: &str, per_hour: Option<f64>) -> Result<(), PriceError> {
        node_price::Entity::delete_many().filter(node_price::Column::ClusterId.eq(cluster_id)).filter(node_price::Column::NodeName.eq(node)).exec(self.db.conn()).await?;
        if let Some(p) = per_hour {
            if !(p.is_finite() && (0.0..=10_000.0).contains(&p)) {
                return Err(PriceError::Invalid("The price per hour is a number from 0 to 10000.".into()));
            }
            let row = node_price::ActiveModel { cluster_id: Set(cluster_id), node_name: Set(node.to_owned()), price_per_hour: Set(p), updated_at: Set(Utc::now()), ..Default::default() };
            node_price::Entity::insert(row).exec(self.db.conn()).await?;
        }
        Ok(())
    }

    /// Per-node prices of a cluster: (node name, price per hour).
    pub async fn node_prices(&self, cluster_id: i64) -> Result<Vec<(String, f64)>, PriceError> {
        let rows = node_price::Entity::find().filter(node_price::Column::ClusterId.eq(cluster_id)).order_by_asc(node_price::Column::NodeName).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(|r| (r.node_name, r.price_per_hour)).collect())
    }
}
