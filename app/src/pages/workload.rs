//! One workload: its state on every cluster (live), pods, recent events, a pod's log, and the
//! lifecycle actions — scale, change image, roll back, pause/resume, move, delete.
use super::workloads::{phase_class, rollout_chip};
use crate::api::fleet::list_clusters;
use crate::api::workloads::{ActOnWorkload, WorkloadAction, load_workload, workload_log};
use crate::components::{browser_data::BrowserData, error_view::action_error, loaded::Loaded, poll};
use flotilla_domain::{ClusterSummary, WorkloadDetail};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// What the person is doing on the page. It lives outside the part redrawn every 2 s, so
/// nothing typed or opened is lost when the status refreshes.
#[derive(Clone, Copy)]
struct Ui {
    act: ServerAction<ActOnWorkload>,
    replicas: RwSignal<String>,
    image: RwSignal<String>,
    move_from: RwSignal<i64>,
    move_to: RwSignal<i64>,
    confirm_delete: RwSignal<bool>,
    /// The pod whose log is shown (cluster id, pod name), and whether it refreshes.
    log_of: RwSignal<Option<(i64, String)>>,
    follow: RwSignal<bool>,
    log: BrowserData<Result<Option<String>, crate::error::AppError>>,
    clusters: BrowserData<Result<Vec<ClusterSummary>, crate::error::AppError>>,
}

#[component]
pub fn WorkloadPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let act = ServerAction::<ActOnWorkload>::new();
    let detail = Resource::new(move || (id(), act.version().get()), |(id, _)| load_workload(id));
    poll::every(2000, move || detail.refetch());
    let log_of = RwSignal::new(None::<(i64, String)>);
    let ui = Ui {
        act,
        replicas: RwSignal::new(String::new()),
        image: RwSignal::new(String::new()),
        move_from: RwSignal::new(0),
        move_to: RwSignal::new(0),
        confirm_delete: RwSignal::new(false),
        log_of,
        follow: RwSignal::new(true),
        log: BrowserData::new(move || {
            let (c, w) = (log_of.get(), id());
            async move {
                match c {
                    Some((cluster, pod)) => workload_log(w, cluster, pod).await.map(Some),
                    None => Ok(None),
                }
            }
        }),
        clusters: BrowserData::new(list_clusters),
    };
    poll::every(2000, move || {
        if ui.follow.get_untracked() && ui.log_of.with_untracked(Option::is_some) {
            ui.log.refetch()
        }
    });
    // The action fields start from the workload as first loaded, then follow each action's answer
    // (never the 2-second refresh, which would overwrite what is being typed).
    let seeded = RwSignal::new(false);
    Effect::new(move |_| {
        if !seeded.get_untracked()
            && let Some(Ok(d)) = detail.get()
        {
            ui.replicas.set(d.summary.replicas.to_string());
            ui.image.set(d.summary.image.clone());
            ui.move_from.set(d.summary.rollouts.first().map(|r| r.cluster_id).unwrap_or_default());
            seeded.set(true);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(Some(now))) = act.value().get() {
            ui.replicas.set(now.replicas.to_string());
            ui.image.set(now.image.clone());
            ui.confirm_delete.set(false);
        }
    });
    // Deleted everywhere: back to the list.
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(None)) = act.value().get() {
            navigate("/workloads", Default::default());
        }
    });
    let render = move |d: WorkloadDetail| detail_view(d, ui);
    view! {
        {move || action_error(act.value().get())}
        <Loaded resource=detail loading="Loading the workload…" render/>
        <crate::components::schedule_editor::ScheduleSection id=Signal::derive(id)/>
        <crate::components::cost_now::WorkloadCostSection id=Signal::derive(id)/>
    }
}

