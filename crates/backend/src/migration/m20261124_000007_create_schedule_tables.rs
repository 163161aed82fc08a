//! Scheduling: a workload's schedule, priority and state (`workload_schedules`), the history of
//! automatic actions (`schedule_events`), and leases so that one replica at a time runs the
//! scheduler (`leases`), and each cluster's own utilisation thresholds (`cluster_thresholds`).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Workloads {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WorkloadSchedules {
    Table,
    Id,
    WorkloadId,
    Schedule,
    WhenClosed,
    Priority,
    Movable,
    State,
    Reason,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ScheduleEvents {
    Table,
    Id,
    At,
    WorkloadId,
    Workload,
    Cluster,
    Action,
    Reason,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ClusterThresholds {
    Table,
    Id,
    ClusterId,
    DeployBelowPct,
    EvictAbovePct,
    BurstMinutes,
    RebalanceMinutes,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Leases {
    Table,
    Id,
    Name,
    Holder,
    ExpiresAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WorkloadSchedules::Table)
                .col(big_integer(WorkloadSchedules::Id).auto_increment().primary_key())
                .col(big_integer(WorkloadSchedules::WorkloadId).unique_key())
                .col(text(WorkloadSchedules::Schedule))
                .col(string(WorkloadSchedules::WhenClosed))
                .col(string(WorkloadSchedules::Priority))
                .col(boolean(WorkloadSchedules::Movable))
                .col(string(WorkloadSchedules::State))
                .col(text(WorkloadSchedules::Reason))
                .col(timestamp_with_time_zone(WorkloadSchedules::UpdatedAt))
                .foreign_key(ForeignKey::create().from(WorkloadSchedules::Table, WorkloadSchedules::WorkloadId).to(Workloads::Table, Workloads::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ScheduleEvents::Table)
                .col(big_integer(ScheduleEvents::Id).auto_increment().primary_key())
                .col(timestamp_with_time_zone(ScheduleEvents::At))
                .col(big_integer_null(ScheduleEvents::WorkloadId))
                .col(string(ScheduleEvents::Workload))
                .col(string(ScheduleEvents::Cluster))
                .col(string(ScheduleEvents::Action))
                .col(text(ScheduleEvents::Reason))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_schedule_events_at").table(ScheduleEvents::Table).col(ScheduleEvents::At).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(Leases::Table)
                .col(big_integer(Leases::Id).auto_increment().primary_key())
                .col(string(Leases::Name).unique_key())
                .col(string(Leases::Holder))
                .col(timestamp_with_time_zone(Leases::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ClusterThresholds::Table)
                .col(big_integer(ClusterThresholds::Id).auto_increment().primary_key())
                .col(big_integer(ClusterThresholds::ClusterId).unique_key())
                .col(integer(ClusterThresholds::DeployBelowPct))
                .col(integer(ClusterThresholds::EvictAbovePct))
                .col(integer(ClusterThresholds::BurstMinutes))
                .col(integer(ClusterThresholds::RebalanceMinutes))
                .col(timestamp_with_time_zone(ClusterThresholds::UpdatedAt))
                .foreign_key(ForeignKey::create().from(ClusterThresholds::Table, ClusterThresholds::ClusterId).to(Clusters::Table, Clusters::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ClusterThresholds::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Leases::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(ScheduleEvents::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(WorkloadSchedules::Table).to_owned()).await
    }
}
