//! The scheduler: every tick it brings scheduled and low-priority workloads to what should run
//! *now* — deployed (placement evaluated then) while their window is open, withdrawn when it
//! closes; low-priority work only on a cluster with room, withdrawn first when a cluster bursts
//! and queued until room returns, on the same or another cluster (spill-over). State lives in
//! the database, so a restart converges without duplicates; a lease lets one replica act.
pub mod lease;

use crate::collector::Collector;
use crate::entity::{schedule_event, utilisation_snapshot as snap, workload_schedule};
use crate::workloads::{Desired, Workloads, capacity};
use crate::{AuditLog, Database, WorkloadError};
use chrono::{DateTime, Duration, Utc};
use flotilla_domain::placement::place;
use flotilla_domain::schedule::{self, Pressure, Priority, Schedule, Thresholds, WhenClosed};
use flotilla_domain::workload::PlacementRule;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, Set};
use std::collections::HashMap;

pub use lease::Lease;

#[derive(Debug, thiserror::Error)]
pub enum SchedulerError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read or write schedules: {0}")]
    Db(#[from] sea_orm::DbErr),
    #[error(transparent)]
    Workload(#[from] WorkloadError),
}

/// Where time comes from: the wall clock in production, a controlled one in tests.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A workload's schedule as its owner set it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScheduleSpec {
    pub schedule: Schedule,
    pub when_closed: WhenClosed,
    pub priority: Priority,
    pub movable: bool,
}

/// One automatic action, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub workload: String,
    pub cluster: String,
    pub action: &'static str,
    pub reason: String,
}

#[derive(Clone)]
pub struct Scheduler {
    db: Database,
    workloads: Workloads,
    collector: Collector,
    lease: Lease,
    pub thresholds: Thresholds,
}

fn as_str(w: WhenClosed) -> &'static str {
    match w {
        WhenClosed::Remove => "remove",
        WhenClosed::ScaleToZero => "scale_to_zero",
    }
}

impl Scheduler {
    /// `holder` names this replica in the lease (e.g. host name + process id).
    pub fn new(db: Database, workloads: Workloads, collector: Collector, holder: &str) -> Self {
        Self { lease: Lease::new(db.clone(), "scheduler", holder), db, workloads, collector, thresholds: Thresholds::default() }
    }

