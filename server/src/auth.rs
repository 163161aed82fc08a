//! Who is calling: resolves the session cookie or API token of every request into a
//! `RequestAccess`, refuses cross-site writes, sends signed-out browsers to the login page,
//! and refuses any API answer whose handler did not consult the access guard.
use app::links::query_value;
use app::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use flotilla_backend::opaque_tokens::digest;
use flotilla_backend::{AuditEvent, Caller, GuardTrace, Outcome, Recheck, RequestAccess};
use std::net::SocketAddr;

pub const SESSION_COOKIE: &str = "flotilla_session";
/// With `Secure` cookies the `__Host-` prefix also pins the cookie to this host and path.
pub const SECURE_SESSION_COOKIE: &str = "__Host-flotilla_session";
/// Set on every answer whose handler consulted the guard (tests check it on every route).
pub const GUARD_HEADER: &str = "x-flotilla-guard";

pub fn cookie_name(secure: bool) -> &'static str {
    if secure { SECURE_SESSION_COOKIE } else { SESSION_COOKIE }
}

/// `Set-Cookie` for a new session (or, with `None`, one that clears it).
pub fn session_cookie(secure: bool, value: Option<&str>, max_age_secs: i64) -> HeaderValue {
    let name = cookie_name(secure);
    let cookie = match value {
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{}", if secure { "; Secure" } else { "" }),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", if secure { "; Secure" } else { "" }),
    };
    HeaderValue::from_str(&cookie).expect("cookie is ASCII")
}

pub fn read_cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).filter_map(|pair| pair.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// The client's address as [`authenticate`] worked it out (see [`client_ip`]).
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

pub fn source_ip(req: &Request) -> String {
    match req.extensions().get::<ClientIp>() {
        Some(ip) => ip.0.clone(),
        None => req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string()).unwrap_or_default(),
    }
}

/// The client's address: the peer, unless the peer is a trusted proxy (`trusted_proxies`);
/// then the right-most `X-Forwarded-For` entry that is not itself a trusted proxy. Anyone
/// else's `X-Forwarded-For` is ignored (it would let a guesser pick their own address).
pub fn client_ip(peer: Option<std::net::IpAddr>, headers: &HeaderMap, trusted: &flotilla_backend::AllowedNetworks) -> String {
    let Some(peer) = peer else { return String::new() };
    if !trusted.contains(peer) {
        return peer.to_string();
    }
    let hops: Vec<std::net::IpAddr> = headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(',')).filter_map(|h| h.trim().parse().ok()).collect();
    hops.into_iter().rev().find(|ip| !trusted.contains(*ip)).unwrap_or(peer).to_string()
}

/// Who is calling, and whether their SSO session must first be re-confirmed through the
/// provider's pages (`prompt=none`, on the next page load).
struct Resolved {
    caller: Option<Caller>,
    silent_due: bool,
}

/// Resolves a bearer token or session cookie to the caller. Failures of the database
/// count as "not signed in" (and are logged), never as signed in. Callers are kept in
/// memory briefly (`AppState::callers`): sign-out, revocation and role changes drop them.
/// An SSO session due for re-confirmation is re-confirmed here (see `SsoRecheck`). Page
/// navigations skip the memory: they are where a due session is sent to the provider, and a
/// copy cached by an API call a moment before the session fell due would let one through.
async fn caller(state: &AppState, headers: &HeaderMap, ip: &str, navigation: bool) -> Resolved {
    let nobody = Resolved { caller: None, silent_due: false };
    let token = bearer(headers);
    let cookie = match token {
        Some(_) => None,
        None => match read_cookie(headers, cookie_name(state.sign_in.secure_cookies)) {
            Some(c) => Some(c),
            None => return nobody,
        },
    };
    let key = match (token, cookie) {
        (Some(t), _) => format!("token:{}", digest(t)),
        (None, Some(c)) => format!("session:{}", digest(c)),
        (None, None) => return nobody,
    };
    if !navigation && let Some(found) = state.callers.get(&key) {
        return Resolved { caller: Some(found), silent_due: false };
    }
    let epoch = state.callers.epoch();
    let mut silent_due = false;
    let (user_id, via) = match (token, cookie) {
        (Some(token), _) => match state.tokens.resolve(token).await {
            Ok(Some(id)) => (id, "token".to_owned()),
            Ok(None) => return nobody,
            Err(e) => {
                tracing::error!("cannot check an API token: {e}");
                return nobody;
            }
        },
        (None, Some(cookie)) => match state.sessions.resolve(cookie).await {
            Ok(Some(s)) => {
                match state.recheck.check(&s, ip).await {
                    Recheck::Ended => return nobody,
                    Recheck::Silent => silent_due = true,
                    Recheck::Fresh => {}
                }
                (s.user_id, format!("session:{}", s.method))
            }
            Ok(None) => return nobody,
            Err(e) => {
                tracing::error!("cannot check a session: {e}");
                return nobody;
            }
        },
        (None, None) => return nobody,
    };
    match state.access.subject_and_me(user_id).await {
        Ok((subject, me)) => {
            let found = Caller { subject, me, via };
            if !silent_due {
                state.callers.put(key, epoch, found.clone());
            }
            Resolved { caller: Some(found), silent_due }
        }
        Err(flotilla_backend::AccessError::Deactivated(_)) => nobody,
        Err(e) => {
            tracing::error!("cannot load the roles of user {user_id}: {e}");
            nobody
        }
    }
}

