//! Drawing the fleet map: cluster tiles (grouped by region or provider) holding one SVG cell per
//! node, coloured by utilisation. Pure string building, the same on the server (first paint) and
//! in the browser (every live update), so 1,000 nodes redraw in a few milliseconds.
use flotilla_domain::format::{self, Tz};
use flotilla_domain::inventory::{ClusterTile, FleetMap, HEAT_SCALE, HealthState, Metric, NodeCell, heat_colour, percent};
use std::fmt::Write;

/// What the person chose above the map.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapFilter {
    pub metric: Metric,
    pub group_by_provider: bool,
    pub provider: String,
    pub region: String,
    pub environment: String,
    pub project: String,
    pub namespace: String,
    pub search: String,
    /// Zoomed into one cluster.
    pub focus: Option<i64>,
    /// The node whose pods are listed (highlighted).
    pub selected: Option<(i64, String)>,
}

pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn tile_matches(t: &ClusterTile, f: &MapFilter) -> bool {
    let c = &t.cluster;
    (f.provider.is_empty() || c.provider.as_str() == f.provider)
        && (f.region.is_empty() || c.region == f.region)
        && (f.environment.is_empty() || c.environment == f.environment)
        && (f.focus.is_none() || f.focus == Some(c.id))
        && (f.project.is_empty() || t.namespaces.iter().any(|(_, p)| p.as_deref() == Some(f.project.as_str())))
        && (f.namespace.is_empty() || t.namespaces.iter().any(|(n, _)| *n == f.namespace))
        && (f.search.is_empty() || search_hits_tile(t, &f.search.to_lowercase()))
}

/// How many clusters the filters (or a zoom) leave on the map, so the summary can say
/// "2 of 4 clusters shown" instead of counting tiles that are not drawn.
pub fn shown(map: &FleetMap, f: &MapFilter) -> usize {
    map.tiles.iter().filter(|t| tile_matches(t, f)).count()
}

fn search_hits_tile(t: &ClusterTile, q: &str) -> bool {
    t.cluster.name.contains(q) || t.cluster.display_name.to_lowercase().contains(q) || t.nodes.iter().any(|n| n.name.contains(q)) || t.namespaces.iter().any(|(n, _)| n.contains(q))
}

/// Whether a node cell is highlighted under the filters (others are dimmed).
fn cell_matches(t: &ClusterTile, n: &NodeCell, f: &MapFilter) -> bool {
    type NamespacePredicate<'a> = &'a dyn Fn(&(String, Option<String>)) -> bool;
    let ns_ok = |pred: NamespacePredicate| n.namespaces.iter().any(|i| t.namespaces.get(*i as usize).is_some_and(pred));
    (f.project.is_empty() || ns_ok(&|(_, p)| p.as_deref() == Some(f.project.as_str())))
        && (f.namespace.is_empty() || ns_ok(&|(name, _)| *name == f.namespace))
        && (f.search.is_empty() || {
            let q = f.search.to_lowercase();
            n.name.contains(&q) || search_hits_cluster_only(t, &q) || ns_ok(&|(name, _)| name.contains(&q))
        })
}

fn search_hits_cluster_only(t: &ClusterTile, q: &str) -> bool {
    t.cluster.name.contains(q) || t.cluster.display_name.to_lowercase().contains(q)
}

/// The badge/border class of a health state (fleet map tiles and the cluster page).
pub fn health_class(s: HealthState) -> &'static str {
    match s {
        HealthState::Connected => "ok",
        HealthState::Connecting => "info",
        HealthState::Degraded => "warn",
        HealthState::Unreachable => "bad",
        HealthState::Disabled => "off",
    }
}

/// The whole map as HTML (tiles with inline SVG); times in `zone`.
pub fn render(map: &FleetMap, f: &MapFilter, zone: Tz) -> String {
    let mut tiles: Vec<&ClusterTile> = map.tiles.iter().filter(|t| tile_matches(t, f)).collect();
    if tiles.is_empty() {
        return if map.tiles.is_empty() { String::new() } else { "<p class=\"muted fleet-map__none\">No cluster matches these filters.</p>".into() };
    }
    let group = |t: &ClusterTile| if f.group_by_provider { t.cluster.provider.label().to_owned() } else { region_label(&t.cluster.region) };
    tiles.sort_by(|a, b| (group(a), &a.cluster.name).cmp(&(group(b), &b.cluster.name)));
    let mut out = String::with_capacity(64 * 1024);
    let mut current: Option<String> = None;
    for t in tiles {
        let g = group(t);
        if current.as_ref() != Some(&g) {
            if current.is_some() {
                out.push_str("</div></section>");
            }
            let _ = write!(out, "<section class=\"fleet-group\"><h2 class=\"fleet-group__title\">{}</h2><div class=\"fleet-group__tiles\">", esc(&g));
            current = Some(g);
        }
        tile(&mut out, t, f, zone);
    }
    out.push_str("</div></section>");
    out
}

fn region_label(region: &str) -> String {
    if region.is_empty() { "No region".into() } else { region.to_owned() }
}

