//! Black-box tests of the `flotilla` binary: started on a free port with a fresh
//! SQLite database, spoken to over HTTP, stopped with SIGTERM.
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Portal {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Portal {
    fn start(subcommand: &str) -> Self {
        Self::start_with(subcommand, &[]).0
    }

    /// Starts the portal with extra environment variables; also returns its first log line.
    fn start_with(subcommand: &str, env: &[(&str, &str)]) -> (Self, String) {
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_flotilla"))
            .arg(subcommand)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("FLOTILLA_ADDR", "127.0.0.1:0")
            .env("FLOTILLA_DATABASE_URL", format!("sqlite://{}/data/test.db", dir.path().display()))
            .env("FLOTILLA_SHUTDOWN_GRACE_SECS", "5")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("flotilla starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(idx) = line.find("listening on http://") {
                    let url: String = line[idx + "listening on ".len()..].chars().take_while(|c| c.is_ascii_alphanumeric() || ":/.".contains(*c)).collect();
                    let _ = tx.send((url, line.clone()));
                }
            }
        });
        let (url, line) = rx.recv_timeout(Duration::from_secs(30)).expect("flotilla logs its address within 30 s");
        (Self { child, url, _dir: dir }, line)
    }

    async fn get(&self, path: &str) -> (u16, String) {
        self.get_as(path, "").await
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
    }

    /// GET with a session cookie ("" = signed out).
    async fn get_as(&self, path: &str, cookie: &str) -> (u16, String) {
        let mut req = Self::client().get(format!("{}{path}", self.url));
        if !cookie.is_empty() {
            req = req.header("cookie", cookie);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    /// POSTs a sign-in form the way the login page does; returns (status, Location, cookie).
    async fn sign_in(&self, route: &str, form: &[(&str, &str)]) -> (u16, String, String) {
        let res = Self::client().post(format!("{}{route}", self.url)).header("origin", &self.url).form(form).send().await.unwrap();
        let location = res.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
        let cookie = res.headers().get("set-cookie").map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned()).unwrap_or_default();
        (res.status().as_u16(), location, cookie)
    }

    /// Creates a local administrator with the CLI against this portal's database.
    fn create_admin(&self, email: &str, password: &str) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_flotilla"))
            .args(["admin", "create", "--email", email, "--name", "Root"])
            .current_dir(self._dir.path())
            .env("FLOTILLA_DATABASE_URL", format!("sqlite://{}/data/test.db", self._dir.path().display()))
            .env("FLOTILLA_ADMIN_PASSWORD", password)
            .output()
            .unwrap()
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "flotilla did not stop within 10 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Portal {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[tokio::test]
async fn health_check_reports_the_database() {
    let portal = Portal::start("serve");
    let (status, body) = portal.get("/healthz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"status\":\"ok\"") && body.contains("sqlite"), "{body}");
}

#[tokio::test]
async fn fleet_page_is_rendered_on_the_server_with_its_empty_state() {
    let portal = Portal::start("serve");
    let created = portal.create_admin("root@example.test", "a long enough password");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let (_, _, cookie) = portal.sign_in("/auth/local", &[("email", "root@example.test"), ("password", "a long enough password")]).await;
    let (status, html) = portal.get_as("/fleet", &cookie).await;
    assert_eq!(status, 200);
    assert!(html.contains("Flotilla"), "product name in the top bar");
    for nav in ["Fleet", "Workloads", "Costs", "Admin"] {
        assert!(html.contains(&format!(">{nav}<")), "navigation link {nav} present");
    }
    assert!(html.contains("No clusters yet"), "the empty state is in the server-rendered HTML");
    assert!(html.contains("/pkg/flotilla.js"), "the hydration script is referenced");
}

#[tokio::test]
async fn unknown_addresses_answer_404_with_a_page() {
    let portal = Portal::start("serve");
    let (status, html) = portal.get("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"), "{html}");
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let portal = Portal::start("serve");
    portal.get("/healthz").await;
    portal.get("/healthz").await;
    portal.get("/no/such/page").await;
    let (status, text) = portal.get("/metrics").await;
    assert_eq!(status, 200);
    assert!(text.contains("flotilla_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"), "{text}");
    assert!(text.contains("status=\"404\"} 1"), "{text}");
    assert!(text.contains("flotilla_http_request_duration_seconds_bucket{route=\"/healthz\",le=\"+Inf\"} 2"), "{text}");
}

#[tokio::test]
async fn demo_mode_seeds_people_and_projects() {
    let portal = Portal::start("demo");
    let (_, _, alice) = portal.sign_in("/auth/demo", &[("login", "alice")]).await;
    let (status, html) = portal.get_as("/admin", &alice).await;
    assert_eq!(status, 200);
    for who in ["alice@demo.flotilla.test", "bob@demo.flotilla.test", "carol@demo.flotilla.test"] {
        assert!(html.contains(who), "{who} listed on the Admin page");
    }
    // Admin's other tabs, each at its own address: the projects, and the audit line of the seed.
    let (status, html) = portal.get_as("/admin/projects", &alice).await;
    assert_eq!(status, 200);
    assert!(html.contains("team-a"), "projects are shown");
    let (status, html) = portal.get_as("/admin/audit", &alice).await;
    assert_eq!(status, 200);
    assert!(html.contains("demo.seeded"), "the seed's audit line is shown");
}

