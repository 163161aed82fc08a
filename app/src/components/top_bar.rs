//! The bar across the top of every page: product name, navigation, theme, user menu.
use crate::components::{theme_toggle::ThemeToggle, user_menu::UserMenu};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn TopBar() -> impl IntoView {
    view! {
        <header class="top-bar">
            <a class="brand" href="/">
                <span class="brand__mark" aria-hidden="true">"⛴"</span>
                <span class="brand__name">"Flotilla"</span>
            </a>
            <nav class="main-nav" aria-label="Main">
                <A href="/" exact=true>"Fleet"</A>
                <A href="/workloads">"Workloads"</A>
                <A href="/costs">"Costs"</A>
                <A href="/admin">"Admin"</A>
            </nav>
            <div class="top-bar__end">
                <ThemeToggle/>
                <UserMenu/>
            </div>
        </header>
    }
}
