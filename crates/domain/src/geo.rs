//! Where clusters are on the world map: built-in coordinates of the AWS, GCP and Azure regions
//! (the city each region is in or nearest to), a handful of cities for on-prem clusters, a
//! location an administrator may type ("Frankfurt", "35.68, 139.69"), the equirectangular
//! projection of `public/world-110m.svg`, and clustering of nearby markers into one. Pure.
use serde::{Deserialize, Serialize};

use crate::Provider;

/// Degrees: latitude −90..90 (north positive), longitude −180..180 (east positive).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct LatLon {
    pub lat: f64,
    pub lon: f64,
}

const fn at(lat: f64, lon: f64) -> LatLon {
    LatLon { lat, lon }
}

/// AWS regions (EKS).
pub const AWS_REGIONS: &[(&str, LatLon)] = &[
    ("us-east-1", at(39.0, -77.5)),
    ("us-east-2", at(40.0, -83.0)),
    ("us-west-1", at(37.4, -121.9)),
    ("us-west-2", at(45.6, -121.2)),
    ("af-south-1", at(-33.9, 18.4)),
    ("ap-east-1", at(22.3, 114.2)),
    ("ap-south-1", at(19.1, 72.9)),
    ("ap-south-2", at(17.4, 78.5)),
    ("ap-southeast-1", at(1.35, 103.8)),
    ("ap-southeast-2", at(-33.9, 151.2)),
    ("ap-southeast-3", at(-6.2, 106.8)),
    ("ap-southeast-4", at(-37.8, 145.0)),
    ("ap-southeast-5", at(3.1, 101.7)),
    ("ap-northeast-1", at(35.7, 139.7)),
    ("ap-northeast-2", at(37.6, 127.0)),
    ("ap-northeast-3", at(34.7, 135.5)),
    ("ca-central-1", at(45.5, -73.6)),
    ("ca-west-1", at(51.0, -114.1)),
    ("eu-central-1", at(50.1, 8.7)),
    ("eu-central-2", at(47.4, 8.5)),
    ("eu-west-1", at(53.3, -6.3)),
    ("eu-west-2", at(51.5, -0.1)),
    ("eu-west-3", at(48.9, 2.35)),
    ("eu-north-1", at(59.3, 18.1)),
    ("eu-south-1", at(45.5, 9.2)),
    ("eu-south-2", at(41.6, -0.9)),
    ("il-central-1", at(32.1, 34.8)),
    ("me-south-1", at(26.1, 50.6)),
    ("me-central-1", at(25.2, 55.3)),
    ("mx-central-1", at(20.6, -100.4)),
    ("sa-east-1", at(-23.5, -46.6)),
    ("us-gov-east-1", at(40.0, -83.0)),
    ("us-gov-west-1", at(45.6, -121.2)),
];

