//! The Fleet page: the interactive fleet map. Every cluster is a tile, every node a cell coloured
//! by utilisation; filters, search, zoom into a cluster, click a node for its pods. Live: the
//! browser asks every second whether anything changed (a generation number) and redraws.
use crate::api::fleet::{cluster_pods, fleet_costs_now, load_fleet_map};
use crate::components::{empty_state::EmptyState, loaded::Loaded, page_header::PageHeader};
use crate::fleetmap::{self, MapFilter};
use crate::worldmap;
use flotilla_domain::inventory::{FleetMap, Metric, PodView, format_bytes, format_cpu};
use leptos::prelude::*;
use std::collections::BTreeSet;

#[component]
pub fn FleetPage() -> impl IntoView {
    let initial = Resource::new(|| (), |_| load_fleet_map(None));
    view! {
        <PageHeader title="Fleet" subtitle="Every cluster and node Flotilla watches, live."/>
        <Loaded resource=initial loading="Loading the fleet map…" render=fleet_or_empty/>
    }
}

fn fleet_or_empty(map: Option<FleetMap>) -> AnyView {
    match map {
        Some(map) if !map.tiles.is_empty() => view! { <FleetMapView initial=map/> }.into_any(),
        _ => no_clusters(),
    }
}

fn no_clusters() -> AnyView {
    view! {
        <EmptyState title="No clusters yet">
            <p>"Flotilla shows every registered Kubernetes cluster here, live, with each node coloured by how busy it is."</p>
            <p>"An administrator registers clusters in "<a href="/admin/clusters">"Admin → Clusters"</a>
               " from a kubeconfig. To explore with a simulated fleet instead, start the portal with "
               <code>"flotilla demo"</code>"."</p>
        </EmptyState>
    }
    .into_any()
}

/// Distinct non-empty values, sorted.
fn distinct(values: impl Iterator<Item = String>) -> Vec<String> {
    values.filter(|v| !v.is_empty()).collect::<BTreeSet<_>>().into_iter().collect()
}

/// Keeps `map` current: asks every `period_ms` whether the fleet changed (cheap when it did not).
/// The returned signal says whether the portal answered last time.
pub(crate) fn follow(map: RwSignal<FleetMap>, period_ms: u64) -> RwSignal<bool> {
    let live = RwSignal::new(true);
    crate::components::poll::every(period_ms, move || {
        let since = map.with_untracked(|m| m.generation);
        leptos::task::spawn_local(async move {
            match load_fleet_map(Some(since)).await {
                Ok(Some(new)) => {
                    map.set(new);
                    live.set(true);
                }
                Ok(None) => live.set(true),
                Err(_) => live.set(false),
            }
        });
    });
    live
}

