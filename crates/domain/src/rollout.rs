//! Where a workload runs and how it is doing there: the per-cluster status the portal shows
//! (Progressing, Available, Failed with the reason in words) and how it is read from what
//! Kubernetes reports (Deployment status, pod states, events).
use serde::{Deserialize, Serialize};

/// A workload's state on one cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// Recorded, not yet applied to the cluster.
    Pending,
    /// Applied; pods are starting or rolling.
    Progressing,
    /// Every wanted replica is up to date and available.
    Available,
    /// Cannot make progress; the message says why.
    Failed,
    /// Rolling paused by its owner.
    Paused,
    /// Being removed from the cluster.
    Removing,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Progressing => "progressing",
            Self::Available => "available",
            Self::Failed => "failed",
            Self::Paused => "paused",
            Self::Removing => "removing",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "progressing" => Self::Progressing,
            "available" => Self::Available,
            "failed" => Self::Failed,
            "paused" => Self::Paused,
            "removing" => Self::Removing,
            _ => Self::Pending,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Progressing => "Progressing",
            Self::Available => "Available",
            Self::Failed => "Failed",
            Self::Paused => "Paused",
            Self::Removing => "Removing",
        }
    }
}

/// A workload on one cluster, as lists and the detail page show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterRollout {
    pub cluster_id: i64,
    pub cluster: String,
    pub replicas: u32,
    pub ready: u32,
    pub phase: Phase,
    /// Why, in words, when not simply available.
    pub message: String,
}

/// One registered workload with its status on every cluster it should run on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkloadSummary {
    pub id: i64,
    pub project: String,
    pub project_id: i64,
    pub name: String,
    pub image: String,
    pub replicas: u32,
    pub revision: u32,
    pub paused: bool,
    /// A previous revision exists to roll back to.
    pub can_roll_back: bool,
    pub created_by: String,
    pub rollouts: Vec<ClusterRollout>,
}

impl WorkloadSummary {
    /// One word for the whole workload: failed anywhere beats progressing beats available.
    pub fn overall(&self) -> Phase {
        let phases: Vec<Phase> = self.rollouts.iter().map(|r| r.phase).collect();
        for p in [Phase::Failed, Phase::Removing, Phase::Pending, Phase::Progressing, Phase::Paused] {
            if phases.contains(&p) {
                return p;
            }
        }
        if phases.is_empty() { Phase::Pending } else { Phase::Available }
    }
}

/// One pod of a workload, on one cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkloadPod {
    pub cluster_id: i64,
    pub cluster: String,
    pub name: String,
    pub node: Option<String>,
    pub phase: String,
    pub restarts: u32,
}

/// The workload page: its status everywhere, its spec, pods and recent events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkloadDetail {
    pub summary: WorkloadSummary,
    pub spec: crate::workload::WorkloadSpec,
    pub pods: Vec<WorkloadPod>,
    pub events: Vec<EventLine>,
    /// Clusters whose events could not be read just now, in words.
    pub problems: Vec<String>,
    /// What the caller may do to it.
    pub may_change: bool,
}

/// What the registration preview needs to run placement in the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PlacementInputs {
    pub project: String,
    pub clusters: Vec<crate::placement::ClusterCapacity>,
}

/// The answer to "register this container".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum RegisterOutcome {
    /// Recorded and being deployed where `placement` says.
    Created { id: i64, placement: crate::placement::Placement },
    /// Nothing was deployed: these fields need fixing.
    Invalid(Vec<crate::workload::FieldError>),
    /// Valid, but placement found no room (the candidates say why).
    NoRoom(crate::placement::Placement),
}

/// A Kubernetes event about a workload's objects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct EventLine {
    pub cluster: String,
    /// When it last happened (None: the cluster did not say).
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    pub kind: String,
    pub reason: String,
    pub object: String,
    pub message: String,
}

