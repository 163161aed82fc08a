//! One utilisation reading of a cluster, node or namespace (scope), taken every minute.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "utilisation_snapshots")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    /// "cluster", "node" or "namespace".
    pub scope: String,
    pub name: String,
    pub at: ChronoDateTimeUtc,
    pub cpu_alloc_m: i64,
    pub mem_alloc_b: i64,
    pub pods_alloc: i64,
    pub cpu_req_m: i64,
    pub mem_req_b: i64,
    pub pods: i64,
    pub cpu_used_m: Option<i64>,
    pub mem_used_b: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
