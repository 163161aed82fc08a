//! Authentication subjects and authorization, as kube-apiserver's RBAC sees them.
//!
//! Every bearer token names a [`Subject`]: the cluster's own token (user `flotilla-sim`) may do
//! everything, a token from `ClusterHandle::issue_token` exactly what its [`Rule`]s allow (PolicyRule
//! semantics, as if bound by a ClusterRoleBinding, so namespaces do not narrow them). On top of that,
//! `ClusterHandle::deny` refuses a verb on a resource for every token. Refusals are kube's 403s word
//! for word, and SelfSubjectAccessReview answers for the token that asks. Non-resource paths
//! (discovery, /version, health) are open to every authenticated token, like `system:discovery`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::status::ApiError;

/// The user the cluster's own token authenticates as.
pub const ADMIN_USER: &str = "flotilla-sim";

/// One RBAC PolicyRule (without resourceNames): `"*"` matches any verb, group or resource, and a
/// subresource is its own resource (`"pods/log"`, or `"*/scale"` for every parent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub verbs: Vec<String>,
    pub api_groups: Vec<String>,
    pub resources: Vec<String>,
}

impl Rule {
    /// `Rule::new(&["get", "list", "watch"], &[""], &["pods", "namespaces"])`.
    pub fn new(verbs: &[&str], api_groups: &[&str], resources: &[&str]) -> Self {
        let own = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        Rule { verbs: own(verbs), api_groups: own(api_groups), resources: own(resources) }
    }

    /// Whether the rule covers `verb` on `resource` (plural) / `sub` (subresource, may be empty) in `group`.
    pub fn allows(&self, verb: &str, group: &str, resource: &str, sub: &str) -> bool {
        let any = |l: &[String], x: &str| l.iter().any(|v| v == "*" || v == x);
        any(&self.verbs, verb) && any(&self.api_groups, group) && self.resources.iter().any(|r| resource_matches(r, resource, sub))
    }
}

/// kube's `ResourceMatches`: `*`, the exact `resource[/sub]`, or `*/sub`.
fn resource_matches(rule: &str, resource: &str, sub: &str) -> bool {
    if rule == "*" {
        return true;
    }
    if sub.is_empty() {
        return rule == resource;
    }
    rule.strip_suffix(sub).and_then(|p| p.strip_suffix('/')).is_some_and(|parent| parent == resource || parent == "*")
}

/// Who a bearer token authenticates as, and what it may do (None: everything).
#[derive(Debug, Clone)]
pub struct Subject {
    pub user: String,
    rules: Option<Vec<Rule>>,
}

impl Subject {
    /// The cluster's own, unrestricted subject.
    pub fn admin() -> Self {
        Subject { user: ADMIN_USER.to_owned(), rules: None }
    }

    /// A subject allowed exactly what `rules` allow.
    pub fn limited(user: &str, rules: Vec<Rule>) -> Self {
        Subject { user: user.to_owned(), rules: Some(rules) }
    }

    fn rules_allow(&self, verb: &str, group: &str, resource: &str, sub: &str) -> bool {
        match &self.rules {
            None => true,
            Some(rules) => rules.iter().any(|r| r.allows(verb, group, resource, sub)),
        }
    }
}

/// What a resource request asks to do, named as kube-apiserver's RequestInfo names it.
#[derive(Debug, Clone, Copy)]
pub struct Attributes<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    /// The plural, without group.
    pub resource: &'a str,
    /// The subresource ("log", "status", "scale") or "".
    pub sub: &'a str,
    /// The namespace, "" at the cluster scope (for a named namespace: its own name).
    pub namespace: &'a str,
    /// The object's name, "" for collections and creates.
    pub name: &'a str,
}

/// Whether `who` may do `a`: its rules allow it and no global denial refuses it.
pub fn allowed(c: &Cluster, who: &Subject, a: &Attributes<'_>) -> bool {
    who.rules_allow(a.verb, a.group, a.resource, a.sub) && !c.is_denied(a.verb, a.group, a.resource, a.sub)
}

/// Refuses the request with kube's RBAC 403 unless `who` may do it.
pub fn check(c: &Cluster, who: &Subject, a: &Attributes<'_>) -> Result<(), ApiError> {
    if allowed(c, who, a) {
        return Ok(());
    }
    Err(ApiError::forbidden_request(a.group, a.resource, a.name, &forbidden_reason(&who.user, a)))
}

