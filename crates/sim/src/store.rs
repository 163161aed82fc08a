//! Per-cluster object store: JSON objects keyed by (resource, namespace, name), one global
//! resourceVersion counter, a bounded event history and a broadcast channel for watches.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast};

use crate::index::Idx;
use crate::resources::{DEPLOYMENT, EVENT, LIMIT_RANGE, NAMESPACE, NODE, POD, PRIORITY_CLASS, RESOURCE_QUOTA, RESOURCES, ResId};
use crate::status::ApiError;

/// A stored object: its serialised JSON (lists and watches splice these bytes) plus a compact
/// index for the controllers. Only the few controller-configuration kinds (nodes, deployments,
/// quotas, ...) also keep the parsed value; everything else is parsed on demand by `value()`.
#[derive(Debug)]
pub struct Obj {
    pub raw: Bytes,
    pub rv: u64,
    pub idx: Idx,
    parsed: Option<Value>,
}

impl Obj {
    /// The object as JSON (parsed from `raw` unless cached).
    pub fn value(&self) -> Cow<'_, Value> {
        match &self.parsed {
            Some(v) => Cow::Borrowed(v),
            None => Cow::Owned(serde_json::from_slice(&self.raw).unwrap_or(Value::Null)),
        }
    }

    /// The same object without the cached parse (what history keeps).
    fn slim(self: &Arc<Self>) -> Arc<Self> {
        if self.parsed.is_none() {
            return self.clone();
        }
        Arc::new(Obj { raw: self.raw.clone(), rv: self.rv, idx: self.idx.clone(), parsed: None })
    }
}

/// Kinds whose parsed value is cached: few objects, read on every controller pass.
fn caches_value(res: ResId) -> bool {
    matches!(res, NAMESPACE | NODE | DEPLOYMENT | RESOURCE_QUOTA | LIMIT_RANGE | PRIORITY_CLASS)
}

pub type ObjRef = Arc<Obj>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, as kept in history and sent to watchers.
#[derive(Debug)]
pub struct WatchEvent {
    pub rv: u64,
    pub res: ResId,
    pub ns: String,
    pub etype: EventType,
    pub obj: ObjRef,
    /// The version this MODIFIED event replaced (live events only), so selector watches can turn
    /// "left the selection" into DELETED and "entered it" into ADDED, like kube-apiserver.
    pub prev: Option<ObjRef>,
}

type Key = (String, String);

/// A history entry shares the stored object (bytes + index, never a parsed value).
#[derive(Debug)]
struct HistEvent {
    res: ResId,
    etype: EventType,
    obj: ObjRef,
}

pub struct Store {
    rv: u64,
    objects: Vec<BTreeMap<Key, ObjRef>>,
    history: VecDeque<HistEvent>,
    history_limit: usize,
    /// Every event with rv > history_floor is still in `history`.
    history_floor: u64,
    tx: broadcast::Sender<Arc<WatchEvent>>,
    notify: Arc<Notify>,
    events_order: VecDeque<Key>,
    events_limit: usize,
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn new_uid() -> String {
    let b: [u8; 16] = rand::random();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-4{}-a{}-{}", &h[0..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

/// Lower-case alphanumerics used for generated name suffixes (kube's safe alphabet).
pub fn rand_suffix(n: usize) -> String {
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..n).map(|_| ALPHA[rand::random_range(0..ALPHA.len())] as char).collect()
}

pub fn meta_str<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get("metadata").and_then(|m| m.get(field)).and_then(Value::as_str).unwrap_or("")
}

impl Store {
    pub fn new(history_limit: usize, notify: Arc<Notify>) -> Self {
        let (tx, _) = broadcast::channel(65536);
        Store {
            rv: 1,
            objects: RESOURCES.iter().map(|_| BTreeMap::new()).collect(),
            history: VecDeque::new(),
            history_limit: history_limit.max(1),
            history_floor: 1,
            tx,
            notify,
            events_order: VecDeque::new(),
            events_limit: 2000,
        }
    }

