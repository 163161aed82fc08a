//! When a workload should run: always, one window, or recurring windows on chosen weekdays in
//! a time zone (DST and month ends handled by the zone database); the sentence the schedule
//! editor previews; and the utilisation rules of low-priority work (deploy below one
//! threshold, evict after a burst above another, nothing in between: hysteresis). Pure.
use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// When a workload runs.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Schedule {
    #[default]
    Always,
    /// One window, in UTC milliseconds.
    Once { start_ms: i64, end_ms: i64 },
    /// Every chosen weekday (bit 0 = Monday … bit 6 = Sunday) from `start` to `end` (`HH:MM`,
    /// local time in `tz`); an `end` at or before `start` ends the next day.
    Recurring { days: u8, start: String, end: String, tz: String },
}

/// What happens when a window closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WhenClosed {
    /// Removed from its clusters.
    #[default]
    Remove,
    /// Kept, scaled to zero replicas.
    ScaleToZero,
}

impl WhenClosed {
    pub fn as_str(self) -> &'static str {
        match self {
            WhenClosed::Remove => "remove",
            WhenClosed::ScaleToZero => "scale_to_zero",
        }
    }

    /// The stored text back; anything unknown is the default (remove).
    pub fn parse(s: &str) -> Self {
        if s == WhenClosed::ScaleToZero.as_str() { WhenClosed::ScaleToZero } else { WhenClosed::Remove }
    }
}

/// A workload's schedule as its owner sets it: when it runs, what happens when a window closes,
/// its priority, and whether Flotilla may move it off a cluster that stays hot.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ScheduleSpec {
    #[serde(default)]
    pub schedule: Schedule,
    #[serde(default)]
    pub when_closed: WhenClosed,
    #[serde(default)]
    pub priority: Priority,
    #[serde(default)]
    pub movable: bool,
}

impl ScheduleSpec {
    /// Whether a new workload with this schedule is deployed at once (it runs all the time at
    /// normal or high priority); otherwise the scheduler deploys it when its window opens or,
    /// for low priority, when a cluster has room.
    pub fn deploys_at_once(&self) -> bool {
        self.schedule == Schedule::Always && self.priority != Priority::Low
    }
}

/// One window: `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Window {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl Window {
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start <= t && t < self.end
    }
}

pub const WEEKDAYS: u8 = 0b001_1111;
pub const EVERY_DAY: u8 = 0b111_1111;
const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn day_bit(d: Weekday) -> u8 {
    1 << d.num_days_from_monday()
}

pub fn parse_hhmm(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| format!("“{s}” is not a time of day like 01:00 or 23:30"))
}

pub fn parse_tz(s: &str) -> Result<Tz, String> {
    s.trim().parse::<Tz>().map_err(|_| format!("“{s}” is not a time zone name like Asia/Tokyo, Europe/Berlin or UTC"))
}

/// Checks a schedule; the error says what to fix.
pub fn check(s: &Schedule) -> Result<(), String> {
    match s {
        Schedule::Always => Ok(()),
        Schedule::Once { start_ms, end_ms } if end_ms <= start_ms => Err("the window must end after it starts".into()),
        Schedule::Once { .. } => Ok(()),
        Schedule::Recurring { days, start, end, tz } => {
            if days & EVERY_DAY == 0 {
                return Err("choose at least one day of the week".into());
            }
            let (a, b) = (parse_hhmm(start)?, parse_hhmm(end)?);
            parse_tz(tz)?;
            if a == b {
                return Err("start and end are the same time: choose a window of at least a minute".into());
            }
            Ok(())
        }
    }
}

/// The instant of a local date and time in `tz`. A time skipped by a DST change (e.g. 02:30
/// on the spring-forward night) becomes the first instant after the gap; a time that occurs
/// twice (fall back) is its first occurrence.
fn instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let local = date.and_time(time);
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
        LocalResult::None => {
            // Walk forward minute by minute to the end of the gap (gaps are at most a few hours).
            let mut probe = local;
            for _ in 0..(24 * 60) {
                probe += Duration::minutes(1);
                if let LocalResult::Single(t) | LocalResult::Ambiguous(t, _) = tz.from_local_datetime(&probe) {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&local)
        }
    }
}

