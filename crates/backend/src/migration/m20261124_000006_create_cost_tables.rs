//! Per-cluster cost weights (`cost_weights`), the cost ledger (`cost_usage`, `cost_node_hours` and `cost_hours`: what was used, per hour,
//! priced into `cost_ledger`), project budgets with the alerts they fired, and in-app
//! notifications.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CostUsage {
    Table,
    Id,
    ClusterId,
    Hour,
    Node,
    Namespace,
    Workload,
    Project,
    CpuShareHours,
    MemShareHours,
    PodShareHours,
    GpuShareHours,
}

#[derive(DeriveIden)]
enum CostNodeHours {
    Table,
    Id,
    ClusterId,
    Hour,
    Node,
    InstanceType,
    HasGpus,
    Hours,
}

#[derive(DeriveIden)]
enum CostHours {
    Table,
    Id,
    ClusterId,
    Hour,
    ObservedHours,
    Currency,
    TotalMicros,
    IdleMicros,
    ControlPlaneMicros,
    Unpriced,
    PricedAt,
}

#[derive(DeriveIden)]
enum CostLedger {
    Table,
    Id,
    ClusterId,
    Hour,
    Project,
    Namespace,
    Workload,
    CostMicros,
}

#[derive(DeriveIden)]
enum CostWeights {
    Table,
    Id,
    ClusterId,
    Cpu,
    Memory,
    Pods,
    Gpu,
}

