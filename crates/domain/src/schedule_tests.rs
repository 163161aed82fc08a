//! Window maths (DST, leap day, month ends, overnight windows, overlaps) and the low-priority
//! pressure rules.
use super::*;

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn recurring(days: u8, start: &str, end: &str, tz: &str) -> Schedule {
    Schedule::Recurring { days, start: start.into(), end: end.into(), tz: tz.into() }
}

#[test]
fn weekday_nights_in_tokyo() {
    let s = recurring(WEEKDAYS, "01:00", "05:00", "Asia/Tokyo");
    assert_eq!(check(&s), Ok(()));
    // 2026-11-23 is a Monday. 01:00 JST = 16:00 UTC the day before.
    let w = windows(&s, utc("2026-11-23T00:00:00Z"), utc("2026-11-30T00:00:00Z"));
    let starts: Vec<String> = w.iter().map(|w| w.start.format("%a %m-%d %H:%M").to_string()).collect();
    // Tue–Fri and next Monday at 01:00 JST (Monday 11-23's window ended before the range).
    assert_eq!(starts, ["Mon 11-23 16:00", "Tue 11-24 16:00", "Wed 11-25 16:00", "Thu 11-26 16:00", "Sun 11-29 16:00"]);
    assert!(w.iter().all(|w| w.end - w.start == Duration::hours(4)));
    assert!(describe(&s, utc("2026-11-24T00:00:00Z")).starts_with("runs every weekday 01:00–05:00 JST (Asia/Tokyo)"), "{}", describe(&s, utc("2026-11-24T00:00:00Z")));
    assert!(open_at(&s, utc("2026-11-24T17:30:00Z")).is_some(), "Wed 02:30 JST");
    assert!(open_at(&s, utc("2026-11-24T21:00:00Z")).is_none(), "Wed 06:00 JST");
    assert!(open_at(&s, utc("2026-11-28T17:00:00Z")).is_none(), "Sunday 02:00 JST is not a weekday");
}

#[test]
fn a_window_keeps_its_local_hours_across_daylight_saving_changes() {
    // Europe/Berlin springs forward on 2026-03-29 (02:00 → 03:00) and falls back on 2026-10-25.
    let s = recurring(EVERY_DAY, "01:00", "04:00", "Europe/Berlin");
    let w = windows(&s, utc("2026-03-28T00:00:00Z"), utc("2026-03-31T00:00:00Z"));
    let spans: Vec<(String, i64)> = w.iter().map(|w| (w.start.format("%m-%d %H:%M").to_string(), (w.end - w.start).num_minutes())).collect();
    // CET (UTC+1) before, CEST (UTC+2) after; the change night's window is an hour shorter.
    assert_eq!(spans, [("03-28 00:00".into(), 180), ("03-29 00:00".into(), 120), ("03-29 23:00".into(), 180), ("03-30 23:00".into(), 180)]);
    let autumn = windows(&s, utc("2026-10-24T00:00:00Z"), utc("2026-10-26T00:00:00Z"));
    assert_eq!(autumn.iter().map(|w| (w.end - w.start).num_minutes()).collect::<Vec<_>>(), [180, 240], "the fall-back night is an hour longer");
}

#[test]
fn a_start_inside_the_spring_gap_moves_to_the_end_of_the_gap() {
    let s = recurring(EVERY_DAY, "02:30", "05:00", "Europe/Berlin");
    let w = windows(&s, utc("2026-03-29T00:00:00Z"), utc("2026-03-29T12:00:00Z"));
    assert_eq!(w.len(), 1);
    // 02:30 does not exist that night: the window opens at 03:00 CEST = 01:00 UTC.
    assert_eq!(w[0].start, utc("2026-03-29T01:00:00Z"));
    assert_eq!(w[0].end, utc("2026-03-29T03:00:00Z"));
}

