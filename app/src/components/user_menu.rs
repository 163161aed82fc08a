//! The user menu: who is signed in, and (in the demo) which accounts exist.
use crate::api::portal::portal_info;
use leptos::prelude::*;

#[component]
pub fn UserMenu() -> impl IntoView {
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
    view! {
        <div class="user-menu" on:keydown=close_on_escape on:click=|ev| ev.stop_propagation()>
            <button type="button" class="user-menu__button" aria-haspopup="menu"
                aria-expanded=move || if open.get() { "true" } else { "false" } on:click=toggle>
                <span class="avatar" aria-hidden="true">"?"</span>
                <span class="user-menu__name">"Guest"</span>
                <span aria-hidden="true">"▾"</span>
            </button>
            <Show when=move || open.get()>
                <div class="user-menu__panel" role="menu" aria-label="User menu">
                    <p class="user-menu__who"><strong>"Not signed in"</strong></p>
                    <p class="muted">"Single sign-on is not configured on this portal yet."</p>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            info.await.ok().filter(|i| i.demo).map(|i| view! {
                                <div class="user-menu__demo">
                                    <p class="muted">"Demo accounts:"</p>
                                    <ul>
                                        {i.demo_accounts.into_iter().map(|(login, what)| view! {
                                            <li><code>{login}</code>" — "{what}</li>
                                        }).collect_view()}
                                    </ul>
                                </div>
                            })
                        })}
                    </Transition>
                    <p class="muted small">{move || info.get().and_then(|r| r.ok()).map(|i| format!("Flotilla {}", i.version))}</p>
                </div>
            </Show>
        </div>
    }
}
