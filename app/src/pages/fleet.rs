//! The Fleet page: the interactive fleet map. Every cluster is a tile, every node a cell coloured
//! by utilisation; filters, search, zoom into a cluster, click a node for its pods. Live: the
//! browser asks every second whether anything changed (a generation number) and redraws.
use crate::api::fleet::{cluster_pods, load_fleet_map};
use crate::components::{empty_state::EmptyState, loaded::Loaded, page_header::PageHeader};
use crate::fleetmap::{self, MapFilter};
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
            <p>"An administrator registers clusters in "<a href="/admin#clusters">"Admin → Clusters"</a>
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

#[component]
fn FleetMapView(initial: FleetMap) -> impl IntoView {
    let map = RwSignal::new(initial);
    let filter = RwSignal::new(MapFilter::default());
    let live = RwSignal::new(true);
    crate::components::poll::every(1000, move || {
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
    let options = move |f: fn(&FleetMap) -> Vec<String>| Signal::derive(move || map.with(f));
    let providers = options(|m| distinct(m.tiles.iter().map(|t| t.cluster.provider.as_str().to_owned())));
    let regions = options(|m| distinct(m.tiles.iter().map(|t| t.cluster.region.clone())));
    let environments = options(|m| distinct(m.tiles.iter().map(|t| t.cluster.environment.clone())));
    let projects = options(|m| distinct(m.tiles.iter().flat_map(|t| t.namespaces.iter().filter_map(|(_, p)| p.clone()))));
    let namespaces = options(|m| distinct(m.tiles.iter().flat_map(|t| t.namespaces.iter().map(|(n, _)| n.clone()))));
    let html = move || map.with(|m| filter.with(|f| fleetmap::render(m, f)));
    let summary = move || {
        map.with(|m| {
            let nodes: usize = m.tiles.iter().map(|t| t.nodes.len()).sum();
            let pods: u32 = m.tiles.iter().map(|t| t.pods).sum();
            format!("{} clusters · {nodes} nodes · {pods} pods", m.tiles.len())
        })
    };
    let on_map_click = move |ev: leptos::ev::MouseEvent| activate(ev.target(), filter);
    let on_map_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" || ev.key() == " " {
            ev.prevent_default();
            activate(ev.target(), filter);
        }
    };
    let focused = move || filter.with(|f| f.focus);
    let focus_name = move || {
        let id = focused()?;
        map.with(|m| m.tiles.iter().find(|t| t.cluster.id == id).map(|t| t.cluster.display_name.clone()))
    };
    view! {
        <div class="fleet-toolbar" role="search">
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
        <div class="fleet-status">
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
        <div class="legend" inner_html=move || fleetmap::legend(filter.with(|f| f.metric))></div>
        <div class="fleet-layout">
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
    } else if let (Some(node), Some(cluster)) =
        (attr_of("[data-node]", "data-node"), attr_of("[data-cluster]", "data-cluster").and_then(|v| v.parse::<i64>().ok()))
    {
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
                <h2>"Pods on "<span class="mono">{node.clone()}</span></h2>
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
