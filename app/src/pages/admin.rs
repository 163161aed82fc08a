//! The Admin page: people, projects and the audit trail.
use crate::api::directory::{AuditLine, list_projects, list_users, recent_audit};
use crate::components::{loaded::Loaded, page_header::PageHeader};
use flotilla_domain::{ProjectSummary, UserSummary};
use leptos::prelude::*;

#[component]
pub fn AdminPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users());
    let projects = Resource::new(|| (), |_| list_projects());
    let audit = Resource::new(|| (), |_| recent_audit());
    view! {
        <PageHeader title="Admin" subtitle="People, projects and everything that changed."/>
        <div class="admin-grid">
            <section aria-labelledby="users-h">
                <h2 id="users-h">"Users"</h2>
                <Loaded resource=users loading="Loading users…" render=user_table/>
            </section>
            <section aria-labelledby="projects-h">
                <h2 id="projects-h">"Projects"</h2>
                <Loaded resource=projects loading="Loading projects…" render=project_table/>
            </section>
        </div>
        <section aria-labelledby="audit-h">
            <h2 id="audit-h">"Recent activity"</h2>
            <Loaded resource=audit loading="Loading the audit log…" render=audit_table/>
        </section>
    }
}

fn none_yet(what: &'static str) -> AnyView {
    view! { <p class="muted">{what}</p> }.into_any()
}

fn user_table(users: Vec<UserSummary>) -> AnyView {
    if users.is_empty() {
        return none_yet("No users yet. People appear here after their first sign-in.");
    }
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Role"</th></tr></thead>
            <tbody>{users.into_iter().map(|u| view! {
                <tr><td>{u.display_name}</td><td class="mono">{u.email}</td>
                    <td>{if u.is_admin { "Administrator" } else { "Member" }}</td></tr>
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

fn project_table(projects: Vec<ProjectSummary>) -> AnyView {
    if projects.is_empty() {
        return none_yet("No projects yet.");
    }
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"Project"</th><th scope="col">"Name"</th><th scope="col">"Members"</th></tr></thead>
            <tbody>{projects.into_iter().map(|p| view! {
                <tr><td>{p.display_name}</td><td class="mono">{p.name}</td><td>{p.members}</td></tr>
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

fn audit_table(lines: Vec<AuditLine>) -> AnyView {
    if lines.is_empty() {
        return none_yet("Nothing has happened yet.");
    }
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                <th scope="col">"Target"</th><th scope="col">"Detail"</th></tr></thead>
            <tbody>{lines.into_iter().map(|l| view! {
                <tr><td class="mono nowrap">{l.at}</td><td>{l.actor}</td><td class="mono">{l.action}</td>
                    <td>{l.target}</td><td>{l.detail}</td></tr>
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}
