//! Cluster registration and inventory history: connection details and metadata on `clusters`
//! (credentials sealed with the portal's secret key), and `utilisation_snapshots`.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
    ApiServer,
    Credentials,
    Labels,
    ControlPlanePrice,
}

#[derive(DeriveIden)]
enum UtilisationSnapshots {
    Table,
    Id,
    ClusterId,
    Scope,
    Name,
    At,
    CpuAllocM,
    MemAllocB,
    PodsAlloc,
    CpuReqM,
    MemReqB,
    Pods,
    CpuUsedM,
    MemUsedB,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        m.alter_table(Table::alter().table(Clusters::Table).add_column(string(Clusters::ApiServer).default("")).to_owned()).await?;
        m.alter_table(Table::alter().table(Clusters::Table).add_column(text_null(Clusters::Credentials)).to_owned()).await?;
        m.alter_table(Table::alter().table(Clusters::Table).add_column(text(Clusters::Labels).default("[]")).to_owned()).await?;
        m.alter_table(Table::alter().table(Clusters::Table).add_column(double(Clusters::ControlPlanePrice).default(0.0)).to_owned()).await?;
        m.create_table(
            Table::create()
                .table(UtilisationSnapshots::Table)
                .col(big_integer(UtilisationSnapshots::Id).auto_increment().primary_key())
                .col(big_integer(UtilisationSnapshots::ClusterId))
                .col(string(UtilisationSnapshots::Scope))
                .col(string(UtilisationSnapshots::Name))
                .col(timestamp_with_time_zone(UtilisationSnapshots::At))
                .col(big_integer(UtilisationSnapshots::CpuAllocM))
                .col(big_integer(UtilisationSnapshots::MemAllocB))
                .col(big_integer(UtilisationSnapshots::PodsAlloc))
                .col(big_integer(UtilisationSnapshots::CpuReqM))
                .col(big_integer(UtilisationSnapshots::MemReqB))
                .col(big_integer(UtilisationSnapshots::Pods))
                .col(big_integer_null(UtilisationSnapshots::CpuUsedM))
                .col(big_integer_null(UtilisationSnapshots::MemUsedB))
                .foreign_key(ForeignKey::create().from(UtilisationSnapshots::Table, UtilisationSnapshots::ClusterId).to(Clusters::Table, Clusters::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_snapshots_cluster_scope_at")
                .table(UtilisationSnapshots::Table)
                .col(UtilisationSnapshots::ClusterId)
                .col(UtilisationSnapshots::Scope)
                .col(UtilisationSnapshots::At)
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_snapshots_at").table(UtilisationSnapshots::Table).col(UtilisationSnapshots::At).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(UtilisationSnapshots::Table).to_owned()).await?;
        for col in [Clusters::ControlPlanePrice, Clusters::Labels, Clusters::Credentials, Clusters::ApiServer] {
            m.alter_table(Table::alter().table(Clusters::Table).drop_column(col).to_owned()).await?;
        }
        Ok(())
    }
}
