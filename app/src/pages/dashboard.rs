//! The Dashboard page: widgets a person arranges on a 12-column grid (add, move, resize,
//! remove), saved for them at once; "Reset to default" goes back to their role's default; an
//! administrator publishes their layout as a role's default. Each widget reads the server
//! functions of the page it comes from, so it shows only what the person may see there.
use crate::api::dashboards::{PublishDashboard, ResetDashboard, SaveDashboard, load_dashboard};
use crate::api::directory::audit_log;
use crate::api::fleet::load_fleet_map;
use crate::api::schedules::schedule_timeline;
use crate::components::error_view::action_error;
use crate::components::page_header::PageHeader;
use crate::fleetmap::health_class;
use flotilla_domain::AuditQuery;
use flotilla_domain::dashboard::{Dashboard, Widget, WidgetKind};
use leptos::prelude::*;

/// The kinds this page can draw so far (the others arrive with their widgets).
pub const AVAILABLE: [WidgetKind; 5] = [WidgetKind::WorldMap, WidgetKind::Topology, WidgetKind::ClusterHealth, WidgetKind::LowPriorityQueue, WidgetKind::AuditEvents];

#[component]
pub fn DashboardPage() -> impl IntoView {
    let loaded = LocalResource::new(load_dashboard);
    let layout = RwSignal::new(None::<Dashboard>);
    let source = RwSignal::new(String::new());
    let save = ServerAction::<SaveDashboard>::new();
    let reset = ServerAction::<ResetDashboard>::new();
    let publish = ServerAction::<PublishDashboard>::new();
    Effect::new(move |_| {
        if let Some(Ok(v)) = loaded.get() {
            layout.set(Some(v.dashboard));
            source.set(v.source);
        }
    });
    // After a reset, load what the person now sees (their role's default or the built-in one).
    Effect::new(move |_| {
        if let Some(Ok(())) = reset.value().get() {
            loaded.refetch();
        }
    });
    // Every change is saved at once.
    let change = move |f: &dyn Fn(&mut Dashboard)| {
        let Some(mut d) = layout.get_untracked() else { return };
        f(&mut d);
        layout.set(Some(d.clone()));
        source.set("your own layout".into());
        save.dispatch(SaveDashboard { dashboard: d });
    };
    let kind = RwSignal::new(WidgetKind::ClusterHealth);
    let role = RwSignal::new(String::new());
    let roles = move || loaded.get().and_then(Result::ok).map(|v| v.publish_roles).unwrap_or_default();
    view! {
        <PageHeader title="Dashboard" subtitle="Your own arrangement of what matters to you; saved as you change it."/>
        {move || match loaded.get() {
            None => Some(view! { <p class="loading" role="status">"Loading your dashboard…"</p> }.into_any()),
            Some(Err(e)) => Some(view! { <p class="notice notice--error" role="alert">{e.to_string()}</p> }.into_any()),
            Some(Ok(_)) => None,
        }}
        <div class="dash-tools" hidden=move || layout.with(Option::is_none)>
            <label>"Widget"
                <select name="widget-kind" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if let Some(k) = AVAILABLE.into_iter().find(|k| format!("{k:?}") == v) { kind.set(k); }
                } prop:value=move || format!("{:?}", kind.get())>
                    {AVAILABLE.map(|k| view! { <option value=format!("{k:?}")>{k.label()}</option> }).collect_view()}
                </select>
            </label>
            <button type="button" class="button" on:click=move |_| change(&|d: &mut Dashboard| { d.add(kind.get_untracked()); })>"Add widget"</button>
            <button type="button" class="button button--quiet" on:click=move |_| { reset.dispatch(ResetDashboard {}); }>"Reset to default"</button>
            <span class="muted" data-testid="dash-source">{move || format!("Showing {}", source.get())}</span>
            {move || (!roles().is_empty()).then(|| view! {
                <span class="dash-publish">
                    <label>"Role"
                        <select name="publish-role" on:change=move |ev| role.set(event_target_value(&ev))>
                            <option value="">"Choose a role"</option>
                            {roles().into_iter().map(|(k, n)| view! { <option value=k>{n}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="button" class="button button--quiet" disabled=move || role.with(String::is_empty) on:click=move |_| {
                        if let Some(d) = layout.get_untracked() { publish.dispatch(PublishDashboard { role_key: role.get_untracked(), dashboard: d }); }
                    }>"Publish as the role's default"</button>
                    {move || matches!(publish.value().get(), Some(Ok(()))).then(|| view! { <span role="status">"Published."</span> })}
                </span>
            })}
        </div>
        {move || action_error(save.value().get())}
        {move || action_error(publish.value().get())}
        {move || action_error(reset.value().get())}
        {move || layout.with(|d| d.as_ref().is_some_and(|d| d.widgets.is_empty())).then(|| view! {
            <p class="muted" data-testid="dash-empty">"No widgets. Choose one above and press Add widget."</p>
        })}
        <div class="dash-grid" data-testid="dashboard">
            <For each=move || layout.with(|d| d.as_ref().map(|d| d.widgets.iter().map(|w| (w.id, w.kind)).collect::<Vec<_>>()).unwrap_or_default())
                key=|(id, kind)| (*id, *kind) let((id, kind))>
                <WidgetCard id kind layout change=change/>
            </For>
        </div>
    }
    .into_any()
}

#[component]
fn WidgetCard(id: u32, kind: WidgetKind, layout: RwSignal<Option<Dashboard>>, change: impl Fn(&dyn Fn(&mut Dashboard)) + Copy + Send + Sync + 'static) -> impl IntoView {
    let place = move || layout.with(|d| d.as_ref().and_then(|d| d.widgets.iter().find(|w| w.id == id).cloned()));
    let style = move || place().map(|w: Widget| format!("grid-column: {} / span {}; grid-row: {} / span {};", w.x + 1, w.w, w.y + 1, w.h)).unwrap_or_default();
    let button = move |label: &'static str, text: &'static str, f: fn(&mut Dashboard, u32)| {
        view! { <button type="button" class="icon-button" aria-label=label title=label on:click=move |_| change(&|d: &mut Dashboard| f(d, id))>{text}</button> }
    };
    view! {
        <section class="widget" style=style data-widget=format!("{kind:?}") aria-label=kind.label()>
            <header class="widget__head">
                <h2>{kind.label()}</h2>
                <div class="widget__tools">
                    {button("Move left", "←", |d, id| d.move_by(id, -1, 0))}
                    {button("Move right", "→", |d, id| d.move_by(id, 1, 0))}
                    {button("Move up", "↑", |d, id| d.move_by(id, 0, -1))}
                    {button("Move down", "↓", |d, id| d.move_by(id, 0, 1))}
                    {button("Narrower", "⇤", |d, id| d.resize_by(id, -1, 0))}
                    {button("Wider", "⇥", |d, id| d.resize_by(id, 1, 0))}
                    {button("Shorter", "⤒", |d, id| d.resize_by(id, 0, -1))}
                    {button("Taller", "⤓", |d, id| d.resize_by(id, 0, 1))}
                    {button("Remove", "✕", |d, id| d.remove(id))}
                </div>
            </header>
            <div class="widget__body">{widget_body(kind)}</div>
        </section>
    }
}

fn widget_body(kind: WidgetKind) -> AnyView {
    match kind {
        WidgetKind::WorldMap | WidgetKind::Topology | WidgetKind::ClusterHealth => view! { <FleetWidget kind/> }.into_any(),
        WidgetKind::LowPriorityQueue => view! { <QueueWidget/> }.into_any(),
        WidgetKind::AuditEvents => view! { <AuditWidget/> }.into_any(),
        other => view! { <p class="muted">{format!("{} is not available yet.", other.label())}</p> }.into_any(),
    }
}

/// The fleet map's data, loaded once per widget: the world map, the topology or a health list.
#[component]
fn FleetWidget(kind: WidgetKind) -> impl IntoView {
    let data = LocalResource::new(|| load_fleet_map(None));
    move || match data.get() {
        None => view! { <p class="loading" role="status">"Loading the fleet…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="notice notice--error">{e.to_string()}</p> }.into_any(),
        Some(Ok(None)) => view! { <p class="muted">"No clusters yet."</p> }.into_any(),
        Some(Ok(Some(map))) => match kind {
            WidgetKind::WorldMap => {
                let map = RwSignal::new(map);
                view! { <crate::pages::fleet::WorldMapView map/> }.into_any()
            }
            WidgetKind::Topology => view! { <crate::pages::fleet::FleetMapView initial=map/> }.into_any(),
            _ => view! {
                <ul class="health-list">
                    {map.tiles.into_iter().map(|t| view! {
                        <li><span class=format!("badge badge--{}", health_class(t.health.state))>{format!("{:?}", t.health.state)}</span>" "
                            <a href=format!("/clusters/{}", t.cluster.id)>{t.cluster.display_name.clone()}</a>
                            <span class="muted">{format!(" · {} nodes · {} pods", t.nodes.len(), t.pods)}</span></li>
                    }).collect_view()}
                </ul>
            }
            .into_any(),
        },
    }
}

#[component]
fn QueueWidget() -> impl IntoView {
    let data = LocalResource::new(|| schedule_timeline(1));
    move || match data.get() {
        None => view! { <p class="loading" role="status">"Loading the queue…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="notice notice--error">{e.to_string()}</p> }.into_any(),
        Some(Ok(list)) => {
            let low: Vec<_> = list.into_iter().filter(|v| v.priority == flotilla_domain::schedule::Priority::Low || v.state == "queued").collect();
            if low.is_empty() {
                view! { <p class="muted">"No low-priority work."</p> }.into_any()
            } else {
                view! { <ul>{low.into_iter().map(|v| view! { <li><strong>{v.workload}</strong>{format!(" — {}: {}", v.state, v.reason)}</li> }).collect_view()}</ul> }.into_any()
            }
        }
    }
}

#[component]
fn AuditWidget() -> impl IntoView {
    let data = LocalResource::new(|| audit_log(AuditQuery { limit: 8, ..Default::default() }));
    move || match data.get() {
        None => view! { <p class="loading" role="status">"Loading the audit log…"</p> }.into_any(),
        Some(Err(e)) => view! { <p class="muted">{e.to_string()}</p> }.into_any(),
        Some(Ok(lines)) => view! {
            <ul class="audit-list">{lines.into_iter().map(|l| view! { <li><span class="mono">{l.at}</span>{format!(" {} {} {} ({})", l.actor, l.action, l.target, l.outcome)}</li> }).collect_view()}</ul>
        }
        .into_any(),
    }
}