/// The interactive topology. `compact` (a dashboard widget): no switch to the world map (the
/// dashboard has a widget of its own for it) and the filters folded away, so the map itself gets
/// the room; the node's pod list then goes below the map (see `.widget .fleet-layout`).
#[component]
pub(crate) fn FleetMapView(initial: FleetMap, #[prop(optional)] compact: bool) -> impl IntoView {
    let map = RwSignal::new(initial);
    let filter = RwSignal::new(MapFilter::default());
    let live = follow(map, 1000);
    let options = move |f: fn(&FleetMap) -> Vec<String>| Signal::derive(move || map.with(f));
    let providers = options(|m| distinct(m.tiles.iter().map(|t| t.cluster.provider.as_str().to_owned())));
    let regions = options(|m| distinct(m.tiles.iter().map(|t| t.cluster.region.clone())));
    let environments = options(|m| distinct(m.tiles.iter().map(|t| t.cluster.environment.clone())));
    let projects = options(|m| distinct(m.tiles.iter().flat_map(|t| t.namespaces.iter().filter_map(|(_, p)| p.clone()))));
    let namespaces = options(|m| distinct(m.tiles.iter().flat_map(|t| t.namespaces.iter().map(|(n, _)| n.clone()))));
    let html = move || map.with(|m| filter.with(|f| fleetmap::render(m, f, crate::time::zone())));
    let summary = move || {
        map.with(|m| {
            let nodes: usize = m.tiles.iter().map(|t| t.nodes.len()).sum();
            let pods: u32 = m.tiles.iter().map(|t| t.pods).sum();
            // Says how many of the clusters are on the map when filters or a zoom hide some.
            let total = m.tiles.len();
            let shown = filter.with(|f| fleetmap::shown(m, f));
            let plural = if total == 1 { "" } else { "s" };
            let clusters = if shown < total { format!("{shown} of {total} cluster{plural} shown") } else { format!("{total} cluster{plural}") };
            format!("{clusters} · {nodes} nodes · {pods} pods")
        })
    };
    let on_map_click = move |ev: leptos::ev::MouseEvent| activate(ev.target(), filter);
    let on_map_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" || ev.key() == " " {
            ev.prevent_default();
            activate(ev.target(), filter);
        }
    };
    let world = RwSignal::new(false);
    let focused = move || filter.with(|f| f.focus);
    let focus_name = move || {
        let id = focused()?;
        map.with(|m| m.tiles.iter().find(|t| t.cluster.id == id).map(|t| t.cluster.display_name.clone()))
    };
    let toolbar = view! {
        <div class="fleet-toolbar" role="search" hidden=move || world.get()>
            <label>"Colour by"
                <select on:change=move |ev| { let m = Metric::parse(&event_target_value(&ev)); filter.update(|f| f.metric = m); }>
                    {Metric::ALL.map(|m| view! { <option value=m.as_str()>{m.label()}</option> }).collect_view()}
                </select>
            </label>
            <label>"Group by"
                <select on:change=move |ev| { let p = event_target_value(&ev) == "provider"; filter.update(|f| f.group_by_provider = p); }>
                    <option value="region">"Region"</option>
                    <option value="provider">"Provider"</option>
                </select>
            </label>
            <FilterSelect label="Provider" all="All providers" values=providers set=move |v| filter.update(|f| f.provider = v)/>
            <FilterSelect label="Region" all="All regions" values=regions set=move |v| filter.update(|f| f.region = v)/>
            <FilterSelect label="Environment" all="All environments" values=environments set=move |v| filter.update(|f| f.environment = v)/>
            <FilterSelect label="Project" all="All projects" values=projects set=move |v| filter.update(|f| f.project = v)/>
            <FilterSelect label="Namespace" all="All namespaces" values=namespaces set=move |v| filter.update(|f| f.namespace = v)/>
            <label>"Search"
                <input type="search" placeholder="cluster, node or namespace"
                    on:input=move |ev| { let q = event_target_value(&ev); filter.update(|f| f.search = q.trim().to_owned()); }/>
            </label>
        </div>
    };
    let toolbar = if compact {
        view! {
            <details class="fleet-filters" data-testid="topology-filters">
                <summary>"Colour, group and filter"</summary>
                {toolbar}
            </details>
        }
        .into_any()
    } else {
        toolbar.into_any()
    };
    view! {
        {(!compact).then(|| view! {
            <div class="chips" role="radiogroup" aria-label="Map">
                <button type="button" class="chip" aria-pressed=move || (!world.get()).to_string() on:click=move |_| world.set(false)>"Topology"</button>
                <button type="button" class="chip" aria-pressed=move || world.get().to_string() on:click=move |_| world.set(true)>"World map"</button>
            </div>
        })}
        {move || world.get().then(|| view! { <WorldMapView map/> })}
        {toolbar}
        <div class="fleet-status" hidden=move || world.get()>
            <span class="summary">{summary}</span>
            <span class=move || if live.get() { "live live--on" } else { "live live--off" } role="status">
                {move || if live.get() { "Live" } else { "Live updates paused: the portal cannot be reached. Retrying…" }}
            </span>
            {move || focused().map(|id| view! {
                <span class="fleet-zoom">"Zoomed into "<strong>{focus_name}</strong>" · "
                    <a href=format!("/clusters/{id}")>"Open cluster page"</a>" · "
                    <button type="button" class="button button--quiet" on:click=move |_| filter.update(|f| { f.focus = None; f.selected = None; })>"Show the whole fleet"</button>
                </span>
            })}
        </div>
        <div class="legend" hidden=move || world.get() inner_html=move || fleetmap::legend(filter.with(|f| f.metric))></div>
        <div class="fleet-layout" hidden=move || world.get()>
            <div class="fleet-map" on:click=on_map_click on:keydown=on_map_key inner_html=html></div>
            {move || filter.with(|f| f.selected.clone()).map(|(cluster, node)| view! { <NodePods cluster node map filter/> })}
        </div>
    }
}

