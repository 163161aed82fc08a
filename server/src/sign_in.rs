//! The `/auth/*` routes: single sign-on (OpenID Connect code flow with PKCE, state, nonce),
//! local e-mail + password accounts (rate-limited), demo accounts (demo mode only), sign-out.
use crate::auth::{cookie_name, read_cookie, safe_return_path, session_cookie, source_ip};
use app::fleetmap::esc;
use app::links::query_value;
use app::state::AppState;
use axum::extract::{Form, Query, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Router, middleware::Next};
use flotilla_backend::{AccountError, AuditEvent, IdentityError, Outcome, SsoSession};
use flotilla_domain::sentence;
use serde::Deserialize;

#[derive(Clone)]
pub struct SignInState {
    pub app: AppState,
}

pub fn routes(app: AppState) -> Router {
    Router::new()
        .route("/auth/login", get(sso_start))
        .route("/auth/callback", get(sso_callback))
        .route("/auth/local", post(local))
        .route("/auth/demo", post(demo))
        .route("/auth/logout", post(logout))
        .layer(axum::middleware::from_fn(no_store))
        .with_state(SignInState { app })
}

async fn no_store(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    res
}

/// A plain page for sign-in failures: what happened and a way back.
fn problem(status: StatusCode, title: &str, message: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"color-scheme\" content=\"light dark\"><title>{t} · Flotilla</title><link rel=\"stylesheet\" href=\"/pkg/flotilla.css\"></head>\
         <body><main class=\"page auth-problem\"><h1>{t}</h1><p role=\"alert\">{m}</p><p><a class=\"button\" href=\"/login\">Sign in again</a></p></main></body></html>",
        t = esc(title),
        m = esc(message)
    );
    (status, Html(body)).into_response()
}

/// Starts a session for `user_id` and sends the browser on to `return_to`.
async fn start_session(state: &AppState, user_id: i64, method: &str, sso: Option<SsoSession>, return_to: &str) -> Response {
    match state.sessions.start(user_id, method, sso).await {
        Ok(secret) => {
            let max_age = state.sessions.policy().absolute.num_seconds();
            let mut res = Redirect::to(return_to).into_response();
            res.headers_mut().insert(header::SET_COOKIE, session_cookie(state.sign_in.secure_cookies, Some(&secret), max_age));
            res
        }
        Err(e) => {
            tracing::error!("cannot start a session: {e}");
            problem(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "Flotilla could not start your session. Please try again in a moment.")
        }
    }
}

#[derive(Deserialize)]
struct StartQuery {
    next: Option<String>,
    /// `1`: re-confirm the current session with `prompt=none` (sent by the access layer).
    silent: Option<u8>,
}

async fn sso_start(State(s): State<SignInState>, req: Request) -> Response {
    let q = Query::<StartQuery>::try_from_uri(req.uri()).map(|q| q.0).unwrap_or(StartQuery { next: None, silent: None });
    let Some(oidc) = &s.app.sign_in.oidc else {
        return problem(StatusCode::NOT_FOUND, "Single sign-on is off", "This portal has no identity provider configured. Use your local account.");
    };
    let return_to = safe_return_path(q.next.as_deref());
    let silent = q.silent == Some(1);
    let start = match oidc.begin(&return_to, silent).await {
        Ok(start) => start,
        Err(_) if silent => {
            // The provider is away: keep the person working, and ask again in a while.
            if let Some(session) = current_session(&s.app, req.headers()).await {
                s.app.recheck.postpone(&session).await;
            }
            return Redirect::to(&return_to).into_response();
        }
        Err(e) => return problem(StatusCode::SERVICE_UNAVAILABLE, "Single sign-on is unavailable", &format!("{}. Try again in a minute.", sentence(&e.to_string()))),
    };
    if let Err(e) = s.app.sessions.begin_login(&start.state, start.flow).await {
        tracing::error!("cannot remember a sign-in in progress: {e}");
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "Flotilla could not start the sign-in. Please try again.");
    }
    // Binds the sign-in to this browser: a callback carrying a state this browser did not
    // start (login CSRF: an attacker's own code and state) is refused.
    let mut res = Redirect::to(&start.url).into_response();
    let binding = format!("{LOGIN_COOKIE}={}; Path=/auth/callback; HttpOnly; SameSite=Lax; Max-Age=600{}", start.state, secure(&s.app));
    if let Ok(v) = header::HeaderValue::from_str(&binding) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    res
}

