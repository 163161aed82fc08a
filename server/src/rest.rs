//! The REST API under `/api/v1`: a thin JSON adapter over the same server functions the
//! pages use, so both take one path through the access guard. Callers use a session cookie
//! or a personal API token (`Authorization: Bearer flt_…`).
use app::api::{access, clusters as cluster_admin, costs, dashboards, directory, fleet, people, portal, tokens};
use app::error::AppError;
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use flotilla_domain::AuditQuery;
use leptos::prelude::{Owner, provide_context};
use leptos::reactive::computed::ScopedFuture;
use serde::{Deserialize, Serialize};
use std::future::Future;

mod cost_routes;
pub mod openapi;
mod project_routes;
mod schedule_routes;
mod workloads;

/// Every REST route: (method, path, handler). The router is built from this list and the
/// guard test walks it, so no route escapes the test.
pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    let mut all = vec![
        (Method::GET, "/api/v1/me", get(me)),
        (Method::GET, "/api/v1/clusters", get(clusters)),
        (Method::POST, "/api/v1/clusters", post(register_cluster)),
        (Method::GET, "/api/v1/clusters/{id}", get(cluster)),
        (Method::PATCH, "/api/v1/clusters/{id}", patch(update_cluster)),
        (Method::DELETE, "/api/v1/clusters/{id}", delete(remove_cluster)),
        (Method::GET, "/api/v1/clusters/{id}/nodes", get(cluster_nodes)),
        (Method::GET, "/api/v1/clusters/{id}/namespaces", get(cluster_namespaces)),
        (Method::GET, "/api/v1/clusters/{id}/pods", get(cluster_pods)),
        (Method::GET, "/api/v1/fleet", get(load_fleet_map)),
        (Method::GET, "/api/v1/projects", get(projects)),
        (Method::GET, "/api/v1/projects/{id}", get(project)),
        (Method::GET, "/api/v1/projects/{id}/members", get(members)),
        (Method::GET, "/api/v1/users", get(users)),
        (Method::PUT, "/api/v1/users/{id}/active", put(set_user_active)),
        (Method::GET, "/api/v1/identities", get(identities)),
        (Method::PUT, "/api/v1/identities/{id}/user", put(link_identity)),
        (Method::DELETE, "/api/v1/identities/{id}", delete(unlink_identity)),
        (Method::GET, "/api/v1/roles", get(roles)),
        (Method::GET, "/api/v1/group-mappings", get(group_mappings)),
        (Method::POST, "/api/v1/group-mappings", post(add_group_mapping)),
        (Method::DELETE, "/api/v1/group-mappings/{id}", delete(delete_group_mapping)),
        (Method::GET, "/api/v1/audit", get(audit)),
        (Method::GET, "/api/v1/prices", get(prices)),
        (Method::PUT, "/api/v1/prices", put(save_price)),
        (Method::DELETE, "/api/v1/prices", delete(remove_price)),
        (Method::POST, "/api/v1/prices/import", post(import_prices)),
        (Method::GET, "/api/v1/tokens", get(my_tokens)),
        (Method::POST, "/api/v1/tokens", post(create_token)),
        (Method::DELETE, "/api/v1/tokens/{id}", delete(revoke_token)),
        (Method::DELETE, "/api/v1/dashboards/defaults/{role}", delete(remove_dashboard_default)),
    ];
    all.extend(project_routes::routes());
    all.extend(workloads::routes());
    all.extend(cost_routes::routes());
    all.extend(schedule_routes::routes());
    all
}

/// The API's routes, and its description: the OpenAPI document (open to anyone, like any
/// published API description) and the reference page.
pub fn router(state: AppState) -> axum::Router {
    let mut router = axum::Router::new();
    for (_, path, handler) in routes() {
        router = router.route(path, handler);
    }
    router.route(openapi::PUBLIC[0], get(openapi::serve_document)).route(openapi::PUBLIC[1], get(openapi::serve_reference)).with_state(state)
}

/// Runs a server function with this request's state and caller in its context.
async fn call<T, Fut>(state: AppState, parts: Parts, f: impl FnOnce() -> Fut) -> Result<T, AppError>
where
    Fut: Future<Output = Result<T, AppError>>,
{
    let owner = Owner::new();
    let fut = owner.with(|| {
        provide_context(state);
        provide_context(parts);
        ScopedFuture::new(f())
    });
    fut.await
}