#[test]
fn overnight_windows_cross_month_ends_and_leap_days() {
    let s = recurring(EVERY_DAY, "22:00", "02:00", "UTC");
    let w = windows(&s, utc("2028-02-28T12:00:00Z"), utc("2028-03-02T00:00:00Z"));
    let spans: Vec<String> = w.iter().map(|w| format!("{}→{}", w.start.format("%m-%d %H"), w.end.format("%m-%d %H"))).collect();
    assert_eq!(spans, ["02-28 22→02-29 02", "02-29 22→03-01 02", "03-01 22→03-02 02"]);
    assert!(describe(&s, utc("2026-11-24T00:00:00Z")).contains("22:00–02:00 the next day"));
    assert!(open_at(&s, utc("2028-03-01T01:59:00Z")).is_some());
    assert!(open_at(&s, utc("2028-03-01T02:00:00Z")).is_none(), "the end is not in the window");
}

#[test]
fn windows_overlapping_the_range_edges_are_included_once() {
    let s = recurring(EVERY_DAY, "23:00", "01:00", "UTC");
    let w = windows(&s, utc("2026-11-24T00:30:00Z"), utc("2026-11-24T23:30:00Z"));
    assert_eq!(w.len(), 2, "the one open at the start and the one opening before the end: {w:?}");
    assert_eq!(next_opening(&s, utc("2026-11-24T00:30:00Z")).unwrap().start, utc("2026-11-24T23:00:00Z"));
    let once = Schedule::Once { start_ms: utc("2026-12-01T00:00:00Z").timestamp_millis(), end_ms: utc("2026-12-01T06:00:00Z").timestamp_millis() };
    assert_eq!(windows(&once, utc("2026-11-01T00:00:00Z"), utc("2026-11-30T00:00:00Z")), vec![]);
    assert_eq!(open_at(&once, utc("2026-12-01T05:59:00Z")).unwrap().end, utc("2026-12-01T06:00:00Z"));
    assert!(open_at(&Schedule::Always, utc("2026-12-01T05:59:00Z")).is_some());
}

#[test]
fn bad_schedules_are_explained() {
    assert!(check(&recurring(0, "01:00", "02:00", "UTC")).unwrap_err().contains("at least one day"));
    assert!(check(&recurring(1, "25:00", "02:00", "UTC")).unwrap_err().contains("time of day"));
    assert!(check(&recurring(1, "01:00", "02:00", "Mars/Olympus")).unwrap_err().contains("time zone"));
    assert!(check(&recurring(1, "01:00", "01:00", "UTC")).unwrap_err().contains("same time"));
    assert!(check(&Schedule::Once { start_ms: 10, end_ms: 5 }).unwrap_err().contains("end after"));
    assert_eq!(describe(&recurring(0b110_0000, "10:00", "12:00", "UTC"), utc("2026-11-24T00:00:00Z")), "runs every weekend 10:00–12:00 UTC (UTC)");
    assert_eq!(describe(&recurring(0b000_0101, "10:00", "12:00", "UTC"), utc("2026-11-24T00:00:00Z")), "runs every Mon, Wed 10:00–12:00 UTC (UTC)");
}

