//! The dashboard is rendered on the server with every widget's content, through the same
//! server functions and guard as in the browser: a page that reads without JavaScript.
use crate::support::TestPortal;
use serde_json::json;

async fn save(portal: &TestPortal, cookie: &str, kinds: &[&str]) {
    let widgets: Vec<_> = kinds.iter().enumerate().map(|(i, k)| json!({"id": i + 1, "kind": k, "x": 0, "y": i * 2, "w": 6, "h": 2})).collect();
    let saved = portal.server_fn("save_dashboard", cookie, &json!({"dashboard": {"widgets": widgets}}).to_string()).await;
    assert_eq!(saved.status, 200, "{}", saved.body);
}

async fn page(portal: &TestPortal, cookie: &str) -> (u16, String) {
    page_at(portal, "/", cookie).await
}

/// The page at `path` as a browser asks for it.
async fn page_at(portal: &TestPortal, path: &str, cookie: &str) -> (u16, String) {
    let req = axum::http::Request::builder().uri(path).header("accept", "text/html").header("cookie", cookie).body(axum::body::Body::empty()).unwrap();
    let res = portal.raw(req).await;
    (res.status, String::from_utf8(res.bytes.to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_arrives_with_its_widgets_content_and_a_refused_widget_says_so_inside() {
    let portal = TestPortal::start().await;
    let (alice, bob) = (portal.session("alice").await, portal.session("bob").await);
    save(&portal, &alice, &["budget_status", "cluster_health"]).await;
    save(&portal, &bob, &["audit_events", "budget_status"]).await;

    let (status, html) = page(&portal, &alice).await;
    assert_eq!(status, 200);
    assert!(!html.contains(r#"class="loading""#), "nothing is left to load in the browser: {html}");
    assert!(html.contains(r#"data-widget="BudgetStatus""#) && html.contains(r#"data-widget="ClusterHealth""#), "{html}");
    assert!(html.contains(r#"data-project="team-a""#) && html.contains("no budget set"), "the budget widget lists alice's projects: {html}");
    assert!(html.contains("No clusters yet."), "the health widget says what it has: {html}");

    // bob may not read the audit log: that widget says so, the rest of his page is there, and
    // the page is not a refusal.
    let (status, html) = page(&portal, &bob).await;
    assert_eq!(status, 200, "one refused widget does not make the page a refusal");
    assert!(html.contains(r#"data-widget="AuditEvents""#) && html.contains("notice--error"), "{html}");
    assert!(html.contains(r#"data-project="team-a""#), "bob's budget widget shows his project: {html}");
    assert!(!html.contains(r#"data-project="team-b""#), "and not another project: {html}");
}

/// Until someone arranges their own, each person lands on what their role needs: the fleet's
/// health for an administrator, cost and budget for a project owner, their workloads for a
/// developer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_lands_on_its_own_default() {
    let portal = TestPortal::start().await;
    let widgets = |html: &str| html.match_indices(r#"data-widget=""#).map(|(i, m)| html[i + m.len()..].split('"').next().unwrap().to_owned()).collect::<Vec<_>>();
    let (_, alice) = page(&portal, &portal.session("alice").await).await;
    assert_eq!(widgets(&alice), ["ClusterHealth", "ClusterUtilisation", "WorldMap"]);
    let (_, carol) = page(&portal, &portal.session("carol").await).await;
    assert_eq!(widgets(&carol), ["CostOverTime", "BudgetStatus", "MyWorkloads", "TopWorkloads"]);
    assert!(carol.contains(r#"data-project="team-b""#), "carol's budget widget shows her project: {carol}");
    let (_, bob) = page(&portal, &portal.session("bob").await).await;
    assert_eq!(widgets(&bob), ["MyWorkloads", "ClusterHealth", "LowPriorityQueue"]);
    assert!(bob.contains("No workloads yet."), "{bob}");
    assert!(bob.contains("Showing the built-in default"), "{bob}");
}

/// The fleet widgets share one load: the fleet map is written into the page once, however many
/// of them the layout has (issue 21).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_fleet_widgets_carry_one_fleet_map() {
    let portal = TestPortal::start().await;
    let alice = portal.session("alice").await;
    save(&portal, &alice, &["cluster_health", "cluster_utilisation", "world_map"]).await;
    let (status, html) = page(&portal, &alice).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("data-widget=").count(), 3, "{html}");
    assert_eq!(html.matches(r#"\"generation\":"#).count(), 1, "one fleet map in the page: {html}");
}

/// A signed-in page view leaves nothing running: before, the notification bell's resource left
/// three tasks (and their memory) behind every page, the workload page one more (issue 21).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_views_leave_no_task_behind() {
    let portal = TestPortal::start().await;
    let alice = portal.session("alice").await;
    let before = alive_tasks(&portal).await;
    for path in ["/", "/fleet", "/costs", "/workloads", "/workloads/1", "/account", "/no-such-page"] {
        for _ in 0..20 {
            page_at(&portal, path, &alice).await;
        }
    }
    // Tasks that end after the answer (the response stream's) get a moment to finish.
    let mut after = alive_tasks(&portal).await;
    for _ in 0..50 {
        if after - before < 10 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        after = alive_tasks(&portal).await;
    }
    assert!(after - before < 10, "140 page views left {} tasks running", after - before);
}

/// The runtime's live tasks, as `/metrics` tells.
async fn alive_tasks(portal: &TestPortal) -> i64 {
    let metrics = portal.get("/metrics", None).await;
    assert_eq!(metrics.status, 200);
    metrics.body.lines().find_map(|l| l.strip_prefix("flotilla_runtime_alive_tasks ")).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no task count in {}", metrics.body))
}
