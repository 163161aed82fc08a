//! What cost pages and the REST API show: cost over time from the ledger, grouped and
//! bucketed, with gaps, the month's forecast and budget; and the budget rules. Pure.
use serde::{Deserialize, Serialize};

/// The width of one bar of a cost chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Step {
    Hour,
    #[default]
    Day,
    Month,
}

impl Step {
    pub const ALL: [Step; 3] = [Step::Hour, Step::Day, Step::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Step::Hour => "hour",
            Step::Day => "day",
            Step::Month => "month",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// What one series of a cost chart is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum GroupBy {
    Project,
    Namespace,
    #[default]
    Cluster,
    Workload,
}

impl GroupBy {
    pub const ALL: [GroupBy; 4] = [GroupBy::Project, GroupBy::Namespace, GroupBy::Cluster, GroupBy::Workload];

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Project => "project",
            GroupBy::Namespace => "namespace",
            GroupBy::Cluster => "cluster",
            GroupBy::Workload => "workload",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s.trim().to_ascii_lowercase())
    }
}

/// A cost report request. Dates are `YYYY-MM-DD` (UTC), both days included; empty = the
/// last 7 days up to today.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(default)]
pub struct CostQuery {
    /// One project (by name), or (`None` or empty) every project the caller may see.
    #[serde(default)]
    pub project: Option<String>,
    pub from: String,
    pub to: String,
    pub step: Step,
    pub group_by: GroupBy,
}

/// One bar position of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Bucket {
    pub start_ms: i64,
    pub label: String,
}

/// One stacked series: its cost in every bucket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CostSeries {
    pub key: String,
    pub values: Vec<f64>,
    pub total: f64,
}

/// One workload's cost over the period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WorkloadCost {
    pub project: Option<String>,
    pub namespace: String,
    pub workload: String,
    pub cluster: String,
    pub cost: f64,
}

/// The month the report's end date falls in: spent so far, where it is heading, the budget.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MonthStatus {
    /// `YYYY-MM`.
    pub month: String,
    pub to_date: f64,
    pub forecast: f64,
    pub budget: Option<f64>,
}

impl MonthStatus {
    /// The month-end forecast as a percentage of the budget (`None` without a budget).
    pub fn forecast_percent(&self) -> Option<f64> {
        self.budget.map(|b| if b > 0.0 { self.forecast / b * 100.0 } else { 0.0 })
    }

    /// "ok", "warn" (forecast at 80 % of the budget or more) or "bad" (at 100 % or more).
    pub fn status_class(&self) -> &'static str {
        match self.forecast_percent() {
            Some(p) if p >= 100.0 => "bad",
            Some(p) if p >= 80.0 => "warn",
            _ => "ok",
        }
    }
}

/// One project's month against its budget (the dashboard's budget widget).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct BudgetLine {
    pub project: String,
    pub display_name: String,
    pub currency: String,
    pub month: MonthStatus,
}

/// A cost report: series stacked per bucket, totals, and what the numbers leave out.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct CostReport {
    pub currency: String,
    pub from: String,
    pub to: String,
    pub step: Step,
    pub group_by: GroupBy,
    pub buckets: Vec<Bucket>,
    /// Largest total first.
    pub series: Vec<CostSeries>,
    pub total: f64,
    /// The same stretch of time just before `from`, as far into it as this period has got
    /// (up to now for a period that ends today).
    pub previous_total: f64,
    pub top_workloads: Vec<WorkloadCost>,
    pub month: Option<MonthStatus>,
    /// Sentences naming time no cost was recorded for (a cluster unreachable, Flotilla down).
    pub gaps: Vec<String>,
    /// Nodes whose price is unknown: their cost is in no total.
    pub unpriced: Vec<String>,
}

impl CostReport {
    /// Change against the previous period in percent (`None` when there was nothing before).
    pub fn change_percent(&self) -> Option<f64> {
        (self.previous_total > 0.0).then(|| (self.total - self.previous_total) / self.previous_total * 100.0)
    }
}

/// One cluster's cost over a period, for administrators: where its money went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterCost {
    pub cluster_id: i64,
    pub cluster: String,
    pub total: f64,
    /// Charged to namespaces (control-plane fee spread in).
    pub used: f64,
    pub idle: f64,
    /// The control-plane fee (part of `used`).
    pub control_plane: f64,
    /// Hours of the period the cluster was observed.
    pub observed_hours: f64,
}

impl ClusterCost {
    pub fn idle_percent(&self) -> f64 {
        if self.total > 0.0 { self.idle / self.total * 100.0 } else { 0.0 }
    }
}

/// Administrators' overview: per cluster and per project.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct FleetCosts {
    pub currency: String,
    pub from: String,
    pub to: String,
    pub clusters: Vec<ClusterCost>,
    /// (project, cost), largest first; namespaces without a project are "(no project)".
    pub projects: Vec<(String, f64)>,
}

/// Month-end forecast: what is spent so far plus the recent hourly rate for the rest of the
/// month. Without a recent rate, the month's own average rate is used.
pub fn forecast(to_date: f64, hours_elapsed: f64, hours_in_month: f64, recent_per_hour: Option<f64>) -> f64 {
    let remaining = (hours_in_month - hours_elapsed).max(0.0);
    let rate = match recent_per_hour {
        Some(r) if r.is_finite() && r >= 0.0 => r,
        _ if hours_elapsed > 0.0 => to_date / hours_elapsed,
        _ => 0.0,
    };
    to_date + rate * remaining
}

/// The budget thresholds (percent) that alert.
pub const BUDGET_THRESHOLDS: [u8; 2] = [80, 100];

