//! Collector benchmark against a running fleet simulator (its own process, so this process holds
//! only the collector): registers every context of `BENCH_KUBECONFIG`, waits until every cluster
//! is listed, then reports RSS and freshness (pod created → in the collector's store) p50/p95.
//! Run by `scripts/bench-fleet`; numbers go in BENCHMARKS.md.
use flotilla_backend::{ClusterDetails, ClusterDirectory, Collector, CollectorSettings, Credentials, Database, NewCluster, SecretKey};
use flotilla_domain::{Dns1123Label, Provider};
use flotilla_sim::measure::{percentile, rss_mb};
use k8s_openapi::api::core::v1::Pod;
use std::time::{Duration, Instant};

#[tokio::main]
async fn main() {
    let path = std::env::var("BENCH_KUBECONFIG").expect("set BENCH_KUBECONFIG to the simulator's kubeconfig");
    let kubeconfig = std::fs::read_to_string(&path).expect("kubeconfig readable");
    let dir = tempfile::tempdir().unwrap();
    let db = Database::connect(&format!("sqlite://{}/bench.db", dir.path().display())).await.unwrap();
    db.migrate().await.unwrap();
    let directory = ClusterDirectory::new(db.clone(), SecretKey::generate());
    let contexts = flotilla_backend::kubeconn::contexts(&kubeconfig).unwrap();
    for context in &contexts {
        let creds = Credentials::from_kubeconfig(&kubeconfig, context).unwrap();
        let details = ClusterDetails {
            display_name: context.clone(),
            provider: Provider::Eks,
            region: "us-east-1".into(),
            environment: "bench".into(),
            labels: vec![],
            control_plane_price_per_hour: 0.1,
            location: None,
        };
        directory.register(NewCluster { name: Dns1123Label::parse(context).unwrap(), details }, Some(&creds)).await.unwrap();
    }
    let rss_idle = rss_mb();
    let collector = Collector::new(CollectorSettings { metrics_interval: Duration::from_secs(15), ..Default::default() });
    let t0 = Instant::now();
    collector.sync(&directory).await.unwrap();
    loop {
        let states = collector.states();
        if states.len() == contexts.len() && states.iter().all(|s| s.synced && s.metrics_live) {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(600), "the collector did not list every cluster");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let synced = t0.elapsed();
    let pods: usize = collector.states().iter().map(|s| s.derived.namespaces.iter().map(|n| n.pods as usize).sum::<usize>()).sum();
    let nodes: usize = collector.states().iter().map(|s| s.derived.nodes.len()).sum();
    tokio::time::sleep(Duration::from_secs(20)).await; // a metrics poll or more on top
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: glibc's malloc_trim only releases free heap pages back to the OS.
        unsafe { malloc_trim(0) };
    }
    let rss = rss_mb();

    // Freshness: create pods one at a time in the first cluster and time until the store has them.
    let first = &contexts[0];
    let client = Credentials::from_kubeconfig(&kubeconfig, first).unwrap().client(Duration::from_secs(5)).await.unwrap();
    let id = collector.states().iter().find(|s| s.summary.name == *first).unwrap().summary.id;
    let api: kube::Api<Pod> = kube::Api::namespaced(client, "bench");
    let mut lat = Vec::new();
    for i in 0..50 {
        let name = format!("fresh-{i}-{}", std::process::id());
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": { "name": name },
            "spec": { "containers": [{ "name": "c", "image": "registry.k8s.io/pause:3.9" }] }
        }))
        .unwrap();
        let t = Instant::now();
        api.create(&Default::default(), &pod).await.unwrap();
        while !collector.pods(id, None, Some(&["bench".to_owned()])).iter().any(|p| p.name == name) {
            tokio::time::sleep(Duration::from_millis(2)).await;
            assert!(t.elapsed() < Duration::from_secs(10), "pod {name} never arrived");
        }
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (p50, p95) = (percentile(&mut lat, 0.5), percentile(&mut lat, 0.95));
    println!("clusters {} · nodes {nodes} · pods {pods}", contexts.len());
    println!("first full list of every cluster: {:.1} s", synced.as_secs_f64());
    println!("RSS before collecting {rss_idle:.0} MB; with the whole fleet collected {rss:.0} MB");
    println!("freshness (create → in the store, incl. the create call) p50 {p50:.1} ms, p95 {p95:.1} ms");
    collector.shutdown();
}
