//! The heading of every page: sets the document title and shows what the page is for.
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn PageHeader(title: &'static str, subtitle: &'static str) -> impl IntoView {
    view! {
        <Title text=title/>
        <div class="page-header">
            <h1>{title}</h1>
            <p class="muted">{subtitle}</p>
        </div>
    }
}