fn tile(out: &mut String, t: &ClusterTile, f: &MapFilter, zone: Tz) {
    let c = &t.cluster;
    let zoomed = f.focus == Some(c.id);
    let h = &t.health;
    let since = if h.since_ms > 0 && !matches!(h.state, HealthState::Connected) { format!(" since {}", format::when_ms(h.since_ms, zone)) } else { String::new() };
    let _ = write!(
        out,
        "<article class=\"fleet-tile fleet-tile--{hc}{z}\" data-cluster=\"{id}\" aria-label=\"{name}\">\
         <header class=\"fleet-tile__head\"><button type=\"button\" class=\"fleet-tile__name\" data-zoom=\"{id}\" title=\"{zoom_title}\">{disp}</button>\
         <span class=\"badge badge--{hc}\" title=\"{detail}\">{state}{since}</span></header>\
         <p class=\"fleet-tile__meta\">{provider} · {region} · {env} · {counts}{requests_only}</p>",
        hc = health_class(h.state),
        z = if zoomed { " fleet-tile--zoomed" } else { "" },
        id = c.id,
        name = esc(&c.name),
        zoom_title = if zoomed { "Back to the whole fleet" } else { "Zoom into this cluster" },
        disp = esc(&c.display_name),
        detail = esc(&h.detail),
        state = h.state.label(),
        provider = c.provider.label(),
        region = esc(&region_label(&c.region)),
        env = esc(&c.environment),
        counts = t.counts(),
        requests_only = if t.metrics_live || t.nodes.is_empty() {
            ""
        } else {
            " · <span class=\"fleet-tile__requests\" title=\"This cluster serves no metrics.k8s.io; cells show requested resources\">requests only</span>"
        },
    );
    if let Some(words) = t.may_not_list("nodes") {
        let _ = write!(out, "<p class=\"notice notice--warn fleet-tile__empty\" data-forbidden=\"nodes\">{}</p></article>", esc(&words));
        return;
    }
    if t.nodes.is_empty() {
        let _ = write!(out, "<p class=\"muted fleet-tile__empty\">{}</p></article>", esc(&h.detail));
        return;
    }
    let n = t.nodes.len();
    // Small clusters get bigger cells; 100-node clusters stay compact.
    let (cell, gap) = match (zoomed, n) {
        (true, _) => (56.0, 6.0),
        (false, 0..=16) => (24.0, 3.0),
        (false, 17..=48) => (18.0, 2.0),
        _ => (13.0, 2.0),
    };
    let cols = if zoomed { 12.min(n).max(1) } else { ((n as f64 * 1.8).sqrt().ceil() as usize).clamp(1, 24) };
    let rows = n.div_ceil(cols);
    let w = cols as f64 * (cell + gap);
    let hgt = rows as f64 * (cell + gap);
    let _ = write!(
        out,
        "<svg class=\"fleet-tile__nodes\" viewBox=\"0 0 {w} {hgt}\" width=\"{w}\" height=\"{hgt}\" role=\"img\" aria-label=\"{n} nodes of {name} coloured by {metric}\">",
        name = esc(&c.name),
        metric = f.metric.label()
    );
    // Zoomed in, each node is labelled by the part of its name that tells it apart.
    let labels = if zoomed { flotilla_domain::node_labels(&t.nodes.iter().map(|n| n.name.as_str()).collect::<Vec<_>>()) } else { Vec::new() };
    for (i, node) in t.nodes.iter().enumerate() {
        let x = (i % cols) as f64 * (cell + gap);
        let y = (i / cols) as f64 * (cell + gap);
        let v = node.value(f.metric);
        let fill = if node.ready { heat_colour(v) } else { "#8a8f98" };
        let dim = if cell_matches(t, node, f) { "" } else { " dim" };
        let sel = if f.selected.as_ref().is_some_and(|(cid, nn)| *cid == c.id && *nn == node.name) { " selected" } else { "" };
        // Kept short: a 1,000-node map is 1,000 of these. Zoomed in, the namespaces are named too.
        let _ = write!(
            out,
            "<g class=\"node{dim}{sel}\" data-node=\"{name}\"{tab}><title>{name}{nr} · CPU {cpu} · memory {mem} · {count} pods{nslist}</title>\
             <rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" rx=\"2\" fill=\"{fill}\"/>",
            name = esc(&node.name),
            tab = if zoomed { " tabindex=\"0\"" } else { "" },
            nr = if node.ready { "" } else { " — NOT READY" },
            cpu = percent(node.cpu),
            mem = percent(node.memory),
            count = node.pod_count,
            nslist = if zoomed {
                let nss: Vec<&str> = node.namespaces.iter().filter_map(|i| t.namespaces.get(*i as usize)).map(|(n, _)| n.as_str()).collect();
                if nss.is_empty() { " · no pods of yours".to_owned() } else { esc(&format!(" · {}", nss.join(", "))) }
            } else {
                String::new()
            },
        );
        if zoomed {
            let short = labels.get(i).map(String::as_str).unwrap_or_default();
            let _ = write!(
                out,
                "<text x=\"{tx}\" y=\"{ty}\" class=\"node-label\">{pct}</text><text x=\"{tx}\" y=\"{ty2}\" class=\"node-label node-label--small\">{short}</text>",
                tx = x + cell / 2.0,
                ty = y + cell / 2.0,
                ty2 = y + cell / 2.0 + 14.0,
                pct = percent(v),
                short = esc(short),
            );
        }
        out.push_str("</g>");
    }
    out.push_str("</svg></article>");
}