/// kube-apiserver's `forbiddenMessage`: `User "u" cannot list resource "pods" in API group "" in
/// the namespace "x"` (or `at the cluster scope`); a subresource reads `"pods/log"`.
pub fn forbidden_reason(user: &str, a: &Attributes<'_>) -> String {
    let resource = if a.sub.is_empty() { a.resource.to_owned() } else { format!("{}/{}", a.resource, a.sub) };
    let scope = if a.namespace.is_empty() { "at the cluster scope".to_owned() } else { format!("in the namespace \"{}\"", a.namespace) };
    format!("User \"{user}\" cannot {} resource \"{resource}\" in API group \"{}\" {scope}", a.verb, a.group)
}

/// `resource` is the plural, qualified with its group unless core ("pods", "deployments.apps").
pub fn qualified(group: &str, plural: &str) -> String {
    if group.is_empty() { plural.to_owned() } else { format!("{plural}.{group}") }
}

/// The Kubernetes verb of a request (a named GET stays `get` even with `watch=true`, like kube).
pub fn verb(method: &Method, named: bool, watch: bool) -> &'static str {
    match *method {
        Method::GET if named => "get",
        Method::GET if watch => "watch",
        Method::GET => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if named => "delete",
        Method::DELETE => "deletecollection",
        _ => "get",
    }
}

/// The name a list or watch narrows itself to with `fieldSelector=metadata.name=x`, which kube
/// authorizes (and words its 403) as a request for that one object.
pub fn selector_name(field_selector: &str) -> Option<&str> {
    field_selector.split(',').find_map(|term| {
        let v = term.trim().strip_prefix("metadata.name")?;
        let v = v.strip_prefix("==").or_else(|| v.strip_prefix('='))?;
        (!v.is_empty() && !v.starts_with('=')).then_some(v)
    })
}

/// POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews: may the asking token do this?
pub async fn self_subject_access_review(State(c): State<Arc<Cluster>>, Extension(who): Extension<Arc<Subject>>, Json(mut review): Json<Value>) -> Response {
    let attrs = &review["spec"]["resourceAttributes"];
    let (Some(verb), Some(resource)) = (attrs["verb"].as_str(), attrs["resource"].as_str()) else {
        return ApiError::bad_request("spec.resourceAttributes.verb and .resource are required").into_response();
    };
    let s = |k: &str| attrs[k].as_str().unwrap_or("");
    // "pods/log" in `resource` reads as resource + subresource, as RBAC matches it.
    let (resource, sub) = match (resource.split_once('/'), s("subresource")) {
        (Some((r, sub)), "") => (r, sub),
        (_, sub) => (resource, sub),
    };
    let a = Attributes { verb, group: s("group"), resource, sub, namespace: s("namespace"), name: s("name") };
    // RBAC never denies outright, it only has no opinion: kube answers `allowed: false` alone.
    review["status"] = json!({ "allowed": allowed(&c, &who, &a) });
    review["apiVersion"] = json!("authorization.k8s.io/v1");
    review["kind"] = json!("SelfSubjectAccessReview");
    (axum::http::StatusCode::CREATED, Json(review)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_rule_matching() {
        let r = Rule::new(&["get", "list"], &["", "apps"], &["pods", "pods/log", "*/scale"]);
        assert!(r.allows("get", "", "pods", ""));
        assert!(r.allows("list", "apps", "pods", ""));
        assert!(!r.allows("watch", "", "pods", ""));
        assert!(!r.allows("get", "batch", "pods", ""));
        assert!(r.allows("get", "", "pods", "log"));
        assert!(!r.allows("get", "", "pods", "status"), "a subresource is its own resource");
        assert!(r.allows("get", "apps", "deployments", "scale"));
        assert!(!r.allows("get", "apps", "deployments", ""));
        let all = Rule::new(&["*"], &["*"], &["*"]);
        assert!(all.allows("deletecollection", "metrics.k8s.io", "nodes", "status"));
    }

    #[test]
    fn forbidden_wording() {
        let a = Attributes { verb: "list", group: "", resource: "nodes", sub: "", namespace: "", name: "" };
        assert_eq!(forbidden_reason("u", &a), "User \"u\" cannot list resource \"nodes\" in API group \"\" at the cluster scope");
        let a = Attributes { verb: "get", resource: "pods", sub: "log", namespace: "team-a", name: "p", ..a };
        assert_eq!(forbidden_reason("u", &a), "User \"u\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"team-a\"");
    }

    #[test]
    fn field_selector_names() {
        assert_eq!(selector_name("metadata.name=web"), Some("web"));
        assert_eq!(selector_name("status.phase=Running,metadata.name==web"), Some("web"));
        assert_eq!(selector_name("metadata.name!=web"), None);
        assert_eq!(selector_name("metadata.namespace=x"), None);
    }
}
