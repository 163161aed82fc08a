//! Conformance, node half (simulator only: these tests taint, cordon and fail nodes, which a shared
//! real cluster must not suffer): taints and tolerations, cordons and not-Ready nodes as
//! kube-scheduler words them in FailedScheduling, PreferNoSchedule, preemption that respects them,
//! and NoExecute eviction.

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use serde_json::{Value, json};

use super::harness::*;
use crate::sim_only;

/// A pod with `cpu` requested, extra `spec` fields merged in (tolerations, nodeSelector, ...).
fn pod_with(name: &str, cpu: &str, spec: Value) -> Pod {
    let mut p = serde_json::to_value(pod(name, cpu, json!({}))).unwrap();
    for (k, v) in spec.as_object().unwrap() {
        p["spec"][k] = v.clone();
    }
    serde_json::from_value(p).unwrap()
}

fn pinned(node: &str) -> Value {
    json!({"kubernetes.io/hostname": node})
}

async fn bound_node(pods: &Api<Pod>, name: &str) -> String {
    eventually(LONG, &format!("{name} bound"), || async { pods.get(name).await.ok()?.spec?.node_name }).await
}

/// The PodScheduled=False message once it contains `part`.
async fn unschedulable(pods: &Api<Pod>, name: &str, part: &str) -> String {
    eventually(LONG, &format!("{name} Unschedulable with {part:?}"), || async {
        let c = pods.get(name).await.ok()?.status?.conditions?.into_iter().find(|c| c.type_ == "PodScheduled" && c.status == "False")?;
        c.message.filter(|m| m.contains(part))
    })
    .await
}

async fn gone(pods: &Api<Pod>, name: &str) {
    eventually(LONG, &format!("{name} evicted"), || async { matches!(pods.get(name).await, Err(kube::Error::Api(s)) if s.code == 404).then_some(()) }).await;
}

