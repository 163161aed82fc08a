//! The browser entry point: hydrate the server-rendered page. Nothing else lives here.
// Leptos view types of the larger pages nest deeper than the default limit of 128.
#![recursion_limit = "256"]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
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