/// A click or Enter on the map: a tile name zooms in (or out), a node cell selects the node.
fn activate(target: Option<web_sys::EventTarget>, filter: RwSignal<MapFilter>) {
    use wasm_bindgen::JsCast;
    let Some(el) = target.and_then(|t| t.dyn_into::<web_sys::Element>().ok()) else { return };
    let attr_of = |sel: &str, attr: &str| el.closest(sel).ok().flatten().and_then(|e| e.get_attribute(attr));
    if let Some(id) = attr_of("[data-zoom]", "data-zoom").and_then(|v| v.parse::<i64>().ok()) {
        filter.update(|f| {
            f.focus = if f.focus == Some(id) { None } else { Some(id) };
            f.selected = None;
        });
    } else if let (Some(node), Some(cluster)) = (attr_of("[data-node]", "data-node"), attr_of("[data-cluster]", "data-cluster").and_then(|v| v.parse::<i64>().ok())) {
        filter.update(|f| f.selected = Some((cluster, node)));
    }
}

#[component]
fn FilterSelect(label: &'static str, all: &'static str, values: Signal<Vec<String>>, set: impl Fn(String) + 'static) -> impl IntoView {
    view! {
        <label>{label}
            <select on:change=move |ev| set(event_target_value(&ev))>
                <option value="">{all}</option>
                <For each=move || values.get() key=|v| v.clone() let:v>
                    <option value=v.clone()>{v.clone()}</option>
                </For>
            </select>
        </label>
    }
}

/// The pods of the selected node, refreshed whenever the map changes.
#[component]
fn NodePods(cluster: i64, node: String, map: RwSignal<FleetMap>, filter: RwSignal<MapFilter>) -> impl IntoView {
    let node_for_fetch = node.clone();
    let pods = Resource::new(move || map.with(|m| m.generation), move |_| cluster_pods(cluster, Some(node_for_fetch.clone()), None));
    view! {
        <aside class="fleet-pods" aria-label="Pods on the selected node">
            <header>
                <h2>"Pods on "<a class="mono" href=format!("/clusters/{cluster}/nodes/{node}")>{node.clone()}</a></h2>
                <button type="button" class="button button--quiet" aria-label="Close the pod list" on:click=move |_| filter.update(|f| f.selected = None)>"×"</button>
            </header>
            <Loaded resource=pods loading="Loading pods…" render=pod_table/>
        </aside>
    }
}