/// The windows overlapping `[from, to)`, in order (at most a few thousand). `Always` is one
/// window covering the whole range.
pub fn windows(s: &Schedule, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Window> {
    match s {
        Schedule::Always => vec![Window { start: from, end: to }],
        Schedule::Once { start_ms, end_ms } => {
            let (Some(start), Some(end)) = (DateTime::from_timestamp_millis(*start_ms), DateTime::from_timestamp_millis(*end_ms)) else { return vec![] };
            let w = Window { start, end };
            if w.end > from && w.start < to { vec![w] } else { vec![] }
        }
        Schedule::Recurring { days, start, end, tz } => {
            let (Ok(a), Ok(b), Ok(tz)) = (parse_hhmm(start), parse_hhmm(end), parse_tz(tz)) else { return vec![] };
            // Local days from the day before `from` (an overnight window may reach into it).
            let mut day = from.with_timezone(&tz).date_naive() - Duration::days(1);
            let last = to.with_timezone(&tz).date_naive();
            let mut out = Vec::new();
            while day <= last && out.len() < 5000 {
                if days & day_bit(day.weekday()) != 0 {
                    let open = instant(tz, day, a);
                    let close = if b > a { instant(tz, day, b) } else { instant(tz, day + Duration::days(1), b) };
                    let w = Window { start: open, end: close };
                    if w.end > from && w.start < to && w.end > w.start {
                        out.push(w);
                    }
                }
                day += Duration::days(1);
            }
            out
        }
    }
}

/// The window open at `t`, if any.
pub fn open_at(s: &Schedule, t: DateTime<Utc>) -> Option<Window> {
    windows(s, t - Duration::days(2), t + Duration::seconds(1)).into_iter().find(|w| w.contains(t))
}

/// The next window that opens after `t`, within 8 days.
pub fn next_opening(s: &Schedule, t: DateTime<Utc>) -> Option<Window> {
    windows(s, t, t + Duration::days(8)).into_iter().find(|w| w.start > t)
}

/// "next window opens 2026-12-08 01:00 JST": in the schedule's own zone, so it reads in one
/// zone with [`describe`] (a one-off window is given in UTC).
pub fn next_opening_words(s: &Schedule, t: DateTime<Utc>) -> String {
    let zone = match s {
        Schedule::Recurring { tz, .. } => parse_tz(tz).unwrap_or(chrono_tz::Tz::UTC),
        _ => chrono_tz::Tz::UTC,
    };
    next_opening(s, t).map_or_else(|| "no window ahead".to_owned(), |w| format!("next window opens {}", crate::format::when(w.start, zone)))
}

fn days_words(days: u8) -> String {
    match days & EVERY_DAY {
        EVERY_DAY => "every day".into(),
        WEEKDAYS => "every weekday".into(),
        0b110_0000 => "every weekend".into(),
        d => format!("every {}", (0..7).filter(|i| d & (1 << i) != 0).map(|i| DAY_NAMES[i]).collect::<Vec<_>>().join(", ")),
    }
}

/// The schedule in one sentence: "runs every weekday 01:00–05:00 JST (Asia/Tokyo)"; the zone's
/// abbreviation is the one in force at `at` (JST, CET or CEST…).
pub fn describe(s: &Schedule, at: DateTime<Utc>) -> String {
    match s {
        Schedule::Always => "runs all the time".into(),
        Schedule::Once { start_ms, end_ms } => match (DateTime::from_timestamp_millis(*start_ms), DateTime::from_timestamp_millis(*end_ms)) {
            (Some(a), Some(b)) => format!("runs once, {} – {} UTC", a.format("%Y-%m-%d %H:%M"), b.format("%Y-%m-%d %H:%M")),
            _ => "runs once (the window is not a valid time)".into(),
        },
        Schedule::Recurring { days, start, end, tz } => {
            let zone = parse_tz(tz).ok();
            let abbr = zone.map(|z| at.with_timezone(&z).format("%Z").to_string()).unwrap_or_default();
            let next_day = matches!((parse_hhmm(start), parse_hhmm(end)), (Ok(a), Ok(b)) if b <= a);
            format!("runs {} {}–{}{} {abbr} ({})", days_words(*days), start.trim(), end.trim(), if next_day { " the next day" } else { "" }, tz.trim())
        }
    }
}

/// How urgent a workload is; backed by a PriorityClass Flotilla creates on every cluster, so
/// the cluster's own preemption agrees with Flotilla.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    High,
    #[default]
    Normal,
    /// Opportunistic: deployed only when there is room, removed first when a cluster bursts.
    Low,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Normal, Priority::Low];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::High => "high",
            Priority::Normal => "normal",
            Priority::Low => "low",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s.trim())
    }

    /// Higher is more urgent (low 0, normal 1, high 2).
    pub fn rank(self) -> u8 {
        match self {
            Priority::High => 2,
            Priority::Normal => 1,
            Priority::Low => 0,
        }
    }

    /// Whether a project whose highest allowed priority is `ceiling` may use this priority;
    /// the refusal in words otherwise.
    pub fn allowed_under(self, ceiling: Priority) -> Result<(), String> {
        if self.rank() <= ceiling.rank() {
            Ok(())
        } else {
            Err(format!("Priority {} is above what this project may use (at most {}); an administrator can raise it in Admin → Projects.", self.as_str(), ceiling.as_str()))
        }
    }

    /// Whether pods of this priority may preempt others: only high does. Normal work never
    /// evicts anyone (a cluster's own pods without a PriorityClass run at priority 0, which
    /// normal's 1000 would otherwise preempt), low work waits for room.
    pub fn preempts(self) -> bool {
        self == Priority::High
    }

    /// The PriorityClass name and value on every cluster.
    pub fn class(self) -> (&'static str, i32) {
        match self {
            Priority::High => ("flotilla-high", 100_000),
            Priority::Normal => ("flotilla-normal", 1_000),
            Priority::Low => ("flotilla-low", -100),
        }
    }
}