/// Google Cloud regions (GKE).
pub const GCP_REGIONS: &[(&str, LatLon)] = &[
    ("us-central1", at(41.3, -95.9)),
    ("us-east1", at(33.2, -80.0)),
    ("us-east4", at(39.0, -77.5)),
    ("us-east5", at(40.0, -83.0)),
    ("us-south1", at(32.8, -96.8)),
    ("us-west1", at(45.6, -121.2)),
    ("us-west2", at(34.1, -118.2)),
    ("us-west3", at(40.8, -111.9)),
    ("us-west4", at(36.2, -115.1)),
    ("northamerica-northeast1", at(45.5, -73.6)),
    ("northamerica-northeast2", at(43.7, -79.4)),
    ("northamerica-south1", at(20.6, -100.4)),
    ("southamerica-east1", at(-23.5, -46.6)),
    ("southamerica-west1", at(-33.4, -70.6)),
    ("europe-west1", at(50.4, 3.8)),
    ("europe-west2", at(51.5, -0.1)),
    ("europe-west3", at(50.1, 8.7)),
    ("europe-west4", at(53.4, 6.8)),
    ("europe-west6", at(47.4, 8.5)),
    ("europe-west8", at(45.5, 9.2)),
    ("europe-west9", at(48.9, 2.35)),
    ("europe-west10", at(52.5, 13.4)),
    ("europe-west12", at(45.1, 7.7)),
    ("europe-north1", at(60.6, 27.0)),
    ("europe-north2", at(59.3, 18.1)),
    ("europe-central2", at(52.2, 21.0)),
    ("europe-southwest1", at(40.4, -3.7)),
    ("asia-east1", at(24.1, 120.7)),
    ("asia-east2", at(22.3, 114.2)),
    ("asia-northeast1", at(35.7, 139.7)),
    ("asia-northeast2", at(34.7, 135.5)),
    ("asia-northeast3", at(37.6, 127.0)),
    ("asia-south1", at(19.1, 72.9)),
    ("asia-south2", at(28.6, 77.2)),
    ("asia-southeast1", at(1.35, 103.8)),
    ("asia-southeast2", at(-6.2, 106.8)),
    ("australia-southeast1", at(-33.9, 151.2)),
    ("australia-southeast2", at(-37.8, 145.0)),
    ("me-west1", at(32.1, 34.8)),
    ("me-central1", at(25.3, 51.5)),
    ("me-central2", at(26.4, 50.1)),
    ("africa-south1", at(-26.2, 28.0)),
];

/// Azure regions (AKS).
pub const AZURE_REGIONS: &[(&str, LatLon)] = &[
    ("eastus", at(37.4, -79.8)),
    ("eastus2", at(36.7, -78.4)),
    ("centralus", at(41.6, -93.6)),
    ("northcentralus", at(41.9, -87.6)),
    ("southcentralus", at(29.4, -98.5)),
    ("westcentralus", at(41.1, -104.8)),
    ("westus", at(37.8, -122.4)),
    ("westus2", at(47.2, -119.9)),
    ("westus3", at(33.4, -112.1)),
    ("canadacentral", at(43.7, -79.4)),
    ("canadaeast", at(46.8, -71.2)),
    ("mexicocentral", at(20.6, -100.4)),
    ("brazilsouth", at(-23.5, -46.6)),
    ("northeurope", at(53.3, -6.3)),
    ("westeurope", at(52.4, 4.9)),
    ("uksouth", at(51.5, -0.1)),
    ("ukwest", at(51.5, -3.2)),
    ("francecentral", at(48.9, 2.35)),
    ("germanywestcentral", at(50.1, 8.7)),
    ("switzerlandnorth", at(47.4, 8.5)),
    ("norwayeast", at(59.9, 10.8)),
    ("swedencentral", at(60.7, 17.1)),
    ("polandcentral", at(52.2, 21.0)),
    ("italynorth", at(45.5, 9.2)),
    ("spaincentral", at(40.4, -3.7)),
    ("eastasia", at(22.3, 114.2)),
    ("southeastasia", at(1.35, 103.8)),
    ("japaneast", at(35.7, 139.7)),
    ("japanwest", at(34.7, 135.5)),
    ("koreacentral", at(37.6, 127.0)),
    ("koreasouth", at(35.2, 129.1)),
    ("centralindia", at(18.6, 73.9)),
    ("southindia", at(13.1, 80.3)),
    ("westindia", at(19.1, 72.9)),
    ("australiaeast", at(-33.9, 151.2)),
    ("australiasoutheast", at(-37.8, 145.0)),
    ("australiacentral", at(-35.3, 149.1)),
    ("southafricanorth", at(-26.2, 28.0)),
    ("uaenorth", at(25.3, 55.3)),
    ("qatarcentral", at(25.3, 51.5)),
    ("israelcentral", at(32.1, 34.8)),
];

