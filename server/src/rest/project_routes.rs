//! REST routes for projects: `POST /api/v1/projects` (administrators), `PATCH`/`DELETE` of one,
//! the clusters opened to it and its members — the same server functions as the Admin pages.
use super::{call, done, json_body, parts, problem, reply};
use app::api::projects as pr;
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use flotilla_domain::{NewProject, ProjectChange};
use serde::Deserialize;

pub(super) const CREATE_EXAMPLE: &str = r#"{"name": "team-d", "display_name": "Team D", "owner_email": "dana@example.com", "clusters": [1, 2], "max_priority": "normal"}"#;
pub(super) const CHANGE_EXAMPLE: &str = r#"{"display_name": "Team A", "max_priority": "high", "archived": false}"#;
pub(super) const CLUSTERS_EXAMPLE: &str = r#"{"clusters": [1, 2]}"#;
pub(super) const MEMBER_EXAMPLE: &str = r#"{"email": "dana@example.com", "role": "developer"}"#;

pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::POST, "/api/v1/projects", post(create)),
        (Method::PATCH, "/api/v1/projects/{id}", patch(change)),
        (Method::DELETE, "/api/v1/projects/{id}", delete(remove)),
        (Method::GET, "/api/v1/projects/{id}/detail", get(detail)),
        (Method::GET, "/api/v1/projects/{id}/clusters", get(clusters)),
        (Method::PUT, "/api/v1/projects/{id}/clusters", put(set_clusters)),
        (Method::PUT, "/api/v1/projects/{id}/members", put(set_member)),
        (Method::DELETE, "/api/v1/projects/{id}/members/{user}", delete(remove_member)),
    ]
}

async fn create(State(s): State<AppState>, req: Request) -> Response {
    let (parts, new): (_, NewProject) = match json_body(req, CREATE_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    match call(s, parts, || pr::create_project(new)).await {
        Ok(p) => (StatusCode::CREATED, Json(p)).into_response(),
        Err(e) => problem(e),
    }
}

async fn change(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, change): (_, ProjectChange) = match json_body(req, CHANGE_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    reply(call(s, parts, || pr::change_project(id, change)).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub(super) struct DeleteQuery {
    /// `remove`: remove its workloads from every cluster first (the project is archived meanwhile).
    #[serde(default)]
    workloads: Option<String>,
}

async fn remove(State(s): State<AppState>, Path(id): Path<i64>, Query(q): Query<DeleteQuery>, req: Request) -> Response {
    let with_workloads = q.workloads.as_deref() == Some("remove");
    match call(s, parts(req), || pr::delete_project(id, with_workloads)).await {
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Ok(Some(sentence)) => (StatusCode::ACCEPTED, Json(serde_json::json!({ "status": sentence }))).into_response(),
        Err(e) => problem(e),
    }
}

async fn detail(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    reply(call(s, parts(req), || pr::load_project(id)).await)
}

async fn clusters(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    reply(call(s, parts(req), || pr::project_clusters(id)).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub(super) struct Clusters {
    clusters: Vec<i64>,
}

async fn set_clusters(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, Clusters { clusters }) = match json_body(req, CLUSTERS_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    reply(call(s, parts, || pr::set_project_clusters(id, clusters)).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub(super) struct Member {
    email: String,
    role: String,
}

async fn set_member(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, Member { email, role }) = match json_body(req, MEMBER_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    done(call(s, parts, || pr::set_project_member(id, email, role)).await)
}

async fn remove_member(State(s): State<AppState>, Path((id, user)): Path<(i64, i64)>, req: Request) -> Response {
    done(call(s, parts(req), || pr::remove_project_member(id, user)).await)
}
