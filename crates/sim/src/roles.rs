//! Rule presets for `ClusterHandle::issue_token`, so tests can hand out credentials that look like
//! the ones people really give the portal.

use crate::authz::Rule;

const READ: &[&str] = &["get", "list", "watch"];

/// Kubernetes' built-in aggregated `view` ClusterRole (as far as the simulator serves or a portal
/// would ask), plus metrics-server's `system:aggregated-metrics-reader`, which aggregates into it.
/// Like the real one it reads neither nodes (cluster-scoped) nor secrets.
pub fn view() -> Vec<Rule> {
    vec![
        Rule::new(
            READ,
            &[""],
            &[
                "pods",
                "pods/log",
                "pods/status",
                "namespaces",
                "namespaces/status",
                "resourcequotas",
                "resourcequotas/status",
                "events",
                "services",
                "services/status",
                "endpoints",
                "configmaps",
                "replicationcontrollers",
                "replicationcontrollers/scale",
                "replicationcontrollers/status",
                "persistentvolumeclaims",
                "persistentvolumeclaims/status",
                "serviceaccounts",
                "limitranges",
                "bindings",
            ],
        ),
        Rule::new(READ, &["events.k8s.io"], &["events"]),
        Rule::new(READ, &["discovery.k8s.io"], &["endpointslices"]),
        Rule::new(
            READ,
            &["apps"],
            &[
                "controllerrevisions",
                "deployments",
                "deployments/scale",
                "deployments/status",
                "replicasets",
                "replicasets/scale",
                "replicasets/status",
                "statefulsets",
                "statefulsets/scale",
                "statefulsets/status",
                "daemonsets",
                "daemonsets/status",
            ],
        ),
        Rule::new(READ, &["batch"], &["jobs", "jobs/status", "cronjobs", "cronjobs/status"]),
        Rule::new(READ, &["autoscaling"], &["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
        Rule::new(READ, &["policy"], &["poddisruptionbudgets", "poddisruptionbudgets/status"]),
        Rule::new(READ, &["networking.k8s.io"], &["ingresses", "ingresses/status", "networkpolicies"]),
        Rule::new(READ, &["metrics.k8s.io"], &["pods", "nodes"]),
    ]
}

/// What the portal needs (the one list registration checks against).
pub use flotilla_domain::fleet::REQUIRED_PERMISSIONS as PORTAL_REQUIRED;

/// The ClusterRole the portal needs: everything [`PORTAL_REQUIRED`] lists, plus reading events
/// (core and events.k8s.io), pod logs and metrics.k8s.io.
pub fn flotilla() -> Vec<Rule> {
    let mut rules: Vec<Rule> = PORTAL_REQUIRED.iter().map(|(verb, group, resource)| Rule::new(&[verb], &[group], &[resource])).collect();
    rules.extend([Rule::new(READ, &["", "events.k8s.io"], &["events"]), Rule::new(READ, &[""], &["pods/log"]), Rule::new(READ, &["metrics.k8s.io"], &["pods", "nodes"])]);
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn may(rules: &[Rule], verb: &str, group: &str, resource: &str, sub: &str) -> bool {
        rules.iter().any(|r| r.allows(verb, group, resource, sub))
    }

    #[test]
    fn view_reads_workloads_but_not_nodes_or_secrets() {
        let v = view();
        assert!(may(&v, "list", "", "pods", ""));
        assert!(may(&v, "get", "", "pods", "log"));
        assert!(may(&v, "watch", "apps", "deployments", ""));
        assert!(may(&v, "list", "metrics.k8s.io", "nodes", ""));
        assert!(!may(&v, "list", "", "nodes", ""));
        assert!(!may(&v, "get", "", "secrets", ""));
        assert!(!may(&v, "create", "apps", "deployments", ""));
    }

    #[test]
    fn flotilla_covers_the_portal() {
        let f = flotilla();
        for (verb, group, resource) in PORTAL_REQUIRED {
            let (resource, sub) = resource.split_once('/').unwrap_or((resource, ""));
            assert!(may(&f, verb, group, resource, sub), "{verb} {group}/{resource}");
        }
        assert!(may(&f, "watch", "events.k8s.io", "events", ""));
        assert!(may(&f, "list", "metrics.k8s.io", "pods", ""));
        assert!(may(&f, "get", "", "pods", "log"));
        assert!(!may(&f, "delete", "", "pods", ""));
        assert!(!may(&f, "get", "", "secrets", ""));
    }
}
