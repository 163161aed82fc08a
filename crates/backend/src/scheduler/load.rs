//! A cluster's load as the scheduler reads it once per pass: its thresholds (its own, else the
//! defaults), its recent CPU utilisation readings from the collector's snapshots, and what they
//! mean for low-priority work.
use super::SchedulerError;
use crate::Database;
use crate::entity::{cluster_threshold, utilisation_snapshot as snap};
use chrono::{DateTime, Duration, Utc};
use flotilla_domain::schedule::{self, Pressure, Thresholds};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub(super) struct Load {
    pub t: Thresholds,
    /// For low-priority work, over the burst time.
    pub burst: Pressure,
    /// The latest reading (1.0 when there is none: unknown is not free).
    pub latest: f64,
    /// `(ms, fraction)`, oldest first, covering the longer of the burst and rebalance times.
    pub samples: Vec<(i64, f64)>,
}

pub(super) struct Loads {
    db: Database,
    now: DateTime<Utc>,
    defaults: Thresholds,
    own: HashMap<i64, Thresholds>,
    seen: HashMap<i64, Load>,
}

pub(super) fn from_row(r: &cluster_threshold::Model) -> Thresholds {
    Thresholds {
        deploy_below: f64::from(r.deploy_below_pct) / 100.0,
        evict_above: f64::from(r.evict_above_pct) / 100.0,
        burst_minutes: r.burst_minutes.max(1) as u32,
        rebalance_minutes: r.rebalance_minutes.max(1) as u32,
    }
}

/// A cluster's CPU utilisation readings (used, else requested, over allocatable) of the
/// `minutes` before `now`.
pub(super) async fn samples(db: &Database, cluster_id: i64, now: DateTime<Utc>, minutes: u32) -> Result<Vec<(i64, f64)>, SchedulerError> {
    let rows = snap::Entity::find()
        .filter(snap::Column::ClusterId.eq(cluster_id))
        .filter(snap::Column::Scope.eq("cluster"))
        .filter(snap::Column::At.gte(now - Duration::minutes(i64::from(minutes) + 2)))
        .filter(snap::Column::At.lte(now))
        .order_by_asc(snap::Column::At)
        .all(db.conn())
        .await?;
    Ok(rows.into_iter().filter(|r| r.cpu_alloc_m > 0).map(|r| (r.at.timestamp_millis(), r.cpu_used_m.unwrap_or(r.cpu_req_m) as f64 / r.cpu_alloc_m as f64)).collect())
}

impl Loads {
    pub async fn new(db: Database, defaults: Thresholds, now: DateTime<Utc>) -> Result<Self, SchedulerError> {
        let own = cluster_threshold::Entity::find().all(db.conn()).await?.iter().map(|r| (r.cluster_id, from_row(r))).collect();
        Ok(Self { db, now, defaults, own, seen: HashMap::new() })
    }

    pub fn thresholds(&self, cluster_id: i64) -> Thresholds {
        self.own.get(&cluster_id).copied().unwrap_or(self.defaults)
    }

    pub async fn get(&mut self, cluster_id: i64) -> Result<Load, SchedulerError> {
        if let Some(l) = self.seen.get(&cluster_id) {
            return Ok(l.clone());
        }
        let t = self.thresholds(cluster_id);
        let samples = samples(&self.db, cluster_id, self.now, t.burst_minutes.max(t.rebalance_minutes)).await?;
        let latest = samples.last().map_or(1.0, |x| x.1);
        let burst = schedule::pressure(&samples, self.now.timestamp_millis(), &t, t.burst_minutes);
        let load = Load { t, burst, latest, samples };
        self.seen.insert(cluster_id, load.clone());
        Ok(load)
    }
}
