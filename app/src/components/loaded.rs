//! One way to show server data: a loading line, then the content, or the error in words.
use crate::components::error_view::ErrorView;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Serialize, de::DeserializeOwned};

/// Renders `render(value)` once `resource` has loaded; keeps the old content while it reloads.
#[component]
pub fn Loaded<T, F, V>(resource: Resource<Result<T, AppError>>, loading: &'static str, render: F) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=move || view! { <p class="loading" role="status">{loading}</p> }>
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {
                    let render = render.clone();
                    move || {
                        let render = render.clone();
                        Suspend::new(async move { resource.await.map(render) })
                    }
                }
            </ErrorBoundary>
        </Transition>
    }
}
