//! The Admin page's access section: the role permission matrix (built-in roles read-only,
//! custom roles editable) and the IdP group → role mappings.
use crate::api::access::{AddGroupMapping, DeleteGroupMapping, DeleteRole, SaveRole, list_group_mappings, list_roles};
use crate::components::{error_view::action_error, loaded::Loaded};
use flotilla_domain::{GroupMapping, Kind, RoleDef, Scope, Verb};
use leptos::prelude::*;

fn scope_value(s: Option<Scope>) -> &'static str {
    match s {
        None => "",
        Some(Scope::Own) => "own",
        Some(Scope::Project) => "project",
        Some(Scope::All) => "all",
    }
}

fn parse_scope(v: &str) -> Option<Scope> {
    match v {
        "own" => Some(Scope::Own),
        "project" => Some(Scope::Project),
        "all" => Some(Scope::All),
        _ => None,
    }
}

#[component]
pub fn RoleMatrix() -> impl IntoView {
    let save = ServerAction::<SaveRole>::new();
    let delete = ServerAction::<DeleteRole>::new();
    let roles = Resource::new(move || (save.version().get(), delete.version().get()), |_| list_roles());
    let draft = RwSignal::new(None::<RoleDef>);
    let new_key = RwSignal::new(String::new());
    let new_name = RwSignal::new(String::new());
    let pick = move |role: RoleDef| draft.set(Some(role));
    // Everything that depends on the list renders inside `Loaded`, and nothing is set while
    // rendering: the server and the hydrating browser draw the same thing.
    let chips = move |list: Vec<RoleDef>| {
        let fallback = list.iter().find(|r| r.key == "developer").or(list.first()).cloned();
        let shown = Signal::derive(move || draft.get().or_else(|| fallback.clone()));
        let is_shown = move |key: &str| shown.with(|d| d.as_ref().is_some_and(|d| d.key == key));
        view! {
            <div class="chips" role="group" aria-label="Choose a role">
                {list.into_iter().map(|r| {
                    let key = r.key.clone();
                    let label = if r.builtin { r.name.clone() } else { format!("{} (custom)", r.name) };
                    view! {
                        <button type="button" class="chip"
                            aria-pressed=move || if is_shown(&key) { "true" } else { "false" }
                            on:click=move |_| pick(r.clone())>{label}</button>
                    }
                }).collect_view()}
            </div>
            <form class="inline-form" on:submit=move |ev| {
                ev.prevent_default();
                draft.set(Some(RoleDef { key: new_key.get(), name: new_name.get(), builtin: false, permissions: vec![] }));
            }>
                <label>"New role key"<input type="text" placeholder="auditor" bind:value=new_key required/></label>
                <label>"Name"<input type="text" placeholder="Auditor" bind:value=new_name required/></label>
                <button type="submit" class="button">"Start a custom role"</button>
            </form>
            {move || shown.get().map(|role| matrix(role, draft, save, delete))}
        }
    };
    view! {
        <section aria-labelledby="roles-h">
            <h2 id="roles-h">"Roles"</h2>
            <p class="muted">"A role grants verbs on kinds of object, reaching a person's own objects, their project's, or all. Built-in roles are fixed; create custom roles for anything else."</p>
            <Loaded resource=roles loading="Loading roles…" render=chips/>
            {move || action_error(save.value().get())}
            {move || action_error(delete.value().get())}
        </section>
    }
}

fn matrix(role: RoleDef, draft: RwSignal<Option<RoleDef>>, save: ServerAction<SaveRole>, delete: ServerAction<DeleteRole>) -> AnyView {
    let builtin = role.builtin;
    let caption = if builtin { format!("{} — built-in, read-only", role.name) } else { format!("{} — custom role \"{}\"", role.name, role.key) };
    let on_save = move |_| {
        if let Some(r) = draft.get_untracked() {
            save.dispatch(SaveRole { key: r.key, name: r.name, permissions: r.permissions });
        }
    };
    let key = role.key.clone();
    view! {
        <div class="table-wrap"><table class="data-table matrix">
            <caption>{caption}</caption>
            <thead><tr><th scope="col">"Kind"</th>{Verb::ALL.map(|v| view! { <th scope="col">{v.label()}</th> }).collect_view()}</tr></thead>
            <tbody>{Kind::ALL.map(|kind| view! {
                <tr>
                    <th scope="row">{kind.label()}</th>
                    {Verb::ALL.map(|verb| {
                        let current = scope_value(role.scope_for(kind, verb));
                        let label = format!("{} {}", verb.label(), kind.label());
                        view! {
                            <td>
                                <select aria-label=label disabled=builtin prop:value=current
                                    on:change=move |ev| {
                                        let scope = parse_scope(&event_target_value(&ev));
                                        draft.update(|d| if let Some(d) = d { d.set(kind, verb, scope) });
                                    }>
                                    {["", "own", "project", "all"].map(|v| view! {
                                        <option value=v selected=v == current>{if v.is_empty() { "—" } else { v }}</option>
                                    }).collect_view()}
                                </select>
                            </td>
                        }
                    }).collect_view()}
                </tr>
            }).collect_view()}</tbody>
        </table></div>
        {(!builtin).then(|| view! {
            <div class="actions">
                <button type="button" class="button button--primary" on:click=on_save>"Save role"</button>
                <button type="button" class="button button--quiet" on:click=move |_| { delete.dispatch(DeleteRole { key: key.clone() }); }>"Delete role"</button>
            </div>
        })}
    }
    .into_any()
}

#[component]
pub fn GroupMappings() -> impl IntoView {
    let add = ServerAction::<AddGroupMapping>::new();
    let remove = ServerAction::<DeleteGroupMapping>::new();
    let mappings = Resource::new(move || (add.version().get(), remove.version().get()), |_| list_group_mappings());
    let table = move |list| mapping_table(list, remove);
    view! {
        <section aria-labelledby="groups-h">
            <h2 id="groups-h">"Group mappings"</h2>
            <p class="muted">"Groups from the identity provider grant roles at every sign-in: portal-wide, or in one project."</p>
            <div class="inline-form"><ActionForm action=add>
                <label>"Group"<input type="text" name="group" placeholder="team-a-devs" required/></label>
                <label>"Role"<input type="text" name="role" placeholder="developer" required/></label>
                <label>"Project (empty = portal-wide)"<input type="text" name="project" placeholder="team-a"/></label>
                <button type="submit" class="button">"Add mapping"</button>
            </ActionForm></div>
            {move || action_error(add.value().get())}
            <Loaded resource=mappings loading="Loading group mappings…" render=table/>
        </section>
    }
}

fn mapping_table(list: Vec<GroupMapping>, remove: ServerAction<DeleteGroupMapping>) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted">"No mappings yet: people who sign in through SSO get no roles until you add one."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"Group"</th><th scope="col">"Role"</th><th scope="col">"Where"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>{list.into_iter().map(|m| {
                let id = m.id;
                let label = format!("Remove mapping of {}", m.group);
                view! {
                    <tr><td class="mono">{m.group}</td><td>{m.role}</td>
                        <td>{m.project.map(|p| format!("project {p}")).unwrap_or_else(|| "portal-wide".into())}</td>
                        <td><button type="button" class="button button--quiet" aria-label=label
                            on:click=move |_| { remove.dispatch(DeleteGroupMapping { id }); }>"Remove"</button></td></tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}
