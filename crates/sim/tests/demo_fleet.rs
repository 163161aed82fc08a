//! The demo fleet tells its story (hot tokyo, idle osaka, broken image on onprem-dev, a GPU job that
//! cannot fit), and the `flotilla-sim` binary prints its ready line and a usable kubeconfig.

#[path = "support/harness.rs"]
mod harness;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use harness::*;
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

fn cpu_of(p: &Pod) -> f64 {
    p.spec
        .as_ref()
        .unwrap()
        .containers
        .iter()
        .map(|c| {
            let q = c.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("cpu")).map(|q| q.0.clone());
            flotilla_sim::quantity::parse(&q.unwrap_or_default()).unwrap_or(0.0)
        })
        .sum()
}

async fn settled_pods(client: &Client, expect: usize) -> Vec<Pod> {
    let pods: Api<Pod> = Api::all(client.clone());
    eventually(LONG, "demo pods created and settled", || async {
        let l = pods.list(&ListParams::default()).await.ok()?;
        let settled = l.items.iter().all(|p| {
            let phase = p.status.as_ref().and_then(|s| s.phase.as_deref());
            let waiting = p.status.as_ref().and_then(|s| s.container_statuses.as_ref()).and_then(|cs| cs[0].state.as_ref()?.waiting.as_ref()?.reason.clone());
            let unschedulable = p.spec.as_ref().unwrap().node_name.is_none();
            phase == Some("Running") || waiting.as_deref() == Some("ImagePullBackOff") || unschedulable
        });
        (l.items.len() == expect && settled).then_some(l.items)
    })
    .await
}

#[tokio::test]
async fn demo_fleet_settles_into_its_story() {
    if external().is_some() {
        eprintln!("skipped: simulator-specific test (FLOTILLA_TEST_KUBECONFIG is set)");
        return;
    }
    let opts = flotilla_sim::SimOptions { pod_start_delay: Duration::from_millis(50), ..Default::default() };
    let fleet = flotilla_sim::start(flotilla_sim::FleetSpec::demo(), opts).await.unwrap();
    let kc = fleet.kubeconfig_yaml();

    let tokyo = Client::try_from(config_from_yaml(&kc, "tokyo-prod").await).unwrap();
    let nodes = Api::<Node>::all(tokyo.clone()).list(&ListParams::default()).await.unwrap();
    assert_eq!(nodes.items.len(), 12);
    let labels = nodes.items[0].metadata.labels.clone().unwrap();
    assert_eq!(labels["node.kubernetes.io/instance-type"], "m5.xlarge");
    assert_eq!(labels["topology.kubernetes.io/region"], "ap-northeast-1");
    assert!(labels.contains_key("kubernetes.io/hostname"));
    let pods = settled_pods(&tokyo, 12 + 8 + 6 + 2 + 4 + 2).await;
    assert!(pods.iter().all(|p| p.status.as_ref().unwrap().phase.as_deref() == Some("Running")), "tokyo fits");
    let share = pods.iter().map(cpu_of).sum::<f64>() / 48.0;
    assert!((0.80..=0.90).contains(&share), "tokyo runs hot: {share}");

    let osaka = Client::try_from(config_from_yaml(&kc, "osaka-prod").await).unwrap();
    let pods = settled_pods(&osaka, 4 + 2 + 2 + 1 + 2).await;
    let share = pods.iter().map(cpu_of).sum::<f64>() / 64.0;
    assert!((0.15..=0.25).contains(&share), "osaka is mostly idle: {share}");
    // The demo's "Simulate a burst" runs the idle cluster at about 97 % of its CPU.
    let cpu_use = || async {
        let gvk = kube::api::GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "NodeMetrics");
        let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, "nodes");
        let nm: Api<kube::api::DynamicObject> = Api::all_with(osaka.clone(), &ar);
        let items = nm.list(&ListParams::default()).await.unwrap().items;
        items.iter().map(|n| flotilla_sim::quantity::parse(n.data["usage"]["cpu"].as_str().unwrap()).unwrap()).sum::<f64>() / 64.0
    };
    let before = cpu_use().await;
    let factor = fleet.cluster("osaka-prod").unwrap().burst_to(0.97, Duration::from_secs(60));
    let during = cpu_use().await;
    assert!(factor > 1.5, "{factor}");
    assert!(before < 0.5 && (0.93..=1.01).contains(&during), "burst to 97 %: {before} → {during}");

    let dev = Client::try_from(config_from_yaml(&kc, "onprem-dev").await).unwrap();
    let pods = settled_pods(&dev, 2 + 2 + 1 + 1 + 2).await;
    let canary = pod_named(&pods, "cache-canary-");
    assert_eq!(canary.status.as_ref().unwrap().phase.as_deref(), Some("Pending"));
    let cache = pods.iter().find(|p| p.metadata.labels.as_ref().unwrap()["app"] == "cache").unwrap();
    assert!(cpu_of(cache) > 0.0, "LimitRange defaulted the request");

    let gpu = Client::try_from(config_from_yaml(&kc, "gpu-ml").await).unwrap();
    let pods = settled_pods(&gpu, 3 + 1 + 1 + 2).await;
    let xl = pod_named(&pods, "trainer-xl-");
    let cond = xl.status.as_ref().unwrap().conditions.as_ref().unwrap().iter().find(|c| c.type_ == "PodScheduled").unwrap();
    let msg = cond.message.as_deref().unwrap_or_default();
    assert!(msg.starts_with("0/4 nodes are available: 4 Insufficient nvidia.com/gpu."), "{msg}");
    fleet.shutdown().await;
}

#[tokio::test]
async fn binary_prints_ready_line_and_writes_kubeconfig() {
    if external().is_some() {
        eprintln!("skipped: simulator-specific test (FLOTILLA_TEST_KUBECONFIG is set)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("flotilla-sim-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kc_path = dir.join("kubeconfig");
    let fleet_path = dir.join("fleet.yaml");
    std::fs::write(&fleet_path, TEST_FLEET).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_flotilla-sim"))
        .args(["--fleet", fleet_path.to_str().unwrap(), "--kubeconfig", kc_path.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let result = async {
        assert!(line.starts_with("flotilla-sim ready: kubeconfig="), "{line}");
        assert!(line.contains("clusters=conformance=https://127.0.0.1:"), "{line}");
        assert!(line.contains(" admin=http://127.0.0.1:"), "{line}");
        let kc = Kubeconfig::read_from(&kc_path).unwrap();
        assert_eq!(kc.current_context.as_deref(), Some("conformance"));
        let opts = KubeConfigOptions { context: Some("conformance".into()), ..Default::default() };
        let client = Client::try_from(Config::from_custom_kubeconfig(kc, &opts).await.unwrap()).unwrap();
        let nodes = Api::<Node>::all(client).list(&ListParams::default()).await.unwrap();
        assert_eq!(nodes.items.len(), 3);
    };
    let outcome = tokio::time::timeout(LONG, result).await;
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    outcome.expect("binary test finished in time");
}

/// The pod whose name starts with `prefix` (pods of a deployment carry generated suffixes).
fn pod_named<'a>(pods: &'a [Pod], prefix: &str) -> &'a Pod {
    pods.iter().find(|p| p.metadata.name.as_deref().is_some_and(|n| n.starts_with(prefix))).unwrap_or_else(|| panic!("no pod named {prefix}*"))
}
