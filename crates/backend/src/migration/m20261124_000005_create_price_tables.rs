//! The price catalogue (`prices`: provider + instance type → hourly price) and per-node prices
//! for on-prem nodes (`node_prices`), for the cost ledger.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Prices {
    Table,
    Id,
    Provider,
    InstanceType,
    Currency,
    PricePerHour,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum NodePrices {
    Table,
    Id,
    ClusterId,
    NodeName,
    PricePerHour,
    UpdatedAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Prices::Table)
                .col(big_integer(Prices::Id).auto_increment().primary_key())
                .col(string(Prices::Provider))
                .col(string(Prices::InstanceType))
                .col(string(Prices::Currency))
                .col(double(Prices::PricePerHour))
                .col(timestamp_with_time_zone(Prices::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_prices_provider_type").table(Prices::Table).col(Prices::Provider).col(Prices::InstanceType).unique().to_owned()).await?;
        m.create_table(
            Table::create()
                .table(NodePrices::Table)
                .col(big_integer(NodePrices::Id).auto_increment().primary_key())
                .col(big_integer(NodePrices::ClusterId))
                .col(string(NodePrices::NodeName))
                .col(double(NodePrices::PricePerHour))
                .col(timestamp_with_time_zone(NodePrices::UpdatedAt))
                .foreign_key(ForeignKey::create().from(NodePrices::Table, NodePrices::ClusterId).to(Clusters::Table, Clusters::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_node_prices_cluster_node").table(NodePrices::Table).col(NodePrices::ClusterId).col(NodePrices::NodeName).unique().to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(NodePrices::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(Prices::Table).to_owned()).await
    }
}
