//! Sign-in you can trust: SSO identities by (issuer, subject) in their own table (e-mail is an
//! attribute), deactivated users, group-derived grants that remember when the provider last
//! confirmed them, and sessions that remember when they were last re-confirmed (with the
//! provider's refresh token, sealed). Existing group grants count as confirmed now, so they
//! lapse unless the provider confirms them again; existing SSO users get an identity at their
//! next sign-in by the linking rules.
use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveIden)]
enum UserIdentities {
    Table,
    Id,
    Issuer,
    Subject,
    UserId,
    Email,
    EmailVerified,
    DisplayName,
    CreatedAt,
    LastSeenAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    DeactivatedAt,
}

#[derive(DeriveIden)]
enum UserRoles {
    Table,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum ProjectMembers {
    Table,
    ConfirmedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdentityId,
    RefreshToken,
    CheckedAt,
}

#[derive(DeriveIden)]
enum LoginFlows {
    Table,
    Silent,
}

#[derive(DeriveIden)]
enum LoginThrottle {
    Table,
    Key,
    Failures,
    LastFailureAt,
}

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UserIdentities::Table)
                .col(big_integer(UserIdentities::Id).auto_increment().primary_key())
                .col(string(UserIdentities::Issuer))
                .col(string(UserIdentities::Subject))
                // None: a sign-in that was refused and waits for an administrator to link it.
                .col(big_integer_null(UserIdentities::UserId))
                .col(string(UserIdentities::Email))
                .col(boolean(UserIdentities::EmailVerified))
                .col(string(UserIdentities::DisplayName))
                .col(timestamp_with_time_zone(UserIdentities::CreatedAt))
                .col(timestamp_with_time_zone(UserIdentities::LastSeenAt))
                .foreign_key(ForeignKey::create().from(UserIdentities::Table, UserIdentities::UserId).to(Users::Table, Users::Id).on_delete(ForeignKeyAction::Cascade))
                .to_owned(),
        )
        .await?;
        m.create_index(Index::create().name("user_identities_issuer_subject").table(UserIdentities::Table).col(UserIdentities::Issuer).col(UserIdentities::Subject).unique().to_owned()).await?;
        m.create_index(Index::create().name("user_identities_user").table(UserIdentities::Table).col(UserIdentities::UserId).to_owned()).await?;
        // Failed password sign-ins per key (e-mail or address), shared by every replica.
        m.create_table(
            Table::create()
                .table(LoginThrottle::Table)
                .col(string(LoginThrottle::Key).primary_key())
                .col(integer(LoginThrottle::Failures))
                .col(timestamp_with_time_zone(LoginThrottle::LastFailureAt))
                .to_owned(),
        )
        .await?;
        // SQLite adds one column per statement.
        m.alter_table(Table::alter().table(Users::Table).add_column(ColumnDef::new(Users::DeactivatedAt).timestamp_with_time_zone().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(UserRoles::Table).add_column(ColumnDef::new(UserRoles::ConfirmedAt).timestamp_with_time_zone().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(ProjectMembers::Table).add_column(ColumnDef::new(ProjectMembers::ConfirmedAt).timestamp_with_time_zone().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Sessions::Table).add_column(ColumnDef::new(Sessions::IdentityId).big_integer().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Sessions::Table).add_column(ColumnDef::new(Sessions::RefreshToken).text().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(Sessions::Table).add_column(ColumnDef::new(Sessions::CheckedAt).timestamp_with_time_zone().null()).to_owned()).await?;
        m.alter_table(Table::alter().table(LoginFlows::Table).add_column(ColumnDef::new(LoginFlows::Silent).boolean().not_null().default(false)).to_owned()).await?;
        let now = chrono::Utc::now();
        for table in [UserRoles::Table.into_iden(), ProjectMembers::Table.into_iden()] {
            let confirm = Query::update().table(table).value(Alias::new("confirmed_at"), now).and_where(Expr::col(Alias::new("from_groups")).eq(true)).to_owned();
            m.exec_stmt(confirm).await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(UserIdentities::Table).to_owned()).await?;
        m.drop_table(Table::drop().table(LoginThrottle::Table).to_owned()).await?;
        m.alter_table(Table::alter().table(Users::Table).drop_column(Users::DeactivatedAt).to_owned()).await?;
        m.alter_table(Table::alter().table(UserRoles::Table).drop_column(UserRoles::ConfirmedAt).to_owned()).await?;
        m.alter_table(Table::alter().table(ProjectMembers::Table).drop_column(ProjectMembers::ConfirmedAt).to_owned()).await?;
        m.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::IdentityId).to_owned()).await?;
        m.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::RefreshToken).to_owned()).await?;
        m.alter_table(Table::alter().table(LoginFlows::Table).drop_column(LoginFlows::Silent).to_owned()).await?;
        m.alter_table(Table::alter().table(Sessions::Table).drop_column(Sessions::CheckedAt).to_owned()).await
    }
}
