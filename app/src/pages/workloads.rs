//! My workloads: every workload of the caller's projects, with its state on each cluster (live).
use crate::api::workloads::list_workloads;
use crate::components::{empty_state::EmptyState, loaded::Loaded, page_header::PageHeader, poll};
use flotilla_domain::{ClusterRollout, Phase, WorkloadSummary};
use leptos::prelude::*;

#[component]
pub fn WorkloadsPage() -> impl IntoView {
    let workloads = Resource::new(|| (), |_| list_workloads(None));
    poll::every(3000, move || workloads.refetch());
    view! {
        <PageHeader title="Workloads" subtitle="The containers of your projects, and how they are doing on each cluster."/>
        <div class="actions"><a class="button button--primary" href="/workloads/new">"Register a container"</a></div>
        <Loaded resource=workloads loading="Loading workloads…" render=workload_table/>
    }
}

/// The badge class of a phase.
pub fn phase_class(p: Phase) -> &'static str {
    match p {
        Phase::Available => "badge badge--ok",
        Phase::Failed => "badge badge--bad",
        Phase::Progressing | Phase::Pending => "badge badge--info",
        Phase::Paused | Phase::Removing => "badge badge--warn",
    }
}

/// One cluster's state as a chip: "tokyo-prod · Available 2/2", the reason on hover.
pub fn rollout_chip(r: &ClusterRollout) -> impl IntoView + use<> {
    view! {
        <span class=phase_class(r.phase) title=r.message.clone() data-cluster=r.cluster.clone() data-phase=r.phase.as_str()>
            {format!("{} · {} {}/{}", r.cluster, r.phase.label(), r.ready, r.replicas)}
        </span>
    }
}

fn workload_table(list: Vec<WorkloadSummary>) -> AnyView {
    if list.is_empty() {
        return view! {
            <EmptyState title="No workloads yet">
                <p>"Register a container and Flotilla picks a cluster with room, deploys it and keeps it running. "
                   <a href="/workloads/new">"Register the first one"</a>"."</p>
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <div class="table-wrap"><table class="data-table" id="workloads-table">
            <thead><tr><th scope="col">"Workload"</th><th scope="col">"Project"</th><th scope="col">"Image"</th>
                <th scope="col">"Replicas"</th><th scope="col">"Clusters"</th><th scope="col">"Registered by"</th></tr></thead>
            <tbody>{list.into_iter().map(|w| {
                let overall = w.overall();
                view! {
                    <tr data-workload=w.name.clone() data-phase=overall.as_str()>
                        <td><a href=format!("/workloads/{}", w.id)><strong>{w.name.clone()}</strong></a>
                            {w.paused.then(|| view! { " " <span class="badge badge--warn">"paused"</span> })}</td>
                        <td class="mono">{w.project.clone()}</td>
                        <td class="mono">{w.image.clone()}</td>
                        <td>{w.replicas}</td>
                        <td class="chips">{w.rollouts.iter().map(rollout_chip).collect_view()}</td>
                        <td class="muted">{w.created_by.clone()}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}