/// Ends the session behind this browser's cookie, if any.
async fn end_current_session(state: &AppState, headers: &axum::http::HeaderMap) {
    if let Some(secret) = read_cookie(headers, cookie_name(state.sign_in.secure_cookies))
        && let Err(e) = state.sessions.end(secret).await
    {
        tracing::error!("cannot end a session: {e}");
    }
}

/// The session behind this browser's cookie, if any.
async fn current_session(state: &AppState, headers: &axum::http::HeaderMap) -> Option<flotilla_backend::ActiveSession> {
    let secret = read_cookie(headers, cookie_name(state.sign_in.secure_cookies))?;
    state.sessions.resolve(secret).await.ok().flatten()
}

/// Cookie naming the sign-in this browser started.
const LOGIN_COOKIE: &str = "flotilla_login";
/// Clears it once the sign-in is over (done or refused).
const CLEAR_LOGIN_COOKIE: &str = "flotilla_login=; Path=/auth/callback; HttpOnly; SameSite=Lax; Max-Age=0";

fn secure(state: &AppState) -> &'static str {
    if state.sign_in.secure_cookies { "; Secure" } else { "" }
}

#[derive(Deserialize)]
struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

async fn sso_callback(State(s): State<SignInState>, req: Request) -> Response {
    let ip = source_ip(&req);
    let Query(cb) = match Query::<Callback>::try_from_uri(req.uri()) {
        Ok(q) => q,
        Err(_) => return problem(StatusCode::BAD_REQUEST, "Sign-in failed", "The sign-in answer was malformed. Please sign in again."),
    };
    let state = &s.app;
    let refuse = |reason: String| AuditEvent::new("anonymous", "auth.sign-in", "sso").outcome(Outcome::Denied).from_ip(ip.clone()).detail(reason);
    if let Some(err) = cb.error {
        // A silent re-confirmation the provider cannot give (its session is gone): the
        // Flotilla session ends too, and the person signs in again.
        let silent_flow = match &cb.state {
            Some(st) => state.sessions.take_login(st).await.ok().flatten().filter(|f| f.silent),
            None => None,
        };
        if let Some(flow) = silent_flow {
            end_current_session(state, req.headers()).await;
            state.audit.write_or_log(AuditEvent::new("anonymous", "auth.recheck", "sso").outcome(Outcome::Denied).from_ip(ip).detail(format!("provider answered {err}; session ended"))).await;
            let mut res = Redirect::to(&format!("/login?error=provider-ended&next={}", query_value(&flow.return_to))).into_response();
            res.headers_mut().insert(header::SET_COOKIE, session_cookie(state.sign_in.secure_cookies, None, 0));
            return res;
        }
        state.audit.write_or_log(refuse(format!("provider answered {err}"))).await;
        let why = cb.error_description.unwrap_or(err);
        return problem(StatusCode::UNAUTHORIZED, "Sign-in was not completed", &format!("The identity provider said: {why}."));
    }
    let (Some(code), Some(flow_state)) = (cb.code, cb.state) else {
        return problem(StatusCode::BAD_REQUEST, "Sign-in failed", "The sign-in answer was incomplete. Please sign in again.");
    };
    let started_here = read_cookie(req.headers(), LOGIN_COOKIE) == Some(flow_state.as_str());
    let flow = match state.sessions.take_login(&flow_state).await {
        Ok(Some(_)) if !started_here => {
            state.audit.write_or_log(refuse("state not started in this browser".into())).await;
            return problem(StatusCode::BAD_REQUEST, "Sign-in link not valid", "This sign-in was not started in this browser. Please sign in again.");
        }
        Ok(Some(flow)) => flow,
        Ok(None) => {
            state.audit.write_or_log(refuse("unknown, expired or already used state".into())).await;
            return problem(StatusCode::BAD_REQUEST, "Sign-in link not valid", "This sign-in link is not valid: it was changed, has expired or was already used. Please sign in again.");
        }
        Err(e) => {
            tracing::error!("cannot read a sign-in in progress: {e}");
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "Flotilla could not finish the sign-in. Please try again.");
        }
    };
    let Some(oidc) = &state.sign_in.oidc else {
        return problem(StatusCode::NOT_FOUND, "Single sign-on is off", "This portal has no identity provider configured.");
    };
    let identity = match oidc.complete(&code, &flow).await {
        Ok(i) => i,
        Err(e) => {
            state.audit.write_or_log(refuse(e.to_string())).await;
            return problem(StatusCode::UNAUTHORIZED, "Sign-in failed", &format!("{}. Please sign in again.", sentence(&e.to_string())));
        }
    };
    let signed_in = match state.identities.sign_in(&identity, &ip).await {
        Ok(found) => found,
        Err(e @ (IdentityError::LinkRefused { .. } | IdentityError::Deactivated)) => {
            // The refusal itself is audited by the identities service.
            let mut res = problem(StatusCode::FORBIDDEN, "Your sign-in is not linked", &format!("{}.", sentence(&e.to_string())));
            res.headers_mut().append(header::SET_COOKIE, header::HeaderValue::from_static(CLEAR_LOGIN_COOKIE));
            return res;
        }
        Err(e) => {
            tracing::error!("cannot create or update the signing-in user: {e}");
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "Flotilla could not record your account. Please try again.");
        }
    };
    if let Err(e) = state.access.apply_groups(signed_in.user_id, &identity.groups).await {
        tracing::error!("cannot apply group mappings: {e}");
        return problem(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "Flotilla could not apply your groups. Please try again.");
    }
    if flow.silent {
        // The re-confirmed person gets a fresh session; the one it replaces ends.
        end_current_session(state, req.headers()).await;
    }
    let action = if flow.silent { "auth.recheck" } else { "auth.sign-in" };
    let groups = format!("groups: {}", identity.groups.join(", "));
    state.audit.write_or_log(AuditEvent::new(identity.email.clone(), action, "sso").from_ip(ip).detail(groups)).await;
    let sso = SsoSession { identity_id: signed_in.identity_id, id_token: identity.id_token, refresh_token: identity.refresh_token };
    let mut res = start_session(state, signed_in.user_id, "sso", Some(sso), &flow.return_to).await;
    res.headers_mut().append(header::SET_COOKIE, header::HeaderValue::from_static(CLEAR_LOGIN_COOKIE));
    res
}

