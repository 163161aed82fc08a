//! The REST API described by code: every route of [`super::routes`] with its parameters, the
//! JSON Schema of its body and of its answer (derived from the very types the handlers parse
//! and the server functions return), served as an OpenAPI 3.1 document at
//! `/api/v1/openapi.json` and as a reference page at `/api/v1/reference`. The test
//! `openapi::every_route_is_described` fails when a route is added without its description.
use super::{cost_routes, project_routes, schedule_routes, workloads};
use app::fleetmap::esc;
use axum::http::{Method, header};
use axum::response::{Html, IntoResponse, Response};
use flotilla_domain as d;
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};

/// The description's own routes: public, like any published API description (nothing in it
/// depends on who asks).
pub const PUBLIC: [&str; 2] = ["/api/v1/openapi.json", "/api/v1/reference"];

type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// What a route answers when it succeeds.
#[derive(Clone, Copy)]
enum Answer {
    /// JSON with this status.
    Json(u16, SchemaFn),
    /// No body.
    Empty(u16),
}

/// One operation of the API.
pub struct Operation {
    pub method: Method,
    pub path: &'static str,
    pub summary: &'static str,
    query: Option<SchemaFn>,
    body: Option<SchemaFn>,
    /// A request body the server accepts, shown in the reference.
    pub example: Option<&'static str>,
    answer: Answer,
    /// `format=csv` gives a CSV download instead of JSON.
    csv: bool,
    /// Another answer beside the main one (status, what it means).
    also: Option<(u16, &'static str)>,
}

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

fn op(method: Method, path: &'static str, summary: &'static str) -> Operation {
    Operation { method, path, summary, query: None, body: None, example: None, answer: Answer::Empty(204), csv: false, also: None }
}

impl Operation {
    fn ok<T: JsonSchema>(mut self) -> Self {
        self.answer = Answer::Json(200, schema::<T>);
        self
    }
    fn created<T: JsonSchema>(mut self) -> Self {
        self.answer = Answer::Json(201, schema::<T>);
        self
    }
    fn created_empty(mut self) -> Self {
        self.answer = Answer::Empty(201);
        self
    }
    fn query<Q: JsonSchema>(mut self) -> Self {
        self.query = Some(schema::<Q>);
        self
    }
    fn body<B: JsonSchema>(mut self, example: &'static str) -> Self {
        self.body = Some(schema::<B>);
        self.example = Some(example);
        self
    }
    fn csv(mut self) -> Self {
        self.csv = true;
        self
    }
    fn also(mut self, status: u16, what: &'static str) -> Self {
        self.also = Some((status, what));
        self
    }
}

/// A refusal or failure, in words a person can act on.
#[derive(JsonSchema)]
#[allow(dead_code)]
struct Problem {
    error: String,
}

/// Every operation, in the order of the reference.
pub fn operations() -> Vec<Operation> {
    use Method as M;
    let mut all = vec![
        op(M::GET, "/api/v1/me", "Who is calling: the person, their roles and projects").ok::<d::Me>(),
        op(M::GET, "/api/v1/clusters", "The clusters the caller may see").ok::<Vec<d::ClusterSummary>>(),
        op(M::POST, "/api/v1/clusters", "Register a cluster (administrators)").body::<super::NewClusterBody>(super::CLUSTER_EXAMPLE).created::<d::ClusterSummary>(),
        op(M::GET, "/api/v1/clusters/{id}", "One cluster: health, nodes, namespaces, utilisation").ok::<d::ClusterDetail>(),
        op(M::PATCH, "/api/v1/clusters/{id}", "Change a cluster's details, connection or whether it is enabled").body::<super::ClusterChange>(super::CLUSTER_EXAMPLE).ok::<d::ClusterSummary>(),
        op(M::DELETE, "/api/v1/clusters/{id}", "Remove a cluster from Flotilla (nothing on the cluster is touched)"),
        op(M::GET, "/api/v1/clusters/{id}/nodes", "A cluster's nodes; 503 when Flotilla may not list them there").ok::<Vec<d::NodeView>>(),
        op(M::GET, "/api/v1/clusters/{id}/namespaces", "A cluster's namespaces the caller may see").ok::<Vec<d::NamespaceView>>(),
        op(M::GET, "/api/v1/clusters/{id}/pods", "A cluster's pods the caller may see, by namespace or node").query::<super::PodParams>().ok::<Vec<d::PodView>>(),
        op(M::GET, "/api/v1/fleet", "The fleet map: every visible cluster with its nodes").ok::<Vec<d::ClusterTile>>(),
        op(M::GET, "/api/v1/projects", "The projects the caller may see").ok::<Vec<d::ProjectSummary>>(),
        op(M::GET, "/api/v1/projects/{id}", "One project").ok::<d::ProjectSummary>(),
        op(M::GET, "/api/v1/projects/{id}/members", "A project's members and their roles").ok::<Vec<d::MemberSummary>>(),
        op(M::GET, "/api/v1/users", "Everyone who has signed in (administrators)").ok::<Vec<d::UserSummary>>(),
        op(M::PUT, "/api/v1/users/{id}/active", "Deactivate or reactivate a person (ends their sessions and tokens)").body::<super::Active>(super::ACTIVE_EXAMPLE),
        op(M::GET, "/api/v1/identities", "Single sign-on identities and the accounts they reach").ok::<Vec<d::IdentitySummary>>(),
        op(M::PUT, "/api/v1/identities/{id}/user", "Link an identity to an account").body::<super::LinkTo>(super::LINK_EXAMPLE),
        op(M::DELETE, "/api/v1/identities/{id}", "Unlink an identity"),
        op(M::GET, "/api/v1/roles", "Built-in and custom roles with their permissions").ok::<Vec<d::RoleDef>>(),
        op(M::GET, "/api/v1/group-mappings", "Which provider groups grant which roles").ok::<Vec<d::GroupMapping>>(),
        op(M::POST, "/api/v1/group-mappings", "Map a provider group to a role").body::<super::NewMapping>(super::MAPPING_EXAMPLE).created_empty(),
        op(M::DELETE, "/api/v1/group-mappings/{id}", "Remove a group mapping"),
        op(M::GET, "/api/v1/audit", "The audit log, newest first, filtered and paged").query::<super::AuditParams>().ok::<Vec<d::AuditLine>>().csv(),
        op(M::GET, "/api/v1/prices", "The price catalogue").query::<super::PriceParams>().ok::<Vec<d::PriceEntry>>().csv(),
        op(M::PUT, "/api/v1/prices", "Add or change a price (administrators)").body::<d::PriceEntry>(super::PRICE_EXAMPLE),
        op(M::DELETE, "/api/v1/prices", "Remove a price").query::<super::PriceKey>(),
        op(M::POST, "/api/v1/prices/import", "Import prices from CSV; answers how many were saved").body::<super::PriceCsv>(super::PRICE_CSV_EXAMPLE).ok::<usize>(),
        op(M::GET, "/api/v1/tokens", "The caller's API tokens").ok::<Vec<d::ApiTokenInfo>>(),
        op(M::POST, "/api/v1/tokens", "Create an API token; its secret is shown once").body::<super::NewToken>(super::TOKEN_EXAMPLE).created::<d::CreatedApiToken>(),
        op(M::DELETE, "/api/v1/tokens/{id}", "Revoke one of the caller's API tokens"),
        op(M::DELETE, "/api/v1/dashboards/defaults/{role}", "Withdraw a role's published default dashboard (administrators); answers whether one was published").ok::<bool>(),
    ];
    all.extend(project_operations());
    all.extend(workload_operations());
    all.extend(cost_operations());
    all.extend(schedule_operations());
    all
}

/// The operations of project routes (`project_routes.rs`).
fn project_operations() -> Vec<Operation> {
    use Method as M;
    use project_routes as p;
    vec![
        op(M::POST, "/api/v1/projects", "Create a project (administrators)").body::<d::NewProject>(p::CREATE_EXAMPLE).created::<d::ProjectSummary>(),
        op(M::PATCH, "/api/v1/projects/{id}", "Rename, archive or change a project's highest priority").body::<d::ProjectChange>(p::CHANGE_EXAMPLE).ok::<d::ProjectSummary>(),
        op(M::DELETE, "/api/v1/projects/{id}", "Delete a project; with `workloads=remove` its workloads go first (202 meanwhile)")
            .query::<p::DeleteQuery>()
            .also(202, "Its workloads are being removed; the project is archived meanwhile"),
        op(M::GET, "/api/v1/projects/{id}/detail", "A project with its clusters, members and quota").ok::<d::ProjectDetail>(),
        op(M::GET, "/api/v1/projects/{id}/clusters", "The clusters opened to a project").ok::<Vec<d::ProjectCluster>>(),
        op(M::PUT, "/api/v1/projects/{id}/clusters", "Open exactly these clusters to a project").body::<p::Clusters>(p::CLUSTERS_EXAMPLE).ok::<Vec<d::ProjectCluster>>(),
        op(M::PUT, "/api/v1/projects/{id}/members", "Add a member or change their role").body::<p::Member>(p::MEMBER_EXAMPLE),
        op(M::DELETE, "/api/v1/projects/{id}/members/{user}", "Remove a member"),
    ]
}

/// The operations of workload routes (`workloads.rs`).
fn workload_operations() -> Vec<Operation> {
    use Method as M;
    use workloads as w;
    vec![
        op(M::GET, "/api/v1/projects/{p}/workloads", "A project's workloads with their state per cluster").ok::<Vec<d::WorkloadSummary>>(),
        op(M::POST, "/api/v1/projects/{p}/workloads", "Register a container: placed, deployed, or refused with the reason (422)")
            .body::<w::CreateBody>(w::FORM_EXAMPLE)
            .created::<d::RegisterOutcome>()
            .also(422, "Field errors, or why no cluster fits (a RegisterOutcome)"),
        op(M::GET, "/api/v1/projects/{p}/workloads/{w}", "One workload: state, spec, pods, events").ok::<d::WorkloadDetail>(),
        op(M::PATCH, "/api/v1/projects/{p}/workloads/{w}", "Change a workload's image, replicas or pause it").body::<w::Change>(w::CHANGE_EXAMPLE).ok::<d::WorkloadSummary>(),
        op(M::DELETE, "/api/v1/projects/{p}/workloads/{w}", "Delete a workload from every cluster, or from one").query::<w::RemoveParams>(),
        op(M::POST, "/api/v1/projects/{p}/workloads/{w}", "`{id}:scale`, `:rollback`, `:pause`, `:resume` or `:move`").body::<w::ActionBody>(w::SCALE_EXAMPLE).ok::<Option<d::WorkloadSummary>>(),
        op(M::POST, "/api/v1/placement/preview", "Where a workload would run, without registering it").body::<d::WorkloadForm>(w::FORM_EXAMPLE).ok::<Result<d::Placement, Vec<d::FieldError>>>(),
        op(M::GET, "/api/v1/projects/{p}/quota", "A project's quota and its use").ok::<d::ProjectQuota>(),
        op(M::PUT, "/api/v1/projects/{p}/quota", "Change a project's quota (administrators)").body::<d::QuotaChange>(w::QUOTA_EXAMPLE).ok::<d::ProjectQuota>(),
    ]
}

/// The operations of cost routes (`cost_routes.rs`).
fn cost_operations() -> Vec<Operation> {
    use Method as M;
    use cost_routes as c;
    vec![
        op(M::GET, "/api/v1/costs", "Cost over time, grouped and stepped, for what the caller may see").query::<c::ReportParams>().ok::<app::api::costs::CostView>().csv(),
        op(M::GET, "/api/v1/projects/{p}/costs", "One project's cost over time, with its budget").query::<c::ReportParams>().ok::<app::api::costs::CostView>().csv(),
        op(M::GET, "/api/v1/costs/clusters", "Each cluster's cost and idle cost (administrators)").query::<c::Period>().ok::<d::FleetCosts>(),
        op(M::POST, "/api/v1/costs/recompute", "Price every recorded hour of a period again; answers how many").body::<c::Period>(c::RECOMPUTE_EXAMPLE).ok::<usize>(),
        op(M::GET, "/api/v1/projects/{p}/budget", "A project's monthly budget, if it has one").ok::<Option<d::Budget>>(),
        op(M::PUT, "/api/v1/projects/{p}/budget", "Set a project's monthly budget and alert webhook").body::<c::BudgetBody>(c::BUDGET_EXAMPLE).ok::<d::Budget>(),
        op(M::DELETE, "/api/v1/projects/{p}/budget", "Remove a project's budget"),
        op(M::GET, "/api/v1/costs/weights", "Each cluster's cost weights (id, name, weights)").ok::<Vec<(i64, String, d::CostWeights)>>(),
        op(M::PUT, "/api/v1/clusters/{id}/cost-weights", "Set a cluster's cost weights; null goes back to the defaults").body::<Option<d::CostWeights>>(c::WEIGHTS_EXAMPLE),
        op(M::GET, "/api/v1/notifications", "The caller's notifications (budget alerts)").ok::<Vec<d::Notification>>(),
        op(M::POST, "/api/v1/notifications/read", "Mark the caller's notifications read"),
    ]
}

/// The operations of schedule routes (`schedule_routes.rs`).
fn schedule_operations() -> Vec<Operation> {
    use Method as M;
    use d::schedule as s;
    use schedule_routes as r;
    vec![
        op(M::GET, "/api/v1/projects/{p}/workloads/{w}/schedule", "A workload's schedule, if it has one").ok::<Option<s::ScheduleView>>(),
        op(M::PUT, "/api/v1/projects/{p}/workloads/{w}/schedule", "Give a workload windows, a priority and whether it may move").body::<s::ScheduleSpec>(r::SCHEDULE_EXAMPLE).ok::<s::ScheduleView>(),
        op(M::GET, "/api/v1/schedules/timeline", "Scheduled workloads and their windows for the coming days").query::<r::Days>().ok::<Vec<s::ScheduleView>>(),
        op(M::GET, "/api/v1/queue", "Low-priority work waiting for room, with the reason").ok::<Vec<s::ScheduleView>>(),
        op(M::GET, "/api/v1/schedules/history", "What the scheduler did, newest first").query::<r::Limit>().ok::<Vec<s::ScheduleEvent>>(),
        op(M::GET, "/api/v1/schedules/thresholds", "Each cluster's scheduling thresholds (administrators)").ok::<Vec<s::ClusterThresholds>>(),
        op(M::PUT, "/api/v1/clusters/{id}/thresholds", "Set a cluster's thresholds").body::<s::Thresholds>(r::THRESHOLDS_EXAMPLE).ok::<()>(),
        op(M::DELETE, "/api/v1/clusters/{id}/thresholds", "Back to the default thresholds").ok::<()>(),
    ]
}

/// The path's parameters: ids, except `{w}` of the action route (`{id}:{action}`) and role keys.
fn path_parameters(o: &Operation) -> Vec<Value> {
    o.path
        .split('/')
        .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        .map(|name| {
            let schema = if name == "w" && o.method == Method::POST && o.path.ends_with("/workloads/{w}") {
                json!({"type": "string", "pattern": "^[0-9]+:(scale|rollback|pause|resume|move)$", "examples": ["42:scale"]})
            } else if name == "role" {
                json!({"type": "string", "description": "A role's key", "examples": ["owner"]})
            } else {
                json!({"type": "integer", "format": "int64"})
            };
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        })
        .collect()
}

/// The query's parameters: the properties of its struct.
fn query_parameters(o: &Operation, g: &mut SchemaGenerator) -> Vec<Value> {
    let Some(q) = o.query else { return Vec::new() };
    let reference = q(g);
    let name = reference.get("$ref").and_then(Value::as_str).and_then(|r| r.rsplit('/').next()).map(str::to_owned);
    let defs = g.definitions().clone();
    let object = name.and_then(|n| defs.get(&n).cloned()).unwrap_or_else(|| reference.to_value());
    let required: Vec<&str> = object.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    object
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, schema)| {
                    let mut p = json!({"name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": schema});
                    if let Some(text) = schema.get("description") {
                        p["description"] = text.clone();
                    }
                    p
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The OpenAPI 3.1 document of the REST API.
pub fn document() -> Value {
    let mut g = SchemaSettings::draft2020_12()
        .with(|s| {
            s.definitions_path = "/components/schemas".into();
        })
        .into_generator();
    let problem = schema::<Problem>(&mut g);
    let mut paths = Map::new();
    for o in operations() {
        let mut parameters = path_parameters(&o);
        parameters.extend(query_parameters(&o, &mut g));
        let mut responses = Map::new();
        match o.answer {
            Answer::Json(status, s) => {
                let mut content = json!({"application/json": {"schema": s(&mut g)}});
                if o.csv {
                    content["text/csv"] = json!({"schema": {"type": "string"}});
                }
                responses.insert(status.to_string(), json!({"description": if o.csv { "JSON, or CSV with `format=csv`" } else { "Success" }, "content": content}));
            }
            Answer::Empty(status) => {
                responses.insert(status.to_string(), json!({"description": "Done (no body)"}));
            }
        }
        if let Some((status, what)) = o.also {
            let content = match o.answer {
                Answer::Json(_, s) if status == 422 => json!({"application/json": {"schema": s(&mut g)}}),
                _ => json!({"application/json": {"schema": {"type": "object", "properties": {"status": {"type": "string"}}}}}),
            };
            responses.insert(status.to_string(), json!({"description": what, "content": content}));
        }
        responses.insert(
            "default".into(),
            json!({"description": "A refusal or failure in words: 401 sign in, 403 not allowed, 404 not found (or not yours to see), 422 invalid, 503 cluster unavailable", "content": {"application/json": {"schema": problem}}}),
        );
        let mut operation = json!({
            "summary": o.summary,
            "operationId": format!("{} {}", o.method, o.path),
            "tags": [tag(o.path)],
            "parameters": parameters,
            "responses": responses,
        });
        if let Some(body) = o.body {
            let mut media = json!({"schema": body(&mut g)});
            if let Some(example) = o.example {
                media["example"] = serde_json::from_str(example).unwrap_or(Value::String(example.to_owned()));
            }
            operation["requestBody"] = json!({"required": true, "content": {"application/json": media}});
        }
        let item = paths.entry(o.path.to_owned()).or_insert_with(|| json!({}));
        item[o.method.as_str().to_ascii_lowercase()] = operation;
    }
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Flotilla REST API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The same operations as the portal's pages, behind the same access guard. Authenticate with a personal API token (`Authorization: Bearer flt_…`, created under your account) or a session cookie. Errors answer `{\"error\": \"…\"}` in words."
        },
        "paths": paths,
        "components": {
            "schemas": g.take_definitions(true),
            "securitySchemes": {
                "token": {"type": "http", "scheme": "bearer", "description": "A personal API token"},
                "session": {"type": "apiKey", "in": "cookie", "name": crate::auth::SESSION_COOKIE}
            }
        },
        "security": [{"token": []}, {"session": []}]
    })
}

