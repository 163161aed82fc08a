//! Errors that cross the wire from server functions to the page, worded for people.
use flotilla_domain::sentence;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthorized,
    #[error("You do not have permission to {0}.")]
    Forbidden(String),
    #[error("{} was not found.", sentence(.0))]
    NotFound(String),
    /// What the person asked for cannot be done as asked, in words.
    #[error("{0}")]
    Validation(String),
    /// The cluster could not be asked (down, unreachable, too slow): try again later.
    #[error("The cluster could not be reached ({0}). Try again in a moment.")]
    ClusterUnavailable(String),
    /// The cluster's credentials may not read what was asked for ("Flotilla may not list nodes
    /// on tokyo-prod: …"): unknown, which is not the same as empty.
    #[error("{0}")]
    ClusterForbids(String),
    #[error("Flotilla could not {0} because of a problem on the server. It has been logged; please try again in a moment.")]
    Internal(String),
    #[error("The portal could not be reached ({0}). Check your connection and try again.")]
    Transport(String),
}

impl AppError {
    pub fn status_code(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::Unauthorized => S::UNAUTHORIZED,
            Self::Forbidden(_) => S::FORBIDDEN,
            Self::NotFound(_) => S::NOT_FOUND,
            Self::Validation(_) => S::UNPROCESSABLE_ENTITY,
            Self::ClusterUnavailable(_) | Self::ClusterForbids(_) => S::SERVICE_UNAVAILABLE,
            Self::Internal(_) => S::INTERNAL_SERVER_ERROR,
            Self::Transport(_) => S::BAD_GATEWAY,
        }
    }

    /// Maps a backend failure to `Internal`, logging the cause (which the person never sees).
    #[cfg(feature = "ssr")]
    pub fn internal<E: std::fmt::Display>(what: &'static str) -> impl FnOnce(E) -> Self {
        move |cause| {
            tracing::error!(%cause, "could not {what}");
            Self::Internal(what.to_owned())
        }
    }
}

/// Workload use-cases' refusals and failures, in words (causes of internal failures are logged).
#[cfg(feature = "ssr")]
impl From<flotilla_backend::WorkloadError> for AppError {
    fn from(e: flotilla_backend::WorkloadError) -> Self {
        use flotilla_backend::WorkloadError as E;
        match e {
            E::Refused { refusal, verb, what } => crate::guard::refused(verb, what)(refusal),
            E::Duplicate(n) => Self::Validation(format!("A workload named '{n}' already exists in this project; choose another name.")),
            E::NotFound => Self::NotFound("This workload".into()),
            E::ProjectNotFound => Self::NotFound("This project".into()),
            E::Invalid(m) => Self::Validation(m),
            E::Cluster(m) => Self::Validation(sentence(&m)),
            E::Kube(k) if k.is_unreachable() => Self::ClusterUnavailable(k.to_string()),
            E::Kube(k) => Self::Validation(sentence(&k.to_string())),
            other => Self::internal("carry out the workload request")(other),
        }
    }
}

/// Project use-cases' refusals and failures, in words.
#[cfg(feature = "ssr")]
impl From<flotilla_backend::ProjectError> for AppError {
    fn from(e: flotilla_backend::ProjectError) -> Self {
        use flotilla_backend::ProjectError as E;
        match e {
            E::Refused { refusal, verb, what } => crate::guard::refused(verb, what)(refusal),
            E::NotFound => Self::NotFound("This project".into()),
            E::Invalid(m) => Self::Validation(m),
            other => Self::internal("carry out the project request")(other),
        }
    }
}

/// Dashboards: a layout that does not fit the grid, in words.
#[cfg(feature = "ssr")]
impl From<flotilla_backend::DashboardError> for AppError {
    fn from(e: flotilla_backend::DashboardError) -> Self {
        match e {
            flotilla_backend::DashboardError::Invalid(m) => Self::Validation(m),
            other => Self::internal("load or save the dashboard")(other),
        }
    }
}

/// The cost ledger: a period or weights that cannot be used, in words.
#[cfg(feature = "ssr")]
impl From<flotilla_backend::LedgerError> for AppError {
    fn from(e: flotilla_backend::LedgerError) -> Self {
        match e {
            flotilla_backend::LedgerError::Invalid(m) => Self::Validation(m),
            other => Self::internal("work out the costs")(other),
        }
    }
}

/// The scheduler: a window or thresholds that cannot be used, in words.
#[cfg(feature = "ssr")]
impl From<flotilla_backend::scheduler::SchedulerError> for AppError {
    fn from(e: flotilla_backend::scheduler::SchedulerError) -> Self {
        match e {
            flotilla_backend::scheduler::SchedulerError::Invalid(m) => Self::Validation(sentence(&m)),
            other => Self::internal("carry out the schedule request")(other),
        }
    }
}

/// Roles and group mappings: an unknown role or project, a role still in use, in words.
#[cfg(feature = "ssr")]
impl From<flotilla_backend::AccessError> for AppError {
    fn from(e: flotilla_backend::AccessError) -> Self {
        use flotilla_backend::AccessError as E;
        match e {
            E::Invalid(msg) => Self::Validation(msg),
            E::UnknownRole(_) | E::UnknownProject(_) | E::InUse(..) => Self::Validation(sentence(&format!("{e}."))),
            other => Self::internal("change the roles")(other),
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        Self::Transport(value.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_sentences_a_person_can_act_on() {
        let e = AppError::Forbidden("register clusters".into());
        assert_eq!(e.to_string(), "You do not have permission to register clusters.");
        assert_eq!(e.status_code(), http::StatusCode::FORBIDDEN);
        let e = AppError::Internal("load the cluster list".into());
        assert!(e.to_string().starts_with("Flotilla could not load the cluster list"));
        assert_eq!(e.status_code(), http::StatusCode::INTERNAL_SERVER_ERROR);
    }

    /// A cluster that cannot be asked is 503 (try again), one that answers no is 422; the
    /// kube-rs error stays reachable as the source for the log.
    #[cfg(feature = "ssr")]
    #[test]
    fn an_unreachable_cluster_is_unavailable_and_a_refusing_one_is_not() {
        use flotilla_backend::WorkloadError;
        use flotilla_backend::workloads::cluster_calls::KubeError;
        use std::error::Error as _;
        let down = KubeError::Unreachable { what: "read pods of web".into(), source: kube::Error::Service(Box::new(std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused"))) };
        assert!(down.source().is_some(), "the kube-rs error is kept");
        let e = AppError::from(WorkloadError::Kube(down));
        assert_eq!(e.status_code(), http::StatusCode::SERVICE_UNAVAILABLE, "{e}");
        assert!(e.to_string().starts_with("The cluster could not be reached (read pods of web: "), "{e}");
        let slow = AppError::from(WorkloadError::Kube(KubeError::TimedOut { what: "read events".into() }));
        assert_eq!(slow.status_code(), http::StatusCode::SERVICE_UNAVAILABLE);
        let taken = AppError::from(WorkloadError::Kube(KubeError::Declined("a Service named \"web\" already exists".into())));
        assert_eq!(taken.status_code(), http::StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(taken.to_string(), "A Service named \"web\" already exists");
    }
}
