//! The Dashboard page: widgets a person arranges on a 12-column grid (add, move, resize,
//! remove), saved for them at once; "Reset to default" goes back to their role's default; an
//! administrator publishes their layout as a role's default. Each widget reads the server
//! functions of the page it comes from, so it shows only what the person may see there.
use crate::api::costs::load_cost_scope;
use crate::api::dashboards::{PublishDashboard, RemoveDashboardDefault, ResetDashboard, SaveDashboard, load_dashboard};
use crate::api::fleet::list_clusters;
use crate::components::error_view::action_error;
use crate::components::page_header::PageHeader;
use crate::pages::dashboard_widgets::{Choices, SharedFleet, settings_form, widget_body};
use flotilla_domain::dashboard::{Dashboard, DashboardView, Widget, WidgetKind, WidgetSettings};
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    // Loaded with the page on the server (same server functions, same guard); the browser
    // hydrates what was sent. The clusters and projects are what widget settings offer, and the
    // heatmap's default cluster.
    let loaded = Resource::new(|| (), |_| load_dashboard());
    let clusters = Resource::new(|| (), |_| list_clusters());
    let scope = Resource::new(|| (), |_| load_cost_scope());
    let fleet = SharedFleet::load(loaded);
    view! {
        <PageHeader title="Dashboard" subtitle="Your own arrangement of what matters to you; saved as you change it."/>
        <Transition fallback=|| view! { <p class="loading" role="status">"Loading your dashboard…"</p> }>
            {move || Suspend::new(async move {
                let view = match loaded.await {
                    Ok(v) => v,
                    Err(e) => return view! { <p class="notice notice--error" role="alert">{e.to_string()}</p> }.into_any(),
                };
                let clusters = clusters.await.map(|l| l.into_iter().map(|c| (c.id, c.display_name)).collect()).unwrap_or_default();
                let projects = scope.await.map(|s| s.projects.into_iter().map(|p| (p.name, p.display_name)).collect()).unwrap_or_default();
                let choices = Choices { clusters: Signal::stored(clusters), projects: Signal::stored(projects) };
                view! { <DashboardBody view choices fleet/> }.into_any()
            })}
        </Transition>
    }
    .into_any()
}

