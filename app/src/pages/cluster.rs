//! The cluster page: health, CPU / memory / pod donuts (used, requested, allocatable), the
//! utilisation heatmap from snapshots, and sortable tables of nodes and namespaces.
use crate::api::fleet::{cluster_heatmap, load_cluster};
use crate::charts;
use crate::components::loaded::Loaded;
use crate::time::when_ms;
use flotilla_domain::inventory::{ClusterDetail, Heatmap, Metric, NamespaceView, NodeView, format_bytes, format_cpu, fraction, percent};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ClusterPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(-1));
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    {
        // Live totals and tables: refresh every few seconds.
        if let Ok(h) = set_interval_with_handle(move || tick.update(|t| *t += 1), std::time::Duration::from_secs(5)) {
            on_cleanup(move || h.clear());
        }
    }
    let detail = Resource::new(move || (id(), tick.get()), |(id, _)| load_cluster(id));
    view! {
        <Loaded resource=detail loading="Loading the cluster…" render=move |d: ClusterDetail| view! { <ClusterView detail=d/> }/>
        <crate::components::cost_now::ClusterCostSection id=Signal::derive(id)/>
        <HeatmapSection id=Signal::derive(id)/>
    }
}

#[component]
fn ClusterView(detail: ClusterDetail) -> impl IntoView {
    let c = &detail.cluster;
    let h = &detail.health;
    let health_class = crate::fleetmap::health_class(h.state);
    let (since_ms, last_seen_ms) = (h.since_ms, h.last_seen_ms);
    let since = move || if since_ms > 0 { format!(" since {}", when_ms(since_ms)) } else { String::new() };
    let seen = move || last_seen_ms.map(|t| format!("Last answered at {}.", when_ms(t))).unwrap_or_else(|| "Has not answered yet.".into());
    let t = detail.totals;
    let source =
        if detail.metrics_live { "Usage comes from metrics.k8s.io." } else { "Requests only: this cluster serves no metrics.k8s.io, so usage is unknown and charts show what pods requested." };
    let cpu = donut_for("CPU", t.used.map(|u| u.cpu_m), ("Requested", t.requested.cpu_m), t.allocatable.cpu_m, format_cpu);
    let mem = donut_for("Memory", t.used.map(|u| u.mem_b), ("Requested", t.requested.mem_b), t.allocatable.mem_b, format_bytes);
    let pods = donut_for("Pods", None, ("Running", t.pods.into()), t.allocatable_pods.into(), |v| format!("{v} pods"));
    let labels = flotilla_domain::labels_text(&c.labels);
    view! {
        <Title text=c.display_name.clone()/>
        <header class="page-header">
            <p class="breadcrumb"><a href="/fleet">"Fleet"</a>" / "{c.name.clone()}</p>
            <h1>{c.display_name.clone()}</h1>
            <p class="page-header__subtitle">
                {format!("{} · {} · {}", c.provider.label(), if c.region.is_empty() { "no region" } else { &c.region }, c.environment)}
                {h.version.clone().map(|v| format!(" · Kubernetes {v}"))}
            </p>
            // Labels as chips a person reads ("simulated=true" is the demo's own marker).
            {(!labels.is_empty()).then(|| view! {
                <p class="label-chips" aria-label="Labels">{c.labels.iter().map(|(k, v)| {
                    let text = if k == "simulated" && v == "true" { "Simulated demo cluster".to_owned() } else if v.is_empty() { k.clone() } else { format!("{k}: {v}") };
                    view! { <span class="badge badge--info" title=format!("{k}={v}")>{text}</span> }
                }).collect_view()}</p>
            })}
        </header>
        <p class="cluster-health">
            <span class=format!("badge badge--{health_class}")>{h.state.label()}{since}</span>
            " "{h.detail.clone()}" · "{seen}
        </p>
        <p class="muted">{source}</p>
        <section class="donuts" aria-label="Capacity">
            {cpu}{mem}{pods}
        </section>
        {match detail.may_not_list("nodes") {
            Some(words) => view! { <p class="notice notice--warn" role="status" id="nodes-forbidden">{words}</p> }.into_any(),
            None => view! { <NodeTable cluster=detail.cluster.id nodes=detail.nodes.clone()/> }.into_any(),
        }}
        {match detail.may_not_list("namespaces").or_else(|| detail.may_not_list("pods")) {
            Some(words) => view! { <p class="notice notice--warn" role="status">{words}</p> }.into_any(),
            None => view! { <NamespaceTable namespaces=detail.namespaces.clone()/> }.into_any(),
        }}
    }
}

