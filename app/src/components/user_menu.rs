//! The user menu: who is signed in, what they hold, their API tokens, and sign-out.
use crate::api::portal::portal_info;
use crate::error::AppError;
use flotilla_domain::Me;
use leptos::prelude::*;

#[component]
pub fn UserMenu(me: Resource<Result<Option<Me>, AppError>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let info = Resource::new(|| (), |_| portal_info());
    let toggle = move |ev: leptos::ev::MouseEvent| {
        ev.stop_propagation();
        open.update(|o| *o = !*o);
    };
    let close_on_escape = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Escape" {
            open.set(false);
        }
    };
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::click, move |_| open.set(false));
        on_cleanup(move || handle.remove());
    }
    let person = move || me.get().and_then(|r| r.ok()).flatten();
    let name = move || person().map(|p| p.display_name).unwrap_or_else(|| "Guest".into());
    let initial = move || name().chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_else(|| "?".into());
    view! {
        <div class="user-menu" on:keydown=close_on_escape on:click=|ev| ev.stop_propagation()>
            <Transition fallback=|| view! { <span class="user-menu__button muted">"…"</span> }>
                <button type="button" class="user-menu__button" aria-haspopup="menu"
                    aria-expanded=move || if open.get() { "true" } else { "false" } on:click=toggle>
                    <span class="avatar" aria-hidden="true">{initial}</span>
                    <span class="user-menu__name">{name}</span>
                    <span aria-hidden="true">"▾"</span>
                </button>
            </Transition>
            <Show when=move || open.get()>
                <div class="user-menu__panel" role="menu" aria-label="User menu">
                    {move || match person() {
                        Some(p) => view! {
                            <p class="user-menu__who"><strong>{p.display_name.clone()}</strong></p>
                            <p class="muted mono small">{p.email.clone()}</p>
                            <ul class="user-menu__roles" aria-label="Your roles">
                                {if p.roles.is_empty() {
                                    view! { <li class="muted">"No roles yet — ask an administrator to add you to a project."</li> }.into_any()
                                } else {
                                    p.roles.into_iter().map(|r| view! { <li>{r}</li> }).collect_view().into_any()
                                }}
                            </ul>
                            <a role="menuitem" href="/account">"API tokens"</a>
                            <form method="post" action="/auth/logout">
                                <button type="submit" role="menuitem" class="button button--quiet">"Sign out"</button>
                            </form>
                        }.into_any(),
                        None => view! {
                            <p class="user-menu__who"><strong>"Not signed in"</strong></p>
                            <a role="menuitem" href="/login">"Sign in"</a>
                        }.into_any(),
                    }}
                    <p class="muted small">{move || info.get().and_then(|r| r.ok()).map(|i| format!("Flotilla {}{}", i.version, if i.demo { " · demo" } else { "" }))}</p>
                </div>
            </Show>
        </div>
    }
}
