//! Projects become the tenancy boundary: the clusters opened to each project (placement uses
//! only those), the highest priority it may use, and whether it is archived. Existing projects
//! keep what they had: every registered cluster is opened to them.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum ProjectClusters {
    Table,
    ProjectId,
    ClusterId,
    OpenedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    MaxPriority,
    Archived,
}

#[derive(DeriveIden)]
enum ProjectQuotas {
    Table,
    Gpus,
    MaxGpus,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(ProjectClusters::Table)
                .col(big_integer(ProjectClusters::ProjectId))
                .col(big_integer(ProjectClusters::ClusterId))
                .col(timestamp_with_time_zone(ProjectClusters::OpenedAt))
                .primary_key(Index::create().col(ProjectClusters::ProjectId).col(ProjectClusters::ClusterId))
                .foreign_key(ForeignKey::create().from(ProjectClusters::Table, ProjectClusters::ProjectId).to(Projects::Table, Projects::Id).on_delete(ForeignKeyAction::Cascade))
                .foreign_key(ForeignKey::create().from(ProjectClusters::Table, ProjectClusters::ClusterId).to(Clusters::Table, Clusters::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        // SQLite adds one column per statement.
        m.alter_table(Table::alter().table(Projects::Table).add_column(ColumnDef::new(Projects::MaxPriority).string().not_null().default("normal")).to_owned()).await?;
        m.alter_table(Table::alter().table(Projects::Table).add_column(ColumnDef::new(Projects::Archived).boolean().not_null().default(false)).to_owned()).await?;
        // GPUs are part of a project's quota (none until an administrator grants some).
        m.alter_table(Table::alter().table(ProjectQuotas::Table).add_column(ColumnDef::new(ProjectQuotas::Gpus).integer().not_null().default(0)).to_owned()).await?;
        m.alter_table(Table::alter().table(ProjectQuotas::Table).add_column(ColumnDef::new(ProjectQuotas::MaxGpus).integer().not_null().default(0)).to_owned()).await?;
        // Until now every project could use every cluster: keep that for existing projects.
        let now = chrono::Utc::now();
        let open_all = Query::insert()
            .into_table(ProjectClusters::Table)
            .columns([ProjectClusters::ProjectId, ProjectClusters::ClusterId, ProjectClusters::OpenedAt])
            .select_from(
                Query::select().column((Projects::Table, Projects::Id)).column((Clusters::Table, Clusters::Id)).expr(Expr::val(now)).from(Projects::Table).cross_join(Clusters::Table).to_owned(),
            )
            .map_err(|e| DbErr::Migration(e.to_string()))?
            .to_owned();
        m.exec_stmt(open_all).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(ProjectClusters::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(ProjectQuotas::Table).drop_column(ProjectQuotas::MaxGpus).to_owned()).await?;
        m.alter_table(Table::alter().table(ProjectQuotas::Table).drop_column(ProjectQuotas::Gpus).to_owned()).await?;
        m.alter_table(Table::alter().table(Projects::Table).drop_column(Projects::Archived).to_owned()).await?;
        m.alter_table(Table::alter().table(Projects::Table).drop_column(Projects::MaxPriority).to_owned()).await
    }
}
