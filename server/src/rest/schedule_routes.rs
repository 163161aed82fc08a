//! REST routes for scheduling: a workload's schedule under
//! `/api/v1/projects/{p}/workloads/{w}/schedule`, `GET /api/v1/schedules/timeline`,
//! `GET /api/v1/queue`, `GET /api/v1/schedules/history`, and each cluster's thresholds
//! (`GET /api/v1/schedules/thresholds`, `PUT|DELETE /api/v1/clusters/{id}/thresholds`) — the
//! same server functions and guard as the pages.
use super::{call, json_body, parts, problem, reply};
use app::api::schedules;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, put};
use flotilla_domain::schedule::{ScheduleSpec, Thresholds};
use serde::Deserialize;

pub(super) const SCHEDULE_EXAMPLE: &str =
    r#"{"schedule": {"kind": "recurring", "days": 31, "start": "01:00", "end": "05:00", "tz": "Asia/Tokyo"}, "when_closed": "remove", "priority": "low", "movable": true}"#;
pub(super) const THRESHOLDS_EXAMPLE: &str = r#"{"deploy_below": 0.6, "evict_above": 0.85, "burst_minutes": 5, "rebalance_minutes": 10}"#;

pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/api/v1/projects/{p}/workloads/{w}/schedule", get(show)),
        (Method::PUT, "/api/v1/projects/{p}/workloads/{w}/schedule", put(set)),
        (Method::GET, "/api/v1/schedules/timeline", get(timeline)),
        (Method::GET, "/api/v1/queue", get(queue)),
        (Method::GET, "/api/v1/schedules/history", get(history)),
        (Method::GET, "/api/v1/schedules/thresholds", get(thresholds)),
        (Method::PUT, "/api/v1/clusters/{id}/thresholds", put(set_thresholds)),
        (Method::DELETE, "/api/v1/clusters/{id}/thresholds", delete(reset_thresholds)),
    ]
}

async fn show(State(s): State<AppState>, Path((p, w)): Path<(i64, i64)>, req: Request) -> Response {
    let view = call(s, parts(req), || schedules::load_schedule(w)).await;
    match view {
        Ok(Some(v)) if v.project_id != p => problem(AppError::NotFound("This workload".into())),
        other => reply(other),
    }
}

async fn set(State(s): State<AppState>, Path((p, w)): Path<(i64, i64)>, req: Request) -> Response {
    let (parts, b) = match json_body::<ScheduleSpec>(req, SCHEDULE_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let saved = call(s, parts, || schedules::save_schedule(w, b.schedule, b.when_closed, b.priority, b.movable)).await;
    match saved {
        Ok(v) if v.project_id != p => problem(AppError::NotFound("This workload".into())),
        other => reply(other),
    }
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
pub(super) struct Days {
    days: Option<u32>,
}

async fn timeline(State(s): State<AppState>, Query(d): Query<Days>, req: Request) -> Response {
    reply(call(s, parts(req), || schedules::schedule_timeline(d.days.unwrap_or(7))).await)
}

async fn queue(State(s): State<AppState>, req: Request) -> Response {
    let all = call(s, parts(req), || schedules::schedule_timeline(1)).await;
    reply(all.map(|v| v.into_iter().filter(|s| s.state == "queued").collect::<Vec<_>>()))
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
pub(super) struct Limit {
    limit: Option<u32>,
    /// The next page: events older than this id (the last `id` of the previous page).
    before: Option<i64>,
}

async fn history(State(s): State<AppState>, Query(l): Query<Limit>, req: Request) -> Response {
    reply(call(s, parts(req), || schedules::schedule_history(l.limit.unwrap_or(50), l.before)).await)
}

async fn thresholds(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), schedules::load_cluster_thresholds).await)
}

async fn set_thresholds(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, t) = match json_body::<Thresholds>(req, THRESHOLDS_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    reply(call(s, parts, || schedules::save_cluster_thresholds(id, Some(t))).await)
}

async fn reset_thresholds(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    reply(call(s, parts(req), || schedules::save_cluster_thresholds(id, None)).await)
}