fn donut_for(title: &'static str, used: Option<u64>, (label, requested): (&str, u64), allocatable: u64, fmt: fn(u64) -> String) -> impl IntoView {
    let mut slices = Vec::new();
    let mut legend = Vec::new();
    if let Some(u) = used {
        slices.push((u as f64, charts::USED));
        slices.push((requested.saturating_sub(u) as f64, charts::REQUESTED));
        legend.push(("legend-used", format!("Used {} ({})", fmt(u), percent(fraction(u, allocatable)))));
    } else {
        slices.push((requested as f64, charts::REQUESTED));
    }
    legend.push(("legend-requested", format!("{label} {} ({})", fmt(requested), percent(fraction(requested, allocatable)))));
    legend.push(("legend-free", format!("Allocatable {}", fmt(allocatable))));
    let centre = percent(fraction(used.unwrap_or(requested), allocatable));
    let svg = charts::donut(title, &slices, allocatable as f64, &centre);
    view! {
        <figure class="donut">
            <div class="donut__chart" inner_html=svg></div>
            <figcaption>
                <ul class="donut__legend">{legend.into_iter().map(|(class, text)| view! { <li><span class=format!("swatch {class}")></span>{text}</li> }).collect_view()}</ul>
            </figcaption>
        </figure>
    }
}

/// Column sort state: key and direction.
#[derive(Clone, Copy, PartialEq)]
struct Sort {
    key: &'static str,
    desc: bool,
}

fn sort_button(label: &'static str, key: &'static str, sort: RwSignal<Sort>) -> impl IntoView {
    let arrow = move || sort.with(|s| if s.key == key { if s.desc { " ▼" } else { " ▲" } } else { "" });
    let aria = move || {
        sort.with(|s| {
            if s.key != key {
                "none"
            } else if s.desc {
                "descending"
            } else {
                "ascending"
            }
        })
    };
    view! {
        <th scope="col" aria-sort=aria>
            <button type="button" class="th-sort" on:click=move |_| sort.update(|s| { if s.key == key { s.desc = !s.desc } else { *s = Sort { key, desc: true } } })>
                {label}{arrow}
            </button>
        </th>
    }
}

/// "2.3 cores used · 3.1 cores req." (usage only when measured).
pub(crate) fn used_and_requested(used: Option<u64>, requested: u64, fmt: fn(u64) -> String) -> String {
    match used {
        Some(u) => format!("{} used · {} req.", fmt(u), fmt(requested)),
        None => format!("{} req.", fmt(requested)),
    }
}

pub(crate) fn usage_cell(used: Option<u64>, requested: u64, allocatable: u64, fmt: fn(u64) -> String) -> String {
    format!("{} of {}", used_and_requested(used, requested, fmt), fmt(allocatable))
}

/// Why the node takes no new pods (not Ready, cordoned, a taint), or that it is avoided.
pub(crate) fn node_badge(n: &NodeView) -> Option<AnyView> {
    match (&n.refuses, n.avoid) {
        (_, _) if !n.ready => Some(view! { " "<span class="badge badge--bad">"Not ready"</span> }.into_any()),
        (Some(why), _) => Some(view! { " "<span class="badge badge--warn" title="Flotilla places no workloads here">{why.clone()}</span> }.into_any()),
        (None, true) => Some(view! { " "<span class="badge" title="PreferNoSchedule: used only when nothing else fits">"avoided"</span> }.into_any()),
        (None, false) => None,
    }
}

