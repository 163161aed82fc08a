//! What each dashboard widget shows. Every widget loads through the same server functions as the
//! page it comes from (so it shows only what the person may see there), is rendered with the
//! page on the server (the browser hydrates it), and reloads when its settings change.
use crate::api::costs::{load_budget_status, load_costs};
use crate::api::directory::audit_log;
use crate::api::fleet::{cluster_heatmap, load_fleet_map};
use crate::api::schedules::schedule_timeline;
use crate::error::AppError;
use crate::fleetmap::health_class;
use crate::pages::costs::{budget_list, cost_chart, days_before, js_today, top_table};
use flotilla_domain::dashboard::{Dashboard, DashboardView, WidgetKind, WidgetSettings};
use flotilla_domain::format::money;
use flotilla_domain::inventory::{FleetMap, Metric, percent};
use flotilla_domain::{AuditQuery, CostQuery, GroupBy, Step};
use leptos::prelude::*;

/// Choices a widget's settings offer: the clusters and projects the person may see.
#[derive(Clone, Copy)]
pub struct Choices {
    pub clusters: Signal<Vec<(i64, String)>>,
    pub projects: Signal<Vec<(String, String)>>,
}

/// The widget's body for its kind and (reactive) settings.
pub fn widget_body(kind: WidgetKind, settings: Memo<WidgetSettings>, choices: Choices) -> AnyView {
    match kind {
        WidgetKind::WorldMap | WidgetKind::Topology | WidgetKind::ClusterHealth | WidgetKind::ClusterUtilisation => view! { <FleetWidget kind settings/> }.into_any(),
        WidgetKind::PodHeatmap => view! { <HeatmapWidget settings choices/> }.into_any(),
        WidgetKind::CostOverTime | WidgetKind::TopWorkloads => view! { <CostWidget kind settings/> }.into_any(),
        WidgetKind::BudgetStatus => view! { <BudgetWidget settings/> }.into_any(),
        WidgetKind::LowPriorityQueue => view! { <QueueWidget/> }.into_any(),
        WidgetKind::AuditEvents => view! { <AuditWidget/> }.into_any(),
        WidgetKind::MyWorkloads => view! { <WorkloadsWidget/> }.into_any(),
    }
}

/// A loading line, the error in words, or `render(value)`; rendered on the server with the page.
/// A widget's refusal stays inside the widget (it does not set the page's status).
fn shown<T>(data: Resource<Result<T, AppError>>, loading: &'static str, render: impl Fn(T) -> AnyView + Send + Sync + 'static) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
{
    // Awaited (not read) inside the Transition, so the server renders the content, never the
    // loading line, and the browser hydrates exactly that.
    let render = std::sync::Arc::new(render);
    view! {
        <Transition fallback=move || view! { <p class="loading" role="status">{loading}</p> }>
            {move || {
                let render = render.clone();
                Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <p class="notice notice--error" role="alert">{e.to_string()}</p> }.into_any(),
                        Ok(v) => render(v),
                    }
                })
            }}
        </Transition>
    }
}

/// The fleet map, loaded once for all of a dashboard's fleet widgets: the server reads and
/// serializes it into the page once, not once per widget (issue 21: an administrator's default
/// dashboard has three). Created by the page outside its Suspense (whose children the server
/// may build more than once: a resource created there is loaded and written into the page
/// once per build), and provided to the widgets when the layout loaded has a fleet widget.
#[derive(Clone, Copy)]
pub struct SharedFleet(Resource<Result<Option<FleetMap>, AppError>>);

impl SharedFleet {
    /// Whether a widget of `kind` shows the fleet map (a `FleetWidget`, see `widget_body`).
    pub fn shows(kind: WidgetKind) -> bool {
        matches!(kind, WidgetKind::WorldMap | WidgetKind::Topology | WidgetKind::ClusterHealth | WidgetKind::ClusterUtilisation)
    }

    fn wanted(dashboard: &Dashboard) -> bool {
        dashboard.widgets.iter().any(|w| Self::shows(w.kind))
    }

    /// The fleet map once `layout` has loaded, if it has a fleet widget (else nothing is read).
    pub fn load(layout: Resource<Result<DashboardView, AppError>>) -> Self {
        Self(Resource::new(|| (), move |_| async move { if layout.await.is_ok_and(|v| Self::wanted(&v.dashboard)) { load_fleet_map(None).await } else { Ok(None) } }))
    }

    /// Provides the map to the widgets below when `dashboard` (the layout it was loaded for)
    /// has a fleet widget; a fleet widget added later loads its own.
    pub fn provide_for(self, dashboard: &Dashboard) {
        if Self::wanted(dashboard) {
            provide_context(self);
        }
    }
}

