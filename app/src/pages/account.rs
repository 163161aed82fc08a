//! The account page: the signed-in person's time zone and personal API tokens.
use crate::api::tokens::{CreateToken, RevokeToken, my_tokens};
use crate::components::{error_view::action_error, loaded::Loaded, page_header::PageHeader};
use crate::time::when;
use flotilla_domain::ApiTokenInfo;
use leptos::prelude::*;

#[component]
pub fn AccountPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| my_tokens());
    let table = move |list| token_table(list, revoke);
    let fresh = move || create.value().get().and_then(|r| r.ok());
    view! {
        <PageHeader title="API tokens" subtitle="Tokens let scripts call the REST API as you, with your own permissions."/>
        <section class="card" aria-labelledby="new-token-h">
            <h2 id="new-token-h">"New token"</h2>
            <div class="inline-form"><ActionForm action=create>
                <label>"Name"<input type="text" name="name" placeholder="CI pipeline" required maxlength="80"/></label>
                <label>"Valid for (days)"<input type="number" name="days" value="30" min="1" max="365" required/></label>
                <button type="submit" class="button button--primary">"Create token"</button>
            </ActionForm></div>
            {move || action_error(create.value().get())}
            {move || fresh().map(|t| view! {
                <div class="notice" role="status">
                    <p><strong>"Copy this token now — it will not be shown again."</strong></p>
                    <code class="secret" aria-label="Token secret">{t.secret}</code>
                    <p class="muted small">"Use it as " <code>"Authorization: Bearer <token>"</code> " on /api/v1."</p>
                </div>
            })}
        </section>
        <ZoneChoice/>
        <section aria-labelledby="tokens-h">
            <h2 id="tokens-h">"Your tokens"</h2>
            <Loaded resource=tokens loading="Loading your tokens…" render=table/>
        </section>
    }
}

/// The zone every time in the portal is written in (remembered in this browser).
#[component]
fn ZoneChoice() -> impl IntoView {
    use flotilla_domain::format::TZ_VARIANTS;
    let saved = RwSignal::new(false);
    view! {
        <section class="card" aria-labelledby="zone-h">
            <h2 id="zone-h">"Time zone"</h2>
            <p class="muted">"Every time in the portal is written in this zone. It starts as your browser's and is remembered in this browser."</p>
            <div class="inline-form">
                <label for="time-zone">"Show times in"</label>
                    <select id="time-zone" name="time-zone" prop:value=move || crate::time::zone().name().to_owned() on:change=move |ev| {
                        crate::time::choose_zone(&event_target_value(&ev));
                        saved.set(true);
                    }>
                        {TZ_VARIANTS.iter().map(|z| view! { <option value=z.name()>{z.name()}</option> }).collect_view()}
                    </select>
                <span class="muted" role="status">{move || saved.get().then(|| format!("Saved: times now read like {}.", crate::time::when_ms(js_now())))}</span>
            </div>
        </section>
    }
}

/// Now, in unix milliseconds (the browser's clock; the server never renders the status line).
fn js_now() -> i64 {
    js_sys::Date::now() as i64
}

fn token_table(list: Vec<ApiTokenInfo>, revoke: ServerAction<RevokeToken>) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted">"You have no tokens yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="data-table">
            <thead><tr><th scope="col">"Name"</th><th scope="col">"Starts with"</th><th scope="col">"Created"</th>
                <th scope="col">"Expires"</th><th scope="col">"Last used"</th><th scope="col">"State"</th></tr></thead>
            <tbody>{list.into_iter().map(|t| {
                let id = t.id;
                let label = format!("Revoke {}", t.name);
                view! {
                    <tr>
                        <td>{t.name}</td><td class="mono">{t.prefix}"…"</td><td class="nowrap">{move || when(t.created_at)}</td>
                        <td class="nowrap">{move || t.expires_at.map_or_else(|| "never".into(), when)}</td>
                        <td class="nowrap">{move || t.last_used_at.map_or_else(|| "never".into(), when)}</td>
                        <td>{if t.revoked {
                            view! { <span class="badge">"revoked"</span> }.into_any()
                        } else {
                            view! { <button type="button" class="button button--quiet" aria-label=label
                                on:click=move |_| { revoke.dispatch(RevokeToken { id }); }>"Revoke"</button> }.into_any()
                        }}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}
