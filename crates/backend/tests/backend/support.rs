//! Fresh databases for tests: a temp-file SQLite, and a PostgreSQL database that is
//! created on the server from `FLOTILLA_TEST_POSTGRES` (default: the local server) and
//! dropped again when the test ends.
use flotilla_backend::Database;
use sea_orm::{ConnectionTrait, Statement};

pub const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

pub enum TestDb {
    Sqlite { db: Database, _dir: tempfile::TempDir },
    Postgres { db: Database, admin_url: String, name: String },
}

impl TestDb {
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/flotilla.db", dir.path().display());
        let db = Database::connect(&url).await.expect("SQLite opens");
        Self::Sqlite { db, _dir: dir }
    }

    pub async fn postgres() -> Self {
        let admin_url = std::env::var("FLOTILLA_TEST_POSTGRES").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
        let admin = Database::connect(&admin_url).await.unwrap_or_else(|e| panic!("PostgreSQL at {admin_url} is needed for this test (start it, or set FLOTILLA_TEST_POSTGRES): {e}"));
        let name = format!("flotilla_test_{}_{}", std::process::id(), unique());
        exec(&admin, &format!("CREATE DATABASE {name}")).await;
        let (base, _) = admin_url.rsplit_once('/').expect("URL has a database part");
        let db = Database::connect(&format!("{base}/{name}")).await.expect("throw-away database opens");
        Self::Postgres { db, admin_url, name }
    }

    pub fn db(&self) -> &Database {
        match self {
            Self::Sqlite { db, .. } | Self::Postgres { db, .. } => db,
        }
    }

    /// Drops the PostgreSQL database (async, so not in Drop).
    pub async fn cleanup(self) {
        if let Self::Postgres { db, admin_url, name } = self {
            drop(db);
            let admin = Database::connect(&admin_url).await.unwrap();
            exec(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
        }
    }
}

async fn exec(db: &Database, sql: &str) {
    let backend = db.conn().get_database_backend();
    db.conn().execute_raw(Statement::from_string(backend, sql.to_owned())).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u64;
    nanos * 1000 + NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Runs `body` against a fresh, migrated SQLite database and then PostgreSQL.
pub async fn on_both_databases<F, Fut>(body: F)
where
    F: Fn(Database, &'static str) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    for (kind, test_db) in [("sqlite", TestDb::sqlite().await), ("postgresql", TestDb::postgres().await)] {
        test_db.db().migrate().await.unwrap_or_else(|e| panic!("migrations apply on {kind}: {e}"));
        body(test_db.db().clone(), kind).await;
        test_db.cleanup().await;
    }
}

/// The backend as production assembles it (`Services::build`), with a collector that probes
/// every 200 ms; this replica is `replica-1`.
pub fn services(db: &Database) -> flotilla_backend::Services {
    let settings = flotilla_backend::ServiceSettings { collector: crate::fleet::fast(), ..flotilla_backend::ServiceSettings::new("replica-1") };
    flotilla_backend::Services::build(db.clone(), flotilla_backend::SecretKey::generate(), settings)
}
