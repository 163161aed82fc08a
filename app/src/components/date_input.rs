//! The one way a date is typed: ISO 8601 (`YYYY-MM-DD`), the format the portal writes dates in.
use leptos::prelude::*;

/// A labelled date field. `value` is set when the person leaves the field (or presses Enter),
/// not at every key, so a half-typed date is never sent; `on_set` runs just before.
#[component]
pub fn DateInput(label: &'static str, name: &'static str, value: RwSignal<String>, #[prop(optional)] on_set: Option<Callback<()>>) -> impl IntoView {
    view! {
        <label>{label}
            <input type="text" inputmode="numeric" pattern="[0-9]{4}-[0-9]{2}-[0-9]{2}" placeholder="YYYY-MM-DD" size="10" autocomplete="off" name=name
                prop:value=move || value.get()
                on:change=move |ev| {
                    if let Some(f) = on_set {
                        f.run(());
                    }
                    value.set(event_target_value(&ev));
                }/>
        </label>
    }
}
