//! The price catalogue: instance type → hourly price, per provider, with a default table of
//! common AWS, GCP and Azure types (on-demand, Linux, a US region) and CSV import/export.
//! An instance type the catalogue does not know is flagged, never priced at zero.
use crate::fleet::Provider;
use serde::{Deserialize, Serialize};

/// One catalogue line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
pub struct PriceEntry {
    pub provider: Provider,
    pub instance_type: String,
    pub currency: String,
    pub price_per_hour: f64,
}

/// On-demand list prices (USD per hour, Linux, us-east-1 / us-central1 / eastus, 2026), the
/// starting point administrators adjust to what they really pay.
pub const DEFAULT_PRICES: &[(Provider, &str, f64)] = &[
    (Provider::Eks, "t3.medium", 0.0416),
    (Provider::Eks, "t3.large", 0.0832),
    (Provider::Eks, "t3.xlarge", 0.1664),
    (Provider::Eks, "m5.large", 0.096),
    (Provider::Eks, "m5.xlarge", 0.192),
    (Provider::Eks, "m5.2xlarge", 0.384),
    (Provider::Eks, "m5.4xlarge", 0.768),
    (Provider::Eks, "m5.16xlarge", 3.072),
    (Provider::Eks, "m6i.large", 0.096),
    (Provider::Eks, "m6i.xlarge", 0.192),
    (Provider::Eks, "m6i.2xlarge", 0.384),
    (Provider::Eks, "c5.xlarge", 0.17),
    (Provider::Eks, "c5.2xlarge", 0.34),
    (Provider::Eks, "r5.xlarge", 0.252),
    (Provider::Eks, "r5.2xlarge", 0.504),
    (Provider::Eks, "g5.xlarge", 1.006),
    (Provider::Eks, "g5.2xlarge", 1.212),
    (Provider::Eks, "p3.2xlarge", 3.06),
    (Provider::Gke, "e2-standard-2", 0.067),
    (Provider::Gke, "e2-standard-4", 0.134),
    (Provider::Gke, "e2-standard-8", 0.268),
    (Provider::Gke, "n2-standard-2", 0.0971),
    (Provider::Gke, "n2-standard-4", 0.1942),
    (Provider::Gke, "n2-standard-8", 0.3885),
    (Provider::Gke, "c2-standard-8", 0.3341),
    (Provider::Gke, "a2-highgpu-1g", 3.6733),
    (Provider::Aks, "Standard_D2s_v5", 0.096),
    (Provider::Aks, "Standard_D4s_v5", 0.192),
    (Provider::Aks, "Standard_D8s_v5", 0.384),
    (Provider::Aks, "Standard_E4s_v5", 0.252),
    (Provider::Aks, "Standard_F8s_v2", 0.338),
    (Provider::Aks, "Standard_NC6s_v3", 3.06),
];

/// The default table as catalogue lines.
pub fn default_prices() -> Vec<PriceEntry> {
    DEFAULT_PRICES.iter().map(|(provider, t, p)| PriceEntry { provider: *provider, instance_type: (*t).to_owned(), currency: "USD".into(), price_per_hour: *p }).collect()
}

pub const CSV_HEADER: &str = "provider,instance_type,currency,price_per_hour";

/// The catalogue as CSV (header first), for spreadsheets and for import elsewhere.
pub fn prices_csv(entries: &[PriceEntry]) -> String {
    let mut out = format!("{CSV_HEADER}\r\n");
    for e in entries {
        out.push_str(&format!("{},{},{},{}\r\n", e.provider.as_str(), e.instance_type, e.currency, e.price_per_hour));
    }
    out
}

/// Reads catalogue CSV: all lines or nothing. Each bad line is named with the reason, so the
/// file can be fixed in one go.
pub fn parse_prices_csv(text: &str) -> Result<Vec<PriceEntry>, Vec<String>> {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        let n = i + 1;
        if line.is_empty() || (n == 1 && line.eq_ignore_ascii_case(CSV_HEADER)) {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        let [provider, instance_type, currency, price] = cells[..] else {
            problems.push(format!("line {n}: expected 4 values ({CSV_HEADER}), found {}", cells.len()));
            continue;
        };
        let provider = Provider::parse(provider);
        if instance_type.is_empty() || instance_type.len() > 100 || instance_type.contains(char::is_whitespace) {
            problems.push(format!("line {n}: the instance type must be one word of at most 100 characters"));
            continue;
        }
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            problems.push(format!("line {n}: the currency is a three-letter code such as USD or JPY (got '{currency}')"));
            continue;
        }
        match price.parse::<f64>() {
            Ok(p) if p.is_finite() && (0.0..=10_000.0).contains(&p) => entries.push(PriceEntry { provider, instance_type: instance_type.to_owned(), currency: currency.to_owned(), price_per_hour: p }),
            _ => problems.push(format!("line {n}: the price per hour is a number from 0 to 10000 (got '{price}')")),
        }
    }
    if problems.is_empty() { Ok(entries) } else { Err(problems) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_table_covers_the_three_clouds_and_the_demo_fleet() {
        let table = default_prices();
        for p in [Provider::Eks, Provider::Gke, Provider::Aks] {
            assert!(table.iter().filter(|e| e.provider == p).count() >= 6, "{p:?}");
        }
        for t in ["m5.xlarge", "m5.2xlarge", "g5.2xlarge", "e2-standard-4", "m5.16xlarge"] {
            assert!(table.iter().any(|e| e.instance_type == t), "{t}");
        }
        assert!(table.iter().all(|e| e.price_per_hour > 0.0));
    }

    #[test]
    fn csv_round_trips_and_names_every_bad_line() {
        let table = default_prices();
        assert_eq!(parse_prices_csv(&prices_csv(&table)).unwrap(), table);
        let bad = "provider,instance_type,currency,price_per_hour\neks,m5.large,USD,0.1\ngke,,USD,1\naks,x,dollars,1\neks,y,USD,-3\neks,z,USD\n";
        let problems = parse_prices_csv(bad).unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].starts_with("line 3") && problems[3].starts_with("line 6"), "{problems:?}");
    }
}
