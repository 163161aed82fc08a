//! The database connection: SQLite (embedded default) or PostgreSQL, chosen by URL.
use crate::cache::{Epochs, Topic};
use crate::migration::Migrator;
use sea_orm::{ConnectOptions, DatabaseConnection, DbErr};
use sea_orm_migration::MigratorTrait;
use std::path::Path;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("the database URL must start with sqlite:// or postgres:// (got '{0}')")]
    UnsupportedUrl(String),
    #[error("cannot create the directory {path} for the SQLite database: {source}")]
    CreateDir { path: String, source: std::io::Error },
    #[error("cannot connect to the database: {0}")]
    Connect(DbErr),
    #[error("database migration failed: {0}")]
    Migrate(DbErr),
    #[error("the database does not answer: {0}")]
    Unavailable(DbErr),
}

/// A shared handle on the portal's database. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Database {
    conn: DatabaseConnection,
    /// Change counters that in-memory copies of hot reads depend on (see `cache`).
    epochs: Arc<Epochs>,
}

impl Database {
    /// Connects to `url`. For SQLite the file and its directory are created when missing.
    pub async fn connect(url: &str) -> Result<Self, DbError> {
        let url = prepare_url(url)?;
        let max_connections = if url.contains(":memory:") {
            1
        } else if url.starts_with("sqlite") {
            4
        } else {
            10
        };
        let mut opts = ConnectOptions::new(url);
        opts.sqlx_logging(false).max_connections(max_connections);
        let conn = sea_orm::Database::connect(opts).await.map_err(DbError::Connect)?;
        Ok(Self { conn, epochs: Arc::default() })
    }

    pub fn conn(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Tells in-memory copies that depend on `topic` that this process changed it.
    pub fn changed(&self, topic: Topic) {
        self.epochs.bump(topic);
    }

    pub fn epochs(&self) -> Arc<Epochs> {
        self.epochs.clone()
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), DbError> {
        Migrator::up(&self.conn, None).await.map_err(DbError::Migrate)
    }

    /// Reverts every migration (tests and `flotilla migrate --down`).
    pub async fn migrate_down(&self) -> Result<(), DbError> {
        Migrator::down(&self.conn, None).await.map_err(DbError::Migrate)
    }

    /// Round-trips a trivial query; used by `/healthz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        self.conn.ping().await.map_err(DbError::Unavailable)
    }

    /// Which kind of database this is, for logs and the health report.
    pub fn backend_name(&self) -> &'static str {
        match self.conn.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => "postgresql",
            sea_orm::DatabaseBackend::Sqlite => "sqlite",
            _ => "other",
        }
    }
}

/// Validates the scheme and, for SQLite files, makes sure the file can be created.
fn prepare_url(url: &str) -> Result<String, DbError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(url.to_owned());
    }
    let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
        return Err(DbError::UnsupportedUrl(url.to_owned()));
    };
    if rest.starts_with(":memory:") {
        return Ok(url.to_owned());
    }
    let path = rest.split('?').next().unwrap_or(rest);
    if let Some(dir) = Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| DbError::CreateDir { path: dir.display().to_string(), source })?;
    }
    Ok(if rest.contains("mode=") {
        url.to_owned()
    } else if rest.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode_and_others_are_refused() {
        assert_eq!(prepare_url("sqlite::memory:").unwrap(), "sqlite::memory:");
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/sub/f.db", dir.path().display());
        assert_eq!(prepare_url(&url).unwrap(), format!("{url}?mode=rwc"));
        assert!(dir.path().join("sub").is_dir(), "the parent directory is created");
        assert!(matches!(prepare_url("mysql://x"), Err(DbError::UnsupportedUrl(_))));
        assert_eq!(prepare_url("postgres://u@h/db").unwrap(), "postgres://u@h/db");
    }
}