/// A state-changing request that a browser sent from another site (CSRF). Requests with a
/// bearer token carry no ambient credentials and are exempt.
fn cross_site(req: &Request) -> bool {
    let headers = req.headers();
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) || bearer(headers).is_some() {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, h)| h) != Some(host),
        // No Origin and no Sec-Fetch-Site: not a modern browser; only harmless without a cookie.
        (None, _) => headers.get(header::COOKIE).is_some(),
        (Some(_), None) => true,
    }
}

/// Paths anyone may open without signing in.
fn open_path(path: &str) -> bool {
    path == "/login" || path.starts_with("/auth/") || path.starts_with("/pkg/") || path == "/healthz" || path == "/metrics" || path.rsplit('/').next().is_some_and(|last| last.contains('.'))
}

fn wants_html(req: &Request) -> bool {
    req.method() == Method::GET && req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// Static files: served to anyone, without a session lookup.
fn static_file(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/favicon.ico"
}

pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if static_file(&path) && matches!(*req.method(), Method::GET | Method::HEAD) {
        return next.run(req).await;
    }
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let ip = client_ip(peer, req.headers(), &state.sign_in.trusted_proxies);
    req.extensions_mut().insert(ClientIp(ip.clone()));
    if cross_site(&req) {
        state.audit.write_or_log(AuditEvent::new("anonymous", "request.cross-site", path.clone()).outcome(Outcome::Denied).from_ip(ip)).await;
        return (StatusCode::FORBIDDEN, "Cross-site request refused. Use the portal's own pages or an API token.").into_response();
    }
    let Resolved { caller, silent_due } = caller(&state, req.headers(), &ip, wants_html(&req)).await;
    if wants_html(&req) && !open_path(&path) {
        let next_path = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        if caller.is_none() {
            return Redirect::to(&format!("/login?next={}", query_value(next_path))).into_response();
        }
        if silent_due {
            // The provider re-confirms the session without a page while its own lives.
            return Redirect::to(&format!("/auth/login?silent=1&next={}", query_value(next_path))).into_response();
        }
    }
    let access = RequestAccess { caller, source_ip: ip, trace: GuardTrace::default() };
    req.extensions_mut().insert(access.clone());
    let mut response = next.run(req).await;
    if access.trace.consulted() {
        response.headers_mut().insert(GUARD_HEADER, HeaderValue::from_static("consulted"));
    } else if path.starts_with("/api/") && !crate::rest::openapi::PUBLIC.contains(&path.as_str()) && response.status().is_success() {
        // Fail closed: an API route that answered without asking the guard is a bug (the API's
        // published description is the one thing anyone may read).
        tracing::error!(%path, "API route answered without consulting the access guard; refused");
        return (StatusCode::INTERNAL_SERVER_ERROR, "This route did not check access and was refused.").into_response();
    }
    response
}

/// The policy of answers that are not pages (pages set theirs, with a nonce for their inline
/// scripts): no scripts but the portal's own.
const DEFAULT_CSP: &str =
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

