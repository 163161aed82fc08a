//! Schema migrations (sea-orm-migration): run at start and by `flotilla migrate`.
use sea_orm_migration::prelude::*;

mod m20261123_000001_create_core_tables;
mod m20261123_000002_create_access_tables;
mod m20261124_000003_create_inventory_tables;
mod m20261124_000004_create_workload_tables;
mod m20261124_000005_create_price_tables;
mod m20261124_000006_create_cost_tables;
mod m20261124_000007_create_schedule_tables;
mod m20261124_000008_create_dashboards;
mod m20261124_000009_add_cluster_location;
mod m20261206_000010_open_clusters_to_projects;
mod m20261206_000011_identities;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_core_tables::Migration),
            Box::new(m20261123_000002_create_access_tables::Migration),
            Box::new(m20261124_000003_create_inventory_tables::Migration),
            Box::new(m20261124_000004_create_workload_tables::Migration),
            Box::new(m20261124_000005_create_price_tables::Migration),
            Box::new(m20261124_000006_create_cost_tables::Migration),
            Box::new(m20261124_000007_create_schedule_tables::Migration),
            Box::new(m20261124_000008_create_dashboards::Migration),
            Box::new(m20261124_000009_add_cluster_location::Migration),
            Box::new(m20261206_000010_open_clusters_to_projects::Migration),
            Box::new(m20261206_000011_identities::Migration),
        ]
    }
}
