//! An identity-provider group mapped to a role, portal-wide or in one project.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "group_mappings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_name: String,
    pub role: String,
    pub project_id: Option<i64>,
    pub created_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
