//! Streaming responses: watches (newline-delimited JSON events replayed from the bounded history,
//! 410 Gone as an ERROR event when the resourceVersion is too old, bookmarks, timeouts) and pod logs.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;

use crate::api::Req;
use crate::cluster::Cluster;
use crate::resources::RESOURCES;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::status::ApiError;
use crate::store::WatchEvent;

fn line(etype: &str, raw: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(raw.len() + 32);
    out.extend_from_slice(b"{\"type\":\"");
    out.extend_from_slice(etype.as_bytes());
    out.extend_from_slice(b"\",\"object\":");
    out.extend_from_slice(raw);
    out.extend_from_slice(b"}\n");
    Bytes::from(out)
}

fn gone_line(msg: String) -> Bytes {
    line("ERROR", ApiError::gone(msg).to_status().to_string().as_bytes())
}

fn stream_response(rx: mpsc::Receiver<Bytes>) -> Response {
    let stream = ReceiverStream::new(rx);
    let body = Body::from_stream(futures::StreamExt::map(stream, Ok::<Bytes, std::io::Error>));
    let mut r = (StatusCode::OK, body).into_response();
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    r
}

struct Filter {
    res: usize,
    ns: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn selects(&self, o: &crate::store::Obj) -> bool {
        self.labels.matches_obj(o) && (self.fields.is_empty() || self.fields.matches_obj(o))
    }

    fn matches(&self, ev: &WatchEvent) -> bool {
        ev.res == self.res && self.ns.as_deref().is_none_or(|n| n == ev.ns) && self.selects(&ev.obj)
    }

    /// The event type this watcher should see for a live event, if any.
    fn classify(&self, ev: &WatchEvent) -> Option<&'static str> {
        if ev.res != self.res || self.ns.as_deref().is_some_and(|n| n != ev.ns) {
            return None;
        }
        let now = self.selects(&ev.obj);
        match (ev.etype, &ev.prev) {
            (crate::store::EventType::Modified, Some(prev)) if !self.labels.is_empty() || !self.fields.is_empty() => match (self.selects(prev), now) {
                (true, true) => Some("MODIFIED"),
                (true, false) => Some("DELETED"),
                (false, true) => Some("ADDED"),
                (false, false) => None,
            },
            (t, _) => now.then_some(t.as_str()),
        }
    }
}