/// What the status reading needs from one cluster (plain data, so it is testable without one).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Observed {
    /// The Deployment exists.
    pub exists: bool,
    pub paused: bool,
    /// `metadata.generation` (the spec's version) and `status.observedGeneration` (the
    /// version the controller has acted on): until they match, the status is about the old spec.
    pub generation: i64,
    pub observed_generation: i64,
    pub wanted: u32,
    /// `status.replicas`: every pod of the Deployment, old ones still terminating included.
    pub replicas: u32,
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
    /// `ProgressDeadlineExceeded` or `ReplicaFailure` condition messages.
    pub failure_condition: Option<String>,
    /// Waiting reasons of the workload's containers (ErrImagePull, ImagePullBackOff, CrashLoopBackOff, …), with the image.
    pub waiting: Vec<(String, String)>,
    /// Messages of pods the scheduler could not place.
    pub unschedulable: Vec<String>,
    /// Recent warning events (reason, message), newest last.
    pub warnings: Vec<(String, String)>,
}

/// Reads a workload's phase on a cluster and says why in words a developer can act on.
pub fn classify(o: &Observed) -> (Phase, String) {
    if !o.exists {
        return (Phase::Pending, "not yet created on the cluster".into());
    }
    if let Some((reason, image)) = o.waiting.iter().find(|(r, _)| r == "ErrImagePull" || r == "ImagePullBackOff" || r == "InvalidImageName") {
        return (Phase::Failed, format!("the image {image} cannot be pulled ({reason}): check its name and tag, and that the registry lets the cluster pull it"));
    }
    // The FailedCreate event, or the ReplicaFailure condition the controller copies from it.
    let over_quota =
        o.warnings.iter().rev().find(|(r, m)| r == "FailedCreate" && m.contains("exceeded quota")).map(|(_, m)| m).or(o.failure_condition.as_ref().filter(|m| m.contains("exceeded quota")));
    if let Some(msg) = over_quota {
        return (Phase::Failed, format!("over the project's quota on this cluster: {msg}. Lower the requests or replicas, or ask an owner to raise the quota"));
    }
    if let Some(msg) = o.unschedulable.first() {
        return (Phase::Failed, format!("not schedulable: {msg}. Lower the requests or choose another cluster"));
    }
    if let Some((reason, image)) = o.waiting.iter().find(|(r, _)| r == "CrashLoopBackOff") {
        return (Phase::Failed, format!("the container of {image} keeps crashing ({reason}): look at its logs"));
    }
    if let Some(msg) = &o.failure_condition {
        return (Phase::Failed, msg.clone());
    }
    if o.paused {
        return (Phase::Paused, format!("paused with {} of {} replicas ready", o.ready, o.wanted));
    }
    // As `kubectl rollout status` decides: the new spec observed, every replica updated, no old
    // replica left, every updated replica available.
    if o.observed_generation < o.generation {
        return (Phase::Progressing, "the cluster has not yet taken up the change".into());
    }
    if o.updated < o.wanted {
        // A first version has nothing to update from: count what is ready.
        let words = if o.generation > 1 { format!("{} of {} replicas on the new version", o.updated, o.wanted) } else { format!("{} of {} replicas ready", o.ready, o.wanted) };
        return (Phase::Progressing, words);
    }
    if o.replicas > o.updated {
        let old = o.replicas - o.updated;
        return (Phase::Progressing, format!("{old} old replica{} still terminating", if old == 1 { " is" } else { "s are" }));
    }
    if o.available < o.updated || o.ready < o.wanted {
        return (Phase::Progressing, format!("{} of {} replicas ready", o.ready.min(o.available), o.wanted));
    }
    (Phase::Available, format!("{} of {} replicas available", o.available, o.wanted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn up(wanted: u32, ready: u32) -> Observed {
        Observed { exists: true, wanted, replicas: ready, updated: ready, ready, available: ready, ..Default::default() }
    }

    #[test]
    fn a_rollout_is_available_only_once_the_cluster_has_carried_it_out() {
        // The image changed (generation 2) but the controller has not acted yet: the status
        // still shows the old replicas as available.
        let unobserved = Observed { generation: 2, observed_generation: 1, ..up(3, 3) };
        assert_eq!(classify(&unobserved), (Phase::Progressing, "the cluster has not yet taken up the change".into()));
        // Observed, one new pod up, old ones still serving.
        let rolling = Observed { generation: 2, observed_generation: 2, replicas: 4, updated: 1, ready: 4, available: 4, ..up(3, 3) };
        assert_eq!(classify(&rolling), (Phase::Progressing, "1 of 3 replicas on the new version".into()));
        // All updated, one old pod still terminating.
        let draining = Observed { generation: 2, observed_generation: 2, replicas: 4, ..up(3, 3) };
        assert_eq!(classify(&draining), (Phase::Progressing, "1 old replica is still terminating".into()));
        // All updated but not yet available.
        let starting = Observed { generation: 2, observed_generation: 2, available: 1, ..up(3, 3) };
        assert_eq!(classify(&starting).0, Phase::Progressing);
        let done = Observed { generation: 2, observed_generation: 2, ..up(3, 3) };
        assert_eq!(classify(&done), (Phase::Available, "3 of 3 replicas available".into()));
    }

    #[test]
    fn available_only_when_every_replica_is_up_to_date_and_available() {
        assert_eq!(classify(&up(2, 2)).0, Phase::Available);
        assert_eq!(classify(&up(2, 1)), (Phase::Progressing, "1 of 2 replicas ready".into()));
        assert_eq!(classify(&Observed::default()).0, Phase::Pending);
        let paused = Observed { paused: true, ..up(3, 1) };
        assert_eq!(classify(&paused).0, Phase::Paused);
    }

    #[test]
    fn failures_are_named_in_words() {
        let pull = Observed { waiting: vec![("ImagePullBackOff".into(), "nginx:does-not-exist".into())], ..up(2, 0) };
        let (phase, msg) = classify(&pull);
        assert_eq!(phase, Phase::Failed);
        assert!(msg.contains("nginx:does-not-exist cannot be pulled"), "{msg}");
        let quota = Observed { warnings: vec![("FailedCreate".into(), "pods \"x\" is forbidden: exceeded quota: q, requested: cpu=2".into())], ..up(2, 0) };
        assert!(classify(&quota).1.starts_with("over the project's quota"), "{:?}", classify(&quota));
        let sched = Observed { unschedulable: vec!["0/3 nodes are available: 3 Insufficient cpu.".into()], ..up(1, 0) };
        assert!(classify(&sched).1.contains("Insufficient cpu"));
        let deadline = Observed { failure_condition: Some("ReplicaSet has timed out progressing.".into()), ..up(1, 0) };
        assert_eq!(classify(&deadline).0, Phase::Failed);
    }

    #[test]
    fn the_overall_state_shows_the_worst_cluster() {
        let r = |phase| ClusterRollout { cluster_id: 1, cluster: "a".into(), replicas: 1, ready: 0, phase, message: String::new() };
        let mut w = WorkloadSummary {
            id: 1,
            project: "p".into(),
            project_id: 1,
            name: "w".into(),
            image: "nginx:1.27".into(),
            replicas: 1,
            revision: 1,
            paused: false,
            can_roll_back: false,
            created_by: "bob".into(),
            rollouts: vec![r(Phase::Available), r(Phase::Progressing)],
        };
        assert_eq!(w.overall(), Phase::Progressing);
        w.rollouts.push(r(Phase::Failed));
        assert_eq!(w.overall(), Phase::Failed);
        w.rollouts.clear();
        assert_eq!(w.overall(), Phase::Pending);
    }
}

/// A lifecycle action on a workload (pages and the REST API send the same).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum WorkloadAction {
    Scale {
        replicas: u32,
    },
    SetImage {
        image: String,
    },
    RollBack,
    Pause,
    Resume,
    Move {
        from: i64,
        to: i64,
    },
    /// From one cluster, or (`None`) from all of them.
    Delete {
        cluster: Option<i64>,
    },
    /// Apply again on one cluster (after fixing what made it fail there).
    Retry {
        cluster: i64,
    },
}
