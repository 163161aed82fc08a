//! Clusters gain a location (a city or "lat, lon") that places them on the world map.
use sea_orm_migration::prelude::*;

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Location,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Clusters::Table).add_column(ColumnDef::new(Clusters::Location).string().null()).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(Table::alter().table(Clusters::Table).drop_column(Clusters::Location).to_owned()).await
    }
}
