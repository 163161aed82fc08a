//! My workloads: every workload of the caller's projects, with its state on each cluster (live).
use crate::api::workloads::{SaveProjectQuota, list_project_quotas, list_workloads};
use crate::components::{empty_state::EmptyState, error_view::action_error, loaded::Loaded, page_header::PageHeader, poll};
use flotilla_domain::{ClusterRollout, Phase, ProjectQuota, QuotaChange, QuotaInput, WorkloadSummary};
use leptos::prelude::*;

#[component]
pub fn WorkloadsPage() -> impl IntoView {
    let workloads = Resource::new(|| (), |_| list_workloads(None));
    poll::every(3000, move || workloads.refetch());
    view! {
        <PageHeader title="Workloads" subtitle="The containers of your projects, and how they are doing on each cluster."/>
        <div class="actions"><a class="button button--primary" href="/workloads/new">"Register a container"</a></div>
        <Loaded resource=workloads loading="Loading workloads…" render=workload_table/>
        <ProjectQuotas/>
    }
}

/// Each project's quota, applied in its namespace on every cluster; owners edit it within the ceiling.
#[component]
fn ProjectQuotas() -> impl IntoView {
    let save = ServerAction::<SaveProjectQuota>::new();
    let quotas = Resource::new(move || save.version().get(), |_| list_project_quotas());
    let render = move |list: Vec<ProjectQuota>| quota_table(list, save);
    view! {
        <section aria-labelledby="quotas-h">
            <h2 id="quotas-h">"Project quotas"</h2>
            <p class="muted">"Each project's namespace on every cluster gets this ResourceQuota, so one team's heavy work cannot crowd out the others."</p>
            {move || action_error(save.value().get())}
            <Loaded resource=quotas loading="Loading quotas…" render/>
        </section>
    }
}

fn quota_table(list: Vec<ProjectQuota>, save: ServerAction<SaveProjectQuota>) -> AnyView {
    view! {
        <div class="table-wrap"><table class="data-table" id="quota-table">
            <thead><tr><th scope="col">"Project"</th><th scope="col">"CPU"</th><th scope="col">"Memory"</th><th scope="col">"Pods"</th><th scope="col">"GPUs"</th>
                <th scope="col">"Ceiling (set by administrators)"</th><th scope="col"><span class="sr-only">"Save"</span></th></tr></thead>
            <tbody>{list.into_iter().map(|q| {
                let (cpu, memory, pods, gpus) = (RwSignal::new(q.cpu.clone()), RwSignal::new(q.memory.clone()), RwSignal::new(q.pods.to_string()), RwSignal::new(q.gpus.to_string()));
                let (max_cpu, max_memory, max_pods, max_gpus) = (RwSignal::new(q.max_cpu.clone()), RwSignal::new(q.max_memory.clone()), RwSignal::new(q.max_pods.to_string()), RwSignal::new(q.max_gpus.to_string()));
                let (id, edit, edit_max) = (q.project_id, q.may_edit, q.may_edit_max);
                let count = |s: RwSignal<String>| s.get_untracked().trim().parse().unwrap_or(0);
                let submit = move |_| {
                    let max = edit_max.then(|| QuotaInput { cpu: max_cpu.get_untracked(), memory: max_memory.get_untracked(), pods: count(max_pods), gpus: count(max_gpus) });
                    let quota = QuotaInput { cpu: cpu.get_untracked(), memory: memory.get_untracked(), pods: count(pods), gpus: count(gpus) };
                    save.dispatch(SaveProjectQuota { project_id: id, change: QuotaChange { quota, max } });
                };
                view! {
                    <tr data-project=q.project.clone()>
                        <td class="mono">{q.project.clone()}</td>
                        <td><input type="text" aria-label=format!("{} CPU quota", q.project) bind:value=cpu disabled=!edit size="6"/></td>
                        <td><input type="text" aria-label=format!("{} memory quota", q.project) bind:value=memory disabled=!edit size="8"/></td>
                        <td><input type="text" aria-label=format!("{} pod quota", q.project) bind:value=pods disabled=!edit size="5"/></td>
                        <td><input type="text" aria-label=format!("{} GPU quota", q.project) bind:value=gpus disabled=!edit size="3"/></td>
                        <td>{if edit_max { view! {
                            <input type="text" aria-label=format!("{} CPU ceiling", q.project) bind:value=max_cpu size="6"/>
                            <input type="text" aria-label=format!("{} memory ceiling", q.project) bind:value=max_memory size="8"/>
                            <input type="text" aria-label=format!("{} pod ceiling", q.project) bind:value=max_pods size="5"/>
                            <input type="text" aria-label=format!("{} GPU ceiling", q.project) bind:value=max_gpus size="3"/>
                        }.into_any() } else { view! { <span class="muted mono">{format!("{} CPU, {}, {} pods, {} GPUs", q.max_cpu, q.max_memory, q.max_pods, q.max_gpus)}</span> }.into_any() }}</td>
                        <td>{edit.then(|| view! { <button type="button" class="button" on:click=submit>"Save"</button> })}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
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
                        <td class="chips">{if w.rollouts.is_empty() {
                            // Scheduled work outside its windows, or low-priority work waiting for room.
                            view! { <span class="muted" data-testid="not-running">"Not running now: waiting for its window or for room (see Schedules)"</span> }.into_any()
                        } else {
                            w.rollouts.iter().map(rollout_chip).collect_view().into_any()
                        }}</td>
                        <td class="muted">{w.created_by.clone()}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}
