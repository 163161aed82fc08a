//! Label selectors (equality and set-based) and field selectors, as in `?labelSelector=` / `?fieldSelector=`.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
enum Op {
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    NotExists,
}

#[derive(Debug, Clone, PartialEq)]
struct Req {
    key: String,
    op: Op,
}

/// A parsed label selector; the empty selector matches everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector {
    reqs: Vec<Req>,
}

/// Splits on commas that are not inside parentheses.
fn split_terms(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().map(str::trim).filter(|t| !t.is_empty()).collect()
}

fn parse_set(rest: &str) -> Result<Vec<String>, String> {
    let rest = rest.trim();
    let inner = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).ok_or_else(|| format!("expected '(' values ')' in {rest:?}"))?;
    Ok(inner.split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect())
}

fn valid_key(k: &str) -> Result<String, String> {
    let k = k.trim();
    if k.is_empty() || k.contains(char::is_whitespace) {
        return Err(format!("invalid label key {k:?}"));
    }
    Ok(k.to_string())
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut reqs = Vec::new();
        for term in split_terms(s) {
            let req = if let Some(k) = term.strip_prefix('!') {
                Req { key: valid_key(k)?, op: Op::NotExists }
            } else if let Some(i) = term.find(" notin ") {
                Req { key: valid_key(&term[..i])?, op: Op::NotIn(parse_set(&term[i + 7..])?) }
            } else if let Some(i) = term.find(" in ") {
                Req { key: valid_key(&term[..i])?, op: Op::In(parse_set(&term[i + 4..])?) }
            } else if let Some(i) = term.find("!=") {
                Req { key: valid_key(&term[..i])?, op: Op::NotEq(term[i + 2..].trim().to_string()) }
            } else if let Some(i) = term.find("==") {
                Req { key: valid_key(&term[..i])?, op: Op::Eq(term[i + 2..].trim().to_string()) }
            } else if let Some(i) = term.find('=') {
                Req { key: valid_key(&term[..i])?, op: Op::Eq(term[i + 1..].trim().to_string()) }
            } else {
                Req { key: valid_key(term)?, op: Op::Exists }
            };
            reqs.push(req);
        }
        Ok(LabelSelector { reqs })
    }

    /// Builds a selector from a `metav1.LabelSelector` JSON object (matchLabels + matchExpressions).
    pub fn from_json(sel: &Value) -> Self {
        let mut reqs = Vec::new();
        if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
            for (k, v) in m {
                reqs.push(Req { key: k.clone(), op: Op::Eq(v.as_str().unwrap_or("").to_string()) });
            }
        }
        for e in sel.get("matchExpressions").and_then(Value::as_array).into_iter().flatten() {
            let key = e.get("key").and_then(Value::as_str).unwrap_or("").to_string();
            let vals: Vec<String> = e.get("values").and_then(Value::as_array).map(|a| a.iter().filter_map(|v| v.as_str().map(String::from)).collect()).unwrap_or_default();
            let op = match e.get("operator").and_then(Value::as_str).unwrap_or("") {
                "In" => Op::In(vals),
                "NotIn" => Op::NotIn(vals),
                "Exists" => Op::Exists,
                _ => Op::NotExists,
            };
            reqs.push(Req { key, op });
        }
        LabelSelector { reqs }
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }

    /// Matches against an object's `metadata.labels` map (or a labels object directly).
    pub fn matches(&self, labels: Option<&Value>) -> bool {
        self.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str))
    }

    /// Matches a stored object through its label index (no JSON parsing).
    pub fn matches_obj(&self, o: &crate::store::Obj) -> bool {
        self.reqs.is_empty() || self.matches_with(|k| o.idx.label(k))
    }

    fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.reqs.iter().all(|r| match &r.op {
            Op::Eq(v) => get(&r.key) == Some(v.as_str()),
            Op::NotEq(v) => get(&r.key) != Some(v.as_str()),
            Op::In(vs) => get(&r.key).is_some_and(|x| vs.iter().any(|v| v == x)),
            Op::NotIn(vs) => get(&r.key).is_none_or(|x| vs.iter().all(|v| v != x)),
            Op::Exists => get(&r.key).is_some(),
            Op::NotExists => get(&r.key).is_none(),
        })
    }

    pub fn matches_object(&self, obj: &Value) -> bool {
        self.reqs.is_empty() || self.matches(obj.get("metadata").and_then(|m| m.get("labels")))
    }

    /// Renders as the string form (used for Scale.status.selector).
    pub fn to_query(&self) -> String {
        let terms: Vec<String> = self
            .reqs
            .iter()
            .map(|r| match &r.op {
                Op::Eq(v) => format!("{}={v}", r.key),
                Op::NotEq(v) => format!("{}!={v}", r.key),
                Op::In(vs) => format!("{} in ({})", r.key, vs.join(",")),
                Op::NotIn(vs) => format!("{} notin ({})", r.key, vs.join(",")),
                Op::Exists => r.key.clone(),
                Op::NotExists => format!("!{}", r.key),
            })
            .collect();
        terms.join(",")
    }
}

