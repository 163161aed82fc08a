//! The person's time zone: the one they chose on the Account page, else their browser's,
//! remembered in a cookie so the server writes times as the browser does (no flicker on
//! hydration). Every time on every page goes through [`when`] / [`when_ms`] (or, for drawings
//! given the zone, `flotilla_domain::format` itself) in this zone.
use flotilla_domain::format::{self, DateTime, Tz, Utc};
use leptos::prelude::*;

/// The cookie holding the zone's IANA name ("Asia/Tokyo").
pub const COOKIE: &str = "flotilla_tz";

#[derive(Clone, Copy)]
struct PersonZone(RwSignal<Tz>);

/// The zone in a `Cookie:` header, if one was remembered.
fn from_cookies(header: &str) -> Option<String> {
    header.split(';').filter_map(|kv| kv.trim().split_once('=')).find(|(k, _)| *k == COOKIE).map(|(_, v)| v.to_owned())
}

#[cfg(feature = "ssr")]
fn stored() -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
    parts.headers.get_all(http::header::COOKIE).iter().filter_map(|v| v.to_str().ok()).find_map(from_cookies)
}

#[cfg(not(feature = "ssr"))]
fn stored() -> Option<String> {
    let doc = web_sys::window()?.document()?;
    js_sys::Reflect::get(&doc, &"cookie".into()).ok()?.as_string().as_deref().and_then(from_cookies)
}

/// The browser's IANA time zone ("Europe/Berlin"); UTC on the server.
pub fn browser_zone() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let o = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
        js_sys::Reflect::get(&o, &"timeZone".into()).ok().and_then(|v| v.as_string()).unwrap_or_else(|| "UTC".into())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        "UTC".into()
    }
}

/// Remembers a zone for a year in this browser.
fn remember(name: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Some(doc) = web_sys::window().and_then(|w| w.document()) {
        let _ = js_sys::Reflect::set(&doc, &"cookie".into(), &format!("{COOKIE}={name}; path=/; max-age=31536000; samesite=lax").into());
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = name;
}

/// Provides the person's zone to every page (the app's root calls this). On a first visit the
/// server writes UTC; once the page is live it switches to the browser's zone and remembers it.
pub fn provide_zone() {
    let chosen = stored().filter(|n| n.parse::<Tz>().is_ok());
    let zone = RwSignal::new(chosen.as_deref().map_or(Tz::UTC, format::zone));
    provide_context(PersonZone(zone));
    if chosen.is_none() {
        Effect::new(move |_| {
            let name = browser_zone();
            remember(&name);
            zone.set(format::zone(&name));
        });
    }
}

/// The person's zone (tracked: times rewrite themselves when it changes).
pub fn zone() -> Tz {
    use_context::<PersonZone>().map_or(Tz::UTC, |z| z.0.get())
}

/// Chooses and remembers the person's zone (the Account page).
pub fn choose_zone(name: &str) {
    let tz = format::zone(name);
    remember(tz.name());
    if let Some(z) = use_context::<PersonZone>() {
        z.0.set(tz);
    }
}

/// "2026-12-06 14:04 JST".
pub fn when(t: DateTime<Utc>) -> String {
    format::when(t, zone())
}

/// [`when`] for unix milliseconds.
pub fn when_ms(ms: i64) -> String {
    format::when_ms(ms, zone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_zone_is_read_from_its_cookie_among_others() {
        assert_eq!(super::from_cookies("a=1; flotilla_tz=Asia/Tokyo; b=2").as_deref(), Some("Asia/Tokyo"));
        assert_eq!(super::from_cookies("flotilla_session=x"), None);
    }
}
