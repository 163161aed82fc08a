//! One simulated cluster: its store, options, token, clock, faults; the create/delete paths shared by
//! the API and controllers (defaulting, validation, admission, cascading deletes); fleet bootstrap.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::admission;
use crate::authz::{Rule, Subject, qualified};
use crate::defaults;
use crate::faults::FaultState;
use crate::fleet::{ClusterSpec, NodePoolSpec, UsageProfile, WorkloadSpec};
use crate::podinfo;
use crate::resources::*;
use crate::status::ApiError;
use crate::store::{ObjRef, Store, meta_str};
use crate::usage::{ANN_DAY, ANN_NIGHT, SimClock, UsageCtx};

/// Tunables shared by all clusters of a fleet.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// How long a bound pod stays ContainerCreating before Running.
    pub pod_start_delay: Duration,
    /// Simulated seconds per real second for the day/night usage curve.
    pub time_scale: f64,
    /// Watch history kept per cluster (older resourceVersions get 410 Gone).
    pub history_limit: usize,
    /// Interval between BOOKMARK events on watches that allow them.
    pub bookmark_interval: Duration,
    /// Start the plain-HTTP admin endpoint (fault and change injection).
    pub admin: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions { pod_start_delay: Duration::from_secs(1), time_scale: 1.0, history_limit: 10_000, bookmark_interval: Duration::from_secs(10), admin: false }
    }
}

pub struct Cluster {
    pub index: usize,
    pub spec: ClusterSpec,
    pub opts: SimOptions,
    pub token: String,
    pub store: Mutex<Store>,
    pub notify: Arc<Notify>,
    pub clock: SimClock,
    pub faults: FaultState,
    burst: Mutex<Option<(f64, Instant)>>,
    service_seq: AtomicU32,
    node_seq: AtomicU32,
    denied: Mutex<Vec<(String, String)>>,
    /// API requests served, by (verb, resource plural), for tests that count calls.
    calls: Mutex<std::collections::HashMap<(String, String), u64>>,
    /// Bearer token -> who it authenticates as (the cluster's own token included).
    tokens: Mutex<HashMap<String, Arc<Subject>>>,
    /// A stopped kube-controller-manager: deployment, quota and taint-eviction controllers idle.
    controllers_paused: AtomicBool,
}

/// A random bearer token naming its cluster (so a token pasted into the wrong place is recognisable).
fn new_token(cluster: &str) -> String {
    let hex: String = (0..32).map(|_| format!("{:x}", rand::random_range(0..16u8))).collect();
    format!("flotilla-sim-{cluster}-{hex}")
}

const PROTECTED_NAMESPACES: &[&str] = &["default", "kube-system", "kube-public", "kube-node-lease"];

impl Cluster {
    pub fn new(index: usize, spec: ClusterSpec, opts: SimOptions) -> Arc<Self> {
        let notify = Arc::new(Notify::new());
        let token = new_token(&spec.name);
        let tokens = HashMap::from([(token.clone(), Arc::new(Subject::admin()))]);
        let c = Arc::new(Cluster {
            index,
            store: Mutex::new(Store::new(opts.history_limit, notify.clone())),
            notify,
            clock: SimClock::new(opts.time_scale),
            token,
            faults: FaultState::default(),
            burst: Mutex::new(None),
            service_seq: AtomicU32::new(1),
            node_seq: AtomicU32::new(0),
            denied: Mutex::new(Vec::new()),
            calls: Mutex::default(),
            tokens: Mutex::new(tokens),
            controllers_paused: AtomicBool::new(false),
            spec,
            opts,
        });
        c.bootstrap();
        c
    }

    pub fn count_call(&self, verb: &str, resource: &str) {
        *self.calls.lock().entry((verb.to_owned(), resource.to_owned())).or_default() += 1;
    }

    /// How many `verb` requests on `resource` (plural) were served so far.
    pub fn calls(&self, verb: &str, resource: &str) -> u64 {
        self.calls.lock().get(&(verb.to_owned(), resource.to_owned())).copied().unwrap_or(0)
    }

    pub fn deny(&self, verb: &str, resource: &str) {
        self.denied.lock().push((verb.to_owned(), resource.to_owned()));
    }

    pub fn allow_all(&self) {
        self.denied.lock().clear();
    }

    /// Whether a test has denied `verb` on the resource (named "pods", "deployments.apps", or
    /// "pods/log" for one subresource; denying a resource denies its subresources too).
    pub fn is_denied(&self, verb: &str, group: &str, resource: &str, sub: &str) -> bool {
        let whole = qualified(group, resource);
        let part = format!("{whole}/{sub}");
        self.denied.lock().iter().any(|(v, r)| (v == verb || v == "*") && (*r == whole || (!sub.is_empty() && *r == part)))
    }

