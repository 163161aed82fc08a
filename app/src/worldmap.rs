//! Drawing the world map of the fleet: Natural Earth country outlines (`/world-110m.svg`, shipped
//! with the site) under one marker per cluster — or per group of clusters close together at the
//! current zoom, with a count — coloured by health and sized by node count. Pure string
//! building, the same on the server (first paint) and in the browser (live updates, pan, zoom).
use crate::fleetmap::{esc, health_class};
use flotilla_domain::geo::{self, LatLon, MAP_H, MAP_W};
use flotilla_domain::inventory::{ClusterTile, FleetMap, Metric};
use std::collections::HashMap;
use std::fmt::Write;

/// What part of the map is shown: the centre (map units) and the zoom (1 = whole world).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct View {
    pub cx: f64,
    pub cy: f64,
    pub zoom: f64,
}

impl Default for View {
    fn default() -> Self {
        Self { cx: MAP_W / 2.0, cy: MAP_H / 2.0 - 20.0, zoom: 1.0 }
    }
}

pub const MAX_ZOOM: f64 = 64.0;

impl View {
    /// Keeps the view on the map.
    pub fn clamped(self) -> Self {
        let zoom = self.zoom.clamp(1.0, MAX_ZOOM);
        let (hw, hh) = (MAP_W / zoom / 2.0, MAP_H / zoom / 2.0);
        Self { cx: self.cx.clamp(hw, MAP_W - hw), cy: self.cy.clamp(hh, MAP_H - hh), zoom }
    }

    pub fn zoomed(self, factor: f64, around: Option<(f64, f64)>) -> Self {
        let zoom = (self.zoom * factor).clamp(1.0, MAX_ZOOM);
        let (ax, ay) = around.unwrap_or((self.cx, self.cy));
        // Keep the point under the cursor where it is.
        let k = self.zoom / zoom;
        Self { cx: ax + (self.cx - ax) * k, cy: ay + (self.cy - ay) * k, zoom }.clamped()
    }

    pub fn panned(self, dx: f64, dy: f64) -> Self {
        Self { cx: self.cx + dx, cy: self.cy + dy, ..self }.clamped()
    }

    pub fn view_box(&self) -> (f64, f64, f64, f64) {
        let (w, h) = (MAP_W / self.zoom, MAP_H / self.zoom);
        (self.cx - w / 2.0, self.cy - h / 2.0, w, h)
    }
}

/// Where a cluster goes: the location an administrator set, else its provider's region.
pub fn location_of(t: &ClusterTile) -> Option<LatLon> {
    let own = t.cluster.location.as_deref().and_then(|l| geo::parse_location(l).ok());
    geo::cluster_location(t.cluster.provider, &t.cluster.region, own)
}

/// CPU and memory in use (else requested) over allocatable, as whole percents.
fn use_of(t: &ClusterTile) -> (u32, u32) {
    let pct = |m: Metric| (t.mean(m) * 100.0).round() as u32;
    (pct(Metric::Cpu), pct(Metric::Memory))
}

/// Each cluster's cost per hour in words ("1.84 USD/h"), by cluster id, where known.
pub type CostLabels = HashMap<i64, String>;

/// One line per cluster: "tokyo-prod · Amazon EKS ap-northeast-1 · 12 nodes · CPU 81 % ·
/// memory 64 % · healthy · 1.84 USD/h".
pub fn describe(t: &ClusterTile, costs: &CostLabels) -> String {
    let (cpu, mem) = use_of(t);
    let mut line = format!("{} · {} {} · {} nodes · CPU {cpu} % · memory {mem} % · {}", t.cluster.display_name, t.cluster.provider.label(), t.cluster.region, t.nodes.len(), health_label(t));
    if let Some(cost) = costs.get(&t.cluster.id) {
        line.push_str(" · ");
        line.push_str(cost);
    }
    line
}

fn health_label(t: &ClusterTile) -> &'static str {
    match health_class(t.health.state) {
        "ok" => "healthy",
        "warn" => "degraded",
        "bad" => "unreachable",
        "off" => "disabled",
        _ => "connecting",
    }
}

/// A cluster on the map and where (longitude, latitude).
pub type Placed<'a> = (&'a ClusterTile, (f64, f64));

/// Markers of the clusters that have a location, and the clusters that have none.
pub fn placed(map: &FleetMap) -> (Vec<Placed<'_>>, Vec<&ClusterTile>) {
    let mut on = Vec::new();
    let mut off = Vec::new();
    for t in &map.tiles {
        match location_of(t) {
            Some(l) => on.push((t, geo::project(l))),
            None => off.push(t),
        }
    }
    (on, off)
}

