//! Patch semantics: JSON merge patch (RFC 7386), strategic merge (lists of objects merged by key),
//! JSON patch (RFC 6902) and server-side apply with managedFields ownership and conflicts.

use serde_json::{Map, Value, json};

/// Keys used to merge lists of objects, in order of preference (strategic merge and apply).
const MERGE_KEYS: &[&str] = &["name", "type", "containerPort", "port", "mountPath", "ip", "devicePath"];

fn merge_key_of(items: &[&Value]) -> Option<&'static str> {
    if items.is_empty() {
        return None;
    }
    MERGE_KEYS.iter().copied().find(|k| items.iter().all(|i| i.as_object().is_some_and(|o| o.contains_key(*k))))
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    match patch {
        Value::Object(p) => {
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            let t = target.as_object_mut().expect("object");
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        other => *target = other.clone(),
    }
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(o) => Value::Object(
            o.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), strip_directives(v))).collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// Strategic merge patch: like a merge patch, but lists of objects are merged element-wise by
/// their merge key (`name` for containers, `type` for conditions, ...); `$patch: delete|replace`.
pub fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        *target = strip_directives(patch);
        return;
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("object");
    for (k, pv) in p {
        if k.starts_with('$') {
            continue;
        }
        if pv.is_null() {
            t.remove(k);
            continue;
        }
        match (t.get_mut(k), pv) {
            (Some(Value::Array(ta)), Value::Array(pa)) => {
                let all: Vec<&Value> = ta.iter().chain(pa.iter().filter(|i| i.get("$patch").is_none())).collect();
                match merge_key_of(&all) {
                    Some(key) => merge_list(ta, pa, key),
                    None => *ta = pa.iter().map(strip_directives).collect(),
                }
            }
            (Some(tv @ Value::Object(_)), Value::Object(_)) => strategic_merge(tv, pv),
            _ => {
                t.insert(k.clone(), strip_directives(pv));
            }
        }
    }
}

fn merge_list(target: &mut Vec<Value>, patch: &[Value], key: &str) {
    for item in patch {
        let kv = item.get(key);
        let pos = target.iter().position(|t| t.get(key) == kv && kv.is_some());
        if item.get("$patch").and_then(Value::as_str) == Some("delete") {
            if let Some(i) = pos {
                target.remove(i);
            }
            continue;
        }
        match pos {
            Some(i) => strategic_merge(&mut target[i], item),
            None => target.push(strip_directives(item)),
        }
    }
}

fn unescape(tok: &str) -> String {
    tok.replace("~1", "/").replace("~0", "~")
}

fn pointer_parts(path: &str) -> Result<Vec<String>, String> {
    if path.is_empty() {
        return Ok(vec![]);
    }
    let rest = path.strip_prefix('/').ok_or_else(|| format!("invalid JSON pointer {path:?}"))?;
    Ok(rest.split('/').map(unescape).collect())
}

fn parent_mut<'a>(doc: &'a mut Value, parts: &[String]) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for p in parts {
        cur = match cur {
            Value::Object(o) => o.get_mut(p).ok_or_else(|| format!("path element {p:?} not found"))?,
            Value::Array(a) => {
                let i: usize = p.parse().map_err(|_| format!("invalid array index {p:?}"))?;
                a.get_mut(i).ok_or_else(|| format!("array index {i} out of range"))?
            }
            _ => return Err(format!("cannot descend into {p:?}")),
        };
    }
    Ok(cur)
}

fn jp_add(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let parts = pointer_parts(path)?;
    let Some((last, parent)) = parts.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent_mut(doc, parent)? {
        Value::Object(o) => {
            o.insert(last.clone(), value);
        }
        Value::Array(a) => {
            if last == "-" {
                a.push(value);
            } else {
                let i: usize = last.parse().map_err(|_| format!("invalid array index {last:?}"))?;
                if i > a.len() {
                    return Err(format!("array index {i} out of range"));
                }
                a.insert(i, value);
            }
        }
        _ => return Err(format!("cannot add at {path:?}")),
    }
    Ok(())
}

fn jp_remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let parts = pointer_parts(path)?;
    let (last, parent) = parts.split_last().ok_or("cannot remove the root")?;
    match parent_mut(doc, parent)? {
        Value::Object(o) => o.remove(last).ok_or_else(|| format!("path {path:?} not found")),
        Value::Array(a) => {
            let i: usize = last.parse().map_err(|_| format!("invalid array index {last:?}"))?;
            if i >= a.len() {
                return Err(format!("array index {i} out of range"));
            }
            Ok(a.remove(i))
        }
        _ => Err(format!("path {path:?} not found")),
    }
}

