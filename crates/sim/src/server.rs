//! HTTPS serving of one cluster: TLS accept loop on 127.0.0.1 (closing and re-binding the same port
//! for the `unreachable` fault), bearer-token authentication (any token the cluster issued; the
//! request then carries its `authz::Subject` as an extension) and the slow/erroring fault layer.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_rustls::TlsAcceptor;

use crate::cluster::Cluster;
use crate::faults::FaultMode;
use crate::status::ApiError;

/// Token check and fault behaviour in front of every API route.
pub async fn guard(State(c): State<Arc<Cluster>>, mut req: Request, next: Next) -> Response {
    match c.faults.get() {
        (FaultMode::Slow, ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
        (FaultMode::Erroring, _) => {
            return ApiError::internal("simulated failure: the cluster is erroring (flotilla-sim fault injection)").into_response();
        }
        _ => {}
    }
    let path = req.uri().path();
    if !matches!(path, "/healthz" | "/livez" | "/readyz") {
        let subject = req.headers().get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer ")).and_then(|t| c.authenticate(t.trim()));
        match subject {
            Some(s) => {
                req.extensions_mut().insert(s);
            }
            None => return ApiError::unauthorized().into_response(),
        }
    }
    next.run(req).await
}

/// Binds 127.0.0.1:0 and serves `app` over TLS until shutdown; returns the port.
pub async fn spawn(cluster: Arc<Cluster>, app: Router, tls: Arc<rustls::ServerConfig>, shutdown: watch::Receiver<bool>) -> std::io::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(listen_loop(Some(listener), port, cluster, app, TlsAcceptor::from(tls), shutdown));
    Ok(port)
}

async fn rebind(port: u16) -> Option<TcpListener> {
    for _ in 0..100 {
        if let Ok(l) = TcpListener::bind(("127.0.0.1", port)).await {
            return Some(l);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

async fn listen_loop(mut listener: Option<TcpListener>, port: u16, cluster: Arc<Cluster>, app: Router, acceptor: TlsAcceptor, mut shutdown: watch::Receiver<bool>) {
    let mut reachable = cluster.faults.reachable();
    loop {
        // Unreachable: no listener at all (connection refused) until healed.
        while !*reachable.borrow_and_update() {
            listener = None;
            tokio::select! {
                r = reachable.changed() => if r.is_err() { return },
                _ = shutdown.changed() => return,
            }
        }
        let l = match listener.take() {
            Some(l) => l,
            None => match rebind(port).await {
                Some(l) => l,
                None => {
                    tracing::error!(cluster = %cluster.spec.name, port, "could not re-bind after unreachable fault");
                    return;
                }
            },
        };
        let (kill_tx, kill_rx) = watch::channel(false);
        loop {
            tokio::select! {
                acc = l.accept() => {
                    let Ok((tcp, _)) = acc else { continue };
                    let _ = tcp.set_nodelay(true);
                    tokio::spawn(serve_conn(tcp, acceptor.clone(), app.clone(), kill_rx.clone()));
                }
                r = reachable.changed() => {
                    if r.is_err() || !*reachable.borrow() {
                        kill_tx.send_replace(true);
                        break;
                    }
                }
                _ = shutdown.changed() => {
                    kill_tx.send_replace(true);
                    return;
                }
            }
        }
        drop(l);
    }
}

async fn serve_conn(tcp: tokio::net::TcpStream, acceptor: TlsAcceptor, app: Router, mut kill: watch::Receiver<bool>) {
    let tls = tokio::select! {
        r = acceptor.accept(tcp) => match r { Ok(s) => s, Err(_) => return },
        _ = kill.changed() => return,
    };
    let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(tls), TowerToHyperService::new(app));
    tokio::select! {
        _ = conn => {}
        _ = kill.changed() => {}
    }
}
