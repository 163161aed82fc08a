//! Conformance, authorization half (simulator only: tokens come from `ClusterHandle::issue_token`):
//! tokens with RBAC rules are refused with kube-apiserver's exact 403 words and details, every
//! token may use discovery, `deny()` applies to all tokens alike, and SelfSubjectAccessReview
//! answers for the token that asks.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchParams};
use kube::{Client, core::Status};
use serde_json::json;

use super::cm;
use super::harness::*;
use crate::sim_only;
use flotilla_sim::{Rule, roles};

const VIEWER: &str = "system:serviceaccount:ops:viewer";

/// A client of the test cluster authenticating with `token` instead of the cluster's own.
async fn client_with(e: &Env, token: &str) -> Client {
    let yaml = e.sim.as_ref().unwrap().kubeconfig_yaml().replace(&e.sim().token, token);
    Client::try_from(config_from_yaml(&yaml, "conformance").await).unwrap()
}

fn refusal<T: std::fmt::Debug>(r: kube::Result<T>) -> Box<Status> {
    let st = status_of(r.unwrap_err());
    assert_eq!((st.code, st.reason.as_str()), (403, "Forbidden"), "{st:?}");
    st
}

/// (name, group, kind) of a Status' details.
fn details(st: &Status) -> (String, String, String) {
    let d = st.details.clone().expect("details");
    (d.name, d.group, d.kind)
}

fn owned(name: &str, group: &str, kind: &str) -> (String, String, String) {
    (name.into(), group.into(), kind.into())
}

/// Whether `client` may `verb` `resource` (in `group`) according to a SelfSubjectAccessReview.
async fn may(client: &Client, verb: &str, group: &str, resource: &str) -> bool {
    let review: SelfSubjectAccessReview = serde_json::from_value(json!({
        "spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": resource}}
    }))
    .unwrap();
    let r = Api::<SelfSubjectAccessReview>::all(client.clone()).create(&PostParams::default(), &review).await.unwrap();
    r.status.unwrap().allowed
}

#[tokio::test]
async fn view_token_reads_workloads_and_is_refused_in_kube_words() {
    let e = env("rbac-view").await;
    sim_only!(e);
    let viewer = client_with(&e, &e.sim().issue_token(VIEWER, roles::view())).await;

    // Discovery and /version are open to every authenticated token.
    assert_eq!(viewer.apiserver_version().await.unwrap().major, "1");
    kube::Discovery::new(viewer.clone()).run().await.unwrap();

    // What view allows.
    let pods: Api<Pod> = Api::namespaced(viewer.clone(), &e.ns);
    pods.list(&ListParams::default()).await.unwrap();
    Api::<Pod>::all(viewer.clone()).list(&ListParams::default()).await.unwrap();
    Api::<Namespace>::all(viewer.clone()).get(&e.ns).await.unwrap();
    let gvk = kube::api::GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "NodeMetrics");
    let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, "nodes");
    Api::<kube::api::DynamicObject>::all_with(viewer.clone(), &ar).list(&ListParams::default()).await.unwrap();

    // Nodes are cluster-scoped and not in view.
    let st = refusal(Api::<Node>::all(viewer.clone()).list(&ListParams::default()).await);
    assert_eq!(st.message, format!("nodes is forbidden: User \"{VIEWER}\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"));
    assert_eq!(details(&st), owned("", "", "nodes"));

    // Writes: a create names no object, a delete names one (qualified with its group).
    let st = refusal(Api::<ConfigMap>::namespaced(viewer.clone(), &e.ns).create(&PostParams::default(), &cm("c", json!({}), json!({}))).await);
    assert_eq!(st.message, format!("configmaps is forbidden: User \"{VIEWER}\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"{}\"", e.ns));
    let st = refusal(Api::<Deployment>::namespaced(viewer.clone(), &e.ns).delete("web", &DeleteParams::default()).await);
    assert_eq!(st.message, format!("deployments.apps \"web\" is forbidden: User \"{VIEWER}\" cannot delete resource \"deployments\" in API group \"apps\" in the namespace \"{}\"", e.ns));
    assert_eq!(details(&st), owned("web", "apps", "deployments"));

    // SelfSubjectAccessReview answers for the asking token.
    assert!(may(&viewer, "watch", "", "pods").await);
    assert!(may(&viewer, "list", "metrics.k8s.io", "pods").await);
    assert!(!may(&viewer, "list", "", "nodes").await);
    assert!(!may(&viewer, "create", "apps", "deployments").await);
    assert!(may(&e.client, "list", "", "nodes").await, "the cluster's own token may do everything");

    // An unknown token is not a subject at all.
    let stranger = client_with(&e, "not-a-token").await;
    let st = status_of(stranger.apiserver_version().await.unwrap_err());
    assert_eq!(st.code, 401);
}

