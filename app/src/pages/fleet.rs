//! The Fleet page: every registered cluster at a glance.
use crate::api::fleet::list_clusters;
use crate::components::{empty_state::EmptyState, loaded::Loaded, page_header::PageHeader};
use flotilla_domain::ClusterSummary;
use leptos::prelude::*;

#[component]
pub fn FleetPage() -> impl IntoView {
    let clusters = Resource::new(|| (), |_| list_clusters());
    view! {
        <PageHeader title="Fleet" subtitle="Every Kubernetes cluster Flotilla manages, in one place."/>
        <Loaded resource=clusters loading="Loading clusters…" render=cluster_table/>
    }
}

fn cluster_table(clusters: Vec<ClusterSummary>) -> AnyView {
    if clusters.is_empty() {
        return view! {
            <EmptyState title="No clusters yet">
                <p>"Flotilla shows every registered Kubernetes cluster here, with its health, capacity and cost."</p>
                <p>"An administrator registers clusters in "<a href="/admin">"Admin"</a>
                   " from a kubeconfig. To explore with a simulated fleet instead, start the portal with "
                   <code>"flotilla demo"</code>"."</p>
            </EmptyState>
        }
        .into_any();
    }
    let count = clusters.len();
    view! {
        <p class="summary">{format!("{count} cluster{} registered", if count == 1 { "" } else { "s" })}</p>
        <div class="table-wrap">
            <table class="data-table">
                <thead>
                    <tr><th scope="col">"Cluster"</th><th scope="col">"Provider"</th><th scope="col">"Region"</th>
                        <th scope="col">"Environment"</th><th scope="col">"Status"</th></tr>
                </thead>
                <tbody>
                    {clusters.into_iter().map(|c| view! {
                        <tr>
                            <td><strong>{c.display_name.clone()}</strong>
                                {(c.display_name != c.name).then(|| view! { <br/><span class="muted mono">{c.name}</span> })}
                            </td>
                            <td>{c.provider.label()}</td>
                            <td class="mono">{c.region}</td>
                            <td>{c.environment}</td>
                            <td>{if c.enabled {
                                view! { <span class="badge badge--ok">"Enabled"</span> }.into_any()
                            } else {
                                view! { <span class="badge badge--off">"Disabled"</span> }.into_any()
                            }}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