/// The map as SVG for `view`: country outlines, then the markers.
pub fn render(map: &FleetMap, view: View, costs: &CostLabels) -> String {
    let (on, _) = placed(map);
    let (x, y, w, h) = view.view_box();
    let mut s = String::with_capacity(4096);
    let _ = write!(s, r#"<svg class="world-svg" viewBox="{x:.2} {y:.2} {w:.2} {h:.2}" preserveAspectRatio="xMidYMid meet" role="group" aria-label="World map: {} clusters">"#, on.len());
    let _ = write!(s, r#"<image href="/world-110m.svg" x="0" y="0" width="{MAP_W}" height="{MAP_H}" preserveAspectRatio="none"/>"#);
    let points: Vec<(f64, f64)> = on.iter().map(|(_, p)| *p).collect();
    let scale = 1.0 / view.zoom;
    for m in geo::cluster_markers(&points, 18.0 * scale) {
        let members: Vec<&ClusterTile> = m.members.iter().map(|i| on[*i].0).collect();
        let nodes: usize = members.iter().map(|t| t.nodes.len()).sum();
        let r = (4.0 + (nodes as f64).sqrt() * 1.6).min(16.0) * scale;
        // The worst health among the members colours the marker.
        let worst = members.iter().map(|t| health_rank(health_class(t.health.state))).max().unwrap_or(0);
        let class = ["ok", "info", "off", "warn", "bad"][worst];
        let title = members.iter().map(|t| describe(t, costs)).collect::<Vec<_>>().join("\n");
        let names = members.iter().map(|t| t.cluster.name.as_str()).collect::<Vec<_>>().join(" ");
        if let [t] = members.as_slice() {
            let _ = write!(
                s,
                r#"<a class="world-marker world-marker--{class}" href="/clusters/{}" data-clusters="{}" aria-label="{}"><title>{}</title><circle cx="{:.2}" cy="{:.2}" r="{r:.2}" stroke-width="{:.2}"/><text x="{:.2}" y="{:.2}" font-size="{:.2}">{}</text></a>"#,
                t.cluster.id,
                esc(&names),
                esc(&describe(t, costs)),
                esc(&title),
                m.x,
                m.y,
                1.5 * scale,
                m.x + r + 2.0 * scale,
                m.y + 3.5 * scale,
                10.0 * scale,
                esc(&format!("{} · CPU {} %", t.cluster.display_name, use_of(t).0)),
            );
        } else {
            let _ = write!(
                s,
                r#"<g class="world-marker world-marker--{class} world-marker--group" tabindex="0" role="button" data-zoom-x="{:.2}" data-zoom-y="{:.2}" data-clusters="{}" aria-label="{} clusters here: {}; zoom in"><title>{}</title><circle cx="{:.2}" cy="{:.2}" r="{:.2}" stroke-width="{:.2}"/><text class="count" x="{:.2}" y="{:.2}" font-size="{:.2}" text-anchor="middle">{}</text></g>"#,
                m.x,
                m.y,
                esc(&names),
                members.len(),
                esc(&names),
                esc(&title),
                m.x,
                m.y,
                r.max(9.0 * scale),
                1.5 * scale,
                m.x,
                m.y + 4.0 * scale,
                11.0 * scale,
                members.len(),
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn health_rank(class: &str) -> usize {
    match class {
        "ok" => 0,
        "info" => 1,
        "off" => 2,
        "warn" => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flotilla_domain::inventory::{ClusterHealth, HealthState};
    use flotilla_domain::{ClusterSummary, Provider};

    fn tile(id: i64, name: &str, provider: Provider, region: &str, location: Option<&str>) -> ClusterTile {
        ClusterTile {
            cluster: ClusterSummary {
                id,
                name: name.into(),
                display_name: name.into(),
                provider,
                region: region.into(),
                environment: String::new(),
                enabled: true,
                labels: vec![],
                control_plane_price_per_hour: 0.0,
                api_server: String::new(),
                location: location.map(str::to_owned),
            },
            health: ClusterHealth { state: HealthState::Connected, since_ms: 0, last_seen_ms: None, detail: String::new(), version: None },
            metrics_live: true,
            nodes: vec![],
            namespaces: vec![],
            pods: 0,
            forbidden: vec![],
        }
    }

    #[test]
    fn clusters_are_placed_by_region_or_their_location_and_grouped_until_zoomed() {
        let map = FleetMap {
            generation: 1,
            tiles: vec![
                tile(1, "tokyo-prod", Provider::Eks, "ap-northeast-1", None),
                tile(2, "osaka-prod", Provider::Eks, "ap-northeast-3", None),
                tile(3, "onprem-dev", Provider::OnPrem, "yokohama-dc1", Some("Yokohama")),
                tile(4, "gpu-ml", Provider::Eks, "us-west-2", None),
                tile(5, "lab", Provider::OnPrem, "basement", None),
            ],
        };
        let (on, off) = placed(&map);
        assert_eq!(on.len(), 4);
        assert_eq!(off.iter().map(|t| t.cluster.name.as_str()).collect::<Vec<_>>(), ["lab"], "no location: listed beside the map");
        let costs: CostLabels = [(4, "1.84 USD/h".to_owned())].into();
        let world = render(&map, View::default(), &costs);
        assert!(world.contains("gpu-ml · Amazon EKS us-west-2 · 0 nodes · CPU 0 % · memory 0 % · healthy · 1.84 USD/h"), "the hover names the cost per hour: {world}");
        assert!(world.contains(r#"data-clusters="tokyo-prod osaka-prod onprem-dev""#), "Japan is one marker at world zoom: {world}");
        assert!(world.contains("3 clusters here"));
        assert!(world.contains(r#"href="/clusters/4""#), "gpu-ml alone, linked to its page");
        let japan = View { cx: 887.0, cy: 151.0, zoom: 64.0 }.clamped();
        let close = render(&map, japan, &costs);
        for id in [1, 2, 3] {
            assert!(close.contains(&format!(r#"href="/clusters/{id}""#)), "zoomed in, cluster {id} has its own marker");
        }
    }

    #[test]
    fn the_view_stays_on_the_map_and_zooms_around_the_cursor() {
        let v = View::default().zoomed(4.0, Some((880.0, 150.0)));
        assert_eq!(v.zoom, 4.0);
        assert!((v.cx - (880.0 + (500.0 - 880.0) / 4.0)).abs() < 1e-9);
        let far = View { cx: -500.0, cy: 900.0, zoom: 2.0 }.clamped();
        assert_eq!((far.cx, far.cy), (250.0, 375.0));
        assert_eq!(View::default().zoomed(0.1, None).zoom, 1.0);
        assert_eq!(View::default().zoomed(100.0, None).zoom, MAX_ZOOM);
    }
}