#[tokio::test]
async fn demo_mode_registers_the_simulated_fleet() {
    let portal = Portal::start("demo");
    let (_, _, alice) = portal.sign_in("/auth/demo", &[("login", "alice")]).await;
    let (status, html) = portal.get_as("/fleet", &alice).await;
    assert_eq!(status, 200);
    for cluster in ["tokyo-prod", "osaka-prod", "onprem-dev", "gpu-ml"] {
        assert!(html.contains(cluster), "{cluster} on the fleet map");
    }
    assert!(html.contains("4 clusters ·"), "{html}");
    assert!(!html.contains("No clusters yet"));
    // Bob (developer in team-a) sees the clusters where team-a runs, once they are listed.
    let (_, _, bob) = portal.sign_in("/auth/demo", &[("login", "bob")]).await;
    let start = std::time::Instant::now();
    let html = loop {
        let (_, html) = portal.get_as("/fleet", &bob).await;
        if html.contains("tokyo-prod") || start.elapsed() > std::time::Duration::from_secs(15) {
            break html;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(html.contains("tokyo-prod") && html.contains("onprem-dev"), "{html}");
    assert!(!html.contains("gpu-ml"), "team-a runs nothing on gpu-ml");
    let kubeconfig = std::fs::read_to_string(portal._dir.path().join("data/demo-fleet.kubeconfig")).unwrap();
    assert!(kubeconfig.contains("tokyo-prod") && kubeconfig.contains("certificate-authority-data"), "{kubeconfig}");
    let key = std::fs::read_to_string(portal._dir.path().join("data/secret.key")).unwrap();
    assert!(!html.contains(key.trim()), "the demo generated its secret key and keeps it to itself");
}

#[tokio::test]
async fn json_logs_are_one_object_per_line() {
    let (portal, line) = Portal::start_with("serve", &[("FLOTILLA_LOG_FORMAT", "json")]);
    let log: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
    assert_eq!(log["level"], "INFO", "{line}");
    assert!(log["message"].as_str().unwrap().contains(&portal.url), "{line}");
    assert_eq!(log["database"], "sqlite", "{line}");
    assert_eq!(portal.get("/healthz").await.0, 200);
}

#[tokio::test]
async fn sigterm_stops_the_server_cleanly() {
    let mut portal = Portal::start("serve");
    assert_eq!(portal.get("/healthz").await.0, 200);
    let status = portal.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
}

#[tokio::test]
async fn local_accounts_sign_in_with_a_password_and_guessing_is_rate_limited() {
    let portal = Portal::start("serve");
    let weak = portal.create_admin("root@example.test", "short");
    assert!(!weak.status.success(), "a weak password is refused");
    assert!(String::from_utf8_lossy(&weak.stderr).contains("at least 12 characters"));
    assert!(portal.create_admin("root@example.test", "a long enough password").status.success());

    let (status, location, cookie) = portal.sign_in("/auth/local", &[("email", "root@example.test"), ("password", "a long enough password"), ("next", "/admin")]).await;
    assert_eq!((status, location.as_str()), (303, "/admin"));
    assert!(cookie.starts_with("flotilla_session="), "{cookie}");
    let (status, html) = portal.get_as("/admin", &cookie).await;
    assert_eq!(status, 200);
    assert!(html.contains("root@example.test"), "the administrator is listed");
    let (status, html) = portal.get_as("/admin/audit", &cookie).await;
    assert_eq!(status, 200);
    assert!(html.contains("auth.sign-in"), "the sign-in is in the audit log");

    // Signing out ends the session on the server: the old cookie no longer works.
    let res = Portal::client().post(format!("{}/auth/logout", portal.url)).header("origin", &portal.url).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(portal.get_as("/api/v1/me", &cookie).await.0, 401);

    for _ in 0..3 {
        let (_, location, cookie) = portal.sign_in("/auth/local", &[("email", "root@example.test"), ("password", "guess")]).await;
        assert!(location.starts_with("/login?error=credentials"), "{location}");
        assert!(cookie.is_empty() || cookie == "flotilla_session=", "no session for a wrong password");
    }
    // Three failures: even the right password waits now (a slow-down of seconds, not a lock-out).
    let (_, location, _) = portal.sign_in("/auth/local", &[("email", "root@example.test"), ("password", "a long enough password")]).await;
    assert!(location.starts_with("/login?error=rate"), "{location}");
    // Demo accounts exist only in demo mode.
    let (status, _, cookie) = portal.sign_in("/auth/demo", &[("login", "alice")]).await;
    assert_eq!(status, 404);
    assert!(cookie.is_empty());
}

#[tokio::test]
async fn the_login_page_says_when_the_identity_provider_is_down() {
    // Nothing listens on port 9 of 127.0.0.1: discovery fails, the portal still starts.
    let (portal, _) = Portal::start_with("serve", &[("FLOTILLA_OIDC_ISSUER", "http://127.0.0.1:9"), ("FLOTILLA_OIDC_CLIENT_SECRET", "s3cret-value")]);
    let (status, html) = portal.get("/login").await;
    assert_eq!(status, 200);
    assert!(html.contains("Single sign-on is unavailable"), "{html}");
    assert!(!html.contains("s3cret-value"), "the client secret never reaches the browser");
    let (status, html) = portal.get("/auth/login").await;
    assert_eq!(status, 503, "{html}");
}
