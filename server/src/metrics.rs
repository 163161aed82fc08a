//! `/metrics`: request counts by route and status, a latency histogram, and the passes of the
//! background loops (is the ledger writer alive?), in Prometheus text.
use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Upper bounds (seconds) of the latency histogram buckets.
const BUCKETS: [f64; 11] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    total: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    passes: BTreeMap<&'static str, u64>,
}

/// Shared, cheap-to-clone metrics registry.
#[derive(Clone, Default)]
pub struct HttpMetrics(Arc<Mutex<Inner>>);

impl HttpMetrics {
    /// One pass of a background loop finished (`budget-check`: snapshot, ledger sample and
    /// budget alerts on the replica holding the lease).
    pub fn pass(&self, name: &'static str) {
        *self.0.lock().expect("metrics lock").passes.entry(name).or_default() += 1;
    }

    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut inner = self.0.lock().expect("metrics lock");
        *inner.requests.entry((route.to_owned(), method.to_owned(), status)).or_default() += 1;
        let h = inner.latency.entry(route.to_owned()).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.total += 1;
    }

    pub fn render(&self) -> String {
        let inner = self.0.lock().expect("metrics lock");
        let mut out = String::new();
        out.push_str("# HELP flotilla_http_requests_total HTTP requests answered, by route, method and status.\n");
        out.push_str("# TYPE flotilla_http_requests_total counter\n");
        for ((route, method, status), n) in &inner.requests {
            let _ = writeln!(out, "flotilla_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}", escape(route));
        }
        out.push_str("# HELP flotilla_http_request_duration_seconds Time to answer HTTP requests, by route.\n");
        out.push_str("# TYPE flotilla_http_request_duration_seconds histogram\n");
        for (route, h) in &inner.latency {
            let route = escape(route);
            for (bound, count) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "flotilla_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}");
            }
            let _ = writeln!(out, "flotilla_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}", h.total);
            let _ = writeln!(out, "flotilla_http_request_duration_seconds_sum{{route=\"{route}\"}} {}", h.sum);
            let _ = writeln!(out, "flotilla_http_request_duration_seconds_count{{route=\"{route}\"}} {}", h.total);
        }
        out.push_str("# HELP flotilla_background_passes_total Passes of the background loops this replica finished.\n");
        out.push_str("# TYPE flotilla_background_passes_total counter\n");
        for (name, n) in &inner.passes {
            let _ = writeln!(out, "flotilla_background_passes_total{{loop=\"{name}\"}} {n}");
        }
        // Tasks that never finish pile up here (and hold memory): a steady number under a steady
        // load is healthy, one that grows with the requests answered is a leak.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            out.push_str("# HELP flotilla_runtime_alive_tasks Tasks alive in this replica's async runtime.\n");
            out.push_str("# TYPE flotilla_runtime_alive_tasks gauge\n");
            let _ = writeln!(out, "flotilla_runtime_alive_tasks {}", runtime.metrics().num_alive_tasks());
        }
        out
    }
}

fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// The route label: the matched route pattern, so that IDs in paths do not explode the series.
fn route_label(req: &Request) -> String {
    if let Some(m) = req.extensions().get::<MatchedPath>() {
        return m.as_str().to_owned();
    }
    let path = req.uri().path();
    if path.starts_with("/pkg/") { "/pkg/*".into() } else { "unmatched".into() }
}

/// The standard methods by name; anything else (a client can send any token) is "other", so
/// the label cannot grow without bound.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method as M;
    match *method {
        M::GET => "GET",
        M::HEAD => "HEAD",
        M::POST => "POST",
        M::PUT => "PUT",
        M::PATCH => "PATCH",
        M::DELETE => "DELETE",
        M::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

pub async fn track(State(metrics): State<HttpMetrics>, req: Request, next: Next) -> Response {
    let route = route_label(&req);
    let method = method_label(req.method()).to_owned();
    let start = Instant::now();
    let response = next.run(req).await;
    metrics.observe(&route, &method, response.status().as_u16(), start.elapsed().as_secs_f64());
    response
}

pub async fn render(State(metrics): State<HttpMetrics>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], metrics.render())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_buckets_follow_observations() {
        let m = HttpMetrics::default();
        m.observe("/", "GET", 200, 0.003);
        m.observe("/", "GET", 200, 0.2);
        m.observe("/", "GET", 404, 3.0);
        let text = m.render();
        assert!(text.contains("flotilla_http_requests_total{route=\"/\",method=\"GET\",status=\"200\"} 2"), "{text}");
        assert!(text.contains("flotilla_http_requests_total{route=\"/\",method=\"GET\",status=\"404\"} 1"), "{text}");
        assert!(text.contains("flotilla_http_request_duration_seconds_bucket{route=\"/\",le=\"0.0025\"} 0"), "{text}");
        assert!(text.contains("flotilla_http_request_duration_seconds_bucket{route=\"/\",le=\"0.005\"} 1"), "{text}");
        assert!(text.contains("flotilla_http_request_duration_seconds_bucket{route=\"/\",le=\"0.25\"} 2"), "{text}");
        assert!(text.contains("flotilla_http_request_duration_seconds_bucket{route=\"/\",le=\"+Inf\"} 3"), "{text}");
        assert!(text.contains("flotilla_http_request_duration_seconds_count{route=\"/\"} 3"), "{text}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c"), "a\\\"b\\\\c");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let weird = axum::http::Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&weird), "other");
        assert_eq!(method_label(&axum::http::Method::PATCH), "PATCH");
    }
}
