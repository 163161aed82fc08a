//! The Admin pages: people, projects, clusters, costs and prices, roles and group mappings, and
//! the audit trail, each a tab with its own address (`/admin`, `/admin/projects`, …).
use crate::api::directory::{admin_gate, audit_log, list_users};
use crate::api::people::{LinkIdentity, SetUserActive, UnlinkIdentity, list_identities};
use crate::components::error_view::action_error;
use crate::components::{loaded::Loaded, page_header::PageHeader};
use crate::error::AppError;
use crate::links::query_value;
use crate::pages::admin_access::{GroupMappings, RoleMatrix};
use crate::pages::admin_clusters::ClusterAdmin;
use crate::pages::admin_costs::FleetCostsSection;
use crate::pages::admin_prices::PriceCatalogue;
use crate::pages::admin_projects::ProjectAdmin;
use flotilla_domain::{AuditLine, AuditQuery, IdentitySummary, UserSummary};
use leptos::prelude::*;

/// The Admin tabs: (path segment, tab name, what it holds).
const TABS: &[(&str, &str, &str)] = &[
    ("", "People", "Who has signed in, their sign-in identities, and sign-ins waiting for a link."),
    ("projects", "Projects", "Projects, their owners, quotas and clusters."),
    ("clusters", "Clusters", "Registered clusters, their connections and locations."),
    ("costs", "Costs and prices", "What each cluster costs, how its price splits, and the price catalogue."),
    ("access", "Roles and groups", "What each role may do, and which provider groups grant roles."),
    ("audit", "Audit log", "Everything that changed, and every refusal."),
];

#[component]
pub fn AdminPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let tab = Memo::new(move |_| params.with(|p| p.get("section").unwrap_or_default()));
    let title = move || TABS.iter().find(|t| t.0 == tab.get()).map_or("Admin", |t| t.1);
    // One clear refusal for people who may not administer, instead of a refusal per section.
    let gate = Resource::new(|| (), |_| admin_gate());
    view! {
        <PageHeader title="Admin" subtitle="People, projects, clusters, costs, roles and everything that changed."/>
        <leptos_meta::Title text=move || format!("{} · Admin", title())/>
        <Loaded resource=gate loading="Checking your access…" render=move |_| view! {
            <nav class="tabs" aria-label="Admin sections">
                {TABS.iter().map(|&(seg, name, _)| {
                    let href = if seg.is_empty() { "/admin".to_owned() } else { format!("/admin/{seg}") };
                    view! { <a href=href aria-current=move || (tab.get() == seg).then_some("page")>{name}</a> }
                }).collect_view()}
            </nav>
            {move || admin_tab(&tab.get())}
        }/>
    }
}

/// One tab's sections.
fn admin_tab(tab: &str) -> AnyView {
    provide_context(crate::pages::admin_clusters::ClustersChanged(RwSignal::new(0)));
    let about = TABS.iter().find(|t| t.0 == tab).map(|t| t.2);
    let body = match tab {
        "" => view! { <div class="admin-grid"><UsersSection/></div> }.into_any(),
        "projects" => view! { <ProjectAdmin/> }.into_any(),
        "clusters" => view! { <ClusterAdmin/> }.into_any(),
        "costs" => view! { <FleetCostsSection/><PriceCatalogue/> }.into_any(),
        "access" => view! { <RoleMatrix/><GroupMappings/> }.into_any(),
        "audit" => view! { <AuditTrail/> }.into_any(),
        other => {
            return view! { <p class="notice notice--error" role="alert">{format!("There is no Admin section called “{other}”. Choose one of the tabs above.")}</p> }.into_any();
        }
    };
    view! { <p class="muted tab-about">{about}</p>{body} }.into_any()
}

fn none_yet(what: &'static str) -> AnyView {
    view! { <p class="muted">{what}</p> }.into_any()
}

