//! The browser entry point: hydrate the server-rendered page. Nothing else lives here. Each
//! page's own code is a chunk of its own (app::App's lazy routes): hydration waits for the
//! chunk of the page the browser opened.
// Leptos view types of the larger pages nest deeper than the default limit of 128.
#![recursion_limit = "256"]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Hydration waits for the page's chunk, so it runs as a task (hydrate_from_async sets up
    // Leptos's executor on wasm-bindgen-futures).
    wasm_bindgen_futures::spawn_local(async {
        leptos::mount::hydrate_from_async(leptos::prelude::document().body().expect("a page has a body"), app::App).await.forget();
        // Marks the page as interactive (browser tests wait for it, then act once). Suspense
        // boundaries whose data came with the page hydrate in tasks queued just now, so the
        // mark waits for the next turn of the event loop, after them.
        leptos::prelude::set_timeout(
            || {
                if let Some(body) = leptos::prelude::document().body() {
                    let _ = body.set_attribute("data-hydrated", "");
                }
            },
            std::time::Duration::ZERO,
        );
    });
}
