//! What a page says when there is nothing to show yet, and what to do about it.
use leptos::prelude::*;

#[component]
pub fn EmptyState(title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="empty-state" aria-label=title>
            <div class="empty-state__icon" aria-hidden="true">"◎"</div>
            <h2>{title}</h2>
            <div class="empty-state__body">{children()}</div>
        </section>
    }
}
