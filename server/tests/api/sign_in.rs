//! Sign-in edges through the real router: API tokens cannot mint tokens, deactivation ends
//! sessions and tokens at once, only administrators touch identities and accounts, return
//! paths stay on the portal, failed passwords slow down, demo sessions do not count outside
//! the demo, and pages carry a Content-Security-Policy whose nonce their inline scripts use.
use crate::support::TestPortal;
use axum::http::Method;

#[tokio::test]
async fn an_api_token_cannot_create_more_tokens() {
    let portal = TestPortal::start().await;
    let bob = portal.session("bob").await;
    let made = portal.send(Method::POST, "/api/v1/tokens", Some(&bob), "application/json", r#"{"name": "laptop", "days": 30}"#).await;
    assert_eq!(made.status, 201, "{}", made.body);
    let secret = made.json()["secret"].as_str().unwrap().to_owned();
    let minted = portal.bearer(Method::POST, "/api/v1/tokens", &secret, r#"{"name": "minted", "days": 365}"#).await;
    assert_eq!(minted.status, 403, "{}", minted.body);
    assert!(minted.body.contains("create API tokens with an API token"), "{}", minted.body);
    let listed = portal.bearer(Method::GET, "/api/v1/tokens", &secret, "").await;
    assert_eq!(listed.json().as_array().unwrap().len(), 1, "nothing new was made");
}

#[tokio::test]
async fn an_administrator_deactivates_a_person_and_every_session_and_token_ends_at_once() {
    let portal = TestPortal::start().await;
    let (alice, bob, carol) = (portal.session("alice").await, portal.session("bob").await, portal.session("carol").await);
    let bob_id = portal.user_id("bob").await;
    let made = portal.send(Method::POST, "/api/v1/tokens", Some(&bob), "application/json", r#"{"name": "ci", "days": 30}"#).await;
    let secret = made.json()["secret"].as_str().unwrap().to_owned();
    // Someone who is not an administrator cannot.
    let path = format!("/api/v1/users/{bob_id}/active");
    let refused = portal.send(Method::PUT, &path, Some(&carol), "application/json", r#"{"active": false}"#).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert!(refused.body.contains("You do not have permission"), "{}", refused.body);
    assert_eq!(portal.get("/api/v1/me", Some(&bob)).await.status, 200);
    let done = portal.send(Method::PUT, &path, Some(&alice), "application/json", r#"{"active": false}"#).await;
    assert_eq!(done.status, 204, "{}", done.body);
    assert_eq!(portal.get("/api/v1/me", Some(&bob)).await.status, 401, "the session ended");
    assert_eq!(portal.bearer(Method::GET, "/api/v1/me", &secret, "").await.status, 401, "the token ended");
    let users = portal.get("/api/v1/users", Some(&alice)).await.json();
    assert!(users.as_array().unwrap().iter().any(|u| u["id"] == bob_id && u["deactivated"] == true));
    // Administrators cannot lock themselves out.
    let alice_id = portal.user_id("alice").await;
    let own = portal.send(Method::PUT, &format!("/api/v1/users/{alice_id}/active"), Some(&alice), "application/json", r#"{"active": false}"#).await;
    assert_eq!(own.status, 422, "{}", own.body);
    assert!(own.body.contains("your own account"), "{}", own.body);
}

#[tokio::test]
async fn only_administrators_see_and_change_sign_in_identities() {
    let portal = TestPortal::start().await;
    let (alice, carol) = (portal.session("alice").await, portal.session("carol").await);
    let listed = portal.get("/api/v1/identities", Some(&carol)).await;
    assert_eq!(listed.status, 403, "{}", listed.body);
    assert!(listed.body.contains("sign-in identities"), "{}", listed.body);
    let carol_id = portal.user_id("carol").await;
    let link = portal.send(Method::PUT, "/api/v1/identities/1/user", Some(&carol), "application/json", &format!(r#"{{"user_id": {carol_id}}}"#)).await;
    assert_eq!(link.status, 403, "carol cannot link an identity to herself: {}", link.body);
    assert_eq!(portal.send(Method::DELETE, "/api/v1/identities/1", Some(&carol), "", "").await.status, 403);
    assert_eq!(portal.get("/api/v1/identities", Some(&alice)).await.json(), serde_json::json!([]));
    let missing = portal.send(Method::PUT, "/api/v1/identities/999/user", Some(&alice), "application/json", &format!(r#"{{"user_id": {carol_id}}}"#)).await;
    assert_eq!(missing.status, 404, "{}", missing.body);
}

async fn local_sign_in(portal: &TestPortal, email: &str, password: &str, next: &str) -> Option<String> {
    let body = format!("email={}&password={}&next={}", app::links::query_value(email), app::links::query_value(password), app::links::query_value(next));
    portal.send(Method::POST, "/auth/local", None, "application/x-www-form-urlencoded", &body).await.location
}

#[tokio::test]
async fn password_sign_in_stays_on_the_portal_and_slows_down_guessing() {
    let portal = TestPortal::start_empty().await;
    portal.state.accounts.create_local("root@corp.test", "Root", "correct horse battery", true).await.unwrap();
    // After sign-in the browser follows only paths on this portal.
    for evil in ["/\t/evil.example", "//evil.example", "/%09/evil.example", "/\\evil.example", "https://evil.example"] {
        assert_eq!(local_sign_in(&portal, "root@corp.test", "correct horse battery", evil).await.as_deref(), Some("/"), "{evil:?}");
    }
    assert_eq!(local_sign_in(&portal, "root@corp.test", "correct horse battery", "/costs?project=a").await.as_deref(), Some("/costs?project=a"));
    // Guessing: three tries cost nothing, the next waits (the right password too).
    for _ in 0..3 {
        let to = local_sign_in(&portal, "root@corp.test", "a wrong guess", "/").await.unwrap();
        assert!(to.starts_with("/login?error=credentials"), "{to}");
    }
    let to = local_sign_in(&portal, "root@corp.test", "correct horse battery", "/").await.unwrap();
    assert!(to.starts_with("/login?error=rate&wait="), "{to}");
    let audit = portal.state.audit.recent(5).await.unwrap();
    assert!(audit.iter().any(|l| l.detail.starts_with("slowed down")), "audited");
}

#[tokio::test]
async fn a_demo_sign_in_does_not_count_on_a_served_portal() {
    let portal = TestPortal::start_empty().await;
    let root = portal.state.accounts.create_local("root@corp.test", "Root", "correct horse battery", true).await.unwrap();
    let clicked = portal.state.sessions.start(root, "demo", None).await.unwrap();
    let cookie = format!("{}={clicked}", flotilla_server::auth::SESSION_COOKIE);
    assert_eq!(portal.get("/api/v1/me", Some(&cookie)).await.status, 401);
    let demo_route = portal.send(Method::POST, "/auth/demo", None, "application/x-www-form-urlencoded", "login=alice").await;
    assert_eq!(demo_route.status, 404, "no demo sign-in outside the demo");
}

#[tokio::test]
async fn pages_carry_a_content_security_policy_whose_nonce_their_inline_scripts_use() {
    let portal = TestPortal::start().await;
    let req = axum::http::Request::builder().uri("/login").header("accept", "text/html").body(axum::body::Body::empty()).unwrap();
    let page = portal.raw(req).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let csp = page.headers.get("content-security-policy").expect("a CSP on pages").to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self' 'nonce-") && csp.contains("'wasm-unsafe-eval'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap();
    let scripts = page.body.matches("<script").count();
    assert!(scripts >= 2, "theme and hydration scripts: {}", page.body);
    assert_eq!(page.body.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "every inline script carries this response's nonce");
    assert!(page.headers.get("strict-transport-security").is_none(), "no HSTS over plain http");
    let api = portal.get("/api/v1/me", None).await;
    assert!(api.headers.get("content-security-policy").unwrap().to_str().unwrap().contains("script-src 'self'"));
}
