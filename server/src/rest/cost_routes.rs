//! REST routes for costs: `GET /api/v1/costs` (any grouping, step and period; `format=csv`),
//! `GET /api/v1/projects/{p}/costs`, the administrators' `GET /api/v1/costs/clusters` and
//! `POST /api/v1/costs/recompute`, budgets under `/api/v1/projects/{p}/budget`, and the
//! caller's notifications — the same server functions and guard as the pages.
use super::{call, done, json_body, parts, problem, reply};
use app::api::{costs, directory};
use app::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post, put};
use flotilla_domain::{CostQuery, GroupBy, Step};
use serde::Deserialize;

pub(super) const RECOMPUTE_EXAMPLE: &str = r#"{"from": "2026-11-01", "to": "2026-11-24"}"#;
pub(super) const BUDGET_EXAMPLE: &str = r#"{"monthly": 1500, "currency": "USD", "webhook": "https://hooks.slack.com/services/…"}"#;
pub(super) const WEIGHTS_EXAMPLE: &str = r#"{"cpu": 0.6, "memory": 0.35, "pods": 0.05, "gpu": 0.5}"#;

pub fn routes() -> Vec<(Method, &'static str, MethodRouter<AppState>)> {
    vec![
        (Method::GET, "/api/v1/costs", get(report)),
        (Method::GET, "/api/v1/projects/{p}/costs", get(project_report)),
        (Method::GET, "/api/v1/costs/clusters", get(clusters)),
        (Method::POST, "/api/v1/costs/recompute", post(recompute)),
        (Method::GET, "/api/v1/projects/{p}/budget", get(budget)),
        (Method::PUT, "/api/v1/projects/{p}/budget", put(set_budget)),
        (Method::DELETE, "/api/v1/projects/{p}/budget", delete(remove_budget)),
        (Method::GET, "/api/v1/costs/weights", get(weights)),
        (Method::PUT, "/api/v1/clusters/{id}/cost-weights", put(set_weights)),
        (Method::GET, "/api/v1/notifications", get(notifications)),
        (Method::POST, "/api/v1/notifications/read", post(read_notifications)),
    ]
}

/// `?project=&group_by=project|namespace|cluster|workload&from=YYYY-MM-DD&to=YYYY-MM-DD&step=hour|day|month&format=json|csv`
#[derive(Deserialize, Default, schemars::JsonSchema)]
pub(super) struct ReportParams {
    project: Option<String>,
    group_by: Option<String>,
    from: Option<String>,
    to: Option<String>,
    step: Option<String>,
    format: Option<String>,
}

impl ReportParams {
    // The refusal is the HTTP answer itself; it is returned once per request, so its size is moot.
    #[allow(clippy::result_large_err)]
    fn query(&self, project: Option<String>) -> Result<CostQuery, Response> {
        let invalid = |m: String| problem(app::error::AppError::Validation(m));
        let group_by = match self.group_by.as_deref().filter(|g| !g.is_empty()) {
            None => GroupBy::Cluster,
            Some(g) => GroupBy::parse(g).ok_or_else(|| invalid(format!("group_by is one of project, namespace, cluster, workload (got “{g}”).")))?,
        };
        let step = match self.step.as_deref().filter(|s| !s.is_empty()) {
            None => Step::Day,
            Some(s) => Step::parse(s).ok_or_else(|| invalid(format!("step is one of hour, day, month (got “{s}”).")))?,
        };
        Ok(CostQuery {
            project: project.or_else(|| self.project.clone()).filter(|p| !p.is_empty()),
            from: self.from.clone().unwrap_or_default(),
            to: self.to.clone().unwrap_or_default(),
            step,
            group_by,
        })
    }
}

async fn answer(s: AppState, parts: axum::http::request::Parts, p: ReportParams, project: Option<String>) -> Response {
    let query = match p.query(project) {
        Ok(q) => q,
        Err(refused) => return refused,
    };
    let view = call(s, parts, || costs::load_costs(query)).await;
    match (view, p.format.as_deref()) {
        (Ok(v), Some("csv")) => {
            ([(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"flotilla-costs.csv\"")], flotilla_backend::costs::report::report_csv(&v.report))
                .into_response()
        }
        (result, _) => reply(result),
    }
}

async fn report(State(s): State<AppState>, Query(p): Query<ReportParams>, req: Request) -> Response {
    answer(s, parts(req), p, None).await
}

async fn project_report(State(s): State<AppState>, Path(id): Path<i64>, Query(p): Query<ReportParams>, req: Request) -> Response {
    let parts = parts(req);
    let project = match call(s.clone(), parts.clone(), || directory::get_project(id)).await {
        Ok(p) => p,
        Err(e) => return problem(e),
    };
    answer(s, parts, p, Some(project.name)).await
}

#[derive(Deserialize, Default, schemars::JsonSchema)]
pub(super) struct Period {
    from: Option<String>,
    to: Option<String>,
}

async fn clusters(State(s): State<AppState>, Query(p): Query<Period>, req: Request) -> Response {
    reply(call(s, parts(req), || costs::load_fleet_costs(p.from.unwrap_or_default(), p.to.unwrap_or_default())).await)
}

async fn recompute(State(s): State<AppState>, req: Request) -> Response {
    let (parts, p) = match json_body::<Period>(req, RECOMPUTE_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    reply(call(s, parts, || costs::recompute_costs(p.from.unwrap_or_default(), p.to.unwrap_or_default())).await)
}

async fn budget(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    reply(call(s, parts(req), || costs::load_budget(id)).await)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub(super) struct BudgetBody {
    monthly: f64,
    #[serde(default = "usd")]
    currency: String,
    /// A new webhook URL; absent keeps the current one, `""` removes it.
    webhook: Option<String>,
}

fn usd() -> String {
    "USD".into()
}

async fn set_budget(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, b) = match json_body::<BudgetBody>(req, BUDGET_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    let clear = b.webhook.as_deref() == Some("");
    reply(call(s, parts, || costs::save_budget(id, b.monthly.to_string(), b.currency, b.webhook.unwrap_or_default(), clear)).await)
}

async fn remove_budget(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    done(call(s, parts(req), || costs::remove_budget(id)).await)
}

async fn notifications(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), costs::load_notifications).await)
}

async fn read_notifications(State(s): State<AppState>, req: Request) -> Response {
    done(call(s, parts(req), costs::read_notifications).await)
}

async fn weights(State(s): State<AppState>, req: Request) -> Response {
    reply(call(s, parts(req), costs::load_cost_weights).await)
}

/// `{"cpu": 0.6, "memory": 0.35, "pods": 0.05, "gpu": 0.5}`, or `null` for the defaults.
async fn set_weights(State(s): State<AppState>, Path(id): Path<i64>, req: Request) -> Response {
    let (parts, w) = match json_body::<Option<flotilla_domain::CostWeights>>(req, WEIGHTS_EXAMPLE).await {
        Ok(body) => body,
        Err(refused) => return refused,
    };
    done(call(s, parts, || costs::save_cost_weights(id, w)).await)
}