fn pod_table(pods: Vec<PodView>) -> AnyView {
    if pods.is_empty() {
        return view! { <p class="muted">"No pods you may see run on this node."</p> }.into_any();
    }
    let count = pods.len();
    view! {
        <p class="muted">{format!("{count} pod{}", if count == 1 { "" } else { "s" })}</p>
        <div class="table-wrap"><table class="data-table data-table--compact">
            <thead><tr><th scope="col">"Pod"</th><th scope="col">"Phase"</th><th scope="col">"CPU"</th><th scope="col">"Memory"</th></tr></thead>
            <tbody>{pods.into_iter().map(|p| {
                let cpu = match p.used { Some(u) => format!("{} of {}", format_cpu(u.cpu_m), format_cpu(p.requested.cpu_m)), None => format_cpu(p.requested.cpu_m) };
                let mem = match p.used { Some(u) => format!("{} of {}", format_bytes(u.mem_b), format_bytes(p.requested.mem_b)), None => format_bytes(p.requested.mem_b) };
                view! {
                    <tr data-pod=p.name.clone()>
                        <td><span class="mono">{p.name.clone()}</span><br/><span class="muted">{format!("{} · {}", p.namespace, p.workload)}</span></td>
                        <td>{p.phase.clone()}{(p.restarts > 0).then(|| format!(" ({} restarts)", p.restarts))}</td>
                        <td>{cpu}</td>
                        <td>{mem}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

/// The element's box and its pixels per map unit for `view` (the SVG keeps the 2:1 map centred
/// in the box: preserveAspectRatio meet).
fn screen_scale(ev: &web_sys::MouseEvent, view: worldmap::View) -> Option<(web_sys::DomRect, f64)> {
    use wasm_bindgen::JsCast;
    let r = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?.get_bounding_client_rect();
    let (_, _, w, h) = view.view_box();
    let scale = (r.width() / w).min(r.height() / h);
    (scale > 0.0).then_some((r, scale))
}

/// The map units under a pointer.
fn map_point(ev: &web_sys::MouseEvent, view: worldmap::View) -> Option<(f64, f64)> {
    let (r, scale) = screen_scale(ev, view)?;
    let (x, y, w, h) = view.view_box();
    let (ox, oy) = ((r.width() - w * scale) / 2.0, (r.height() - h * scale) / 2.0);
    Some((x + (f64::from(ev.client_x()) - r.left() - ox) / scale, y + (f64::from(ev.client_y()) - r.top() - oy) / scale))
}

/// Map units per screen pixel.
fn units_per_px(ev: &web_sys::MouseEvent, view: worldmap::View) -> f64 {
    screen_scale(ev, view).map_or(1.0, |(_, scale)| 1.0 / scale)
}

/// The nearest marker (or group) an event happened on: its cluster names and, for a group,
/// where to zoom.
fn marker_at(target: Option<web_sys::EventTarget>) -> Option<(String, Option<(f64, f64)>)> {
    use wasm_bindgen::JsCast;
    let el = target?.dyn_into::<web_sys::Element>().ok()?.closest("[data-clusters]").ok()??;
    let names = el.get_attribute("data-clusters")?;
    let zoom = el.get_attribute("data-zoom-x").zip(el.get_attribute("data-zoom-y")).and_then(|(x, y)| Some((x.parse().ok()?, y.parse().ok()?)));
    Some((names, zoom))
}

/// The world map: pan by dragging (mouse or one finger), zoom with the wheel, two fingers, the
/// buttons or the keyboard (+ − arrows 0); a group of clusters zooms in when clicked; a single
/// cluster opens its page.
#[component]
pub(crate) fn WorldMapView(map: RwSignal<FleetMap>) -> impl IntoView {
    let view = RwSignal::new(worldmap::View::default());
    let hovered = RwSignal::new(String::new());
    // Pointers down (id, x, y), the view when the gesture began, and whether it moved.
    let pointers = StoredValue::new(Vec::<(i32, f64, f64)>::new());
    let start = StoredValue::new((worldmap::View::default(), 0.0f64, false));
    // Cost per hour for the hover, loaded in the browser once the page is live (an effect: the
    // server's render does not wait for it) and refreshed every minute.
    let costs = RwSignal::new(None::<Vec<flotilla_domain::ClusterCostNow>>);
    let load_costs = move || {
        leptos::task::spawn_local(async move {
            if let Ok(list) = fleet_costs_now().await {
                costs.set(Some(list));
            }
        })
    };
    Effect::new(move |_| load_costs());
    crate::components::poll::every(60_000, load_costs);
    let cost_labels = Memo::new(move |_| costs.with(|c| c.as_ref().map(|list| list.iter().map(|c| (c.cluster_id, c.label())).collect::<worldmap::CostLabels>()).unwrap_or_default()));
    let svg = move || cost_labels.with(|costs| map.with(|m| worldmap::render(m, view.get(), costs)));
    let zoom_by = move |f: f64| view.update(|v| *v = v.zoomed(f, None));
    let on_wheel = move |ev: leptos::ev::WheelEvent| {
        ev.prevent_default();
        let around = map_point(&ev, view.get_untracked());
        let f = if ev.delta_y() < 0.0 { 1.25 } else { 0.8 };
        view.update(|v| *v = v.zoomed(f, around));
    };
    let on_down = move |ev: leptos::ev::PointerEvent| {
        pointers.update_value(|p| {
            p.retain(|x| x.0 != ev.pointer_id());
            p.push((ev.pointer_id(), f64::from(ev.client_x()), f64::from(ev.client_y())));
        });
        let spread = pointers.with_value(|p| if p.len() == 2 { (p[0].1 - p[1].1).hypot(p[0].2 - p[1].2) } else { 0.0 });
        start.set_value((view.get_untracked(), spread, false));
    };
    let on_move = move |ev: leptos::ev::PointerEvent| {
        let Some(first) = pointers.with_value(|p| p.iter().find(|x| x.0 == ev.pointer_id()).copied()) else { return };
        let (began, spread, _) = start.get_value();
        let now = (f64::from(ev.client_x()), f64::from(ev.client_y()));
        let two = pointers.with_value(|p| p.len() == 2);
        if two {
            pointers.update_value(|p| {
                if let Some(x) = p.iter_mut().find(|x| x.0 == ev.pointer_id()) {
                    (x.1, x.2) = now;
                }
            });
            let d = pointers.with_value(|p| (p[0].1 - p[1].1).hypot(p[0].2 - p[1].2));
            if spread > 0.0 {
                view.set(began.zoomed(d / spread, None));
                start.update_value(|s| s.2 = true);
            }
            return;
        }
        let (dx, dy) = (now.0 - first.1, now.1 - first.2);
        if dx.abs() + dy.abs() > 4.0 {
            let k = units_per_px(&ev, began);
            view.set(began.panned(-dx * k, -dy * k));
            start.update_value(|s| s.2 = true);
        }
    };
    let on_up = move |ev: leptos::ev::PointerEvent| pointers.update_value(|p| p.retain(|x| x.0 != ev.pointer_id()));
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if start.get_value().2 {
            // The end of a drag is not a click on a marker.
            ev.prevent_default();
            start.update_value(|s| s.2 = false);
            return;
        }
        if let Some((_, Some(at))) = marker_at(ev.target()) {
            ev.prevent_default();
            view.update(|v| *v = v.zoomed(4.0, Some(at)));
            view.update(|v| *v = worldmap::View { cx: at.0, cy: at.1, ..*v }.clamped());
        }
    };
    let on_key = move |ev: leptos::ev::KeyboardEvent| {
        let (_, _, w, h) = view.get_untracked().view_box();
        let step = |dx: f64, dy: f64| view.update(|v| *v = v.panned(dx, dy));
        match ev.key().as_str() {
            "+" | "=" => zoom_by(1.5),
            "-" | "_" => zoom_by(1.0 / 1.5),
            "0" => view.set(worldmap::View::default()),
            "ArrowLeft" => step(-w / 8.0, 0.0),
            "ArrowRight" => step(w / 8.0, 0.0),
            "ArrowUp" => step(0.0, -h / 8.0),
            "ArrowDown" => step(0.0, h / 8.0),
            "Enter" | " " => {
                if let Some((_, Some(at))) = marker_at(ev.target()) {
                    view.update(|v| *v = worldmap::View { cx: at.0, cy: at.1, ..v.zoomed(4.0, Some(at)) }.clamped());
                } else {
                    return;
                }
            }
            _ => return,
        }
        ev.prevent_default();
    };
    let on_over = move |ev: leptos::ev::PointerEvent| {
        let names = marker_at(ev.target()).map(|(n, _)| n).unwrap_or_default();
        if hovered.get_untracked() != names {
            hovered.set(names);
        }
    };
    let details = move || {
        let names = hovered.get();
        map.with(|m| cost_labels.with(|costs| names.split_whitespace().filter_map(|n| m.tiles.iter().find(|t| t.cluster.name == n)).map(|t| worldmap::describe(t, costs)).collect::<Vec<_>>()))
    };
    let unplaced = move || map.with(|m| worldmap::placed(m).1.iter().map(|t| (t.cluster.id, t.cluster.display_name.clone())).collect::<Vec<_>>());
    view! {
        <section class="world" aria-label="World map of the fleet">
            <div class="world-tools">
                <button type="button" class="button button--quiet" aria-label="Zoom in" on:click=move |_| zoom_by(1.5)>"+"</button>
                <button type="button" class="button button--quiet" aria-label="Zoom out" on:click=move |_| zoom_by(1.0 / 1.5)>"−"</button>
                <button type="button" class="button button--quiet" on:click=move |_| view.set(worldmap::View::default())>"Whole world"</button>
                <span class="muted">"Drag to pan, wheel or pinch to zoom; keys + − ← → ↑ ↓ 0. A number is several clusters: click to zoom in."</span>
            </div>
            <div class="world-map" data-testid="world-map" tabindex="0" aria-describedby="world-help"
                on:wheel=on_wheel on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up
                on:pointerover=on_over on:click=on_click on:keydown=on_key inner_html=svg></div>
            <p id="world-help" class="world-legend muted">
                <span class="dot dot--ok"></span>"healthy "<span class="dot dot--warn"></span>"degraded "<span class="dot dot--bad"></span>"unreachable · size: nodes"
            </p>
            <ul class="world-details" aria-live="polite" data-testid="world-details">
                {move || details().into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}
            </ul>
            {move || {
                let off = unplaced();
                (!off.is_empty()).then(|| view! {
                    <p class="muted" data-testid="world-unplaced">"Not on the map (no known location; an administrator sets one in Admin → Clusters, a city or \"lat, lon\"): "
                        {off.into_iter().map(|(id, name)| view! { <a href=format!("/clusters/{id}")>{name}</a>" " }).collect_view()}
                    </p>
                })
            }}
        </section>
    }
    .into_any()
}
