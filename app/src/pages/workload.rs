//! One workload: its state on every cluster (live), pods, recent events, a pod's log, and the
//! lifecycle actions — scale, change image, roll back, pause/resume, move, delete.
use super::workloads::{phase_class, rollout_chip};
use crate::api::fleet::list_clusters;
use crate::api::workloads::{ActOnWorkload, WorkloadAction, load_workload, workload_log};
use crate::components::{error_view::action_error, loaded::Loaded, page_header::PageHeader, poll};
use flotilla_domain::{ClusterSummary, WorkloadDetail};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

#[component]
pub fn WorkloadPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let act = ServerAction::<ActOnWorkload>::new();
    let detail = Resource::new(move || (id(), act.version().get()), |(id, _)| load_workload(id));
    poll::every(2000, move || detail.refetch());
    // Deleted everywhere: back to the list.
    Effect::new(move |_| {
        if let Some(Ok(None)) = act.value().get() {
            leptos_router::hooks::use_navigate()("/workloads", Default::default());
        }
    });
    let render = move |d: WorkloadDetail| detail_view(d, act);
    view! {
        <PageHeader title="Workload" subtitle="Where it runs, how it is doing, and what you can change."/>
        {move || action_error(act.value().get())}
        <Loaded resource=detail loading="Loading the workload…" render/>
    }
}

fn detail_view(d: WorkloadDetail, act: ServerAction<ActOnWorkload>) -> AnyView {
    let s = d.summary.clone();
    let id = s.id;
    let overall = s.overall();
    view! {
        <section class="workload" data-workload=s.name.clone()>
            <h2>{s.name.clone()}" "<span class=phase_class(overall) data-testid="overall">{overall.label()}</span>
                {s.paused.then(|| view! { " " <span class="badge badge--warn">"paused"</span> })}</h2>
            <dl class="facts">
                <dt>"Project"</dt><dd class="mono">{s.project.clone()}</dd>
                <dt>"Image"</dt><dd class="mono" data-testid="image">{s.image.clone()}</dd>
                <dt>"Replicas"</dt><dd data-testid="replicas">{s.replicas}</dd>
                <dt>"Requests per replica"</dt><dd class="mono">{format!("{} CPU, {} memory", flotilla_domain::inventory::format_cpu(d.spec.requests.cpu_m), flotilla_domain::inventory::format_bytes(d.spec.requests.mem_b))}</dd>
                <dt>"Revision"</dt><dd>{s.revision}</dd>
                <dt>"Registered by"</dt><dd>{s.created_by.clone()}</dd>
            </dl>
            <h3>"Clusters"</h3>
            <ul class="rollouts">{s.rollouts.iter().map(|r| view! {
                <li>{rollout_chip(r)}" "<span class="muted">{r.message.clone()}</span></li>
            }).collect_view()}</ul>
            {d.may_change.then(|| actions(&d, act))}
            <h3>"Pods"</h3>
            {pods_view(&d, id)}
            <h3>"Recent events"</h3>
            {d.problems.iter().map(|p| view! { <p class="notice notice--error">{format!("Events could not be read from {p}")}</p> }).collect_view()}
            {if d.events.is_empty() { view! { <p class="muted">"No events yet."</p> }.into_any() } else { view! {
                <div class="table-wrap"><table class="data-table" id="events-table">
                    <thead><tr><th scope="col">"When"</th><th scope="col">"Cluster"</th><th scope="col">"Type"</th><th scope="col">"Reason"</th><th scope="col">"Object"</th><th scope="col">"Message"</th></tr></thead>
                    <tbody>{d.events.iter().map(|e| view! {
                        <tr><td class="mono">{e.at.clone()}</td><td>{e.cluster.clone()}</td><td>{e.kind.clone()}</td><td>{e.reason.clone()}</td><td class="mono">{e.object.clone()}</td><td>{e.message.clone()}</td></tr>
                    }).collect_view()}</tbody>
                </table></div>
            }.into_any() }}
        </section>
    }
    .into_any()
}

