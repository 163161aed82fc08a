//! One project: the clusters opened to it, its quota, members (owners add and remove them) and,
//! for administrators, its highest priority, archive state and deletion.
use crate::api::fleet::list_clusters;
use crate::api::projects::{ChangeProject, DeleteProject, RemoveProjectMember, SetProjectClusters, SetProjectMember, load_project};
use crate::components::{error_view::action_error, loaded::Loaded, page_header::PageHeader};
use crate::pages::admin_projects::cluster_picker;
use flotilla_domain::format::money;
use flotilla_domain::schedule::Priority;
use flotilla_domain::{ProjectChange, ProjectDetail};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

/// The page's actions; every one refetches the project when it finishes.
#[derive(Clone, Copy)]
struct Actions {
    member: ServerAction<SetProjectMember>,
    remove: ServerAction<RemoveProjectMember>,
    clusters: ServerAction<SetProjectClusters>,
    change: ServerAction<ChangeProject>,
    delete: ServerAction<DeleteProject>,
}

#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0));
    let a = Actions { member: ServerAction::new(), remove: ServerAction::new(), clusters: ServerAction::new(), change: ServerAction::new(), delete: ServerAction::new() };
    let versions = move || (a.member.version().get(), a.remove.version().get(), a.clusters.version().get(), a.change.version().get(), a.delete.version().get());
    let detail = Resource::new(move || (id(), versions()), |(id, _)| load_project(id));
    let render = move |d: ProjectDetail| project_view(d, a);
    view! {
        <PageHeader title="Project" subtitle="Its clusters, quota and members."/>
        <Loaded resource=detail loading="Loading the project…" render=render/>
        {move || action_error(a.member.value().get())}
        {move || action_error(a.remove.value().get())}
        {move || action_error(a.clusters.value().get())}
        {move || action_error(a.change.value().get())}
        {move || action_error(a.delete.value().get())}
        {move || a.delete.value().get().and_then(Result::ok).map(|said| view! {
            <p class="notice" role="status">{said.unwrap_or_else(|| "The project is deleted.".into())}</p>
        })}
    }
}