/// `GET ...?watch=true`.
pub fn serve(c: &Arc<Cluster>, r: &Req) -> Result<Response, ApiError> {
    let def = &RESOURCES[r.t.res];
    let (labels, fields) = r.selectors()?;
    let filter = Filter { res: r.t.res, ns: r.t.ns.clone(), labels, fields };
    let bookmarks = r.q.get("allowWatchBookmarks").is_some_and(|b| b == "true" || b == "1");
    let send_initial = r.q.get("sendInitialEvents").is_some_and(|b| b == "true");
    let timeout = r.q.get("timeoutSeconds").and_then(|t| t.parse::<u64>().ok()).unwrap_or(1800);
    let rv_param = r.q.get("resourceVersion").cloned().unwrap_or_default();
    let table = r.wants_table();
    let res = r.t.res;
    // Event lines carry the stored JSON, or a one-row Table when kubectl asked for server-side printing.
    let ev_line = move |etype: &str, obj: &crate::store::Obj| {
        if table {
            let rv = obj.rv.to_string();
            line(etype, crate::table::render(res, &[&obj.value()], Some(rv), None).to_string().as_bytes())
        } else {
            line(etype, &obj.raw)
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(1024);

    let (initial, sub, start_rv) = {
        let st = c.store.lock();
        let current = st.current_rv();
        let mut initial: Vec<Bytes> = Vec::new();
        if rv_param.is_empty() || rv_param == "0" || send_initial {
            for o in st.iter(r.t.res, r.t.ns.as_deref(), None) {
                if filter.labels.matches_obj(o) && (filter.fields.is_empty() || filter.fields.matches_obj(o)) {
                    initial.push(ev_line("ADDED", o));
                }
            }
        } else {
            let rv: u64 = rv_param.parse().map_err(|_| ApiError::bad_request(format!("invalid resource version {rv_param:?}")))?;
            match st.events_since(rv) {
                Ok(evs) => initial.extend(evs.iter().filter(|e| filter.matches(e)).map(|e| ev_line(e.etype.as_str(), &e.obj))),
                Err(oldest) => {
                    let msg = format!("too old resource version: {rv} ({oldest})");
                    let _ = tx.try_send(gone_line(msg));
                    return Ok(stream_response(rx));
                }
            }
        }
        if send_initial {
            let bm = json!({"kind": def.kind, "apiVersion": def.api_version(),
                            "metadata": {"resourceVersion": current.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}});
            initial.push(line("BOOKMARK", bm.to_string().as_bytes()));
        }
        (initial, st.subscribe(), current)
    };

    let interval = c.opts.bookmark_interval;
    let (kind, api_version) = (def.kind, def.api_version());
    tokio::spawn(async move {
        let mut sub = sub;
        for b in initial {
            if tx.send(b).await.is_err() {
                return;
            }
        }
        let mut latest = start_rv;
        let deadline = tokio::time::sleep(Duration::from_secs(timeout));
        tokio::pin!(deadline);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        loop {
            tokio::select! {
                ev = sub.recv() => match ev {
                    Ok(ev) => {
                        latest = latest.max(ev.rv);
                        if ev.rv > start_rv
                            && let Some(t) = filter.classify(&ev)
                                && tx.send(ev_line(t, &ev.obj)).await.is_err() {
                                    return;
                                }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let _ = tx.send(gone_line(format!("watch fell behind; too old resource version: {latest}"))).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                _ = tick.tick(), if bookmarks && !table => {
                    let bm = json!({"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": latest.to_string()}});
                    if tx.send(line("BOOKMARK", bm.to_string().as_bytes())).await.is_err() {
                        return;
                    }
                }
                _ = &mut deadline => return,
                _ = tx.closed() => return,
            }
        }
    });
    Ok(stream_response(rx))
}

fn log_line(pod: &str, container: &str, i: u64) -> String {
    let paths = ["/healthz", "/api/v1/orders", "/api/v1/users", "/metrics", "/api/v1/cart"];
    let codes = [200, 200, 200, 201, 200, 404, 200, 500];
    let ts = chrono::Utc::now() - chrono::Duration::seconds(600 - (i as i64 % 600));
    format!(
        "{} INFO [{container}] pod={pod} request path={} status={} latency_ms={}\n",
        ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        paths[(i % 5) as usize],
        codes[(i % 8) as usize],
        3 + (i * 7) % 40
    )
}

/// `GET .../pods/<name>/log` (simulated lines; `tailLines`, `container`, `follow`).
pub fn logs(c: &Arc<Cluster>, r: &Req) -> Result<Response, ApiError> {
    let name = r.t.name.clone().unwrap_or_default();
    let ns = r.ns().to_string();
    let pod = c.store.lock().get(r.t.res, &ns, &name).ok_or_else(|| ApiError::not_found("", "pods", &name))?;
    let containers: Vec<String> =
        pod.value().pointer("/spec/containers").and_then(Value::as_array).into_iter().flatten().filter_map(|c| c.get("name").and_then(Value::as_str).map(String::from)).collect();
    let container = match r.q.get("container") {
        Some(cn) if containers.contains(cn) => cn.clone(),
        Some(cn) => {
            return Err(ApiError::bad_request(format!("container {cn} is not valid for pod {name}")));
        }
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return Err(ApiError::bad_request(format!("a container name must be specified for pod {name}, choose one of: [{}]", containers.join(" "))));
        }
    };
    if pod.idx.phase() != "Running" {
        let pv = pod.value();
        let reason = pv.pointer("/status/containerStatuses/0/state/waiting/reason").and_then(Value::as_str).unwrap_or("ContainerCreating");
        return Err(ApiError::bad_request(format!("container \"{container}\" in pod \"{}\" is waiting to start: {reason}", &*pod.idx.name)));
    }
    let total = 200u64;
    let tail = r.q.get("tailLines").and_then(|t| t.parse::<u64>().ok()).unwrap_or(total).min(total);
    let mut text = String::new();
    for i in (total - tail)..total {
        text.push_str(&log_line(&name, &container, i));
    }
    let follow = r.q.get("follow").is_some_and(|f| f == "true");
    let mut resp = if follow {
        let (tx, rx) = mpsc::channel::<Bytes>(16);
        tokio::spawn(async move {
            if tx.send(Bytes::from(text)).await.is_err() {
                return;
            }
            for i in total..total + 600 {
                tokio::time::sleep(Duration::from_millis(500)).await;
                if tx.send(Bytes::from(log_line(&name, &container, i))).await.is_err() {
                    return;
                }
            }
        });
        stream_response(rx)
    } else {
        (StatusCode::OK, text).into_response()
    };
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    Ok(resp)
}