    /// Who `token` authenticates as, if anyone.
    pub fn authenticate(&self, token: &str) -> Option<Arc<Subject>> {
        self.tokens.lock().get(token).cloned()
    }

    /// A new bearer token for `user`, allowed what `rules` allow.
    pub fn issue_token(&self, user: &str, rules: Vec<Rule>) -> String {
        let token = new_token(&self.spec.name);
        self.tokens.lock().insert(token.clone(), Arc::new(Subject::limited(user, rules)));
        token
    }

    pub fn controllers_paused(&self) -> bool {
        self.controllers_paused.load(Ordering::Relaxed)
    }

    /// Stops (or restarts) the controller-manager half of the control loop.
    pub fn pause_controllers(&self, paused: bool) {
        self.controllers_paused.store(paused, Ordering::Relaxed);
        // Resuming must not wait for the next store change.
        self.notify.notify_one();
    }

    /// Edits a node through the store (watchers see MODIFIED); NotFound for an unknown node.
    pub fn modify_node(&self, name: &str, f: impl FnOnce(&mut Value)) -> Result<(), ApiError> {
        let mut st = self.store.lock();
        st.get(NODE, "", name).ok_or_else(|| ApiError::not_found("", "nodes", name))?;
        st.modify(NODE, "", name, f);
        Ok(())
    }

