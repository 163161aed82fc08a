//! The pages, in the groups the browser loads them by. Each group has its own browser bundle
//! (`pkg/flotilla-<group>.wasm`, built with the frontend's `pages-<group>` feature) that
//! hydrates only its own pages, so a cold load of a page moves the Leptos runtime, the top bar
//! and that page's code instead of every page's (issue 21). A link from one group to another is
//! a full page load (see [`Elsewhere`]); within a group the router navigates in the browser.
//! The full app ([`all`]) is what the server renders and what the plain bundle
//! (`pkg/flotilla.wasm`) hydrates: pages with no bundle of their own, and addresses that lead
//! nowhere.
use crate::pages::{
    account::AccountPage, admin::AdminPage, cluster::ClusterPage, costs::CostsPage, dashboard::DashboardPage, fleet::FleetPage, login::LoginPage, node::NodePage, not_found::NotFound,
    project::ProjectPage, register::RegisterPage, schedules::SchedulesPage, workload::WorkloadPage, workloads::WorkloadsPage,
};
use leptos::prelude::*;
use leptos_router::{MatchNestedRoutes, ParamSegment, SsrMode, StaticSegment, components::Route};

/// A set of pages with one browser bundle between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PageGroup {
    Login,
    Dashboard,
    Fleet,
    Clusters,
    Costs,
    Register,
    Workloads,
    Admin,
    Account,
}

impl PageGroup {
    pub const ALL: [PageGroup; 9] = [Self::Login, Self::Dashboard, Self::Fleet, Self::Clusters, Self::Costs, Self::Register, Self::Workloads, Self::Admin, Self::Account];

    /// The bundle's name: `pkg/flotilla-<name>.wasm`, the frontend feature `pages-<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Dashboard => "dashboard",
            Self::Fleet => "fleet",
            Self::Clusters => "clusters",
            Self::Costs => "costs",
            Self::Register => "register",
            Self::Workloads => "workloads",
            Self::Admin => "admin",
            Self::Account => "account",
        }
    }

    /// The group whose routes answer `path`; None where no page does (the 404 page, which the
    /// full bundle hydrates). Mirrors the routes below; `every_route_is_in_the_group_its_path_names`
    /// checks that they agree.
    pub fn for_path(path: &str) -> Option<Self> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        Some(match segments.as_slice() {
            ["login"] => Self::Login,
            [] | ["dashboard"] => Self::Dashboard,
            ["fleet"] => Self::Fleet,
            ["clusters", _] | ["clusters", _, "nodes", _] => Self::Clusters,
            ["costs"] => Self::Costs,
            ["workloads", "new"] => Self::Register,
            ["workloads"] | ["workloads", _] | ["schedules"] | ["projects", _] => Self::Workloads,
            ["admin"] | ["admin", _] => Self::Admin,
            ["account"] => Self::Account,
            _ => return None,
        })
    }
}

// Pages arrive complete (async SSR), so they read well before (or without) the wasm.

pub fn login() -> impl MatchNestedRoutes + Clone + Send + 'static {
    view! { <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async/> }.into_inner()
}

/// The portal opens on the person's dashboard (/dashboard is the same page).
pub fn dashboard() -> impl MatchNestedRoutes + Clone + Send + 'static {
    (
        view! { <Route path=StaticSegment("") view=DashboardPage ssr=SsrMode::Async/> }.into_inner(),
        view! { <Route path=StaticSegment("dashboard") view=DashboardPage ssr=SsrMode::Async/> }.into_inner(),
    )
}

/// The fleet map on its own: with the cluster and node pages its bundle passed 400 KB.
pub fn fleet() -> impl MatchNestedRoutes + Clone + Send + 'static {
    view! { <Route path=StaticSegment("fleet") view=FleetPage ssr=SsrMode::Async/> }.into_inner()
}

pub fn clusters() -> impl MatchNestedRoutes + Clone + Send + 'static {
    (
        view! { <Route path=(StaticSegment("clusters"), ParamSegment("id")) view=ClusterPage ssr=SsrMode::Async/> }.into_inner(),
        view! { <Route path=(StaticSegment("clusters"), ParamSegment("id"), StaticSegment("nodes"), ParamSegment("node")) view=NodePage ssr=SsrMode::Async/> }.into_inner(),
    )
}

pub fn costs() -> impl MatchNestedRoutes + Clone + Send + 'static {
    view! { <Route path=StaticSegment("costs") view=CostsPage ssr=SsrMode::Async/> }.into_inner()
}

pub fn register() -> impl MatchNestedRoutes + Clone + Send + 'static {
    view! { <Route path=(StaticSegment("workloads"), StaticSegment("new")) view=RegisterPage ssr=SsrMode::Async/> }.into_inner()
}

pub fn workloads() -> impl MatchNestedRoutes + Clone + Send + 'static {
    (
        view! { <Route path=StaticSegment("workloads") view=WorkloadsPage ssr=SsrMode::Async/> }.into_inner(),
        view! { <Route path=(StaticSegment("workloads"), ParamSegment("id")) view=WorkloadPage ssr=SsrMode::Async/> }.into_inner(),
        view! { <Route path=StaticSegment("schedules") view=SchedulesPage ssr=SsrMode::Async/> }.into_inner(),
        view! { <Route path=(StaticSegment("projects"), ParamSegment("id")) view=ProjectPage ssr=SsrMode::Async/> }.into_inner(),
    )
}