/// The first path segment after `/api/v1/`: the group an operation is listed under.
fn tag(path: &str) -> String {
    path.trim_start_matches("/api/v1/").split('/').next().unwrap_or_default().to_owned()
}

/// The document and the reference page, made once: they depend only on the code, and anyone may
/// ask for them.
fn published() -> &'static (Value, String) {
    static PUBLISHED: std::sync::OnceLock<(Value, String)> = std::sync::OnceLock::new();
    PUBLISHED.get_or_init(|| {
        let doc = document();
        let page = reference(&doc);
        (doc, page)
    })
}

/// `GET /api/v1/openapi.json`.
pub async fn serve_document() -> Response {
    ([(header::CACHE_CONTROL, "no-cache")], axum::Json(&published().0)).into_response()
}

/// `GET /api/v1/reference`: the document as a page a person reads (no script, no CDN).
pub async fn serve_reference() -> Response {
    Html(published().1.as_str()).into_response()
}

/// A schema in a few words: a type name, or "list of …".
fn shape(schema: &Value) -> String {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap_or(r);
        return format!("<a href=\"#schema-{name}\">{name}</a>");
    }
    if let Some(items) = schema.get("items") {
        return format!("list of {}", shape(items));
    }
    if let Some(any) = schema.get("anyOf").or_else(|| schema.get("oneOf")).and_then(Value::as_array) {
        return any.iter().map(shape).collect::<Vec<_>>().join(" or ");
    }
    match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(" or "),
        _ => "value".into(),
    }
}