fn project_view(d: ProjectDetail, a: Actions) -> AnyView {
    let p = d.project.clone();
    let id = p.id;
    let opened: Vec<i64> = d.clusters.iter().map(|c| c.cluster_id).collect();
    let chosen = RwSignal::new(opened);
    let all_clusters = Resource::new(|| (), |_| list_clusters());
    let email = RwSignal::new(String::new());
    let role = RwSignal::new("developer".to_owned());
    let priority = RwSignal::new(p.max_priority.as_str().to_owned());
    let confirm = RwSignal::new(false);
    let cluster_names = if d.clusters.is_empty() { "none yet".to_owned() } else { d.clusters.iter().map(|c| c.cluster.clone()).collect::<Vec<_>>().join(", ") };
    let q = d.quota.clone();
    view! {
        <section aria-labelledby="project-h">
            <h2 id="project-h">{p.display_name.clone()} " " <span class="mono muted">{p.name.clone()}</span>
                {p.archived.then(|| view! { " " <span class="badge">"archived"</span> })}</h2>
            <dl class="facts">
                <dt>"Namespace on each cluster"</dt><dd class="mono">{p.name.clone()}</dd>
                <dt>"Clusters opened to it"</dt><dd>{cluster_names}</dd>
                <dt>"Quota on each cluster"</dt><dd>{format!("{} CPU, {} memory, {} pods, {} GPUs (ceiling {} CPU, {} memory, {} pods, {} GPUs)", q.cpu, q.memory, q.pods, q.gpus, q.max_cpu, q.max_memory, q.max_pods, q.max_gpus)}</dd>
                <dt>"Spend this month"</dt><dd data-testid="project-spend"><ProjectSpend project=p.name.clone()/></dd>
                <dt>"Highest priority"</dt><dd>{p.max_priority.as_str()}</dd>
                <dt>"Workloads"</dt><dd>{d.workloads}</dd>
            </dl>
        </section>
        {d.may_administer.then(|| view! {
            <section aria-labelledby="opened-h">
                <h2 id="opened-h">"Clusters"</h2>
                <p class="muted">"Its workloads are placed only on these clusters, in its namespace, within its quota."</p>
                <Loaded resource=all_clusters loading="Loading clusters…" render=move |list| cluster_picker(list, chosen)/>
                <button type="button" class="button" on:click=move |_| { a.clusters.dispatch(SetProjectClusters { project_id: id, clusters: chosen.get_untracked() }); }>"Save clusters"</button>
            </section>
        })}
        <section aria-labelledby="members-h">
            <h2 id="members-h">"Members"</h2>
            {member_table(&d, a)}
            {d.may_manage_members.then(|| view! {
                <form class="inline-form" aria-label="Add a member" on:submit=move |ev| {
                    ev.prevent_default();
                    a.member.dispatch(SetProjectMember { project_id: id, email: email.get_untracked(), role: role.get_untracked() });
                }>
                    <label>"E-mail"<input type="email" placeholder="dana@example.com" bind:value=email required/></label>
                    <label>"Role"
                        <select bind:value=role>
                            <option value="developer" selected>"developer"</option>
                            <option value="owner">"owner"</option>
                            <option value="viewer">"viewer"</option>
                        </select>
                    </label>
                    <button type="submit" class="button">"Add member"</button>
                </form>
            })}
        </section>
        {d.may_administer.then(|| view! {
            <section aria-labelledby="grant-h">
                <h2 id="grant-h">"Administration"</h2>
                <form class="inline-form" aria-label="Highest priority" on:submit=move |ev| {
                    ev.prevent_default();
                    let change = ProjectChange { max_priority: Priority::parse(&priority.get_untracked()), ..Default::default() };
                    a.change.dispatch(ChangeProject { project_id: id, change });
                }>
                    <label>"Highest priority"
                        <select bind:value=priority>
                            {Priority::ALL.map(|p| view! { <option value=p.as_str()>{p.as_str()}</option> }).collect_view()}
                        </select>
                    </label>
                    <button type="submit" class="button">"Save priority"</button>
                </form>
                <div class="actions">
                    <button type="button" class="button" on:click=move |_| {
                        a.change.dispatch(ChangeProject { project_id: id, change: ProjectChange { archived: Some(!p.archived), ..Default::default() } });
                    }>{if p.archived { "Restore from the archive" } else { "Archive" }}</button>
                    <button type="button" class="button button--danger" on:click=move |_| confirm.set(true)>"Delete project…"</button>
                </div>
                <Show when=move || confirm.get()>
                    <div class="confirm" role="alertdialog" aria-label="Delete the project">
                        <p>{if d.workloads > 0 {
                            format!("It still has {} workload(s). Deleting removes them from every cluster first; the project stays archived until they are gone.", d.workloads)
                        } else { "Its members, quota and cluster openings go with it.".to_owned() }}</p>
                        <button type="button" class="button button--danger" on:click=move |_| { a.delete.dispatch(DeleteProject { project_id: id, remove_workloads: true }); confirm.set(false); }>"Delete it"</button>
                        <button type="button" class="button button--quiet" on:click=move |_| confirm.set(false)>"Keep it"</button>
                    </div>
                </Show>
            </section>
        })}
    }
    .into_any()
}

fn member_table(d: &ProjectDetail, a: Actions) -> AnyView {
    if d.members.is_empty() {
        return view! { <p class="muted">"No members yet: add people by e-mail (they must have signed in once), or map an SSO group to this project in Admin."</p> }.into_any();
    }
    let id = d.project.id;
    let may = d.may_manage_members;
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Role"</th><th scope="col">"From"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>{d.members.iter().cloned().map(|m| {
                let user_id = m.user_id;
                let label = format!("Remove {}", m.email);
                view! {
                    <tr><td>{m.display_name}</td><td class="mono">{m.email}</td><td>{m.role}</td>
                        <td>{if m.from_groups { "SSO group" } else { "added by hand" }}</td>
                        <td>{may.then(|| view! {
                            <button type="button" class="button button--quiet" aria-label=label
                                on:click=move |_| { a.remove.dispatch(RemoveProjectMember { project_id: id, user_id }); }>"Remove"</button>
                        })}</td></tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

/// What the project has cost this month so far and its month-end forecast (against its budget
/// when it has one), with a link to its cost report.
#[component]
fn ProjectSpend(project: String) -> impl IntoView {
    let status = Resource::new(|| (), |_| crate::api::costs::load_budget_status());
    let render = move |lines: Vec<flotilla_domain::BudgetLine>| match lines.into_iter().find(|l| l.project == project) {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(l) => {
            let m = &l.month;
            let budget = m.budget.map(|b| format!(" of a {} budget", money(b, &l.currency))).unwrap_or_default();
            view! {
                {format!("{} so far in {} · forecast {}{budget} · ", money(m.to_date, &l.currency), m.month, money(m.forecast, &l.currency))}
                <a href=format!("/costs?project={}", l.project)>"Costs"</a>
            }
            .into_any()
        }
    };
    view! { <Loaded resource=status loading="Adding up the month…" render/> }
}
