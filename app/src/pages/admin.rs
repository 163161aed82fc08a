//! The Admin page: people, projects, clusters, roles and group mappings, and the audit trail.
use crate::api::directory::{admin_gate, audit_log, list_users};
use crate::components::{loaded::Loaded, page_header::PageHeader};
use crate::links::query_value;
use crate::pages::admin_access::{GroupMappings, RoleMatrix};
use crate::pages::admin_clusters::ClusterAdmin;
use crate::pages::admin_costs::FleetCostsSection;
use crate::pages::admin_prices::PriceCatalogue;
use crate::pages::admin_projects::ProjectAdmin;
use flotilla_domain::{AuditLine, AuditQuery, UserSummary};
use leptos::prelude::*;

#[component]
pub fn AdminPage() -> impl IntoView {
    // One clear refusal for people who may not administer, instead of a refusal per section.
    let gate = Resource::new(|| (), |_| admin_gate());
    view! {
        <PageHeader title="Admin" subtitle="People, projects, clusters, roles and everything that changed."/>
        <Loaded resource=gate loading="Checking your access…" render=|_| view! { <AdminSections/> }/>
    }
}

#[component]
fn AdminSections() -> impl IntoView {
    let users = Resource::new(|| (), |_| list_users());
    view! {
        <div class="admin-grid">
            <section aria-labelledby="users-h">
                <h2 id="users-h">"Users"</h2>
                <Loaded resource=users loading="Loading users…" render=user_table/>
            </section>
        </div>
        <ProjectAdmin/>
        <ClusterAdmin/>
        <FleetCostsSection/>
        <PriceCatalogue/>
        <RoleMatrix/>
        <GroupMappings/>
        <AuditTrail/>
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

/// The audit log with filters and a CSV download of what the filters select.
#[component]
fn AuditTrail() -> impl IntoView {
    let actor = RwSignal::new(String::new());
    let action = RwSignal::new(String::new());
    let outcome = RwSignal::new(String::new());
    let query = move || AuditQuery { actor: actor.get(), action: action.get(), outcome: outcome.get(), limit: 200 };
    let lines = Resource::new(query, audit_log);
    let csv = move || {
        let q = query();
        format!(
            "/api/v1/audit?format=csv&limit=5000&actor={}&action={}&outcome={}",
            query_value(&q.actor),
            query_value(&q.action),
            query_value(&q.outcome)
        )
    };
    view! {
        <section aria-labelledby="audit-h">
            <h2 id="audit-h">"Audit log"</h2>
            <div class="filters" role="search" aria-label="Filter the audit log">
                <label>"Who"<input type="search" placeholder="e-mail contains…" bind:value=actor/></label>
                <label>"Action"<input type="search" placeholder="e.g. auth.sign-in" bind:value=action/></label>
                <label>"Outcome"
                    <select bind:value=outcome>
                        <option value="">"any"</option>
                        <option value="ok">"ok"</option>
                        <option value="denied">"denied"</option>
                        <option value="failed">"failed"</option>
                    </select>
                </label>
                <a class="button" href=csv download="flotilla-audit.csv" rel="external">"Export CSV"</a>
            </div>
            <Loaded resource=lines loading="Loading the audit log…" render=audit_table/>
        </section>
    }
}

fn audit_table(lines: Vec<AuditLine>) -> AnyView {
    if lines.is_empty() {
        return none_yet("No entries match.");
    }
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                <th scope="col">"Target"</th><th scope="col">"Outcome"</th><th scope="col">"From"</th><th scope="col">"Detail"</th></tr></thead>
            <tbody>{lines.into_iter().map(|l| {
                let class = format!("badge badge--{}", l.outcome);
                view! {
                    <tr><td class="mono nowrap">{l.at}</td><td>{l.actor}</td><td class="mono">{l.action}</td>
                        <td>{l.target}{(!l.cluster.is_empty()).then(|| format!(" on {}", l.cluster))}</td>
                        <td><span class=class>{l.outcome}</span></td><td class="mono">{l.source_ip}</td><td>{l.detail}</td></tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}
