//! A dashboard: widgets on a 12-column grid that a person arranges (add, remove, move, resize),
//! each with its own settings. Moving or growing a widget pushes the ones it would cover down,
//! then everything floats up as far as it can, so a layout never overlaps and has no holes at
//! the top. Pure; the pages draw it, the backend stores it as JSON.
use crate::inventory::Metric;
use serde::{Deserialize, Serialize};

pub const COLUMNS: u32 = 12;
pub const MAX_ROWS_PER_WIDGET: u32 = 6;
pub const MAX_WIDGETS: usize = 24;

/// What a widget shows; each reads the same server functions as the page it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum WidgetKind {
    Topology,
    WorldMap,
    ClusterHealth,
    ClusterUtilisation,
    PodHeatmap,
    CostOverTime,
    TopWorkloads,
    BudgetStatus,
    LowPriorityQueue,
    AuditEvents,
    /// The person's workloads (those they may read) and the state of each.
    MyWorkloads,
}

impl WidgetKind {
    pub const ALL: [WidgetKind; 11] = [
        WidgetKind::MyWorkloads,
        WidgetKind::Topology,
        WidgetKind::WorldMap,
        WidgetKind::ClusterHealth,
        WidgetKind::ClusterUtilisation,
        WidgetKind::PodHeatmap,
        WidgetKind::CostOverTime,
        WidgetKind::TopWorkloads,
        WidgetKind::BudgetStatus,
        WidgetKind::LowPriorityQueue,
        WidgetKind::AuditEvents,
    ];

    pub fn label(self) -> &'static str {
        match self {
            WidgetKind::Topology => "Fleet topology map",
            WidgetKind::WorldMap => "World map",
            WidgetKind::ClusterHealth => "Cluster health",
            WidgetKind::ClusterUtilisation => "Cluster utilisation",
            WidgetKind::PodHeatmap => "Pod heatmap",
            WidgetKind::CostOverTime => "Cost over time",
            WidgetKind::TopWorkloads => "Top workloads by cost",
            WidgetKind::BudgetStatus => "Budget status",
            WidgetKind::LowPriorityQueue => "Low-priority queue",
            WidgetKind::AuditEvents => "Recent audit events",
            WidgetKind::MyWorkloads => "Your workloads",
        }
    }

    /// Width and height (grid rows) a new widget of this kind gets.
    pub fn default_size(self) -> (u32, u32) {
        match self {
            WidgetKind::Topology | WidgetKind::WorldMap => (12, 3),
            WidgetKind::CostOverTime | WidgetKind::PodHeatmap | WidgetKind::ClusterUtilisation | WidgetKind::MyWorkloads => (6, 2),
            _ => (4, 2),
        }
    }
}

/// A choice a widget offers in its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// One cluster (or all the person sees).
    Cluster,
    /// One project (or all the person sees).
    Project,
    /// CPU, memory or pods.
    Metric,
    /// How many days back.
    Days,
}

impl WidgetKind {
    /// The settings this kind offers; the others stay empty.
    pub fn settings(self) -> &'static [Setting] {
        match self {
            WidgetKind::ClusterHealth => &[Setting::Cluster],
            WidgetKind::ClusterUtilisation => &[Setting::Cluster, Setting::Metric],
            WidgetKind::PodHeatmap => &[Setting::Cluster, Setting::Metric, Setting::Days],
            WidgetKind::CostOverTime | WidgetKind::TopWorkloads => &[Setting::Project, Setting::Days],
            WidgetKind::BudgetStatus => &[Setting::Project],
            WidgetKind::Topology | WidgetKind::WorldMap | WidgetKind::LowPriorityQueue | WidgetKind::AuditEvents | WidgetKind::MyWorkloads => &[],
        }
    }

    /// The time ranges (days) offered, the first being the default.
    pub fn day_choices(self) -> &'static [u32] {
        match self {
            // Utilisation history is kept hourly for a week.
            WidgetKind::PodHeatmap => &[1, 7],
            WidgetKind::CostOverTime | WidgetKind::TopWorkloads => &[7, 30, 90],
            _ => &[],
        }
    }
}

