//! Migrations go up and down cleanly on both databases.
use crate::support::TestDb;
use sea_orm_migration::SchemaManager;

const TABLES: [&str; 5] = ["users", "projects", "project_members", "clusters", "audit_log"];

async fn up_down_up(test_db: TestDb, kind: &str) {
    let db = test_db.db();
    let schema = SchemaManager::new(db.conn());
    for t in TABLES {
        assert!(!schema.has_table(t).await.unwrap(), "{kind}: {t} absent before migrating");
    }
    db.migrate().await.unwrap_or_else(|e| panic!("{kind}: up: {e}"));
    for t in TABLES {
        assert!(schema.has_table(t).await.unwrap(), "{kind}: {t} created by up");
    }
    assert!(schema.has_column("clusters", "location").await.unwrap(), "{kind}: clusters have a world-map location");
    db.migrate().await.unwrap_or_else(|e| panic!("{kind}: a second up is a no-op: {e}"));
    db.migrate_down().await.unwrap_or_else(|e| panic!("{kind}: down: {e}"));
    for t in TABLES {
        assert!(!schema.has_table(t).await.unwrap(), "{kind}: {t} dropped by down");
    }
    db.migrate().await.unwrap_or_else(|e| panic!("{kind}: up again after down: {e}"));
    assert!(schema.has_table("users").await.unwrap());
    db.ping().await.unwrap();
    test_db.cleanup().await;
}

#[tokio::test]
async fn migrations_go_up_and_down_on_sqlite() {
    let db = TestDb::sqlite().await;
    assert_eq!(db.db().backend_name(), "sqlite");
    up_down_up(db, "sqlite").await;
}

#[tokio::test]
async fn migrations_go_up_and_down_on_postgresql() {
    let db = TestDb::postgres().await;
    assert_eq!(db.db().backend_name(), "postgresql");
    up_down_up(db, "postgresql").await;
}
