//! The Schedules page: a 7-day timeline of planned windows per cluster, the low-priority queue
//! with the reason each item waits, the history of automatic actions, and (administrators) each
//! cluster's thresholds — with, in the demo, a button that makes a simulated cluster burst.
use crate::api::portal::portal_info;
use crate::api::schedules::{SaveClusterThresholds, SimulateBurst, load_cluster_thresholds, schedule_history, schedule_timeline};
use crate::components::error_view::action_error;
use crate::components::{browser_data::BrowserData, loaded::Loaded, page_header::PageHeader};
use flotilla_domain::format::{self, Tz};
use flotilla_domain::schedule::{ClusterThresholds, ScheduleEvent, ScheduleView, Thresholds, utc_day_label};
use leptos::prelude::*;

const DAYS: i64 = 7;
const WIDTH: f64 = 480.0;
const DAY_MS: i64 = 86_400_000;

/// A row's windows as an SVG strip over the next seven days (day lines every 24 h).
fn strip(v: &ScheduleView, from_ms: i64, zone: Tz) -> String {
    let span = (DAYS * DAY_MS) as f64;
    let x = |ms: i64| ((ms - from_ms) as f64 / span * WIDTH).clamp(0.0, WIDTH);
    let mut svg = format!(r#"<svg viewBox="0 0 {WIDTH} 18" width="{WIDTH}" height="18" role="img" aria-label="{} windows in the next 7 days">"#, v.windows_ms.len());
    svg.push_str(&format!(r##"<rect x="0" y="3" width="{WIDTH}" height="12" fill="#8892a033"/>"##));
    for d in 1..DAYS {
        let at = WIDTH / DAYS as f64 * d as f64;
        svg.push_str(&format!(r##"<line x1="{at}" y1="0" x2="{at}" y2="18" stroke="#8892a066"/>"##));
    }
    let fill = if v.priority == flotilla_domain::schedule::Priority::Low { "#d97706" } else { "#2563eb" };
    if v.windows_ms.is_empty() && matches!(v.schedule, flotilla_domain::schedule::Schedule::Always) {
        svg.push_str(&format!(r##"<rect class="window" x="0" y="3" width="{WIDTH}" height="12" fill="{fill}" opacity="0.55"/>"##));
    }
    for (a, b) in &v.windows_ms {
        let (x0, x1) = (x(*a), x(*b));
        svg.push_str(&format!(
            r##"<rect class="window" x="{x0:.1}" y="3" width="{:.1}" height="12" fill="{fill}"><title>{} – {}</title></rect>"##,
            (x1 - x0).max(1.0),
            format::when_ms(*a, zone),
            format::when_ms(*b, zone)
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// The day labels above the strips.
fn day_axis(from_ms: i64) -> String {
    let mut svg = format!(r#"<svg viewBox="0 0 {WIDTH} 14" width="{WIDTH}" height="14" aria-hidden="true">"#);
    for d in 0..DAYS {
        let at = WIDTH / DAYS as f64 * d as f64 + 4.0;
        svg.push_str(&format!(r#"<text x="{at}" y="11" font-size="10" fill="currentColor">{}</text>"#, utc_day_label(from_ms + d * DAY_MS)));
    }
    svg.push_str("</svg>");
    svg
}

#[component]
pub fn SchedulesPage() -> impl IntoView {
    let timeline = Resource::new(|| (), |_| schedule_timeline(DAYS as u32));
    let history = Resource::new(|| (), |_| schedule_history(50, None));
    view! {
        <PageHeader title="Schedules" subtitle="When scheduled work runs over the next 7 days and where, what low-priority work is waiting for, and every automatic action with its reason."/>
        <Loaded resource=timeline loading="Loading schedules…" render=timeline_view/>
        <section aria-labelledby="history-h">
            <h2 id="history-h">"Automatic actions"</h2>
            <Loaded resource=history loading="Loading the history…" render=history_view/>
        </section>
        <ThresholdsSection/>
    }
    .into_any()
}

/// The clusters a schedule's rows go under: where it runs, else where it is pinned, else one
/// group for work placed when its window opens.
const UNPLACED: &str = "Placed when its window opens or a cluster has room";

fn timeline_view(list: Vec<ScheduleView>) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted" data-testid="no-schedules">"No workload has a schedule yet. Set when a workload runs under Schedule on its page, or when you register it."</p> }.into_any();
    }
    // Windows start from the server's "now"; the strip starts at the first day boundary before.
    let from = list.iter().flat_map(|v| v.windows_ms.first().map(|w| w.0)).min().unwrap_or_default();
    let from = from - from.rem_euclid(DAY_MS);
    let mut groups: Vec<(String, Vec<ScheduleView>)> = Vec::new();
    for v in &list {
        let names = if v.clusters.is_empty() { vec![UNPLACED.to_owned()] } else { v.clusters.clone() };
        for n in names {
            match groups.iter_mut().find(|(g, _)| *g == n) {
                Some((_, rows)) => rows.push(v.clone()),
                None => groups.push((n, vec![v.clone()])),
            }
        }
    }
    groups.sort_by(|a, b| (a.0 == UNPLACED, &a.0).cmp(&(b.0 == UNPLACED, &b.0)));
    let queued: Vec<ScheduleView> = list.iter().filter(|v| v.state == "queued").cloned().collect();
    view! {
        <section aria-labelledby="timeline-h">
            <h2 id="timeline-h">"Next 7 days, per cluster"</h2>
            <p class="muted legend-line"><span class="swatch swatch--window"></span>"scheduled window "<span class="swatch swatch--low"></span>"low priority (runs while there is room) · days are UTC days"</p>
            <div class="table-wrap"><table class="data-table" data-testid="timeline">
                <thead><tr><th scope="col">"Workload"</th><th scope="col">"When"</th><th scope="col">"Priority"</th><th scope="col">"Now"</th><th scope="col" class="strip" inner_html=day_axis(from)></th></tr></thead>
                {groups.into_iter().map(|(cluster, rows)| view! {
                    <tbody data-cluster=cluster.clone()>
                        <tr class="group-row"><th scope="rowgroup" colspan="5">{cluster.clone()}</th></tr>
                        {rows.into_iter().map(|v| view! {
                            <tr data-workload=v.workload.clone()>
                                <td><a href=format!("/workloads/{}", v.workload_id)>{v.workload.clone()}</a>{v.movable.then_some(" ⇄")}</td>
                                <td>{v.sentence.clone()}</td>
                                <td>{v.priority.as_str()}</td>
                                <td><span class=format!("state state--{}", v.state)>{v.state.clone()}</span><br/><span class="muted">{v.reason.clone()}</span></td>
                                <td class="strip" inner_html={ let s = v.clone(); move || strip(&s, from, crate::time::zone()) }></td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                }).collect_view()}
            </table></div>
        </section>
        <section aria-labelledby="queue-h">
            <h2 id="queue-h">"Low-priority queue"</h2>
            {if queued.is_empty() {
                view! { <p class="muted" data-testid="queue-empty">"Nothing is waiting: every low-priority workload runs or is outside its window."</p> }.into_any()
            } else {
                view! { <ul data-testid="queue">{queued.into_iter().map(|v| view! { <li><strong>{v.workload}</strong>": "{v.reason}</li> }).collect_view()}</ul> }.into_any()
            }}
        </section>
    }
    .into_any()
}

fn history_view(events: Vec<ScheduleEvent>) -> AnyView {
    if events.is_empty() {
        return view! { <p class="muted">"No automatic action yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="data-table" data-testid="history">
            <thead><tr><th scope="col">"When"</th><th scope="col">"Workload"</th><th scope="col">"Cluster"</th><th scope="col">"Action"</th><th scope="col">"Why"</th></tr></thead>
            <tbody>{events.into_iter().map(|e| view! {
                <tr><td class="mono nowrap">{move || crate::time::when_ms(e.at_ms)}</td><td>{e.workload}</td><td>{e.cluster}</td><td>{e.action}</td><td>{e.reason}</td></tr>
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

/// Administrators: each cluster's thresholds, editable; nothing for others.
#[component]
fn ThresholdsSection() -> impl IntoView {
    let save = ServerAction::<SaveClusterThresholds>::new();
    let burst = ServerAction::<SimulateBurst>::new();
    let saved = RwSignal::new(0u32);
    Effect::new(move |_| {
        if let Some(Ok(())) = save.value().get() {
            saved.update(|n| *n += 1);
        }
    });
    // Client-only: the inputs are the administrator's until saved. Only administrators are
    // asked for them: the page does not request what the person may not see.
    let list = BrowserData::new(move || {
        saved.get();
        async move {
            match crate::api::portal::whoami().await? {
                Some(me) if me.is_admin => load_cluster_thresholds().await.map(Some),
                _ => Ok(None),
            }
        }
    });
    let demo = BrowserData::new(portal_info);
    let is_demo = move || demo.get().and_then(Result::ok).is_some_and(|p| p.demo);
    move || {
        let Some(Ok(Some(rows))) = list.get() else { return None };
        Some(view! {
            <section aria-labelledby="thresholds-h" data-testid="thresholds">
                <h2 id="thresholds-h">"Cluster thresholds"</h2>
                <p class="muted">"Low-priority work is deployed on a cluster only below its deploy threshold and removed after staying above its evict threshold for the burst time; movable work is moved after the rebalance time. The gap between the two thresholds keeps work from coming and going."</p>
                {action_error(save.value().get())}
                {action_error(burst.value().get())}
                {move || burst.value().get().and_then(Result::ok).map(|m| view! { <p class="notice" role="status">{m}</p> })}
                <div class="table-wrap"><table class="data-table thresholds">
                    <thead><tr><th scope="col">"Cluster"</th><th scope="col">"CPU now"</th><th scope="col">"Deploy below %"</th><th scope="col">"Evict above %"</th><th scope="col">"Burst min"</th><th scope="col">"Rebalance min"</th><th scope="col"></th></tr></thead>
                    <tbody>{rows.into_iter().map(|c| threshold_row(c, save, burst, is_demo)).collect_view()}</tbody>
                </table></div>
            </section>
        })
    }
}

fn threshold_row(c: ClusterThresholds, save: ServerAction<SaveClusterThresholds>, burst: ServerAction<SimulateBurst>, is_demo: impl Fn() -> bool + Send + Sync + Copy + 'static) -> impl IntoView {
    let t = c.thresholds;
    let pct = |f: f64| format!("{:.0}", f * 100.0);
    let (deploy, evict) = (RwSignal::new(pct(t.deploy_below)), RwSignal::new(pct(t.evict_above)));
    let (burst_min, rebalance_min) = (RwSignal::new(t.burst_minutes.to_string()), RwSignal::new(t.rebalance_minutes.to_string()));
    let id = c.cluster_id;
    let typed = move || -> Option<Thresholds> {
        Some(Thresholds {
            deploy_below: deploy.get().trim().parse::<f64>().ok()? / 100.0,
            evict_above: evict.get().trim().parse::<f64>().ok()? / 100.0,
            burst_minutes: burst_min.get().trim().parse().ok()?,
            rebalance_minutes: rebalance_min.get().trim().parse().ok()?,
        })
    };
    let problem = move || match typed() {
        None => Some("Enter whole numbers.".to_owned()),
        Some(t) => t.check().err(),
    };
    let num = |sig: RwSignal<String>, label: String| view! { <input type="number" class="narrow" aria-label=label bind:value=sig/> };
    view! {
        <tr data-cluster=c.cluster.clone()>
            <td><strong>{c.cluster.clone()}</strong>{(!c.custom).then_some(view! { <span class="muted">" (defaults)"</span> })}</td>
            <td>{c.cpu_now.map_or("no reading yet".to_owned(), |u| format!("{:.0} %", u * 100.0))}</td>
            <td>{num(deploy, format!("{} deploy below %", c.cluster))}</td>
            <td>{num(evict, format!("{} evict above %", c.cluster))}</td>
            <td>{num(burst_min, format!("{} burst minutes", c.cluster))}</td>
            <td>{num(rebalance_min, format!("{} rebalance minutes", c.cluster))}</td>
            <td><div class="row-actions">
                <button type="button" class="button" disabled=move || problem().is_some() on:click=move |_| {
                    if let Some(t) = typed() { save.dispatch(SaveClusterThresholds { cluster_id: id, thresholds: Some(t) }); }
                }>"Save"</button>
                {c.custom.then_some(view! { <button type="button" class="button button--quiet" on:click=move |_| { save.dispatch(SaveClusterThresholds { cluster_id: id, thresholds: None }); }>"Defaults"</button> })}
                {move || is_demo().then_some(view! { <button type="button" class="button button--quiet" on:click=move |_| { burst.dispatch(SimulateBurst { cluster_id: id }); }>"Simulate a burst"</button> })}
                {move || problem().map(|p| view! { <span class="field-error" role="alert">{p}</span> })}
            </div></td>
        </tr>
    }
}
