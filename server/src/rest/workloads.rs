//! REST routes for workloads under `/api/v1/projects/{p}/workloads` (`p` = project id), the
//! `{id}:scale`, `{id}:rollback`, `{id}:move`, `{id}:pause`, `{id}:resume` actions, and
//! `POST /api/v1/placement/preview` — the same server functions and guard as the pages.
use super::{call, done, json_body, parts, problem, reply};
use app::api::directory;
use app::api::workloads::{self as wl, WorkloadAction};
use app::error::AppError;
use app::state::AppState;
use axum::Json;
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use flotilla_domain::workload::WorkloadForm;
use flotilla_domain::{RegisterOutcome, WorkloadSummary};
use serde::Deserialize;

pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/api/v1/projects/{p}/workloads", get(list)),
        (Method::POST, "/api/v1/projects/{p}/workloads", post(create)),
        (Method::GET, "/api/v1/projects/{p}/workloads/{w}", get(show)),
        (Method::PATCH, "/api/v1/projects/{p}/workloads/{w}", patch(change)),
        (Method::DELETE, "/api/v1/projects/{p}/workloads/{w}", delete(remove)),
        (Method::POST, "/api/v1/projects/{p}/workloads/{w}", post(action)),
        (Method::POST, "/api/v1/placement/preview", post(preview)),
        (Method::GET, "/api/v1/projects/{p}/quota", get(quota)),
        (Method::PUT, "/api/v1/projects/{p}/quota", put(set_quota)),
    ]
}

pub(super) const CHANGE_EXAMPLE: &str = r#"{"image": "nginx:1.28", "replicas": 3, "paused": false}"#;
pub(super) const SCALE_EXAMPLE: &str = r#"{"replicas": 3}"#;
const ACTION_EXAMPLES: &str = r#"{"replicas": 3} (scale), {"from": 1, "to": 2} (move) or {}"#;
pub(super) const QUOTA_EXAMPLE: &str = r#"{"cpu": "16", "memory": "64Gi", "pods": 100, "gpus": 0}"#;
pub(super) const FORM_EXAMPLE: &str = r#"{"name": "web", "image": "nginx:1.27", "command": "", "args": "", "env": [], "ports": [{"port": 80, "protocol": "TCP", "expose": true}], "replicas": "2", "cpu_request": "250m", "cpu_limit": "", "memory_request": "256Mi", "memory_limit": "", "gpu": "", "placement": "least_loaded"}"#;

/// A workload of project `p`: the workload must belong to it (else "not found").
async fn in_project(p: i64, id: i64) -> Result<WorkloadSummary, AppError> {
    let w = wl::workload_summary(id).await?;
    if w.project_id != p {
        return Err(AppError::NotFound("This workload".into()));
    }
    Ok(w)
}

async fn list(State(s): State<AppState>, Path(p): Path<i64>, req: Request) -> Response {
    reply(
        call(s, parts(req), || async move {
            directory::get_project(p).await?;
            wl::list_workloads(Some(p)).await
        })
        .await,
    )
}

/// A registration: the form's fields, and optionally a `schedule` (as `PUT …/schedule` takes it).
#[derive(Deserialize, schemars::JsonSchema)]
pub(super) struct CreateBody {
    #[serde(flatten)]
    form: WorkloadForm,
    #[serde(default)]
    schedule: Option<flotilla_domain::schedule::ScheduleSpec>,
}