#[tokio::test]
async fn narrow_rules_name_verbs_subresources_and_scopes() {
    let e = env("rbac-narrow").await;
    sim_only!(e);
    const USER: &str = "lister";
    let token = e.sim().issue_token(USER, vec![Rule::new(&["list"], &[""], &["pods"]), Rule::new(&["get"], &[""], &["namespaces"])]);
    let lister = client_with(&e, &token).await;
    Api::<Pod>::all(lister.clone()).list(&ListParams::default()).await.unwrap();

    // A watch is its own verb.
    let st = refusal(Api::<Pod>::all(lister.clone()).watch(&WatchParams::default(), "0").await.map(|_| ()));
    assert_eq!(st.message, "pods is forbidden: User \"lister\" cannot watch resource \"pods\" in API group \"\" at the cluster scope");

    // A subresource is its own resource; the Status names the parent.
    let pods: Api<Pod> = Api::namespaced(lister.clone(), &e.ns);
    let st = refusal(pods.logs("p", &Default::default()).await);
    assert_eq!(st.message, format!("pods \"p\" is forbidden: User \"lister\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"{}\"", e.ns));
    assert_eq!(details(&st), owned("p", "", "pods"));

    // A namespace is read "in" itself.
    Api::<Namespace>::all(lister.clone()).get(&e.ns).await.unwrap();
    let st = refusal(Api::<Namespace>::all(lister.clone()).delete(&e.ns, &DeleteParams::default()).await);
    assert_eq!(st.message, format!("namespaces \"{ns}\" is forbidden: User \"lister\" cannot delete resource \"namespaces\" in API group \"\" in the namespace \"{ns}\"", ns = e.ns));

    // metrics.k8s.io is authorized like any group.
    let gvk = kube::api::GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "NodeMetrics");
    let ar = kube::api::ApiResource::from_gvk_with_plural(&gvk, "nodes");
    let st = refusal(Api::<kube::api::DynamicObject>::all_with(lister.clone(), &ar).list(&ListParams::default()).await);
    assert_eq!(st.message, "nodes.metrics.k8s.io is forbidden: User \"lister\" cannot list resource \"nodes\" in API group \"metrics.k8s.io\" at the cluster scope");
    assert_eq!(details(&st), owned("", "metrics.k8s.io", "nodes"));
}

#[tokio::test]
async fn server_side_apply_that_creates_needs_create_too() {
    let e = env("rbac-apply").await;
    sim_only!(e);
    let patcher = Rule::new(&["patch"], &[""], &["configmaps"]);
    let only_patch = client_with(&e, &e.sim().issue_token("patcher", vec![patcher.clone()])).await;
    let cms: Api<ConfigMap> = Api::namespaced(only_patch, &e.ns);
    let cfg = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"k": "v"}});
    let st = refusal(cms.patch("applied", &PatchParams::apply("test"), &Patch::Apply(&cfg)).await);
    assert_eq!(details(&st), owned("applied", "", "configmaps"));
    assert!(st.message.starts_with("configmaps \"applied\" is forbidden:"), "{}", st.message);

    let creator = Rule::new(&["create"], &[""], &["configmaps"]);
    let both = client_with(&e, &e.sim().issue_token("applier", vec![patcher, creator])).await;
    let cms: Api<ConfigMap> = Api::namespaced(both, &e.ns);
    cms.patch("applied", &PatchParams::apply("test"), &Patch::Apply(&cfg)).await.unwrap();
}

#[tokio::test]
async fn deny_applies_to_every_token_in_the_same_words() {
    let e = env("rbac-deny").await;
    sim_only!(e);
    let viewer = client_with(&e, &e.sim().issue_token(VIEWER, roles::view())).await;
    Api::<ConfigMap>::namespaced(viewer.clone(), &e.ns).list(&ListParams::default()).await.unwrap();
    e.sim().deny("list", "configmaps");
    for (client, user) in [(&e.client, "flotilla-sim"), (&viewer, VIEWER)] {
        let st = refusal(Api::<ConfigMap>::namespaced(client.clone(), &e.ns).list(&ListParams::default()).await);
        assert_eq!(st.message, format!("configmaps is forbidden: User \"{user}\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"{}\"", e.ns));
        assert!(!may(client, "list", "", "configmaps").await);
    }
    e.sim().allow_all();
    Api::<ConfigMap>::namespaced(viewer, &e.ns).list(&ListParams::default()).await.unwrap();
}

#[tokio::test]
async fn flotilla_role_passes_the_portals_permission_check() {
    let e = env("rbac-portal").await;
    sim_only!(e);
    let portal = client_with(&e, &e.sim().issue_token("system:serviceaccount:flotilla:portal", roles::flotilla())).await;
    // What kubeconn::test_connection asks (resources may carry their subresource).
    for (verb, group, resource) in roles::PORTAL_REQUIRED {
        assert!(may(&portal, verb, group, resource).await, "{verb} {group}/{resource}");
    }
    assert!(may(&portal, "list", "metrics.k8s.io", "nodes").await);
    assert!(!may(&portal, "delete", "", "pods").await);
    Api::<Node>::all(portal.clone()).list(&ListParams::default()).await.unwrap();
    let d: Deployment = serde_json::from_value(super::deployment("portal", 1, "registry.k8s.io/pause:3.9")).unwrap();
    Api::<Deployment>::namespaced(portal, &e.ns).create(&PostParams::default(), &d).await.unwrap();
}