    /// Sets (or replaces) a workload's schedule; the next tick acts on it.
    pub async fn set(&self, workload_id: i64, spec: &ScheduleSpec) -> Result<(), SchedulerError> {
        schedule::check(&spec.schedule).map_err(SchedulerError::Invalid)?;
        workload_schedule::Entity::delete_many().filter(workload_schedule::Column::WorkloadId.eq(workload_id)).exec(self.db.conn()).await?;
        workload_schedule::ActiveModel {
            workload_id: Set(workload_id),
            schedule: Set(serde_json::to_string(&spec.schedule).map_err(|e| SchedulerError::Invalid(e.to_string()))?),
            when_closed: Set(as_str(spec.when_closed).to_owned()),
            priority: Set(spec.priority.as_str().to_owned()),
            movable: Set(spec.movable),
            state: Set("waiting".into()),
            reason: Set("not looked at yet".into()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await?;
        Ok(())
    }

    /// A cluster's CPU utilisation samples (used, else requested, over allocatable) up to `now`.
    async fn samples(&self, cluster_id: i64, now: DateTime<Utc>, minutes: u32) -> Result<Vec<(i64, f64)>, SchedulerError> {
        let rows = snap::Entity::find()
            .filter(snap::Column::ClusterId.eq(cluster_id))
            .filter(snap::Column::Scope.eq("cluster"))
            .filter(snap::Column::At.gte(now - Duration::minutes(i64::from(minutes) + 2)))
            .filter(snap::Column::At.lte(now))
            .order_by_asc(snap::Column::At)
            .all(self.db.conn())
            .await?;
        Ok(rows
            .into_iter()
            .filter(|r| r.cpu_alloc_m > 0)
            .map(|r| (r.at.timestamp_millis(), r.cpu_used_m.unwrap_or(r.cpu_req_m) as f64 / r.cpu_alloc_m as f64))
            .collect())
    }

    /// A cluster's pressure and latest utilisation at `now`, read once per pass (`seen`).
    async fn pressure(&self, cluster_id: i64, now: DateTime<Utc>, seen: &mut HashMap<i64, (Pressure, f64)>) -> Result<(Pressure, f64), SchedulerError> {
        if let Some(p) = seen.get(&cluster_id) {
            return Ok(*p);
        }
        let s = self.samples(cluster_id, now, self.thresholds.burst_minutes).await?;
        let latest = s.last().map_or(1.0, |x| x.1);
        let p = (schedule::pressure(&s, now.timestamp_millis(), &self.thresholds, self.thresholds.burst_minutes), latest);
        seen.insert(cluster_id, p);
        Ok(p)
    }

    async fn note(&self, row: &workload_schedule::Model, state: &str, reason: &str) -> Result<(), SchedulerError> {
        if row.state == state && row.reason == reason {
            return Ok(());
        }
        let mut m = row.clone().into_active_model();
        m.state = Set(state.to_owned());
        m.reason = Set(reason.to_owned());
        m.updated_at = Set(Utc::now());
        m.update(self.db.conn()).await?;
        Ok(())
    }

    async fn act(&self, now: DateTime<Utc>, workload_id: i64, a: Action, out: &mut Vec<Action>) -> Result<(), SchedulerError> {
        schedule_event::ActiveModel {
            at: Set(now),
            workload_id: Set(Some(workload_id)),
            workload: Set(a.workload.clone()),
            cluster: Set(a.cluster.clone()),
            action: Set(a.action.to_owned()),
            reason: Set(a.reason.clone()),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await?;
        let _ = AuditLog::new(self.db.clone()).record("scheduler", &format!("schedule.{}", a.action), &a.workload, &format!("{}: {}", a.cluster, a.reason)).await;
        out.push(a);
        Ok(())
    }

    /// One pass at `now`, if this replica holds the lease. Returns what it did.
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<Vec<Action>, SchedulerError> {
        if !self.lease.acquire(now).await? {
            return Ok(vec![]);
        }
        let mut done = Vec::new();
        let states = self.collector.states();
        let names: HashMap<i64, String> = states.iter().map(|s| (s.summary.id, s.summary.name.clone())).collect();
        let name = |id: i64| names.get(&id).cloned().unwrap_or_else(|| format!("cluster {id}"));
        let mut seen = HashMap::new();
        for row in workload_schedule::Entity::find().all(self.db.conn()).await? {
            let Ok(w) = self.workloads.get(row.workload_id).await else { continue };
            let sched: Schedule = serde_json::from_str(&row.schedule).unwrap_or_default();
            let priority = Priority::parse(&row.priority).unwrap_or_default();
            let present: Vec<i64> = w.deployments.iter().filter(|d| d.desired == Desired::Present).map(|d| d.cluster_id).collect();
            let label = w.spec.name.to_string();
            if schedule::open_at(&sched, now).is_none() {
                let next = schedule::next_opening(&sched, now).map_or("no window ahead".to_owned(), |n| format!("next window opens {} UTC", n.start.format("%Y-%m-%d %H:%M")));
                if !present.is_empty() {
                    let when = if row.when_closed == "scale_to_zero" { "scaled to zero" } else { "removed" };
                    self.workloads.withdraw(w.id, None).await?;
                    for c in &present {
                        let a = Action { workload: label.clone(), cluster: name(*c), action: "window-closed", reason: format!("its window closed ({}); {when}", schedule::describe(&sched, now)) };
                        self.act(now, w.id, a, &mut done).await?;
                    }
                }
                self.note(&row, "waiting", &format!("outside its window: {next}")).await?;
                continue;
            }
            if priority == Priority::Low {
                // Low-priority work leaves a cluster that bursts …
                let mut still = Vec::new();
                for c in &present {
                    let (p, u) = self.pressure(*c, now, &mut seen).await?;
                    if p == Pressure::Burst {
                        self.workloads.withdraw(w.id, Some(*c)).await?;
                        let reason = format!("{} CPU {:.0} % for {} min → removed low-priority {}", name(*c), u * 100.0, self.thresholds.burst_minutes, label);
                        self.act(now, w.id, Action { workload: label.clone(), cluster: name(*c), action: "evicted", reason }, &mut done).await?;
                    } else {
                        still.push(*c);
                    }
                }
                if !still.is_empty() {
                    self.note(&row, "running", "running while its cluster has room").await?;
                    continue;
                }
            } else if !present.is_empty() {
                self.note(&row, "running", "inside its window").await?;
                continue;
            }
            // … and (re)deploys where it fits — for low priority, only where there is room.
            let quota = self.workloads.quota(w.project_id).await?.quota;
            let mut caps = capacity::capacities(&states, &w.spec.project, quota);
            let mut full = Vec::new();
            if priority == Priority::Low {
                let mut keep = Vec::new();
                for c in caps {
                    let (p, u) = self.pressure(c.id, now, &mut seen).await?;
                    if p == Pressure::Room {
                        keep.push(c);
                    } else {
                        full.push(format!("{} at {:.0} %", c.name, u * 100.0));
                    }
                }
                caps = keep;
            }
            let rule = match &w.spec.placement {
                PlacementRule::Clusters(ids) => PlacementRule::Clusters(ids.iter().copied().filter(|id| caps.iter().any(|c| c.id == *id)).collect()),
                other => other.clone(),
            };
            let placement = place(&rule, &w.spec.demand(), &caps);
            if placement.assignments.is_empty() {
                let why = if priority == Priority::Low && !full.is_empty() {
                    format!("queued: waiting for a cluster below {:.0} % CPU that fits ({})", self.thresholds.deploy_below * 100.0, full.join(", "))
                } else {
                    format!("queued: {}", placement.error.unwrap_or_else(|| "no cluster fits".into()))
                };
                self.note(&row, "queued", &why).await?;
                continue;
            }
            self.workloads.deploy_to(w.id, &placement.assignments).await?;
            for (c, n) in &placement.assignments {
                let reason = if priority == Priority::Low {
                    format!("room on {} (CPU below {:.0} %): deployed {n} low-priority replicas", name(*c), self.thresholds.deploy_below * 100.0)
                } else {
                    format!("its window opened ({}): deployed {n} replicas", schedule::describe(&sched, now))
                };
                self.act(now, w.id, Action { workload: label.clone(), cluster: name(*c), action: "deployed", reason }, &mut done).await?;
            }
            self.note(&row, "running", &placement.summary).await?;
        }
        Ok(done)
    }

    /// Runs `tick` every `every` with the wall clock until the process ends.
    pub fn spawn_loop(self, every: std::time::Duration) {
        tokio::spawn(async move {
            let mut t = tokio::time::interval(every);
            loop {
                t.tick().await;
                if let Err(e) = self.tick(Utc::now()).await {
                    tracing::warn!("scheduler pass failed: {e}");
                }
            }
        });
    }
}

impl Scheduler {
    /// Every schedule with its planned windows from `now` for `days` days (the timeline and the
    /// queue read this), optionally only of these workloads.
    pub async fn views(&self, now: DateTime<Utc>, days: i64, only: Option<&[i64]>) -> Result<Vec<flotilla_domain::schedule::ScheduleView>, SchedulerError> {
        let mut out = Vec::new();
        for row in workload_schedule::Entity::find().all(self.db.conn()).await? {
            if only.is_some_and(|ids| !ids.contains(&row.workload_id)) {
                continue;
            }
            let Ok(w) = self.workloads.get(row.workload_id).await else { continue };
            let schedule: Schedule = serde_json::from_str(&row.schedule).unwrap_or_default();
            let windows_ms = match schedule {
                Schedule::Always => vec![],
                _ => schedule::windows(&schedule, now, now + Duration::days(days)).into_iter().map(|w| (w.start.timestamp_millis(), w.end.timestamp_millis())).collect(),
            };
            out.push(flotilla_domain::schedule::ScheduleView {
                workload_id: w.id,
                workload: w.spec.name.to_string(),
                project_id: w.project_id,
                sentence: schedule::describe(&schedule, now),
                schedule,
                when_closed: if row.when_closed == "scale_to_zero" { WhenClosed::ScaleToZero } else { WhenClosed::Remove },
                priority: Priority::parse(&row.priority).unwrap_or_default(),
                movable: row.movable,
                state: row.state,
                reason: row.reason,
                windows_ms,
            });
        }
        out.sort_by(|a, b| a.workload.cmp(&b.workload));
        Ok(out)
    }

    /// The newest automatic actions, newest first, optionally only of these workloads.
    pub async fn history(&self, limit: usize, only: Option<&[i64]>) -> Result<Vec<flotilla_domain::schedule::ScheduleEvent>, SchedulerError> {
        let rows = schedule_event::Entity::find().order_by_desc(schedule_event::Column::At).order_by_desc(schedule_event::Column::Id).all(self.db.conn()).await?;
        Ok(rows
            .into_iter()
            .filter(|e| only.is_none_or(|ids| e.workload_id.is_some_and(|id| ids.contains(&id))))
            .take(limit)
            .map(|e| flotilla_domain::schedule::ScheduleEvent { at_ms: e.at.timestamp_millis(), workload: e.workload, cluster: e.cluster, action: e.action, reason: e.reason })
            .collect())
    }
}

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}
