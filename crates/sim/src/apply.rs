//! Server-side apply: merges an applied configuration, records per-manager field ownership in
//! `metadata.managedFields` (FieldsV1), detects conflicts with other managers (409 unless forced)
//! and removes fields a manager stopped applying.

use serde_json::{Map, Value, json};

use crate::patch::{merge_key_of, strategic_merge};

type FieldPath = Vec<String>;

const SKIP_META: &[&str] = &["name", "namespace", "resourceVersion", "managedFields", "uid", "creationTimestamp", "generation", "selfLink"];

fn collect_leaves(v: &Value, prefix: &mut FieldPath, out: &mut Vec<FieldPath>) {
    match v {
        Value::Object(o) => {
            if o.is_empty() && !prefix.is_empty() {
                out.push(prefix.clone());
            }
            for (k, child) in o {
                let top = prefix.is_empty();
                if top && matches!(k.as_str(), "apiVersion" | "kind" | "status") {
                    continue;
                }
                if prefix.len() == 1 && prefix[0] == "f:metadata" && SKIP_META.contains(&k.as_str()) {
                    continue;
                }
                prefix.push(format!("f:{k}"));
                collect_leaves(child, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(a) => {
            let items: Vec<&Value> = a.iter().collect();
            match merge_key_of(&items) {
                Some(key) => {
                    for item in a {
                        prefix.push(format!("k:{}", json!({ key: item[key] })));
                        prefix.push(".".into());
                        out.push(prefix.clone());
                        prefix.pop();
                        collect_leaves(item, prefix, out);
                        prefix.pop();
                    }
                }
                None => out.push(prefix.clone()),
            }
        }
        _ => out.push(prefix.clone()),
    }
}

fn leaves_of_config(config: &Value) -> Vec<FieldPath> {
    let mut out = Vec::new();
    collect_leaves(config, &mut Vec::new(), &mut out);
    out
}

fn leaves_of_tree(tree: &Value, prefix: &mut FieldPath, out: &mut Vec<FieldPath>) {
    if let Value::Object(o) = tree {
        if o.is_empty() && !prefix.is_empty() {
            out.push(prefix.clone());
        }
        for (k, child) in o {
            prefix.push(k.clone());
            leaves_of_tree(child, prefix, out);
            prefix.pop();
        }
    }
}

fn tree_of(leaves: &[FieldPath]) -> Value {
    let mut root = Value::Object(Map::new());
    for path in leaves {
        let mut cur = &mut root;
        for seg in path {
            cur = cur.as_object_mut().expect("tree node").entry(seg.clone()).or_insert_with(|| json!({}));
        }
    }
    root
}

fn tree_contains(tree: &Value, path: &[String]) -> bool {
    let mut cur = tree;
    for seg in path {
        match cur.get(seg) {
            Some(n) => cur = n,
            None => return false,
        }
    }
    true
}

fn tree_remove(tree: &mut Value, path: &[String]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if let Some(o) = tree.as_object_mut() {
        if rest.is_empty() {
            o.remove(first);
        } else if let Some(child) = o.get_mut(first) {
            tree_remove(child, rest);
            if child.as_object().is_some_and(Map::is_empty) {
                o.remove(first);
            }
        }
    }
}

fn key_match(item: &Value, seg: &str) -> bool {
    let Ok(Value::Object(k)) = serde_json::from_str::<Value>(&seg[2..]) else {
        return false;
    };
    k.iter().all(|(kk, kv)| item.get(kk) == Some(kv))
}

fn value_at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path {
        cur = if seg == "." {
            cur
        } else if let Some(f) = seg.strip_prefix("f:") {
            cur.get(f)?
        } else if seg.starts_with("k:") {
            cur.as_array()?.iter().find(|i| key_match(i, seg))?
        } else {
            return None;
        };
    }
    Some(cur)
}

fn remove_at(v: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    if last == "." {
        // Remove a whole keyed list item: parent ends with the k: segment.
        if let Some((kseg, list_path)) = parent.split_last() {
            let mut cur = &mut *v;
            for seg in list_path {
                let Some(next) = step_mut(cur, seg) else {
                    return;
                };
                cur = next;
            }
            if let Some(a) = cur.as_array_mut() {
                a.retain(|i| !key_match(i, kseg));
            }
        }
        return;
    }
    let mut cur = &mut *v;
    for seg in parent {
        let Some(next) = step_mut(cur, seg) else {
            return;
        };
        cur = next;
    }
    if let (Some(f), Some(o)) = (last.strip_prefix("f:"), cur.as_object_mut()) {
        o.remove(f);
    }
}

fn step_mut<'a>(cur: &'a mut Value, seg: &str) -> Option<&'a mut Value> {
    if let Some(f) = seg.strip_prefix("f:") {
        cur.get_mut(f)
    } else if seg.starts_with("k:") {
        cur.as_array_mut()?.iter_mut().find(|i| key_match(i, seg))
    } else {
        Some(cur)
    }
}

fn dotted(path: &[String]) -> String {
    let mut s = String::new();
    for seg in path {
        if let Some(f) = seg.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = seg.strip_prefix("k:") {
            s.push('[');
            s.push_str(k);
            s.push(']');
        }
    }
    s
}

/// A field-manager conflict found by apply (manager, dotted field path).
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyConflict {
    pub manager: String,
    pub field: String,
}

