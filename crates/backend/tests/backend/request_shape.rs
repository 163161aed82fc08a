//! The requests Flotilla sends a Kubernetes API server, checked one by one (controller-rs'
//! `ApiServerVerifier` pattern): the kube client's transport is the test, which answers as a
//! fresh cluster would and asserts each request's method, path, field manager, force flag,
//! labels and the order of the calls. The simulator cannot show these: it accepts what a real
//! API server accepts, whatever the shape.
use flotilla_backend::workloads::cluster_calls::{apply_workload, ensure_namespace};
use flotilla_backend::workloads::manifests::{FIELD_MANAGER, Quota, Shape};
use flotilla_domain::schedule::Priority;
use flotilla_domain::workload::{PortSpec, WorkloadForm, validate};
use http::{Method, Request, Response, StatusCode};
use kube::client::Body;
use serde_json::{Value, json};

type Handle = tower_test::mock::Handle<Request<Body>, Response<Body>>;

/// One request as the API server saw it.
#[derive(Debug)]
struct Seen {
    method: Method,
    path: String,
    query: String,
    body: Value,
}

impl Seen {
    fn call(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    fn label(&self, key: &str) -> Option<&str> {
        self.body["metadata"]["labels"][key].as_str()
    }
}

/// Answers like an API server holding at most `namespace`: reading it returns it, any other
/// read is 404, every apply returns the object applied. Answers what it was asked, in order.
async fn api_server(mut handle: Handle, namespace: Option<Value>) -> Vec<Seen> {
    let mut seen = Vec::new();
    while let Some((request, reply)) = handle.next_request().await {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let query = request.uri().query().unwrap_or_default().to_owned();
        let bytes = request.into_body().collect_bytes().await.unwrap();
        let body: Value = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        let held = namespace.as_ref().filter(|ns| method == Method::GET && path == format!("/api/v1/namespaces/{}", ns["metadata"]["name"].as_str().unwrap_or_default()));
        let response = match (held, method == Method::GET) {
            (Some(ns), _) => Response::builder().body(Body::from(serde_json::to_vec(ns).unwrap())).unwrap(),
            (None, true) => {
                let status = json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": "not found", "reason": "NotFound", "code": 404});
                Response::builder().status(StatusCode::NOT_FOUND).body(Body::from(serde_json::to_vec(&status).unwrap())).unwrap()
            }
            (None, false) => Response::builder().body(Body::from(bytes.to_vec())).unwrap(),
        };
        reply.send_response(response);
        seen.push(Seen { method, path, query, body });
    }
    seen
}

/// `ensure_namespace` for team-a against a server holding `namespace`: its answer and the requests.
async fn ensure_against(namespace: Value) -> (Result<(), String>, Vec<Seen>) {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(api_server(handle, Some(namespace)));
    let client = kube::Client::new(service, "default");
    let answer = ensure_namespace(&client, "team-a", 7, Quota { cpu_m: 4000, mem_b: 8 << 30, pods: 10, gpus: 0 }).await.map_err(|e| e.to_string());
    drop(client);
    (answer, server.await.unwrap())
}

#[tokio::test]
async fn a_first_deploy_creates_namespace_quota_and_workload_in_order_without_force() {
    let (service, handle) = tower_test::mock::pair::<Request<Body>, Response<Body>>();
    let server = tokio::spawn(api_server(handle, None));
    let client = kube::Client::new(service, "default");
    let spec = validate(&WorkloadForm {
        project: "team-a".into(),
        name: "web".into(),
        image: "nginx:1.27".into(),
        replicas: "2".into(),
        cpu_request: "250m".into(),
        memory_request: "128Mi".into(),
        ports: vec![PortSpec { port: 80, protocol: "TCP".into(), expose: true }],
        ..Default::default()
    })
    .unwrap();
    let quota = Quota { cpu_m: 8000, mem_b: 16 << 30, pods: 20, gpus: 0 };
    ensure_namespace(&client, "team-a", 7, quota).await.unwrap();
    apply_workload(&client, 42, &spec, &Shape { replicas: 2, revision: 1, paused: false, priority: Priority::Normal }).await.unwrap();
    drop(client);
    let seen = server.await.unwrap();

    let calls: Vec<String> = seen.iter().map(Seen::call).collect();
    assert_eq!(
        calls,
        [
            "PATCH /apis/scheduling.k8s.io/v1/priorityclasses/flotilla-high",
            "PATCH /apis/scheduling.k8s.io/v1/priorityclasses/flotilla-normal",
            "PATCH /apis/scheduling.k8s.io/v1/priorityclasses/flotilla-low",
            "GET /api/v1/namespaces/team-a",
            "PATCH /api/v1/namespaces/team-a",
            "PATCH /api/v1/namespaces/team-a/resourcequotas/flotilla-quota",
            "PATCH /api/v1/namespaces/team-a/limitranges/flotilla-limits",
            "GET /apis/apps/v1/namespaces/team-a/deployments/web",
            "PATCH /apis/apps/v1/namespaces/team-a/deployments/web",
            "GET /api/v1/namespaces/team-a/services/web",
            "PATCH /api/v1/namespaces/team-a/services/web",
        ],
        "the namespace (checked first) before what lives in it, the quota before the workload"
    );
    for s in seen.iter().filter(|s| s.method == Method::PATCH) {
        let call = s.call();
        assert!(s.query.split('&').any(|p| p == format!("fieldManager={FIELD_MANAGER}")), "{call}: server-side apply as Flotilla ({})", s.query);
        assert!(!s.query.contains("force=true"), "{call}: nothing existed, so nothing is forced ({})", s.query);
        assert_eq!(s.body["metadata"]["name"], s.path.rsplit('/').next().unwrap(), "{call}: the object named in the path");
        assert_eq!(s.label("app.kubernetes.io/managed-by"), Some("flotilla"), "{call}: {}", s.body["metadata"]);
        if !s.path.contains("priorityclasses") {
            assert_eq!(s.label("flotilla.io/project"), Some("team-a"), "{call}: {}", s.body["metadata"]);
        }
    }
    let namespace = &seen[4];
    assert_eq!(namespace.label("flotilla.io/project-id"), Some("7"), "the namespace names the project's id");
    for s in &seen[7..] {
        if s.method == Method::PATCH {
            assert_eq!(s.label("flotilla.io/workload"), Some("web"), "{}", s.call());
            assert_eq!(s.label("flotilla.io/workload-id"), Some("42"), "{}", s.call());
        }
    }
    let deployment = &seen[8].body;
    assert_eq!(deployment["spec"]["template"]["spec"]["priorityClassName"], "flotilla-normal");
    assert_eq!(deployment["spec"]["template"]["metadata"]["labels"]["flotilla.io/project"], "team-a", "pods carry the project label too");
}

/// A namespace the project already has: Flotilla's own, so its quota and limits are applied
/// with force (taking back a hand edit); the workload's new objects still are not.
#[tokio::test]
async fn an_existing_project_namespace_is_applied_with_force_and_nothing_else_is() {
    let ours = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"flotilla.io/project": "team-a", "flotilla.io/project-id": "7"}}});
    let (answer, seen) = ensure_against(ours).await;
    answer.unwrap();
    let forced: Vec<&str> = seen.iter().filter(|s| s.query.contains("force=true")).map(|s| s.path.as_str()).collect();
    assert_eq!(forced, ["/api/v1/namespaces/team-a", "/api/v1/namespaces/team-a/resourcequotas/flotilla-quota", "/api/v1/namespaces/team-a/limitranges/flotilla-limits"]);
}

/// Someone else's namespace of the project's name: read, refused in words, never written.
#[tokio::test]
async fn a_namespace_someone_else_made_is_read_and_never_written() {
    let theirs = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-a", "labels": {"owner": "payments"}}});
    let (answer, seen) = ensure_against(theirs).await;
    let refused = answer.unwrap_err();
    let writes: Vec<&str> = seen.iter().filter(|s| s.method != Method::GET).map(|s| s.path.as_str()).collect();
    assert!(refused.contains("does not belong to project team-a"), "{refused}");
    assert!(writes.iter().all(|p| p.contains("priorityclasses")), "only the shared PriorityClasses were written: {writes:?}");
}
