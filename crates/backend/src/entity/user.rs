//! A person who can use the portal.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub display_name: String,
    pub is_admin: bool,
    pub created_at: ChronoDateTimeUtc,
    /// argon2id PHC string; None for accounts that sign in only through SSO.
    pub password_hash: Option<String>,
    pub last_sign_in_at: Option<ChronoDateTimeUtc>,
    /// Set when an administrator deactivated the account: no session or token of theirs works.
    pub deactivated_at: Option<ChronoDateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::project_member::Entity")]
    ProjectMember,
}

impl Related<super::project_member::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ProjectMember.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
