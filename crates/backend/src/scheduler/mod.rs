//! The scheduler: every tick it brings scheduled and low-priority workloads to what should run
//! *now* — deployed (placement evaluated then) while their window is open, withdrawn when it
//! closes; low-priority work only on a cluster with room, withdrawn first when a cluster bursts
//! and queued until room returns, on the same or another cluster (spill-over). State lives in
//! the database, so a restart converges without duplicates; a lease lets one replica act.
pub mod lease;

mod load;
mod views;

use crate::entity::{schedule_event, workload_schedule};
use crate::workloads::capacity::Capacities;
use crate::workloads::{DeploymentRecord, Desired, WorkloadRecord, Workloads};
use crate::{AuditLog, Database, WorkloadError};
use chrono::{DateTime, Duration, Utc};
use flotilla_domain::placement::place;
pub use flotilla_domain::schedule::ScheduleSpec;
use flotilla_domain::schedule::{self, Pressure, Priority, Schedule, Thresholds, WhenClosed};
use flotilla_domain::workload::PlacementRule;
use load::Loads;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, Set};
use std::collections::HashMap;

pub use lease::Lease;

/// A move the rebalancer made (from the history), for its cool-downs.
struct Move {
    at_ms: i64,
    workload_id: i64,
    cluster: String,
}

/// What one pass knows and did.
struct Pass {
    now: DateTime<Utc>,
    names: HashMap<i64, String>,
    loads: Loads,
    moves: Vec<Move>,
    moved_off: Vec<i64>,
    done: Vec<Action>,
}

impl Pass {
    fn name(&self, id: i64) -> String {
        self.names.get(&id).cloned().unwrap_or_else(|| format!("cluster {id}"))
    }
}

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
    /// Placement inputs: the same assembly registration uses (opened clusters, quota, prices).
    capacities: Capacities,
    lease: Lease,
    /// The thresholds of clusters that have none of their own.
    pub thresholds: Thresholds,
}

impl Scheduler {
    /// `holder` names this replica in the lease (e.g. host name + process id).
    pub fn new(db: Database, workloads: Workloads, capacities: Capacities, holder: &str) -> Self {
        Self { lease: Lease::new(db.clone(), "scheduler", holder), db, workloads, capacities, thresholds: Thresholds::default() }
    }

    /// How long this replica's lease lasts after each pass (another replica takes over once it
    /// has run out); at least twice the time between passes.
    pub fn with_lease_ttl(mut self, ttl: Duration) -> Self {
        self.lease.ttl = ttl;
        self
    }

    /// Sets (or replaces) a workload's schedule; the next tick acts on it.
    pub async fn set(&self, workload_id: i64, spec: &ScheduleSpec) -> Result<(), SchedulerError> {
        schedule::check(&spec.schedule).map_err(SchedulerError::Invalid)?;
        let before = self.workloads.priority_of(workload_id).await?;
        workload_schedule::Entity::delete_many().filter(workload_schedule::Column::WorkloadId.eq(workload_id)).exec(self.db.conn()).await?;
        workload_schedule::ActiveModel {
            workload_id: Set(workload_id),
            schedule: Set(serde_json::to_string(&spec.schedule).map_err(|e| SchedulerError::Invalid(e.to_string()))?),
            when_closed: Set(spec.when_closed.as_str().to_owned()),
            priority: Set(spec.priority.as_str().to_owned()),
            movable: Set(spec.movable),
            state: Set("waiting".into()),
            reason: Set("not looked at yet".into()),
            updated_at: Set(Utc::now()),
            ..Default::default()
        }
        .insert(self.db.conn())
        .await?;
        if before != spec.priority {
            // The Deployment names the priority's PriorityClass: apply it again.
            self.workloads.reapply(workload_id).await?;
        }
        Ok(())
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
        let states = self.capacities.collector().states();
        let mut pass = Pass {
            now,
            names: states.iter().map(|s| (s.summary.id, s.summary.name.clone())).collect(),
            loads: Loads::new(self.db.clone(), self.thresholds, now).await?,
            moves: self.recent_moves(now).await?,
            moved_off: Vec::new(),
            done: Vec::new(),
        };
        for row in workload_schedule::Entity::find().all(self.db.conn()).await? {
            let Ok(w) = self.workloads.get(row.workload_id).await else { continue };
            self.pass_one(&mut pass, &row, &w).await?;
        }
        Ok(pass.done)
    }

