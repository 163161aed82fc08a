//! Admin → Costs: every cluster's cost over a period with its idle share and control-plane fee,
//! every project's total, and pricing a period again after a price correction.
use crate::api::costs::{RecomputeCosts, SaveCostWeights, load_cost_weights, load_fleet_costs};
use crate::components::{date_input::DateInput, error_view::action_error, loaded::Loaded};
use flotilla_domain::format::money;
use flotilla_domain::{CostWeights, FleetCosts};
use leptos::prelude::*;

#[component]
pub fn FleetCostsSection() -> impl IntoView {
    let (from, to) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let recompute = ServerAction::<RecomputeCosts>::new();
    let costs = Resource::new(move || (from.get(), to.get(), recompute.version().get()), |(f, t, _)| load_fleet_costs(f, t));
    view! {
        <section aria-labelledby="fleet-costs-h" id="costs">
            <h2 id="fleet-costs-h">"Costs"</h2>
            <p class="muted">"What each cluster cost in the period (the last 7 days unless you choose), how much of it no workload used (idle), and each project's share. Project owners see their own on the Costs page."</p>
            <form class="inline-form" aria-label="Cost period" on:submit=|ev: leptos::ev::SubmitEvent| ev.prevent_default()>
                <DateInput label="From" name="from" value=from/>
                <DateInput label="To" name="to" value=to/>
                <button type="button" class="button button--quiet" on:click=move |_| { recompute.dispatch(RecomputeCosts { from: from.get_untracked(), to: to.get_untracked() }); }
                    title="Price every recorded hour of the period again with today's price catalogue">"Recompute with today's prices"</button>
            </form>
            {move || action_error(recompute.value().get())}
            {move || match recompute.value().get() { Some(Ok(n)) => Some(view! { <p class="notice" role="status">{format!("{n} cluster-hours priced again.")}</p> }), _ => None }}
            <Loaded resource=costs loading="Loading the fleet's costs…" render=fleet_costs_view/>
            <WeightsTable/>
        </section>
    }
}

/// How each cluster splits node prices into pools; changes apply to hours priced from now on.
#[component]
fn WeightsTable() -> impl IntoView {
    let save = ServerAction::<SaveCostWeights>::new();
    let list = Resource::new(move || save.version().get(), |_| load_cost_weights());
    let render = move |rows: Vec<(i64, String, CostWeights)>| {
        view! {
            <div class="table-wrap"><table class="data-table" data-testid="cost-weights">
                <thead><tr><th scope="col">"Cluster"</th><th scope="col">"CPU"</th><th scope="col">"Memory"</th><th scope="col">"Pod slots"</th>
                    <th scope="col">"GPU share of GPU nodes"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
                <tbody>{rows.into_iter().map(|(id, name, w)| {
                    let fields = [w.cpu, w.memory, w.pods, w.gpu].map(|v| RwSignal::new(v.to_string()));
                    let label = name.clone();
                    let input = move |i: usize, what: &'static str| view! {
                        <td><input type="text" inputmode="decimal" size="5" aria-label=format!("{what} weight of {label}") bind:value=fields[i]/></td>
                    };
                    let send = move |weights| { save.dispatch(SaveCostWeights { cluster_id: id, weights }); };
                    let read = move || {
                        let v = fields.map(|f| f.get_untracked().trim().parse::<f64>().unwrap_or(f64::NAN));
                        CostWeights { cpu: v[0], memory: v[1], pods: v[2], gpu: v[3] }
                    };
                    view! {
                        <tr><td>{name.clone()}</td>{input(0, "CPU")}{input(1, "Memory")}{input(2, "Pod slot")}{input(3, "GPU")}
                            <td class="actions">
                                <button type="button" class="button button--quiet" on:click=move |_| send(Some(read()))>"Save"</button>
                                <button type="button" class="button button--quiet" on:click=move |_| send(None)>"Defaults"</button>
                            </td></tr>
                    }
                }).collect_view()}</tbody>
            </table></div>
        }
    };
    view! {
        <h3>"Cost weights"</h3>
        <p class="muted">"How each cluster's node prices split into CPU, memory and pod-slot pools (relative weights), and what fraction of a GPU node's price pays for its GPUs. Defaults: 0.6 / 0.35 / 0.05, GPU 0.5. Changes apply to hours priced from now on; recompute a period to apply them to it."</p>
        {move || action_error(save.value().get())}
        <Loaded resource=list loading="Loading cost weights…" render/>
    }
}

fn fleet_costs_view(f: FleetCosts) -> AnyView {
    if f.clusters.is_empty() {
        return view! { <p class="muted">{format!("No cost was recorded from {} to {}.", f.from, f.to)}</p> }.into_any();
    }
    let cur = f.currency.clone();
    view! {
        <p class="muted">{format!("{} to {}", f.from, f.to)}</p>
        // Stacked, not side by side: the cluster table needs the page's width for its six columns.
        <div class="stacked">
            <div class="table-wrap"><table class="data-table" data-testid="cluster-cost-table">
                <thead><tr><th scope="col">"Cluster"</th><th scope="col" class="num">"Total"</th><th scope="col" class="num">"Used"</th>
                    <th scope="col" class="num">"Idle"</th><th scope="col" class="num">"Control plane"</th><th scope="col" class="num">"Hours observed"</th></tr></thead>
                <tbody>{f.clusters.iter().map(|c| {
                    let idle_pct = c.idle_percent();
                    view! {
                        <tr data-cluster=c.cluster.clone()>
                            <td><a href=format!("/clusters/{}", c.cluster_id)>{c.cluster.clone()}</a></td>
                            <td class="num mono">{money(c.total, &cur)}</td>
                            <td class="num mono">{money(c.used, &cur)}</td>
                            <td class="num mono" data-testid="idle">{format!("{} ({idle_pct:.0} %)", money(c.idle, &cur))}
                                <span class="bar" aria-hidden="true"><span class="bar__fill" style=format!("width:{idle_pct:.0}%")></span></span></td>
                            <td class="num mono">{money(c.control_plane, &cur)}</td>
                            <td class="num mono">{format!("{:.1}", c.observed_hours)}</td>
                        </tr>
                    }
                }).collect_view()}</tbody>
            </table></div>
            <div class="table-wrap"><table class="data-table" data-testid="project-cost-table">
                <thead><tr><th scope="col">"Project"</th><th scope="col" class="num">"Cost"</th></tr></thead>
                <tbody>{f.projects.iter().map(|(p, c)| view! {
                    <tr><td><a href=format!("/costs?project={p}")>{p.clone()}</a></td><td class="num mono">{money(*c, &cur)}</td></tr>
                }).collect_view()}</tbody>
            </table></div>
        </div>
    }
    .into_any()
}
