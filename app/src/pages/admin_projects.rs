//! Projects on the Admin page: the list (each opens its project page) and the form that
//! creates one — name (its namespace), owner, the clusters opened to it and its highest priority.
use crate::api::directory::list_projects;
use crate::api::fleet::list_clusters;
use crate::api::projects::CreateProject;
use crate::components::{error_view::action_error, loaded::Loaded};
use flotilla_domain::schedule::Priority;
use flotilla_domain::{ClusterSummary, NewProject, ProjectSummary};
use leptos::prelude::*;

#[component]
pub fn ProjectAdmin() -> impl IntoView {
    let create = ServerAction::<CreateProject>::new();
    let projects = Resource::new(move || create.version().get(), |_| list_projects());
    // Reloads when a cluster is registered, changed or removed further down the page.
    let changed = use_context::<crate::pages::admin_clusters::ClustersChanged>().map(|c| c.0);
    let clusters = Resource::new(move || changed.map(|c| c.get()), |_| list_clusters());
    let name = RwSignal::new(String::new());
    let display = RwSignal::new(String::new());
    let owner = RwSignal::new(String::new());
    let priority = RwSignal::new("normal".to_owned());
    let chosen = RwSignal::new(Vec::<i64>::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let project = NewProject {
            name: name.get_untracked(),
            display_name: display.get_untracked(),
            owner_email: owner.get_untracked(),
            clusters: chosen.get_untracked(),
            max_priority: Priority::parse(&priority.get_untracked()).unwrap_or_default(),
        };
        create.dispatch(CreateProject { project });
    };
    // A created project clears the form; a refused one keeps everything typed.
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            name.set(String::new());
            display.set(String::new());
            owner.set(String::new());
            chosen.set(Vec::new());
        }
    });
    let picker = move |list: Vec<ClusterSummary>| cluster_picker(list, chosen);
    view! {
        <section aria-labelledby="projects-h">
            <h2 id="projects-h">"Projects"</h2>
            <p class="muted">"A project is a team's tenancy: its own namespace on each cluster opened to it, a quota there, members and costs."</p>
            <Loaded resource=projects loading="Loading projects…" render=project_table/>
            <form class="stack-form" aria-label="New project" on:submit=submit>
                <h3>"New project"</h3>
                <div class="inline-form">
                    <label>"Name (its namespace)"<input type="text" placeholder="team-d" bind:value=name required pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?" maxlength="63"/></label>
                    <label>"Display name"<input type="text" placeholder="Team D — payments" bind:value=display/></label>
                    <label>"Owner's e-mail"<input type="email" placeholder="dana@example.com" bind:value=owner/></label>
                    <label>"Highest priority"
                        <select bind:value=priority>
                            <option value="low">"low"</option>
                            <option value="normal" selected>"normal"</option>
                            <option value="high">"high (may preempt)"</option>
                        </select>
                    </label>
                </div>
                <Loaded resource=clusters loading="Loading clusters…" render=picker/>
                <button type="submit" class="button button--primary" disabled=move || create.pending().get()>
                    {move || if create.pending().get() { "Creating…" } else { "Create project" }}
                </button>
                {move || action_error(create.value().get())}
                {move || create.value().get().and_then(Result::ok).map(|p| view! {
                    <p class="notice" role="status">{format!("Created {}. ", p.name)}<a href=format!("/projects/{}", p.id)>"Open it"</a></p>
                })}
            </form>
        </section>
    }
}

/// Checkboxes for the clusters to open to a project.
pub fn cluster_picker(list: Vec<ClusterSummary>, chosen: RwSignal<Vec<i64>>) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted">"No clusters are registered yet; register one below, then open it to the project."</p> }.into_any();
    }
    view! {
        <fieldset class="chips">
            <legend>"Clusters opened to it"</legend>
            {list.into_iter().map(|c| {
                let id = c.id;
                view! {
                    <label class="chip">
                        <input type="checkbox" prop:checked=move || chosen.with(|v| v.contains(&id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                chosen.update(|v| { v.retain(|x| *x != id); if on { v.push(id); } });
                            }/>
                        {c.name}
                    </label>
                }
            }).collect_view()}
        </fieldset>
    }
    .into_any()
}

fn project_table(projects: Vec<ProjectSummary>) -> AnyView {
    if projects.is_empty() {
        return view! { <p class="muted">"No projects yet: create the first one below, then open clusters to it."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"Project"</th><th scope="col">"Name"</th><th scope="col">"Members"</th><th scope="col">"Highest priority"</th></tr></thead>
            <tbody>{projects.into_iter().map(|p| view! {
                <tr>
                    <td><a href=format!("/projects/{}", p.id)>{p.display_name}</a>{p.archived.then(|| view! { " " <span class="badge">"archived"</span> })}</td>
                    <td class="mono">{p.name}</td><td>{p.members}</td><td>{p.max_priority.as_str()}</td>
                </tr>
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}
