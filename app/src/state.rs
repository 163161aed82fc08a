//! The server-side state every page and server function reaches through context.
use axum::extract::FromRef;
use flotilla_backend::{AllowedNetworks, OidcClient, Services};
use leptos::prelude::*;

use crate::error::AppError;

/// How people sign in to this portal (what the sign-in routes and the login page need; the
/// services' side of single sign-on is in `ServiceSettings`).
#[derive(Clone, Debug)]
pub struct SignIn {
    /// Single sign-on through an OpenID Connect provider, when configured.
    pub oidc: Option<OidcClient>,
    /// E-mail + password accounts (`flotilla admin create`).
    pub local: bool,
    /// Session cookies carry `Secure` (the portal is reached over https).
    pub secure_cookies: bool,
    /// Proxies whose `X-Forwarded-For` is believed (`trusted_proxies`).
    pub trusted_proxies: AllowedNetworks,
}

/// The demo's "simulate a burst" control: runs a simulated cluster at about 97 % CPU for ten
/// minutes. Returns the factor its usage was multiplied by, or `None` for a cluster the
/// simulator does not run.
#[derive(Clone)]
pub struct DemoBurst(pub std::sync::Arc<BurstFn>);

/// Loads the named simulated cluster; `None` for a cluster the simulator does not run.
pub type BurstFn = dyn Fn(&str) -> Option<f64> + Send + Sync;

impl std::fmt::Debug for DemoBurst {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemoBurst")
    }
}

/// Everything a request may reach, shared: cloning an `AppState` (which axum, the guard and
/// Leptos's context do several times per request) copies one pointer. It once copied the ~30
/// services and their ~100 reference counts each time, which on two cores was most of a REST
/// request's CPU (BENCHMARKS.md, load).
#[derive(Clone, Debug)]
pub struct AppState(std::sync::Arc<State>);

/// What is behind [`AppState`]: the Leptos options, the backend's services (built once by
/// `Services::build`) and how people sign in. Its fields and the services' are reached
/// directly: `state.workloads`, `state.sign_in`.
#[derive(Clone, Debug)]
pub struct State {
    pub leptos_options: LeptosOptions,
    pub services: Services,
    pub sign_in: SignIn,
    /// Set when the demo runs its simulated fleet.
    pub demo_burst: Option<DemoBurst>,
}

impl std::ops::Deref for AppState {
    type Target = State;
    fn deref(&self) -> &State {
        &self.0
    }
}

impl std::ops::Deref for State {
    type Target = Services;
    fn deref(&self) -> &Services {
        &self.services
    }
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, services: Services, sign_in: SignIn) -> Self {
        Self(std::sync::Arc::new(State { leptos_options, services, sign_in, demo_burst: None }))
    }

    /// The demo's burst control (set once at start, before the state is shared).
    pub fn with_demo_burst(mut self, burst: DemoBurst) -> Self {
        std::sync::Arc::make_mut(&mut self.0).demo_burst = Some(burst);
        self
    }

    /// The state provided to this request (server functions and SSR).
    pub fn from_context() -> Result<Self, AppError> {
        use_context::<Self>().ok_or_else(|| {
            tracing::error!("AppState missing from the Leptos context");
            AppError::Internal("reach its own state".into())
        })
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