/// Headers every answer carries: no framing (clickjacking), no MIME sniffing, no referrer
/// leaking paths to other sites, a Content-Security-Policy, and HSTS when the portal is
/// reached over https.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEFAULT_CSP));
    }
    if state.sign_in.secure_cookies {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    res
}

/// Only paths on this portal are followed after sign-in (no open redirect). The value is
/// resolved as a URL relative to the portal, as a browser would, and refused unless it stays
/// on the portal: control characters and backslashes (browsers drop or turn them into `/`),
/// also percent-encoded, are refused outright.
pub fn safe_return_path(next: Option<&str>) -> String {
    const HOME: &str = "/";
    let Some(raw) = next else { return HOME.to_owned() };
    let decoded = percent_decoded(raw);
    let tricky = |s: &str| s.chars().any(|c| c.is_control() || c == '\\' || c.is_whitespace() && c != ' ');
    if !raw.starts_with('/') || raw.starts_with("//") || tricky(raw) || tricky(&decoded) || decoded.starts_with("//") {
        return HOME.to_owned();
    }
    let base = url::Url::parse("http://portal.invalid/").expect("static URL");
    match base.join(raw) {
        Ok(u) if u.origin() == base.origin() => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_owned(),
        },
        _ => HOME.to_owned(),
    }
}

/// `raw` with %XX sequences decoded, repeatedly (double encoding), for the checks above.
fn percent_decoded(raw: &str) -> String {
    let mut text = raw.to_owned();
    for _ in 0..3 {
        let next = url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default();
        if next == text {
            break;
        }
        text = next;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_return_path(Some("/costs?x=1")), "/costs?x=1");
        assert_eq!(safe_return_path(Some("/x?u=https://evil.test")), "/x?u=https://evil.test", "a query is not a destination");
        assert_eq!(safe_return_path(Some("/a/../workloads")), "/workloads");
        for evil in [
            "//evil.test",
            "https://evil.test",
            "/\\evil.test",
            "evil",
            "/\t/evil.example",
            "/\t\t/evil.example",
            "/\n/evil.example",
            "/\r//evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%5Cevil.example",
            "/%2509/evil.example",
            "/\u{000b}/evil.example",
            "/\u{00a0}/evil.example",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_return_path(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_return_path(None), "/");
    }

    fn post(headers: &[(&str, &str)]) -> Request {
        let mut b = axum::http::Request::builder().method(Method::POST).uri("/api/x");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let trusted: flotilla_backend::AllowedNetworks = "10.0.0.0/8".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("198.51.100.7, 203.0.113.5, 10.1.2.3"));
        let peer = |ip: &str| Some(ip.parse().unwrap());
        assert_eq!(client_ip(peer("192.0.2.1"), &headers, &trusted), "192.0.2.1", "a stranger's header is ignored");
        assert_eq!(client_ip(peer("10.9.9.9"), &headers, &trusted), "203.0.113.5", "the right-most hop not a proxy");
        assert_eq!(client_ip(peer("10.9.9.9"), &HeaderMap::new(), &trusted), "10.9.9.9");
        assert_eq!(client_ip(peer("10.9.9.9"), &headers, &Default::default()), "10.9.9.9", "no trusted proxies: the peer");
    }

    #[test]
    fn cross_site_writes_are_recognised() {
        let cookie = ("cookie", "flotilla_session=abc");
        assert!(!cross_site(&post(&[cookie, ("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&post(&[cookie, ("sec-fetch-site", "cross-site")])));
        assert!(cross_site(&post(&[cookie, ("sec-fetch-site", "same-site")])));
        assert!(!cross_site(&post(&[cookie, ("origin", "http://127.0.0.1:3000"), ("host", "127.0.0.1:3000")])));
        assert!(cross_site(&post(&[cookie, ("origin", "http://evil.test"), ("host", "127.0.0.1:3000")])));
        assert!(cross_site(&post(&[cookie])), "a cookie without Origin or Sec-Fetch-Site");
        assert!(!cross_site(&post(&[("authorization", "Bearer flt_x"), ("origin", "http://evil.test")])));
        assert!(!cross_site(&post(&[])), "no credentials at all: nothing to forge");
    }
}