#[tokio::test]
async fn taints_and_cordons_are_counted_like_kube_scheduler() {
    let e = env("taints").await;
    sim_only!(e);
    let sim = e.sim();
    sim.add_nodes(None, 1).unwrap();
    let names = sim.node_names();
    assert_eq!(names.len(), 4);

    // kubectl cordon/taint show up to watchers as MODIFIED nodes.
    let nodes: Api<Node> = Api::all(e.client.clone());
    let rv = sim.resource_version().to_string();
    let mut w = nodes.watch(&WatchParams::default(), &rv).await.unwrap().boxed();
    sim.taint(&names[0], "node-role.kubernetes.io/control-plane", "", "NoSchedule").unwrap();
    sim.cordon(&names[1], true).unwrap();
    let mut seen = Vec::new();
    while seen.len() < 2 {
        match tokio::time::timeout(LONG, w.try_next()).await.unwrap().unwrap() {
            Some(WatchEvent::Modified(n)) => seen.push(n),
            Some(_) => {}
            None => panic!("node watch ended"),
        }
    }
    assert_eq!(seen[0].spec.as_ref().unwrap().taints.as_ref().unwrap()[0].key, "node-role.kubernetes.io/control-plane");
    assert_eq!(seen[1].spec.as_ref().unwrap().unschedulable, Some(true));

    // Two filler pods, one on each remaining node, leave 2 cpu there.
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    for (i, node) in names[2..].iter().enumerate() {
        let filler = pod_with(&format!("filler-{i}"), "2", json!({"nodeSelector": pinned(node)}));
        pods.create(&PostParams::default(), &filler).await.unwrap();
        bound_node(&pods, &format!("filler-{i}")).await;
    }
    pods.create(&PostParams::default(), &pod_with("big", "3", json!({}))).await.unwrap();
    let msg = unschedulable(&pods, "big", "nodes are available").await;
    assert_eq!(
        msg,
        "0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, \
         1 node(s) were unschedulable, 2 Insufficient cpu. preemption: 0/4 nodes are available: \
         2 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    );
    let events: Api<Event> = Api::namespaced(e.client.clone(), &e.ns);
    let evs = events.list(&ListParams::default().fields("involvedObject.name=big")).await.unwrap();
    assert!(evs.items.iter().any(|ev| ev.reason.as_deref() == Some("FailedScheduling") && ev.message.as_deref() == Some(msg.as_str())));

    // A toleration (Exists, any value) opens the tainted node; uncordoning opens the other.
    let tolerant = pod_with("tolerant", "3", json!({"tolerations": [{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]}));
    pods.create(&PostParams::default(), &tolerant).await.unwrap();
    assert_eq!(bound_node(&pods, "tolerant").await, names[0]);
    sim.cordon(&names[1], false).unwrap();
    assert_eq!(bound_node(&pods, "big").await, names[1]);
}

#[tokio::test]
async fn kubectl_style_patches_cordon_and_taint_nodes() {
    let e = env("nodepatch").await;
    sim_only!(e);
    let names = e.sim().node_names();
    let nodes: Api<Node> = Api::all(e.client.clone());
    // What `kubectl cordon` and `kubectl taint` send: strategic merge patches of the node spec.
    nodes.patch(&names[0], &PatchParams::default(), &Patch::Strategic(json!({"spec": {"unschedulable": true}}))).await.unwrap();
    let taint = json!({"spec": {"taints": [{"key": "dedicated", "value": "ml", "effect": "NoSchedule"}]}});
    nodes.patch(&names[1], &PatchParams::default(), &Patch::Strategic(taint)).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    for (i, node) in names.iter().enumerate() {
        let p = pod_with(&format!("p{i}"), "100m", json!({"nodeSelector": pinned(node)}));
        pods.create(&PostParams::default(), &p).await.unwrap();
    }
    bound_node(&pods, "p2").await;
    // Each node reports its first failing filter: the cordon, then the taint, then the selector.
    for p in ["p0", "p1"] {
        let msg = unschedulable(&pods, p, "nodes are available").await;
        assert_eq!(
            msg,
            "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, \
             1 node(s) had untolerated taint {dedicated: ml}, 1 node(s) were unschedulable. \
             preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }
    // Removing the taint (kubectl taint ... dedicated-) and the cordon lets both pods run.
    nodes.patch(&names[1], &PatchParams::default(), &Patch::Strategic(json!({"spec": {"taints": null}}))).await.unwrap();
    nodes.patch(&names[0], &PatchParams::default(), &Patch::Strategic(json!({"spec": {"unschedulable": null}}))).await.unwrap();
    assert_eq!(bound_node(&pods, "p0").await, names[0]);
    assert_eq!(bound_node(&pods, "p1").await, names[1]);
}

#[tokio::test]
async fn not_ready_nodes_count_as_tainted() {
    let e = env("notready").await;
    sim_only!(e);
    let node = e.sim().node_names()[0].clone();
    let nodes: Api<Node> = Api::all(e.client.clone());
    let not_ready = json!({"status": {"conditions": [{"type": "Ready", "status": "False", "reason": "KubeletNotReady", "message": "simulated"}]}});
    nodes.patch_status(&node, &PatchParams::default(), &Patch::Strategic(not_ready)).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    pods.create(&PostParams::default(), &pod_with("p", "100m", json!({"nodeSelector": pinned(&node)}))).await.unwrap();
    let msg = unschedulable(&pods, "p", "nodes are available").await;
    assert_eq!(
        msg,
        "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, \
         2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    );
    let ready = json!({"status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}]}});
    nodes.patch_status(&node, &PatchParams::default(), &Patch::Strategic(ready)).await.unwrap();
    assert_eq!(bound_node(&pods, "p").await, node);
}

#[tokio::test]
async fn prefer_no_schedule_only_lowers_a_nodes_score() {
    let e = env("prefer").await;
    sim_only!(e);
    let sim = e.sim();
    let names = sim.node_names();
    for n in &names[..2] {
        sim.taint(n, "spot", "true", "PreferNoSchedule").unwrap();
    }
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    for i in 0..3 {
        pods.create(&PostParams::default(), &pod_with(&format!("p{i}"), "100m", json!({}))).await.unwrap();
        assert_eq!(bound_node(&pods, &format!("p{i}")).await, names[2]);
    }
    // Every node avoided: the pods still run somewhere.
    sim.taint(&names[2], "spot", "true", "PreferNoSchedule").unwrap();
    pods.create(&PostParams::default(), &pod_with("anywhere", "100m", json!({}))).await.unwrap();
    bound_node(&pods, "anywhere").await;
}

#[tokio::test]
async fn preemption_never_picks_a_cordoned_or_untolerated_node() {
    let e = env("preempt-nodes").await;
    sim_only!(e);
    let sim = e.sim();
    let names = sim.node_names();
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    for (i, node) in names.iter().enumerate() {
        let low = pod_with(&format!("low-{i}"), "3", json!({"priorityClassName": "low", "nodeSelector": pinned(node)}));
        pods.create(&PostParams::default(), &low).await.unwrap();
        bound_node(&pods, &format!("low-{i}")).await;
    }
    sim.cordon(&names[0], true).unwrap();
    sim.taint(&names[1], "dedicated", "db", "NoSchedule").unwrap();
    pods.create(&PostParams::default(), &pod_with("high", "2", json!({"priorityClassName": "high"}))).await.unwrap();
    assert_eq!(bound_node(&pods, "high").await, names[2]);
    gone(&pods, "low-2").await;
    for i in 0..2 {
        let p = pods.get(&format!("low-{i}")).await.unwrap();
        assert!(p.metadata.deletion_timestamp.is_none(), "low-{i} spared");
    }
    // Nowhere left that eviction could help: kube's verdict per node.
    pods.create(&PostParams::default(), &pod_with("high-2", "3", json!({"priorityClassName": "high"}))).await.unwrap();
    let msg = unschedulable(&pods, "high-2", "preemption").await;
    assert_eq!(
        msg,
        "0/3 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable. \
         preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
    );
}

#[tokio::test]
async fn no_execute_taints_evict_pods_that_do_not_tolerate_them() {
    let e = env("noexec").await;
    sim_only!(e);
    let node = e.sim().node_names()[0].clone();
    let pods: Api<Pod> = Api::namespaced(e.client.clone(), &e.ns);
    let toleration = |extra: Value| {
        let mut t = json!({"key": "maintenance", "operator": "Exists", "effect": "NoExecute"});
        for (k, v) in extra.as_object().unwrap() {
            t[k] = v.clone();
        }
        json!({"nodeSelector": pinned(&node), "tolerations": [t]})
    };
    for (name, spec) in [("plain", json!({"nodeSelector": pinned(&node)})), ("brief", toleration(json!({"tolerationSeconds": 2}))), ("forever", toleration(json!({})))] {
        pods.create(&PostParams::default(), &pod_with(name, "100m", spec)).await.unwrap();
        bound_node(&pods, name).await;
    }
    e.sim().taint(&node, "maintenance", "", "NoExecute").unwrap();
    gone(&pods, "plain").await;
    assert!(pods.get("brief").await.is_ok(), "tolerated for 2 s");
    gone(&pods, "brief").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(pods.get("forever").await.is_ok(), "tolerated without a limit");
    let events: Api<Event> = Api::namespaced(e.client.clone(), &e.ns);
    let evs = events.list(&ListParams::default().fields("involvedObject.name=plain")).await.unwrap();
    assert!(evs.items.iter().any(|ev| ev.reason.as_deref() == Some("TaintManagerEviction")));
    // A new pod without the toleration cannot land there any more.
    pods.create(&PostParams::default(), &pod_with("late", "100m", json!({"nodeSelector": pinned(&node)}))).await.unwrap();
    unschedulable(&pods, "late", "node(s) had untolerated taint {maintenance: }").await;
    e.sim().untaint(&node, "maintenance").unwrap();
    assert_eq!(bound_node(&pods, "late").await, node);
}
