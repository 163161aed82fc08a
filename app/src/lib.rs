//! Flotilla's Leptos app: the HTML shell, the router and every page.
#![recursion_limit = "256"]

pub mod api;
pub mod charts;
pub mod components;
pub mod error;
pub mod fleetmap;
#[cfg(feature = "ssr")]
pub mod guard;
pub mod links;
pub mod pages;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod state;
pub mod time;
pub mod worldmap;

use components::top_bar::TopBar;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{RouteChildren, Router, Routes, RoutesProps};
use pages::not_found::NotFound;

/// Applies a stored theme choice before first paint, so dark-mode users see no flash.
const THEME_BOOT: &str = "try{var t=localStorage.getItem('flotilla-theme');if(t==='light'||t==='dark'){document.documentElement.dataset.theme=t}}catch(e){}";

/// The page's Content-Security-Policy: scripts only from the portal and the inline scripts
/// of this response (hydration, resources, theme) by their nonce; WebAssembly compiled from
/// the portal's own wasm; nothing framed, no plugins, no foreign base URL.
#[cfg(feature = "ssr")]
fn content_security_policy(nonce: Option<&leptos::nonce::Nonce>) {
    let Some(nonce) = nonce else { return };
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else { return };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
    );
    if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Where a page loads the browser bundle from. The server names each file by its content
/// (`/pkg/flotilla.<hash>.wasm`, cached for a year as immutable) and provides this to every
/// page; without it (a test rendering the app alone) the plain names are used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleNames {
    pub js: String,
    pub wasm: String,
    pub css: String,
}

impl Default for BundleNames {
    fn default() -> Self {
        Self { js: "/pkg/flotilla.js".into(), wasm: "/pkg/flotilla.wasm".into(), css: "/pkg/flotilla.css".into() }
    }
}

/// The bundles the server found: the full app's, and each page group's that was built
/// (`pkg/flotilla-<group>.wasm`). A group without one uses the full app's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bundles {
    pub main: BundleNames,
    pub groups: Vec<(routes::PageGroup, BundleNames)>,
}

impl Bundles {
    /// What the page at `path` loads: its group's bundle, else the full app's.
    pub fn for_path(&self, path: &str) -> &BundleNames {
        let group = routes::PageGroup::for_path(path);
        self.groups.iter().find(|(g, _)| Some(*g) == group).map_or(&self.main, |(_, names)| names)
    }
}

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    #[cfg(feature = "ssr")]
    let path = use_context::<http::request::Parts>().map(|p| p.uri.path().to_owned()).unwrap_or_default();
    #[cfg(not(feature = "ssr"))]
    let path = String::new();
    // Read in place: the page takes one group's names, not a copy of every group's.
    let bundle = with_context::<Bundles, _>(|b| b.for_path(&path).clone()).unwrap_or_default();
    // Loads the JavaScript glue, then the wasm it is given, then hydrates the page.
    let hydrate = format!("import({:?}).then(m=>m.default({{module_or_path:{:?}}}).then(()=>m.hydrate()));", bundle.js, bundle.wasm);
    #[cfg(feature = "ssr")]
    content_security_policy(nonce.as_ref());
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <script nonce=nonce.clone() inner_html=THEME_BOOT></script>
                <AutoReload options/>
                <link rel="stylesheet" id="flotilla" href=bundle.css/>
                <link rel="modulepreload" href=bundle.js.clone()/>
                <link rel="preload" href=bundle.wasm r#as="fetch" r#type="application/wasm" crossorigin=""/>
                <script type="module" nonce=nonce inner_html=hydrate></script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The whole app: every page ([`routes::all`]).
#[component]
pub fn App() -> impl IntoView {
    frame(routes::all(), false)
}

/// The app around `routes`: the top bar, the router and the page. The full app and each group's
/// bundle (`routes`, `partial`) render the same document, so any of them hydrates what the server
/// sent; in a group's bundle an address outside it is loaded from the server ([`routes::Elsewhere`]).
pub fn frame<Defs>(routes: Defs, partial: bool) -> impl IntoView
where
    Defs: leptos_router::MatchNestedRoutes + Clone + Send + 'static,
{
    provide_meta_context();
    time::provide_zone();
    let fallback = move || if partial { view! { <routes::Elsewhere/> }.into_any() } else { view! { <NotFound/> }.into_any() };
    let routes = RoutesProps::builder().fallback(fallback).children(RouteChildren::to_children(move || routes)).build();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Flotilla".to_string() } else { format!("{page} · Flotilla") }/>
        <Router>
            <a class="skip-link" href="#content">"Skip to content"</a>
            <TopBar/>
            <main class="page" id="content" tabindex="-1">
                {Routes(routes)}
            </main>
        </Router>
    }
}
