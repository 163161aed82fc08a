//! Server functions for scheduling: a workload's schedule and priority, the timeline of planned
//! windows, the low-priority queue and the history of automatic actions — each only for the
//! workloads the caller may read (or change).
use crate::error::AppError;
use flotilla_domain::schedule::{ClusterThresholds, Priority, Schedule, ScheduleEvent, ScheduleView, Thresholds, WhenClosed};
use leptos::prelude::*;

/// What of the schedules the caller may see: the workloads they may read.
#[cfg(feature = "ssr")]
pub(crate) mod visible {
    use crate::error::AppError;
    use crate::guard::Request;

    /// Ids of the workloads the caller may read (`None` = all: administrators).
    pub async fn readable(r: &Request) -> Result<Option<Vec<i64>>, AppError> {
        Ok(r.state.workload_service.readable_ids(&r.access).await?)
    }
}

/// A workload's schedule (`None`: it runs all the time at normal priority).
#[server]
pub async fn load_schedule(workload_id: i64) -> Result<Option<ScheduleView>, AppError> {
    use flotilla_domain::Verb;
    let r = crate::guard::request()?;
    r.state.workload_service.authorized(&r.access, workload_id, Verb::Read, "schedule.read").await?;
    let views = r.state.scheduler.views(chrono::Utc::now(), 7, Some(&[workload_id])).await?;
    Ok(views.into_iter().next())
}

/// Sets a workload's schedule and priority (who may change the workload). The scheduler acts
/// within seconds: deploys when a window opens, withdraws when it closes.
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_schedule(workload_id: i64, schedule: Schedule, when_closed: WhenClosed, priority: Priority, movable: bool) -> Result<ScheduleView, AppError> {
    use flotilla_domain::schedule::ScheduleSpec;
    let r = crate::guard::request()?;
    let spec = ScheduleSpec { schedule, when_closed, priority, movable };
    r.state.workload_service.set_schedule(&r.access, workload_id, &spec).await?;
    let now = chrono::Utc::now();
    let views = r.state.scheduler.views(now, 7, Some(&[workload_id])).await?;
    views.into_iter().next().ok_or_else(|| AppError::NotFound("This workload".into()))
}

/// Every schedule the caller may see with its windows over the next `days` days (at most 14):
/// the timeline, and the queue (state "queued", with the reason).
#[server]
pub async fn schedule_timeline(days: u32) -> Result<Vec<ScheduleView>, AppError> {
    let r = crate::guard::request()?;
    let only = visible::readable(&r).await?;
    r.state.scheduler.views(chrono::Utc::now(), i64::from(days.clamp(1, 14)), only.as_deref()).await.map_err(AppError::from)
}

/// The newest automatic actions (deploys, withdrawals, evictions) with their reasons, a page
/// of at most `limit` (1..=500) older than event `before` when given.
#[server]
pub async fn schedule_history(limit: u32, #[server(default)] before: Option<i64>) -> Result<Vec<ScheduleEvent>, AppError> {
    let r = crate::guard::request()?;
    let only = visible::readable(&r).await?;
    r.state.scheduler.history(limit.clamp(1, 500) as usize, before, only.as_deref()).await.map_err(AppError::from)
}

/// Every cluster's thresholds for low-priority work and rebalancing, with its latest CPU
/// reading (administrators).
#[server]
pub async fn load_cluster_thresholds() -> Result<Vec<ClusterThresholds>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::Cluster, "schedule.thresholds.read", "cluster thresholds").await?;
    r.state.scheduler.cluster_thresholds(chrono::Utc::now()).await.map_err(AppError::from)
}

/// Sets (or with `None` resets to the defaults) a cluster's thresholds (administrators).
#[server(input = leptos::server_fn::codec::Json)]
pub async fn save_cluster_thresholds(cluster_id: i64, thresholds: Option<Thresholds>) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::Cluster, "schedule.thresholds.save", "cluster thresholds").await?;
    let cluster = r.state.clusters.get(cluster_id).await.map_err(|_| AppError::NotFound("This cluster".into()))?;
    r.state.scheduler.set_cluster_thresholds(cluster_id, thresholds).await?;
    r.record("schedule.thresholds.save", &cluster.name, &thresholds.map_or("back to the defaults".to_owned(), |t| t.describe())).await;
    Ok(())
}

/// The demo only: loads a simulated cluster to about 97 % CPU for ten minutes (its usage times
/// the factor that takes it there), to watch low-priority work leave it and movable work move
/// (administrators).
#[server]
pub async fn simulate_burst(cluster_id: i64) -> Result<String, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::Cluster, "demo.burst", "the simulated fleet").await?;
    let Some(burst) = r.state.demo_burst.clone() else {
        return Err(AppError::Validation("Bursts can only be simulated in the demo, on its simulated clusters.".into()));
    };
    let cluster = r.state.clusters.get(cluster_id).await.map_err(|_| AppError::NotFound("This cluster".into()))?;
    let Some(factor) = (burst.0)(&cluster.name) else {
        return Err(AppError::Validation(format!("{} is not a simulated cluster.", cluster.name)));
    };
    r.record("demo.burst", &cluster.name, &format!("usage × {factor:.1} for 10 minutes")).await;
    Ok(format!("{} is bursting for the next 10 minutes; the scheduler reacts once it stays hot for its burst time.", cluster.name))
}
