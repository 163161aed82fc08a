//! What the portal shows about a registered cluster.
use serde::{Deserialize, Serialize};

/// Where a cluster runs; drives price tables and map placement in later issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    Eks,
    Gke,
    Aks,
    OnPrem,
    Other,
}

impl Provider {
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "eks" | "aws" => Self::Eks,
            "gke" | "gcp" => Self::Gke,
            "aks" | "azure" => Self::Aks,
            "on-prem" | "onprem" => Self::OnPrem,
            _ => Self::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eks => "eks",
            Self::Gke => "gke",
            Self::Aks => "aks",
            Self::OnPrem => "on-prem",
            Self::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Eks => "Amazon EKS",
            Self::Gke => "Google GKE",
            Self::Aks => "Azure AKS",
            Self::OnPrem => "On-premises",
            Self::Other => "Other",
        }
    }
}

/// One row of the Fleet page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterSummary {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub provider: Provider,
    pub region: String,
    pub environment: String,
    pub enabled: bool,
    /// Free-form `key=value` labels set by administrators.
    pub labels: Vec<(String, String)>,
    /// Managed control-plane fee per hour (used by cost views).
    pub control_plane_price_per_hour: f64,
    /// The API server address (no credentials).
    pub api_server: String,
    /// Where an administrator placed the cluster on the world map: a city or "lat, lon"
    /// (on-prem clusters; cloud clusters are placed by region unless this is set).
    #[serde(default)]
    pub location: Option<String>,
}

/// How an administrator connects a cluster: a kubeconfig (one of its contexts), or an API
/// server URL with its CA certificate and a bearer token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Connection {
    Kubeconfig { yaml: String, context: String },
    Token { server: String, ca_pem: String, token: String },
}

/// The descriptive part of a cluster registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterMetadata {
    pub name: String,
    pub display_name: String,
    pub provider: Provider,
    pub region: String,
    pub environment: String,
    /// A city or "lat, lon"; empty to place the cluster by its region.
    #[serde(default)]
    pub location: String,
    /// `key=value` pairs, comma- or newline-separated.
    pub labels: String,
    pub control_plane_price_per_hour: f64,
}

/// What "Test connection" found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ConnectionReport {
    pub server: String,
    pub server_version: Option<String>,
    pub nodes: Option<u32>,
    /// Whether the cluster serves metrics.k8s.io (else the portal shows requests only).
    pub metrics: bool,
    /// Each permission Flotilla needs that the credentials lack, in words ("watch pods").
    pub missing: Vec<String>,
    /// Why the connection failed, when it did.
    pub error: Option<String>,
}

impl ConnectionReport {
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.missing.is_empty()
    }
}

/// Parses `key=value` labels separated by commas or new lines; a bad pair is named.
pub fn parse_labels(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    for part in text.split([',', '\n']).map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!("'{part}' is not key=value"));
        };
        let (k, v) = (k.trim(), v.trim());
        let ok_key = !k.is_empty() && k.len() <= 63 && k.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
        let ok_value = v.len() <= 63 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !ok_key || !ok_value {
            return Err(format!("'{part}': keys and values use letters, digits, '-', '_' and '.' (at most 63 each)"));
        }
        out.retain(|(existing, _)| existing != k);
        out.push((k.to_owned(), v.to_owned()));
    }
    Ok(out)
}

/// Labels back to the text form `parse_labels` reads.
pub fn labels_text(labels: &[(String, String)]) -> String {
    labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
}

/// What Flotilla must be allowed to do on a cluster, as RBAC grants it: (verb, API group,
/// resource or `resource/subresource`). Registration refuses credentials lacking any; the
/// simulator's `flotilla` role grants exactly these.
/// Watching the inventory, then deploying: server-side apply needs patch (and create for a
/// new object); moves and removals delete; the workload page reads events and logs.
pub const REQUIRED_PERMISSIONS: &[(&str, &str, &str)] = &[
    ("list", "", "nodes"),
    ("watch", "", "nodes"),
    ("list", "", "pods"),
    ("watch", "", "pods"),
    ("get", "", "pods/log"),
    ("get", "", "namespaces"),
    ("list", "", "namespaces"),
    ("watch", "", "namespaces"),
    ("create", "", "namespaces"),
    ("patch", "", "namespaces"),
    ("list", "apps", "deployments"),
    ("watch", "apps", "deployments"),
    ("get", "apps", "deployments"),
    ("create", "apps", "deployments"),
    ("patch", "apps", "deployments"),
    ("delete", "apps", "deployments"),
    ("get", "", "services"),
    ("create", "", "services"),
    ("patch", "", "services"),
    ("delete", "", "services"),
    ("list", "", "resourcequotas"),
    ("watch", "", "resourcequotas"),
    ("create", "", "resourcequotas"),
    ("patch", "", "resourcequotas"),
    ("create", "", "limitranges"),
    ("patch", "", "limitranges"),
    ("list", "", "events"),
    ("create", "scheduling.k8s.io", "priorityclasses"),
    ("patch", "scheduling.k8s.io", "priorityclasses"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_round_trip_and_unknowns_are_other() {
        for p in [Provider::Eks, Provider::Gke, Provider::Aks, Provider::OnPrem, Provider::Other] {
            assert_eq!(Provider::parse(p.as_str()), p);
        }
        assert_eq!(Provider::parse("AWS"), Provider::Eks);
        assert_eq!(Provider::parse("openstack"), Provider::Other);
    }

    #[test]
    fn labels_parse_from_text_and_bad_pairs_are_named() {
        let l = parse_labels("team=payments, tier=gold\nteam=checkout").unwrap();
        assert_eq!(l, vec![("tier".into(), "gold".into()), ("team".into(), "checkout".into())]);
        assert_eq!(labels_text(&l), "tier=gold, team=checkout");
        assert!(parse_labels("").unwrap().is_empty());
        assert!(parse_labels("oops").unwrap_err().contains("'oops'"));
        assert!(parse_labels("a=b c").is_err());
    }

    #[test]
    fn a_report_is_ok_only_without_error_and_missing_permissions() {
        let mut r = ConnectionReport { server: "https://x".into(), server_version: Some("v1.31".into()), nodes: Some(3), metrics: true, missing: vec![], error: None };
        assert!(r.ok());
        r.missing.push("watch pods".into());
        assert!(!r.ok());
    }
}