#[test]
fn schedules_round_trip_through_json() {
    let s = recurring(WEEKDAYS, "01:00", "05:00", "Asia/Tokyo");
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(json, r#"{"kind":"recurring","days":31,"start":"01:00","end":"05:00","tz":"Asia/Tokyo"}"#);
    assert_eq!(serde_json::from_str::<Schedule>(&json).unwrap(), s);
    assert_eq!(serde_json::from_str::<Schedule>(r#"{"kind":"always"}"#).unwrap(), Schedule::Always);
}

#[test]
fn low_priority_work_waits_for_room_and_leaves_only_after_a_sustained_burst() {
    let t = Thresholds::default();
    let min = 60_000;
    let now = 100 * min;
    let series = |values: &[f64]| -> Vec<(i64, f64)> { values.iter().enumerate().map(|(i, v)| (now - (values.len() - 1 - i) as i64 * min, *v)).collect() };
    assert_eq!(pressure(&series(&[0.3, 0.4, 0.5]), now, &t, t.burst_minutes), Pressure::Room);
    assert_eq!(pressure(&series(&[0.5, 0.7]), now, &t, t.burst_minutes), Pressure::Hold, "between the thresholds nothing moves");
    // Above 85 % but only for 3 of the 5 minutes: hold.
    assert_eq!(pressure(&series(&[0.5, 0.5, 0.5, 0.9, 0.9, 0.9]), now, &t, t.burst_minutes), Pressure::Hold);
    assert_eq!(pressure(&series(&[0.9, 0.9, 0.9, 0.9, 0.9, 0.95]), now, &t, t.burst_minutes), Pressure::Burst);
    // A burst just seen for less than the burst time (no older samples) is not yet a burst.
    assert_eq!(pressure(&series(&[0.95, 0.95]), now, &t, t.burst_minutes), Pressure::Hold);
    assert_eq!(pressure(&[], now, &t, t.burst_minutes), Pressure::Hold, "unknown is not room");
    // After a burst, work returns only once utilisation is below 60 %, not at 80 %.
    assert_eq!(pressure(&series(&[0.95, 0.8]), now, &t, t.burst_minutes), Pressure::Hold);
    assert_eq!(pressure(&series(&[0.95, 0.55]), now, &t, t.burst_minutes), Pressure::Room);
}

#[test]
fn every_priority_has_its_priority_class() {
    let classes: Vec<(&str, i32)> = Priority::ALL.iter().map(|p| p.class()).collect();
    assert_eq!(classes, [("flotilla-high", 100_000), ("flotilla-normal", 1_000), ("flotilla-low", -100)]);
    assert_eq!(Priority::parse("low"), Some(Priority::Low));
}

#[test]
fn movable_work_moves_only_after_a_sustained_burst_and_never_flaps() {
    let t = Thresholds::default();
    let min = 60_000;
    let now = 1_000 * min;
    let hot: Vec<(i64, f64)> = (0..=11).map(|i| (now - (11 - i) * min, 0.91)).collect();
    assert!(rebalance_due(&hot, now, &t, None, None), "above 85 % for 10 min");
    let brief: Vec<(i64, f64)> = (0..=11).map(|i| (now - (11 - i) * min, if i < 5 { 0.5 } else { 0.91 })).collect();
    assert!(!rebalance_due(&brief, now, &t, None, None), "above only for the last 6 minutes");
    assert!(!rebalance_due(&hot, now, &t, Some(now - 4 * min), None), "something left this cluster 4 min ago: wait for the readings");
    assert!(rebalance_due(&hot, now, &t, Some(now - 11 * min), None));
    assert!(!rebalance_due(&hot, now, &t, None, Some(now - 25 * min)), "this workload moved 25 min ago: it stays (no flapping)");
    assert!(rebalance_due(&hot, now, &t, None, Some(now - 31 * min)));
    assert!(rebalance_target_ok(0.59, &t) && !rebalance_target_ok(0.70, &t), "a target must be below the deploy threshold");
}

#[test]
fn thresholds_keep_a_gap_between_deploy_and_evict() {
    assert!(Thresholds::default().check().is_ok());
    let t = |d, e, b, r| Thresholds { deploy_below: d, evict_above: e, burst_minutes: b, rebalance_minutes: r };
    assert!(t(0.8, 0.82, 5, 10).check().unwrap_err().contains("hysteresis"));
    assert!(t(0.0, 0.82, 5, 10).check().unwrap_err().contains("between 5 and 100"));
    assert!(t(0.5, 1.2, 5, 10).check().is_err());
    assert!(t(0.5, 0.9, 0, 10).check().unwrap_err().contains("Minutes"));
    assert_eq!(Thresholds::default().describe(), "low-priority work below 60 %, evicted above 85 % after 5 min; movable work moved after 10 min");
}

#[test]
fn the_next_window_is_told_in_the_schedules_own_zone() {
    let s = recurring(WEEKDAYS, "01:00", "05:00", "Asia/Tokyo");
    // Monday 2026-11-23 06:00 JST: the next window is Tuesday 01:00 JST, said in JST like the schedule.
    let at = utc("2026-11-22T21:00:00Z");
    assert_eq!(next_opening_words(&s, at), "next window opens 2026-11-24 01:00 JST");
    assert!(describe(&s, at).contains("JST"));
    assert_eq!(next_opening_words(&Schedule::Always, at), "no window ahead");
}
