//! The browser entry point: hydrate the server-rendered page. Nothing else lives here.
//! Built once as the whole app and once per page group (`pages-<group>` features, see
//! app/src/routes.rs): a group's bundle holds only the code of its own pages.
// Leptos view types of the larger pages nest deeper than the default limit of 128.
#![recursion_limit = "256"]

/// The pages this bundle hydrates, with whether they are only a part of the app.
macro_rules! pages {
    ($($feature:literal => $routes:expr),* $(,)?) => {
        $(#[cfg(feature = $feature)] return leptos::mount::hydrate_body(|| app::frame($routes, true));)*
        #[allow(unreachable_code)]
        leptos::mount::hydrate_body(app::App)
    };
}

fn hydrate_pages() {
    pages! {
        "pages-login" => app::routes::login(),
        "pages-dashboard" => app::routes::dashboard(),
        "pages-fleet" => app::routes::fleet(),
        "pages-clusters" => app::routes::clusters(),
        "pages-costs" => app::routes::costs(),
        "pages-register" => app::routes::register(),
        "pages-workloads" => app::routes::workloads_bundle(),
        "pages-admin" => app::routes::admin(),
        "pages-account" => app::routes::account(),
    }
}

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    hydrate_pages();
    // Marks the page as interactive (browser tests wait for it, then act once). Suspense
    // boundaries whose data came with the page hydrate in tasks queued just now, so the mark
    // waits for the next turn of the event loop, after them.
    leptos::prelude::set_timeout(
        || {
            if let Some(body) = leptos::prelude::document().body() {
                let _ = body.set_attribute("data-hydrated", "");
            }
        },
        std::time::Duration::ZERO,
    );
}
