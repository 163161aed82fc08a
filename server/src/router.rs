//! The axum router: Leptos pages and server functions, `/auth`, the REST API, health,
//! metrics and static files — all behind the authentication layer.
use crate::{assets, auth, health, metrics, rest, sign_in};
use app::{App, shell, state::AppState};
use axum::{Router, middleware, routing::get};
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};

/// The app's routes, worked out once per process. Leptos works them out by rendering the app
/// with every resource held back by a process-wide switch: a page another portal in the same
/// process rendered meanwhile (the tests start many) would wait forever (leptos-rs/leptos#4773).
fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState, http_metrics: metrics::HttpMetrics) -> Router {
    let routes = routes();
    let o = &state.leptos_options;
    let bundle = assets::Assets::load(&std::path::Path::new(o.site_root.as_ref()).join(o.site_pkg_dir.as_ref()));
    // Every page and the fallback get the state and the bundle's names.
    let context = {
        let (state, names) = (state.clone(), bundle.names(o.output_name.as_ref(), o.site_pkg_dir.as_ref()));
        move || {
            provide_context(state.clone());
            provide_context(names.clone());
        }
    };
    let bundle_route = Router::new().route("/pkg/{file}", get(assets::serve)).with_state(bundle);

    let shell_options = state.leptos_options.clone();
    let pages = Router::new()
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(shell_options.clone()))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .route("/healthz", get(health::healthz))
        .with_state(state.clone())
        .layer(middleware::from_fn(server_fn_status))
        .merge(bundle_route);
    let metrics_route = Router::new().route("/metrics", get(metrics::render)).with_state(http_metrics.clone());
    pages
        .merge(rest::router(state.clone()))
        .merge(sign_in::routes(state.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(middleware::from_fn_with_state(state, auth::security_headers))
        .merge(metrics_route)
        .layer(middleware::from_fn_with_state(http_metrics, metrics::track))
        // Pages and API answers compressed on the fly (the bundle is compressed once, above).
        .layer(tower_http::compression::CompressionLayer::new())
}

/// A server function that fails answers with its error's own status (403 for a refusal, 404,
/// 422, 503 for an unreachable cluster) instead of the framework's 500 for every error: the
/// browser decodes any 4xx/5xx body as the error, and logs and monitors see refusals as such.
async fn server_fn_status(req: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    let path = req.uri().path();
    let server_fn = path.starts_with("/api/") && !path.starts_with("/api/v1/");
    let res = next.run(req).await;
    if !server_fn || res.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
        return axum::response::Response::from_parts(parts, axum::body::Body::empty());
    };
    if let Ok(e) = serde_json::from_slice::<app::error::AppError>(&bytes) {
        parts.status = e.status_code();
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}