/// Cities an administrator may give as an on-prem cluster's location (lower case).
pub const CITIES: &[(&str, LatLon)] = &[
    ("tokyo", at(35.7, 139.7)),
    ("osaka", at(34.7, 135.5)),
    ("yokohama", at(35.44, 139.64)),
    ("nagoya", at(35.2, 136.9)),
    ("fukuoka", at(33.6, 130.4)),
    ("sapporo", at(43.1, 141.4)),
    ("seoul", at(37.6, 127.0)),
    ("singapore", at(1.35, 103.8)),
    ("hong kong", at(22.3, 114.2)),
    ("mumbai", at(19.1, 72.9)),
    ("sydney", at(-33.9, 151.2)),
    ("london", at(51.5, -0.1)),
    ("paris", at(48.9, 2.35)),
    ("frankfurt", at(50.1, 8.7)),
    ("berlin", at(52.5, 13.4)),
    ("amsterdam", at(52.4, 4.9)),
    ("dublin", at(53.3, -6.3)),
    ("stockholm", at(59.3, 18.1)),
    ("zurich", at(47.4, 8.5)),
    ("madrid", at(40.4, -3.7)),
    ("milan", at(45.5, 9.2)),
    ("new york", at(40.7, -74.0)),
    ("chicago", at(41.9, -87.6)),
    ("dallas", at(32.8, -96.8)),
    ("san francisco", at(37.8, -122.4)),
    ("seattle", at(47.6, -122.3)),
    ("toronto", at(43.7, -79.4)),
    ("são paulo", at(-23.5, -46.6)),
    ("sao paulo", at(-23.5, -46.6)),
    ("johannesburg", at(-26.2, 28.0)),
    ("dubai", at(25.2, 55.3)),
];

/// The coordinates of a provider's region, if Flotilla knows it.
pub fn region_location(provider: Provider, region: &str) -> Option<LatLon> {
    let table = match provider {
        Provider::Eks => AWS_REGIONS,
        Provider::Gke => GCP_REGIONS,
        Provider::Aks => AZURE_REGIONS,
        Provider::OnPrem | Provider::Other => return None,
    };
    let region = region.trim().to_ascii_lowercase();
    table.iter().find(|(name, _)| *name == region).map(|(_, l)| *l)
}

/// A location as an administrator types it: a known city ("Frankfurt") or "lat, lon"
/// ("35.68, 139.69"). The error says what to type.
pub fn parse_location(text: &str) -> Result<LatLon, String> {
    let t = text.trim();
    if let Some((a, b)) = t.split_once(',')
        && let (Ok(lat), Ok(lon)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>())
    {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(format!("{t} is not on Earth: latitude is −90 to 90, longitude −180 to 180"));
        }
        return Ok(at(lat, lon));
    }
    let key = t.to_lowercase();
    CITIES.iter().find(|(name, _)| *name == key).map(|(_, l)| *l).ok_or_else(|| format!("{t:?} is not a city Flotilla knows; give latitude and longitude instead, e.g. \"35.68, 139.69\""))
}

/// Where a cluster goes on the map: its own location (on-prem, or set by an administrator),
/// else its provider's region; `None` when neither is known (it is listed beside the map).
pub fn cluster_location(provider: Provider, region: &str, own: Option<LatLon>) -> Option<LatLon> {
    own.or_else(|| region_location(provider, region))
}

/// Map width and height of `public/world-110m.svg` (equirectangular).
pub const MAP_W: f64 = 1000.0;
pub const MAP_H: f64 = 500.0;

/// The map point of a location.
pub fn project(l: LatLon) -> (f64, f64) {
    ((l.lon + 180.0) / 360.0 * MAP_W, (90.0 - l.lat) / 180.0 * MAP_H)
}

/// One marker: one cluster, or several close together on the map at this zoom.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct MapMarker {
    /// Map coordinates (the mean of its members).
    pub x: f64,
    pub y: f64,
    /// Indices into the points given to [`cluster_markers`], in order.
    pub members: Vec<usize>,
}

