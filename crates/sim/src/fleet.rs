//! The fleet description (clusters, node pools, namespaces, workloads) and its YAML file format.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// The embedded default demo fleet (`crates/sim/fleets/demo.yaml`).
pub const DEMO_FLEET_YAML: &str = include_str!("../fleets/demo.yaml");

/// A small fleet for tests (`crates/sim/fleets/small.yaml`): alpha (team-a, team-b), beta (team-b).
pub const SMALL_FLEET_YAML: &str = include_str!("../fleets/small.yaml");

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FleetSpec {
    pub clusters: Vec<ClusterSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterSpec {
    pub name: String,
    #[serde(default = "default_provider")]
    pub provider: String,
    #[serde(default)]
    pub region: String,
    /// Hint for cost views; published in the `kube-system/flotilla-sim-cluster-info` ConfigMap.
    #[serde(default)]
    pub control_plane_price_per_hour: f64,
    #[serde(default = "default_k8s_version")]
    pub kubernetes_version: String,
    /// Local time offset used by the day/night usage curve.
    #[serde(default)]
    pub utc_offset_hours: f64,
    /// Default usage profile for pods whose workload sets none.
    #[serde(default)]
    pub usage: Option<UsageProfile>,
    #[serde(default)]
    pub node_pools: Vec<NodePoolSpec>,
    #[serde(default)]
    pub priority_classes: Vec<PriorityClassSpec>,
    #[serde(default)]
    pub namespaces: Vec<NamespaceSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodePoolSpec {
    pub name: String,
    pub instance_type: String,
    pub count: u32,
    pub cpu: String,
    pub memory: String,
    #[serde(default = "default_pods")]
    pub pods: u32,
    #[serde(default)]
    pub gpu: u32,
    #[serde(default)]
    pub price_per_hour: f64,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PriorityClassSpec {
    pub name: String,
    pub value: i64,
    #[serde(default)]
    pub global_default: bool,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NamespaceSpec {
    pub name: String,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `spec.hard` of a ResourceQuota named `<namespace>-quota`.
    #[serde(default)]
    pub quota: BTreeMap<String, String>,
    #[serde(default)]
    pub limit_range: Option<LimitRangeSpec>,
    #[serde(default)]
    pub workloads: Vec<WorkloadSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitRangeSpec {
    #[serde(default)]
    pub default_request: BTreeMap<String, String>,
    #[serde(default)]
    pub default: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkloadSpec {
    pub name: String,
    pub replicas: u32,
    pub image: String,
    #[serde(default)]
    pub requests: BTreeMap<String, String>,
    #[serde(default)]
    pub limits: BTreeMap<String, String>,
    #[serde(default)]
    pub usage: Option<UsageProfile>,
    #[serde(default)]
    pub priority_class_name: Option<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub node_selector: BTreeMap<String, String>,
}

/// Fraction of requests a pod uses at the busiest (day) and quietest (night) hour.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct UsageProfile {
    pub day: f64,
    pub night: f64,
}

fn default_provider() -> String {
    "kind".into()
}
fn default_k8s_version() -> String {
    "v1.31.2".into()
}
fn default_pods() -> u32 {
    110
}

impl FleetSpec {
    /// The default demo fleet: tokyo-prod (hot), osaka-prod (idle), onprem-dev, gpu-ml.
    pub fn demo() -> Self {
        Self::from_yaml(DEMO_FLEET_YAML).expect("embedded demo fleet parses")
    }

    pub fn small() -> Self {
        Self::from_yaml(SMALL_FLEET_YAML).expect("embedded small fleet parses")
    }

    pub fn from_yaml(text: &str) -> Result<Self, SimError> {
        let spec: FleetSpec = serde_yaml::from_str(text)?;
        spec.validate()?;
        Ok(spec)
    }

    pub fn from_file(path: &std::path::Path) -> Result<Self, SimError> {
        Self::from_yaml(&std::fs::read_to_string(path)?)
    }

    fn validate(&self) -> Result<(), SimError> {
        if self.clusters.is_empty() {
            return Err(SimError::Fleet("a fleet needs at least one cluster".into()));
        }
        let mut seen = std::collections::BTreeSet::new();
        for c in &self.clusters {
            if !seen.insert(&c.name) {
                return Err(SimError::Fleet(format!("duplicate cluster name {:?}", c.name)));
            }
            for p in &c.node_pools {
                for (what, q) in [("cpu", &p.cpu), ("memory", &p.memory)] {
                    if crate::quantity::parse(q).is_none() {
                        return Err(SimError::Fleet(format!("cluster {}: pool {}: bad {what} {q:?}", c.name, p.name)));
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_fleet_tells_the_story() {
        let f = FleetSpec::demo();
        let names: Vec<&str> = f.clusters.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["tokyo-prod", "osaka-prod", "onprem-dev", "gpu-ml"]);
        let tokyo = &f.clusters[0];
        assert_eq!(tokyo.node_pools.iter().map(|p| p.count).sum::<u32>(), 12);
        let gpu = &f.clusters[3];
        assert!(gpu.node_pools.iter().all(|p| p.gpu == 1 && p.instance_type == "g5.2xlarge"));
    }

    #[test]
    fn rejects_unknown_fields_and_bad_quantities() {
        assert!(FleetSpec::from_yaml("clusters: [{name: a, bogus: 1}]").is_err());
        assert!(FleetSpec::from_yaml("clusters: [{name: a, nodePools: [{name: p, instanceType: t, count: 1, cpu: lots, memory: 1Gi}]}]").is_err());
        assert!(FleetSpec::from_yaml("clusters: []").is_err());
    }
}
