//! Light / dark / system theme, remembered in the browser.
use leptos::prelude::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Theme {
    System,
    Light,
    Dark,
}

impl Theme {
    fn from_stored(s: &str) -> Self {
        match s {
            "light" => Self::Light,
            "dark" => Self::Dark,
            _ => Self::System,
        }
    }
    fn key(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Self::System => "Theme: system",
            Self::Light => "Theme: light",
            Self::Dark => "Theme: dark",
        }
    }
    fn icon(self) -> &'static str {
        match self {
            Self::System => "◐",
            Self::Light => "☀",
            Self::Dark => "☾",
        }
    }
    fn next(self) -> Self {
        match self {
            Self::System => Self::Light,
            Self::Light => Self::Dark,
            Self::Dark => Self::System,
        }
    }
}

#[component]
pub fn ThemeToggle() -> impl IntoView {
    let theme = RwSignal::new(Theme::System);
    // After hydration, pick up what the visitor chose last time.
    Effect::new(move |_| {
        if let Some(stored) = storage().and_then(|s| s.get_item("flotilla-theme").ok().flatten()) {
            theme.set(Theme::from_stored(&stored));
        }
    });
    let cycle = move |_| {
        let next = theme.get().next();
        theme.set(next);
        apply(next);
    };
    view! {
        <button type="button" class="icon-button theme-toggle" on:click=cycle
            title=move || theme.get().label() aria-label=move || theme.get().label()
            data-theme-choice=move || theme.get().key()>
            <span aria-hidden="true">{move || theme.get().icon()}</span>
        </button>
    }
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

fn apply(theme: Theme) {
    if let Some(s) = storage() {
        let _ = s.set_item("flotilla-theme", theme.key());
    }
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = match theme {
            Theme::System => root.remove_attribute("data-theme"),
            other => root.set_attribute("data-theme", other.key()),
        };
    }
}
