//! Plain-HTTP admin endpoint on 127.0.0.1 for fault and change injection (test/demo only):
//! `GET /clusters`, `POST /clusters/<name>/fault|nodes|burst`; plus a tiny client for the CLI.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;

use crate::cluster::Cluster;
use crate::error::SimError;
use crate::faults::FaultMode;

type Clusters = Arc<HashMap<String, (Arc<Cluster>, String)>>;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FaultReq {
    mode: FaultMode,
    latency_ms: Option<u64>,
}

#[derive(Deserialize)]
struct NodesReq {
    add: Option<u32>,
    remove: Option<u32>,
    pool: Option<String>,
}

#[derive(Deserialize)]
struct BurstReq {
    factor: f64,
    seconds: u64,
}

fn unknown(name: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({"error": format!("unknown cluster {name:?}")}))).into_response()
}

async fn list(State(cs): State<Clusters>) -> Json<serde_json::Value> {
    let mut out: Vec<_> = cs
        .iter()
        .map(|(n, (c, url))| {
            let (mode, latency) = c.faults.get();
            json!({"name": n, "url": url, "fault": mode, "latencyMs": latency})
        })
        .collect();
    out.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Json(json!({"clusters": out}))
}

async fn fault(State(cs): State<Clusters>, Path(name): Path<String>, Json(req): Json<FaultReq>) -> Response {
    let Some((c, _)) = cs.get(&name) else {
        return unknown(&name);
    };
    c.faults.set(req.mode, req.latency_ms);
    let (mode, latency) = c.faults.get();
    Json(json!({"cluster": name, "fault": mode, "latencyMs": latency})).into_response()
}

async fn nodes(State(cs): State<Clusters>, Path(name): Path<String>, Json(req): Json<NodesReq>) -> Response {
    let Some((c, _)) = cs.get(&name) else {
        return unknown(&name);
    };
    let added = match req.add {
        Some(n) => match c.add_nodes(req.pool.as_deref(), n) {
            Ok(v) => v,
            Err(e) => {
                return (StatusCode::BAD_REQUEST, Json(json!({"error": e.message}))).into_response();
            }
        },
        None => vec![],
    };
    let removed = req.remove.map(|n| c.remove_nodes(n)).unwrap_or_default();
    Json(json!({"cluster": name, "added": added, "removed": removed})).into_response()
}

async fn burst(State(cs): State<Clusters>, Path(name): Path<String>, Json(req): Json<BurstReq>) -> Response {
    let Some((c, _)) = cs.get(&name) else {
        return unknown(&name);
    };
    c.set_burst(req.factor, Duration::from_secs(req.seconds));
    Json(json!({"cluster": name, "factor": req.factor, "seconds": req.seconds})).into_response()
}

/// Starts the admin server on 127.0.0.1:`port` (0 = any free port); returns its base URL.
pub async fn spawn(clusters: Vec<(Arc<Cluster>, String)>, port: u16, mut shutdown: watch::Receiver<bool>) -> Result<String, SimError> {
    let map: Clusters = Arc::new(clusters.into_iter().map(|(c, url)| (c.spec.name.clone(), (c, url))).collect());
    let app = Router::new()
        .route("/clusters", get(list))
        .route("/clusters/{name}/fault", post(fault))
        .route("/clusters/{name}/nodes", post(nodes))
        .route("/clusters/{name}/burst", post(burst))
        .with_state(map);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = shutdown.wait_for(|s| *s).await;
            })
            .await;
    });
    Ok(url)
}

/// Minimal HTTP/1.1 client for the `fault`/`nodes`/`burst` CLI subcommands: returns (status, body).
pub async fn post_json(base: &str, path: &str, body: &serde_json::Value) -> Result<(u16, String), SimError> {
    let hostport = base.trim_start_matches("http://").trim_end_matches('/');
    let mut s = tokio::net::TcpStream::connect(hostport).await?;
    let b = body.to_string();
    let req = format!("POST {path} HTTP/1.1\r\nHost: {hostport}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{b}", b.len());
    s.write_all(req.as_bytes()).await?;
    let mut out = String::new();
    s.read_to_string(&mut out).await?;
    let status = out.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default();
    Ok((status, body))
}