    pub fn current_rv(&self) -> u64 {
        self.rv
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<WatchEvent>> {
        self.tx.subscribe()
    }

    pub fn set_history_limit(&mut self, limit: usize) {
        self.history_limit = limit.max(1);
        self.trim_history();
    }

    pub fn get(&self, res: ResId, ns: &str, name: &str) -> Option<ObjRef> {
        self.objects[res].get(&(ns.to_string(), name.to_string())).cloned()
    }

    /// Objects of `res`, optionally in one namespace, in (namespace, name) order, starting after `after`.
    pub fn iter<'a>(&'a self, res: ResId, ns: Option<&'a str>, after: Option<Key>) -> Box<dyn Iterator<Item = &'a ObjRef> + 'a> {
        use std::ops::Bound;
        let map = &self.objects[res];
        let lower = match (&after, ns) {
            (Some(k), _) => Bound::Excluded(k.clone()),
            (None, Some(n)) => Bound::Included((n.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let it = map.range((lower, Bound::Unbounded));
        match ns {
            Some(n) => Box::new(it.take_while(move |(k, _)| k.0 == n).map(|(_, v)| v)),
            None => Box::new(it.map(|(_, v)| v)),
        }
    }

    pub fn count(&self, res: ResId) -> usize {
        self.objects[res].len()
    }

    /// History events after `rv`, or Err(oldest available rv) if that part of history is gone.
    pub fn events_since(&self, rv: u64) -> Result<Vec<Arc<WatchEvent>>, u64> {
        if rv < self.history_floor {
            return Err(self.history_floor);
        }
        let start = self.history.partition_point(|e| e.obj.rv <= rv);
        Ok(self.history.range(start..).map(|h| Arc::new(WatchEvent { rv: h.obj.rv, res: h.res, ns: h.obj.idx.ns.to_string(), etype: h.etype, obj: h.obj.clone(), prev: None })).collect())
    }

    fn trim_history(&mut self) {
        while self.history.len() > self.history_limit {
            if let Some(e) = self.history.pop_front() {
                self.history_floor = e.obj.rv;
            }
        }
    }

    fn commit(&mut self, res: ResId, mut value: Value, etype: EventType) -> ObjRef {
        self.rv += 1;
        let rv = self.rv;
        if let Some(m) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
        let idx = Idx::build(res, &value);
        let ns = idx.ns.to_string();
        let key = (ns.clone(), idx.name.to_string());
        let mut buf = serde_json::to_vec(&value).unwrap_or_default();
        buf.shrink_to_fit();
        let parsed = caches_value(res).then_some(value);
        let obj = Arc::new(Obj { raw: Bytes::from(buf), rv, idx, parsed });
        let mut prev = None;
        match etype {
            EventType::Deleted => {
                self.objects[res].remove(&key);
            }
            EventType::Added => {
                if res == EVENT {
                    self.events_order.push_back(key.clone());
                }
                self.objects[res].insert(key, obj.clone());
            }
            EventType::Modified => {
                prev = self.objects[res].insert(key, obj.clone());
            }
        }
        self.history.push_back(HistEvent { res, etype, obj: obj.slim() });
        let ev = Arc::new(WatchEvent { rv, res, ns, etype, obj: obj.clone(), prev });
        self.trim_history();
        let _ = self.tx.send(ev);
        // Controllers only react to the kinds they reconcile; events/configmaps do not wake them.
        if matches!(res, POD | NODE | DEPLOYMENT | RESOURCE_QUOTA | LIMIT_RANGE | PRIORITY_CLASS) {
            self.notify.notify_one();
        }
        if res == EVENT && etype == EventType::Added {
            self.trim_events();
        }
        obj
    }

    fn trim_events(&mut self) {
        while self.objects[EVENT].len() > self.events_limit {
            let Some((ns, name)) = self.events_order.pop_front() else {
                break;
            };
            if let Some(old) = self.objects[EVENT].get(&(ns, name)).cloned() {
                let mut v = old.value().into_owned();
                if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.remove("resourceVersion");
                }
                self.commit(EVENT, v, EventType::Deleted);
            }
        }
    }

    /// Stores a new object: fills generateName, uid, creationTimestamp, generation.
    pub fn create(&mut self, res: ResId, mut value: Value) -> Result<ObjRef, ApiError> {
        let def = &RESOURCES[res];
        let meta = value.get_mut("metadata").and_then(Value::as_object_mut).ok_or_else(|| ApiError::bad_request("metadata is required"))?;
        let mut name = meta.get("name").and_then(Value::as_str).unwrap_or("").to_string();
        let ns = meta.get("namespace").and_then(Value::as_str).unwrap_or("").to_string();
        if name.is_empty() {
            let prefix = meta.get("generateName").and_then(Value::as_str).unwrap_or("").to_string();
            loop {
                name = format!("{prefix}{}", rand_suffix(5));
                if !self.objects[res].contains_key(&(ns.clone(), name.clone())) {
                    break;
                }
            }
            meta.insert("name".into(), json!(name));
        }
        if self.objects[res].contains_key(&(ns.clone(), name.clone())) {
            return Err(ApiError::already_exists(def.group, def.plural, &name));
        }
        meta.insert("uid".into(), json!(new_uid()));
        meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
        meta.remove("resourceVersion");
        meta.remove("deletionTimestamp");
        if def.has_generation() {
            meta.insert("generation".into(), json!(1));
        }
        Ok(self.commit(res, value, EventType::Added))
    }

    /// Replaces an existing object. A non-empty `metadata.resourceVersion` must match (else 409).
    /// Identity fields are kept; `generation` is bumped on spec changes; a no-op returns the old object.
    pub fn update(&mut self, res: ResId, mut value: Value) -> Result<ObjRef, ApiError> {
        let def = &RESOURCES[res];
        let ns = meta_str(&value, "namespace").to_string();
        let name = meta_str(&value, "name").to_string();
        let old = self.get(res, &ns, &name).ok_or_else(|| ApiError::not_found(def.group, def.plural, &name))?;
        let given_rv = meta_str(&value, "resourceVersion");
        if !given_rv.is_empty() && given_rv != old.rv.to_string() {
            return Err(ApiError::stale(def.group, def.plural, &name));
        }
        let old_value = old.value();
        let spec_changed = value_spec(&old_value) != value_spec(&value);
        let old_meta = &old_value["metadata"];
        if let Some(m) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            for f in ["uid", "creationTimestamp"] {
                if let Some(v) = old_meta.get(f) {
                    m.insert(f.into(), v.clone());
                }
            }
            m.insert("resourceVersion".into(), json!(old.rv.to_string()));
            if def.has_generation() {
                let g = old_meta.get("generation").and_then(Value::as_i64).unwrap_or(1);
                m.insert("generation".into(), json!(if spec_changed { g + 1 } else { g }));
            }
        }
        if value == *old_value {
            drop(old_value);
            return Ok(old);
        }
        drop(old_value);
        Ok(self.commit(res, value, EventType::Modified))
    }

    /// Applies `f` to a copy of the stored object and saves it if anything changed (controllers' path).
    pub fn modify(&mut self, res: ResId, ns: &str, name: &str, f: impl FnOnce(&mut Value)) -> Option<ObjRef> {
        let old = self.get(res, ns, name)?;
        let before = old.value().into_owned();
        let mut v = before.clone();
        f(&mut v);
        if v == before {
            return Some(old);
        }
        self.update(res, v).ok()
    }

    pub fn delete(&mut self, res: ResId, ns: &str, name: &str) -> Result<ObjRef, ApiError> {
        let def = &RESOURCES[res];
        let old = self.get(res, ns, name).ok_or_else(|| ApiError::not_found(def.group, def.plural, name))?;
        let mut v = old.value().into_owned();
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            m.insert("deletionTimestamp".into(), json!(now_rfc3339()));
            m.insert("deletionGracePeriodSeconds".into(), json!(0));
        }
        Ok(self.commit(res, v, EventType::Deleted))
    }

    /// Records a core/v1 Event about `involved` (bounded: the oldest events are dropped).
    pub fn record_event(&mut self, involved: &Value, etype: &str, reason: &str, message: &str, component: &str) {
        let ns = match meta_str(involved, "namespace") {
            "" => "default",
            n => n,
        };
        let obj_name = meta_str(involved, "name");
        let now = now_rfc3339();
        let ev = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": { "name": format!("{obj_name}.{}", rand_suffix(16)), "namespace": ns },
            "involvedObject": {
                "apiVersion": involved.get("apiVersion").cloned().unwrap_or(json!("v1")),
                "kind": involved.get("kind").cloned().unwrap_or(json!("")),
                "name": obj_name,
                "namespace": meta_str(involved, "namespace"),
                "uid": meta_str(involved, "uid"),
                "resourceVersion": meta_str(involved, "resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "type": etype,
            "count": 1,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "source": { "component": component },
            "reportingComponent": component,
            "reportingInstance": "flotilla-sim",
        });
        let _ = self.create(EVENT, ev);
    }
}

fn value_spec(v: &Value) -> Option<&Value> {
    v.get("spec").or_else(|| v.get("value"))
}
