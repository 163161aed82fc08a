//! Test support for any crate that needs a cluster: honours `FLOTILLA_TEST_KUBECONFIG` (+ optional
//! `FLOTILLA_TEST_CONTEXT`) to target a real cluster, otherwise starts an in-process simulator.

use crate::{FleetSpec, RunningFleet, SimError, SimOptions};

/// Where tests should point their kube clients.
pub struct TestTarget {
    /// Kubeconfig YAML (the real one, or the simulator's).
    pub kubeconfig_yaml: String,
    /// Contexts to use (FLOTILLA_TEST_CONTEXT, or every context in the file / simulated fleet).
    pub contexts: Vec<String>,
    /// The running simulator (None against a real cluster); keep it alive for the test's duration.
    pub fleet: Option<RunningFleet>,
}

impl TestTarget {
    pub fn is_simulated(&self) -> bool {
        self.fleet.is_some()
    }
}

/// `FLOTILLA_TEST_KUBECONFIG` / `FLOTILLA_TEST_CONTEXT` from the environment, if set.
pub fn external_from_env() -> Option<(String, Option<String>)> {
    let path = std::env::var("FLOTILLA_TEST_KUBECONFIG").ok().filter(|p| !p.is_empty())?;
    Some((path, std::env::var("FLOTILLA_TEST_CONTEXT").ok().filter(|c| !c.is_empty())))
}

/// The environment's real cluster if configured, else `fleet` started in-process.
pub async fn test_target(fleet: FleetSpec, opts: SimOptions) -> Result<TestTarget, SimError> {
    test_target_from(external_from_env(), fleet, opts).await
}

/// Like [`test_target`] with the external kubeconfig (path, context) given explicitly.
pub async fn test_target_from(external: Option<(String, Option<String>)>, fleet: FleetSpec, opts: SimOptions) -> Result<TestTarget, SimError> {
    match external {
        Some((path, ctx)) => {
            let yaml = std::fs::read_to_string(&path)?;
            let contexts = match ctx {
                Some(c) => vec![c],
                None => {
                    let doc: serde_yaml::Value = serde_yaml::from_str(&yaml)?;
                    doc.get("contexts").and_then(|c| c.as_sequence()).into_iter().flatten().filter_map(|c| c.get("name").and_then(|n| n.as_str()).map(String::from)).collect()
                }
            };
            Ok(TestTarget { kubeconfig_yaml: yaml, contexts, fleet: None })
        }
        None => {
            let running = crate::start(fleet, opts).await?;
            Ok(TestTarget { kubeconfig_yaml: running.kubeconfig_yaml(), contexts: running.clusters().iter().map(|c| c.name.clone()).collect(), fleet: Some(running) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn simulated_then_external() {
        let sim = test_target_from(None, FleetSpec::demo(), SimOptions::default()).await.unwrap();
        assert!(sim.is_simulated());
        assert_eq!(sim.contexts, ["tokyo-prod", "osaka-prod", "onprem-dev", "gpu-ml"]);
        let path = std::env::temp_dir().join(format!("flotilla-testing-{}.kubeconfig", std::process::id()));
        std::fs::write(&path, &sim.kubeconfig_yaml).unwrap();
        let p = path.display().to_string();
        let ext = test_target_from(Some((p.clone(), None)), FleetSpec::demo(), SimOptions::default()).await.unwrap();
        assert!(!ext.is_simulated());
        assert_eq!(ext.contexts, sim.contexts);
        let one = test_target_from(Some((p, Some("gpu-ml".into()))), FleetSpec::demo(), SimOptions::default()).await.unwrap();
        assert_eq!(one.contexts, ["gpu-ml"]);
        let _ = std::fs::remove_file(&path);
    }
}
