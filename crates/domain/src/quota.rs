//! A project's quota: what applies in each of its namespaces (every cluster), and the ceiling
//! administrators set for what owners may choose.
use crate::quantity::{Bytes, CpuMillis};
use serde::{Deserialize, Serialize};

/// The quota as pages show and edit it (quantities as text, Kubernetes syntax).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ProjectQuota {
    pub project_id: i64,
    pub project: String,
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
    pub max_cpu: String,
    pub max_memory: String,
    pub max_pods: u32,
    #[serde(default)]
    pub gpus: u32,
    #[serde(default)]
    pub max_gpus: u32,
    /// The caller may change the quota (owners, administrators) …
    pub may_edit: bool,
    /// … and the ceiling (administrators).
    pub may_edit_max: bool,
}

/// A quota as a person types it (the quota form, the REST body).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct QuotaInput {
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
    /// `requests.nvidia.com/gpu`; none when not given.
    #[serde(default)]
    pub gpus: u32,
}

/// A change of a project's quota, and (administrators only) of its ceiling.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct QuotaChange {
    #[serde(flatten)]
    pub quota: QuotaInput,
    #[serde(default)]
    pub max: Option<QuotaInput>,
}

/// Reads a quota from text: CPU, memory, pods; each problem in words.
pub fn parse_quota(cpu: &str, memory: &str, pods: u32) -> Result<(u64, u64, u32), String> {
    let cpu = CpuMillis::parse(cpu.trim()).map_err(|e| format!("CPU: {e}"))?.0;
    let memory = Bytes::parse(memory.trim()).map_err(|e| format!("memory: {e}"))?.0;
    if cpu == 0 || memory == 0 || pods == 0 {
        return Err("a quota of zero would stop every workload; give each limit a positive value".into());
    }
    Ok((cpu, memory, pods))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotas_read_kubernetes_quantities_and_refuse_zero() {
        assert_eq!(parse_quota("8", "16Gi", 40), Ok((8000, 16 << 30, 40)));
        assert_eq!(parse_quota(" 500m ", "512Mi", 1), Ok((500, 512 << 20, 1)));
        assert!(parse_quota("lots", "1Gi", 1).unwrap_err().starts_with("CPU"));
        assert!(parse_quota("1", "1Gi", 0).unwrap_err().contains("zero"));
    }

    #[test]
    fn a_quota_change_reads_flat_with_an_optional_ceiling() {
        let c: QuotaChange = serde_json::from_str(r#"{"cpu":"8","memory":"16Gi","pods":40}"#).unwrap();
        assert_eq!((c.quota.gpus, c.max), (0, None));
        let c: QuotaChange = serde_json::from_str(r#"{"cpu":"8","memory":"16Gi","pods":40,"gpus":2,"max":{"cpu":"16","memory":"32Gi","pods":80,"gpus":4}}"#).unwrap();
        assert_eq!((c.quota.gpus, c.max.map(|m| m.gpus)), (2, Some(4)));
    }
}
