//! A registered Kubernetes cluster; `credentials` is sealed (see `secrets`), never plaintext.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "clusters")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub name: String,
    pub display_name: String,
    pub provider: String,
    pub region: String,
    pub environment: String,
    pub enabled: bool,
    pub created_at: ChronoDateTimeUtc,
    pub api_server: String,
    pub credentials: Option<String>,
    /// JSON array of [key, value] pairs.
    pub labels: String,
    pub control_plane_price: f64,
    /// A city or "lat, lon" for the world map.
    pub location: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