#[derive(Deserialize)]
struct LocalForm {
    email: String,
    password: String,
    next: Option<String>,
}

async fn local(State(s): State<SignInState>, req: Request) -> Response {
    let ip = source_ip(&req);
    let Form(form) = match Form::<LocalForm>::from_request(req, &()).await {
        Ok(f) => f,
        Err(_) => return Redirect::to("/login?error=incomplete").into_response(),
    };
    let state = &s.app;
    if !state.sign_in.local {
        return Redirect::to("/login?error=local-off").into_response();
    }
    let email = form.email.trim().to_lowercase();
    let return_to = safe_return_path(form.next.as_deref());
    let next = query_value(&return_to);
    match state.accounts.sign_in(&email, &form.password, &ip).await {
        Ok(user_id) => {
            let _ = state.people.note_sign_in(user_id).await;
            state.audit.write_or_log(AuditEvent::new(email, "auth.sign-in", "local").from_ip(ip)).await;
            start_session(state, user_id, "local", None, &return_to).await
        }
        Err(AccountError::SlowDown(wait)) => {
            state.audit.write_or_log(AuditEvent::new(email, "auth.sign-in", "local").outcome(Outcome::Denied).from_ip(ip).detail(format!("slowed down: {wait} s"))).await;
            Redirect::to(&format!("/login?error=rate&wait={wait}&next={next}")).into_response()
        }
        Err(AccountError::WrongCredentials) => {
            state.audit.write_or_log(AuditEvent::new(email, "auth.sign-in", "local").outcome(Outcome::Denied).from_ip(ip).detail("wrong e-mail or password")).await;
            Redirect::to(&format!("/login?error=credentials&next={next}")).into_response()
        }
        Err(AccountError::Deactivated) => {
            state.audit.write_or_log(AuditEvent::new(email, "auth.sign-in", "local").outcome(Outcome::Denied).from_ip(ip).detail("account deactivated")).await;
            Redirect::to(&format!("/login?error=deactivated&next={next}")).into_response()
        }
        Err(e) => {
            tracing::error!("cannot check a password: {e}");
            problem(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "Flotilla could not check your password. Please try again.")
        }
    }
}

