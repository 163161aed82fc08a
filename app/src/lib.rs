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
#[cfg(feature = "ssr")]
pub mod state;
pub mod time;
pub mod worldmap;

use components::top_bar::TopBar;
use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};
use pages::{
    account::AccountPage, admin::AdminPage, cluster::ClusterPage, costs::CostsPage, fleet::FleetPage, login::LoginPage, not_found::NotFound, register::RegisterPage, workload::WorkloadPage,
    workloads::WorkloadsPage,
};

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

/// The HTML document around the app; rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let bundle = use_context::<BundleNames>().unwrap_or_default();
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    time::provide_zone();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Flotilla".to_string() } else { format!("{page} · Flotilla") }/>
        <Router>
            <a class="skip-link" href="#content">"Skip to content"</a>
            <TopBar/>
            // Async SSR: pages arrive complete, so they read well before (or without) the WASM.
            <main class="page" id="content" tabindex="-1">
                <Routes fallback=NotFound>
                    // The portal opens on the person's dashboard (/dashboard is the same page).
                    <Route path=StaticSegment("") view=crate::pages::dashboard::DashboardPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("fleet") view=FleetPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("clusters"), ParamSegment("id")) view=ClusterPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("clusters"), ParamSegment("id"), StaticSegment("nodes"), ParamSegment("node")) view=crate::pages::node::NodePage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("workloads") view=WorkloadsPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("workloads"), StaticSegment("new")) view=RegisterPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("workloads"), ParamSegment("id")) view=WorkloadPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("costs") view=CostsPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("dashboard") view=crate::pages::dashboard::DashboardPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("schedules") view=crate::pages::schedules::SchedulesPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("admin") view=AdminPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("admin"), ParamSegment("section")) view=AdminPage ssr=SsrMode::Async/>
                    <Route path=(StaticSegment("projects"), ParamSegment("id")) view=crate::pages::project::ProjectPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async/>
                </Routes>
            </main>
        </Router>
    }
}
