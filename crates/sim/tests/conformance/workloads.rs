//! Conformance, workload half: scheduling (Unschedulable, preemption), the
//! deployment controller, image pull failures, namespace cascade, metrics and logs.

use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Namespace, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::json;

use super::harness::*;
use super::{cm, deployment};
use crate::sim_only;

#[tokio::test]
async fn pod_that_fits_nowhere_is_unschedulable() {
    let e = env("unsched").await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    pods.create(&PostParams::default(), &pod("huge", "100000", json!({}))).await.unwrap();
    let msg = eventually(LONG, "PodScheduled=False", || async {
        let p = pods.get("huge").await.ok()?;
        let c = p.status?.conditions?.into_iter().find(|c| c.type_ == "PodScheduled")?;
        (c.status == "False" && c.reason.as_deref() == Some("Unschedulable")).then_some(c.message.unwrap_or_default())
    })
    .await;
    assert!(msg.contains("Insufficient cpu"), "{msg}");
    if e.is_sim() {
        // kube appends its preemption verdict; the node part is what kube-scheduler guarantees.
        assert!(msg.starts_with("0/3 nodes are available: 3 Insufficient cpu."), "{msg}");
        assert_eq!(pods.get("huge").await.unwrap().status.unwrap().phase.as_deref(), Some("Pending"));
    }
    let events: Api<Event> = Api::namespaced(e.client.clone(), &e.ns);
    eventually(LONG, "FailedScheduling event", || async {
        let l = events.list(&ListParams::default().fields("involvedObject.name=huge")).await.ok()?;
        l.items.iter().any(|ev| ev.reason.as_deref() == Some("FailedScheduling")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn higher_priority_pod_preempts() {
    let e = env("preempt").await;
    sim_only!(e);
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    let with_class = |mut p: Pod, class: &str| {
        p.spec.as_mut().unwrap().priority_class_name = Some(class.into());
        p
    };
    for i in 0..3 {
        pods.create(&PostParams::default(), &with_class(pod(&format!("low-{i}"), "3", json!({})), "low")).await.unwrap();
    }
    eventually(LONG, "low pods bound", || async {
        let l = pods.list(&ListParams::default()).await.ok()?;
        l.items.iter().all(|p| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some()).then_some(())
    })
    .await;
    pods.create(&PostParams::default(), &with_class(pod("high", "2", json!({})), "high")).await.unwrap();
    let node = eventually(LONG, "high pod bound", || async { pods.get("high").await.ok()?.spec?.node_name }).await;
    assert_eq!(pods.get("high").await.unwrap().spec.unwrap().priority, Some(1000));
    // A victim is terminating (kube: graceful deletion) or already gone: exactly one of them.
    let lows = eventually(LONG, "one low pod preempted", || async {
        let left = pods.list(&ListParams::default()).await.ok()?;
        let lows: Vec<Pod> = left.items.into_iter().filter(|p| p.metadata.name.as_deref().unwrap().starts_with("low")).filter(|p| p.metadata.deletion_timestamp.is_none()).collect();
        (lows.len() == 2).then_some(lows)
    })
    .await;
    assert!(lows.iter().all(|p| p.spec.as_ref().unwrap().node_name.as_deref() != Some(node.as_str())));
    let events: Api<Event> = Api::namespaced(e.client.clone(), &e.ns);
    let evs = events.list(&ListParams::default()).await.unwrap();
    assert!(evs.items.iter().any(|ev| ev.reason.as_deref() == Some("Preempted")));
}

/// Needs a container runtime (pods become Running and Ready).
#[tokio::test]
async fn deployment_rolls_out_pods_that_go_running() {
    let e = env("deploy").await;
    if skip_without_runtime(&e) {
        return;
    }
    let api: Api<Deployment> = Api::namespaced(e.client.clone(), &e.ns);
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    let d: Deployment = serde_json::from_value(deployment("app", 3, "registry.k8s.io/pause:3.9")).unwrap();
    api.create(&PostParams::default(), &d).await.unwrap();
    let ready = |want: i32, image: &'static str| {
        let (api, pods) = (api.clone(), pods.clone());
        async move {
            let d = api.get("app").await.ok()?;
            let st = d.status?;
            let ok = st.ready_replicas == Some(want) && st.updated_replicas == Some(want) && st.replicas == Some(want) && st.observed_generation == d.metadata.generation;
            let ps = pods.list(&ListParams::default().labels("app=app")).await.ok()?;
            let all_running = ps.items.len() == want as usize
                && ps.items.iter().all(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running") && p.spec.as_ref().unwrap().containers[0].image.as_deref() == Some(image));
            (ok && all_running).then_some(ps)
        }
    };
    let ps = eventually(LONG, "3 pods Running", || ready(3, "registry.k8s.io/pause:3.9")).await;
    for p in &ps.items {
        // `<deployment>-<pod-template-hash>-<5 random>`; the hash's length varies (kube encodes a
        // decimal 32-bit hash, up to 10 characters).
        let name = p.metadata.name.as_deref().unwrap();
        let parts: Vec<&str> = name.rsplitn(3, '-').collect();
        assert_eq!(parts.len(), 3, "{name}");
        let hash = p.metadata.labels.as_ref().unwrap()["pod-template-hash"].as_str();
        assert_eq!((parts[2], parts[1]), ("app", hash), "{name}");
        assert!((1..=10).contains(&hash.len()) && parts[0].len() == 5, "{name}");
        if e.is_sim() {
            assert_eq!(p.metadata.owner_references.as_ref().unwrap()[0].kind, "Deployment");
        }
    }
    let avail = api.get("app").await.unwrap().status.unwrap().conditions.unwrap();
    assert!(avail.iter().any(|c| c.type_.as_deref() == Some("Available") && c.status.as_deref() == Some("True")));

    // Template change replaces every pod.
    api.patch("app", &PatchParams::default(), &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10"}]}}}}))).await.unwrap();
    eventually(LONG, "rolled to new image", || ready(3, "registry.k8s.io/pause:3.10")).await;

    api.patch_scale("app", &PatchParams::default(), &Patch::Merge(json!({"spec": {"replicas": 1}}))).await.unwrap();
    eventually(LONG, "scaled to 1", || ready(1, "registry.k8s.io/pause:3.10")).await;

    api.delete("app", &DeleteParams::default()).await.unwrap();
    eventually(LONG, "pods removed with deployment", || async { pods.list(&ListParams::default().labels("app=app")).await.ok()?.items.is_empty().then_some(()) }).await;
}

/// Needs a container runtime (the kubelet tries to pull the image).
#[tokio::test]
async fn bad_image_tag_goes_image_pull_backoff() {
    let e = env("image").await;
    if skip_without_runtime(&e) {
        return;
    }
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    let mut p = pod("broken", "10m", json!({}));
    p.spec.as_mut().unwrap().containers[0].image = Some("registry.k8s.io/pause:does-not-exist".into());
    pods.create(&PostParams::default(), &p).await.unwrap();
    eventually(LONG, "ImagePullBackOff", || async {
        let st = pods.get("broken").await.ok()?.status?;
        let reason = st.container_statuses?[0].state.as_ref()?.waiting.as_ref()?.reason.clone()?;
        (reason == "ImagePullBackOff" && st.phase.as_deref() == Some("Pending")).then_some(())
    })
    .await;
}

#[tokio::test]
async fn namespace_delete_cascades() {
    let e = env("nsdel").await;
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    let cms: Api<ConfigMap> = Api::namespaced(e.client.clone(), &e.ns);
    pods.create(&PostParams::default(), &pod("p", "10m", json!({}))).await.unwrap();
    cms.create(&PostParams::default(), &cm("c", json!({}), json!({}))).await.unwrap();
    let nss: Api<Namespace> = Api::all(e.client.clone());
    nss.delete(&e.ns, &DeleteParams::default()).await.unwrap();
    eventually(Duration::from_secs(120), "namespace gone", || async { matches!(nss.get(&e.ns).await, Err(kube::Error::Api(s)) if s.code == 404).then_some(()) }).await;
    assert!(pods.list(&ListParams::default()).await.unwrap().items.is_empty());
    assert!(cms.list(&ListParams::default()).await.unwrap().items.iter().all(|c| c.metadata.name.as_deref() != Some("c")));
}

/// Simulator only (and it needs the pod Running, which the simulated kubelet provides).
#[tokio::test]
async fn metrics_and_logs_are_simulated() {
    let e = env("metrics").await;
    sim_only!(e);
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    pods.create(&PostParams::default(), &pod("m", "500m", json!({"app": "m"}))).await.unwrap();
    eventually(LONG, "pod running", || async { (pods.get("m").await.ok()?.status?.phase.as_deref() == Some("Running")).then_some(()) }).await;
    let gvk = kube::api::GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "PodMetrics");
    let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, "pods");
    let pm: Api<kube::api::DynamicObject> = Api::namespaced_with(e.client.clone(), &e.ns, &ar);
    let m = pm.get("m").await.unwrap();
    let cpu = m.data["containers"][0]["usage"]["cpu"].as_str().unwrap().to_string();
    assert!(cpu.ends_with('n'), "{cpu}");
    let gvk = kube::api::GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "NodeMetrics");
    let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, "nodes");
    let nm: Api<kube::api::DynamicObject> = Api::all_with(e.client.clone(), &ar);
    assert_eq!(nm.list(&ListParams::default()).await.unwrap().items.len(), 3);
    let logs = pods.logs("m", &kube::api::LogParams { tail_lines: Some(5), ..Default::default() }).await.unwrap();
    assert_eq!(logs.lines().count(), 5);
}

/// Simulator only: `pause_controllers` stops the controller-manager the way a stopped
/// kube-controller-manager would, so a spec change is seen by nobody (`observedGeneration` lags
/// `generation`, the old pods stay) until it is resumed. Needs the simulated kubelet (Running pods).
#[tokio::test]
async fn paused_controllers_leave_observed_generation_behind() {
    let e = env("paused").await;
    sim_only!(e);
    let api: Api<Deployment> = Api::namespaced(e.client.clone(), &e.ns);
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    let d: Deployment = serde_json::from_value(deployment("lag", 2, "registry.k8s.io/pause:3.9")).unwrap();
    api.create(&PostParams::default(), &d).await.unwrap();
    let images = || async {
        let ps = pods.list(&ListParams::default().labels("app=lag")).await.unwrap();
        ps.items.iter().filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")).map(|p| p.spec.as_ref().unwrap().containers[0].image.clone().unwrap()).collect::<Vec<_>>()
    };
    let generations = || async {
        let d = api.get("lag").await.unwrap();
        (d.metadata.generation, d.status.and_then(|s| s.observed_generation))
    };
    eventually(LONG, "2 pods Running", || async { (images().await.len() == 2 && generations().await == (Some(1), Some(1))).then_some(()) }).await;

    e.sim().pause_controllers(true);
    api.patch("lag", &PatchParams::default(), &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "registry.k8s.io/pause:3.10"}]}}}}))).await.unwrap();
    // Give a running controller every chance to react: nothing may change.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(generations().await, (Some(2), Some(1)));
    assert_eq!(images().await, ["registry.k8s.io/pause:3.9"; 2]);

    e.sim().pause_controllers(false);
    eventually(LONG, "rollout completes after resuming", || async {
        let d = api.get("lag").await.ok()?;
        let st = d.status?;
        let done = st.observed_generation == Some(2) && st.updated_replicas == Some(2) && st.ready_replicas == Some(2) && st.replicas == Some(2);
        let imgs = images().await;
        (done && imgs == ["registry.k8s.io/pause:3.10"; 2]).then_some(())
    })
    .await;
}
