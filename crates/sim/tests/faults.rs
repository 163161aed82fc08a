//! Fault and change injection, observed through kube-rs: unreachable = connection refused (and the
//! same URL works again after healing), slow = client timeouts, erroring = 500 Status; plus the
//! admin endpoint driven by the `flotilla-sim fault|nodes|burst` CLI.

#[path = "support/harness.rs"]
mod harness;

use std::error::Error as _;
use std::process::Command;
use std::time::{Duration, Instant};

use flotilla_sim::{FaultMode, FleetSpec, SimOptions};
use harness::*;
use k8s_openapi::api::core::v1::Node;
use kube::Client;
use kube::api::{Api, ListParams};

fn is_connection_refused(e: &kube::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = e.source();
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return true;
        }
        cur = err.source();
    }
    format!("{e:?}").contains("Connection refused")
}

async fn sim_env(admin: bool) -> Option<(flotilla_sim::RunningFleet, kube::Config)> {
    if external().is_some() {
        eprintln!("skipped: simulator-specific fault test (FLOTILLA_TEST_KUBECONFIG is set)");
        return None;
    }
    let opts = SimOptions { admin, ..test_opts() };
    let fleet = flotilla_sim::start(FleetSpec::from_yaml(TEST_FLEET).unwrap(), opts).await.unwrap();
    let cfg = config_from_yaml(&fleet.kubeconfig_yaml(), "conformance").await;
    Some((fleet, cfg))
}

#[tokio::test]
async fn unreachable_refuses_connections_then_heals_on_the_same_url() {
    let Some((fleet, cfg)) = sim_env(false).await else {
        return;
    };
    let nodes: Api<Node> = Api::all(Client::try_from(cfg).unwrap());
    assert_eq!(nodes.list(&ListParams::default()).await.unwrap().items.len(), 3);
    let c = &fleet.clusters()[0];
    c.set_fault(FaultMode::Unreachable, None);
    eventually(LONG, "connection refused", || async {
        match nodes.list(&ListParams::default()).await {
            Err(e) if is_connection_refused(&e) => Some(()),
            _ => None,
        }
    })
    .await;
    c.set_fault(FaultMode::Healthy, None);
    eventually(LONG, "healed", || async { nodes.list(&ListParams::default()).await.ok().map(|_| ()) }).await;
}

#[tokio::test]
async fn slow_cluster_times_out_clients_with_short_deadlines() {
    let Some((fleet, mut cfg)) = sim_env(false).await else {
        return;
    };
    cfg.read_timeout = Some(Duration::from_millis(200));
    let impatient: Api<Node> = Api::all(Client::try_from(cfg.clone()).unwrap());
    cfg.read_timeout = None;
    let patient: Api<Node> = Api::all(Client::try_from(cfg).unwrap());
    fleet.clusters()[0].set_fault(FaultMode::Slow, Some(Duration::from_millis(800)));
    let t = Instant::now();
    let err = impatient.list(&ListParams::default()).await.unwrap_err();
    assert!(!matches!(err, kube::Error::Api(_)), "timeout, not an API error: {err:?}");
    assert!(t.elapsed() < Duration::from_millis(790), "gave up before the latency elapsed");
    let t = Instant::now();
    patient.list(&ListParams::default()).await.unwrap();
    assert!(t.elapsed() >= Duration::from_millis(800), "slow adds latency");
}

#[tokio::test]
async fn erroring_answers_500_status() {
    let Some((fleet, cfg)) = sim_env(false).await else {
        return;
    };
    let nodes: Api<Node> = Api::all(Client::try_from(cfg).unwrap());
    fleet.clusters()[0].set_fault(FaultMode::Erroring, None);
    let st = status_of(nodes.list(&ListParams::default()).await.unwrap_err());
    assert_eq!((st.code, st.reason.as_str()), (500, "InternalError"));
    fleet.clusters()[0].set_fault(FaultMode::Healthy, None);
    nodes.list(&ListParams::default()).await.unwrap();
}

/// Runs `flotilla-sim <command> --admin <admin> --cluster <cluster> <rest…>` off the async runtime.
async fn cli(command: &str, admin: &str, cluster: &str, rest: &[&str]) -> (bool, String) {
    let mut args = vec![command.to_owned(), "--admin".into(), admin.to_owned(), "--cluster".into(), cluster.to_owned()];
    args.extend(rest.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        let out = Command::new(env!("CARGO_BIN_EXE_flotilla-sim")).args(&args).output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
    })
    .await
    .unwrap()
}

async fn node_count(nodes: &Api<Node>) -> usize {
    nodes.list(&ListParams::default()).await.unwrap().items.len()
}

#[tokio::test]
async fn admin_endpoint_via_cli() {
    let Some((fleet, cfg)) = sim_env(true).await else {
        return;
    };
    let admin = fleet.admin_url().unwrap().to_string();
    let nodes: Api<Node> = Api::all(Client::try_from(cfg).unwrap());

    let (ok, out) = cli("fault", &admin, "conformance", &["--mode", "erroring"]).await;
    assert!(ok, "{out}");
    assert!(out.contains("\"fault\":\"erroring\""), "{out}");
    assert_eq!(status_of(nodes.list(&ListParams::default()).await.unwrap_err()).code, 500);

    let (ok, out) = cli("fault", &admin, "conformance", &["--mode", "healthy"]).await;
    assert!(ok, "{out}");
    let (ok, out) = cli("nodes", &admin, "conformance", &["--add", "2"]).await;
    assert!(ok, "{out}");
    assert_eq!(node_count(&nodes).await, 5);

    let (ok, out) = cli("nodes", &admin, "conformance", &["--remove", "1"]).await;
    assert!(ok, "{out}");
    assert_eq!(node_count(&nodes).await, 4);

    let (ok, out) = cli("burst", &admin, "conformance", &["--factor", "1.5", "--seconds", "60"]).await;
    assert!(ok && out.contains("1.5"), "{out}");
    let (ok, _) = cli("fault", &admin, "nope", &["--mode", "slow"]).await;
    assert!(!ok, "unknown cluster is an error");
}
