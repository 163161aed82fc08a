//! How long one node was observed during one hour, and what it is (to look its price up).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cost_node_hours")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub cluster_id: i64,
    pub hour: ChronoDateTimeUtc,
    pub node: String,
    pub instance_type: String,
    pub has_gpus: bool,
    pub hours: f64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