/// The fleet map's data (the dashboard's shared load, or the widget's own when it was added
/// after the page loaded), then kept live: the world map, the topology, a health list or
/// utilisation bars.
#[component]
fn FleetWidget(kind: WidgetKind, settings: Memo<WidgetSettings>) -> impl IntoView {
    let data = use_context::<SharedFleet>().map_or_else(|| Resource::new(|| (), |_| load_fleet_map(None)), |s| s.0);
    shown(data, "Loading the fleet…", move |map| {
        let Some(map) = map.filter(|m| !m.tiles.is_empty()) else { return view! { <p class="muted">"No clusters yet."</p> }.into_any() };
        if kind == WidgetKind::Topology {
            // Compact: filters folded away, no world-map switch, the pod list below the map. The
            // widget grows to show every cluster (the grid's rows are at least, not exactly, `h`).
            return view! { <crate::pages::fleet::FleetMapView initial=map compact=true/> }.into_any();
        }
        let map = RwSignal::new(map);
        crate::pages::fleet::follow(map, 5000);
        match kind {
            WidgetKind::WorldMap => view! { <crate::pages::fleet::WorldMapView map/> }.into_any(),
            WidgetKind::ClusterUtilisation => (move || {
                let s = settings.get();
                map.with(|m| utilisation_bars(m, s.cluster, s.metric()))
            })
            .into_any(),
            _ => (move || map.with(|m| health_list(m, settings.get().cluster))).into_any(),
        }
    })
}