#[derive(Deserialize)]
struct DemoForm {
    login: String,
    next: Option<String>,
}

/// One-click sign-in as a demo account. Exists only in demo mode.
async fn demo(State(s): State<SignInState>, req: Request) -> Response {
    let state = &s.app;
    if !state.demo {
        return StatusCode::NOT_FOUND.into_response();
    }
    let ip = source_ip(&req);
    let Ok(Form(form)) = Form::<DemoForm>::from_request(req, &()).await else {
        return Redirect::to("/login").into_response();
    };
    let Some(account) = flotilla_backend::demo::DEMO_ACCOUNTS.iter().find(|a| a.login == form.login) else {
        return Redirect::to("/login?error=credentials").into_response();
    };
    let user_id = match state.people.ensure_user(account.email, account.display_name, account.is_admin).await {
        Ok(id) => id,
        Err(e) => {
            tracing::error!("cannot find the demo account: {e}");
            return problem(StatusCode::INTERNAL_SERVER_ERROR, "Sign-in failed", "The demo account is missing. Restart the demo.");
        }
    };
    state.audit.write_or_log(AuditEvent::new(account.email, "auth.sign-in", "demo").from_ip(ip)).await;
    start_session(state, user_id, "demo", None, &safe_return_path(form.next.as_deref())).await
}

async fn logout(State(s): State<SignInState>, req: Request) -> Response {
    let state = &s.app;
    let ip = source_ip(&req);
    let secret = read_cookie(req.headers(), cookie_name(state.sign_in.secure_cookies)).map(str::to_owned);
    let mut target = "/login?signed_out=1".to_owned();
    if let Some(secret) = secret {
        if let Ok(Some(session)) = state.sessions.resolve(&secret).await {
            let who = state.people.user(session.user_id).await.ok().flatten().map(|u| u.email).unwrap_or_default();
            state.audit.write_or_log(AuditEvent::new(who, "auth.sign-out", session.method.clone()).from_ip(ip)).await;
            if session.method == "sso"
                && let Some(oidc) = &state.sign_in.oidc
                && let Some(url) = oidc.logout_url(session.id_token.as_deref()).await
            {
                target = url;
            }
        }
        if let Err(e) = state.sessions.end(&secret).await {
            tracing::error!("cannot end a session: {e}");
        }
    }
    let mut res = Redirect::to(&target).into_response();
    res.headers_mut().insert(header::SET_COOKIE, session_cookie(state.sign_in.secure_cookies, None, 0));
    res
}

use axum::extract::FromRequest;
