//! Patch semantics: JSON merge patch (RFC 7386), strategic merge (lists of objects merged by key),
//! JSON patch (RFC 6902). Server-side apply lives in `apply.rs`.

use serde_json::{Map, Value};

/// Keys used to merge lists of objects, in order of preference (strategic merge and apply).
const MERGE_KEYS: &[&str] = &["name", "type", "containerPort", "port", "mountPath", "ip", "devicePath"];

pub(crate) fn merge_key_of(items: &[&Value]) -> Option<&'static str> {
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
        Value::Object(o) => Value::Object(o.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), strip_directives(v))).collect()),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

/// Strategic merge patch: like a merge patch, but lists of objects are merged element-wise by
/// their merge key (`name` for containers, `type` for conditions, ...); `$patch: delete|replace`
/// and `$setElementOrder/<list>` directives; merged lists are ordered as kube-apiserver orders them.
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
        let set_order = set_element_order(p, k);
        match (t.get_mut(k), pv) {
            (Some(Value::Array(ta)), Value::Array(pa)) => {
                let all: Vec<&Value> = ta.iter().chain(pa.iter().filter(|i| i.get("$patch").is_none())).collect();
                match merge_key_of(&all) {
                    Some(key) => merge_list(ta, pa, key, set_order),
                    None => *ta = pa.iter().map(strip_directives).collect(),
                }
            }
            (Some(tv @ Value::Object(_)), Value::Object(_)) => strategic_merge(tv, pv),
            _ => {
                t.insert(k.clone(), strip_directives(pv));
            }
        }
    }
    // An order directive without a patch list only reorders the live list.
    for (k, order) in p {
        let Some(list) = k.strip_prefix("$setElementOrder/") else {
            continue;
        };
        if p.contains_key(list) {
            continue;
        }
        if let (Some(Value::Array(ta)), Some(order)) = (t.get_mut(list), order.as_array()) {
            let items: Vec<&Value> = ta.iter().chain(order.iter()).collect();
            if let Some(key) = merge_key_of(&items) {
                let live = ta.clone();
                *ta = kube_order(std::mem::take(ta), order, &live, key);
            }
        }
    }
}

/// The `$setElementOrder/<list>` directive next to `list` in a patch, if any.
fn set_element_order<'a>(p: &'a Map<String, Value>, list: &str) -> Option<&'a [Value]> {
    p.get(&format!("$setElementOrder/{list}")).and_then(Value::as_array).map(Vec::as_slice)
}

/// apimachinery's `mergeSlice` for a list with a merge key: delete directives first, patch items
/// merged into their live counterparts (new ones added), then kube's order (see [`kube_order`]).
fn merge_list(target: &mut Vec<Value>, patch: &[Value], key: &str, set_order: Option<&[Value]>) {
    let mut items: Vec<&Value> = Vec::new();
    for item in patch {
        match item.get("$patch").and_then(Value::as_str) {
            Some("delete") => target.retain(|t| t.get(key).is_none() || t.get(key) != item.get(key)),
            Some("replace") => {
                *target = patch.iter().filter(|i| i.get("$patch").is_none()).map(strip_directives).collect();
                return;
            }
            _ => items.push(item),
        }
    }
    let live = target.clone();
    let mut merged = std::mem::take(target);
    for item in &items {
        let kv = item.get(key);
        match merged.iter().position(|t| kv.is_some() && t.get(key) == kv) {
            Some(i) => strategic_merge(&mut merged[i], item),
            None => merged.push(strip_directives(item)),
        }
    }
    let order: Vec<Value> = match set_order {
        Some(o) => o.to_vec(),
        None => items.into_iter().cloned().collect(),
    };
    *target = kube_order(merged, &order, &live, key);
}

/// apimachinery's `normalizeElementOrder`: items named in `order` (the patch, or its
/// `$setElementOrder`) in that order, interleaved with the live-only items in their live order; a
/// live-only item goes first only when both it and the next patch item are live and it came first
/// there, so new items lead: `[a, b] + patch [c]` gives `[c, a, b]`.
fn kube_order(merged: Vec<Value>, order: &[Value], live: &[Value], key: &str) -> Vec<Value> {
    let pos = |list: &[Value], v: &Value| list.iter().position(|o| o.get(key) == v.get(key));
    let (mut patched, live_only): (Vec<Value>, Vec<Value>) = merged.into_iter().partition(|v| pos(order, v).is_some());
    patched.sort_by_key(|v| pos(order, v));
    let mut out = Vec::with_capacity(patched.len() + live_only.len());
    let (mut p, mut l) = (patched.into_iter().peekable(), live_only.into_iter().peekable());
    loop {
        let take_live = match (l.peek(), p.peek()) {
            (Some(lv), Some(pv)) => {
                matches!((pos(live, lv), pos(live, pv)), (Some(a), Some(b)) if a < b)
            }
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        out.extend(if take_live { l.next() } else { p.next() });
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        strategic_merge(
            &mut t,
            &json!({"spec": {"containers": [
            {"name": "app", "image": "app:2", "env": [{"name": "B", "value": "2"}]},
            {"name": "new", "image": "new:1"}
        ], "args": ["y"]}}),
        );
        let c = &t["spec"]["containers"];
        let names: Vec<&str> = c.as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
        // kube's order: patch items in patch order ("app" keeps its lead over "side", which came
        // after it), the new "new" before the live-only "side".
        assert_eq!(names, ["app", "new", "side"]);
        assert_eq!(c[0]["image"], "app:2");
        let env: Vec<&str> = c[0]["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(env, ["B", "A"], "a new env var goes first");
        assert_eq!(c[2]["image"], "side:1");
        assert_eq!(t["spec"]["args"], json!(["y"]));
    }

    #[test]
    fn strategic_list_order_matches_apimachinery() {
        let list = |names: &[&str]| json!({"l": names.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()});
        let order = |v: &Value| -> Vec<String> { v["l"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_string()).collect() };
        for (live, patch, want) in [
            (&["a", "b", "c"][..], &["c", "new"][..], &["a", "b", "c", "new"][..]),
            (&["a", "b", "c"], &["new", "a"], &["new", "a", "b", "c"]),
            (&["a", "b"], &["b", "a"], &["b", "a"]),
            (&["main"], &["side"], &["side", "main"]),
        ] {
            let mut t = list(live);
            strategic_merge(&mut t, &list(patch));
            assert_eq!(order(&t), want, "{live:?} + {patch:?}");
        }
        // $setElementOrder decides the order of the items it names.
        let mut t = list(&["a", "b"]);
        let mut p = list(&["c"]);
        p["$setElementOrder/l"] = json!([{"name": "a"}, {"name": "c"}, {"name": "b"}]);
        strategic_merge(&mut t, &p);
        assert_eq!(order(&t), ["a", "c", "b"]);
        let mut t = list(&["a", "b"]);
        strategic_merge(&mut t, &json!({"$setElementOrder/l": [{"name": "b"}, {"name": "a"}]}));
        assert_eq!(order(&t), ["b", "a"]);
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
}
