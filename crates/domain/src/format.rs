//! How people read amounts and times, everywhere in the portal: one money format (two decimals,
//! thousands grouped) and one time format (ISO dates, a 24-hour clock, in the person's time zone
//! with its abbreviation).
pub use chrono::{DateTime, Utc};
pub use chrono_tz::{TZ_VARIANTS, Tz};

/// "1,234.50 USD", "-3.10 EUR"; an amount that two decimals would show as zero is "< 0.01 USD".
pub fn money(v: f64, currency: &str) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let unit = if currency.is_empty() { String::new() } else { format!(" {currency}") };
    if v != 0.0 && v.abs() < 0.005 {
        return format!("< 0.01{unit}");
    }
    let fixed = format!("{:.2}", v.abs());
    let (whole, frac) = fixed.split_once('.').unwrap_or((&fixed, "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let sign = if v < 0.0 { "-" } else { "" };
    format!("{sign}{grouped}.{frac}{unit}")
}

/// A zone from its IANA name ("Asia/Tokyo"); UTC for anything else.
pub fn zone(name: &str) -> Tz {
    name.trim().parse().unwrap_or(Tz::UTC)
}

/// "2026-12-06 14:04 JST": a moment in the person's zone.
pub fn when(t: DateTime<Utc>, zone: Tz) -> String {
    t.with_timezone(&zone).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// [`when`] for unix milliseconds.
pub fn when_ms(ms: i64, zone: Tz) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| when(t, zone))
}

/// "14:04 JST": the time of day (for today's events: health changes, chart axes).
pub fn clock_ms(ms: i64, zone: Tz) -> String {
    DateTime::from_timestamp_millis(ms).map_or_else(String::new, |t| t.with_timezone(&zone).format("%H:%M %Z").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_has_one_precision_rule_and_groups_thousands() {
        assert_eq!(money(1234.5, "USD"), "1,234.50 USD");
        assert_eq!(money(1_234_567.891, "EUR"), "1,234,567.89 EUR");
        assert_eq!(money(100.0, "USD"), "100.00 USD");
        assert_eq!(money(12.344, "USD"), "12.34 USD");
        assert_eq!(money(0.12, "USD"), "0.12 USD");
        assert_eq!(money(0.999, "USD"), "1.00 USD");
        assert_eq!(money(0.0, "USD"), "0.00 USD");
        assert_eq!(money(0.004, "USD"), "< 0.01 USD");
        assert_eq!(money(-3.1, "EUR"), "-3.10 EUR");
        assert_eq!(money(999.999, ""), "1,000.00");
        assert_eq!(money(f64::NAN, "USD"), "0.00 USD");
    }

    #[test]
    fn times_read_in_the_persons_zone_with_iso_dates() {
        let t = DateTime::parse_from_rfc3339("2026-12-06T05:04:30Z").unwrap().with_timezone(&Utc);
        assert_eq!(when(t, zone("Asia/Tokyo")), "2026-12-06 14:04 JST");
        assert_eq!(when(t, zone("UTC")), "2026-12-06 05:04 UTC");
        assert_eq!(when(t, zone("America/New_York")), "2026-12-06 00:04 EST");
        assert_eq!(when(t, zone("not a zone")), "2026-12-06 05:04 UTC");
        assert_eq!(clock_ms(t.timestamp_millis(), zone("Europe/Berlin")), "06:04 CET");
        assert_eq!(when_ms(t.timestamp_millis(), Tz::UTC), "2026-12-06 05:04 UTC");
    }
}
