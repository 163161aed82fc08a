//! When a workload runs (`schedule`: domain `Schedule` as JSON), its priority, and what the
//! scheduler last decided about it (`state`, `reason`).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "workload_schedules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub workload_id: i64,
    pub schedule: String,
    pub when_closed: String,
    pub priority: String,
    pub movable: bool,
    /// "waiting", "running", "queued".
    pub state: String,
    pub reason: String,
    pub updated_at: ChronoDateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