fn reference(doc: &Value) -> String {
    let mut html = String::from(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Flotilla REST API</title><style>\
         body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1d2330;background:#fff}\
         h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #d5d9e0;text-transform:capitalize}\
         .op{border:1px solid #d5d9e0;border-radius:6px;padding:.6rem .8rem;margin:.6rem 0}\
         .m{display:inline-block;min-width:4.2rem;font-weight:700;font-family:ui-monospace,monospace}\
         code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{background:#f3f5f8;padding:.5rem;overflow-x:auto;white-space:pre-wrap}\
         table{border-collapse:collapse}td,th{text-align:left;padding:.15rem .6rem .15rem 0;vertical-align:top}\
         @media (prefers-color-scheme: dark){body{background:#12161f;color:#e4e8ef}.op,h2{border-color:#394152}pre{background:#1c2230}a{color:#8fb8ff}}\
         </style></head><body><h1>Flotilla REST API</h1>",
    );
    html.push_str(&format!(
        "<p>{}</p><p>The machine-readable document: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>",
        esc(doc["info"]["description"].as_str().unwrap_or_default())
    ));
    let mut current = String::new();
    for o in operations() {
        let t = tag(o.path);
        if t != current {
            html.push_str(&format!("<h2 id=\"tag-{t}\">{t}</h2>"));
            current = t;
        }
        let item = &doc["paths"][o.path][o.method.as_str().to_ascii_lowercase()];
        html.push_str(&format!("<div class=\"op\"><div><span class=\"m\">{}</span> <code>{}</code></div><p>{}</p>", o.method, esc(o.path), esc(o.summary)));
        let params: Vec<String> = item["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| format!("<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>", esc(p["name"].as_str().unwrap_or_default()), p["in"].as_str().unwrap_or_default(), shape(&p["schema"])))
            .collect();
        if !params.is_empty() {
            html.push_str(&format!("<table><tr><th>parameter</th><th>in</th><th>type</th></tr>{}</table>", params.concat()));
        }
        if let Some(body) = item.get("requestBody") {
            let media = &body["content"]["application/json"];
            html.push_str(&format!("<p>Body: {}</p>", shape(&media["schema"])));
            if let Some(example) = o.example {
                html.push_str(&format!("<pre>{}</pre>", esc(example)));
            }
        }
        for (status, answer) in item["responses"].as_object().into_iter().flatten().filter(|(s, _)| s.as_str() != "default") {
            let body = answer["content"]["application/json"].get("schema").map(shape).unwrap_or_else(|| "no body".into());
            html.push_str(&format!("<p>{status}: {body}</p>"));
        }
        html.push_str("</div>");
    }
    html.push_str("<h2 id=\"schemas\">Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        html.push_str(&format!("<div class=\"op\" id=\"schema-{name}\"><strong>{name}</strong>"));
        if let Some(text) = schema.get("description").and_then(Value::as_str) {
            html.push_str(&format!("<p>{}</p>", esc(text)));
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            html.push_str("<table>");
            for (field, s) in props {
                let text = s.get("description").and_then(Value::as_str).map(esc).unwrap_or_default();
                html.push_str(&format!("<tr><td><code>{field}</code></td><td>{}</td><td>{text}</td></tr>", shape(s)));
            }
            html.push_str("</table>");
        } else if let Some(values) = schema.get("enum").and_then(Value::as_array) {
            html.push_str(&format!("<p>One of {}</p>", values.iter().map(|v| format!("<code>{}</code>", esc(&v.to_string()))).collect::<Vec<_>>().join(", ")));
        } else if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
            html.push_str(&format!("<p>{}</p>", shape(schema)));
        }
        html.push_str("</div>");
    }
    html.push_str("</body></html>");
    html
}