/// The colour legend (same scale as the cells).
pub fn legend(metric: Metric) -> String {
    let mut out = format!("<span class=\"legend__label\">{} utilisation</span><span class=\"legend__scale\">", metric.label());
    for (i, c) in HEAT_SCALE.iter().enumerate() {
        let _ = write!(out, "<span class=\"legend__swatch\" style=\"background:{c}\" title=\"{}–{} %\"></span>", i * 10, i * 10 + 10);
    }
    out.push_str("</span><span class=\"legend__ends\">0 % → 100 %</span><span class=\"legend__swatch legend__swatch--notready\"></span><span>not ready</span>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use flotilla_domain::inventory::{ClusterHealth, NodeCell};
    use flotilla_domain::{ClusterSummary, Provider};

    fn tile(id: i64, name: &str, region: &str, nodes: usize) -> ClusterTile {
        ClusterTile {
            cluster: ClusterSummary {
                id,
                name: name.into(),
                display_name: format!("{name} <b>"),
                provider: Provider::Eks,
                region: region.into(),
                environment: "production".into(),
                enabled: true,
                labels: vec![],
                control_plane_price_per_hour: 0.1,
                api_server: String::new(),
                location: None,
            },
            health: ClusterHealth { state: HealthState::Connected, since_ms: 0, last_seen_ms: None, detail: "connected".into(), version: None },
            metrics_live: true,
            nodes: (0..nodes).map(|i| NodeCell { name: format!("{name}-n{i}"), ready: i != 0, cpu: 0.95, memory: 0.1, pods: 0.5, pod_count: 3, namespaces: vec![(i % 2) as u16] }).collect(),
            namespaces: vec![("team-a".into(), Some("team-a".into())), ("kube-system".into(), None)],
            pods: 30,
            forbidden: vec![],
        }
    }

    #[test]
    fn a_cluster_whose_nodes_may_not_be_listed_says_so_instead_of_zero() {
        let mut t = tile(1, "tokyo", "ap-northeast-1", 0);
        t.forbidden = vec!["nodes".into()];
        let html = render(&FleetMap { generation: 1, tiles: vec![t] }, &MapFilter::default(), Tz::UTC);
        assert!(html.contains("nodes unknown · 30 pods"), "{html}");
        assert!(!html.contains("0 nodes"), "{html}");
        assert!(html.contains("Flotilla may not list nodes on tokyo"), "{html}");
        let mut t = tile(2, "osaka", "ap-northeast-3", 1);
        t.pods = 1;
        let html = render(&FleetMap { generation: 1, tiles: vec![t] }, &MapFilter::default(), Tz::UTC);
        assert!(html.contains("1 node · 1 pod"), "singular counts: {html}");
    }

    #[test]
    fn tiles_group_by_region_and_every_node_is_a_cell() {
        let map = FleetMap { generation: 1, tiles: vec![tile(1, "tokyo", "ap-northeast-1", 12), tile(2, "osaka", "ap-northeast-3", 3)] };
        let html = render(&map, &MapFilter::default(), Tz::UTC);
        assert_eq!(html.matches("<rect").count(), 15);
        assert!(html.find("ap-northeast-1").unwrap() < html.find("ap-northeast-3").unwrap());
        assert!(html.contains(HEAT_SCALE[9]), "95 % cpu is the hottest colour");
        assert!(html.contains("#8a8f98"), "a node that is not ready is grey");
        assert!(html.contains("tokyo &lt;b&gt;") && !html.contains("<b>"), "names are escaped");
    }

    #[test]
    fn filters_hide_tiles_and_dim_cells() {
        let map = FleetMap { generation: 1, tiles: vec![tile(1, "tokyo", "r1", 4), tile(2, "osaka", "r2", 4)] };
        let f = MapFilter { region: "r2".into(), ..Default::default() };
        let html = render(&map, &f, Tz::UTC);
        assert!(!html.contains("tokyo-n0") && html.contains("osaka-n0"));
        assert_eq!((shown(&map, &f), shown(&map, &MapFilter::default())), (1, 2), "the summary counts the tiles drawn");
        let f = MapFilter { namespace: "team-a".into(), ..Default::default() };
        let html = render(&map, &f, Tz::UTC);
        assert_eq!(html.matches("class=\"node dim\"").count(), 4, "nodes without team-a pods are dimmed");
        let f = MapFilter { search: "nothing-like-this".into(), ..Default::default() };
        assert!(render(&map, &f, Tz::UTC).contains("No cluster matches"));
        let f = MapFilter { focus: Some(2), ..Default::default() };
        let html = render(&map, &f, Tz::UTC);
        assert!(html.contains("fleet-tile--zoomed") && !html.contains("tokyo-n0") && html.contains("node-label"));
    }
}