/// What reached a threshold: the actual spend, or only the forecast.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Basis {
    Actual,
    Forecast,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Actual => "actual",
            Basis::Forecast => "forecast",
        }
    }
}

/// The thresholds newly reached this month (those in `fired` already alerted). Actual spend
/// wins over the forecast when both reach a threshold.
pub fn budget_crossings(budget: f64, to_date: f64, forecast: f64, fired: &[u8]) -> Vec<(u8, Basis)> {
    if !(budget.is_finite() && budget > 0.0) {
        return vec![];
    }
    BUDGET_THRESHOLDS
        .into_iter()
        .filter(|t| !fired.contains(t))
        .filter_map(|t| {
            let line = budget * f64::from(t) / 100.0;
            if to_date >= line {
                Some((t, Basis::Actual))
            } else if forecast >= line {
                Some((t, Basis::Forecast))
            } else {
                None
            }
        })
        .collect()
}

/// A project's budget as its owners set it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Budget {
    pub project_id: i64,
    pub monthly: f64,
    pub currency: String,
    /// Whether a webhook is set (its URL is a secret and never leaves the server).
    pub webhook_set: bool,
}

/// What a cluster costs right now, per hour, split like one ledger hour.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LiveCosts {
    pub currency: String,
    /// The whole cluster (only for those who may see every namespace's cost).
    pub per_hour: Option<f64>,
    /// Idle capacity (same).
    pub idle: Option<f64>,
    /// (namespace, workload, cost per hour), largest first.
    pub lines: Vec<(String, String, f64)>,
    /// Nodes without a known price: their cost is in no line.
    pub unpriced: Vec<String>,
}

/// What one cluster costs per hour now, as far as the caller may see: the whole cluster, or only
/// the caller's namespaces on it (the world map's hover).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterCostNow {
    pub cluster_id: i64,
    pub per_hour: f64,
    pub currency: String,
    /// The whole cluster (else the caller's namespaces only).
    pub whole: bool,
}

impl ClusterCostNow {
    pub fn of(cluster_id: i64, live: &LiveCosts) -> Self {
        let (per_hour, whole) = match live.per_hour {
            Some(total) => (total, true),
            None => (live.lines.iter().map(|l| l.2).sum(), false),
        };
        Self { cluster_id, per_hour, currency: live.currency.clone(), whole }
    }

    /// "1.84 USD/h", or "your namespaces 0.12 USD/h".
    pub fn label(&self) -> String {
        let amount = format!("{}/h", crate::format::money(self.per_hour, &self.currency));
        if self.whole { amount } else { format!("your namespaces {amount}") }
    }
}

/// One in-app notification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Notification {
    pub id: i64,
    pub text: String,
    pub link: String,
    pub at_ms: i64,
    pub read: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forecast_runs_the_recent_rate_to_the_end_of_the_month() {
        // 10 days of 30 spent 100; the last day ran at 0.5/h → 100 + 0.5 × 480 h.
        assert_eq!(forecast(100.0, 240.0, 720.0, Some(0.5)), 340.0);
        // Without a recent rate, the month's own average (100 / 240 h) continues.
        assert!((forecast(100.0, 240.0, 720.0, None) - 300.0).abs() < 1e-9);
        assert_eq!(forecast(0.0, 0.0, 720.0, None), 0.0);
        assert_eq!(forecast(50.0, 800.0, 720.0, Some(1.0)), 50.0, "past the month's end nothing is added");
    }

    #[test]
    fn a_cluster_cost_now_is_the_whole_cluster_or_only_the_callers_namespaces() {
        let mut live =
            LiveCosts { currency: "USD".into(), per_hour: Some(1.84), idle: Some(1.2), lines: vec![("team-a".into(), "web".into(), 0.1), ("team-a".into(), "api".into(), 0.02)], unpriced: vec![] };
        assert_eq!(ClusterCostNow::of(4, &live).label(), "1.84 USD/h");
        live.per_hour = None;
        let mine = ClusterCostNow::of(4, &live);
        assert!(!mine.whole && (mine.per_hour - 0.12).abs() < 1e-9);
        assert_eq!(mine.label(), "your namespaces 0.12 USD/h");
    }

    #[test]
    fn budget_thresholds_fire_once_actual_before_forecast() {
        assert_eq!(budget_crossings(100.0, 50.0, 70.0, &[]), vec![]);
        assert_eq!(budget_crossings(100.0, 50.0, 85.0, &[]), vec![(80, Basis::Forecast)]);
        assert_eq!(budget_crossings(100.0, 81.0, 120.0, &[]), vec![(80, Basis::Actual), (100, Basis::Forecast)]);
        assert_eq!(budget_crossings(100.0, 81.0, 120.0, &[80, 100]), vec![], "each threshold alerts once a month");
        assert_eq!(budget_crossings(100.0, 100.0, 100.0, &[80]), vec![(100, Basis::Actual)]);
        assert_eq!(budget_crossings(0.0, 10.0, 10.0, &[]), vec![], "no budget, no alert");
    }

    #[test]
    fn steps_and_groupings_parse_their_names() {
        for s in Step::ALL {
            assert_eq!(Step::parse(s.as_str()), Some(s));
        }
        for g in GroupBy::ALL {
            assert_eq!(GroupBy::parse(g.as_str()), Some(g));
        }
        assert_eq!(GroupBy::parse("Workload"), Some(GroupBy::Workload));
        assert_eq!(Step::parse("week"), None);
    }

    #[test]
    fn change_against_the_previous_period() {
        let r = CostReport { total: 150.0, previous_total: 100.0, ..Default::default() };
        assert_eq!(r.change_percent(), Some(50.0));
        assert_eq!(CostReport { total: 5.0, ..Default::default() }.change_percent(), None);
    }
}