// Request bodies the server accepts: shown when a body cannot be read, and in the API reference.
const ACTIVE_EXAMPLE: &str = r#"{"active": false}"#;
const LINK_EXAMPLE: &str = r#"{"user_id": 7}"#;
const MAPPING_EXAMPLE: &str = r#"{"group": "team-a-devs", "role": "developer", "project": "team-a"}"#;
const PRICE_EXAMPLE: &str = r#"{"provider": "eks", "instance_type": "m5.xlarge", "currency": "USD", "price_per_hour": 0.192}"#;
const TOKEN_EXAMPLE: &str = r#"{"name": "CI", "days": 30}"#;
const PRICE_CSV_EXAMPLE: &str = r#"{"csv": "provider,instance_type,currency,price_per_hour\neks,m5.xlarge,USD,0.192"}"#;

#[derive(Serialize)]
struct Problem {
    error: String,
}

fn problem(e: AppError) -> Response {
    (e.status_code(), Json(Problem { error: e.to_string() })).into_response()
}

fn reply<T: Serialize>(r: Result<T, AppError>) -> Response {
    match r {
        Ok(v) => Json(v).into_response(),
        Err(e) => problem(e),
    }
}

fn done(r: Result<(), AppError>) -> Response {
    match r {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => problem(e),
    }
}

/// The request's parts and its JSON body; a body that is too large or not the expected
/// JSON is answered with a sentence showing `example`.
async fn json_body<T: serde::de::DeserializeOwned>(req: Request, example: &str) -> Result<(Parts, T), Response> {
    let (parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Err(problem(AppError::Validation("The request body is too large.".into())));
    };
    match serde_json::from_slice(&bytes) {
        Ok(value) => Ok((parts, value)),
        Err(_) => Err(problem(AppError::Validation(format!("Send JSON like {example}.")))),
    }
}

fn parts(req: Request) -> Parts {
    req.into_parts().0
}

async fn me(State(s): State<AppState>, req: Request) -> Response {
    let r = call(s, parts(req), portal::whoami).await;
    match r {
        Ok(Some(me)) => Json(me).into_response(),
        Ok(None) => problem(AppError::Unauthorized),
        Err(e) => problem(e),
    }
}

async fn clusters(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), fleet::list_clusters).await)
}

async fn cluster(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    reply(call(s, parts(req), || fleet::load_cluster(id)).await)
}

/// One kind of a cluster's inventory; a kind Flotilla may not list there is an error, never `[]`.
fn listed<T>(d: Result<flotilla_domain::inventory::ClusterDetail, AppError>, kind: &str, pick: impl FnOnce(flotilla_domain::inventory::ClusterDetail) -> T) -> Result<T, AppError> {
    let d = d?;
    match d.may_not_list(kind) {
        Some(words) => Err(AppError::ClusterForbids(words)),
        None => Ok(pick(d)),
    }
}

async fn cluster_nodes(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    reply(listed(call(s, parts(req), || fleet::load_cluster(id)).await, "nodes", |d| d.nodes))
}

async fn cluster_namespaces(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    reply(listed(call(s, parts(req), || fleet::load_cluster(id)).await, "namespaces", |d| d.namespaces))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct PodParams {
    namespace: Option<String>,
    node: Option<String>,
}

async fn cluster_pods(State(s): State<AppState>, Path(id): Path<i64>, Query(p): Query<PodParams>, req: Request) -> Response {
    reply(call(s, parts(req), || fleet::cluster_pods(id, p.node, p.namespace)).await)
}

async fn load_fleet_map(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), || fleet::load_fleet_map(None)).await.map(|m| m.map(|m| m.tiles).unwrap_or_default()))
}

const CLUSTER_EXAMPLE: &str = r#"{"metadata": {"name": "tokyo-prod", "display_name": "Tokyo", "provider": "eks", "region": "ap-northeast-1", "environment": "production", "labels": "team=a", "control_plane_price_per_hour": 0.1}, "connection": {"Kubeconfig": {"yaml": "…", "context": "tokyo-prod"}}}"#;

#[derive(Deserialize, schemars::JsonSchema)]
struct NewClusterBody {
    metadata: flotilla_domain::ClusterMetadata,
    connection: flotilla_domain::Connection,
}

async fn register_cluster(State(s): State<AppState>, req: Request) -> Response {
    let (parts, NewClusterBody { metadata, connection }) = match json_body(req, CLUSTER_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    match call(s, parts, || cluster_admin::register_cluster(metadata, connection)).await {
        Ok(created) => (StatusCode::CREATED, Json(created)).into_response(),
        Err(e) => problem(e),
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ClusterChange {
    metadata: flotilla_domain::ClusterMetadata,
    #[serde(default)]
    connection: Option<flotilla_domain::Connection>,
    #[serde(default)]
    enabled: Option<bool>,
}

async fn update_cluster(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, ClusterChange { metadata, connection, enabled }) = match json_body(req, CLUSTER_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let result = call(s, parts, || async move {
        let summary = cluster_admin::update_cluster(id, metadata, connection).await?;
        match enabled {
            Some(on) if on != summary.enabled => cluster_admin::set_cluster_enabled(id, on).await,
            _ => Ok(summary),
        }
    })
    .await;
    reply(result)
}

async fn remove_cluster(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    done(call(s, parts(req), || cluster_admin::remove_cluster(id)).await)
}

async fn projects(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), directory::list_projects).await)
}

