//! Server functions' door to the access guard: the request's caller from context, and
//! refusals turned into errors a person can act on.
use crate::error::AppError;
use crate::state::AppState;
use flotilla_backend::{Caller, Refusal, RequestAccess};
use flotilla_domain::{Kind, Target, Verb};
use leptos::prelude::*;

/// One server-function call: the portal state and what is known about the caller.
pub struct Request {
    pub state: AppState,
    pub access: RequestAccess,
}

/// The current request, as the authentication layer left it.
pub fn request() -> Result<Request, AppError> {
    let state = AppState::from_context()?;
    let access = use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<RequestAccess>().cloned()).unwrap_or_default();
    Ok(Request { state, access })
}

/// Maps a refusal: "not found" for objects the caller may not even see, otherwise
/// "you may not <verb> <what>".
pub fn refused(verb: Verb, what: &str) -> impl FnOnce(Refusal) -> AppError + '_ {
    move |r| match r {
        Refusal::NotSignedIn => AppError::Unauthorized,
        Refusal::Forbidden { hidden: true } => AppError::NotFound(what.to_owned()),
        Refusal::Forbidden { hidden: false } => AppError::Forbidden(format!("{} {what}", verb.label())),
    }
}

impl Request {
    pub fn signed_in(&self) -> Result<&Caller, AppError> {
        self.access.signed_in().map_err(refused(Verb::Read, "this"))
    }

    /// Asks the guard; `action` names the attempt in the audit log, `what` the object in words.
    pub async fn authorize(&self, verb: Verb, target: Target, action: &str, what: &str) -> Result<&Caller, AppError> {
        self.access.authorize(&self.state.audit, verb, target, action, what).await.map_err(refused(verb, what))
    }

    /// Portal-wide objects (users, roles, prices, the audit log).
    pub async fn authorize_portal(&self, verb: Verb, kind: Kind, action: &str, what: &str) -> Result<&Caller, AppError> {
        self.authorize(verb, Target { kind, project: None, owner: None }, action, what).await
    }

    pub fn visible<T>(&self, verb: Verb, items: Vec<T>, target: impl Fn(&T) -> Target) -> Result<Vec<T>, AppError> {
        self.access.visible(verb, items, target).map_err(refused(verb, "this list"))
    }

    pub async fn record(&self, action: &str, target: &str, detail: &str) {
        self.access.record(&self.state.audit, action, target, detail).await;
    }
}
