//! One priced line of the ledger: what a workload of a namespace cost on a cluster in an hour
//! (idle capacity is the line with an empty namespace).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_ledger")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub hour: ChronoDateTimeUtc,
    pub project: Option<String>,
    pub namespace: String,
    pub workload: String,
    pub cost_micros: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
