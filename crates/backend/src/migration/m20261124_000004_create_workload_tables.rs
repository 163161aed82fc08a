//! Self-service workloads: what a developer registered (`workloads`, the validated spec as JSON
//! with its revision and the one before it, for roll-back), where it should run
//! (`workload_deployments`, one row per cluster, with the last observed status), and each
//! project's quota (`project_quotas`: what owners set, within what administrators allow).
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Workloads {
    Table,
    Id,
    ProjectId,
    Name,
    Spec,
    Revision,
    PreviousSpec,
    Paused,
    OwnerId,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WorkloadDeployments {
    Table,
    Id,
    WorkloadId,
    ClusterId,
    Replicas,
    Desired,
    AppliedRevision,
    Phase,
    Message,
    Ready,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ProjectQuotas {
    Table,
    ProjectId,
    CpuM,
    MemB,
    Pods,
    MaxCpuM,
    MaxMemB,
    MaxPods,
    UpdatedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Workloads::Table)
                .col(big_integer(Workloads::Id).auto_increment().primary_key())
                .col(big_integer(Workloads::ProjectId))
                .col(string(Workloads::Name))
                .col(text(Workloads::Spec))
                .col(integer(Workloads::Revision))
                .col(text_null(Workloads::PreviousSpec))
                .col(boolean(Workloads::Paused).default(false))
                .col(big_integer(Workloads::OwnerId))
                .col(string(Workloads::CreatedBy))
                .col(timestamp_with_time_zone(Workloads::CreatedAt))
                .col(timestamp_with_time_zone(Workloads::UpdatedAt))
                .foreign_key(ForeignKey::create().from(Workloads::Table, Workloads::ProjectId).to(Projects::Table, Projects::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_workloads_project_name").table(Workloads::Table).col(Workloads::ProjectId).col(Workloads::Name).unique().to_owned()).await?;
        m.create_table(
            Table::create()
                .table(WorkloadDeployments::Table)
                .col(big_integer(WorkloadDeployments::Id).auto_increment().primary_key())
                .col(big_integer(WorkloadDeployments::WorkloadId))
                .col(big_integer(WorkloadDeployments::ClusterId))
                .col(integer(WorkloadDeployments::Replicas))
                .col(string(WorkloadDeployments::Desired))
                .col(integer(WorkloadDeployments::AppliedRevision).default(0))
                .col(string(WorkloadDeployments::Phase))
                .col(text(WorkloadDeployments::Message).default(""))
                .col(integer(WorkloadDeployments::Ready).default(0))
                .col(timestamp_with_time_zone(WorkloadDeployments::UpdatedAt))
                .foreign_key(ForeignKey::create().from(WorkloadDeployments::Table, WorkloadDeployments::WorkloadId).to(Workloads::Table, Workloads::Id).on_delete(ForeignKeyAction::Cascade))
                .foreign_key(ForeignKey::create().from(WorkloadDeployments::Table, WorkloadDeployments::ClusterId).to(Clusters::Table, Clusters::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_workload_deployments_workload_cluster")
                .table(WorkloadDeployments::Table)
                .col(WorkloadDeployments::WorkloadId)
                .col(WorkloadDeployments::ClusterId)
                .unique()
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ProjectQuotas::Table)
                .col(big_integer(ProjectQuotas::ProjectId).primary_key())
                .col(big_integer(ProjectQuotas::CpuM))
                .col(big_integer(ProjectQuotas::MemB))
                .col(integer(ProjectQuotas::Pods))
                .col(big_integer(ProjectQuotas::MaxCpuM))
                .col(big_integer(ProjectQuotas::MaxMemB))
                .col(integer(ProjectQuotas::MaxPods))
                .col(timestamp_with_time_zone(ProjectQuotas::UpdatedAt))
                .foreign_key(ForeignKey::create().from(ProjectQuotas::Table, ProjectQuotas::ProjectId).to(Projects::Table, Projects::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ProjectQuotas::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(WorkloadDeployments::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Workloads::Table).to_owned()).await
    }
}