/// Utilisation thresholds of a cluster for low-priority work and rebalancing.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Thresholds {
    /// Low-priority work is deployed only while utilisation is below this (0..1).
    pub deploy_below: f64,
    /// … and removed when it stays above this …
    pub evict_above: f64,
    /// … for this many minutes (a burst).
    pub burst_minutes: u32,
    /// Movable work is moved away when utilisation stays above `evict_above` this long.
    pub rebalance_minutes: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self { deploy_below: 0.60, evict_above: 0.85, burst_minutes: 5, rebalance_minutes: 10 }
    }
}

impl Thresholds {
    /// Checks thresholds an administrator typed; the error says what to fix.
    pub fn check(&self) -> Result<(), String> {
        let pct = |f: f64| (0.05..=1.0).contains(&f);
        if !pct(self.deploy_below) || !pct(self.evict_above) {
            return Err("Thresholds are percentages between 5 and 100.".into());
        }
        if self.deploy_below + 0.05 > self.evict_above {
            return Err("The deploy threshold must be at least 5 points below the evict threshold, or work would come and go (hysteresis).".into());
        }
        if !(1..=1440).contains(&self.burst_minutes) || !(1..=1440).contains(&self.rebalance_minutes) {
            return Err("Minutes are between 1 and 1440 (a day).".into());
        }
        Ok(())
    }

    /// "below 60 %, evict above 85 % after 5 min, move after 10 min".
    pub fn describe(&self) -> String {
        format!(
            "low-priority work below {:.0} %, evicted above {:.0} % after {} min; movable work moved after {} min",
            self.deploy_below * 100.0,
            self.evict_above * 100.0,
            self.burst_minutes,
            self.rebalance_minutes
        )
    }
}

/// What to do with a cluster's low-priority work now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub enum Pressure {
    /// Below `deploy_below`: queued low-priority work may come.
    Room,
    /// Between the thresholds, or above only briefly: leave everything as it is.
    Hold,
    /// Above `evict_above` for the whole burst time: remove low-priority work.
    Burst,
}

