//! A project's quota: what applies in each of its namespaces (every cluster), and the ceiling
//! administrators set for what owners may choose.
use crate::quantity::{Bytes, CpuMillis};
use serde::{Deserialize, Serialize};

/// The quota as pages show and edit it (quantities as text, Kubernetes syntax).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectQuota {
    pub project_id: i64,
    pub project: String,
    pub cpu: String,
    pub memory: String,
    pub pods: u32,
    pub max_cpu: String,
    pub max_memory: String,
    pub max_pods: u32,
    /// The caller may change the quota (owners, administrators) …
    pub may_edit: bool,
    /// … and the ceiling (administrators).
    pub may_edit_max: bool,
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
}
