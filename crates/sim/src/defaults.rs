//! API defaulting and validation on create/update (what kube-apiserver does before admission).

use serde_json::{Value, json};

use crate::resources::{DEPLOYMENT, LIMIT_RANGE, NAMESPACE, POD, RESOURCES, ResId, SERVICE};
use crate::selectors::LabelSelector;
use crate::status::{ApiError, Cause};
use crate::store::meta_str;

fn is_dns_subdomain(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && s.starts_with(|c: char| c.is_ascii_alphanumeric())
        && s.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Validates the object; returns a 422 Invalid with causes on failure.
pub fn validate(res: ResId, v: &Value) -> Result<(), ApiError> {
    let def = &RESOURCES[res];
    let name = meta_str(v, "name");
    let mut causes: Vec<(String, &str, String)> = Vec::new();
    if name.is_empty() && meta_str(v, "generateName").is_empty() {
        causes.push(("metadata.name".into(), "FieldValueRequired", "Required value: name or generateName is required".into()));
    } else if !name.is_empty() && !is_dns_subdomain(name) {
        causes.push((
            "metadata.name".into(),
            "FieldValueInvalid",
            format!("Invalid value: {name:?}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"),
        ));
    }
    let check_containers = |spec: Option<&Value>, prefix: &str, causes: &mut Vec<(String, &str, String)>| {
        let cs = spec.and_then(|s| s.get("containers")).and_then(Value::as_array);
        match cs {
            None => causes.push((format!("{prefix}.containers"), "FieldValueRequired", "Required value".into())),
            Some(cs) if cs.is_empty() => causes.push((format!("{prefix}.containers"), "FieldValueRequired", "Required value".into())),
            Some(cs) => {
                for (i, c) in cs.iter().enumerate() {
                    for f in ["name", "image"] {
                        if c.get(f).and_then(Value::as_str).unwrap_or("").is_empty() {
                            causes.push((format!("{prefix}.containers[{i}].{f}"), "FieldValueRequired", "Required value".into()));
                        }
                    }
                }
            }
        }
    };
    match res {
        POD => check_containers(v.get("spec"), "spec", &mut causes),
        DEPLOYMENT => {
            let spec = v.get("spec");
            if let Some(r) = spec.and_then(|s| s.get("replicas")).and_then(Value::as_i64)
                && r < 0
            {
                causes.push(("spec.replicas".into(), "FieldValueInvalid", format!("Invalid value: {r}: must be greater than or equal to 0")));
            }
            match spec.and_then(|s| s.get("selector")) {
                None => causes.push(("spec.selector".into(), "FieldValueRequired", "Required value".into())),
                Some(sel) => {
                    let labels = v.pointer("/spec/template/metadata/labels");
                    if !LabelSelector::from_json(sel).matches(labels) {
                        causes.push((
                            "spec.template.metadata.labels".into(),
                            "FieldValueInvalid",
                            format!("Invalid value: {}: `selector` does not match template `labels`", labels.cloned().unwrap_or(json!({}))),
                        ));
                    }
                }
            }
            check_containers(v.pointer("/spec/template/spec"), "spec.template.spec", &mut causes);
        }
        _ => {}
    }
    if causes.is_empty() {
        return Ok(());
    }
    let cs: Vec<Cause<'_>> = causes.iter().map(|(f, r, m)| Cause { field: f.as_str(), reason: r, message: m.as_str() }).collect();
    Err(ApiError::invalid(def.group, def.kind, name, &cs))
}

fn set_default(obj: &mut Value, key: &str, val: Value) {
    if let Some(o) = obj.as_object_mut()
        && o.get(key).is_none_or(Value::is_null)
    {
        o.insert(key.into(), val);
    }
}

/// Fills a pod spec's defaults (restart policy, pull policy, ...), for pods and pod templates.
pub fn default_pod_spec(spec: &mut Value) {
    set_default(spec, "restartPolicy", json!("Always"));
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "serviceAccountName", json!("default"));
    for key in ["containers", "initContainers"] {
        let Some(cs) = spec.get_mut(key).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in cs {
            let image = c.get("image").and_then(Value::as_str).unwrap_or("");
            let latest = !image.rsplit('/').next().unwrap_or("").contains(':') || image.ends_with(":latest");
            set_default(c, "imagePullPolicy", json!(if latest { "Always" } else { "IfNotPresent" }));
            set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
            set_default(c, "terminationMessagePolicy", json!("File"));
            set_default(c, "resources", json!({}));
        }
    }
}

/// kube's `SetDefaults_Pod`: a container (or init container) giving a limit but no request for a
/// resource gets request = limit. Only for pods, not pod templates, and as API defaulting it runs
/// before any admission plugin (so before LimitRange defaults).
pub fn default_pod_requests(spec: &mut Value) {
    for key in ["containers", "initContainers"] {
        let Some(cs) = spec.get_mut(key).and_then(Value::as_array_mut) else {
            continue;
        };
        for c in cs {
            let Some(limits) = c.pointer("/resources/limits").and_then(Value::as_object).cloned() else {
                continue;
            };
            let res = c.get_mut("resources").expect("resources");
            set_default(res, "requests", json!({}));
            if let Some(req) = res.get_mut("requests").and_then(Value::as_object_mut) {
                for (k, lv) in limits {
                    req.entry(k).or_insert(lv);
                }
            }
        }
    }
}