fn health_list(map: &FleetMap, cluster: Option<i64>) -> AnyView {
    view! {
        <ul class="health-list">
            {map.tiles.iter().filter(|t| cluster.is_none_or(|c| c == t.cluster.id)).map(|t| view! {
                <li><span class=format!("badge badge--{}", health_class(t.health.state))>{format!("{:?}", t.health.state)}</span>" "
                    <a href=format!("/clusters/{}", t.cluster.id)>{t.cluster.display_name.clone()}</a>
                    <span class="muted">{format!(" · {}", t.counts())}</span></li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// One bar per cluster (its nodes' average), or per node of one chosen cluster.
fn utilisation_bars(map: &FleetMap, cluster: Option<i64>, metric: Metric) -> AnyView {
    // A cluster whose nodes Flotilla may not list has no utilisation: it says so instead of 0 %.
    let rows: Vec<(String, String, Result<f32, String>)> = match cluster.and_then(|id| map.tiles.iter().find(|t| t.cluster.id == id)) {
        Some(t) => match t.may_not_list("nodes") {
            Some(words) => vec![(t.cluster.display_name.clone(), format!("/clusters/{}", t.cluster.id), Err(words))],
            None => t.nodes.iter().map(|n| (n.name.clone(), format!("/clusters/{}", t.cluster.id), Ok(n.value(metric)))).collect(),
        },
        None => map.tiles.iter().map(|t| (t.cluster.display_name.clone(), format!("/clusters/{}", t.cluster.id), t.may_not_list("nodes").map_or(Ok(t.mean(metric)), Err))).collect(),
    };
    if rows.is_empty() {
        return view! { <p class="muted">"This cluster reports no nodes yet."</p> }.into_any();
    }
    // The busiest first; those that cannot be read last.
    let mut rows = rows;
    rows.sort_by(|a, b| match (&a.2, &b.2) {
        (Ok(x), Ok(y)) => y.total_cmp(x),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.0.cmp(&b.0),
    });
    // Coloured as the scheduler sees it: room below its deploy threshold, hot above its
    // eviction threshold.
    let t = flotilla_domain::schedule::Thresholds::default();
    let caption = format!("{} in use (else requested) of allocatable", metric.label());
    view! {
        <figure class="util-bars" data-testid="utilisation-bars">
            <figcaption class="muted">{caption}</figcaption>
            <ul>
                {rows.into_iter().map(|(name, href, v)| {
                    let row = name.clone();
                    let bar = match v {
                        Ok(v) => {
                            let level = if f64::from(v) >= t.evict_above { "bad" } else if f64::from(v) >= t.deploy_below { "warn" } else { "ok" };
                            view! {
                                <span class="util-bars__track" role="img" aria-label=percent(v)>
                                    <span class=format!("util-bars__fill util-bars__fill--{level}") style=format!("width:{:.1}%", v * 100.0)></span>
                                </span>
                                <span class="util-bars__value mono">{percent(v)}</span>
                            }.into_any()
                        }
                        Err(words) => view! { <span class="util-bars__unknown muted" data-forbidden="nodes" title=words>"may not list nodes"</span> }.into_any(),
                    };
                    view! {
                        <li data-row=row>
                            <a class="util-bars__name" href=href>{name}</a>
                            {bar}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </figure>
    }
    .into_any()
}

/// Utilisation history of one cluster's pods, by namespace (the chosen cluster, else the first).
#[component]
fn HeatmapWidget(settings: Memo<WidgetSettings>, choices: Choices) -> impl IntoView {
    let target = Memo::new(move |_| {
        let s = settings.get();
        let cluster = s.cluster.or_else(|| choices.clusters.with(|c| c.first().map(|c| c.0)));
        (cluster, s.metric(), s.days_for(WidgetKind::PodHeatmap))
    });
    let data = Resource::new(
        move || target.get(),
        |(cluster, metric, days)| async move {
            match cluster {
                Some(id) => cluster_heatmap(id, "namespace".into(), metric, days * 24).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let name = move || {
        let id = target.get().0;
        choices.clusters.with(|c| c.iter().find(|c| Some(c.0) == id).map(|c| c.1.clone())).unwrap_or_default()
    };
    view! {
        <p class="muted widget__subject">{move || format!("{} · last {}", name(), days_label(target.get().2))}</p>
        {shown(data, "Loading history…", move |map| match map {
            Some(map) => crate::pages::cluster::heat_view(map, "namespace".into(), target.get_untracked().1, None),
            None => view! { <p class="muted">"No cluster to show: none is visible to you yet."</p> }.into_any(),
        })}
    }
}

fn days_label(days: u32) -> String {
    if days == 1 { "24 hours".into() } else { format!("{days} days") }
}

/// Cost over time (stacked by cluster) or the top workloads, of one project or all the person
/// may see, over the chosen days.
#[component]
fn CostWidget(kind: WidgetKind, settings: Memo<WidgetSettings>) -> impl IntoView {
    let data = Resource::new(
        move || settings.get(),
        move |s| {
            let days = s.days_for(kind);
            let today = js_today();
            let group_by = if kind == WidgetKind::TopWorkloads { GroupBy::Workload } else { GroupBy::Cluster };
            load_costs(CostQuery { project: s.project, from: days_before(&today, i64::from(days) - 1), to: today, step: Step::Day, group_by })
        },
    );
    let subject = move || {
        let s = settings.get();
        format!("{} · last {}", s.project.as_deref().unwrap_or("all your projects"), days_label(s.days_for(kind)))
    };
    view! {
        <p class="muted widget__subject">{subject}</p>
        {shown(data, "Loading costs…", move |v| {
            let r = v.report;
            let total = view! { <p><strong class="mono" data-testid="widget-cost-total">{money(r.total, &r.currency)}</strong>" in the period"</p> };
            if kind == WidgetKind::TopWorkloads {
                let mut r = r;
                r.top_workloads.truncate(5);
                view! { {total}{top_table(&r)} }.into_any()
            } else if r.series.is_empty() {
                view! { <p class="muted">"No cost was recorded in this period."</p> }.into_any()
            } else {
                view! { {total}{cost_chart(&r)} }.into_any()
            }
        })}
    }
}

/// This month against the budget, per project (or the chosen one).
#[component]
fn BudgetWidget(settings: Memo<WidgetSettings>) -> impl IntoView {
    let data = Resource::new(|| (), |_| load_budget_status());
    shown(data, "Loading budgets…", move |lines| {
        let only = settings.get().project;
        budget_list(lines.into_iter().filter(|l| only.as_ref().is_none_or(|p| *p == l.project)).collect())
    })
}

#[component]
fn QueueWidget() -> impl IntoView {
    let data = Resource::new(|| (), |_| schedule_timeline(1));
    shown(data, "Loading the queue…", |list| {
        let low: Vec<_> = list.into_iter().filter(|v| v.priority == flotilla_domain::schedule::Priority::Low || v.state == "queued").collect();
        if low.is_empty() {
            return view! { <p class="muted">"No low-priority work."</p> }.into_any();
        }
        view! { <ul>{low.into_iter().map(|v| view! { <li><strong>{v.workload}</strong>{format!(" — {}: {}", v.state, v.reason)}</li> }).collect_view()}</ul> }.into_any()
    })
}

/// The workloads the person may read, most troubled first, each with its state.
#[component]
fn WorkloadsWidget() -> impl IntoView {
    use crate::pages::workloads::phase_class;
    use flotilla_domain::Phase;
    let data = Resource::new(|| (), |_| crate::api::workloads::list_workloads(None));
    shown(data, "Loading your workloads…", |mut list| {
        if list.is_empty() {
            return view! { <p class="muted">"No workloads yet. "<a href="/workloads/new">"Register a container"</a>"."</p> }.into_any();
        }
        let rank = |p: Phase| match p {
            Phase::Failed => 0,
            Phase::Pending | Phase::Progressing => 1,
            Phase::Paused | Phase::Removing => 2,
            Phase::Available => 3,
        };
        list.sort_by_key(|w| (rank(w.overall()), w.name.as_str().to_owned()));
        let more = list.len().saturating_sub(8);
        view! {
            <ul class="widget-list" data-testid="my-workloads">{list.into_iter().take(8).map(|w| {
                let phase = w.overall();
                view! { <li><a href=format!("/workloads/{}", w.id)>{w.name.as_str().to_owned()}</a>" "<span class="muted">{w.project.clone()}</span>" "<span class=phase_class(phase)>{phase.label()}</span></li> }
            }).collect_view()}</ul>
            {(more > 0).then(|| view! { <p class="muted"><a href="/workloads">{format!("{more} more on Workloads")}</a></p> })}
        }
        .into_any()
    })
}

#[component]
fn AuditWidget() -> impl IntoView {
    let data = Resource::new(|| (), |_| audit_log(AuditQuery { limit: 8, ..Default::default() }));
    shown(data, "Loading the audit log…", |lines| {
        view! {
            <ul class="audit-list">{lines.into_iter().map(|l| view! { <li><span class="mono">{move || crate::time::when(l.at)}</span>{format!(" {} {} {} ({})", l.actor, l.action, l.target, l.outcome)}</li> }).collect_view()}</ul>
        }
        .into_any()
    })
}

/// The settings form of a widget: only what its kind offers.
pub fn settings_form(kind: WidgetKind, settings: Memo<WidgetSettings>, choices: Choices, set: impl Fn(WidgetSettings) + Copy + Send + Sync + 'static) -> AnyView {
    use flotilla_domain::dashboard::Setting;
    let fields = kind.settings().iter().map(|field| match field {
        Setting::Cluster => view! {
            <label>"Cluster"
                <select name="setting-cluster" prop:value=move || settings.with(|s| s.cluster.map(|c| c.to_string()).unwrap_or_default()) on:change=move |ev| {
                    let v = event_target_value(&ev).parse().ok();
                    set(WidgetSettings { cluster: v, ..settings.get_untracked() });
                }>
                    <option value="">{if kind == WidgetKind::PodHeatmap { "The first cluster" } else { "All clusters" }}</option>
                    <For each=move || choices.clusters.get() key=|c| c.0 let((id, name))>
                        <option value=id.to_string()>{name}</option>
                    </For>
                </select>
            </label>
        }
        .into_any(),
        Setting::Project => view! {
            <label>"Project"
                <select name="setting-project" prop:value=move || settings.with(|s| s.project.clone().unwrap_or_default()) on:change=move |ev| {
                    let v = Some(event_target_value(&ev)).filter(|p| !p.is_empty());
                    set(WidgetSettings { project: v, ..settings.get_untracked() });
                }>
                    <option value="">"All my projects"</option>
                    <For each=move || choices.projects.get() key=|p| p.0.clone() let((name, display))>
                        <option value=name.clone()>{format!("{display} ({name})")}</option>
                    </For>
                </select>
            </label>
        }
        .into_any(),
        Setting::Metric => view! {
            <label>"Metric"
                <select name="setting-metric" prop:value=move || settings.with(|s| s.metric().as_str().to_owned()) on:change=move |ev| {
                    set(WidgetSettings { metric: Some(Metric::parse(&event_target_value(&ev)).as_str().to_owned()), ..settings.get_untracked() });
                }>
                    {Metric::ALL.map(|m| view! { <option value=m.as_str()>{m.label()}</option> }).collect_view()}
                </select>
            </label>
        }
        .into_any(),
        Setting::Days => view! {
            <label>"Time range"
                <select name="setting-days" prop:value=move || settings.with(|s| s.days_for(kind).to_string()) on:change=move |ev| {
                    set(WidgetSettings { days: event_target_value(&ev).parse().ok(), ..settings.get_untracked() });
                }>
                    {kind.day_choices().iter().map(|d| view! { <option value=d.to_string()>{format!("Last {}", days_label(*d))}</option> }).collect_view()}
                </select>
            </label>
        }
        .into_any(),
    });
    view! { <div class="widget__settings" role="group" aria-label=format!("{} settings", kind.label())>{fields.collect_view()}</div> }.into_any()
}
