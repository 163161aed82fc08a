//! Conformance suite: drives the simulator through kube-rs exactly as the product does (typed APIs,
//! server-side apply, watchers/reflectors). Set FLOTILLA_TEST_KUBECONFIG (+ FLOTILLA_TEST_CONTEXT) to
//! run it against a real cluster; simulator-only tests then skip, every test deletes the `conf-*`
//! namespace it made, and FLOTILLA_TEST_NO_RUNTIME=1 skips the tests that need pods to start.

#[path = "support/harness.rs"]
mod harness;
#[path = "conformance/quota.rs"]
mod quota;
#[path = "conformance/rbac.rs"]
mod rbac;
#[path = "conformance/scheduling.rs"]
mod scheduling;
#[path = "conformance/workloads.rs"]
mod workloads;

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use harness::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use serde_json::json;

pub(crate) fn cm(name: &str, labels: serde_json::Value, data: serde_json::Value) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name, "labels": labels}, "data": data})).unwrap()
}

#[macro_export]
macro_rules! sim_only {
    ($env:expr) => {
        if !$env.is_sim() {
            eprintln!("skipped: simulator-specific test (FLOTILLA_TEST_KUBECONFIG is set)");
            return;
        }
    };
}

#[tokio::test]
async fn unauthorized_without_token() {
    let e = env("auth").await;
    let mut cfg = e.config.clone();
    cfg.auth_info = Default::default();
    let anon = kube::Client::try_from(cfg).unwrap();
    let err = Api::<Pod>::namespaced(anon, &e.ns).list(&ListParams::default()).await.unwrap_err();
    let st = status_of(err);
    if e.is_sim() {
        assert_eq!((st.code, st.reason.as_str()), (401, "Unauthorized"));
    } else {
        assert!(st.code == 401 || st.code == 403, "{st:?}");
    }
}

#[tokio::test]
async fn discovery_lists_served_kinds() {
    let e = env("disc").await;
    let v = e.client.apiserver_version().await.unwrap();
    assert_eq!(v.major, "1");
    let d = kube::Discovery::new(e.client.clone()).run().await.unwrap();
    let kinds: Vec<String> = d.groups().flat_map(|g| g.recommended_resources().into_iter().map(|(r, _)| r.kind)).collect();
    for k in ["Pod", "Node", "Namespace", "Deployment", "Event", "ResourceQuota", "LimitRange", "Service", "PriorityClass"] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing from {kinds:?}");
    }
    if e.is_sim() {
        assert!(kinds.iter().any(|x| x == "NodeMetrics") && kinds.iter().any(|x| x == "PodMetrics"));
    }
}

#[tokio::test]
async fn typed_crud_and_stale_replace_conflict() {
    let e = env("crud").await;
    let api: Api<ConfigMap> = Api::namespaced(e.client.clone(), &e.ns);
    let created = api.create(&PostParams::default(), &cm("c1", json!({"app": "x"}), json!({"k": "v"}))).await.unwrap();
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    let rv1 = created.metadata.resource_version.clone().unwrap();

    let dup = api.create(&PostParams::default(), &cm("c1", json!({}), json!({}))).await.unwrap_err();
    let st = status_of(dup);
    assert_eq!((st.code, st.reason.as_str()), (409, "AlreadyExists"));

    let mut got = api.get("c1").await.unwrap();
    got.data.as_mut().unwrap().insert("k".into(), "v2".into());
    let replaced = api.replace("c1", &PostParams::default(), &got).await.unwrap();
    assert_eq!(replaced.data.unwrap()["k"], "v2");
    assert_ne!(replaced.metadata.resource_version.unwrap(), rv1);

    // Replace with the stale resourceVersion: 409 Conflict.
    let mut stale = created.clone();
    stale.data = Some(BTreeMap::from([("k".to_string(), "stale".to_string())]));
    let st = status_of(api.replace("c1", &PostParams::default(), &stale).await.unwrap_err());
    assert_eq!((st.code, st.reason.as_str()), (409, "Conflict"));
    assert!(st.message.contains("the object has been modified"), "{}", st.message);

    let generated: ConfigMap = serde_json::from_value(json!({"metadata": {"generateName": "gen-"}, "data": {}})).unwrap();
    let g = api.create(&PostParams::default(), &generated).await.unwrap();
    assert!(g.metadata.name.unwrap().starts_with("gen-"));

    api.delete("c1", &DeleteParams::default()).await.unwrap();
    let st = status_of(api.get("c1").await.unwrap_err());
    assert_eq!((st.code, st.reason.as_str()), (404, "NotFound"));
    assert_eq!(st.details.unwrap().name, "c1");
}

