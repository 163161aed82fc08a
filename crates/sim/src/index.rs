//! Compact typed index of a stored object (identity, labels, owner, pod scheduling facts), so the
//! controllers, selectors and lists can scan thousands of objects without keeping parsed JSON.

use serde_json::Value;

use crate::podinfo::{self, Res};
use crate::resources::POD;
use crate::store::meta_str;

/// What the controllers need of one object; built once per write from the parsed value.
#[derive(Debug, Clone, Default)]
pub struct Idx {
    pub ns: Box<str>,
    pub name: Box<str>,
    pub uid: Box<str>,
    pub created: Box<str>,
    pub labels: Box<[(Box<str>, Box<str>)]>,
    /// The controller owner's uid and kind.
    pub owner: Option<Box<(Box<str>, Box<str>)>>,
    /// Only for pods.
    pub pod: Option<Box<PodIdx>>,
}

#[derive(Debug, Clone, Default)]
pub struct PodIdx {
    pub node: Box<str>,
    pub phase: Box<str>,
    pub priority: i64,
    pub req: Res,
    pub ready: bool,
    /// Quota usage by key, `count/pods` included (see `admission::pod_usage`).
    pub usage: Box<[(Box<str>, f64)]>,
}

fn bs(s: &str) -> Box<str> {
    s.into()
}

impl Idx {
    pub fn build(res: usize, v: &Value) -> Idx {
        let labels = v.pointer("/metadata/labels").and_then(Value::as_object).map(|m| m.iter().filter_map(|(k, v)| Some((bs(k), bs(v.as_str()?)))).collect()).unwrap_or_default();
        let owner = podinfo::owner_uid(v).map(|u| {
            let kind = v.pointer("/metadata/ownerReferences/0/kind").and_then(Value::as_str).unwrap_or("");
            Box::new((bs(u), bs(kind)))
        });
        let pod = (res == POD).then(|| {
            Box::new(PodIdx {
                node: bs(podinfo::node_name(v)),
                phase: bs(v.pointer("/status/phase").and_then(Value::as_str).unwrap_or("")),
                priority: podinfo::priority(v),
                req: podinfo::requests(v),
                ready: podinfo::is_ready(v),
                usage: crate::admission::pod_usage(v).into_iter().map(|(k, n)| (bs(&k), n)).collect(),
            })
        });
        Idx { ns: bs(meta_str(v, "namespace")), name: bs(meta_str(v, "name")), uid: bs(meta_str(v, "uid")), created: bs(meta_str(v, "creationTimestamp")), labels, owner, pod }
    }

    pub fn label(&self, k: &str) -> Option<&str> {
        self.labels.iter().find(|(lk, _)| &**lk == k).map(|(_, v)| &**v)
    }

    pub fn owner_uid(&self) -> Option<&str> {
        self.owner.as_ref().map(|o| &*o.0)
    }

    pub fn owner_kind(&self) -> Option<&str> {
        self.owner.as_ref().map(|o| &*o.1)
    }

    fn p(&self) -> Option<&PodIdx> {
        self.pod.as_deref()
    }

    pub fn node_name(&self) -> &str {
        self.p().map_or("", |p| &p.node)
    }

    pub fn phase(&self) -> &str {
        match self.p().map_or("", |p| &*p.phase) {
            "" => "Pending",
            p => p,
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.phase(), "Succeeded" | "Failed")
    }

    pub fn priority(&self) -> i64 {
        self.p().map_or(0, |p| p.priority)
    }

    pub fn requests(&self) -> Res {
        self.p().map(|p| p.req).unwrap_or_default()
    }

    pub fn quota_usage(&self, key: &str) -> f64 {
        self.p().and_then(|p| p.usage.iter().find(|(k, _)| &**k == key)).map_or(0.0, |(_, n)| *n)
    }

    pub fn is_ready(&self) -> bool {
        self.p().is_some_and(|p| p.ready)
    }

    /// The value at a field-selector path ("" when absent) if the index knows it; None: parse.
    pub fn field(&self, path: &str) -> Option<&str> {
        match (path, self.p()) {
            ("metadata.name", _) => Some(&self.name),
            ("metadata.namespace", _) => Some(&self.ns),
            ("spec.nodeName", Some(p)) => Some(&p.node),
            ("status.phase", Some(p)) => Some(&p.phase),
            _ => None,
        }
    }
}