/// The workloads bundle on its own: `/workloads/new` (the register form, its own bundle) would
/// otherwise be read as the workload whose id is "new".
pub fn workloads_bundle() -> impl MatchNestedRoutes + Clone + Send + 'static {
    (view! { <Route path=(StaticSegment("workloads"), StaticSegment("new")) view=Elsewhere/> }.into_inner(), workloads())
}

pub fn admin() -> impl MatchNestedRoutes + Clone + Send + 'static {
    (
        view! { <Route path=StaticSegment("admin") view=AdminPage ssr=SsrMode::Async/> }.into_inner(),
        view! { <Route path=(StaticSegment("admin"), ParamSegment("section")) view=AdminPage ssr=SsrMode::Async/> }.into_inner(),
    )
}

pub fn account() -> impl MatchNestedRoutes + Clone + Send + 'static {
    view! { <Route path=StaticSegment("account") view=AccountPage ssr=SsrMode::Async/> }.into_inner()
}

/// Every page: what the server renders and the full bundle hydrates. The register form comes
/// before the workload page, whose `:id` would match "new".
pub fn all() -> impl MatchNestedRoutes + Clone + Send + 'static {
    (login(), dashboard(), fleet(), clusters(), costs(), register(), workloads(), admin(), account())
}

/// A page of another group, reached by a link or `navigate` inside a group's bundle: loaded
/// whole from the server, which renders it and sends its own bundle. While the page hydrates
/// (an address no page answers, which the server rendered as the 404 page) it is the 404 page.
#[component]
pub fn Elsewhere() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let hydrated = document().body().is_some_and(|b| b.has_attribute("data-hydrated"));
        if hydrated {
            let location = leptos_router::hooks::use_location();
            let target = format!("{}{}{}", location.pathname.get_untracked(), location.search.get_untracked(), location.hash.get_untracked());
            // After the router has written the address to the history (a push), load it in place
            // of that entry; before, as a new one.
            set_timeout(
                move || {
                    let place = window().location();
                    let here = format!("{}{}{}", place.pathname().unwrap_or_default(), place.search().unwrap_or_default(), place.hash().unwrap_or_default());
                    let _ = if here == target { place.replace(&target) } else { place.assign(&target) };
                },
                std::time::Duration::ZERO,
            );
            return view! { <p class="muted" role="status">"Opening the page…"</p> }.into_any();
        }
    }
    view! { <NotFound/> }.into_any()
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    /// The paths a set of routes answers, as axum writes them (`/clusters/{id}`).
    fn paths<Defs: MatchNestedRoutes + Clone + Send + 'static>(routes: impl Fn() -> Defs + Clone + Send + 'static) -> Vec<String> {
        let mut paths: Vec<String> = leptos_axum::generate_route_list(move || crate::frame(routes(), true)).iter().map(|r| r.path().to_owned()).collect();
        paths.sort();
        paths.dedup();
        paths
    }

    /// An address the pattern answers: each `{param}` as `7`.
    fn sample(pattern: &str) -> String {
        pattern.split('/').map(|s| if s.starts_with('{') { "7" } else { s }).collect::<Vec<_>>().join("/")
    }

    // One test: Leptos lists routes by rendering with resources held back process-wide
    // (leptos-rs/leptos#4773), so the listings are not made beside other renders.
    #[tokio::test]
    async fn every_route_is_in_the_group_its_path_names() {
        let groups = [
            (PageGroup::Login, paths(login)),
            (PageGroup::Dashboard, paths(dashboard)),
            (PageGroup::Fleet, paths(fleet)),
            (PageGroup::Clusters, paths(clusters)),
            (PageGroup::Costs, paths(costs)),
            (PageGroup::Register, paths(register)),
            (PageGroup::Workloads, paths(workloads)),
            (PageGroup::Admin, paths(admin)),
            (PageGroup::Account, paths(account)),
        ];
        assert_eq!(groups.each_ref().map(|(g, _)| *g), PageGroup::ALL, "every group is listed here once");
        let mut grouped = vec![];
        for (group, patterns) in &groups {
            assert!(!patterns.is_empty(), "{group:?} has pages");
            for pattern in patterns {
                assert_eq!(PageGroup::for_path(&sample(pattern)), Some(*group), "{pattern} is a page of {group:?}, so its address must load that group's bundle");
                grouped.push(pattern.clone());
            }
        }
        grouped.sort();
        assert_eq!(grouped, paths(all), "the full app is the groups' pages, each once");
        // The workloads bundle sends the register form's address to the server, not to the workload page.
        assert!(paths(workloads_bundle).contains(&"/workloads/new".to_owned()));
        for nowhere in ["/nowhere", "/clusters/7/extra", "/admin/a/b", "/workloads/7/edit"] {
            assert_eq!(PageGroup::for_path(nowhere), None, "{nowhere} is no page: the full bundle hydrates its 404 page");
        }
    }

    #[test]
    fn a_page_loads_its_groups_bundle_or_the_full_one() {
        let names = |n: &str| crate::BundleNames { js: format!("/pkg/{n}.js"), wasm: format!("/pkg/{n}.wasm"), css: "/pkg/flotilla.css".into() };
        let bundles = crate::Bundles { main: names("flotilla"), groups: vec![(PageGroup::Clusters, names("flotilla-clusters"))] };
        assert_eq!(bundles.for_path("/clusters/3/nodes/n1").wasm, "/pkg/flotilla-clusters.wasm");
        assert_eq!(bundles.for_path("/costs").wasm, "/pkg/flotilla.wasm", "a group whose bundle was not built uses the full one");
        assert_eq!(bundles.for_path("/nowhere").wasm, "/pkg/flotilla.wasm");
    }
}
