//! Every server function and every REST route consults the access guard: the test walks
//! the registered server functions and the REST route table, calls each as nobody, as a
//! signed-in person with no roles and as a developer, and fails on any answer that did not
//! go through the guard — and on any registered route it has no call for.
use crate::support::TestPortal;

/// A valid call of each server function (url-encoded arguments, or JSON).
const SERVER_FN_CALLS: &[(&str, &str)] = &[
    ("list_clusters", ""),
    ("load_fleet_map", ""),
    ("load_cluster", "id=1"),
    ("cluster_pods", "id=1"),
    ("load_node", "id=1&node=n"),
    ("cluster_heatmap", "id=1&by=node&metric=cpu&hours=24"),
    ("kubeconfig_contexts", "yaml=x"),
    ("test_cluster_connection", r#"{"connection":{"Token":{"server":"https://127.0.0.1:9","ca_pem":"","token":"t"}}}"#),
    (
        "register_cluster",
        r#"{"metadata":{"name":"x","display_name":"","provider":"eks","region":"","environment":"","labels":"","control_plane_price_per_hour":0},"connection":{"Token":{"server":"https://127.0.0.1:9","ca_pem":"","token":"t"}}}"#,
    ),
    ("update_cluster", r#"{"id":999,"metadata":{"name":"x","display_name":"","provider":"eks","region":"","environment":"","labels":"","control_plane_price_per_hour":0},"connection":null}"#),
    ("set_cluster_enabled", "id=999&enabled=false"),
    ("remove_cluster", "id=999"),
    ("list_projects", ""),
    ("list_users", ""),
    ("get_project", "project_id=2"),
    ("project_members", "project_id=2"),
    ("delete_project", "project_id=3&remove_workloads=false"),
    ("create_project", r#"{"project":{"name":"team-z","display_name":"","owner_email":"","clusters":[],"max_priority":"normal"}}"#),
    ("change_project", r#"{"project_id":2,"change":{"display_name":"Renamed"}}"#),
    ("load_project", "project_id=2"),
    ("project_clusters", "project_id=2"),
    ("set_project_clusters", r#"{"project_id":2,"clusters":[]}"#),
    ("set_project_member", "project_id=2&email=dave%40x.test&role=viewer"),
    ("remove_project_member", "project_id=2&user_id=999"),
    ("load_cost_scope", ""),
    ("load_schedule", "workload_id=1"),
    ("save_schedule", r#"{"workload_id":1,"schedule":{"kind":"always"},"when_closed":"remove","priority":"normal","movable":false}"#),
    ("schedule_timeline", "days=7"),
    ("schedule_history", "limit=5"),
    ("load_cluster_thresholds", ""),
    ("save_cluster_thresholds", r#"{"cluster_id":999,"thresholds":null}"#),
    ("simulate_burst", "cluster_id=999"),
    ("load_dashboard", ""),
    ("save_dashboard", r#"{"dashboard":{"widgets":[]}}"#),
    ("reset_dashboard", ""),
    ("publish_dashboard", r#"{"role_key":"viewer","dashboard":{"widgets":[]}}"#),
    ("remove_dashboard_default", "role_key=viewer"),
    ("load_costs", r#"{"query":{"project":"team-a","from":"","to":"","step":"Day","group_by":"Cluster"}}"#),
    ("load_fleet_costs", "from=&to="),
    ("recompute_costs", "from=&to="),
    ("load_cost_weights", ""),
    ("save_cost_weights", r#"{"cluster_id":999,"weights":null}"#),
    ("save_budget", "project_id=2&monthly=100&currency=USD&webhook=&clear_webhook=false"),
    ("load_budget", "project_id=2"),
    ("remove_budget", "project_id=2"),
    ("load_notifications", ""),
    ("read_notifications", ""),
    ("cluster_costs_now", "id=1"),
    ("fleet_costs_now", ""),
    ("load_budget_status", ""),
    ("workload_costs_now", "id=1"),
    ("audit_log", "query[actor]=&query[action]=&query[outcome]=&query[limit]=5"),
    ("portal_info", ""),
    ("admin_gate", ""),
    ("sign_in_options", ""),
    ("whoami", ""),
    ("list_roles", ""),
    ("save_role", r#"{"key":"auditor","name":"Auditor","permissions":[{"kind":"AuditLog","verb":"Read","scope":"All"}]}"#),
    ("delete_role", "key=auditor"),
    ("list_group_mappings", ""),
    ("add_group_mapping", "group=g&role=viewer&project="),
    ("delete_group_mapping", "id=1"),
    ("my_tokens", ""),
    ("create_token", "name=t&days=1"),
    ("revoke_token", "id=999"),
    ("list_identities", ""),
    ("link_identity", "identity_id=1&user_id=1"),
    ("unlink_identity", "identity_id=1"),
    ("set_user_active", "user_id=1&active=false"),
    ("load_placement_inputs", "project=team-a"),
    ("preview_placement", FORM_CALL),
    ("register_workload", FORM_CALL),
    ("list_workloads", ""),
    ("load_workload", "id=1"),
    ("workload_log", "id=1&cluster_id=1&pod=x"),
    ("act_on_workload", r#"{"id":1,"action":{"action":"pause"}}"#),
    ("list_project_quotas", ""),
    ("list_prices", ""),
    ("save_price", r#"{"entry":{"provider":"eks","instance_type":"m5.xlarge","currency":"USD","price_per_hour":0.2}}"#),
    ("remove_price", "provider=eks&instance_type=none"),
    ("import_prices", r#"{"csv":"eks,m9.test,USD,0.5"}"#),
    ("save_project_quota", r#"{"project_id":2,"change":{"cpu":"8","memory":"16Gi","pods":40}}"#),
];

const FORM: &str = r#"{"project":"team-a","name":"guarded","image":"nginx:1.27","command":"","args":"","env":[],"ports":[],"replicas":"1","cpu_request":"100m","cpu_limit":"","memory_request":"64Mi","memory_limit":"","gpu":"","placement":"least_loaded"}"#;
const FORM_CALL: &str = r#"{"form":{"project":"team-a","name":"guarded","image":"nginx:1.27","command":"","args":"","env":[],"ports":[],"replicas":"1","cpu_request":"100m","cpu_limit":"","memory_request":"64Mi","memory_limit":"","gpu":"","placement":"least_loaded"}}"#;

const CLUSTER_BODY: &str = r#"{"metadata":{"name":"x","display_name":"","provider":"eks","region":"","environment":"","labels":"","control_plane_price_per_hour":0},"connection":{"Token":{"server":"https://127.0.0.1:9","ca_pem":"","token":"t"}}}"#;

/// Open to everyone on purpose: what the login page and the shell need before sign-in.
const PUBLIC: &[&str] = &["portal_info", "sign_in_options", "whoami"];

fn call_for(path: &str) -> Option<(&'static str, &'static str)> {
    let name = path.trim_start_matches("/api/");
    SERVER_FN_CALLS.iter().filter(|(n, _)| name.starts_with(n)).max_by_key(|(n, _)| n.len()).copied()
}

#[tokio::test]
async fn every_server_function_consults_the_guard() {
    let portal = TestPortal::start().await;
    let dave = portal.state.people.ensure_user("dave@x.test", "Dave", false).await.unwrap();
    let dave_cookie = format!("flotilla_session={}", portal.state.sessions.start(dave, "test", None).await.unwrap());
    let bob = portal.session("bob").await;
    let mut paths: Vec<_> = leptos::server_fn::axum::server_fn_paths().collect();
    paths.sort_by_key(|(p, _)| *p);
    assert!(paths.len() >= SERVER_FN_CALLS.len(), "server functions are registered: {paths:?}");
    for (path, method) in paths {
        let (name, args) = call_for(path).unwrap_or_else(|| panic!("{path} has no entry in SERVER_FN_CALLS: add one so the guard test covers it"));
        for (who, cookie) in [("nobody", None), ("a person without roles", Some(dave_cookie.as_str())), ("bob", Some(bob.as_str()))] {
            let content_type = if args.starts_with('{') { "application/json" } else { "application/x-www-form-urlencoded" };
            let answer = portal.send(method.clone(), path, cookie, content_type, args).await;
            assert!(answer.guard, "{name} answered {who} without consulting the guard: {} {}", answer.status, answer.body);
            if cookie.is_none() && !PUBLIC.contains(&name) {
                assert!(!(200..300).contains(&answer.status), "{name} served nobody: {}", answer.body);
            }
        }
    }
}

/// A body each REST route accepts (so the answer says what the guard decided, not the parser).
fn valid_body(method: &axum::http::Method, template: &str) -> &'static str {
    match (method.as_str(), template) {
        ("PATCH", "/api/v1/clusters/{id}") => CLUSTER_BODY,
        ("POST", "/api/v1/clusters") => CLUSTER_BODY,
        ("POST", "/api/v1/projects/{p}/workloads" | "/api/v1/placement/preview") => FORM,
        ("POST", "/api/v1/projects/{p}/workloads/{w}") => "{}",
        ("PUT", "/api/v1/projects/{p}/quota") => r#"{"cpu":"8","memory":"16Gi","pods":40}"#,
        ("PUT", "/api/v1/prices") => r#"{"provider":"eks","instance_type":"m5.xlarge","currency":"USD","price_per_hour":0.2}"#,
        ("POST", "/api/v1/prices/import") => r#"{"csv":"eks,m9.test,USD,0.5"}"#,
        ("POST", "/api/v1/costs/recompute") => r#"{"from":"","to":""}"#,
        ("PUT", "/api/v1/projects/{p}/budget") => r#"{"monthly":100}"#,
        ("PUT", "/api/v1/clusters/{id}/cost-weights") => "null",
        ("PUT", "/api/v1/clusters/{id}/thresholds") => r#"{"deploy_below":0.6,"evict_above":0.85,"burst_minutes":5,"rebalance_minutes":10}"#,
        ("PUT", "/api/v1/projects/{p}/workloads/{w}/schedule") => r#"{"schedule":{"kind":"always"}}"#,
        ("PATCH", _) => r#"{"display_name":"Renamed"}"#,
        ("POST", "/api/v1/tokens") => r#"{"name":"t","days":1}"#,
        ("POST", "/api/v1/projects") => r#"{"name":"team-z"}"#,
        ("PUT", "/api/v1/projects/{id}/clusters") => r#"{"clusters":[]}"#,
        ("PUT", "/api/v1/projects/{id}/members") => r#"{"email":"dave@x.test","role":"viewer"}"#,
        ("POST", "/api/v1/group-mappings") => r#"{"group":"g","role":"viewer"}"#,
        ("PUT", "/api/v1/users/{id}/active") => r#"{"active":false}"#,
        ("PUT", "/api/v1/identities/{id}/user") => r#"{"user_id":1}"#,
        _ => "",
    }
}

#[tokio::test]
async fn every_rest_route_consults_the_guard_and_refuses_strangers() {
    let portal = TestPortal::start().await;
    let bob = portal.session("bob").await;
    for (method, template, _) in flotilla_server::rest::routes() {
        let path = template.replace("{id}", "2").replace("{p}", "2").replace("{user}", "999").replace("{role}", "viewer");
        let path = if method == axum::http::Method::POST { path.replace("{w}", "1:pause") } else { path.replace("{w}", "1") };
        let path = if method == axum::http::Method::DELETE && template == "/api/v1/prices" { format!("{path}?provider=eks&instance_type=x") } else { path };
        let body = valid_body(&method, template);
        let anonymous = portal.send(method.clone(), &path, None, "application/json", body).await;
        assert!(anonymous.guard, "{method} {template} answered nobody without the guard");
        assert_eq!(anonymous.status, 401, "{method} {template} must ask nobody to sign in: {}", anonymous.body);
        let as_bob = portal.send(method.clone(), &path, Some(&bob), "application/json", body).await;
        assert!(as_bob.guard, "{method} {template} answered bob without the guard");
    }
}

#[tokio::test]
async fn signed_out_browsers_are_sent_to_the_login_page() {
    let portal = TestPortal::start().await;
    let req = axum::http::Request::builder().uri("/costs?range=7d").header("accept", "text/html").body(axum::body::Body::empty()).unwrap();
    let res = portal.raw(req).await;
    assert_eq!(res.status, 303);
    assert_eq!(res.location.as_deref(), Some("/login?next=%2Fcosts%3Frange%3D7d"));
}

/// Tables a developer of another project must never change (their own sessions, tokens,
/// dashboard, notifications and the audit trail of their attempts are theirs to change).
const TENANT_TABLES: &[&str] = &[
    "projects",
    "project_members",
    "project_clusters",
    "project_quotas",
    "workloads",
    "workload_deployments",
    "workload_schedules",
    "budgets",
    "group_mappings",
    "roles",
    "user_roles",
    "users",
    "clusters",
    "prices",
    "node_prices",
    "cost_weights",
    "cluster_thresholds",
    "user_identities",
    "api_tokens",
];

/// Write routes whose object is the caller's own (a token they create, their notifications).
const OWN: &[&str] = &["/api/v1/tokens", "/api/v1/tokens/{id}", "/api/v1/notifications/read"];

/// team-a's workload `name` (registered by bob, not deployed): what a developer of another
/// project aims at. Returns the ids of team-a, bob and the workload.
async fn team_a_workload(portal: &TestPortal, name: &str) -> (i64, i64, i64) {
    use flotilla_domain::workload::{WorkloadForm, validate};
    let team_a = portal.project_id("team-a").await;
    let bob = portal.user_id("bob").await;
    let form =
        WorkloadForm { project: "team-a".into(), name: name.into(), image: "nginx:1.27".into(), replicas: "1".into(), cpu_request: "100m".into(), memory_request: "64Mi".into(), ..Default::default() };
    let spec = validate(&form).unwrap();
    (team_a, bob, portal.state.workloads.insert(team_a, bob, "bob@demo.flotilla.test", &spec, &[]).await.unwrap())
}

async fn snapshot(portal: &TestPortal) -> Vec<(String, Vec<serde_json::Value>)> {
    use sea_orm::{FromQueryResult, JsonValue, Statement};
    let conn = portal.state.db.conn();
    let mut out = Vec::new();
    for table in TENANT_TABLES {
        let sql = format!("SELECT * FROM {table}");
        let mut rows = JsonValue::find_by_statement(Statement::from_string(conn.get_database_backend(), sql)).all(conn).await.unwrap();
        rows.sort_by_key(|r| r.to_string());
        out.push(((*table).to_owned(), rows));
    }
    out
}

#[tokio::test]
async fn every_write_route_refuses_a_developer_of_another_project_and_changes_nothing() {
    let portal = TestPortal::start().await;
    let (alice, carol) = (portal.session("alice").await, portal.session("carol").await);
    let (team_a, bob, w) = team_a_workload(&portal, "api").await;
    let budget = portal.send(axum::http::Method::PUT, &format!("/api/v1/projects/{team_a}/budget"), Some(&alice), "application/json", r#"{"monthly":500}"#).await;
    assert!((200..300).contains(&budget.status), "{}", budget.body);
    let before = snapshot(&portal).await;
    for table in ["projects", "project_members", "workloads", "budgets", "users"] {
        assert!(before.iter().any(|(t, rows)| t == table && !rows.is_empty()), "the snapshot holds {table}");
    }
    let mut walked = 0;
    for (method, template, _) in flotilla_server::rest::routes() {
        if method == axum::http::Method::GET || OWN.contains(&template) {
            continue;
        }
        // Every id in the path names a team-a object (or, for clusters and mappings, the first one).
        let path = template.replace("{p}", &team_a.to_string()).replace("{user}", &bob.to_string()).replace("{role}", "owner");
        let path = if template.starts_with("/api/v1/projects/{id}") { path.replace("{id}", &team_a.to_string()) } else { path.replace("{id}", "1") };
        let path = if method == axum::http::Method::POST { path.replace("{w}", &format!("{w}:pause")) } else { path.replace("{w}", &w.to_string()) };
        let path = if template == "/api/v1/prices" { format!("{path}?provider=eks&instance_type=m5.xlarge") } else { path };
        let body = valid_body(&method, template);
        let answer = portal.send(method.clone(), &path, Some(&carol), "application/json", body).await;
        walked += 1;
        // The preview writes nothing and answers for projects carol may use; for team-a it is "not found".
        assert!(
            matches!(answer.status, 403 | 404) || (template == "/api/v1/placement/preview" && answer.status == 404),
            "carol's {method} {path} was not refused as not found / not permitted: {} {}",
            answer.status,
            answer.body
        );
        let said = answer.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(said.contains("does not exist") || said.contains("not found") || said.contains("permission"), "{method} {path}: {said}");
        assert!(!said.contains("team-a"), "{method} {path} names team-a to carol: {said}");
    }
    assert!(walked >= 25, "the walk covered the write routes ({walked})");
    assert_eq!(snapshot(&portal).await, before, "carol's attempts changed nothing");
}

/// Server functions that change only the caller's own things (their dashboard, notifications
/// and tokens).
const OWN_FNS: &[&str] = &["save_dashboard", "reset_dashboard", "read_notifications", "create_token", "revoke_token"];

fn is_write(name: &str) -> bool {
    const VERBS: &[&str] = &[
        "save_",
        "set_",
        "remove_",
        "delete_",
        "create_",
        "change_",
        "register_",
        "update_",
        "act_",
        "link_",
        "unlink_",
        "add_",
        "publish_",
        "import_",
        "recompute_",
        "simulate_",
        "test_",
        "revoke_",
        "read_",
        "reset_",
    ];
    VERBS.iter().any(|v| name.starts_with(v))
}

/// The table's call with every project id replaced by team-a's and every workload id by `w`.
fn aimed_at_team_a(name: &str, args: &str, team_a: i64, w: i64) -> String {
    let mut args = args.replace("project_id=2", &format!("project_id={team_a}")).replace("project_id=3", &format!("project_id={team_a}"));
    args = args.replace("\"project_id\":2", &format!("\"project_id\":{team_a}"));
    if name.contains("workload") || name.contains("schedule") {
        args = args.replace("workload_id=1", &format!("workload_id={w}")).replace("\"workload_id\":1", &format!("\"workload_id\":{w}"));
        if !args.contains("workload_id") {
            args = args.replacen("id=1", &format!("id={w}"), 1).replacen("\"id\":1", &format!("\"id\":{w}"), 1);
        }
    }
    args
}

/// carol (owner of team-b) calls every server function on team-a's objects: each write that is
/// not her own is refused by kind (not found, or not permitted), no answer names team-a or its
/// workload, and the tenant tables are unchanged afterwards.
#[tokio::test]
async fn every_server_function_refuses_a_developer_of_another_project_and_changes_nothing() {
    let portal = TestPortal::start().await;
    let carol = portal.session("carol").await;
    let (team_a, _, w) = team_a_workload(&portal, "secret-ledger").await;
    let before = snapshot(&portal).await;
    let mut refused = 0;
    for (name, args) in SERVER_FN_CALLS {
        let args = aimed_at_team_a(name, args, team_a, w);
        let answer = portal.server_fn(name, &carol, &args).await;
        // The login page's options are public (in the demo they describe the demo accounts).
        assert!(PUBLIC.contains(name) || !answer.body.contains("team-a") && !answer.body.contains("secret-ledger"), "{name}({args}) shows carol team-a's objects: {}", answer.body);
        if is_write(name) && !OWN_FNS.contains(name) {
            assert!(!(200..300).contains(&answer.status), "{name}({args}) let carol write: {}", answer.body);
            let kind = answer.body.split('"').nth(1).unwrap_or_default();
            assert!(matches!(kind, "NotFound" | "Forbidden"), "{name}({args}) refused carol as {kind}, not as not found / not permitted: {}", answer.body);
            // The status says what the body says (not the framework's 500 for every error).
            assert_eq!(answer.status, if kind == "NotFound" { 404 } else { 403 }, "{name}({args}) answered {kind} with {}", answer.status);
            refused += 1;
        }
    }
    assert!(refused >= 30, "the walk covered the writes ({refused})");
    let carol_id = portal.user_id("carol").await;
    for ((table, was), (_, mut is)) in before.iter().zip(snapshot(&portal).await) {
        if table == "api_tokens" {
            is.retain(|t| t["user_id"] != carol_id); // create_token made one of her own
        }
        assert_eq!(*was, is, "carol's attempts changed {table}");
    }
}

/// carol (team-b) reads every REST route with team-a's ids in the path: what names a team-a
/// object answers 403/404, and no answer (lists included) shows team-a or its workload.
#[tokio::test]
async fn every_read_route_shows_a_developer_of_another_project_nothing_of_it() {
    let portal = TestPortal::start().await;
    let carol = portal.session("carol").await;
    let (team_a, bob, w) = team_a_workload(&portal, "ledger-secret").await;
    let mut walked = 0;
    for (method, template, _) in flotilla_server::rest::routes() {
        if method != axum::http::Method::GET {
            continue;
        }
        let names_team_a = template.contains("{p}") || template.starts_with("/api/v1/projects/{id}");
        let path = template.replace("{p}", &team_a.to_string()).replace("{w}", &w.to_string()).replace("{user}", &bob.to_string());
        let path = if template.starts_with("/api/v1/projects/{id}") { path.replace("{id}", &team_a.to_string()) } else { path.replace("{id}", "1") };
        let answer = portal.get(&path, Some(&carol)).await;
        walked += 1;
        assert!(!answer.body.contains("team-a") && !answer.body.contains("ledger-secret"), "GET {path} shows carol team-a's objects: {}", answer.body);
        if names_team_a {
            assert!(matches!(answer.status, 403 | 404), "GET {path} answered carol {}: {}", answer.status, answer.body);
        }
    }
    assert!(walked >= 20, "the walk covered the read routes ({walked})");
}
