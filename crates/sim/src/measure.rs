//! Small measuring helpers shared by the benchmark programs (the simulator's and the collector's).

/// This process's resident memory in MiB (Linux; 0 elsewhere).
pub fn rss_mb() -> f64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|kb| kb.parse::<f64>().ok()).map(|kb| kb / 1024.0).unwrap_or(0.0)
}

/// The `p` quantile (0..=1) of the samples, nearest rank; sorts them. 0 for no samples.
pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[((samples.len() as f64 - 1.0) * p).round() as usize]
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentiles_by_nearest_rank() {
        let mut v = vec![5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!(super::percentile(&mut v, 0.5), 3.0);
        assert_eq!(super::percentile(&mut v, 1.0), 5.0);
        assert_eq!(super::percentile(&mut [], 0.5), 0.0);
    }
}
