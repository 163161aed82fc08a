//! The Workloads page: projects and the containers their members run.
use crate::api::directory::list_projects;
use crate::components::{empty_state::EmptyState, loaded::Loaded, page_header::PageHeader};
use flotilla_domain::ProjectSummary;
use leptos::prelude::*;

#[component]
pub fn WorkloadsPage() -> impl IntoView {
    let projects = Resource::new(|| (), |_| list_projects());
    view! {
        <PageHeader title="Workloads" subtitle="Containers registered by each project, and where they run."/>
        <Loaded resource=projects loading="Loading projects…" render=project_cards/>
    }
}

fn project_cards(projects: Vec<ProjectSummary>) -> AnyView {
    if projects.is_empty() {
        return view! {
            <EmptyState title="No projects yet">
                <p>"A project groups the people of a team and their containers. An administrator creates projects in "
                   <a href="/admin">"Admin"</a>"."</p>
            </EmptyState>
        }
        .into_any();
    }
    view! {
        <div class="card-grid">
            {projects.into_iter().map(|p| { let label = p.display_name.clone(); view! {
                <article class="card" aria-label=label>
                    <h2 class="card__title">{p.display_name}</h2>
                    <p class="muted mono">{p.name}</p>
                    <p>{format!("{} member{}", p.members, if p.members == 1 { "" } else { "s" })}</p>
                    <p class="muted">"No workloads registered yet."</p>
                </article>
            }}).collect_view()}
        </div>
    }
    .into_any()
}