    /// What one scheduled workload needs now: closed window → withdrawn or scaled to zero; open
    /// → scaled back, kept (low priority: evicted from a bursting cluster; movable: moved off a
    /// cluster that stays hot), or deployed where it fits.
    async fn pass_one(&self, pass: &mut Pass, row: &workload_schedule::Model, w: &WorkloadRecord) -> Result<(), SchedulerError> {
        let now = pass.now;
        let sched: Schedule = serde_json::from_str(&row.schedule).unwrap_or_default();
        let priority = Priority::parse(&row.priority).unwrap_or_default();
        let to_zero = WhenClosed::parse(&row.when_closed) == WhenClosed::ScaleToZero;
        let present: Vec<&DeploymentRecord> = w.deployments.iter().filter(|d| d.desired == Desired::Present).collect();
        let label = w.spec.name.to_string();
        if schedule::open_at(&sched, now).is_none() {
            let next = schedule::next_opening_words(&sched, now);
            let up: Vec<i64> = present.iter().filter(|d| !to_zero || d.replicas > 0).map(|d| d.cluster_id).collect();
            if !up.is_empty() {
                let (action, when) = if to_zero { ("scaled-to-zero", "scaled to zero") } else { ("window-closed", "removed") };
                if to_zero {
                    self.workloads.scale_on(w.id, &up.iter().map(|c| (*c, 0)).collect::<Vec<_>>()).await?;
                } else {
                    self.workloads.withdraw(w.id, None).await?;
                }
                for c in &up {
                    let reason = format!("its window closed ({}); {when}", schedule::describe(&sched, now));
                    self.act(now, w.id, Action { workload: label.clone(), cluster: pass.name(*c), action, reason }, &mut pass.done).await?;
                }
            }
            let kept = if to_zero && !present.is_empty() { " (scaled to zero)" } else { "" };
            return self.note(row, "waiting", &format!("outside its window{kept}: {next}")).await;
        }
        // Scaled to zero at the last window's end: scale back on the same clusters.
        if to_zero && !present.is_empty() && present.iter().all(|d| d.replicas == 0) {
            let counts = flotilla_domain::placement::proportional(w.spec.replicas, &vec![1; present.len()]);
            let back: Vec<(i64, u32)> = present.iter().map(|d| d.cluster_id).zip(counts).collect();
            self.workloads.scale_on(w.id, &back).await?;
            for (c, n) in &back {
                let reason = format!("its window opened ({}): scaled back to {n} replicas", schedule::describe(&sched, now));
                self.act(now, w.id, Action { workload: label.clone(), cluster: pass.name(*c), action: "scaled-up", reason }, &mut pass.done).await?;
            }
            return self.note(row, "running", "inside its window").await;
        }
        if priority == Priority::Low {
            // Low-priority work leaves a cluster that bursts …
            let mut still = 0;
            for d in &present {
                let load = pass.loads.get(d.cluster_id).await?;
                if load.burst == Pressure::Burst {
                    self.workloads.withdraw(w.id, Some(d.cluster_id)).await?;
                    let reason = format!("{} CPU {:.0} % for {} min → removed low-priority {label}", pass.name(d.cluster_id), load.latest * 100.0, load.t.burst_minutes);
                    self.act(now, w.id, Action { workload: label.clone(), cluster: pass.name(d.cluster_id), action: "evicted", reason }, &mut pass.done).await?;
                } else {
                    still += 1;
                }
            }
            if still > 0 {
                return self.note(row, "running", "running while its cluster has room").await;
            }
        } else if !present.is_empty() {
            if row.movable {
                self.rebalance(pass, w, &present).await?;
            }
            return self.note(row, "running", if row.movable { "inside its window; movable when its cluster stays hot" } else { "inside its window" }).await;
        }
        // … and (re)deploys where it fits — for low priority, only where there is room.
        let mut caps = self.capacities.for_project(w.project_id, &w.spec.project).await?;
        let mut full = Vec::new();
        if priority == Priority::Low {
            let mut keep = Vec::new();
            for c in caps {
                let load = pass.loads.get(c.id).await?;
                if load.burst == Pressure::Room {
                    keep.push(c);
                } else {
                    full.push(format!("{} at {:.0} % CPU, needs below {:.0} %", c.name, load.latest * 100.0, load.t.deploy_below * 100.0));
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
                format!("queued: waiting for a cluster with room that fits ({})", full.join("; "))
            } else {
                format!("queued: {}", placement.error.unwrap_or_else(|| "no cluster fits".into()))
            };
            return self.note(row, "queued", &why).await;
        }
        self.workloads.deploy_to(w.id, &placement.assignments).await?;
        for (c, n) in &placement.assignments {
            let reason = if priority == Priority::Low {
                let load = pass.loads.get(*c).await?;
                format!("room on {} (CPU {:.0} %, below {:.0} %): deployed {n} low-priority replicas", pass.name(*c), load.latest * 100.0, load.t.deploy_below * 100.0)
            } else {
                format!("its window opened ({}): deployed {n} replicas", schedule::describe(&sched, now))
            };
            self.act(now, w.id, Action { workload: label.clone(), cluster: pass.name(*c), action: "deployed", reason }, &mut pass.done).await?;
        }
        self.note(row, "running", &placement.summary).await
    }

    /// Moves a movable workload off a cluster that has stayed above its evict threshold for its
    /// rebalance time, to the least-loaded cluster below its deploy threshold that fits (deploy
    /// there, wait until available, remove here: [`Workloads::move_to`]). One move per cluster
    /// per rebalance time, and none of a workload moved recently: nothing flaps.
    async fn rebalance(&self, pass: &mut Pass, w: &WorkloadRecord, present: &[&DeploymentRecord]) -> Result<(), SchedulerError> {
        let now_ms = pass.now.timestamp_millis();
        let last_of_workload = pass.moves.iter().filter(|m| m.workload_id == w.id).map(|m| m.at_ms).max();
        // The project's clusters, read once, when some cluster is due for rebalancing.
        let mut caps = None;
        for d in present {
            let source = pass.name(d.cluster_id);
            let load = pass.loads.get(d.cluster_id).await?;
            let last_off = pass.moves.iter().filter(|m| m.cluster == source).map(|m| m.at_ms).max();
            if pass.moved_off.contains(&d.cluster_id) || !schedule::rebalance_due(&load.samples, now_ms, &load.t, last_off, last_of_workload) {
                continue;
            }
            let mut targets = Vec::new();
            if caps.is_none() {
                caps = Some(self.capacities.for_project(w.project_id, &w.spec.project).await?);
            }
            for c in caps.iter().flatten().cloned() {
                let allowed = match &w.spec.placement {
                    PlacementRule::Clusters(ids) => ids.contains(&c.id),
                    _ => true,
                };
                if !allowed || w.deployments.iter().any(|x| x.cluster_id == c.id) {
                    continue;
                }
                let l = pass.loads.get(c.id).await?;
                if schedule::rebalance_target_ok(l.latest, &l.t) {
                    targets.push(c);
                }
            }
            let demand = flotilla_domain::placement::Demand { per_replica: w.spec.requests, replicas: d.replicas.max(1) };
            let Some(&(target, _)) = place(&PlacementRule::LeastLoaded, &demand, &targets).assignments.first() else { continue };
            self.workloads.move_to(w.id, d.cluster_id, target).await?;
            self.workloads.wake();
            let reason = format!("{source} CPU {:.0} % for {} min → moved {} to {}", load.latest * 100.0, load.t.rebalance_minutes, w.spec.name, pass.name(target));
            self.act(pass.now, w.id, Action { workload: w.spec.name.to_string(), cluster: source.clone(), action: "moved", reason }, &mut pass.done).await?;
            pass.moved_off.push(d.cluster_id);
            pass.moves.push(Move { at_ms: now_ms, workload_id: w.id, cluster: source });
            return Ok(());
        }
        Ok(())
    }

    /// Moves of the last day (for the rebalancing cool-downs).
    async fn recent_moves(&self, now: DateTime<Utc>) -> Result<Vec<Move>, SchedulerError> {
        let rows = schedule_event::Entity::find().filter(schedule_event::Column::Action.eq("moved")).filter(schedule_event::Column::At.gte(now - Duration::days(1))).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(|e| Move { at_ms: e.at.timestamp_millis(), workload_id: e.workload_id.unwrap_or(0), cluster: e.cluster }).collect())
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

impl std::fmt::Debug for Scheduler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scheduler").finish_non_exhaustive()
    }
}
