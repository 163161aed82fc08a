//! The bell in the top bar: budget alerts and other notifications for the signed-in person.
use crate::api::costs::{ReadNotifications, load_notifications};
use crate::components::browser_data::BrowserData;
use leptos::prelude::*;

#[component]
pub fn NotificationBell() -> impl IntoView {
    let read = ServerAction::<ReadNotifications>::new();
    // Loaded in the browser only (nothing of it is rendered on the server, so hydration
    // always matches), and again after "mark all read".
    let list = BrowserData::new(move || {
        read.version().get();
        load_notifications()
    });
    let open = RwSignal::new(false);
    let items = move || list.get().and_then(Result::ok).unwrap_or_default();
    let unread = move || items().iter().filter(|n| !n.read).count();
    view! {
            <div class="bell">
                <button type="button" class="button button--quiet bell__button" aria-haspopup="true" aria-expanded=move || open.get().to_string()
                    aria-label=move || format!("Notifications ({} unread)", unread()) on:click=move |_| open.update(|o| *o = !*o)>
                    <svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path d="M6 16V11a6 6 0 0 1 12 0v5l2 2H4z M10 20a2 2 0 0 0 4 0" fill="none" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/></svg>
                    {move || (unread() > 0).then(|| view! { <span class="bell__count" data-testid="unread">{unread()}</span> })}
                </button>
                <div class="bell__panel" hidden=move || !open.get() role="region" aria-label="Notifications">
                    {move || {
                        let all = items();
                        if all.is_empty() {
                            return view! { <p class="muted">"Nothing new. Budget alerts of your projects appear here."</p> }.into_any();
                        }
                        view! {
                            <ul>{all.into_iter().map(|n| view! {
                                <li class:unread=!n.read><a href=n.link.clone()>{n.text.clone()}</a>
                                    <span class="muted">{move || format!(" · {}", crate::time::when_ms(n.at_ms))}</span></li>
                            }).collect_view()}</ul>
                            <button type="button" class="button button--quiet" on:click=move |_| { read.dispatch(ReadNotifications {}); }>"Mark all read"</button>
                        }.into_any()
                    }}
                </div>
            </div>
    }
}
