//! Reading the ledger back: cost over time grouped and bucketed, the previous period, top
//! workloads, the month's forecast, gaps and unpriced nodes; and the per-cluster overview.
use super::{CONTROL_PLANE, IDLE, Ledger, LedgerError, hour_of};
use crate::entity::{cost_hour, cost_ledger};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use flotilla_domain::cost_report::forecast;
use flotilla_domain::{Bucket, ClusterCost, CostQuery, CostReport, CostSeries, FleetCosts, GroupBy, MonthStatus, Step, WorkloadCost};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeMap, HashMap};

/// Whose lines a report may include.
#[derive(Debug, Clone)]
pub enum Visible {
    /// Everything, idle and unassigned namespaces included (administrators).
    All,
    /// Only these projects (by name).
    Projects(Vec<String>),
}

/// A report's period: `[from, to)` in UTC, from whole days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

fn midnight(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
}

impl Period {
    /// From `YYYY-MM-DD` dates, both days included; empty = the last 7 days up to `today`.
    pub fn of(from: &str, to: &str, today: NaiveDate) -> Result<Self, LedgerError> {
        let parse = |s: &str, what: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| LedgerError::Invalid(format!("The {what} date must look like 2026-11-24 (got “{s}”).")));
        let to = if to.trim().is_empty() { today } else { parse(to, "end")? };
        let from = if from.trim().is_empty() { to - Duration::days(6) } else { parse(from, "start")? };
        if from > to {
            return Err(LedgerError::Invalid("The start date is after the end date.".into()));
        }
        if (to - from).num_days() > 400 {
            return Err(LedgerError::Invalid("Choose a period of at most 400 days.".into()));
        }
        Ok(Self { from: midnight(from), to: midnight(to) + Duration::days(1) })
    }

    fn days(&self) -> i64 {
        (self.to - self.from).num_days()
    }
}

fn bucket_start(step: Step, t: DateTime<Utc>) -> DateTime<Utc> {
    match step {
        Step::Hour => hour_of(t),
        Step::Day => midnight(t.date_naive()),
        Step::Month => midnight(t.date_naive().with_day(1).expect("day 1 exists")),
    }
}

fn next_bucket(step: Step, t: DateTime<Utc>) -> DateTime<Utc> {
    match step {
        Step::Hour => t + Duration::hours(1),
        Step::Day => t + Duration::days(1),
        Step::Month => t.checked_add_months(chrono::Months::new(1)).unwrap_or(t + Duration::days(31)),
    }
}

fn label(step: Step, t: DateTime<Utc>) -> String {
    match step {
        Step::Hour => t.format("%m-%d %H:00").to_string(),
        Step::Day => t.format("%Y-%m-%d").to_string(),
        Step::Month => t.format("%Y-%m").to_string(),
    }
}

/// The buckets of a period (at most a few thousand: hours of 400 days are cut at 2,400).
pub fn buckets(step: Step, period: Period) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    let mut t = bucket_start(step, period.from);
    while t < period.to && out.len() < 2400 {
        out.push(t);
        t = next_bucket(step, t);
    }
    out
}

fn money(micros: i64) -> f64 {
    micros as f64 / 1_000_000.0
}

fn is_system(l: &cost_ledger::Model) -> bool {
    l.namespace.is_empty() && (l.workload == IDLE || l.workload == CONTROL_PLANE)
}

impl Ledger {
    async fn lines(&self, from: DateTime<Utc>, to: DateTime<Utc>, visible: &Visible, project: Option<&str>) -> Result<Vec<cost_ledger::Model>, LedgerError> {
        let mut q = cost_ledger::Entity::find().filter(cost_ledger::Column::Hour.gte(from)).filter(cost_ledger::Column::Hour.lt(to));
        if let Some(p) = project {
            q = q.filter(cost_ledger::Column::Project.eq(p));
        } else if let Visible::Projects(names) = visible {
            q = q.filter(cost_ledger::Column::Project.is_in(names.clone()));
        }
        let mut rows = q.all(self.db.conn()).await?;
        if let Visible::Projects(names) = visible {
            rows.retain(|r| r.project.as_ref().is_some_and(|p| names.contains(p)));
        }
        Ok(rows)
    }

