//! Where a workload should run (`desired` = "present" | "absent") and what was last seen there.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "workload_deployments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workload_id: i64,
    pub cluster_id: i64,
    pub replicas: i32,
    pub desired: String,
    pub applied_revision: i32,
    pub phase: String,
    pub message: String,
    pub ready: i32,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
