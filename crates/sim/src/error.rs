//! The one error type of the simulator's library surface (start-up, fleet files, TLS).

use thiserror::Error;

/// Everything that can go wrong while loading a fleet or starting/stopping the simulator.
#[derive(Debug, Error)]
pub enum SimError {
    #[error("fleet file: {0}")]
    Fleet(String),
    #[error("fleet yaml: {0}")]
    FleetYaml(#[from] serde_yaml::Error),
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
    #[error("tls: {0}")]
    Tls(String),
    #[error("unknown cluster {0:?}")]
    UnknownCluster(String),
    #[error("invalid request: {0}")]
    Invalid(String),
}

impl From<rcgen::Error> for SimError {
    fn from(e: rcgen::Error) -> Self {
        SimError::Tls(e.to_string())
    }
}

impl From<rustls::Error> for SimError {
    fn from(e: rustls::Error) -> Self {
        SimError::Tls(e.to_string())
    }
}
