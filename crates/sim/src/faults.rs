//! Per-cluster fault injection state: healthy, unreachable (listener closed, connections dropped),
//! slow (added latency) or erroring (every request answers a 500 Status).

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FaultMode {
    #[default]
    Healthy,
    Unreachable,
    Slow,
    Erroring,
}

impl std::str::FromStr for FaultMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "healthy" => Ok(FaultMode::Healthy),
            "unreachable" => Ok(FaultMode::Unreachable),
            "slow" => Ok(FaultMode::Slow),
            "erroring" => Ok(FaultMode::Erroring),
            other => Err(format!("unknown fault mode {other:?} (healthy|unreachable|slow|erroring)")),
        }
    }
}

pub struct FaultState {
    current: Mutex<(FaultMode, u64)>,
    reachable: watch::Sender<bool>,
}

impl Default for FaultState {
    fn default() -> Self {
        FaultState { current: Mutex::new((FaultMode::Healthy, 0)), reachable: watch::channel(true).0 }
    }
}

impl FaultState {
    /// Switches mode; `latency_ms` is used by `slow` (default 2000 ms).
    pub fn set(&self, mode: FaultMode, latency_ms: Option<u64>) {
        let latency = match mode {
            FaultMode::Slow => latency_ms.unwrap_or(2000),
            _ => 0,
        };
        *self.current.lock() = (mode, latency);
        self.reachable.send_replace(mode != FaultMode::Unreachable);
    }

    pub fn get(&self) -> (FaultMode, u64) {
        *self.current.lock()
    }

    /// Watch of "should the listener be open".
    pub fn reachable(&self) -> watch::Receiver<bool> {
        self.reachable.subscribe()
    }
}