/// Groups points closer than `radius` map units (greedy, in input order: each point joins the
/// first marker whose centre is within the radius, else starts one). Callers pass a radius
/// divided by the zoom, so markers split apart as one zooms in.
pub fn cluster_markers(points: &[(f64, f64)], radius: f64) -> Vec<MapMarker> {
    let mut out: Vec<MapMarker> = Vec::new();
    for (i, &(x, y)) in points.iter().enumerate() {
        let near = out.iter_mut().find(|m| (m.x - x).hypot(m.y - y) <= radius);
        match near {
            Some(m) => {
                let n = m.members.len() as f64;
                m.x = (m.x * n + x) / (n + 1.0);
                m.y = (m.y * n + y) / (n + 1.0);
                m.members.push(i);
            }
            None => out.push(MapMarker { x, y, members: vec![i] }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_region_is_a_real_place_and_listed_once() {
        for (provider, table) in [(Provider::Eks, AWS_REGIONS), (Provider::Gke, GCP_REGIONS), (Provider::Aks, AZURE_REGIONS)] {
            assert!(table.len() >= 30, "{provider:?} has its regions");
            let mut names: Vec<&str> = table.iter().map(|(n, _)| *n).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), table.len(), "{provider:?}: no region twice");
            for (name, l) in table {
                assert!((-90.0..=90.0).contains(&l.lat) && (-180.0..=180.0).contains(&l.lon), "{name}");
                assert_eq!(region_location(provider, name), Some(*l));
                assert_eq!(region_location(provider, &name.to_uppercase()), Some(*l), "case does not matter");
            }
        }
        // The regions the demo and the seed's customers use, spot-checked against the map.
        let tokyo = region_location(Provider::Eks, "ap-northeast-1").unwrap();
        assert!((tokyo.lat - 35.7).abs() < 0.5 && (tokyo.lon - 139.7).abs() < 0.5);
        assert_eq!(region_location(Provider::Gke, "asia-northeast1"), Some(tokyo));
        assert_eq!(region_location(Provider::Aks, "japaneast"), Some(tokyo));
        assert_eq!(region_location(Provider::Eks, "mars-north-1"), None);
        assert_eq!(region_location(Provider::OnPrem, "ap-northeast-1"), None, "on-prem clusters need a location of their own");
    }

    #[test]
    fn locations_are_cities_or_coordinates() {
        assert_eq!(parse_location(" Frankfurt ").unwrap(), at(50.1, 8.7));
        assert_eq!(parse_location("35.68, 139.69").unwrap(), at(35.68, 139.69));
        assert!(parse_location("95, 10").unwrap_err().contains("not on Earth"));
        assert!(parse_location("Atlantis").unwrap_err().contains("give latitude and longitude"));
        let own = at(1.0, 2.0);
        assert_eq!(cluster_location(Provider::OnPrem, "", Some(own)), Some(own));
        assert_eq!(cluster_location(Provider::Eks, "eu-west-1", None), Some(at(53.3, -6.3)));
        assert_eq!(cluster_location(Provider::OnPrem, "dc-1", None), None);
    }

    #[test]
    fn the_projection_matches_the_map_file() {
        assert_eq!(project(at(0.0, 0.0)), (500.0, 250.0));
        assert_eq!(project(at(90.0, -180.0)), (0.0, 0.0));
        assert_eq!(project(at(-90.0, 180.0)), (1000.0, 500.0));
    }

    #[test]
    fn nearby_markers_merge_and_split_when_zooming_in() {
        let tokyo = project(at(35.7, 139.7));
        let osaka = project(at(34.7, 135.5));
        let frankfurt = project(at(50.1, 8.7));
        let points = [tokyo, osaka, frankfurt, tokyo];
        let far = cluster_markers(&points, 20.0);
        assert_eq!(far.iter().map(|m| m.members.clone()).collect::<Vec<_>>(), [vec![0, 1, 3], vec![2]]);
        let centre = &far[0];
        assert!(centre.x > osaka.0 && centre.x < tokyo.0, "a merged marker sits among its members");
        let near = cluster_markers(&points, 20.0 / 8.0);
        assert_eq!(near.iter().map(|m| m.members.clone()).collect::<Vec<_>>(), [vec![0, 3], vec![1], vec![2]], "zoomed in: Tokyo and Osaka apart; two Tokyo clusters stay one marker");
        assert!(cluster_markers(&[], 10.0).is_empty());
    }
}
