//! Patch semantics: JSON merge patch (RFC 7386), strategic merge (lists of objects merged by key),
//! JSON patch (RFC 6902). Server-side apply lives in `apply.rs`.

use serde_json::{Map, Value};

/// Keys used to merge lists of objects, in order of preference (strategic merge and apply).
const MERGE_KEYS: &[&str] = &[
    "name",
    "type",
    "containerPort",
    "port",
    "mountPath",
    "ip",
    "devicePath",
];

pub(crate) fn merge_key_of(items: &[&Value]) -> Option<&'static str> {
    if items.is_empty() {
        return None;
    }
    MERGE_KEYS.iter().copied().find(|k| {
        items
            .iter()
            .all(|i| i.as_object().is_some_and(|o| o.contains_key(*k)))
    })
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
            o.iter()
                .filter(|(k, _)| !k.starts_with('$'))
                .map(|(k, v)| (k.clone(), strip_directives(v)))
                .collect(),
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
                let all: Vec<&Value> = ta
                    .iter()
                    .chain(pa.iter().filter(|i| i.get("$patch").is_none()))
                    .collect();
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
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| format!("invalid JSON pointer {path:?}"))?;
    Ok(rest.split('/').map(unescape).collect())
}

fn parent_mut<'a>(doc: &'a mut Value, parts: &[String]) -> Result<&'a mut Value, String> {
    let mut cur = doc;
    for p in parts {
        cur = match cur {
            Value::Object(o) => o
                .get_mut(p)
                .ok_or_else(|| format!("path element {p:?} not found"))?,
            Value::Array(a) => {
                let i: usize = p
                    .parse()
                    .map_err(|_| format!("invalid array index {p:?}"))?;
                a.get_mut(i)
                    .ok_or_else(|| format!("array index {i} out of range"))?
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
                let i: usize = last
                    .parse()
                    .map_err(|_| format!("invalid array index {last:?}"))?;
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
        Value::Object(o) => o
            .remove(last)
            .ok_or_else(|| format!("path {path:?} not found")),
        Value::Array(a) => {
            let i: usize = last
                .parse()
                .map_err(|_| format!("invalid array index {last:?}"))?;
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
    let ops = ops
        .as_array()
        .ok_or("a JSON patch must be an array of operations")?;
    for op in ops {
        let path = op
            .get("path")
            .and_then(Value::as_str)
            .ok_or("operation without path")?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| format!("operation on {path:?} without value"))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| "operation without from".to_string())
        };
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
                let v = doc
                    .pointer(from()?)
                    .cloned()
                    .ok_or("copy source not found")?;
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
        strategic_merge(
            &mut t,
            &json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}}),
        );
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
        assert_eq!(
            d,
            json!({"metadata": {"labels": {"b": "2"}}, "spec": {"l": [9, 2, 3]}})
        );
        assert!(
            json_patch(
                &mut d,
                &json!([{"op": "test", "path": "/spec/l/0", "value": 1}])
            )
            .is_err()
        );
        assert!(json_patch(&mut d, &json!([{"op": "remove", "path": "/nope"}])).is_err());
    }
}