async fn project(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    reply(call(s, parts(req), || directory::get_project(id)).await)
}

async fn members(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    reply(call(s, parts(req), || directory::project_members(id)).await)
}

async fn users(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), directory::list_users).await)
}

async fn roles(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), access::list_roles).await)
}

async fn group_mappings(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), access::list_group_mappings).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct NewMapping {
    group: String,
    role: String,
    #[serde(default)]
    project: Option<String>,
}

async fn add_group_mapping(State(s): State<AppState>, req: Request) -> Response {
    let (parts, NewMapping { group, role, project }) = match json_body(req, MAPPING_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    match call(s, parts, || access::add_group_mapping(group, role, project.unwrap_or_default())).await {
        Ok(()) => StatusCode::CREATED.into_response(),
        Err(e) => problem(e),
    }
}

async fn delete_group_mapping(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    done(call(s, parts(req), || access::delete_group_mapping(id)).await)
}

async fn identities(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), people::list_identities).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct LinkTo {
    user_id: i64,
}

async fn link_identity(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, LinkTo { user_id }) = match json_body(req, LINK_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    done(call(s, parts, || people::link_identity(id, user_id)).await)
}

async fn unlink_identity(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    done(call(s, parts(req), || people::unlink_identity(id)).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Active {
    active: bool,
}

async fn set_user_active(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, Active { active }) = match json_body(req, ACTIVE_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    done(call(s, parts, || people::set_user_active(id, active)).await)
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct AuditParams {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    outcome: String,
    #[serde(default)]
    limit: u64,
    /// The next page: entries older than this id (the last `id` of the previous page).
    before: Option<i64>,
    /// `csv` for a spreadsheet-ready download.
    format: Option<String>,
}

async fn audit(State(s): State<AppState>, Query(p): Query<AuditParams>, req: Request) -> Response {
    let query = AuditQuery { actor: p.actor, action: p.action, outcome: p.outcome, limit: p.limit, before: p.before };
    let lines = call(s, parts(req), || directory::audit_log(query)).await;
    match (lines, p.format.as_deref()) {
        (Ok(lines), Some("csv")) => {
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"flotilla-audit.csv\"")], flotilla_domain::identity::audit_csv(&lines))
                .into_response()
        }
        (result, _) => reply(result),
    }
}

async fn my_tokens(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), tokens::my_tokens).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct NewToken {
    name: String,
    days: u32,
}

async fn create_token(State(s): State<AppState>, req: Request) -> Response {
    let (parts, NewToken { name, days }) = match json_body(req, TOKEN_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    match call(s, parts, || tokens::create_token(name, days)).await {
        Ok(created) => (StatusCode::CREATED, Json(created)).into_response(),
        Err(e) => problem(e),
    }
}

async fn revoke_token(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    done(call(s, parts(req), || tokens::revoke_token(id)).await)
}

async fn remove_dashboard_default(State(s): State<AppState>, Path(role): Path<String>, req: Request) -> Response {
    reply(call(s, parts(req), || dashboards::remove_dashboard_default(role)).await)
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
struct PriceParams {
    /// `csv` for a spreadsheet-ready download.
    format: Option<String>,
}

async fn prices(State(s): State<AppState>, Query(p): Query<PriceParams>, req: Request) -> Response {
    let list = call(s, parts(req), costs::list_prices).await;
    match (list, p.format.as_deref()) {
        (Ok(list), Some("csv")) => {
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"flotilla-prices.csv\"")], flotilla_domain::prices_csv(&list)).into_response()
        }
        (result, _) => reply(result),
    }
}

async fn save_price(State(s): State<AppState>, req: Request) -> Response {
    let (parts, entry) = match json_body(req, PRICE_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    done(call(s, parts, || costs::save_price(entry)).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct PriceKey {
    provider: flotilla_domain::Provider,
    instance_type: String,
}

async fn remove_price(State(s): State<AppState>, Query(k): Query<PriceKey>, req: Request) -> Response {
    done(call(s, parts(req), || costs::remove_price(k.provider, k.instance_type)).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
struct PriceCsv {
    csv: String,
}

async fn import_prices(State(s): State<AppState>, req: Request) -> Response {
    let (parts, PriceCsv { csv }) = match json_body(req, PRICE_CSV_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    reply(call(s, parts, || costs::import_prices(csv)).await)
}
