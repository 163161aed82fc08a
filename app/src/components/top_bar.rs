//! The bar across the top of every page: product name, navigation, theme, user menu.
use crate::api::portal::whoami;
use crate::components::{theme_toggle::ThemeToggle, user_menu::UserMenu};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn TopBar() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    let person = move || me.get().and_then(|r| r.ok()).flatten();
    view! {
        <header class="top-bar">
            <a class="brand" href="/">
                <svg class="brand__mark" viewBox="0 0 32 32" width="26" height="26" aria-hidden="true">
                    <rect width="32" height="32" rx="7" fill="currentColor"/>
                    <path d="M7 19h18l-3 5H10z M15 8v10 M15 9l6 6h-6z" fill="none" stroke="var(--surface)" stroke-width="2" stroke-linejoin="round"/>
                </svg>
                <span class="brand__name">"Flotilla"</span>
            </a>
            // Shown to signed-in people; Admin only to those who may read the audit log.
            <Transition fallback=|| ()>
                {move || person().map(|p| view! {
                    <nav class="main-nav" aria-label="Main">
                        <A href="/" exact=true>"Dashboard"</A>
                        <A href="/fleet">"Fleet"</A>
                        <A href="/workloads">"Workloads"</A>
                        <A href="/schedules">"Schedules"</A>
                        <A href="/costs">"Costs"</A>
                        {p.is_admin.then(|| view! { <A href="/admin">"Admin"</A> })}
                    </nav>
                })}
            </Transition>
            <div class="top-bar__end">
                <Transition fallback=|| ()>{move || person().map(|_| view! { <crate::components::notifications::NotificationBell/> })}</Transition>
                <ThemeToggle/>
                <UserMenu me/>
            </div>
        </header>
    }
}
