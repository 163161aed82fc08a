//! Conformance, ResourceQuota half: what kube-apiserver's quota admission refuses (403 Forbidden
//! with its `exceeded quota` / `failed quota` messages) and what the quota controller reports in
//! `status.used`, for compute keys (requests.*, limits.*, the bare cpu/memory/ephemeral-storage
//! aliases, extended resources), object counts, and the pod resource rule behind them.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, LimitRange, Pod, ResourceQuota, Service};
use kube::api::{Api, ListParams, PostParams};
use serde_json::{Value, json};

use super::harness::*;
use super::{cm, deployment};
use crate::sim_only;

/// Creates ResourceQuota `name` with `hard` and waits until its status carries every hard key.
async fn quota(e: &Env, name: &str, hard: Value) -> Api<ResourceQuota> {
    let quotas: Api<ResourceQuota> = Api::namespaced(e.client.clone(), &e.ns);
    let q = serde_json::from_value(json!({"metadata": {"name": name}, "spec": {"hard": hard}})).unwrap();
    quotas.create(&PostParams::default(), &q).await.unwrap();
    let keys: Vec<String> = hard.as_object().unwrap().keys().cloned().collect();
    eventually(LONG, "quota status.used for every hard key", || async {
        let used = quotas.get(name).await.ok()?.status?.used?;
        keys.iter().all(|k| used.contains_key(k)).then_some(())
    })
    .await;
    quotas
}

