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
                    let url: String = line[idx + "listening on ".len()..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || ":/.".contains(*c))
                        .collect();
                    let _ = tx.send((url, line.clone()));
                }
            }
        });
        let (url, line) = rx.recv_timeout(Duration::from_secs(30)).expect("flotilla logs its address within 30 s");
        (Self { child, url, _dir: dir }, line)
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let res = reqwest::get(format!("{}{path}", self.url)).await.unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
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
    let (status, html) = portal.get("/").await;
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
    let (status, html) = portal.get("/admin").await;
    assert_eq!(status, 200);
    for who in ["alice@demo.flotilla.test", "bob@demo.flotilla.test", "carol@demo.flotilla.test"] {
        assert!(html.contains(who), "{who} listed on the Admin page");
    }
    assert!(html.contains("team-a") && html.contains("demo.seeded"), "projects and the audit line are shown");
}

#[tokio::test]
async fn demo_mode_registers_the_simulated_fleet() {
    let portal = Portal::start("demo");
    let (status, html) = portal.get("/").await;
    assert_eq!(status, 200);
    for cluster in ["tokyo-prod", "osaka-prod", "onprem-dev", "gpu-ml"] {
        assert!(html.contains(cluster), "{cluster} listed on the Fleet page");
    }
    assert!(html.contains("4 clusters registered"), "{html}");
    assert!(!html.contains("No clusters yet"));
    let kubeconfig = std::fs::read_to_string(portal._dir.path().join("data/demo-fleet.kubeconfig")).unwrap();
    assert!(kubeconfig.contains("tokyo-prod") && kubeconfig.contains("certificate-authority-data"), "{kubeconfig}");
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