fn pods_view(d: &WorkloadDetail, id: i64) -> AnyView {
    if d.pods.is_empty() {
        return view! { <p class="muted">"No pods yet."</p> }.into_any();
    }
    let chosen = RwSignal::new(None::<(i64, String)>);
    let follow = RwSignal::new(true);
    let log = Resource::new(move || chosen.get(), move |c| async move {
        match c {
            Some((cluster, pod)) => workload_log(id, cluster, pod).await.map(Some),
            None => Ok(None),
        }
    });
    poll::every(2000, move || if follow.get_untracked() && chosen.with_untracked(Option::is_some) { log.refetch() });
    view! {
        <div class="table-wrap"><table class="data-table" id="pods-table">
            <thead><tr><th scope="col">"Pod"</th><th scope="col">"Cluster"</th><th scope="col">"Node"</th><th scope="col">"Phase"</th><th scope="col">"Restarts"</th><th scope="col"><span class="sr-only">"Log"</span></th></tr></thead>
            <tbody>{d.pods.iter().map(|p| {
                let key = (p.cluster_id, p.name.clone());
                view! {
                    <tr data-pod=p.name.clone()><td class="mono">{p.name.clone()}</td><td>{p.cluster.clone()}</td><td class="mono">{p.node.clone().unwrap_or_else(|| "—".into())}</td>
                        <td>{p.phase.clone()}</td><td>{p.restarts}</td>
                        <td><button type="button" class="button button--quiet" on:click=move |_| chosen.set(Some(key.clone()))>"Show log"</button></td></tr>
                }
            }).collect_view()}</tbody>
        </table></div>
        {move || chosen.get().map(|(_, pod)| view! {
            <div class="log">
                <p><strong>{format!("Log of {pod}")}</strong>" "
                    <label class="check"><input type="checkbox" prop:checked=move || follow.get() on:change=move |ev| follow.set(event_target_checked(&ev))/>"Follow"</label></p>
                <pre class="log__text" data-testid="pod-log">{move || match log.get() {
                    None => "Reading the log…".to_owned(),
                    Some(Ok(Some(text))) if text.is_empty() => "(the log is empty)".to_owned(),
                    Some(Ok(Some(text))) => text,
                    Some(Ok(None)) => String::new(),
                    Some(Err(e)) => e.to_string(),
                }}</pre>
            </div>
        })}
    }
    .into_any()
}

fn actions(d: &WorkloadDetail, act: ServerAction<ActOnWorkload>) -> AnyView {
    let s = &d.summary;
    let id = s.id;
    let replicas = RwSignal::new(s.replicas.to_string());
    let image = RwSignal::new(s.image.clone());
    let running: Vec<(i64, String)> = s.rollouts.iter().map(|r| (r.cluster_id, r.cluster.clone())).collect();
    let move_from = RwSignal::new(running.first().map(|r| r.0).unwrap_or_default());
    let move_to = RwSignal::new(0i64);
    let confirm_delete = RwSignal::new(false);
    let clusters = Resource::new(|| (), |_| list_clusters());
    let paused = s.paused;
    let can_roll_back = s.can_roll_back;
    let send = move |action: WorkloadAction| {
        act.dispatch(ActOnWorkload { id, action });
    };
    let targets = move || -> Vec<ClusterSummary> { clusters.get().and_then(Result::ok).unwrap_or_default().into_iter().filter(|c| c.enabled).collect() };
    let running_for_delete = running.clone();
    view! {
        <div class="workload-actions" aria-label="Actions">
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); match replicas.get_untracked().trim().parse() {
                Ok(n) => send(WorkloadAction::Scale { replicas: n }),
                Err(_) => send(WorkloadAction::Scale { replicas: 0 }),
            } }>
                <label>"Replicas"<input type="number" min="1" max="100" name="replicas" bind:value=replicas/></label>
                <button type="submit" class="button">"Scale"</button>
            </form>
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); send(WorkloadAction::SetImage { image: image.get_untracked() }); }>
                <label>"Image"<input type="text" name="image" bind:value=image/></label>
                <button type="submit" class="button">"Change image"</button>
            </form>
            <div class="inline-form">
                <button type="button" class="button" prop:disabled=!can_roll_back on:click=move |_| send(WorkloadAction::RollBack)>"Roll back"</button>
                <button type="button" class="button" on:click=move |_| send(if paused { WorkloadAction::Resume } else { WorkloadAction::Pause })>
                    {if paused { "Resume" } else { "Pause" }}</button>
            </div>
            <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); send(WorkloadAction::Move { from: move_from.get_untracked(), to: move_to.get_untracked() }); }>
                <label>"Move from"<select name="from" on:change=move |ev| move_from.set(event_target_value(&ev).parse().unwrap_or(0))>
                    {running.iter().map(|(cid, name)| view! { <option value=cid.to_string()>{name.clone()}</option> }).collect_view()}
                </select></label>
                <label>"to"<select name="to" on:change=move |ev| move_to.set(event_target_value(&ev).parse().unwrap_or(0))>
                    <option value="0">"Choose a cluster"</option>
                    {move || targets().into_iter().map(|c| view! { <option value=c.id.to_string()>{c.name}</option> }).collect_view()}
                </select></label>
                <button type="submit" class="button">"Move"</button>
            </form>
            <div class="inline-form">
                {move || if confirm_delete.get() {
                    view! {
                        <button type="button" class="button button--danger" on:click=move |_| send(WorkloadAction::Delete { cluster: None })>"Delete from every cluster"</button>
                        {running_for_delete.iter().map(|(cid, name)| { let cid = *cid; view! {
                            <button type="button" class="button button--quiet" on:click=move |_| send(WorkloadAction::Delete { cluster: Some(cid) })>{format!("Only from {name}")}</button>
                        }}).collect_view()}
                        <button type="button" class="button button--quiet" on:click=move |_| confirm_delete.set(false)>"Keep it"</button>
                    }.into_any()
                } else {
                    view! { <button type="button" class="button button--quiet" on:click=move |_| confirm_delete.set(true)>"Delete…"</button> }.into_any()
                }}
            </div>
        </div>
    }
    .into_any()
}
