//! Kubernetes resource quantities ("500m", "16Gi", "2"): parsing to numbers and formatting back.

/// Parses a quantity into base units (cores for cpu, bytes for memory, plain counts otherwise).
pub fn parse(q: &str) -> Option<f64> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let split = q.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+')).unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0f64.powi(4),
        "Pi" => 1024.0f64.powi(5),
        s if s.starts_with('e') || s.starts_with('E') => 10f64.powi(s[1..].parse().ok()?),
        _ => return None,
    };
    Some(n * mult)
}

/// Parses a JSON quantity (string or number).
pub fn parse_value(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::String(s) => parse(s),
        serde_json::Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// Formats cores as kube does: whole numbers plain, otherwise millicores.
pub fn format_cpu(cores: f64) -> String {
    let milli = (cores * 1000.0).round() as i64;
    if milli % 1000 == 0 { format!("{}", milli / 1000) } else { format!("{milli}m") }
}

/// Formats cpu usage in nanocores, the way metrics-server reports it.
pub fn format_nanocores(cores: f64) -> String {
    format!("{}n", (cores * 1e9).round() as i64)
}

/// Formats bytes with the largest binary suffix that divides exactly (falls back to Ki, rounded).
pub fn format_memory(bytes: f64) -> String {
    let b = bytes.round() as i64;
    for (suffix, m) in [("Gi", 1i64 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)] {
        if b != 0 && b % m == 0 {
            return format!("{}{suffix}", b / m);
        }
    }
    if b < 1024 { format!("{b}") } else { format!("{}Ki", b / 1024) }
}

/// Formats a quantity for resource or quota key `name` (cpu, memory-like or count).
pub fn format_for(name: &str, v: f64) -> String {
    if name.ends_with("cpu") {
        format_cpu(v)
    } else if name.ends_with("memory") || name.ends_with("storage") || name.contains("hugepages-") {
        format_memory(v)
    } else {
        format!("{}", v.round() as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("16Gi"), Some(16.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("abc"), None);
        assert_eq!(format_cpu(1.5), "1500m");
        assert_eq!(format_cpu(2.0), "2");
        assert_eq!(format_memory(512.0 * 1024.0 * 1024.0), "512Mi");
        assert_eq!(format_memory(3.0 * 1024.0 * 1024.0 * 1024.0), "3Gi");
    }
}
