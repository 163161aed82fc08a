//! A project's quota per cluster namespace: what its owners set, within the administrators' maxima.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "project_quotas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub project_id: i64,
    pub cpu_m: i64,
    pub mem_b: i64,
    pub pods: i32,
    pub max_cpu_m: i64,
    pub max_mem_b: i64,
    pub max_pods: i32,
    pub gpus: i32,
    pub max_gpus: i32,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
