//! The Costs page: what each project's namespaces cost, across every cluster.
use crate::api::fleet::list_clusters;
use crate::components::{empty_state::EmptyState, loaded::Loaded, page_header::PageHeader};
use flotilla_domain::ClusterSummary;
use leptos::prelude::*;

#[component]
pub fn CostsPage() -> impl IntoView {
    let clusters = Resource::new(|| (), |_| list_clusters());
    view! {
        <PageHeader title="Costs" subtitle="Cost per project and namespace, split by CPU, memory and pod slots."/>
        <Loaded resource=clusters loading="Loading cost data…" render=cost_overview/>
    }
}

fn cost_overview(clusters: Vec<ClusterSummary>) -> AnyView {
    let reason = if clusters.is_empty() {
        "Costs are computed from the nodes of registered clusters, and no cluster is registered yet."
    } else {
        "Costs are computed from instance prices, and no price catalogue has been set up yet."
    };
    view! {
        <EmptyState title="No cost data yet">
            <p>{reason}</p>
            <p>"Once clusters and prices are in place, this page shows each project's cost per hour, its history and its budget."</p>
        </EmptyState>
    }
    .into_any()
}
