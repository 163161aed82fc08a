//! What the Schedules page and the REST API read: every schedule with its planned windows and
//! clusters, the history of automatic actions, and each cluster's thresholds (which
//! administrators set).
use super::load::{self, from_row};
use super::{Scheduler, SchedulerError};
use crate::entity::{cluster_threshold, schedule_event, workload_schedule};
use crate::workloads::Desired;
use chrono::{DateTime, Duration, Utc};
use flotilla_domain::schedule::{self, ClusterThresholds, Priority, Schedule, ScheduleEvent, ScheduleView, Thresholds, WhenClosed};
use flotilla_domain::workload::PlacementRule;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use std::collections::HashMap;

impl Scheduler {
    /// Every schedule with its planned windows from `now` for `days` days (the timeline and the
    /// queue read this), optionally only of these workloads.
    pub async fn views(&self, now: DateTime<Utc>, days: i64, only: Option<&[i64]>) -> Result<Vec<ScheduleView>, SchedulerError> {
        let names: HashMap<i64, String> = self.capacities.collector().states().iter().map(|s| (s.summary.id, s.summary.name.clone())).collect();
        let name = |id: &i64| names.get(id).cloned().unwrap_or_else(|| format!("cluster {id}"));
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
            let mut clusters: Vec<String> = w.deployments.iter().filter(|d| d.desired == Desired::Present).map(|d| name(&d.cluster_id)).collect();
            if clusters.is_empty()
                && let PlacementRule::Clusters(ids) = &w.spec.placement
            {
                clusters = ids.iter().map(name).collect();
            }
            out.push(ScheduleView {
                workload_id: w.id,
                workload: w.spec.name.to_string(),
                project_id: w.project_id,
                sentence: schedule::describe(&schedule, now),
                schedule,
                when_closed: WhenClosed::parse(&row.when_closed),
                priority: Priority::parse(&row.priority).unwrap_or_default(),
                movable: row.movable,
                state: row.state,
                reason: row.reason,
                windows_ms,
                clusters,
            });
        }
        out.sort_by(|a, b| a.workload.cmp(&b.workload));
        Ok(out)
    }

    /// The newest automatic actions, newest first, at most `limit`, older than `before` (an
    /// event id: the last of the previous page) when given, optionally only of these
    /// workloads. Filtered and bounded by the database, so a long history costs one page.
    pub async fn history(&self, limit: usize, before: Option<i64>, only: Option<&[i64]>) -> Result<Vec<ScheduleEvent>, SchedulerError> {
        let mut find = schedule_event::Entity::find();
        if let Some(ids) = only {
            find = find.filter(schedule_event::Column::WorkloadId.is_in(ids.iter().copied()));
        }
        if let Some(before) = before {
            find = find.filter(schedule_event::Column::Id.lt(before));
        }
        let rows = find.order_by_desc(schedule_event::Column::Id).limit(limit as u64).all(self.db.conn()).await?;
        Ok(rows.into_iter().map(|e| ScheduleEvent { id: e.id, at_ms: e.at.timestamp_millis(), workload: e.workload, cluster: e.cluster, action: e.action, reason: e.reason }).collect())
    }

    /// Every listed cluster's thresholds and latest CPU reading.
    pub async fn cluster_thresholds(&self, now: DateTime<Utc>) -> Result<Vec<ClusterThresholds>, SchedulerError> {
        let own: HashMap<i64, Thresholds> = cluster_threshold::Entity::find().all(self.db.conn()).await?.iter().map(|r| (r.cluster_id, from_row(r))).collect();
        let mut out = Vec::new();
        for s in self.capacities.collector().states() {
            let cpu_now = load::samples(&self.db, s.summary.id, now, 10).await?.last().map(|x| x.1);
            out.push(ClusterThresholds {
                cluster_id: s.summary.id,
                cluster: s.summary.name.clone(),
                thresholds: own.get(&s.summary.id).copied().unwrap_or(self.thresholds),
                custom: own.contains_key(&s.summary.id),
                cpu_now,
            });
        }
        out.sort_by(|a, b| a.cluster.cmp(&b.cluster));
        Ok(out)
    }

    /// Sets a cluster's own thresholds, or (`None`) goes back to the defaults.
    pub async fn set_cluster_thresholds(&self, cluster_id: i64, t: Option<Thresholds>) -> Result<(), SchedulerError> {
        let Some(t) = t else {
            cluster_threshold::Entity::delete_many().filter(cluster_threshold::Column::ClusterId.eq(cluster_id)).exec(self.db.conn()).await?;
            return Ok(());
        };
        t.check().map_err(SchedulerError::Invalid)?;
        let pct = |f: f64| (f * 100.0).round() as i32;
        let row = cluster_threshold::ActiveModel {
            cluster_id: Set(cluster_id),
            deploy_below_pct: Set(pct(t.deploy_below)),
            evict_above_pct: Set(pct(t.evict_above)),
            burst_minutes: Set(t.burst_minutes as i32),
            rebalance_minutes: Set(t.rebalance_minutes as i32),
            updated_at: Set(Utc::now()),
            ..Default::default()
        };
        use cluster_threshold::Column as C;
        cluster_threshold::Entity::insert(row)
            .on_conflict(OnConflict::column(C::ClusterId).update_columns([C::DeployBelowPct, C::EvictAbovePct, C::BurstMinutes, C::RebalanceMinutes, C::UpdatedAt]).to_owned())
            .exec_without_returning(self.db.conn())
            .await?;
        Ok(())
    }
}