async fn create(State(s): State<AppState>, Path(p): Path<i64>, req: Request) -> Response {
    let (parts, CreateBody { mut form, schedule }): (_, CreateBody) = match json_body(req, FORM_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let outcome = call(s, parts, || async move {
        form.project = directory::get_project(p).await?.name;
        wl::register_workload(form, schedule).await
    })
    .await;
    match outcome {
        Ok(created @ RegisterOutcome::Created { .. }) => (StatusCode::CREATED, Json(created)).into_response(),
        Ok(refused) => (StatusCode::UNPROCESSABLE_ENTITY, Json(refused)).into_response(),
        Err(e) => problem(e),
    }
}

async fn show(State(s): State<AppState>, Path((p, w)): Path<(i64, i64)>, req: Request) -> Response {
    reply(
        call(s, parts(req), || async move {
            let detail = wl::load_workload(w).await?;
            if detail.summary.project_id != p {
                return Err(AppError::NotFound("This workload".into()));
            }
            Ok(detail)
        })
        .await,
    )
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
pub(super) struct Change {
    image: Option<String>,
    replicas: Option<u32>,
    paused: Option<bool>,
}

async fn change(State(s): State<AppState>, Path((p, w)): Path<(i64, i64)>, req: Request) -> Response {
    let (parts, c): (_, Change) = match json_body(req, CHANGE_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    reply(
        call(s, parts, || async move {
            let mut now = in_project(p, w).await?;
            if let Some(image) = c.image {
                now = wl::act_on_workload(w, WorkloadAction::SetImage { image }).await?.unwrap_or(now);
            }
            if let Some(replicas) = c.replicas {
                now = wl::act_on_workload(w, WorkloadAction::Scale { replicas }).await?.unwrap_or(now);
            }
            if let Some(paused) = c.paused {
                let a = if paused { WorkloadAction::Pause } else { WorkloadAction::Resume };
                now = wl::act_on_workload(w, a).await?.unwrap_or(now);
            }
            Ok(now)
        })
        .await,
    )
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
pub(super) struct RemoveParams {
    cluster: Option<i64>,
}

async fn remove(State(s): State<AppState>, Path((p, w)): Path<(i64, i64)>, Query(q): Query<RemoveParams>, req: Request) -> Response {
    done(
        call(s, parts(req), || async move {
            in_project(p, w).await?;
            wl::act_on_workload(w, WorkloadAction::Delete { cluster: q.cluster }).await.map(|_| ())
        })
        .await,
    )
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
pub(super) struct ActionBody {
    replicas: Option<u32>,
    from: Option<i64>,
    to: Option<i64>,
}

/// `POST …/workloads/{id}:{action}`.
async fn action(State(s): State<AppState>, Path((p, w)): Path<(i64, String)>, req: Request) -> Response {
    let Some((id, verb)) = w.split_once(':').and_then(|(id, verb)| id.parse::<i64>().ok().map(|id| (id, verb.to_owned()))) else {
        return problem(AppError::NotFound("This action".into()));
    };
    let (parts, body): (_, ActionBody) = match json_body(req, ACTION_EXAMPLES).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let action = match (verb.as_str(), body) {
        ("scale", ActionBody { replicas: Some(replicas), .. }) => WorkloadAction::Scale { replicas },
        ("rollback", _) => WorkloadAction::RollBack,
        ("pause", _) => WorkloadAction::Pause,
        ("resume", _) => WorkloadAction::Resume,
        ("move", ActionBody { from: Some(from), to: Some(to), .. }) => WorkloadAction::Move { from, to },
        ("scale" | "move", _) => return problem(AppError::Validation("Send JSON like {\"replicas\": 3} (scale) or {\"from\": 1, \"to\": 2} (move).".into())),
        _ => return problem(AppError::NotFound("This action".into())),
    };
    reply(
        call(s, parts, || async move {
            in_project(p, id).await?;
            wl::act_on_workload(id, action).await
        })
        .await,
    )
}

async fn preview(State(s): State<AppState>, req: Request) -> Response {
    let (parts, form): (_, WorkloadForm) = match json_body(req, FORM_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    reply(call(s, parts, || wl::preview_placement(form)).await)
}

async fn quota(State(s): State<AppState>, Path(p): Path<i64>, req: Request) -> Response {
    reply(
        call(s, parts(req), || async move {
            directory::get_project(p).await?;
            wl::list_project_quotas().await?.into_iter().find(|q| q.project_id == p).ok_or_else(|| AppError::NotFound("This project".into()))
        })
        .await,
    )
}

async fn set_quota(State(s): State<AppState>, Path(p): Path<i64>, req: Request) -> Response {
    let (parts, q): (_, flotilla_domain::QuotaChange) = match json_body(req, QUOTA_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    reply(call(s, parts, || wl::save_project_quota(p, q)).await)
}
