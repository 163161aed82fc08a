//! kubectl journey: get nodes, apply -f (client-side and server-side), get pods -w, cordon and
//! taint a node (simulator only), delete -f — against the simulator, or the cluster named by
//! FLOTILLA_TEST_KUBECONFIG / FLOTILLA_TEST_CONTEXT. Needs `kubectl` on PATH (Debian package
//! `kubernetes-client`, or any kubectl): without it the test fails, unless FLOTILLA_SKIP_KUBECTL=1
//! says to skip it. Waiting for Running pods needs a container runtime (FLOTILLA_TEST_NO_RUNTIME=1
//! skips the journey on a real cluster without one).

#[path = "support/harness.rs"]
mod harness;

use std::process::Stdio;
use std::time::Duration;

use harness::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn kubectl_on_path() -> bool {
    std::env::var_os("PATH").map(|p| std::env::split_paths(&p).any(|d| d.join("kubectl").is_file())).unwrap_or(false)
}

struct Kubectl {
    kubeconfig: String,
    context: Option<String>,
}

impl Kubectl {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("kubectl");
        c.arg("--kubeconfig").arg(&self.kubeconfig);
        if let Some(ctx) = &self.context {
            c.arg("--context").arg(ctx);
        }
        c.args(args).stdin(Stdio::null()).kill_on_drop(true);
        c
    }

    async fn run(&self, args: &[&str]) -> String {
        let out = tokio::time::timeout(LONG, self.cmd(args).output()).await.expect("kubectl timed out").unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "kubectl {args:?} failed: {}{}", stdout, String::from_utf8_lossy(&out.stderr));
        stdout
    }
}

const MANIFEST: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: journey
spec:
  replicas: 2
  selector:
    matchLabels: {app: journey}
  template:
    metadata:
      labels: {app: journey}
    spec:
      containers:
        - name: main
          image: registry.k8s.io/pause:3.9
          resources:
            requests: {cpu: 50m, memory: 32Mi}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: journey-config
data:
  greeting: hello
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_journey() {
    if !kubectl_on_path() {
        if std::env::var("FLOTILLA_SKIP_KUBECTL").is_ok_and(|v| v == "1") {
            eprintln!("skipped: kubectl is not on PATH and FLOTILLA_SKIP_KUBECTL=1");
            return;
        }
        panic!(
            "kubectl is not on PATH: install it (Debian/Ubuntu: `apt-get install kubernetes-client`, \
             or any kubectl binary on PATH), or set FLOTILLA_SKIP_KUBECTL=1 to skip this test"
        );
    }
    let e = env("kubectl").await;
    if skip_without_runtime(&e) {
        return;
    }
    let dir = std::env::temp_dir().join(format!("flotilla-kubectl-{}-{}", std::process::id(), e.ns));
    std::fs::create_dir_all(&dir).unwrap();
    let k = match (&e.sim, external()) {
        (Some(fleet), _) => {
            let path = dir.join("kubeconfig");
            fleet.write_kubeconfig(&path).unwrap();
            Kubectl { kubeconfig: path.display().to_string(), context: Some("conformance".into()) }
        }
        (None, Some((path, ctx))) => Kubectl { kubeconfig: path, context: ctx },
        (None, None) => unreachable!(),
    };
    let manifest = dir.join("journey.yaml");
    std::fs::write(&manifest, MANIFEST).unwrap();
    let m = manifest.display().to_string();
    let ns = e.ns.clone();

    let nodes = k.run(&["get", "nodes", "-o", "name"]).await;
    assert!(nodes.lines().count() >= 1 && nodes.lines().all(|l| l.starts_with("node/")), "{nodes}");
    if e.is_sim() {
        assert_eq!(nodes.lines().count(), 3);
    }

    let out = k.run(&["apply", "--validate=false", "-n", &ns, "-f", &m]).await;
    assert!(out.contains("deployment.apps/journey created") && out.contains("configmap/journey-config created"), "{out}");
    let out = k.run(&["apply", "--server-side", "--validate=false", "-n", &ns, "-f", &m]).await;
    assert!(out.contains("serverside-applied"), "{out}");

    // get pods -w: see both journey pods show up (then stop watching).
    let mut watch = k.cmd(&["get", "pods", "-n", &ns, "-l", "app=journey", "-w", "-o", "name"]).stdout(Stdio::piped()).spawn().unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let mut seen = std::collections::BTreeSet::new();
    tokio::time::timeout(LONG, async {
        while seen.len() < 2 {
            match lines.next_line().await.unwrap() {
                Some(l) if l.starts_with("pod/journey-") => {
                    seen.insert(l);
                }
                Some(_) => {}
                None => panic!("kubectl get -w ended early"),
            }
        }
    })
    .await
    .expect("kubectl get pods -w shows the pods");
    let _ = watch.start_kill();
    let _ = watch.wait().await;

    let running = eventually(LONG, "pods Running per kubectl", || async {
        let out = k.cmd(&["get", "pods", "-n", &ns, "-l", "app=journey", "-o", "jsonpath={.items[*].status.phase}"]).output().await.ok()?;
        let s = String::from_utf8_lossy(&out.stdout).into_owned();
        (s.split_whitespace().filter(|p| *p == "Running").count() == 2).then_some(s)
    })
    .await;
    assert_eq!(running.split_whitespace().count(), 2);

    if e.is_sim() {
        let node = nodes.lines().next().unwrap().trim_start_matches("node/");
        cordon_and_taint(&k, node).await;
    }

    let out = k.run(&["delete", "-n", &ns, "-f", &m]).await;
    assert!(out.contains("deployment.apps \"journey\" deleted"), "{out}");
    eventually(Duration::from_secs(120), "pods gone after delete", || async {
        let out = k.cmd(&["get", "pods", "-n", &ns, "-l", "app=journey", "-o", "name"]).output().await.ok()?;
        out.stdout.is_empty().then_some(())
    })
    .await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// kubectl cordon/taint (strategic merge patches of the node spec) and their undoing, as kubectl
/// reports them and as the node then reads.
async fn cordon_and_taint(k: &Kubectl, node: &str) {
    let spec = |path: &'static str| {
        let node = node.to_string();
        async move {
            let jsonpath = format!("jsonpath={path}");
            k.run(&["get", "node", &node, "-o", &jsonpath]).await
        }
    };
    let out = k.run(&["cordon", node]).await;
    assert!(out.contains(&format!("node/{node} cordoned")), "{out}");
    assert_eq!(spec("{.spec.unschedulable}").await, "true");
    let out = k.run(&["taint", "nodes", node, "flotilla-test=yes:NoSchedule"]).await;
    assert!(out.contains(&format!("node/{node} tainted")), "{out}");
    assert_eq!(spec("{.spec.taints[*].key}={.spec.taints[*].value}:{.spec.taints[*].effect}").await, "flotilla-test=yes:NoSchedule");
    let out = k.run(&["taint", "nodes", node, "flotilla-test-"]).await;
    assert!(out.contains(&format!("node/{node} untainted")), "{out}");
    assert_eq!(spec("{.spec.taints}").await, "");
    let out = k.run(&["uncordon", node]).await;
    assert!(out.contains(&format!("node/{node} uncordoned")), "{out}");
    assert_eq!(spec("{.spec.unschedulable}").await, "");
}
