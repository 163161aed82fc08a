//! Live pages: run `tick` every `period_ms` in the browser while the page is shown (nothing on
//! the server render), stopped when the page goes away.
pub fn every(period_ms: u64, tick: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        use leptos::prelude::*;
        if let Ok(handle) = set_interval_with_handle(tick, std::time::Duration::from_millis(period_ms)) {
            on_cleanup(move || handle.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (period_ms, tick);
}