/// People, the single sign-on identities that reach their accounts, and sign-ins waiting
/// for an administrator to link them.
#[component]
fn UsersSection() -> impl IntoView {
    let link = ServerAction::<LinkIdentity>::new();
    let unlink = ServerAction::<UnlinkIdentity>::new();
    let active = ServerAction::<SetUserActive>::new();
    let changed = move || (link.version().get(), unlink.version().get(), active.version().get());
    let users = Resource::new(changed, |_| async { Ok::<_, AppError>((list_users().await?, list_identities().await?)) });
    let render = move |(users, identities)| user_table(users, identities, Actions { link, unlink, active });
    view! {
        <section aria-labelledby="users-h">
            <h2 id="users-h">"Users"</h2>
            {move || action_error(link.value().get())}
            {move || action_error(unlink.value().get())}
            {move || action_error(active.value().get())}
            <Loaded resource=users loading="Loading users…" render=render/>
        </section>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    link: ServerAction<LinkIdentity>,
    unlink: ServerAction<UnlinkIdentity>,
    active: ServerAction<SetUserActive>,
}

/// "sso.example.com" from an issuer URL, for a compact identity label.
fn issuer_host(issuer: &str) -> String {
    let rest = issuer.split_once("://").map(|(_, r)| r).unwrap_or(issuer);
    rest.trim_end_matches('/').to_owned()
}

fn user_table(users: Vec<UserSummary>, identities: Vec<IdentitySummary>, actions: Actions) -> AnyView {
    if users.is_empty() && identities.is_empty() {
        return none_yet("No users yet. People appear here after their first sign-in.");
    }
    let waiting: Vec<IdentitySummary> = identities.iter().filter(|i| i.user_id.is_none()).cloned().collect();
    let choices: Vec<(i64, String)> = users.iter().map(|u| (u.id, u.email.clone())).collect();
    let rows = users
        .into_iter()
        .map(|u| {
            let mine: Vec<IdentitySummary> = identities.iter().filter(|i| i.user_id == Some(u.id)).cloned().collect();
            let id = u.id;
            let (label, next, verb) = if u.deactivated { (format!("Reactivate {}", u.email), true, "Reactivate") } else { (format!("Deactivate {}", u.email), false, "Deactivate") };
            let email = u.email.clone();
            view! {
                <tr data-user=email>
                    <td>{u.display_name}</td><td class="mono">{u.email.clone()}</td>
                    <td>{if u.is_admin { "Administrator" } else { "Member" }}</td>
                    <td>{identity_list(mine, actions.unlink)}</td>
                    <td>{if u.deactivated { view! { <span class="badge badge--bad">"Deactivated"</span> }.into_any() } else { view! { <span>"Active"</span> }.into_any() }}</td>
                    <td><button type="button" class="button button--quiet" aria-label=label
                        on:click=move |_| { actions.active.dispatch(SetUserActive { user_id: id, active: next }); }>{verb}</button></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Role"</th>
                <th scope="col">"Single sign-on"</th><th scope="col">"Status"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
        {waiting_table(waiting, choices, actions.link)}
    }
    .into_any()
}

fn identity_list(mine: Vec<IdentitySummary>, unlink: ServerAction<UnlinkIdentity>) -> AnyView {
    if mine.is_empty() {
        return view! { <span class="muted">"none"</span> }.into_any();
    }
    view! {
        <ul class="plain-list">{mine.into_iter().map(|i| {
            let id = i.id;
            let label = format!("Unlink {} at {}", i.subject, issuer_host(&i.issuer));
            view! {
                <li><span class="mono" title=i.issuer.clone()>{format!("{} @ {}", i.subject, issuer_host(&i.issuer))}</span>" "
                    <button type="button" class="button button--quiet" aria-label=label
                        on:click=move |_| { unlink.dispatch(UnlinkIdentity { identity_id: id }); }>"Unlink"</button></li>
            }
        }).collect_view()}</ul>
    }
    .into_any()
}

/// Sign-ins that were refused because their e-mail belongs to an account: an administrator
/// decides whether they are that person.
fn waiting_table(waiting: Vec<IdentitySummary>, choices: Vec<(i64, String)>, link: ServerAction<LinkIdentity>) -> AnyView {
    if waiting.is_empty() {
        return ().into_any();
    }
    view! {
        <h3>"Sign-ins waiting for a link"</h3>
        <p class="muted">"These people signed in with an e-mail that belongs to an existing account, which their provider had not verified (or linking by e-mail is off). Link one only when you know it is that person."</p>
        <div class="table-wrap"><table class="data-table" aria-label="Sign-ins waiting for a link">
            <thead><tr><th scope="col">"E-mail (from the provider)"</th><th scope="col">"Verified"</th><th scope="col">"Identity"</th><th scope="col">"Last try"</th><th scope="col">"Link to"</th></tr></thead>
            <tbody>{waiting.into_iter().map(|i| {
                let id = i.id;
                let pick = RwSignal::new(choices.iter().find(|(_, e)| *e == i.email).or(choices.first()).map(|(u, _)| *u).unwrap_or_default());
                let label = format!("Link {} to the selected account", i.email);
                let options = choices.clone();
                let email = i.email.clone();
                view! {
                    <tr data-identity=email>
                        <td class="mono">{i.email}</td><td>{if i.email_verified { "yes" } else { "no" }}</td>
                        <td class="mono" title=i.issuer.clone()>{format!("{} @ {}", i.subject, issuer_host(&i.issuer))}</td>
                        <td class="nowrap">{move || crate::time::when(i.last_seen_at)}</td>
                        <td>
                            <select aria-label="Account" on:change=move |ev| { if let Ok(v) = event_target_value(&ev).parse() { pick.set(v); } }>
                                {options.into_iter().map(|(u, e)| view! { <option value=u.to_string() selected=move || pick.get() == u>{e}</option> }).collect_view()}
                            </select>" "
                            <button type="button" class="button" aria-label=label
                                on:click=move |_| { link.dispatch(LinkIdentity { identity_id: id, user_id: pick.get_untracked() }); }>"Link"</button>
                        </td>
                    </tr>
                }
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
    // Pages of 200, newest first: `before` is the last id of the page above (None: the newest).
    let before = RwSignal::new(None::<i64>);
    let query = move || AuditQuery { actor: actor.get(), action: action.get(), outcome: outcome.get(), limit: AUDIT_PAGE, before: before.get() };
    let lines = Resource::new(query, audit_log);
    let csv = move || {
        let q = query();
        format!("/api/v1/audit?format=csv&limit=5000&actor={}&action={}&outcome={}", query_value(&q.actor), query_value(&q.action), query_value(&q.outcome))
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
            <Loaded resource=lines loading="Loading the audit log…" render=move |lines| audit_table(lines, before)/>
        </section>
    }
}

const AUDIT_PAGE: u64 = 200;

fn audit_table(lines: Vec<AuditLine>, before: RwSignal<Option<i64>>) -> AnyView {
    let newest = move || {
        before.get().is_some().then(|| {
            view! {
                <button type="button" class="button button--quiet" on:click=move |_| before.set(None)>"Back to the newest"</button>
            }
        })
    };
    if lines.is_empty() {
        return view! { {none_yet("No entries match.")} {newest} }.into_any();
    }
    let older = (lines.len() as u64 == AUDIT_PAGE).then(|| lines.last().map(|l| l.id)).flatten();
    let nav = view! {
        <nav class="pager" aria-label="Audit log pages">
            {newest}
            {older.map(|id| view! { <button type="button" class="button" on:click=move |_| before.set(Some(id))>"Older entries"</button> })}
        </nav>
    };
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"What"</th>
                <th scope="col">"Target"</th><th scope="col">"Outcome"</th><th scope="col">"From"</th><th scope="col">"Detail"</th></tr></thead>
            <tbody>{lines.into_iter().map(|l| {
                let class = format!("badge badge--{}", l.outcome);
                view! {
                    <tr><td class="mono nowrap">{move || crate::time::when(l.at)}</td><td>{l.actor}</td><td class="mono">{l.action}</td>
                        <td>{l.target}{(!l.cluster.is_empty()).then(|| format!(" on {}", l.cluster))}</td>
                        <td><span class=class>{l.outcome}</span></td><td class="mono">{l.source_ip}</td><td>{l.detail}</td></tr>
                }
            }).collect_view()}</tbody>
        </table></div>
        {nav}
    }
    .into_any()
}
