//! One cluster-hour of the ledger: how much of it was observed and what it cost in all.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_hours")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub hour: ChronoDateTimeUtc,
    pub observed_hours: f64,
    pub currency: String,
    pub total_micros: i64,
    pub idle_micros: i64,
    pub control_plane_micros: i64,
    /// Names of nodes without a known price, comma-separated.
    pub unpriced: String,
    pub priced_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