/// kube's `SetDefaults_LimitRangeItem` for a `Container` item: `default` from `max`, then
/// `defaultRequest` from `default`, then from `min`.
pub fn default_limit_range_item(item: &mut Value) {
    if item.get("type").and_then(Value::as_str) != Some("Container") {
        return;
    }
    for (from, to) in [("max", "default"), ("default", "defaultRequest"), ("min", "defaultRequest")] {
        let Some(src) = item.get(from).and_then(Value::as_object).cloned() else {
            continue;
        };
        set_default(item, to, json!({}));
        if let Some(dst) = item.get_mut(to).and_then(Value::as_object_mut) {
            for (k, v) in src {
                dst.entry(k).or_insert(v);
            }
        }
    }
}

/// Fills kind-specific defaults for a new object (status, replicas, clusterIP, ...).
pub fn default_object(res: ResId, v: &mut Value, service_ip: impl FnOnce() -> String) {
    match res {
        NAMESPACE => {
            set_default(v, "spec", json!({"finalizers": ["kubernetes"]}));
            v["status"] = json!({"phase": "Active"});
            let name = meta_str(v, "name").to_string();
            if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                let labels = m.entry("labels").or_insert(json!({}));
                if let Some(l) = labels.as_object_mut() {
                    l.insert("kubernetes.io/metadata.name".into(), json!(name));
                }
            }
        }
        POD => {
            set_default(v, "spec", json!({}));
            let spec = v.get_mut("spec").expect("spec");
            default_pod_spec(spec);
            default_pod_requests(spec);
            v["status"] = json!({"phase": "Pending", "qosClass": qos_class(v)});
        }
        DEPLOYMENT => {
            set_default(v, "spec", json!({}));
            let spec = v.get_mut("spec").expect("spec");
            set_default(spec, "replicas", json!(1));
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(spec, "progressDeadlineSeconds", json!(600));
            set_default(spec, "strategy", json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}));
            if let Some(ps) = spec.pointer_mut("/template/spec") {
                default_pod_spec(ps);
            }
            set_default(v, "status", json!({}));
        }
        LIMIT_RANGE => {
            for item in v.pointer_mut("/spec/limits").and_then(Value::as_array_mut).into_iter().flatten() {
                default_limit_range_item(item);
            }
        }
        SERVICE => {
            set_default(v, "spec", json!({}));
            let spec = v.get_mut("spec").expect("spec");
            set_default(spec, "type", json!("ClusterIP"));
            if spec.get("clusterIP").is_none() {
                let ip = service_ip();
                spec["clusterIP"] = json!(ip);
                spec["clusterIPs"] = json!([ip]);
            }
            set_default(spec, "sessionAffinity", json!("None"));
            set_default(v, "status", json!({"loadBalancer": {}}));
        }
        _ => {}
    }
}

fn qos_class(pod: &Value) -> &'static str {
    let cs = pod.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
    let mut any = false;
    let mut guaranteed = true;
    for c in &cs {
        let req = c.pointer("/resources/requests").and_then(Value::as_object);
        let lim = c.pointer("/resources/limits").and_then(Value::as_object);
        any |= req.is_some_and(|r| !r.is_empty()) || lim.is_some_and(|l| !l.is_empty());
        for r in ["cpu", "memory"] {
            let l = lim.and_then(|l| l.get(r));
            if l.is_none() || req.and_then(|q| q.get(r)) != l {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deployment_selector_must_match_template() {
        let d = json!({"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"app": "x"}}, "template": {"metadata": {"labels": {"app": "y"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        let e = validate(DEPLOYMENT, &d).unwrap_err();
        assert_eq!(e.code, 422);
        assert!(e.message.contains("spec.template.metadata.labels"), "{}", e.message);
        let bad_name = json!({"metadata": {"name": "Bad_Name"}, "spec": {"containers": [{"name": "c", "image": "i"}]}});
        assert_eq!(validate(POD, &bad_name).unwrap_err().code, 422);
        let no_containers = json!({"metadata": {"name": "p"}, "spec": {}});
        let e = validate(POD, &no_containers).unwrap_err();
        assert_eq!(e.details.unwrap()["causes"][0]["field"], "spec.containers");
    }

    #[test]
    fn limits_imply_requests() {
        let mut p = json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i:1", "resources": {"limits": {"cpu": "1"}}}]}});
        default_object(POD, &mut p, || unreachable!());
        assert_eq!(p["spec"]["containers"][0]["resources"]["requests"]["cpu"], "1");
        assert_eq!(p["status"]["phase"], "Pending");
        assert_eq!(p["status"]["qosClass"], "Burstable");
    }
}