    /// Sets the taint `key=value:effect`, replacing one with the same key and effect.
    pub fn taint_node(&self, name: &str, key: &str, value: &str, effect: &str) -> Result<(), ApiError> {
        if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            return Err(ApiError::bad_request(format!("invalid taint effect {effect:?}: must be NoSchedule, PreferNoSchedule or NoExecute")));
        }
        let mut taint = json!({"key": key, "effect": effect});
        if !value.is_empty() {
            taint["value"] = json!(value);
        }
        // The API only keeps timeAdded on NoExecute taints, where eviction timing starts.
        if effect == "NoExecute" {
            taint["timeAdded"] = json!(crate::store::now_rfc3339());
        }
        self.modify_node(name, |n| {
            let mut taints = crate::scheduler::node_taints(n);
            taints.retain(|t| !(t["key"] == key && t["effect"] == effect));
            taints.push(taint);
            n["spec"]["taints"] = Value::Array(taints);
        })
    }

    /// Removes every taint with `key` (and `spec.taints` itself once empty, as kubectl leaves it).
    pub fn untaint_node(&self, name: &str, key: &str) -> Result<(), ApiError> {
        self.modify_node(name, |n| {
            let mut taints = crate::scheduler::node_taints(n);
            taints.retain(|t| t["key"] != key);
            if let Some(spec) = n.get_mut("spec").and_then(Value::as_object_mut) {
                if taints.is_empty() {
                    spec.remove("taints");
                } else {
                    spec.insert("taints".into(), Value::Array(taints));
                }
            }
        })
    }

    /// `spec.unschedulable: true`, or no such field (what `kubectl uncordon` leaves).
    pub fn cordon_node(&self, name: &str, on: bool) -> Result<(), ApiError> {
        self.modify_node(name, |n| {
            if on {
                n["spec"]["unschedulable"] = json!(true);
            } else if let Some(spec) = n.get_mut("spec").and_then(Value::as_object_mut) {
                spec.remove("unschedulable");
            }
        })
    }

    /// Node names in name order.
    pub fn node_names(&self) -> Vec<String> {
        self.store.lock().iter(NODE, None, None).map(|n| n.idx.name.to_string()).collect()
    }

    pub fn usage_ctx(&self) -> UsageCtx {
        let mut burst = self.burst.lock();
        let factor = match *burst {
            Some((f, until)) if Instant::now() < until => f,
            Some(_) => {
                *burst = None;
                1.0
            }
            None => 1.0,
        };
        UsageCtx { now: self.clock.now(), utc_offset_hours: self.spec.utc_offset_hours, default_profile: self.spec.usage.unwrap_or(UsageProfile { day: 0.5, night: 0.3 }), burst: factor }
    }

    /// Multiplies usage by `factor` for `duration` (admin "burst").
    pub fn set_burst(&self, factor: f64, duration: Duration) {
        *self.burst.lock() = Some((factor, Instant::now() + duration));
    }

    /// Bursts so that the running pods use about `fraction` of the cluster's allocatable CPU
    /// now (whatever they use before); returns the factor.
    pub fn burst_to(&self, fraction: f64, duration: Duration) -> f64 {
        *self.burst.lock() = None;
        let ctx = self.usage_ctx();
        let (used, alloc) = {
            let st = self.store.lock();
            let used: f64 = st.iter(POD, None, None).filter(|p| p.idx.phase() == "Running").flat_map(|p| crate::usage::pod_usage(&p.value(), &ctx)).map(|(_, cpu, _)| cpu).sum();
            let alloc: f64 = st.iter(NODE, None, None).filter_map(|n| n.value().pointer("/status/allocatable/cpu").and_then(crate::quantity::parse_value)).sum();
            (used, alloc)
        };
        let factor = if used > 0.0 { (fraction * alloc / used).clamp(1.0, 1000.0) } else { 1.0 };
        self.set_burst(factor, duration);
        factor
    }

    fn next_service_ip(&self) -> String {
        let n = self.service_seq.fetch_add(1, Ordering::Relaxed);
        format!("10.96.{}.{}", n / 250, n % 250 + 1)
    }

    /// Defaulting, validation, namespace checks and admission, then store create.
    pub fn create_object(&self, st: &mut Store, res: ResId, mut v: Value) -> Result<ObjRef, ApiError> {
        let def = &RESOURCES[res];
        if !v.is_object() {
            return Err(ApiError::bad_request("the request body must be a JSON object"));
        }
        v["apiVersion"] = json!(def.api_version());
        v["kind"] = json!(def.kind);
        if !v.get("metadata").is_some_and(Value::is_object) {
            v["metadata"] = json!({});
        }
        let ns = meta_str(&v, "namespace").to_string();
        if def.namespaced {
            let ns = if ns.is_empty() { "default".to_string() } else { ns };
            v["metadata"]["namespace"] = json!(ns);
            let nso = st.get(NAMESPACE, "", &ns).ok_or_else(|| ApiError::not_found("", "namespaces", &ns))?;
            if nso.value().pointer("/status/phase").and_then(Value::as_str) == Some("Terminating") {
                let name = meta_str(&v, "name").to_string();
                return Err(ApiError::forbidden(def.group, def.plural, &name, &format!("unable to create new content in namespace {ns} because it is being terminated")));
            }
            defaults::validate(res, &v)?;
            admission::admit(st, &ns, res, &mut v)?;
        } else {
            if let Some(m) = v["metadata"].as_object_mut() {
                m.remove("namespace");
            }
            defaults::validate(res, &v)?;
        }
        defaults::default_object(res, &mut v, || self.next_service_ip());
        st.create(res, v)
    }

    /// Deletes with kube's cascading: a Deployment takes its pods (unless orphaned), a Namespace
    /// takes everything in it.
    pub fn delete_object(&self, st: &mut Store, res: ResId, ns: &str, name: &str, orphan: bool) -> Result<ObjRef, ApiError> {
        match res {
            NAMESPACE => {
                if PROTECTED_NAMESPACES.contains(&name) {
                    return Err(ApiError::forbidden("", "namespaces", name, "this namespace may not be deleted"));
                }
                st.get(NAMESPACE, "", name).ok_or_else(|| ApiError::not_found("", "namespaces", name))?;
                st.modify(NAMESPACE, "", name, |n| n["status"]["phase"] = json!("Terminating"));
                for (r, def) in RESOURCES.iter().enumerate() {
                    if def.namespaced && !def.computed {
                        let names: Vec<String> = st.iter(r, Some(name), None).map(|o| o.idx.name.to_string()).collect();
                        for n in names {
                            let _ = st.delete(r, name, &n);
                        }
                    }
                }
                st.delete(NAMESPACE, "", name)
            }
            DEPLOYMENT => {
                let d = st.delete(res, ns, name)?;
                let uid = d.idx.uid.to_string();
                let owned: Vec<String> = st.iter(POD, Some(ns), None).filter(|p| p.idx.owner_uid() == Some(uid.as_str())).map(|p| p.idx.name.to_string()).collect();
                for p in owned {
                    if orphan {
                        st.modify(POD, ns, &p, |pod| {
                            if let Some(m) = pod["metadata"].as_object_mut() {
                                m.remove("ownerReferences");
                            }
                        });
                    } else {
                        let _ = st.delete(POD, ns, &p);
                    }
                }
                Ok(d)
            }
            NODE => {
                let d = st.delete(res, ns, name)?;
                let pods: Vec<(String, String)> = st.iter(POD, None, None).filter(|p| p.idx.node_name() == name).map(|p| (p.idx.ns.to_string(), p.idx.name.to_string())).collect();
                for (pns, pn) in pods {
                    let _ = st.delete(POD, &pns, &pn);
                }
                Ok(d)
            }
            _ => st.delete(res, ns, name),
        }
    }

    fn node_object(&self, pool: &NodePoolSpec) -> Value {
        let seq = self.node_seq.fetch_add(1, Ordering::Relaxed);
        let spec = &self.spec;
        let ip = format!("10.{}.{}.{}", self.index % 250, seq / 250, seq % 250 + 10);
        let eks = spec.provider == "eks";
        let name = if eks { format!("ip-{}.{}.compute.internal", ip.replace('.', "-"), spec.region) } else { format!("{}-{}-{:02}", spec.name, pool.name, seq + 1) };
        let zone = if eks { format!("{}{}", spec.region, ["a", "c", "d"][seq as usize % 3]) } else { format!("{}-rack{}", spec.region, seq % 2 + 1) };
        let mut labels = json!({
            "kubernetes.io/hostname": name,
            "kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "node.kubernetes.io/instance-type": pool.instance_type,
            "topology.kubernetes.io/region": spec.region,
            "topology.kubernetes.io/zone": zone,
            "sim.flotilla.dev/pool": pool.name,
        });
        for (k, v) in &pool.labels {
            labels[k] = json!(v);
        }
        let mut cap = json!({"cpu": pool.cpu, "memory": pool.memory, "pods": pool.pods.to_string(), "ephemeral-storage": "80Gi"});
        if pool.gpu > 0 {
            cap[podinfo::GPU] = json!(pool.gpu.to_string());
        }
        let now = crate::store::now_rfc3339();
        let cond = |t: &str, s: &str, r: &str, m: &str| json!({"type": t, "status": s, "reason": r, "message": m, "lastHeartbeatTime": now, "lastTransitionTime": now});
        let provider_id = if eks { format!("aws:///{zone}/i-0{:016x}", rand::random::<u64>()) } else { format!("onprem://{}", name) };
        json!({
            "metadata": {
                "name": name,
                "labels": labels,
                "annotations": {"sim.flotilla.dev/price-per-hour": pool.price_per_hour.to_string()},
            },
            "spec": {"providerID": provider_id},
            "status": {
                "capacity": cap,
                "allocatable": cap,
                "conditions": [
                    cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                    cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                    cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                    cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
                ],
                "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                "nodeInfo": {
                    "kubeletVersion": spec.kubernetes_version,
                    "kubeProxyVersion": spec.kubernetes_version,
                    "osImage": if eks { "Amazon Linux 2023.6.20241121" } else { "Ubuntu 22.04.5 LTS" },
                    "containerRuntimeVersion": "containerd://1.7.23",
                    "kernelVersion": "6.1.115",
                    "operatingSystem": "linux",
                    "architecture": "amd64",
                    "machineID": "", "systemUUID": "", "bootID": "",
                },
            },
        })
    }

    /// Adds `count` nodes from the named pool (default: the first pool).
    pub fn add_nodes(&self, pool: Option<&str>, count: u32) -> Result<Vec<String>, ApiError> {
        let p = match pool {
            Some(n) => self.spec.node_pools.iter().find(|p| p.name == n),
            None => self.spec.node_pools.first(),
        }
        .ok_or_else(|| ApiError::bad_request(format!("no node pool {pool:?}")))?
        .clone();
        let mut st = self.store.lock();
        let mut names = Vec::new();
        for _ in 0..count {
            let n = self.create_object(&mut st, NODE, self.node_object(&p))?;
            names.push(n.idx.name.to_string());
        }
        Ok(names)
    }

    /// Removes the `count` most recently added nodes; their pods are deleted (and rescheduled by owners).
    pub fn remove_nodes(&self, count: u32) -> Vec<String> {
        let mut st = self.store.lock();
        let mut nodes: Vec<(String, String)> = st.iter(NODE, None, None).map(|n| (n.idx.created.to_string(), n.idx.name.to_string())).collect();
        nodes.sort();
        let victims: Vec<String> = nodes.into_iter().rev().take(count as usize).map(|(_, n)| n).collect();
        for n in &victims {
            let _ = self.delete_object(&mut st, NODE, "", n, false);
        }
        victims
    }

    fn deployment_object(ns: &str, w: &WorkloadSpec) -> Value {
        let mut labels = json!({"app": w.name});
        for (k, v) in &w.labels {
            labels[k] = json!(v);
        }
        let mut res = json!({});
        if !w.requests.is_empty() {
            res["requests"] = json!(w.requests);
        }
        if !w.limits.is_empty() {
            res["limits"] = json!(w.limits);
        }
        let mut annotations = json!({});
        if let Some(u) = w.usage {
            annotations[ANN_DAY] = json!(u.day.to_string());
            annotations[ANN_NIGHT] = json!(u.night.to_string());
        }
        let mut pod_spec = json!({"containers": [{"name": w.name, "image": w.image, "resources": res,
            "ports": [{"containerPort": 8080, "protocol": "TCP"}]}]});
        if let Some(pc) = &w.priority_class_name {
            pod_spec["priorityClassName"] = json!(pc);
        }
        if !w.node_selector.is_empty() {
            pod_spec["nodeSelector"] = json!(w.node_selector);
        }
        json!({
            "metadata": {"name": w.name, "namespace": ns, "labels": labels},
            "spec": {
                "replicas": w.replicas,
                "selector": {"matchLabels": {"app": w.name}},
                "template": {"metadata": {"labels": labels, "annotations": annotations}, "spec": pod_spec},
            },
        })
    }

    fn bootstrap(&self) {
        let spec = self.spec.clone();
        let mut st = self.store.lock();
        let ok = |r: Result<ObjRef, ApiError>| {
            if let Err(e) = r {
                tracing::warn!(cluster = %spec.name, "bootstrap: {e}");
            }
        };
        for ns in PROTECTED_NAMESPACES {
            ok(self.create_object(&mut st, NAMESPACE, json!({"metadata": {"name": ns}})));
        }
        for (name, value) in [("system-node-critical", 2_000_001_000i64), ("system-cluster-critical", 2_000_000_000)] {
            ok(self.create_object(&mut st, PRIORITY_CLASS, json!({"metadata": {"name": name}, "value": value, "globalDefault": false})));
        }
        for pc in &spec.priority_classes {
            ok(self.create_object(
                &mut st,
                PRIORITY_CLASS,
                json!({"metadata": {"name": pc.name}, "value": pc.value, "globalDefault": pc.global_default, "description": pc.description, "preemptionPolicy": "PreemptLowerPriority"}),
            ));
        }
        for pool in &spec.node_pools {
            for _ in 0..pool.count {
                let n = self.node_object(pool);
                ok(self.create_object(&mut st, NODE, n));
            }
        }
        ok(self.create_object(
            &mut st,
            SERVICE,
            json!({"metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
                   "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"], "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}]}}),
        ));
        ok(self.create_object(
            &mut st,
            CONFIG_MAP,
            json!({"metadata": {"name": "flotilla-sim-cluster-info", "namespace": "kube-system"},
                   "data": {"name": spec.name, "provider": spec.provider, "region": spec.region,
                            "controlPlanePricePerHour": spec.control_plane_price_per_hour.to_string(),
                            "simulated": "true"}}),
        ));
        for ns in &spec.namespaces {
            if !PROTECTED_NAMESPACES.contains(&ns.name.as_str()) {
                ok(self.create_object(&mut st, NAMESPACE, json!({"metadata": {"name": ns.name, "labels": ns.labels}})));
            }
            if !ns.quota.is_empty() {
                ok(self.create_object(&mut st, RESOURCE_QUOTA, json!({"metadata": {"name": format!("{}-quota", ns.name), "namespace": ns.name}, "spec": {"hard": ns.quota}})));
            }
            if let Some(lr) = &ns.limit_range {
                ok(self.create_object(
                    &mut st,
                    LIMIT_RANGE,
                    json!({"metadata": {"name": format!("{}-limits", ns.name), "namespace": ns.name},
                           "spec": {"limits": [{"type": "Container", "default": lr.default, "defaultRequest": lr.default_request}]}}),
                ));
            }
            for w in &ns.workloads {
                ok(self.create_object(&mut st, DEPLOYMENT, Self::deployment_object(&ns.name, w)));
            }
        }
        let coredns = WorkloadSpec {
            name: "coredns".into(),
            replicas: 2,
            image: "registry.k8s.io/coredns/coredns:v1.11.3".into(),
            requests: [("cpu".to_string(), "100m".to_string()), ("memory".to_string(), "70Mi".to_string())].into(),
            limits: [("memory".to_string(), "170Mi".to_string())].into(),
            usage: Some(UsageProfile { day: 0.3, night: 0.1 }),
            priority_class_name: Some("system-cluster-critical".into()),
            labels: [("k8s-app".to_string(), "kube-dns".to_string())].into(),
            node_selector: Default::default(),
        };
        ok(self.create_object(&mut st, DEPLOYMENT, Self::deployment_object("kube-system", &coredns)));
    }
}