#[derive(DeriveIden)]
enum Budgets {
    Table,
    Id,
    ProjectId,
    MonthlyMicros,
    Currency,
    WebhookSealed,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum BudgetAlerts {
    Table,
    Id,
    ProjectId,
    Month,
    Threshold,
    Basis,
    Detail,
    FiredAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    ProjectId,
    Text,
    Link,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

fn cluster_fk<T: IntoIden + 'static>(table: T, col: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(Clusters::Table, Clusters::Id).on_delete(ForeignKeyAction::Cascade).to_owned()
}

fn project_fk<T: IntoIden + 'static>(table: T, col: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(table, col).to(Projects::Table, Projects::Id).on_delete(ForeignKeyAction::Cascade).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(CostUsage::Table)
                .col(big_integer(CostUsage::Id).auto_increment().primary_key())
                .col(big_integer(CostUsage::ClusterId))
                .col(timestamp_with_time_zone(CostUsage::Hour))
                .col(string(CostUsage::Node))
                .col(string(CostUsage::Namespace))
                .col(string(CostUsage::Workload))
                .col(string_null(CostUsage::Project))
                .col(double(CostUsage::CpuShareHours))
                .col(double(CostUsage::MemShareHours))
                .col(double(CostUsage::PodShareHours))
                .col(double(CostUsage::GpuShareHours))
                .foreign_key(&mut cluster_fk(CostUsage::Table, CostUsage::ClusterId))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_cost_usage_key")
                .table(CostUsage::Table)
                .col(CostUsage::ClusterId)
                .col(CostUsage::Hour)
                .col(CostUsage::Node)
                .col(CostUsage::Namespace)
                .col(CostUsage::Workload)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(CostNodeHours::Table)
                .col(big_integer(CostNodeHours::Id).auto_increment().primary_key())
                .col(big_integer(CostNodeHours::ClusterId))
                .col(timestamp_with_time_zone(CostNodeHours::Hour))
                .col(string(CostNodeHours::Node))
                .col(string(CostNodeHours::InstanceType))
                .col(boolean(CostNodeHours::HasGpus))
                .col(double(CostNodeHours::Hours))
                .foreign_key(&mut cluster_fk(CostNodeHours::Table, CostNodeHours::ClusterId))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_cost_node_hours_key").table(CostNodeHours::Table).col(CostNodeHours::ClusterId).col(CostNodeHours::Hour).col(CostNodeHours::Node).unique().to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table(CostHours::Table)
                .col(big_integer(CostHours::Id).auto_increment().primary_key())
                .col(big_integer(CostHours::ClusterId))
                .col(timestamp_with_time_zone(CostHours::Hour))
                .col(double(CostHours::ObservedHours))
                .col(string(CostHours::Currency))
                .col(big_integer(CostHours::TotalMicros))
                .col(big_integer(CostHours::IdleMicros))
                .col(big_integer(CostHours::ControlPlaneMicros))
                .col(text(CostHours::Unpriced))
                .col(timestamp_with_time_zone_null(CostHours::PricedAt))
                .foreign_key(&mut cluster_fk(CostHours::Table, CostHours::ClusterId))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_cost_hours_key").table(CostHours::Table).col(CostHours::ClusterId).col(CostHours::Hour).unique().to_owned()).await?;
        m.create_index(Index::create().name("ix_cost_hours_hour").table(CostHours::Table).col(CostHours::Hour).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(CostLedger::Table)
                .col(big_integer(CostLedger::Id).auto_increment().primary_key())
                .col(big_integer(CostLedger::ClusterId))
                .col(timestamp_with_time_zone(CostLedger::Hour))
                .col(string_null(CostLedger::Project))
                .col(string(CostLedger::Namespace))
                .col(string(CostLedger::Workload))
                .col(big_integer(CostLedger::CostMicros))
                .foreign_key(&mut cluster_fk(CostLedger::Table, CostLedger::ClusterId))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_cost_ledger_hour").table(CostLedger::Table).col(CostLedger::Hour).to_owned()).await?;
        m.create_index(Index::create().name("ix_cost_ledger_cluster_hour").table(CostLedger::Table).col(CostLedger::ClusterId).col(CostLedger::Hour).to_owned()).await?;
        m.create_index(Index::create().name("ix_cost_ledger_project_hour").table(CostLedger::Table).col(CostLedger::Project).col(CostLedger::Hour).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(CostWeights::Table)
                .col(big_integer(CostWeights::Id).auto_increment().primary_key())
                .col(big_integer(CostWeights::ClusterId).unique_key())
                .col(double(CostWeights::Cpu))
                .col(double(CostWeights::Memory))
                .col(double(CostWeights::Pods))
                .col(double(CostWeights::Gpu))
                .foreign_key(&mut cluster_fk(CostWeights::Table, CostWeights::ClusterId))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Budgets::Table)
                .col(big_integer(Budgets::Id).auto_increment().primary_key())
                .col(big_integer(Budgets::ProjectId).unique_key())
                .col(big_integer(Budgets::MonthlyMicros))
                .col(string(Budgets::Currency))
                .col(text_null(Budgets::WebhookSealed))
                .col(timestamp_with_time_zone(Budgets::UpdatedAt))
                .foreign_key(&mut project_fk(Budgets::Table, Budgets::ProjectId))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(BudgetAlerts::Table)
                .col(big_integer(BudgetAlerts::Id).auto_increment().primary_key())
                .col(big_integer(BudgetAlerts::ProjectId))
                .col(string(BudgetAlerts::Month))
                .col(integer(BudgetAlerts::Threshold))
                .col(string(BudgetAlerts::Basis))
                .col(text(BudgetAlerts::Detail))
                .col(timestamp_with_time_zone(BudgetAlerts::FiredAt))
                .foreign_key(&mut project_fk(BudgetAlerts::Table, BudgetAlerts::ProjectId))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_budget_alerts_once").table(BudgetAlerts::Table).col(BudgetAlerts::ProjectId).col(BudgetAlerts::Month).col(BudgetAlerts::Threshold).unique().to_owned())
            .await?;
        m.create_table(
            Table::create()
                .table(Notifications::Table)
                .col(big_integer(Notifications::Id).auto_increment().primary_key())
                .col(big_integer(Notifications::UserId))
                .col(big_integer_null(Notifications::ProjectId))
                .col(text(Notifications::Text))
                .col(string(Notifications::Link))
                .col(timestamp_with_time_zone(Notifications::CreatedAt))
                .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                .foreign_key(ForeignKey::create().from(Notifications::Table, Notifications::UserId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_notifications_user").table(Notifications::Table).col(Notifications::UserId).col(Notifications::CreatedAt).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            Notifications::Table.into_iden(),
            BudgetAlerts::Table.into_iden(),
            Budgets::Table.into_iden(),
            CostWeights::Table.into_iden(),
            CostLedger::Table.into_iden(),
            CostHours::Table.into_iden(),
            CostNodeHours::Table.into_iden(),
            CostUsage::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