#[component]
fn NodeTable(cluster: i64, nodes: Vec<NodeView>) -> impl IntoView {
    let sort = RwSignal::new(Sort { key: "name", desc: false });
    let count = nodes.len();
    let rows = move || {
        let mut list = nodes.clone();
        let s = sort.get();
        let load = |n: &NodeView, cpu: bool| {
            let u = n.used.unwrap_or(n.requested);
            if cpu { fraction(u.cpu_m, n.allocatable.cpu_m) } else { fraction(u.mem_b, n.allocatable.mem_b) }
        };
        list.sort_by(|a, b| match s.key {
            "cpu" => load(a, true).total_cmp(&load(b, true)),
            "memory" => load(a, false).total_cmp(&load(b, false)),
            "pods" => a.pods.cmp(&b.pods),
            _ => a.name.cmp(&b.name),
        });
        if s.desc {
            list.reverse();
        }
        list.into_iter()
            .map(|n| {
                view! {
                    <tr>
                        <td class="mono"><a href=format!("/clusters/{cluster}/nodes/{}", n.name)>{n.name.clone()}</a>{node_badge(&n)}</td>
                        <td>{n.instance_type.clone()}</td>
                        <td>{usage_cell(n.used.map(|u| u.cpu_m), n.requested.cpu_m, n.allocatable.cpu_m, format_cpu)}</td>
                        <td>{usage_cell(n.used.map(|u| u.mem_b), n.requested.mem_b, n.allocatable.mem_b, format_bytes)}</td>
                        <td>{format!("{} of {}", n.pods, n.allocatable_pods)}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section aria-labelledby="nodes-h">
            <h2 id="nodes-h">{format!("Nodes ({count})")}</h2>
            <div class="table-wrap"><table class="data-table" id="node-table">
                <thead><tr>
                    {sort_button("Node", "name", sort)}<th scope="col">"Instance type"</th>
                    {sort_button("CPU", "cpu", sort)}{sort_button("Memory", "memory", sort)}{sort_button("Pods", "pods", sort)}
                </tr></thead>
                <tbody>{rows}</tbody>
            </table></div>
        </section>
    }
}

#[component]
fn NamespaceTable(namespaces: Vec<NamespaceView>) -> impl IntoView {
    let sort = RwSignal::new(Sort { key: "cpu", desc: true });
    let empty = namespaces.is_empty();
    let rows = move || {
        let mut list = namespaces.clone();
        let s = sort.get();
        list.sort_by(|a, b| match s.key {
            "cpu" => a.requested.cpu_m.cmp(&b.requested.cpu_m),
            "memory" => a.requested.mem_b.cmp(&b.requested.mem_b),
            "pods" => a.pods.cmp(&b.pods),
            _ => a.name.cmp(&b.name),
        });
        if s.desc {
            list.reverse();
        }
        list.into_iter()
            .map(|n| {
                let quota = match (n.quota_cpu_m, n.quota_mem_b, n.quota_pods) {
                    (None, None, None) => "—".to_owned(),
                    (c, m, p) => [c.map(format_cpu), m.map(format_bytes), p.map(|p| format!("{p} pods"))].into_iter().flatten().collect::<Vec<_>>().join(" · "),
                };
                view! {
                    <tr>
                        <td class="mono">{n.name.clone()}</td>
                        <td>{n.project.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{n.pods}</td>
                        <td>{used_and_requested(n.used.map(|u| u.cpu_m), n.requested.cpu_m, format_cpu)}</td>
                        <td>{used_and_requested(n.used.map(|u| u.mem_b), n.requested.mem_b, format_bytes)}</td>
                        <td>{quota}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section aria-labelledby="ns-h">
            <h2 id="ns-h">"Namespaces"</h2>
            {empty.then(|| view! { <p class="muted">"No namespaces you may see."</p> })}
            <div class="table-wrap"><table class="data-table" id="namespace-table">
                <thead><tr>
                    {sort_button("Namespace", "name", sort)}<th scope="col">"Project"</th>{sort_button("Pods", "pods", sort)}
                    {sort_button("CPU", "cpu", sort)}{sort_button("Memory", "memory", sort)}<th scope="col">"Quota"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table></div>
        </section>
    }
}

#[component]
fn HeatmapSection(id: Signal<i64>) -> impl IntoView {
    let by = RwSignal::new("node".to_owned());
    let metric = RwSignal::new(Metric::Cpu);
    let hours = RwSignal::new(24u32);
    let map = Resource::new(move || (id.get(), by.get(), metric.get(), hours.get()), |(id, by, metric, hours)| cluster_heatmap(id, by, metric, hours));
    view! {
        <section aria-labelledby="heat-h" class="heatmap">
            <h2 id="heat-h">"Utilisation over time"</h2>
            <div class="fleet-toolbar">
                <label>"Rows"<select on:change=move |ev| by.set(event_target_value(&ev))>
                    <option value="node">"Nodes"</option><option value="namespace">"Namespaces"</option></select></label>
                <label>"Metric"<select on:change=move |ev| metric.set(Metric::parse(&event_target_value(&ev)))>
                    {Metric::ALL.map(|m| view! { <option value=m.as_str()>{m.label()}</option> }).collect_view()}</select></label>
                <label>"Period"<select on:change=move |ev| hours.set(event_target_value(&ev).parse().unwrap_or(24))>
                    <option value="24">"Last 24 hours (hourly)"</option><option value="1">"Last hour (per minute)"</option></select></label>
            </div>
            <Loaded resource=map loading="Loading history…" render=move |m: Heatmap| { let b = by.get_untracked(); let nodes_of = (b == "node").then(|| id.get_untracked()); heat_view(m, b, metric.get_untracked(), nodes_of) }/>
        </section>
    }
}

/// The heatmap with a readout of the cell under the pointer. `nodes_of`: the cluster whose
/// nodes are the rows; a click on a row (or its link below) opens that node's page.
pub(crate) fn heat_view(map: Heatmap, by: String, metric: Metric, nodes_of: Option<i64>) -> AnyView {
    if map.rows.is_empty() {
        return view! { <p class="muted">"No history yet: Flotilla saves a utilisation snapshot every minute once the cluster is connected."</p> }.into_any();
    }
    let title = format!("{} utilisation by {} (usage when measured, else requests; grey = no snapshot)", metric.label(), by);
    let (svg, g) = charts::heatmap(&map, &title, crate::time::zone());
    let readout = RwSignal::new(String::new());
    let map = StoredValue::new(map);
    // The (row, column) of the cell under the pointer.
    let cell_at = move |ev: &leptos::ev::MouseEvent| -> Option<(usize, usize)> {
        use wasm_bindgen::JsCast;
        let el = ev.current_target().and_then(|t| t.dyn_into::<web_sys::Element>().ok())?;
        let rect = el.get_bounding_client_rect();
        // The chart may be drawn smaller than its natural width.
        let scale = if rect.width() > 0.0 { f64::from(charts::HEAT_WIDTH) / rect.width() } else { 1.0 };
        let (x, y) = ((f64::from(ev.client_x()) - rect.left()) * scale, (f64::from(ev.client_y()) - rect.top()) * scale);
        let (col, row) = (((x - g.left) / g.cell_w).floor(), ((y - g.top) / g.cell_h).floor());
        (col >= 0.0 && row >= 0.0 && (col as usize) < g.cols && (row as usize) < g.rows).then_some((row as usize, col as usize))
    };
    let node_href = move |name: &str| nodes_of.map(|id| format!("/clusters/{id}/nodes/{}", crate::links::query_value(name)));
    let on_move = move |ev: leptos::ev::MouseEvent| {
        let text = cell_at(&ev).map_or_else(String::new, |(row, col)| {
            map.with_value(|map| {
                let r = &map.rows[row];
                let when = when_ms(map.times_ms[col]);
                let open = if nodes_of.is_some() { " · click to open the node" } else { "" };
                match r.values[col] {
                    Some(v) => format!("{} · from {when}: {}{open}", r.name, percent(v)),
                    None => format!("{} · from {when}: no snapshot{open}", r.name),
                }
            })
        });
        readout.set(text);
    };
    let navigate = leptos_router::hooks::use_navigate();
    let on_click = move |ev: leptos::ev::MouseEvent| {
        if let Some(href) = cell_at(&ev).and_then(|(row, _)| map.with_value(|m| node_href(&m.rows[row].name))) {
            navigate(&href, Default::default());
        }
    };
    let links = nodes_of.map(|_| {
        map.with_value(|m| {
            view! {
                <p class="heatmap__nodes muted">"Open a node: "
                    {m.rows.iter().map(|r| view! { <a href=node_href(&r.name)>{r.name.clone()}</a>" " }).collect_view()}
                </p>
            }
        })
    });
    view! {
        <div class="heatmap__chart" class:heatmap__chart--links=nodes_of.is_some() on:mousemove=on_move on:click=on_click
            on:mouseleave=move |_| readout.set(String::new()) inner_html=svg></div>
        <p class="heatmap__readout" role="status">{move || { let t = readout.get(); if t.is_empty() { "Point at a cell to read it.".to_owned() } else { t } }}</p>
        {links}
        <div class="legend" inner_html=crate::fleetmap::legend(metric)></div>
    }
    .into_any()
}