/// Server-side apply of `config` by `manager` onto `live` (None = create). Returns the new object,
/// or the conflicts with other managers' fields when `force` is false.
pub fn apply(live: Option<&Value>, config: &Value, manager: &str, force: bool, api_version: &str, now: &str) -> Result<Value, Vec<ApplyConflict>> {
    let mut result = live.cloned().unwrap_or_else(|| json!({}));
    let mut entries: Vec<Value> = result.pointer("/metadata/managedFields").and_then(Value::as_array).cloned().unwrap_or_default();
    let new_leaves = leaves_of_config(config);

    // Conflicts: a leaf owned by another manager whose value would change.
    let mut conflicts = Vec::new();
    if let Some(live) = live {
        for e in entries.iter_mut() {
            let other = e.get("manager").and_then(Value::as_str).unwrap_or("").to_string();
            let same_op = e.get("operation").and_then(Value::as_str) == Some("Apply");
            if other == manager && same_op {
                continue;
            }
            let tree = e.get("fieldsV1").cloned().unwrap_or_else(|| json!({}));
            for leaf in &new_leaves {
                if tree_contains(&tree, leaf) && value_at(live, leaf) != value_at(config, leaf) && leaf.last().is_some_and(|l| l != ".") {
                    if force {
                        if let Some(t) = e.get_mut("fieldsV1") {
                            tree_remove(t, leaf);
                        }
                    } else {
                        conflicts.push(ApplyConflict { manager: other.clone(), field: dotted(leaf) });
                    }
                }
            }
        }
    }
    if !conflicts.is_empty() {
        return Err(conflicts);
    }

    // Fields this manager applied before but dropped now, and nobody else owns, are removed.
    let mine = entries.iter().position(|e| e.get("manager").and_then(Value::as_str) == Some(manager) && e.get("operation").and_then(Value::as_str) == Some("Apply"));
    if let Some(i) = mine {
        let mut old_leaves = Vec::new();
        leaves_of_tree(&entries[i]["fieldsV1"], &mut Vec::new(), &mut old_leaves);
        let mut dropped: Vec<FieldPath> =
            old_leaves.into_iter().filter(|l| !new_leaves.contains(l)).filter(|l| !entries.iter().enumerate().any(|(j, e)| j != i && tree_contains(&e["fieldsV1"], l))).collect();
        // Deepest first so item removal ('.') happens after its fields.
        dropped.sort_by_key(|l| std::cmp::Reverse(l.len()));
        for l in &dropped {
            remove_at(&mut result, l);
        }
    }

    strategic_merge(&mut result, &strip_for_merge(config));
    let entry = json!({
        "manager": manager,
        "operation": "Apply",
        "apiVersion": api_version,
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": tree_of(&new_leaves),
    });
    match mine {
        Some(i) => entries[i] = entry,
        None => entries.push(entry),
    }
    entries.retain(|e| e.get("fieldsV1").is_some_and(|t| t.as_object().is_some_and(|o| !o.is_empty())));
    if let Some(m) = result.get_mut("metadata").and_then(Value::as_object_mut) {
        m.insert("managedFields".into(), Value::Array(entries));
    }
    Ok(result)
}

fn strip_for_merge(config: &Value) -> Value {
    let mut c = config.clone();
    if let Some(o) = c.as_object_mut() {
        o.remove("status");
        if let Some(m) = o.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("managedFields");
            m.remove("resourceVersion");
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn apply_records_ownership_and_detects_conflicts() {
        let cfg = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "labels": {"a": "1"}}, "spec": {"replicas": 2}});
        let created = apply(None, &cfg, "alice", false, "apps/v1", "t").unwrap();
        assert_eq!(created["spec"]["replicas"], 2);
        let mf = &created["metadata"]["managedFields"][0];
        assert_eq!(mf["manager"], "alice");
        assert_eq!(mf["fieldsV1"]["f:spec"]["f:replicas"], json!({}));

        // Bob changes replicas: conflict unless forced.
        let bob = json!({"metadata": {"name": "d"}, "spec": {"replicas": 5}});
        let err = apply(Some(&created), &bob, "bob", false, "apps/v1", "t").unwrap_err();
        assert_eq!(err, vec![ApplyConflict { manager: "alice".into(), field: ".spec.replicas".into() }]);
        // Same value is shared ownership, not a conflict.
        let same = json!({"metadata": {"name": "d"}, "spec": {"replicas": 2}});
        assert!(apply(Some(&created), &same, "bob", false, "apps/v1", "t").is_ok());
        let forced = apply(Some(&created), &bob, "bob", true, "apps/v1", "t").unwrap();
        assert_eq!(forced["spec"]["replicas"], 5);
        let alice = forced["metadata"]["managedFields"].as_array().unwrap().iter().find(|e| e["manager"] == "alice").unwrap();
        assert!(alice["fieldsV1"].get("f:spec").is_none());
    }

    #[test]
    fn apply_removes_fields_dropped_by_the_same_manager() {
        let v1 = json!({"metadata": {"name": "c", "labels": {"a": "1", "b": "2"}}, "spec": {"containers": [{"name": "x", "image": "i"}, {"name": "y", "image": "j"}]}});
        let o1 = apply(None, &v1, "m", false, "v1", "t").unwrap();
        let v2 = json!({"metadata": {"name": "c", "labels": {"a": "1"}}, "spec": {"containers": [{"name": "x", "image": "i2"}]}});
        let o2 = apply(Some(&o1), &v2, "m", false, "v1", "t").unwrap();
        assert_eq!(o2["metadata"]["labels"], json!({"a": "1"}));
        assert_eq!(o2["spec"]["containers"], json!([{"name": "x", "image": "i2"}]));
    }
}