/// The tools and the grid of one loaded dashboard.
#[component]
fn DashboardBody(view: DashboardView, choices: Choices, fleet: SharedFleet) -> impl IntoView {
    fleet.provide_for(&view.dashboard);
    let layout = RwSignal::new(Some(view.dashboard));
    let source = RwSignal::new(view.source);
    let roles = view.publish_roles;
    let save = ServerAction::<SaveDashboard>::new();
    let reset = ServerAction::<ResetDashboard>::new();
    // A reset answers what the person sees now (their role's default or the built-in one): it
    // replaces the layout in place, so nothing reloads under a change made just after.
    let restored = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(v)) = reset.value().get() {
            layout.set(Some(v.dashboard));
            source.set(v.source);
            restored.set(true);
        }
    });
    let publish = ServerAction::<PublishDashboard>::new();
    let withdraw = ServerAction::<RemoveDashboardDefault>::new();
    // Every change is saved at once, one save at a time: a change made while a save is on its
    // way waits and goes next (only the newest), so saves never overtake each other.
    let next = StoredValue::new(None::<Dashboard>);
    let send = move |d: Dashboard| {
        if save.pending().get_untracked() {
            next.set_value(Some(d));
        } else {
            // This layout is the newest: anything still waiting is older.
            next.set_value(None);
            save.dispatch(SaveDashboard { dashboard: d });
        }
    };
    // A save finished (no longer pending by now): send what waited.
    Effect::new(move |_| {
        if save.version().get() == 0 {
            return;
        }
        if let Some(d) = next.try_update_value(Option::take).flatten() {
            send(d);
        }
    });
    let change = move |f: &dyn Fn(&mut Dashboard)| {
        let Some(mut d) = layout.get_untracked() else { return };
        f(&mut d);
        layout.set(Some(d.clone()));
        source.set("your own layout".into());
        restored.set(false);
        send(d);
    };
    let save_state = move || match (save.pending().get() || reset.pending().get(), restored.get(), save.value().get()) {
        (true, _, _) => "Saving…",
        (false, true, _) => "Back to the default",
        (false, false, Some(Ok(()))) => "All changes saved",
        _ => "",
    };
    let kind = RwSignal::new(WidgetKind::ClusterHealth);
    let role = RwSignal::new(String::new());
    view! {
        <div class="dash-tools">
            <label>"Widget"
                <select name="widget-kind" on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if let Some(k) = WidgetKind::ALL.into_iter().find(|k| format!("{k:?}") == v) { kind.set(k); }
                } prop:value=move || format!("{:?}", kind.get())>
                    {WidgetKind::ALL.map(|k| view! { <option value=format!("{k:?}")>{k.label()}</option> }).collect_view()}
                </select>
            </label>
            <button type="button" class="button" on:click=move |_| change(&|d: &mut Dashboard| { d.add(kind.get_untracked()); })>"Add widget"</button>
            <button type="button" class="button button--quiet" on:click=move |_| { reset.dispatch(ResetDashboard {}); }>"Reset to default"</button>
            <span class="muted" data-testid="dash-source">{move || format!("Showing {}", source.get())}</span>
            <span class="muted" role="status" data-testid="dash-saved">{save_state}</span>
            {(!roles.is_empty()).then(|| view! {
                <span class="dash-publish">
                    <label>"Role"
                        <select name="publish-role" on:change=move |ev| role.set(event_target_value(&ev))>
                            <option value="">"Choose a role"</option>
                            {roles.into_iter().map(|(k, n)| view! { <option value=k>{n}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="button" class="button button--quiet" disabled=move || role.with(String::is_empty) on:click=move |_| {
                        if let Some(d) = layout.get_untracked() { publish.dispatch(PublishDashboard { role_key: role.get_untracked(), dashboard: d }); }
                    }>"Publish as the role's default"</button>
                    <button type="button" class="button button--quiet" disabled=move || role.with(String::is_empty) on:click=move |_| {
                        withdraw.dispatch(RemoveDashboardDefault { role_key: role.get_untracked() });
                    }>"Withdraw the role's default"</button>
                    {move || matches!(publish.value().get(), Some(Ok(()))).then(|| view! { <span role="status">"Published."</span> })}
                    {move || match withdraw.value().get() {
                        Some(Ok(true)) => Some(view! { <span role="status">"Withdrawn: the role sees the built-in default."</span> }),
                        Some(Ok(false)) => Some(view! { <span role="status">"That role had no published default."</span> }),
                        _ => None,
                    }}
                </span>
            })}
        </div>
        {move || action_error(save.value().get())}
        {move || action_error(reset.value().get())}
        {move || action_error(publish.value().get())}
        {move || action_error(withdraw.value().get())}
        {move || layout.with(|d| d.as_ref().is_some_and(|d| d.widgets.is_empty())).then(|| view! {
            <p class="muted" data-testid="dash-empty">"No widgets. Choose one above and press Add widget."</p>
        })}
        <div class="dash-grid" data-testid="dashboard">
            <For each=move || layout.with(|d| d.as_ref().map(|d| d.widgets.iter().map(|w| (w.id, w.kind)).collect::<Vec<_>>()).unwrap_or_default())
                key=|(id, kind)| (*id, *kind) let((id, kind))>
                <WidgetCard id kind layout change=change choices/>
            </For>
        </div>
    }
}

#[component]
fn WidgetCard(id: u32, kind: WidgetKind, layout: RwSignal<Option<Dashboard>>, change: impl Fn(&dyn Fn(&mut Dashboard)) + Copy + Send + Sync + 'static, choices: Choices) -> impl IntoView {
    let place = move || layout.with(|d| d.as_ref().and_then(|d| d.widgets.iter().find(|w| w.id == id).cloned()));
    // Only this widget's settings: moving others does not reload it.
    let settings = Memo::new(move |_| place().map(|w| w.settings).unwrap_or_default());
    let set = move |s: WidgetSettings| change(&|d: &mut Dashboard| d.set_settings(id, s.clone()));
    let open = RwSignal::new(false);
    let style = move || place().map(|w: Widget| format!("grid-column: {} / span {}; grid-row: {} / span {}", w.x + 1, w.w, w.y + 1, w.h)).unwrap_or_default();
    let button = move |label: &'static str, text: &'static str, f: fn(&mut Dashboard, u32)| {
        view! { <button type="button" class="icon-button" aria-label=label title=label on:click=move |_| change(&|d: &mut Dashboard| f(d, id))>{text}</button> }
    };
    view! {
        <section class="widget" style=style data-widget=format!("{kind:?}") aria-label=kind.label()>
            <header class="widget__head">
                <h2>{kind.label()}</h2>
                <div class="widget__tools">
                    {(!kind.settings().is_empty()).then(|| view! {
                        <button type="button" class="icon-button" aria-label="Settings" title="Settings" aria-expanded=move || open.get().to_string()
                            on:click=move |_| open.update(|o| *o = !*o)>"⚙"</button>
                    })}
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
            {move || open.get().then(|| settings_form(kind, settings, choices, set))}
            <div class="widget__body">{widget_body(kind, settings, choices)}</div>
        </section>
    }
}
