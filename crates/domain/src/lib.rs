//! Flotilla's domain: pure types and rules shared by the server and the browser.
pub mod access;
pub mod cost;
pub mod cost_report;
pub mod dashboard;
pub mod fleet;
pub mod format;
pub mod geo;
pub mod identity;
pub mod image;
pub mod inventory;
pub mod names;
pub mod people;
pub mod placement;
pub mod prices;
pub mod quantity;
pub mod quota;
pub mod rollout;
pub mod schedule;
pub mod workload;

pub use access::{BuiltinRole, Decision, Kind, Permission, Role, Scope, Subject, Target, Verb, allows, may_read_clusters};
pub use cost::{Allocation, AllocationOptions, ClusterInput, CostWeights, GroupUsage, NodeHours, NodeInput, PeriodInput, PodInput, allocate, pod_shares, price_period, unit_prices};
pub use cost_report::{
    Basis, Bucket, Budget, BudgetLine, ClusterCost, ClusterCostNow, CostQuery, CostReport, CostSeries, FleetCosts, GroupBy, LiveCosts, MonthStatus, Notification, Step, WorkloadCost,
};
pub use fleet::{ClusterMetadata, ClusterSummary, Connection, ConnectionReport, Provider, labels_text, parse_labels};
pub use identity::{ApiTokenInfo, AuditLine, AuditQuery, CreatedApiToken, GroupMapping, Me, RoleDef};
pub use image::ImageRef;
pub use inventory::{
    ClusterDetail, ClusterHealth, ClusterTile, FleetMap, HealthState, HeatRow, Heatmap, Metric, NamespaceView, NodeCell, NodeDetail, NodePod, NodeView, PodView, Totals, Usage, node_labels,
};
pub use names::{Dns1123Label, NameError};
pub use people::{IdentitySummary, MemberSummary, NewProject, ProjectChange, ProjectCluster, ProjectDetail, ProjectSummary, UserSummary};
pub use placement::{Candidate, ClusterCapacity, Demand, NodeFree, Placement, QuotaFree, UnitPrices, place};
pub use prices::{PriceEntry, default_prices, parse_prices_csv, prices_csv};
pub use quantity::{Bytes, CpuMillis, QuantityError};
pub use quota::{ProjectQuota, QuotaChange, QuotaInput, parse_quota};
pub use rollout::{ClusterRollout, EventLine, Observed, Phase, PlacementInputs, RegisterOutcome, WorkloadAction, WorkloadDetail, WorkloadPod, WorkloadSummary};
pub use workload::{EnvVar, FieldError, PlacementRule, PortSpec, Resources, WorkloadForm, WorkloadSpec, quantity_hint, split_words, validate};

/// A message as a sentence: its first letter a capital. Messages of errors start lower-case so
/// that they read well inside others; whoever shows one to a person on its own makes it a
/// sentence here.
pub fn sentence(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}