#[tokio::test]
async fn list_selectors_and_pagination() {
    let e = env("list").await;
    let api: Api<ConfigMap> = Api::namespaced(e.client.clone(), &e.ns);
    for (n, env_, tier) in [("a", "prod", "web"), ("b", "prod", "db"), ("c", "dev", "web"), ("d", "staging", "")] {
        let labels = if tier.is_empty() { json!({"env": env_}) } else { json!({"env": env_, "tier": tier}) };
        api.create(&PostParams::default(), &cm(n, labels, json!({}))).await.unwrap();
    }
    let names = |l: kube::core::ObjectList<ConfigMap>| -> Vec<String> { l.items.into_iter().map(|c| c.metadata.name.unwrap()).filter(|n| n.len() == 1).collect() };
    let q = |s: &str| ListParams::default().labels(s);
    assert_eq!(names(api.list(&q("env=prod")).await.unwrap()), ["a", "b"]);
    assert_eq!(names(api.list(&q("env!=prod")).await.unwrap()), ["c", "d"]);
    assert_eq!(names(api.list(&q("env in (dev,staging)")).await.unwrap()), ["c", "d"]);
    assert_eq!(names(api.list(&q("env notin (prod),tier")).await.unwrap()), ["c"]);
    assert_eq!(names(api.list(&q("!tier")).await.unwrap()), ["d"]);
    let by_name = api.list(&ListParams::default().fields("metadata.name=b")).await.unwrap();
    assert_eq!(names(by_name), ["b"]);

    let first = api.list(&q("env").limit(3)).await.unwrap();
    assert!(first.metadata.resource_version.is_some());
    assert_eq!(first.items.len(), 3);
    let tok = first.metadata.continue_.clone().expect("continue token");
    let rest = api.list(&q("env").limit(3).continue_token(&tok)).await.unwrap();
    assert_eq!(names(rest), ["d"]);
}

pub(crate) fn deployment(name: &str, replicas: i32, image: &str) -> serde_json::Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "main", "image": image,
                                                       "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]}}}
    })
}

#[tokio::test]
async fn server_side_apply_and_patches() {
    let e = env("apply").await;
    let api: Api<Deployment> = Api::namespaced(e.client.clone(), &e.ns);
    let cfg = deployment("web", 1, "registry.k8s.io/pause:3.9");
    let d = api.patch("web", &PatchParams::apply("flotilla-test"), &Patch::Apply(&cfg)).await.unwrap();
    let mf = d.metadata.managed_fields.clone().unwrap();
    assert!(mf.iter().any(|m| m.manager.as_deref() == Some("flotilla-test") && m.operation.as_deref() == Some("Apply")));

    // Another manager changing an owned field conflicts, unless forced.
    let other = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}, "spec": {"replicas": 2}});
    let st = status_of(api.patch("web", &PatchParams::apply("other"), &Patch::Apply(&other)).await.unwrap_err());
    assert_eq!(st.code, 409);
    assert!(st.message.contains("conflict with \"flotilla-test\""), "{}", st.message);
    let forced = api.patch("web", &PatchParams::apply("other").force(), &Patch::Apply(&other)).await.unwrap();
    assert_eq!(forced.spec.replicas, Some(2));

    let merged = api.patch("web", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"team": "a"}}}))).await.unwrap();
    assert_eq!(merged.metadata.labels.unwrap()["team"], "a");
    let smp = json!({"spec": {"template": {"spec": {"containers": [{"name": "side", "image": "registry.k8s.io/pause:3.9"}]}}}});
    let s = api.patch("web", &PatchParams::default(), &Patch::Strategic(smp)).await.unwrap();
    let names: Vec<String> = s.spec.template.spec.unwrap().containers.into_iter().map(|c| c.name).collect();
    // kube-apiserver puts a container the patch adds before the live ones it does not name.
    assert_eq!(names, ["side", "main"], "strategic merge keeps containers by name, new ones first");
    let jp: json_patch::Patch = serde_json::from_value(json!([{"op": "replace", "path": "/spec/replicas", "value": 3}])).unwrap();
    let j = api.patch("web", &PatchParams::default(), &Patch::Json::<()>(jp)).await.unwrap();
    assert_eq!(j.spec.replicas, Some(3));
}

#[tokio::test]
async fn reflector_sees_add_update_delete() {
    let e = env("refl").await;
    let api: Api<ConfigMap> = Api::namespaced(e.client.clone(), &e.ns);
    let (reader, writer) = reflector::store();
    let stream = reflector(writer, watcher(api.clone(), watcher::Config::default())).applied_objects();
    let task = tokio::spawn(async move {
        futures::pin_mut!(stream);
        while stream.next().await.is_some() {}
    });
    reader.wait_until_ready().await.unwrap();
    api.create(&PostParams::default(), &cm("w1", json!({}), json!({"v": "1"}))).await.unwrap();
    let find = |r: &reflector::Store<ConfigMap>, v: &str| r.state().iter().any(|c| c.metadata.name.as_deref() == Some("w1") && c.data.as_ref().is_some_and(|d| d["v"] == v));
    eventually(LONG, "reflector sees w1 added", || async { find(&reader, "1").then_some(()) }).await;
    api.patch("w1", &PatchParams::default(), &Patch::Merge(json!({"data": {"v": "2"}}))).await.unwrap();
    eventually(LONG, "reflector sees w1 updated", || async { find(&reader, "2").then_some(()) }).await;
    api.delete("w1", &DeleteParams::default()).await.unwrap();
    eventually(LONG, "reflector sees w1 deleted", || async { (!reader.state().iter().any(|c| c.metadata.name.as_deref() == Some("w1"))).then_some(()) }).await;
    task.abort();
}

