//! A node's page: what it is, how full it is, and the pods on it the person may see — each with
//! its namespace, project, requests, usage and what it costs now. Reached from the cluster
//! page's node table and the topology's node panel.
use crate::api::fleet::load_node;
use crate::components::loaded::Loaded;
use crate::pages::cluster::{node_badge, usage_cell, used_and_requested};
use flotilla_domain::NodeDetail;
use flotilla_domain::format::money;
use flotilla_domain::inventory::{format_bytes, format_cpu};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn NodePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(-1));
    let node = move || params.with(|p| p.get("node").unwrap_or_default());
    let detail = Resource::new(move || (id(), node()), |(id, node)| load_node(id, node));
    view! { <Loaded resource=detail loading="Loading the node…" render=node_view/> }
}

fn node_view(d: NodeDetail) -> AnyView {
    let n = &d.node;
    let count = d.pods.len();
    let total: Option<f64> = d.pods.iter().map(|p| p.cost_per_hour).sum();
    view! {
        <Title text=n.name.clone()/>
        <header class="page-header">
            <p class="breadcrumb"><a href="/fleet">"Fleet"</a>" / "<a href=format!("/clusters/{}", d.cluster_id)>{d.cluster.clone()}</a>" / node"</p>
            <h1 class="mono">{n.name.clone()}{node_badge(n)}</h1>
            <p class="muted">{format!("{} · {}", if n.instance_type.is_empty() { "unknown instance type" } else { n.instance_type.as_str() }, if n.ready { "ready" } else { "NOT READY" })}</p>
        </header>
        <dl class="facts" data-testid="node-facts">
            <dt>"CPU"</dt><dd>{usage_cell(n.used.map(|u| u.cpu_m), n.requested.cpu_m, n.allocatable.cpu_m, format_cpu)}</dd>
            <dt>"Memory"</dt><dd>{usage_cell(n.used.map(|u| u.mem_b), n.requested.mem_b, n.allocatable.mem_b, format_bytes)}</dd>
            <dt>"Pods"</dt><dd>{format!("{} of {}", n.pods, n.allocatable_pods)}</dd>
            {total.map(|t| view! { <dt>"Your pods cost now"</dt><dd>{format!("{} per hour", money(t, &d.currency))}</dd> })}
        </dl>
        {n.refuses.clone().map(|why| view! { <p class="notice notice--warn" role="status">{why}</p> })}
        <h2>{format!("Pods on this node you may see ({count})")}</h2>
        {if d.pods.is_empty() {
            view! { <p class="muted">"No pods you may see run on this node."</p> }.into_any()
        } else {
            let currency = d.currency.clone();
            view! {
                <div class="table-wrap"><table class="data-table" id="node-pods">
                    <thead><tr><th scope="col">"Pod"</th><th scope="col">"Namespace"</th><th scope="col">"Project"</th><th scope="col">"Phase"</th>
                        <th scope="col">"CPU (used of requested)"</th><th scope="col">"Memory"</th><th scope="col">"Cost now"</th></tr></thead>
                    <tbody>{d.pods.into_iter().map(|p| {
                        let cost = p.cost_per_hour.map_or_else(|| "no price".to_owned(), |c| format!("{}/h", money(c, &currency)));
                        view! {
                            <tr data-pod=p.pod.name.clone()>
                                <td><span class="mono">{p.pod.name.clone()}</span><br/><span class="muted">{p.pod.workload.clone()}</span></td>
                                <td class="mono">{p.pod.namespace.clone()}</td>
                                <td>{p.project.unwrap_or_else(|| "—".into())}</td>
                                <td>{p.pod.phase.clone()}{(p.pod.restarts > 0).then(|| format!(" ({} restarts)", p.pod.restarts))}</td>
                                <td>{used_and_requested(p.pod.used.map(|u| u.cpu_m), p.pod.requested.cpu_m, format_cpu)}</td>
                                <td>{used_and_requested(p.pod.used.map(|u| u.mem_b), p.pod.requested.mem_b, format_bytes)}</td>
                                <td class="num">{cost}</td>
                            </tr>
                        }
                    }).collect_view()}</tbody>
                </table></div>
            }.into_any()
        }}
        {(!d.metrics_live).then(|| view! { <p class="muted">"This cluster serves no metrics.k8s.io: usage is unknown, requests are shown."</p> })}
    }
    .into_any()
}
