//! Shows errors in words, and sets the HTTP status when the page is rendered on the server.
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn ErrorView(errors: ArcRwSignal<Errors>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let status = errors.get_untracked().iter().find_map(|(_, e)| e.downcast_ref::<AppError>().map(AppError::status_code)).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(status);
        }
    }
    let messages = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| match e.downcast_ref::<AppError>() {
                Some(app) => app.to_string(),
                None => format!("Something went wrong: {e}"),
            })
            .collect::<Vec<_>>()
    };
    view! {
        <div class="error-panel" role="alert">
            <h2>"This could not be shown"</h2>
            <ul>
                {move || messages().into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}
            </ul>
        </div>
    }
}

/// The message of a failed action (form submission), shown next to the form.
pub fn action_error<T>(result: Option<Result<T, AppError>>) -> Option<AnyView> {
    match result {
        Some(Err(e)) => Some(view! { <p class="notice notice--error" role="alert">{e.to_string()}</p> }.into_any()),
        _ => None,
    }
}