#[tokio::test]
async fn watch_from_expired_resource_version_gets_410_and_watcher_relists() {
    let e = env("gone").await;
    sim_only!(e);
    let api: Api<ConfigMap> = Api::namespaced(e.client.clone(), &e.ns);
    let other: Api<ConfigMap> = Api::namespaced(e.client.clone(), "default");
    let start_rv = e.sim().resource_version();
    e.sim().set_history_limit(2);
    for i in 0..5 {
        other.create(&PostParams::default(), &cm(&format!("filler-{i}"), json!({}), json!({}))).await.unwrap();
    }
    // Raw watch from an expired RV: an ERROR event carrying a 410 Status.
    let mut s = api.watch(&WatchParams::default(), &start_rv.to_string()).await.unwrap().boxed();
    match s.try_next().await.unwrap() {
        Some(WatchEvent::Error(st)) => assert_eq!(st.code, 410),
        other => panic!("expected 410 ERROR event, got {other:?}"),
    }

    // kube-rs' watcher: its watch times out after 1 s, the history moves on meanwhile, the re-watch
    // gets 410 and the watcher starts over with a fresh list (a second Init).
    let w = watcher(api.clone(), watcher::Config::default().timeout(1));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        futures::pin_mut!(w);
        while let Some(ev) = w.next().await {
            let tag = match ev {
                Ok(watcher::Event::Init) => "init".to_string(),
                Ok(watcher::Event::InitDone) => "init-done".to_string(),
                Ok(_) => "event".to_string(),
                Err(err) => format!("err:{err:?}"),
            };
            if tx.send(tag).is_err() {
                return;
            }
        }
    });
    tokio::time::timeout(LONG, async { while rx.recv().await.as_deref() != Some("init-done") {} }).await.expect("first InitDone");
    for i in 5..10 {
        other.create(&PostParams::default(), &cm(&format!("filler-{i}"), json!({}), json!({}))).await.unwrap();
    }
    tokio::time::timeout(LONG, async {
        let mut saw_gone = false;
        while let Some(tag) = rx.recv().await {
            if tag.starts_with("err:") && tag.contains("410") {
                saw_gone = true;
            }
            if saw_gone && tag == "init" {
                return;
            }
        }
        panic!("watcher stream ended without relisting");
    })
    .await
    .expect("watcher relists after a 410");
    task.abort();
}

#[tokio::test]
async fn errors_are_status_objects() {
    let e = env("errors").await;
    let api: Api<Deployment> = Api::namespaced(e.client.clone(), &e.ns);
    let mut bad = deployment("bad", 1, "x");
    bad["spec"]["template"]["metadata"]["labels"] = json!({"app": "other"});
    let st = status_of(api.create(&PostParams::default(), &serde_json::from_value(bad).unwrap()).await.unwrap_err());
    assert_eq!((st.code, st.reason.as_str()), (422, "Invalid"));
    let causes = st.details.unwrap().causes;
    assert!(causes.iter().any(|c| c.field == "spec.template.metadata.labels"), "{causes:?}");
    if e.is_sim() {
        // Dry runs are refused rather than silently persisted.
        let pp = PostParams { dry_run: true, ..Default::default() };
        let st = status_of(Api::<ConfigMap>::namespaced(e.client.clone(), &e.ns).create(&pp, &cm("dry", json!({}), json!({}))).await.unwrap_err());
        assert_eq!(st.code, 400);
    }
    let missing: Api<ConfigMap> = Api::namespaced(e.client.clone(), "no-such-namespace");
    let st = status_of(missing.create(&PostParams::default(), &cm("x", json!({}), json!({}))).await.unwrap_err());
    assert_eq!(st.code, 404);
}

async fn next_event(w: &mut futures::stream::BoxStream<'static, kube::Result<WatchEvent<ConfigMap>>>) -> WatchEvent<ConfigMap> {
    tokio::time::timeout(LONG, w.try_next()).await.expect("watch event in time").unwrap().expect("watch stream open")
}

#[tokio::test]
async fn selector_watch_sees_objects_leave_and_enter() {
    let e = env("selwatch").await;
    let api: Api<ConfigMap> = Api::namespaced(e.client.clone(), &e.ns);
    api.create(&PostParams::default(), &cm("s1", json!({"env": "a"}), json!({}))).await.unwrap();
    let rv = api.list(&ListParams::default()).await.unwrap().metadata.resource_version.unwrap();
    let mut w = api.watch(&WatchParams::default().labels("env=a"), &rv).await.unwrap().boxed();
    let relabel = |v: &'static str| {
        let api = api.clone();
        async move {
            api.patch("s1", &PatchParams::default(), &Patch::Merge(json!({"metadata": {"labels": {"env": v}}}))).await.unwrap();
        }
    };
    relabel("b").await;
    assert!(matches!(next_event(&mut w).await, WatchEvent::Deleted(c) if c.metadata.name.as_deref() == Some("s1")));
    relabel("a").await;
    assert!(matches!(next_event(&mut w).await, WatchEvent::Added(c) if c.metadata.name.as_deref() == Some("s1")));
}