/// A parsed field selector: `path=value`, `path==value`, `path!=value` terms joined by commas.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector {
    terms: Vec<(String, bool, String)>,
}

impl FieldSelector {
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for t in split_terms(s) {
            let (k, eq, v) = if let Some(i) = t.find("!=") {
                (&t[..i], false, &t[i + 2..])
            } else if let Some(i) = t.find("==") {
                (&t[..i], true, &t[i + 2..])
            } else if let Some(i) = t.find('=') {
                (&t[..i], true, &t[i + 1..])
            } else {
                return Err(format!("invalid field selector term {t:?}"));
            };
            terms.push((k.trim().to_string(), eq, v.trim().to_string()));
        }
        Ok(FieldSelector { terms })
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The `metadata.name=` value, if the selector pins one name (lets get-by-watch skip scans).
    pub fn pinned_name(&self) -> Option<&str> {
        self.terms.iter().find(|(k, eq, _)| k == "metadata.name" && *eq).map(|(_, _, v)| v.as_str())
    }

    /// Matches a stored object, from its index when every term's field is indexed.
    pub fn matches_obj(&self, o: &crate::store::Obj) -> bool {
        if self.terms.iter().all(|(p, _, _)| o.idx.field(p).is_some()) { self.terms.iter().all(|(p, eq, want)| (o.idx.field(p) == Some(want.as_str())) == *eq) } else { self.matches(&o.value()) }
    }

    pub fn matches(&self, obj: &Value) -> bool {
        self.terms.iter().all(|(path, eq, want)| {
            let mut cur = obj;
            let mut found = true;
            for part in path.split('.') {
                match cur.get(part) {
                    Some(v) => cur = v,
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            let actual = if !found {
                String::new()
            } else {
                match cur {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    other => other.to_string(),
                }
            };
            (actual == *want) == *eq
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "p1", "namespace": "team-a", "labels": labels}, "spec": {"nodeName": "n1"}, "status": {"phase": "Running"}})
    }

    #[test]
    fn equality_and_inequality() {
        let o = obj(json!({"app": "web", "tier": "front"}));
        assert!(LabelSelector::parse("app=web").unwrap().matches_object(&o));
        assert!(LabelSelector::parse("app==web,tier=front").unwrap().matches_object(&o));
        assert!(!LabelSelector::parse("app=api").unwrap().matches_object(&o));
        assert!(LabelSelector::parse("app!=api").unwrap().matches_object(&o));
        assert!(!LabelSelector::parse("app!=web").unwrap().matches_object(&o));
        // != matches objects without the label at all, like kube.
        assert!(LabelSelector::parse("missing!=x").unwrap().matches_object(&o));
    }

    #[test]
    fn set_based_and_exists() {
        let o = obj(json!({"app": "web", "env": "prod"}));
        assert!(LabelSelector::parse("env in (prod, staging)").unwrap().matches_object(&o));
        assert!(!LabelSelector::parse("env in (dev)").unwrap().matches_object(&o));
        assert!(LabelSelector::parse("env notin (dev,staging)").unwrap().matches_object(&o));
        assert!(!LabelSelector::parse("env notin (prod)").unwrap().matches_object(&o));
        assert!(LabelSelector::parse("app").unwrap().matches_object(&o));
        assert!(!LabelSelector::parse("!app").unwrap().matches_object(&o));
        assert!(LabelSelector::parse("!gpu,app,env in (prod)").unwrap().matches_object(&o));
        assert!(!LabelSelector::parse("gpu").unwrap().matches_object(&o));
        assert!(LabelSelector::parse("").unwrap().matches_object(&o));
        assert!(LabelSelector::parse("env in prod").is_err());
    }

    #[test]
    fn from_json_selector() {
        let sel = LabelSelector::from_json(&json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}));
        assert!(sel.matches_object(&obj(json!({"app": "web", "env": "prod"}))));
        assert!(!sel.matches_object(&obj(json!({"app": "web", "env": "dev"}))));
        assert_eq!(sel.to_query(), "app=web,env in (prod)");
    }

    #[test]
    fn field_selectors() {
        let o = obj(json!({}));
        assert!(FieldSelector::parse("metadata.name=p1").unwrap().matches(&o));
        assert!(FieldSelector::parse("metadata.namespace==team-a,spec.nodeName=n1").unwrap().matches(&o));
        assert!(!FieldSelector::parse("status.phase=Pending").unwrap().matches(&o));
        assert!(FieldSelector::parse("status.phase!=Pending").unwrap().matches(&o));
        assert!(FieldSelector::parse("spec.nodeName=").unwrap().matches(&json!({"spec": {}})));
        assert_eq!(FieldSelector::parse("metadata.name=p1").unwrap().pinned_name(), Some("p1"));
        assert!(FieldSelector::parse("bogus").is_err());
    }
}
