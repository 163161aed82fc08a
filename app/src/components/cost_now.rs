//! "What it costs now" sections: a cluster's cost per hour by namespace (with idle capacity for
//! those who see the whole cluster), and a workload's cost on each of its clusters.
use crate::api::fleet::cluster_costs_now;
use crate::api::workloads::workload_costs_now;
use crate::components::loaded::Loaded;
use flotilla_domain::LiveCosts;
use flotilla_domain::format::money;
use flotilla_domain::placement::HOURS_PER_MONTH;
use leptos::prelude::*;
use std::collections::BTreeMap;

/// A cluster's cost now, per namespace.
#[component]
pub fn ClusterCostSection(id: Signal<i64>) -> impl IntoView {
    let costs = Resource::new(move || id.get(), cluster_costs_now);
    view! {
        <section aria-labelledby="cost-h" data-testid="cluster-costs">
            <h2 id="cost-h">"Cost now"</h2>
            <Loaded resource=costs loading="Pricing the cluster…" render=cluster_cost_view/>
        </section>
    }
}

fn cluster_cost_view(live: Option<LiveCosts>) -> AnyView {
    let Some(l) = live else {
        return view! { <p class="muted">"No cost yet: the cluster has not been listed (it may be unreachable)."</p> }.into_any();
    };
    let cur = l.currency.clone();
    let mut by_ns: BTreeMap<String, f64> = BTreeMap::new();
    for (ns, _, c) in &l.lines {
        *by_ns.entry(ns.clone()).or_default() += c;
    }
    let mut rows: Vec<(String, f64)> = by_ns.into_iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    let summary = match (l.per_hour, l.idle) {
        (Some(total), Some(idle)) => Some(view! {
            <p data-testid="cluster-cost-summary"><strong>{format!("{} an hour", money(total, &cur))}</strong>
                {format!(" (≈ {} a month), of which idle: {} ({:.0} %)", money(total * HOURS_PER_MONTH, &cur), money(idle, &cur), if total > 0.0 { idle / total * 100.0 } else { 0.0 })}</p>
        }),
        _ => None,
    };
    view! {
        {summary}
        {(!l.unpriced.is_empty()).then(|| view! { <p class="notice notice--warn">{format!("Not priced (set prices in Admin → Costs and prices): {}", l.unpriced.join(", "))}</p> })}
        <div class="table-wrap"><table class="data-table" data-testid="namespace-costs">
            <thead><tr><th scope="col">"Namespace"</th><th scope="col" class="num">"Per hour"</th><th scope="col" class="num">"Per month"</th></tr></thead>
            <tbody>{rows.into_iter().map(|(ns, c)| view! {
                <tr data-namespace=ns.clone()><td class="mono">{ns.clone()}</td><td class="num mono">{money(c, &cur)}</td><td class="num mono">{money(c * HOURS_PER_MONTH, &cur)}</td></tr>
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

/// A workload's cost now on each cluster it runs on.
#[component]
pub fn WorkloadCostSection(id: Signal<i64>) -> impl IntoView {
    let costs = Resource::new(move || id.get(), workload_costs_now);
    view! {
        <section aria-labelledby="wl-cost-h" data-testid="workload-costs">
            <h2 id="wl-cost-h">"Cost now"</h2>
            <Loaded resource=costs loading="Pricing the workload…" render=workload_cost_view/>
        </section>
    }
}

fn workload_cost_view(rows: Vec<(String, f64, String)>) -> AnyView {
    if rows.is_empty() {
        return view! { <p class="muted">"Not running anywhere yet, so it costs nothing."</p> }.into_any();
    }
    let cur = rows[0].2.clone();
    let total: f64 = rows.iter().map(|r| r.1).sum();
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"Cluster"</th><th scope="col" class="num">"Per hour"</th><th scope="col" class="num">"Per month"</th></tr></thead>
            <tbody>{rows.into_iter().map(|(c, v, cur)| view! {
                <tr><td>{c}</td><td class="num mono">{money(v, &cur)}</td><td class="num mono">{money(v * HOURS_PER_MONTH, &cur)}</td></tr>
            }).collect_view()}
            <tr class="total"><td>"All clusters"</td><td class="num mono">{money(total, &cur)}</td><td class="num mono">{money(total * HOURS_PER_MONTH, &cur)}</td></tr></tbody>
        </table></div>
    }
    .into_any()
}
