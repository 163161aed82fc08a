//! A cluster's own utilisation thresholds for low-priority work and rebalancing (defaults when
//! it has no row).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "cluster_thresholds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub deploy_below_pct: i32,
    pub evict_above_pct: i32,
    pub burst_minutes: i32,
    pub rebalance_minutes: i32,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
