//! The first tables: users, projects, project_members, clusters, audit_log.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    IsAdmin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
    Name,
    DisplayName,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ProjectMembers {
    Table,
    Id,
    ProjectId,
    UserId,
    Role,
}

#[derive(DeriveIden)]
enum Clusters {
    Table,
    Id,
    Name,
    DisplayName,
    Provider,
    Region,
    Environment,
    Enabled,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    Actor,
    Action,
    Target,
    Detail,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_integer(Users::Id).auto_increment().primary_key())
                .col(string_uniq(Users::Email))
                .col(string(Users::DisplayName))
                .col(boolean(Users::IsAdmin).default(false))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Projects::Table)
                .col(big_integer(Projects::Id).auto_increment().primary_key())
                .col(string_uniq(Projects::Name))
                .col(string(Projects::DisplayName))
                .col(timestamp_with_time_zone(Projects::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ProjectMembers::Table)
                .col(big_integer(ProjectMembers::Id).auto_increment().primary_key())
                .col(big_integer(ProjectMembers::ProjectId))
                .col(big_integer(ProjectMembers::UserId))
                .col(string(ProjectMembers::Role))
                .foreign_key(ForeignKey::create().from(ProjectMembers::Table, ProjectMembers::ProjectId).to(Projects::Table, Projects::Id).on_delete(ForeignKeyAction::Cascade))
                .foreign_key(ForeignKey::create().from(ProjectMembers::Table, ProjectMembers::UserId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_project_members_project_user").table(ProjectMembers::Table).col(ProjectMembers::ProjectId).col(ProjectMembers::UserId).unique().to_owned()).await?;
        m.create_table(
            Table::create()
                .table(Clusters::Table)
                .col(big_integer(Clusters::Id).auto_increment().primary_key())
                .col(string_uniq(Clusters::Name))
                .col(string(Clusters::DisplayName))
                .col(string(Clusters::Provider))
                .col(string(Clusters::Region))
                .col(string(Clusters::Environment))
                .col(boolean(Clusters::Enabled).default(true))
                .col(timestamp_with_time_zone(Clusters::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(big_integer(AuditLog::Id).auto_increment().primary_key())
                .col(timestamp_with_time_zone(AuditLog::At))
                .col(string(AuditLog::Actor))
                .col(string(AuditLog::Action))
                .col(string(AuditLog::Target))
                .col(text(AuditLog::Detail))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_audit_log_at").table(AuditLog::Table).col(AuditLog::At).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in [AuditLog::Table.into_iden(), Clusters::Table.into_iden(), ProjectMembers::Table.into_iden(), Projects::Table.into_iden(), Users::Table.into_iden()] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
