//! What the portal shows about a registered cluster.
use serde::{Deserialize, Serialize};

/// Where a cluster runs; drives price tables and map placement in later issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
pub struct ClusterSummary {
    pub id: i64,
    pub name: String,
    pub display_name: String,
    pub provider: Provider,
    pub region: String,
    pub environment: String,
    pub enabled: bool,
}

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
}