fn detail_view(d: WorkloadDetail, ui: Ui) -> AnyView {
    let act = ui.act;
    let s = d.summary.clone();
    let id = s.id;
    let overall = s.overall();
    view! {
        // The workload's own name heads the page and names the tab.
        <Title text=s.name.as_str().to_owned()/>
        <div class="page-header">
            <h1>{s.name.as_str().to_owned()}" "<span class=phase_class(overall) data-testid="overall">{overall.label()}</span>
                {s.paused.then(|| view! { " " <span class="badge badge--warn">"paused"</span> })}</h1>
            <p class="muted">{format!("A workload of {}: where it runs, how it is doing, and what you can change.", s.project)}</p>
        </div>
        <section class="workload" data-workload=s.name.clone()>
            <dl class="facts">
                <dt>"Project"</dt><dd class="mono">{s.project.clone()}</dd>
                <dt>"Image"</dt><dd class="mono" data-testid="image">{s.image.clone()}</dd>
                <dt>"Replicas"</dt><dd data-testid="replicas">{s.replicas}</dd>
                <dt>"Requests per replica"</dt><dd class="mono">{format!("{} CPU, {} memory", flotilla_domain::inventory::format_cpu(d.spec.requests.cpu_m), flotilla_domain::inventory::format_bytes(d.spec.requests.mem_b))}</dd>
                <dt>"Revision"</dt><dd>{s.revision}</dd>
                <dt>"Registered by"</dt><dd>{s.created_by.clone()}</dd>
            </dl>
            <h3>"Clusters"</h3>
            <ul class="rollouts">{s.rollouts.iter().map(|r| {
                let cluster = r.cluster_id;
                let retry = (d.may_change && r.phase == flotilla_domain::Phase::Failed).then(|| view! {
                    " "<button type="button" class="button button--quiet" on:click=move |_| { act.dispatch(ActOnWorkload { id, action: WorkloadAction::Retry { cluster } }); }>"Retry"</button>
                });
                view! { <li>{rollout_chip(r)}" "<span class="muted">{r.message.clone()}</span>{retry}</li> }
            }).collect_view()}</ul>
            {d.may_change.then(|| actions(&d, ui))}
            <h3>"Pods"</h3>
            {pods_view(&d, ui)}
            <h3>"Recent events"</h3>
            {d.problems.iter().map(|p| view! { <p class="notice notice--error">{format!("Events could not be read from {p}")}</p> }).collect_view()}
            {if d.events.is_empty() { view! { <p class="muted">"No events yet."</p> }.into_any() } else { view! {
                <div class="table-wrap"><table class="data-table" id="events-table">
                    <thead><tr><th scope="col">"When"</th><th scope="col">"Cluster"</th><th scope="col">"Type"</th><th scope="col">"Reason"</th><th scope="col">"Object"</th><th scope="col">"Message"</th></tr></thead>
                    <tbody>{d.events.iter().map(|e| view! {
                        <tr><td class="mono nowrap">{e.at.map(|t| move || crate::time::when(t))}</td><td>{e.cluster.clone()}</td><td>{e.kind.clone()}</td><td>{e.reason.clone()}</td><td class="mono">{e.object.clone()}</td><td>{e.message.clone()}</td></tr>
                    }).collect_view()}</tbody>
                </table></div>
            }.into_any() }}
        </section>
    }
    .into_any()
}

fn pods_view(d: &WorkloadDetail, ui: Ui) -> AnyView {
    if d.pods.is_empty() {
        return view! { <p class="muted">"No pods yet."</p> }.into_any();
    }
    let (chosen, follow, log) = (ui.log_of, ui.follow, ui.log);
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

fn actions(d: &WorkloadDetail, ui: Ui) -> AnyView {
    let act = ui.act;
    let s = &d.summary;
    let id = s.id;
    let (replicas, image, move_from, move_to, confirm_delete, clusters) = (ui.replicas, ui.image, ui.move_from, ui.move_to, ui.confirm_delete, ui.clusters);
    let running: Vec<(i64, String)> = s.rollouts.iter().map(|r| (r.cluster_id, r.cluster.clone())).collect();
    let paused = s.paused;
    let can_roll_back = s.can_roll_back;
    // Running on at least one cluster (a scheduled workload outside its window is not).
    let deployed = !running.is_empty();
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
                <button type="submit" class="button button--secondary">"Change image"</button>
            </form>
            // Only what applies now: a roll back once there is an earlier revision; pause and move
            // once it runs somewhere. One primary action (Scale); the others are quieter.
            {(can_roll_back || deployed).then(|| view! {
                <div class="inline-form">
                    {can_roll_back.then(|| view! { <button type="button" class="button button--secondary" on:click=move |_| send(WorkloadAction::RollBack)>"Roll back"</button> })}
                    {deployed.then(|| view! { <button type="button" class="button button--secondary" on:click=move |_| send(if paused { WorkloadAction::Resume } else { WorkloadAction::Pause })>
                        {if paused { "Resume" } else { "Pause" }}</button> })}
                </div>
            })}
            {deployed.then(|| view! {
                <form class="inline-form" on:submit=move |ev| { ev.prevent_default(); send(WorkloadAction::Move { from: move_from.get_untracked(), to: move_to.get_untracked() }); }>
                    <label>"Move from"<select name="from" prop:value=move || move_from.get().to_string() on:change=move |ev| move_from.set(event_target_value(&ev).parse().unwrap_or(0))>
                        {running.iter().map(|(cid, name)| view! { <option value=cid.to_string()>{name.clone()}</option> }).collect_view()}
                    </select></label>
                    <label>"to"<select name="to" prop:value=move || move_to.get().to_string() on:change=move |ev| move_to.set(event_target_value(&ev).parse().unwrap_or(0))>
                        <option value="0">"Choose a cluster"</option>
                        {move || targets().into_iter().map(|c| view! { <option value=c.id.to_string()>{c.name}</option> }).collect_view()}
                    </select></label>
                    <button type="submit" class="button button--secondary">"Move"</button>
                </form>
            })}
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