/// Waits until the quota's `status.used` equals `want` for the keys `want` names.
async fn wait_used(quotas: &Api<ResourceQuota>, name: &str, want: &[(&str, &str)]) {
    let want: BTreeMap<String, String> = want.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut last = BTreeMap::new();
    let ok = tokio::time::timeout(LONG, async {
        loop {
            if let Some(used) = quotas.get(name).await.ok().and_then(|q| q.status?.used) {
                last = used.into_iter().map(|(k, v)| (k, v.0)).collect();
                if want.iter().all(|(k, v)| last.get(k) == Some(v)) {
                    return;
                }
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(ok.is_ok(), "status.used of {name}: want {want:?}, have {last:?}");
}

/// A pod (pause image) from a list of (container name, resources) and init containers.
fn pod_of(name: &str, containers: &[(&str, Value)], init: &[(&str, Value)]) -> Pod {
    let cs = |l: &[(&str, Value)]| -> Vec<Value> { l.iter().map(|(n, r)| json!({"name": n, "image": "registry.k8s.io/pause:3.9", "resources": r})).collect() };
    let mut spec = json!({"containers": cs(containers)});
    if !init.is_empty() {
        spec["initContainers"] = json!(cs(init));
    }
    serde_json::from_value(json!({"metadata": {"name": name}, "spec": spec})).unwrap()
}

/// The 403 a create is refused with: (code, reason, message).
fn refused<T: std::fmt::Debug>(r: kube::Result<T>) -> (u16, String, String) {
    let st = status_of(r.unwrap_err());
    (st.code, st.reason, st.message)
}

fn forbidden(msg: &str) -> (u16, String, String) {
    (403, "Forbidden".into(), msg.into())
}

#[tokio::test]
async fn quota_rejects_over_quota_pod() {
    let e = env("quota").await;
    let quotas = quota(&e, "compute", json!({"requests.cpu": "1", "pods": "10"})).await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    pods.create(&PostParams::default(), &pod("p1", "600m", json!({}))).await.unwrap();
    assert_eq!(
        refused(pods.create(&PostParams::default(), &pod("p2", "600m", json!({}))).await),
        forbidden("pods \"p2\" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1")
    );
    wait_used(&quotas, "compute", &[("requests.cpu", "600m"), ("pods", "1")]).await;
}

#[tokio::test]
async fn quota_counts_extended_resources_from_limits() {
    let e = env("quota-gpu").await;
    let quotas = quota(&e, "gpus", json!({"requests.nvidia.com/gpu": "2"})).await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    // Only a limit: the request is defaulted to it, and that is what quota counts.
    let g1 = pods.create(&PostParams::default(), &pod_of("g1", &[("main", json!({"limits": {"nvidia.com/gpu": "2"}}))], &[])).await.unwrap();
    let req = g1.spec.unwrap().containers[0].resources.clone().unwrap().requests.unwrap();
    assert_eq!(req["nvidia.com/gpu"].0, "2");
    wait_used(&quotas, "gpus", &[("requests.nvidia.com/gpu", "2")]).await;
    let g2 = pod_of("g2", &[("main", json!({"limits": {"nvidia.com/gpu": "1"}, "requests": {"nvidia.com/gpu": "1"}}))], &[]);
    assert_eq!(
        refused(pods.create(&PostParams::default(), &g2).await),
        forbidden("pods \"g2\" is forbidden: exceeded quota: gpus, requested: requests.nvidia.com/gpu=1, used: requests.nvidia.com/gpu=2, limited: requests.nvidia.com/gpu=2")
    );
    // A pod without GPUs is not this quota's business.
    pods.create(&PostParams::default(), &pod("plain", "100m", json!({}))).await.unwrap();
}

#[tokio::test]
async fn quota_on_limits_needs_every_container_to_give_them() {
    let e = env("quota-limits").await;
    let quotas = quota(&e, "lim", json!({"limits.cpu": "2", "limits.memory": "1Gi"})).await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    let none = pod_of("none", &[("b", json!({"requests": {"cpu": "100m"}})), ("a", json!({}))], &[]);
    assert_eq!(refused(pods.create(&PostParams::default(), &none).await), forbidden("pods \"none\" is forbidden: failed quota: lim: must specify limits.cpu for: a,b; limits.memory for: a,b"));
    // Init containers must give them too; one missing resource reads the same way.
    let partial = pod_of("partial", &[("a", json!({"limits": {"cpu": "100m", "memory": "64Mi"}}))], &[("setup", json!({"limits": {"cpu": "100m"}}))]);
    assert_eq!(refused(pods.create(&PostParams::default(), &partial).await), forbidden("pods \"partial\" is forbidden: failed quota: lim: must specify limits.memory for: setup"));
    // LimitRange defaults fill the limits in, after which the pod is counted.
    let lrs: Api<LimitRange> = Api::namespaced(e.client.clone(), &e.ns);
    let lr = serde_json::from_value(json!({"metadata": {"name": "defaults"}, "spec": {"limits": [
        {"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"}}]}}))
    .unwrap();
    lrs.create(&PostParams::default(), &lr).await.unwrap();
    pods.create(&PostParams::default(), &pod_of("defaulted", &[("a", json!({}))], &[])).await.unwrap();
    wait_used(&quotas, "lim", &[("limits.cpu", "500m"), ("limits.memory", "256Mi")]).await;
    let big = pod_of("big", &[("a", json!({"limits": {"cpu": "2"}}))], &[]);
    assert_eq!(
        refused(pods.create(&PostParams::default(), &big).await),
        forbidden("pods \"big\" is forbidden: exceeded quota: lim, requested: limits.cpu=2, used: limits.cpu=500m, limited: limits.cpu=2")
    );
}

#[tokio::test]
async fn requests_come_from_limits_before_limit_range_defaults() {
    let e = env("quota-order").await;
    let lrs: Api<LimitRange> = Api::namespaced(e.client.clone(), &e.ns);
    let lr = serde_json::from_value(json!({"metadata": {"name": "defaults"}, "spec": {"limits": [
        {"type": "Container", "default": {"cpu": "1"}, "defaultRequest": {"cpu": "100m"}}]}}))
    .unwrap();
    lrs.create(&PostParams::default(), &lr).await.unwrap();
    let quotas = quota(&e, "req", json!({"requests.cpu": "1"})).await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    let p1 = pods.create(&PostParams::default(), &pod_of("p1", &[("main", json!({"limits": {"cpu": "800m"}}))], &[])).await.unwrap();
    let r = p1.spec.unwrap().containers[0].resources.clone().unwrap();
    assert_eq!(r.requests.unwrap()["cpu"].0, "800m", "request from the limit, not the LimitRange");
    wait_used(&quotas, "req", &[("requests.cpu", "800m")]).await;
    let p2 = pod_of("p2", &[("main", json!({"limits": {"cpu": "300m"}}))], &[]);
    assert_eq!(
        refused(pods.create(&PostParams::default(), &p2).await),
        forbidden("pods \"p2\" is forbidden: exceeded quota: req, requested: requests.cpu=300m, used: requests.cpu=800m, limited: requests.cpu=1")
    );
    // Nothing given at all: the LimitRange's defaultRequest applies.
    pods.create(&PostParams::default(), &pod_of("p3", &[("main", json!({}))], &[])).await.unwrap();
    wait_used(&quotas, "req", &[("requests.cpu", "900m")]).await;
}

#[tokio::test]
async fn init_containers_count_as_their_peak_not_their_sum() {
    let e = env("quota-init").await;
    let quotas = quota(&e, "req", json!({"requests.cpu": "2", "requests.memory": "1Gi"})).await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    // App containers 500m + 250m, init containers 1500m and 200m: the pod needs max(750m, 1500m);
    // memory: app 128Mi, init 512Mi -> 512Mi.
    let p1 = pod_of(
        "p1",
        &[("a", json!({"requests": {"cpu": "500m", "memory": "64Mi"}})), ("b", json!({"requests": {"cpu": "250m", "memory": "64Mi"}}))],
        &[("setup", json!({"requests": {"cpu": "1500m", "memory": "512Mi"}})), ("migrate", json!({"requests": {"cpu": "200m", "memory": "32Mi"}}))],
    );
    pods.create(&PostParams::default(), &p1).await.unwrap();
    wait_used(&quotas, "req", &[("requests.cpu", "1500m"), ("requests.memory", "512Mi")]).await;
    let p2 = pod_of("p2", &[("a", json!({"requests": {"cpu": "600m", "memory": "64Mi"}}))], &[]);
    assert_eq!(
        refused(pods.create(&PostParams::default(), &p2).await),
        forbidden("pods \"p2\" is forbidden: exceeded quota: req, requested: requests.cpu=600m, used: requests.cpu=1500m, limited: requests.cpu=2")
    );
}

#[tokio::test]
async fn scheduler_fits_pods_by_the_same_init_container_rule() {
    let e = env("sched-init").await;
    sim_only!(e);
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    // Nodes have 4 cpu: 3 cpu of app containers plus a 3.5 cpu init container fit (peak 3.5),
    // an init container of 4.5 cpu does not.
    let app = [("a", json!({"requests": {"cpu": "1500m"}})), ("b", json!({"requests": {"cpu": "1500m"}}))];
    let fits = pod_of("fits", &app, &[("setup", json!({"requests": {"cpu": "3500m"}}))]);
    let too_big = pod_of("too-big", &app, &[("setup", json!({"requests": {"cpu": "4500m"}}))]);
    pods.create(&PostParams::default(), &fits).await.unwrap();
    pods.create(&PostParams::default(), &too_big).await.unwrap();
    eventually(LONG, "fits is bound", || async { pods.get("fits").await.ok()?.spec?.node_name.map(|_| ()) }).await;
    let msg = eventually(LONG, "too-big is Unschedulable", || async {
        let c = pods.get("too-big").await.ok()?.status?.conditions?.into_iter().find(|c| c.type_ == "PodScheduled" && c.status == "False")?;
        c.message
    })
    .await;
    assert!(msg.starts_with("0/3 nodes are available: 3 Insufficient cpu."), "{msg}");
}

#[tokio::test]
async fn quota_aliases_and_ephemeral_storage() {
    let e = env("quota-alias").await;
    let quotas = quota(&e, "alias", json!({"cpu": "1", "memory": "1Gi", "ephemeral-storage": "1Gi", "limits.ephemeral-storage": "2Gi"})).await;
    wait_used(&quotas, "alias", &[("cpu", "0"), ("memory", "0"), ("ephemeral-storage", "0"), ("limits.ephemeral-storage", "0")]).await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    let res = |cpu: &str, mem: &str, eph: &str| {
        json!({"requests": {"cpu": cpu, "memory": mem, "ephemeral-storage": eph},
               "limits": {"ephemeral-storage": "1Gi"}})
    };
    pods.create(&PostParams::default(), &pod_of("e1", &[("a", res("600m", "512Mi", "512Mi"))], &[])).await.unwrap();
    wait_used(&quotas, "alias", &[("cpu", "600m"), ("memory", "512Mi"), ("ephemeral-storage", "512Mi"), ("limits.ephemeral-storage", "1Gi")]).await;
    assert_eq!(
        refused(pods.create(&PostParams::default(), &pod_of("e2", &[("a", res("600m", "512Mi", "512Mi"))], &[])).await),
        forbidden("pods \"e2\" is forbidden: exceeded quota: alias, requested: cpu=600m, used: cpu=600m, limited: cpu=1")
    );
    assert_eq!(
        refused(pods.create(&PostParams::default(), &pod_of("e3", &[("a", res("100m", "64Mi", "600Mi"))], &[])).await),
        forbidden("pods \"e3\" is forbidden: exceeded quota: alias, requested: ephemeral-storage=600Mi, used: ephemeral-storage=512Mi, limited: ephemeral-storage=1Gi")
    );
    // Ephemeral storage is counted but, unlike cpu and memory, not required of every container.
    pods.create(&PostParams::default(), &pod_of("e4", &[("a", json!({"requests": {"cpu": "100m", "memory": "64Mi"}}))], &[])).await.unwrap();
    wait_used(&quotas, "alias", &[("cpu", "700m"), ("ephemeral-storage", "512Mi")]).await;
}

#[tokio::test]
async fn object_count_quota_refuses_creates() {
    let e = env("quota-count").await;
    let cms: Api<ConfigMap> = Api::namespaced(e.client.clone(), &e.ns);
    // A real cluster's root-ca-cert-publisher puts kube-root-ca.crt into every new namespace,
    // shortly after it is created: wait for it before counting, or it takes the quota's room.
    if !e.is_sim() {
        eventually(LONG, "kube-root-ca.crt published", || async { cms.get_opt("kube-root-ca.crt").await.unwrap().map(|_| ()) }).await;
    }
    let cm0 = cms.list(&ListParams::default()).await.unwrap().items.len();
    let quotas = quota(
        &e,
        "objects",
        json!({"count/deployments.apps": "1", "services": "1", "count/services": "5",
               "configmaps": (cm0 + 1).to_string(), "count/pods": "10"}),
    )
    .await;
    let deploys: Api<Deployment> = Api::namespaced(e.client.clone(), &e.ns);
    let d = |n: &str| serde_json::from_value::<Deployment>(deployment(n, 0, "registry.k8s.io/pause:3.9")).unwrap();
    deploys.create(&PostParams::default(), &d("d1")).await.unwrap();
    assert_eq!(
        refused(deploys.create(&PostParams::default(), &d("d2")).await),
        forbidden("deployments.apps \"d2\" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1")
    );
    let svcs: Api<Service> = Api::namespaced(e.client.clone(), &e.ns);
    let s = |n: &str| {
        serde_json::from_value::<Service>(json!({"metadata": {"name": n},
            "spec": {"selector": {"app": n}, "ports": [{"port": 80}]}}))
        .unwrap()
    };
    svcs.create(&PostParams::default(), &s("s1")).await.unwrap();
    assert_eq!(
        refused(svcs.create(&PostParams::default(), &s("s2")).await),
        forbidden("services \"s2\" is forbidden: exceeded quota: objects, requested: services=1, used: services=1, limited: services=1")
    );
    cms.create(&PostParams::default(), &cm("c1", json!({}), json!({}))).await.unwrap();
    assert_eq!(
        refused(cms.create(&PostParams::default(), &cm("c2", json!({}), json!({}))).await),
        forbidden(&format!("configmaps \"c2\" is forbidden: exceeded quota: objects, requested: configmaps=1, used: configmaps={n}, limited: configmaps={n}", n = cm0 + 1))
    );
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    pods.create(&PostParams::default(), &pod("p1", "100m", json!({}))).await.unwrap();
    wait_used(&quotas, "objects", &[("count/deployments.apps", "1"), ("services", "1"), ("count/services", "1"), ("configmaps", &(cm0 + 1).to_string()), ("count/pods", "1")]).await;
}