    async fn hours(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<cost_hour::Model>, LedgerError> {
        Ok(cost_hour::Entity::find().filter(cost_hour::Column::Hour.gte(from)).filter(cost_hour::Column::Hour.lt(to)).all(self.db.conn()).await?)
    }

    async fn cluster_names(&self) -> HashMap<i64, String> {
        self.directory.list().await.map(|l| l.into_iter().map(|c| (c.id, c.name)).collect()).unwrap_or_default()
    }

    /// Sums a project's lines from `from` to `to`.
    pub async fn project_total(&self, project: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<f64, LedgerError> {
        let rows = self.lines(from, to, &Visible::All, Some(project)).await?;
        Ok(money(rows.iter().map(|r| r.cost_micros).sum()))
    }

    /// A project's month so far (up to `now`) and where it is heading.
    pub async fn month_status(&self, project: &str, now: DateTime<Utc>, budget: Option<f64>) -> Result<MonthStatus, LedgerError> {
        let start = bucket_start(Step::Month, now);
        let end = next_bucket(Step::Month, start);
        let to_date = self.project_total(project, start, end).await?;
        let last_day = self.project_total(project, (now - Duration::hours(24)).max(start), now).await?;
        let elapsed = (now - start).num_seconds() as f64 / 3600.0;
        let recent_hours = elapsed.min(24.0);
        let recent = (recent_hours >= 1.0).then(|| last_day / recent_hours);
        let forecast = forecast(to_date, elapsed, (end - start).num_hours() as f64, recent);
        Ok(MonthStatus { month: start.format("%Y-%m").to_string(), to_date, forecast, budget })
    }

    /// Cost over the period, grouped and bucketed as asked, of what `visible` allows.
    pub async fn report(&self, q: &CostQuery, project: Option<&str>, visible: &Visible, now: DateTime<Utc>) -> Result<CostReport, LedgerError> {
        let period = Period::of(&q.from, &q.to, now.date_naive())?;
        let names = self.cluster_names().await;
        let cluster = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("cluster {id}"));
        let rows = self.lines(period.from, period.to, visible, project).await?;
        let starts = buckets(q.step, period);
        let position: HashMap<DateTime<Utc>, usize> = starts.iter().enumerate().map(|(i, t)| (*t, i)).collect();
        let mut series: BTreeMap<String, Vec<i64>> = BTreeMap::new();
        let mut workloads: HashMap<(i64, String, String), (Option<String>, i64)> = HashMap::new();
        for r in &rows {
            let key = match q.group_by {
                GroupBy::Cluster => cluster(r.cluster_id),
                _ if is_system(r) => r.workload.clone(),
                GroupBy::Project => r.project.clone().unwrap_or_else(|| "(no project)".into()),
                GroupBy::Namespace => r.namespace.clone(),
                GroupBy::Workload => format!("{}/{}", r.namespace, r.workload),
            };
            let Some(&i) = position.get(&bucket_start(q.step, r.hour)) else { continue };
            series.entry(key).or_insert_with(|| vec![0; starts.len()])[i] += r.cost_micros;
            if !is_system(r) {
                let w = workloads.entry((r.cluster_id, r.namespace.clone(), r.workload.clone())).or_insert((r.project.clone(), 0));
                w.1 += r.cost_micros;
            }
        }
        let mut series: Vec<CostSeries> = series.into_iter().map(|(key, v)| CostSeries { key, total: money(v.iter().sum()), values: v.into_iter().map(money).collect() }).collect();
        series.sort_by(|a, b| b.total.total_cmp(&a.total).then_with(|| a.key.cmp(&b.key)));
        let mut top: Vec<WorkloadCost> =
            workloads.into_iter().map(|((c, namespace, workload), (project, m))| WorkloadCost { project, namespace, workload, cluster: cluster(c), cost: money(m) }).collect();
        top.sort_by(|a, b| b.cost.total_cmp(&a.cost).then_with(|| (&a.cluster, &a.workload).cmp(&(&b.cluster, &b.workload))));
        top.truncate(10);

        // Like with like: the same stretch of time just before, as far into it as this period
        // has got (a period ending today is compared with the same hours, not with full days).
        let elapsed = (now.min(period.to) - period.from).max(Duration::zero());
        let start = period.from - Duration::days(period.days());
        let before = Period { from: start, to: start + elapsed };
        let previous = self.lines(before.from, before.to, visible, project).await?;
        let hours = self.hours(period.from, period.to).await?;
        let in_view: Option<Vec<i64>> = match visible {
            Visible::All => None,
            Visible::Projects(_) => Some({
                let mut ids: Vec<i64> = rows.iter().map(|r| r.cluster_id).collect();
                ids.sort_unstable();
                ids.dedup();
                ids
            }),
        };
        let hours: Vec<&cost_hour::Model> = hours.iter().filter(|h| in_view.as_ref().is_none_or(|ids| ids.contains(&h.cluster_id))).collect();
        Ok(CostReport {
            currency: hours.first().map(|h| h.currency.clone()).unwrap_or_else(|| "USD".into()),
            from: period.from.format("%Y-%m-%d").to_string(),
            to: (period.to - Duration::days(1)).format("%Y-%m-%d").to_string(),
            step: q.step,
            group_by: q.group_by,
            buckets: starts.iter().map(|t| Bucket { start_ms: t.timestamp_millis(), label: label(q.step, *t) }).collect(),
            total: money(rows.iter().map(|r| r.cost_micros).sum()),
            previous_total: money(previous.iter().map(|r| r.cost_micros).sum()),
            series,
            top_workloads: top,
            month: None,
            gaps: gaps(&hours, period, now, &cluster),
            unpriced: unpriced(&hours, &cluster),
        })
    }

    /// Administrators' overview of a period: every cluster's total, idle and control plane,
    /// and every project's total.
    pub async fn fleet_costs(&self, from: &str, to: &str, now: DateTime<Utc>) -> Result<FleetCosts, LedgerError> {
        let period = Period::of(from, to, now.date_naive())?;
        let names = self.cluster_names().await;
        let hours = self.hours(period.from, period.to).await?;
        let mut clusters: BTreeMap<i64, ClusterCost> = BTreeMap::new();
        for h in &hours {
            let c = clusters.entry(h.cluster_id).or_insert_with(|| ClusterCost {
                cluster_id: h.cluster_id,
                cluster: names.get(&h.cluster_id).cloned().unwrap_or_else(|| format!("cluster {}", h.cluster_id)),
                total: 0.0,
                used: 0.0,
                idle: 0.0,
                control_plane: 0.0,
                observed_hours: 0.0,
            });
            c.total += money(h.total_micros);
            c.idle += money(h.idle_micros);
            c.control_plane += money(h.control_plane_micros);
            c.observed_hours += h.observed_hours.min(1.0);
        }
        for c in clusters.values_mut() {
            c.used = c.total - c.idle;
        }
        let rows = self.lines(period.from, period.to, &Visible::All, None).await?;
        let mut projects: BTreeMap<String, i64> = BTreeMap::new();
        for r in rows.iter().filter(|r| !is_system(r)) {
            *projects.entry(r.project.clone().unwrap_or_else(|| "(no project)".into())).or_default() += r.cost_micros;
        }
        let mut projects: Vec<(String, f64)> = projects.into_iter().map(|(p, m)| (p, money(m))).collect();
        projects.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut clusters: Vec<ClusterCost> = clusters.into_values().collect();
        clusters.sort_by(|a, b| b.total.total_cmp(&a.total));
        Ok(FleetCosts {
            currency: hours.first().map(|h| h.currency.clone()).unwrap_or_else(|| "USD".into()),
            from: period.from.format("%Y-%m-%d").to_string(),
            to: (period.to - Duration::days(1)).format("%Y-%m-%d").to_string(),
            clusters,
            projects,
        })
    }
}

/// Time a cluster was not observed, between its first recorded hour in the period and the
/// last complete hour, in words.
fn gaps(hours: &[&cost_hour::Model], period: Period, now: DateTime<Utc>, cluster: &dyn Fn(i64) -> String) -> Vec<String> {
    let mut by_cluster: BTreeMap<i64, Vec<&cost_hour::Model>> = BTreeMap::new();
    for h in hours {
        by_cluster.entry(h.cluster_id).or_default().push(h);
    }
    let end = period.to.min(hour_of(now));
    let mut out = Vec::new();
    for (id, rows) in by_cluster {
        let Some(first) = rows.iter().map(|h| h.hour).min() else { continue };
        if first >= end {
            continue;
        }
        let expected = (end - first).num_minutes() as f64 / 60.0;
        let observed: f64 = rows.iter().filter(|h| h.hour < end).map(|h| h.observed_hours.min(1.0)).sum();
        let missing = expected - observed;
        if missing >= 0.1 {
            out.push(format!(
                "{}: {:.1} of {:.0} hours were not observed (the cluster was unreachable or Flotilla was not running); no cost is estimated for that time.",
                cluster(id),
                missing,
                expected
            ));
        }
    }
    out
}

fn unpriced(hours: &[&cost_hour::Model], cluster: &dyn Fn(i64) -> String) -> Vec<String> {
    let mut by_cluster: BTreeMap<i64, std::collections::BTreeSet<&str>> = BTreeMap::new();
    for h in hours {
        by_cluster.entry(h.cluster_id).or_default().extend(h.unpriced.split(", ").filter(|s| !s.is_empty()));
    }
    by_cluster.into_iter().filter(|(_, nodes)| !nodes.is_empty()).map(|(id, nodes)| format!("{}: {}", cluster(id), nodes.into_iter().collect::<Vec<_>>().join(", "))).collect()
}

/// The report as CSV: one line per bucket and series.
pub fn report_csv(r: &CostReport) -> String {
    let mut out = format!("period_start,{},cost_{}\n", r.group_by.as_str(), r.currency.to_lowercase());
    for (i, b) in r.buckets.iter().enumerate() {
        for s in &r.series {
            let v = s.values.get(i).copied().unwrap_or(0.0);
            if v != 0.0 {
                let key = if s.key.contains([',', '"']) { format!("\"{}\"", s.key.replace('"', "\"\"")) } else { s.key.clone() };
                out.push_str(&format!("{},{},{:.6}\n", b.label, key, v));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_whole_days_and_bad_dates_are_explained() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let p = Period::of("", "", today).unwrap();
        assert_eq!((p.from.to_rfc3339(), p.to.to_rfc3339()), ("2026-11-18T00:00:00+00:00".into(), "2026-11-25T00:00:00+00:00".into()));
        assert!(matches!(Period::of("2026-11-30", "2026-11-01", today), Err(LedgerError::Invalid(m)) if m.contains("after")));
        assert!(matches!(Period::of("yesterday", "", today), Err(LedgerError::Invalid(m)) if m.contains("2026-11-24")));
    }

    #[test]
    fn buckets_follow_the_calendar() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let p = Period::of("2026-01-30", "2026-03-02", today).unwrap();
        let months: Vec<String> = buckets(Step::Month, p).into_iter().map(|t| label(Step::Month, t)).collect();
        assert_eq!(months, ["2026-01", "2026-02", "2026-03"]);
        assert_eq!(buckets(Step::Day, p).len(), 32);
        assert_eq!(buckets(Step::Hour, Period::of("2026-03-01", "2026-03-01", today).unwrap()).len(), 24);
    }
}
