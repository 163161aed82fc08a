//! Sign-in and access control: passwords, sessions, login flows, API tokens, custom roles,
//! group mappings, and the audit columns for cluster, outcome and source address.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    PasswordHash,
    LastSignInAt,
}

#[derive(DeriveIden)]
enum ProjectMembers {
    Table,
    FromGroups,
}

#[derive(DeriveIden)]
enum Projects {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    UserId,
    Method,
    IdToken,
    CreatedAt,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum LoginFlows {
    Table,
    State,
    Nonce,
    PkceVerifier,
    ReturnTo,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Prefix,
    CreatedAt,
    ExpiresAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Roles {
    Table,
    Id,
    Key,
    Name,
    Permissions,
    CreatedAt,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    Id,
    UserId,
    Role,
    FromGroups,
}

#[derive(DeriveIden)]
enum GroupMappings {
    Table,
    Id,
    GroupName,
    Role,
    ProjectId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Cluster,
    Outcome,
    SourceIp,
}

fn user_fk(from: (impl IntoIden, impl IntoIden)) -> ForeignKeyCreateStatement {
    ForeignKey::create().from(from.0, from.1).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade).to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        m.alter_table(Table::alter().table(Users::Table).add_column(text_null(Users::PasswordHash)).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table).add_column(timestamp_with_time_zone_null(Users::LastSignInAt)).to_owned()).await?;
        m.alter_table(Table::alter().table(ProjectMembers::Table).add_column(boolean(ProjectMembers::FromGroups).default(false)).to_owned()).await?;
        for col in [AuditLog::Cluster, AuditLog::Outcome, AuditLog::SourceIp] {
            let default = if matches!(col, AuditLog::Outcome) { "ok" } else { "" };
            m.alter_table(Table::alter().table(AuditLog::Table).add_column(string(col).default(default)).to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string(Sessions::Id).primary_key())
                .col(big_integer(Sessions::UserId))
                .col(string(Sessions::Method))
                .col(text_null(Sessions::IdToken))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                .col(timestamp_with_time_zone(Sessions::ExpiresAt))
                .foreign_key(&mut user_fk((Sessions::Table, Sessions::UserId)))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginFlows::Table)
                .col(string(LoginFlows::State).primary_key())
                .col(string(LoginFlows::Nonce))
                .col(string(LoginFlows::PkceVerifier))
                .col(string(LoginFlows::ReturnTo))
                .col(timestamp_with_time_zone(LoginFlows::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(big_integer(ApiTokens::Id).auto_increment().primary_key())
                .col(big_integer(ApiTokens::UserId))
                .col(string(ApiTokens::Name))
                .col(string_uniq(ApiTokens::TokenHash))
                .col(string(ApiTokens::Prefix))
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                .foreign_key(&mut user_fk((ApiTokens::Table, ApiTokens::UserId)))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Roles::Table)
                .col(big_integer(Roles::Id).auto_increment().primary_key())
                .col(string_uniq(Roles::Key))
                .col(string(Roles::Name))
                .col(text(Roles::Permissions))
                .col(timestamp_with_time_zone(Roles::CreatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(UserRoles::Table)
                .col(big_integer(UserRoles::Id).auto_increment().primary_key())
                .col(big_integer(UserRoles::UserId))
                .col(string(UserRoles::Role))
                .col(boolean(UserRoles::FromGroups).default(false))
                .foreign_key(&mut user_fk((UserRoles::Table, UserRoles::UserId)))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ux_user_roles_user_role").table(UserRoles::Table).col(UserRoles::UserId).col(UserRoles::Role).unique().to_owned()).await?;
        m.create_table(
            Table::create()
                .table(GroupMappings::Table)
                .col(big_integer(GroupMappings::Id).auto_increment().primary_key())
                .col(string(GroupMappings::GroupName))
                .col(string(GroupMappings::Role))
                .col(big_integer_null(GroupMappings::ProjectId))
                .col(timestamp_with_time_zone(GroupMappings::CreatedAt))
                .foreign_key(ForeignKey::create().from(GroupMappings::Table, GroupMappings::ProjectId).to(Projects::Table, Projects::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("ix_sessions_user").table(Sessions::Table).col(Sessions::UserId).to_owned()).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in
            [GroupMappings::Table.into_iden(), UserRoles::Table.into_iden(), Roles::Table.into_iden(), ApiTokens::Table.into_iden(), LoginFlows::Table.into_iden(), Sessions::Table.into_iden()]
        {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        for col in [AuditLog::SourceIp, AuditLog::Outcome, AuditLog::Cluster] {
            m.alter_table(Table::alter().table(AuditLog::Table).drop_column(col).to_owned()).await?;
        }
        m.alter_table(Table::alter().table(ProjectMembers::Table).drop_column(ProjectMembers::FromGroups).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::LastSignInAt).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::PasswordHash).to_owned()).await
    }
}

#[derive(DeriveMigrationName)]
pub struct Migration;
