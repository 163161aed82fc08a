//! Shared test harness: starts an in-process simulator (or uses `FLOTILLA_TEST_KUBECONFIG`
//! [+ `FLOTILLA_TEST_CONTEXT`] to run against a real cluster) and builds a kube-rs client from
//! the generated kubeconfig (real TLS + bearer token). On a real cluster each [`Env`] deletes its
//! `conf-*` namespace when dropped (a test that panics included), so the cluster is left as found.
//! `FLOTILLA_TEST_NO_RUNTIME=1` says the real cluster's pods never start (no container runtime):
//! tests that need Running pods then skip (see [`skip_without_runtime`]).
#![allow(dead_code)]

use std::future::Future;
use std::time::{Duration, Instant};

use flotilla_sim::{FleetSpec, RunningFleet, SimOptions};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// A small fleet with known capacity: 3 nodes × (4 cpu, 8Gi, 20 pods), two priority classes.
pub const TEST_FLEET: &str = r#"
clusters:
  - name: conformance
    provider: kind
    region: local
    nodePools:
      - { name: pool, instanceType: sim.large, count: 3, cpu: "4", memory: 8Gi, pods: 20 }
    priorityClasses:
      - { name: low, value: 100 }
      - { name: high, value: 1000 }
"#;

pub struct Env {
    pub client: Client,
    pub config: Config,
    /// None when running against a real cluster.
    pub sim: Option<RunningFleet>,
    pub ns: String,
}

impl Drop for Env {
    /// Deletes the test namespace on a real cluster (and with it everything the test made in it;
    /// a simulator goes away whole, and it serves on the test's runtime, which a destructor must
    /// not wait on). Runs on its own thread and runtime, with a client built there from `config`:
    /// a kube Client is tied to the runtime it was built on.
    fn drop(&mut self) {
        if self.is_sim() {
            return;
        }
        let (config, ns) = (self.config.clone(), self.ns.clone());
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
                return;
            };
            rt.block_on(async move {
                let Ok(client) = Client::try_from(config) else {
                    return;
                };
                let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client);
                let params = kube::api::DeleteParams::default();
                let delete = api.delete(&ns, &params);
                // Already gone (the test deleted it) or unreachable: nothing more to do.
                let _ = tokio::time::timeout(Duration::from_secs(30), delete).await;
            });
        });
        let _ = cleanup.join();
    }
}

impl Env {
    pub fn is_sim(&self) -> bool {
        self.sim.is_some()
    }

    pub fn sim(&self) -> &flotilla_sim::ClusterHandle {
        &self.sim.as_ref().expect("simulator").clusters()[0]
    }
}

pub fn test_opts() -> SimOptions {
    SimOptions { pod_start_delay: Duration::from_millis(100), bookmark_interval: Duration::from_secs(60), ..SimOptions::default() }
}

/// Whether a test that needs pods to start (a container runtime, images pulled) should skip: only
/// against a real cluster whose pods never start, which `FLOTILLA_TEST_NO_RUNTIME=1` declares.
pub fn skip_without_runtime(e: &Env) -> bool {
    let no_runtime = std::env::var("FLOTILLA_TEST_NO_RUNTIME").is_ok_and(|v| v == "1");
    if !e.is_sim() && no_runtime {
        eprintln!("skipped: needs pods that start, and FLOTILLA_TEST_NO_RUNTIME=1 says they never do");
        return true;
    }
    false
}

/// The real cluster's kubeconfig, if the environment asks for one.
pub fn external() -> Option<(String, Option<String>)> {
    flotilla_sim::testing::external_from_env()
}

pub async fn config_from_yaml(yaml: &str, context: &str) -> Config {
    let kc = Kubeconfig::from_yaml(yaml).expect("kubeconfig parses");
    let opts = KubeConfigOptions { context: Some(context.to_string()), ..Default::default() };
    Config::from_custom_kubeconfig(kc, &opts).await.expect("config from kubeconfig")
}

/// Starts an environment; `tag` names the test namespace (created fresh).
pub async fn env(tag: &str) -> Env {
    env_with(tag, test_opts()).await
}

pub async fn env_with(tag: &str, opts: SimOptions) -> Env {
    let (config, sim) = match external() {
        Some((path, ctx)) => {
            let kc = Kubeconfig::read_from(&path).expect("FLOTILLA_TEST_KUBECONFIG readable");
            let o = KubeConfigOptions { context: ctx, ..Default::default() };
            (Config::from_custom_kubeconfig(kc, &o).await.expect("config"), None)
        }
        None => {
            let fleet = flotilla_sim::start(FleetSpec::from_yaml(TEST_FLEET).unwrap(), opts).await.expect("sim starts");
            let cfg = config_from_yaml(&fleet.kubeconfig_yaml(), "conformance").await;
            (cfg, Some(fleet))
        }
    };
    let client = Client::try_from(config.clone()).expect("client");
    let ns = format!("conf-{tag}-{}", rand_suffix());
    let api: kube::Api<k8s_openapi::api::core::v1::Namespace> = kube::Api::all(client.clone());
    let nso = serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).unwrap();
    api.create(&Default::default(), &nso).await.expect("create test namespace");
    Env { client, config, sim, ns }
}

fn rand_suffix() -> String {
    let n = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{:x}", n ^ std::process::id())
}

/// Polls `f` every 50 ms until it returns Some, panicking with `what` after `timeout`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {timeout:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Status of a failed API call.
pub fn status_of(e: kube::Error) -> Box<kube::core::Status> {
    match e {
        kube::Error::Api(s) => s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A Running-capable pod (pause image) with the given cpu request.
pub fn pod(name: &str, cpu: &str, labels: serde_json::Value) -> k8s_openapi::api::core::v1::Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": labels},
        "spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.9",
                                 "resources": {"requests": {"cpu": cpu, "memory": "64Mi"}}}]}
    }))
    .unwrap()
}

pub const LONG: Duration = Duration::from_secs(60);
