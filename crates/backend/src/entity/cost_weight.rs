//! How one cluster splits its node prices into CPU, memory, pod-slot and GPU pools (absent =
//! the documented defaults).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_weights")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub cpu: f64,
    pub memory: f64,
    pub pods: f64,
    pub gpu: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
