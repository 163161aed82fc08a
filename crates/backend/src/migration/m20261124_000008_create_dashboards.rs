//! Dashboards: a person's own layout (`user_id`), or the default an administrator published for
//! a role (`role_key`); the layout is the domain `Dashboard` as JSON.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Dashboards {
    Table,
    Id,
    UserId,
    RoleKey,
    Layout,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
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
                .table(Dashboards::Table)
                .col(big_integer(Dashboards::Id).auto_increment().primary_key())
                .col(big_integer_null(Dashboards::UserId).unique_key())
                .col(string_null(Dashboards::RoleKey).unique_key())
                .col(text(Dashboards::Layout))
                .col(timestamp_with_time_zone(Dashboards::UpdatedAt))
                .foreign_key(ForeignKey::create().from(Dashboards::Table, Dashboards::UserId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Dashboards::Table).to_owned()).await
    }
}