/// A widget's own choices; what a kind does not use stays empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct WidgetSettings {
    #[serde(default)]
    pub cluster: Option<i64>,
    #[serde(default)]
    pub project: Option<String>,
    /// "cpu", "memory" or "pods".
    #[serde(default)]
    pub metric: Option<String>,
    /// The time range in days (cost, heatmap).
    #[serde(default)]
    pub days: Option<u32>,
}

impl WidgetSettings {
    /// The metric chosen, CPU by default.
    pub fn metric(&self) -> Metric {
        self.metric.as_deref().map_or(Metric::Cpu, Metric::parse)
    }

    /// The days chosen for `kind`, else its first choice.
    pub fn days_for(&self, kind: WidgetKind) -> u32 {
        self.days.filter(|d| kind.day_choices().contains(d)).or_else(|| kind.day_choices().first().copied()).unwrap_or(1)
    }

    fn check(&self, kind: WidgetKind) -> Result<(), String> {
        let offers = kind.settings();
        let unused = |set: bool, s: Setting| set && !offers.contains(&s);
        if unused(self.cluster.is_some(), Setting::Cluster)
            || unused(self.project.is_some(), Setting::Project)
            || unused(self.metric.is_some(), Setting::Metric)
            || unused(self.days.is_some(), Setting::Days)
        {
            return Err(format!("The {} widget has a setting it does not offer.", kind.label()));
        }
        if let Some(m) = &self.metric
            && !Metric::ALL.iter().any(|known| known.as_str() == m)
        {
            return Err(format!("The {} widget shows CPU, memory or pods, not \"{m}\".", kind.label()));
        }
        if let Some(d) = self.days
            && !kind.day_choices().contains(&d)
        {
            let choices = kind.day_choices().iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
            return Err(format!("The {} widget covers {choices} days, not {d}.", kind.label()));
        }
        if self.project.as_ref().is_some_and(|p| p.trim().is_empty() || p.len() > 63) {
            return Err(format!("The {} widget names no valid project.", kind.label()));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Widget {
    pub id: u32,
    pub kind: WidgetKind,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
    #[serde(default)]
    pub settings: WidgetSettings,
}

impl Widget {
    fn overlaps(&self, o: &Widget) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct Dashboard {
    pub widgets: Vec<Widget>,
}

impl Dashboard {
    /// What everyone sees until they or an administrator change it: the world map above the
    /// fleet topology (people whose roles say nothing more specific; see [`Self::built_in_for`]).
    pub fn built_in() -> Self {
        let mut d = Dashboard::default();
        d.add(WidgetKind::WorldMap);
        d.add(WidgetKind::Topology);
        d
    }

    /// The built-in default for a person holding these role keys (most privileged first): an
    /// administrator sees the fleet's health and its hottest clusters; a project owner their
    /// projects' cost and budget; a developer their workloads and their state; anyone else
    /// [`Self::built_in`].
    pub fn built_in_for(role_keys: &[String]) -> Self {
        use crate::access::BuiltinRole as R;
        let has = |r: R| role_keys.iter().any(|k| k == r.key());
        let layout: &[(WidgetKind, u32, u32, u32, u32)] = if has(R::Administrator) {
            &[(WidgetKind::ClusterHealth, 0, 0, 5, 2), (WidgetKind::ClusterUtilisation, 5, 0, 7, 2), (WidgetKind::WorldMap, 0, 2, 12, 3)]
        } else if has(R::ProjectOwner) {
            &[(WidgetKind::CostOverTime, 0, 0, 7, 2), (WidgetKind::BudgetStatus, 7, 0, 5, 2), (WidgetKind::MyWorkloads, 0, 2, 7, 2), (WidgetKind::TopWorkloads, 7, 2, 5, 2)]
        } else if has(R::Developer) {
            &[(WidgetKind::MyWorkloads, 0, 0, 7, 2), (WidgetKind::ClusterHealth, 7, 0, 5, 2), (WidgetKind::LowPriorityQueue, 0, 2, 7, 2)]
        } else {
            return Self::built_in();
        };
        let widgets = layout.iter().zip(1..).map(|(&(kind, x, y, w, h), id)| Widget { id, kind, x, y, w, h, settings: WidgetSettings::default() }).collect();
        Dashboard { widgets }
    }

    /// Adds a widget below everything; returns its id (None when the dashboard is full).
    pub fn add(&mut self, kind: WidgetKind) -> Option<u32> {
        if self.widgets.len() >= MAX_WIDGETS {
            return None;
        }
        let id = self.widgets.iter().map(|w| w.id).max().map_or(1, |m| m + 1);
        let (w, h) = kind.default_size();
        let y = self.widgets.iter().map(|w| w.y + w.h).max().unwrap_or(0);
        self.widgets.push(Widget { id, kind, x: 0, y, w, h, settings: WidgetSettings::default() });
        Some(id)
    }

    pub fn remove(&mut self, id: u32) {
        self.widgets.retain(|w| w.id != id);
        self.compact();
    }

    /// Moves a widget by whole cells (kept on the grid); others make room.
    pub fn move_by(&mut self, id: u32, dx: i32, dy: i32) {
        let Some(w) = self.widgets.iter_mut().find(|w| w.id == id) else { return };
        w.x = (w.x as i32 + dx).clamp(0, (COLUMNS - w.w) as i32) as u32;
        w.y = (w.y as i32 + dy).max(0) as u32;
        self.settle(id);
    }

    /// Grows or shrinks a widget (1..=12 columns, 1..=6 rows); others make room.
    pub fn resize_by(&mut self, id: u32, dw: i32, dh: i32) {
        let Some(w) = self.widgets.iter_mut().find(|w| w.id == id) else { return };
        w.w = (w.w as i32 + dw).clamp(1, COLUMNS as i32) as u32;
        w.h = (w.h as i32 + dh).clamp(1, MAX_ROWS_PER_WIDGET as i32) as u32;
        w.x = w.x.min(COLUMNS - w.w);
        self.settle(id);
    }

    pub fn set_settings(&mut self, id: u32, settings: WidgetSettings) {
        if let Some(w) = self.widgets.iter_mut().find(|w| w.id == id) {
            w.settings = settings;
        }
    }

    /// The widget `id` keeps its place; any widget it covers moves down below it (and so on),
    /// then everything floats up.
    fn settle(&mut self, id: u32) {
        let mut order: Vec<usize> = (0..self.widgets.len()).collect();
        // The moved widget first, the rest top to bottom.
        order.sort_by_key(|&i| (self.widgets[i].id != id, self.widgets[i].y, self.widgets[i].x));
        let mut placed: Vec<Widget> = Vec::with_capacity(order.len());
        for i in order {
            let mut w = self.widgets[i].clone();
            while let Some(blocker) = placed.iter().filter(|p| p.overlaps(&w)).map(|p| p.y + p.h).max() {
                w.y = blocker;
            }
            placed.push(w);
        }
        self.widgets = placed;
        self.compact();
    }

    /// Floats every widget up as far as it can go without overlapping (top to bottom).
    pub fn compact(&mut self) {
        self.widgets.sort_by_key(|w| (w.y, w.x));
        for i in 0..self.widgets.len() {
            while self.widgets[i].y > 0 {
                let mut up = self.widgets[i].clone();
                up.y -= 1;
                if self.widgets[..i].iter().any(|o| o.overlaps(&up)) {
                    break;
                }
                self.widgets[i] = up;
            }
        }
        self.widgets.sort_by_key(|w| (w.y, w.x));
    }

    /// Checks a layout that came from outside (a saved or submitted one).
    pub fn check(&self) -> Result<(), String> {
        if self.widgets.len() > MAX_WIDGETS {
            return Err(format!("A dashboard holds at most {MAX_WIDGETS} widgets."));
        }
        for (i, w) in self.widgets.iter().enumerate() {
            if w.w == 0 || w.h == 0 || w.x + w.w > COLUMNS || w.h > MAX_ROWS_PER_WIDGET {
                return Err(format!("The {} widget does not fit the 12-column grid.", w.kind.label()));
            }
            if self.widgets[..i].iter().any(|o| o.id == w.id) {
                return Err("Two widgets have the same id.".into());
            }
            if let Some(o) = self.widgets[..i].iter().find(|o| o.overlaps(w)) {
                return Err(format!("The {} and {} widgets overlap.", o.kind.label(), w.kind.label()));
            }
            w.settings.check(w.kind)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places(d: &Dashboard) -> Vec<(u32, u32, u32, u32, u32)> {
        d.widgets.iter().map(|w| (w.id, w.x, w.y, w.w, w.h)).collect()
    }

    #[test]
    fn each_widget_offers_only_the_settings_it_uses() {
        for kind in WidgetKind::ALL {
            assert_eq!(kind.settings().contains(&Setting::Days), !kind.day_choices().is_empty(), "{kind:?}");
        }
        let s = WidgetSettings { days: Some(30), ..Default::default() };
        assert_eq!(s.days_for(WidgetKind::CostOverTime), 30);
        assert_eq!(s.days_for(WidgetKind::PodHeatmap), 1, "a range the kind does not offer falls back to its first");
        assert_eq!(WidgetSettings::default().metric(), Metric::Cpu);
    }

    #[test]
    fn the_built_in_dashboard_has_the_world_map_above_the_topology() {
        let d = Dashboard::built_in();
        assert_eq!(d.widgets.iter().map(|w| w.kind).collect::<Vec<_>>(), [WidgetKind::WorldMap, WidgetKind::Topology]);
        assert_eq!(places(&d), [(1, 0, 0, 12, 3), (2, 0, 3, 12, 3)]);
        assert!(d.check().is_ok());
    }

    #[test]
    fn each_role_gets_its_own_built_in_dashboard() {
        let kinds = |keys: &[&str]| Dashboard::built_in_for(&keys.iter().map(|k| k.to_string()).collect::<Vec<_>>()).widgets.iter().map(|w| w.kind).collect::<Vec<_>>();
        assert_eq!(kinds(&["administrator", "developer"]), [WidgetKind::ClusterHealth, WidgetKind::ClusterUtilisation, WidgetKind::WorldMap], "the most privileged role decides");
        assert_eq!(kinds(&["owner"]), [WidgetKind::CostOverTime, WidgetKind::BudgetStatus, WidgetKind::MyWorkloads, WidgetKind::TopWorkloads]);
        assert_eq!(kinds(&["developer"]), [WidgetKind::MyWorkloads, WidgetKind::ClusterHealth, WidgetKind::LowPriorityQueue]);
        assert_eq!(kinds(&["viewer"]), [WidgetKind::WorldMap, WidgetKind::Topology]);
        for keys in [&["administrator"][..], &["owner"], &["developer"]] {
            let d = Dashboard::built_in_for(&keys.iter().map(|k| k.to_string()).collect::<Vec<_>>());
            assert!(d.check().is_ok(), "{keys:?}: {:?}", d.check());
        }
    }

    #[test]
    fn adding_moving_resizing_and_removing_never_overlaps() {
        let mut d = Dashboard::built_in();
        let queue = d.add(WidgetKind::LowPriorityQueue).unwrap();
        let health = d.add(WidgetKind::ClusterHealth).unwrap();
        assert_eq!(places(&d)[2..], [(3, 0, 6, 4, 2), (4, 0, 8, 4, 2)]);
        // Health moves right next to the queue, then floats up beside it.
        d.move_by(health, 4, 0);
        assert_eq!(d.widgets.iter().find(|w| w.id == health).map(|w| (w.x, w.y)), Some((4, 6)));
        // The queue moves to the top: the maps make room below it.
        d.move_by(queue, 0, -6);
        assert_eq!(d.widgets[0].id, queue);
        assert_eq!((d.widgets[0].x, d.widgets[0].y), (0, 0));
        assert!(d.check().is_ok(), "{:?}", places(&d));
        // Growing the queue to the full width pushes what it would cover down.
        d.resize_by(queue, 8, 0);
        assert!(d.check().is_ok(), "{:?}", places(&d));
        assert_eq!(d.widgets.iter().find(|w| w.id == queue).map(|w| w.w), Some(12));
        d.remove(queue);
        assert_eq!(d.widgets[0].y, 0, "what was below floats up");
        assert!(d.check().is_ok());
        // Out of bounds is clamped, sizes too.
        d.move_by(health, 50, -50);
        d.resize_by(health, 50, 50);
        let h = d.widgets.iter().find(|w| w.id == health).unwrap();
        assert_eq!((h.x + h.w, h.h), (12, MAX_ROWS_PER_WIDGET));
        assert!(d.check().is_ok());
    }

    #[test]
    fn layouts_from_outside_are_checked_and_round_trip() {
        let mut d = Dashboard::built_in();
        let heat = d.add(WidgetKind::PodHeatmap).unwrap();
        d.set_settings(heat, WidgetSettings { cluster: Some(3), metric: Some("memory".into()), days: Some(7), project: None });
        assert!(d.check().is_ok());
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<Dashboard>(&json).unwrap(), d);
        d.widgets[1].y = 1;
        assert!(d.check().unwrap_err().contains("overlap"));
        d.widgets[1].y = 3;
        d.widgets[1].x = 5;
        assert!(d.check().unwrap_err().contains("12-column grid"));
        let full = Dashboard { widgets: (0..30).map(|i| Widget { id: i, kind: WidgetKind::ClusterHealth, x: 0, y: i * 2, w: 4, h: 2, settings: Default::default() }).collect() };
        assert!(full.check().unwrap_err().contains("at most 24"));
        let mut d = Dashboard::built_in();
        d.set_settings(1, WidgetSettings { cluster: Some(3), ..Default::default() });
        assert!(d.check().unwrap_err().contains("does not offer"), "the world map takes no cluster");
        let cost = d.add(WidgetKind::CostOverTime).unwrap();
        d.set_settings(cost, WidgetSettings { days: Some(5), ..Default::default() });
        d.set_settings(1, WidgetSettings::default());
        assert_eq!(d.check().unwrap_err(), "The Cost over time widget covers 7, 30, 90 days, not 5.");
        d.set_settings(cost, WidgetSettings { project: Some("team-b".into()), days: Some(30), ..Default::default() });
        assert!(d.check().is_ok());
        let heat = d.add(WidgetKind::PodHeatmap).unwrap();
        d.set_settings(heat, WidgetSettings { metric: Some("disk".into()), ..Default::default() });
        assert!(d.check().unwrap_err().contains("not \"disk\""));
        let mut many = Dashboard::default();
        for _ in 0..MAX_WIDGETS {
            assert!(many.add(WidgetKind::BudgetStatus).is_some());
        }
        assert_eq!(many.add(WidgetKind::BudgetStatus), None);
    }
}

/// What the dashboard page loads: the layout, where it comes from ("your own", "the default for
/// Developer", "the built-in default"), and for administrators the roles they may publish it for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct DashboardView {
    pub dashboard: Dashboard,
    pub source: String,
    /// (role key, role name); empty for people who may not publish.
    pub publish_roles: Vec<(String, String)>,
}
