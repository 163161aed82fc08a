//! What one workload of one namespace used of one node during one hour: per pool, Σ share × hours.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_usage")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub hour: ChronoDateTimeUtc,
    pub node: String,
    pub namespace: String,
    pub workload: String,
    pub project: Option<String>,
    pub cpu_share_hours: f64,
    pub mem_share_hours: f64,
    pub pod_share_hours: f64,
    pub gpu_share_hours: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