/// RFC 6902 JSON patch (add, remove, replace, move, copy, test).
pub fn json_patch(doc: &mut Value, ops: &Value) -> Result<(), String> {
    let ops = ops.as_array().ok_or("a JSON patch must be an array of operations")?;
    for op in ops {
        let path = op.get("path").and_then(Value::as_str).ok_or("operation without path")?;
        let value = || op.get("value").cloned().ok_or_else(|| format!("operation on {path:?} without value"));
        let from = || op.get("from").and_then(Value::as_str).ok_or_else(|| "operation without from".to_string());
        match op.get("op").and_then(Value::as_str).unwrap_or("") {
            "add" => jp_add(doc, path, value()?)?,
            "remove" => {
                jp_remove(doc, path)?;
            }
            "replace" => {
                jp_remove(doc, path)?;
                jp_add(doc, path, value()?)?;
            }
            "move" => {
                let v = jp_remove(doc, from()?)?;
                jp_add(doc, path, v)?;
            }
            "copy" => {
                let v = doc.pointer(from()?).cloned().ok_or("copy source not found")?;
                jp_add(doc, path, v)?;
            }
            "test" => {
                if doc.pointer(path) != Some(&value()?) {
                    return Err(format!("test operation failed at {path:?}"));
                }
            }
            other => return Err(format!("unknown JSON patch op {other:?}")),
        }
    }
    Ok(())
}

// ---------- server-side apply ----------

type FieldPath = Vec<String>;

const SKIP_META: &[&str] =
    &["name", "namespace", "resourceVersion", "managedFields", "uid", "creationTimestamp", "generation", "selfLink"];

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
    let Some((first, rest)) = path.split_first() else { return };
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
    let Ok(Value::Object(k)) = serde_json::from_str::<Value>(&seg[2..]) else { return false };
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
    let Some((last, parent)) = path.split_last() else { return };
    if last == "." {
        // Remove a whole keyed list item: parent ends with the k: segment.
        if let Some((kseg, list_path)) = parent.split_last() {
            let mut cur = &mut *v;
            for seg in list_path {
                let Some(next) = step_mut(cur, seg) else { return };
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
        let Some(next) = step_mut(cur, seg) else { return };
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
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
    now: &str,
) -> Result<Value, Vec<ApplyConflict>> {
    let mut result = live.cloned().unwrap_or_else(|| json!({}));
    let mut entries: Vec<Value> = result
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
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
    let mine = entries.iter().position(|e| {
        e.get("manager").and_then(Value::as_str) == Some(manager) && e.get("operation").and_then(Value::as_str) == Some("Apply")
    });
    if let Some(i) = mine {
        let mut old_leaves = Vec::new();
        leaves_of_tree(&entries[i]["fieldsV1"], &mut Vec::new(), &mut old_leaves);
        let mut dropped: Vec<FieldPath> = old_leaves
            .into_iter()
            .filter(|l| !new_leaves.contains(l))
            .filter(|l| {
                !entries.iter().enumerate().any(|(j, e)| j != i && tree_contains(&e["fieldsV1"], l))
            })
            .collect();
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

    #[test]
    fn merge_patch_rfc7386() {
        let mut t = json!({"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]});
        merge_patch(&mut t, &json!({"a": "z", "c": {"f": null}, "l": [3]}));
        assert_eq!(t, json!({"a": "z", "c": {"d": "e"}, "l": [3]}));
    }

    #[test]
    fn strategic_merges_containers_by_name() {
        let mut t = json!({"spec": {"containers": [
            {"name": "app", "image": "app:1", "env": [{"name": "A", "value": "1"}]},
            {"name": "side", "image": "side:1"}
        ], "args": ["x"]}});
        strategic_merge(&mut t, &json!({"spec": {"containers": [
            {"name": "app", "image": "app:2", "env": [{"name": "B", "value": "2"}]},
            {"name": "new", "image": "new:1"}
        ], "args": ["y"]}}));
        let c = &t["spec"]["containers"];
        assert_eq!(c.as_array().unwrap().len(), 3);
        assert_eq!(c[0]["image"], "app:2");
        assert_eq!(c[0]["env"].as_array().unwrap().len(), 2);
        assert_eq!(c[1]["image"], "side:1");
        assert_eq!(c[2]["name"], "new");
        assert_eq!(t["spec"]["args"], json!(["y"]));
    }

    #[test]
    fn strategic_delete_directive() {
        let mut t = json!({"spec": {"containers": [{"name": "a"}, {"name": "b"}]}});
        strategic_merge(&mut t, &json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}));
        assert_eq!(t, json!({"spec": {"containers": [{"name": "b"}]}}));
    }

    #[test]
    fn json_patch_ops() {
        let mut d = json!({"metadata": {"labels": {"a": "1"}}, "spec": {"l": [1, 2]}});
        json_patch(
            &mut d,
            &json!([
                {"op": "add", "path": "/metadata/labels/b", "value": "2"},
                {"op": "remove", "path": "/metadata/labels/a"},
                {"op": "replace", "path": "/spec/l/0", "value": 9},
                {"op": "add", "path": "/spec/l/-", "value": 3},
                {"op": "test", "path": "/spec/l/1", "value": 2}
            ]),
        )
        .unwrap();
        assert_eq!(d, json!({"metadata": {"labels": {"b": "2"}}, "spec": {"l": [9, 2, 3]}}));
        assert!(json_patch(&mut d, &json!([{"op": "test", "path": "/spec/l/0", "value": 1}])).is_err());
        assert!(json_patch(&mut d, &json!([{"op": "remove", "path": "/nope"}])).is_err());
    }

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
