//! A portal in-process, assembled as production assembles it (`Application::build`) over a
//! fresh SQLite file with the demo people and projects, and a client that signs in as them.
use app::state::AppState;
use axum::body::Body;
use axum::http::{Method, Request, Response, header};
use flotilla_server::auth;
use flotilla_server::config::{Secret, Settings};
use flotilla_server::serve::{Application, Mode};
use tower::ServiceExt;

pub struct TestPortal {
    pub state: AppState,
    router: axum::Router,
    _dir: tempfile::TempDir,
}

/// What came back: status, guard header, body.
pub struct Answer {
    pub status: u16,
    pub guard: bool,
    pub location: Option<String>,
    pub body: String,
    pub headers: axum::http::HeaderMap,
    /// The body as sent (compressed when the answer says so).
    pub bytes: axum::body::Bytes,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

impl TestPortal {
    pub async fn start() -> Self {
        Self::start_with(true, "target/site").await
    }

    /// The demo portal serving the site (pages' bundle) from `site_root`.
    pub async fn start_serving(site_root: &str) -> Self {
        Self::start_with(true, site_root).await
    }

    /// A portal as `flotilla serve` starts it on a fresh database: no demo people, projects or
    /// clusters.
    pub async fn start_empty() -> Self {
        Self::start_with(false, "target/site").await
    }

    /// Built as `flotilla demo` (without its simulated fleet) or `flotilla serve` builds the
    /// portal: `Application::build`, on a throw-away SQLite file. Its background loops do not
    /// run; the router is called in-process.
    async fn start_with(demo_seed: bool, site_root: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: format!("sqlite://{}/t.db", dir.path().display()),
            site_root: site_root.into(),
            data_dir: dir.path().join("data").display().to_string(),
            demo_fleet: false,
            secret_key: Secret(flotilla_backend::SecretKey::generate().to_text()),
            replica: "test".into(),
            ..Settings::default()
        };
        let app = Application::build(settings, if demo_seed { Mode::Demo } else { Mode::Serve }).await.unwrap();
        Self { state: app.state().clone(), router: app.router(), _dir: dir }
    }

    pub async fn user_id(&self, login: &str) -> i64 {
        let users = self.state.people.users().await.unwrap();
        users.iter().find(|u| u.email.starts_with(&format!("{login}@"))).unwrap_or_else(|| panic!("no user {login}")).id
    }

    pub async fn project_id(&self, name: &str) -> i64 {
        self.state.people.project_named(name).await.unwrap().unwrap().id
    }

    /// A session cookie for the user (as the sign-in routes would set it).
    pub async fn session(&self, login: &str) -> String {
        self.session_of(self.user_id(login).await).await
    }

    /// A session cookie for the user with this id.
    pub async fn session_of(&self, id: i64) -> String {
        let secret = self.state.sessions.start(id, "test", None).await.unwrap();
        format!("{}={secret}", auth::SESSION_COOKIE)
    }

    /// Sends a request; `cookie` signs it in; same-origin browser headers are added.
    pub async fn send(&self, method: Method, path: &str, cookie: Option<&str>, content_type: &str, body: &str) -> Answer {
        // A read that has not answered in 20 s is reported and sent once more (a CI run once
        // hung here with every thread idle; the retry keeps the assertions and names the path).
        // A write is never sent twice: it may have happened, and a second one would change what
        // the test checks.
        let attempts = if method == Method::GET { 2 } else { 1 };
        for attempt in 1..=attempts {
            let req = self.request(method.clone(), path, cookie, content_type, body);
            match tokio::time::timeout(std::time::Duration::from_secs(20), self.raw(req)).await {
                Ok(answer) => return answer,
                Err(_) => eprintln!("{method} {path} did not answer within 20 s (attempt {attempt} of {attempts})"),
            }
        }
        panic!("{method} {path} did not answer within 20 s ({attempts} attempts)");
    }

    fn request(&self, method: Method, path: &str, cookie: Option<&str>, content_type: &str, body: &str) -> Request<Body> {
        let mut req = Request::builder().method(method).uri(path).header(header::HOST, "portal.test").header("sec-fetch-site", "same-origin").header(header::ACCEPT, "application/json");
        if let Some(c) = cookie {
            req = req.header(header::COOKIE, c);
        }
        if !body.is_empty() {
            req = req.header(header::CONTENT_TYPE, content_type);
        }
        req.body(Body::from(body.to_owned())).unwrap()
    }

    pub async fn raw(&self, req: Request<Body>) -> Answer {
        // An answer that never comes fails the test with its address instead of hanging it.
        let what = format!("{} {}", req.method(), req.uri());
        let limit = std::time::Duration::from_secs(10);
        let res: Response<Body> = tokio::time::timeout(limit, self.router.clone().oneshot(req)).await.unwrap_or_else(|_| panic!("{what} did not answer in {limit:?}")).unwrap();
        let status = res.status().as_u16();
        let guard = res.headers().get(auth::GUARD_HEADER).is_some();
        let location = res.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        let headers = res.headers().clone();
        let bytes = tokio::time::timeout(limit, axum::body::to_bytes(res.into_body(), 1 << 20)).await.unwrap_or_else(|_| panic!("{what} did not finish its answer in {limit:?}")).unwrap();
        Answer { status, guard, location, body: String::from_utf8_lossy(&bytes).into_owned(), headers, bytes }
    }

    /// Calls the server function `name` as the browser does (JSON arguments when they start
    /// with `{`, else a form). Its path is the name followed by a numeric hash.
    pub async fn server_fn(&self, name: &str, cookie: &str, args: &str) -> Answer {
        let (path, method) = leptos::server_fn::axum::server_fn_paths()
            .find(|(p, _)| p.trim_start_matches("/api/").trim_end_matches(|c: char| c.is_ascii_digit()) == name)
            .unwrap_or_else(|| panic!("no server function {name}"));
        let content_type = if args.starts_with('{') { "application/json" } else { "application/x-www-form-urlencoded" };
        self.send(method, path, Some(cookie), content_type, args).await
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> Answer {
        self.send(Method::GET, path, cookie, "", "").await
    }

    pub async fn bearer(&self, method: Method, path: &str, token: &str, body: &str) -> Answer {
        let req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .unwrap();
        self.raw(req).await
    }
}