/// Reads a cluster's recent utilisation `(ms, fraction)` samples (oldest first) at `now_ms`.
/// Without samples there is no room (unknown is not free).
pub fn pressure(samples: &[(i64, f64)], now_ms: i64, t: &Thresholds, minutes: u32) -> Pressure {
    let Some(&(_, latest)) = samples.last() else { return Pressure::Hold };
    let since = now_ms - i64::from(minutes) * 60_000;
    let window: Vec<&(i64, f64)> = samples.iter().filter(|(at, _)| *at >= since).collect();
    let covered = samples.first().is_some_and(|(first, _)| *first <= since);
    if covered && !window.is_empty() && window.iter().all(|(_, u)| *u > t.evict_above) {
        return Pressure::Burst;
    }
    if latest < t.deploy_below { Pressure::Room } else { Pressure::Hold }
}

/// Whether movable work should leave a cluster now: its utilisation has stayed above
/// `evict_above` for `rebalance_minutes`, nothing was moved off it within those minutes (so the
/// move can show in the readings before the next), and this workload itself was not moved within
/// three times that (so nothing flaps between two busy clusters). A target must be below
/// `deploy_below` ([`rebalance_target_ok`]): the gap between the thresholds is the hysteresis.
pub fn rebalance_due(samples: &[(i64, f64)], now_ms: i64, t: &Thresholds, last_move_off_cluster_ms: Option<i64>, last_move_of_workload_ms: Option<i64>) -> bool {
    let minutes_ms = i64::from(t.rebalance_minutes) * 60_000;
    let recent = |at: Option<i64>, span: i64| at.is_some_and(|at| now_ms - at < span);
    !recent(last_move_off_cluster_ms, minutes_ms) && !recent(last_move_of_workload_ms, 3 * minutes_ms) && pressure(samples, now_ms, t, t.rebalance_minutes) == Pressure::Burst
}

/// Whether a cluster at `utilisation` may receive moved work under its thresholds.
pub fn rebalance_target_ok(utilisation: f64, t: &Thresholds) -> bool {
    utilisation < t.deploy_below
}

/// A cluster's thresholds as the Schedules page shows and edits them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ClusterThresholds {
    pub cluster_id: i64,
    pub cluster: String,
    pub thresholds: Thresholds,
    /// Set for this cluster (else the defaults).
    pub custom: bool,
    /// The latest CPU utilisation reading (0..1), if any.
    pub cpu_now: Option<f64>,
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;

/// A workload's schedule as pages and the REST API show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ScheduleView {
    pub workload_id: i64,
    pub workload: String,
    pub project_id: i64,
    pub schedule: Schedule,
    pub when_closed: WhenClosed,
    pub priority: Priority,
    pub movable: bool,
    /// "waiting", "running" or "queued".
    pub state: String,
    /// Why, in words ("queued: waiting for a cluster below 60 % CPU that fits (…)").
    pub reason: String,
    /// "runs every weekday 01:00–05:00 JST (Asia/Tokyo)".
    pub sentence: String,
    /// Planned windows ahead (UTC ms), for the timeline.
    pub windows_ms: Vec<(i64, i64)>,
    /// Where it runs now, else where its placement rule pins it; empty: decided when its
    /// window opens.
    pub clusters: Vec<String>,
}

/// One automatic action of the scheduler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct ScheduleEvent {
    /// Its place in the history (newer events have larger ids): the cursor for the next page.
    #[serde(default)]
    pub id: i64,
    pub at_ms: i64,
    pub workload: String,
    pub cluster: String,
    pub action: String,
    pub reason: String,
}

/// [`describe`] at a time given in UTC milliseconds (the browser's clock).
pub fn describe_at_ms(s: &Schedule, at_ms: i64) -> String {
    describe(s, DateTime::from_timestamp_millis(at_ms).unwrap_or_default())
}

/// "Tue 24" for the UTC day that holds `ms` (the timeline's day labels).
pub fn utc_day_label(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| t.format("%a %d").to_string())
}
