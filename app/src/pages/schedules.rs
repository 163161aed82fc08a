//! The Schedules page: a 7-day timeline of every scheduled workload's planned windows, the
//! low-priority queue with the reason each item waits, and the history of automatic actions.
use crate::api::schedules::{schedule_history, schedule_timeline};
use crate::components::{loaded::Loaded, page_header::PageHeader};
use flotilla_domain::schedule::{ScheduleEvent, ScheduleView};
use leptos::prelude::*;

const DAYS: i64 = 7;
const WIDTH: f64 = 640.0;

/// One row's windows as an SVG strip over the next seven days (day lines every 24 h).
fn strip(v: &ScheduleView, from_ms: i64) -> String {
    let span = (DAYS * 86_400_000) as f64;
    let x = |ms: i64| ((ms - from_ms) as f64 / span * WIDTH).clamp(0.0, WIDTH);
    let mut svg = format!(r#"<svg viewBox="0 0 {WIDTH} 18" width="{WIDTH}" height="18" role="img" aria-label="{} windows in the next 7 days">"#, v.windows_ms.len());
    svg.push_str(&format!(r##"<rect x="0" y="3" width="{WIDTH}" height="12" fill="#8892a033"/>"##));
    for d in 1..DAYS {
        let at = WIDTH / DAYS as f64 * d as f64;
        svg.push_str(&format!(r##"<line x1="{at}" y1="0" x2="{at}" y2="18" stroke="#8892a066"/>"##));
    }
    if v.windows_ms.is_empty() && matches!(v.schedule, flotilla_domain::schedule::Schedule::Always) {
        svg.push_str(&format!(r##"<rect class="window" x="0" y="3" width="{WIDTH}" height="12" fill="#2563eb"/>"##));
    }
    for (a, b) in &v.windows_ms {
        let (x0, x1) = (x(*a), x(*b));
        svg.push_str(&format!(r##"<rect class="window" x="{x0:.1}" y="3" width="{:.1}" height="12" fill="#2563eb"/>"##, (x1 - x0).max(1.0)));
    }
    svg.push_str("</svg>");
    svg
}

#[component]
pub fn SchedulesPage() -> impl IntoView {
    let timeline = Resource::new(|| (), |_| schedule_timeline(DAYS as u32));
    let history = Resource::new(|| (), |_| schedule_history(50));
    view! {
        <PageHeader title="Schedules" subtitle="When scheduled work runs over the next 7 days, what low-priority work is waiting for, and every automatic action with its reason."/>
        <Loaded resource=timeline loading="Loading schedules…" render=timeline_view/>
        <section aria-labelledby="history-h">
            <h2 id="history-h">"Automatic actions"</h2>
            <Loaded resource=history loading="Loading the history…" render=history_view/>
        </section>
    }
}

fn timeline_view(list: Vec<ScheduleView>) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted" data-testid="no-schedules">"No workload has a schedule yet. Open a workload and set when it runs under Schedule."</p> }.into_any();
    }
    // Windows start from the server's "now"; the strip starts at the first day boundary before.
    let from = list.iter().flat_map(|v| v.windows_ms.first().map(|w| w.0)).min().unwrap_or_default();
    let from = from - from.rem_euclid(86_400_000);
    let queued: Vec<ScheduleView> = list.iter().filter(|v| v.state == "queued").cloned().collect();
    view! {
        <section aria-labelledby="timeline-h">
            <h2 id="timeline-h">"Next 7 days"</h2>
            <div class="table-wrap"><table class="data-table" data-testid="timeline">
                <thead><tr><th scope="col">"Workload"</th><th scope="col">"When"</th><th scope="col">"Priority"</th><th scope="col">"Now"</th><th scope="col">"Windows (UTC days)"</th></tr></thead>
                <tbody>{list.iter().map(|v| view! {
                    <tr data-workload=v.workload.clone()>
                        <td><a href=format!("/workloads/{}", v.workload_id)>{v.workload.clone()}</a></td>
                        <td>{v.sentence.clone()}</td>
                        <td>{v.priority.as_str()}</td>
                        <td>{v.state.clone()}<br/><span class="muted">{v.reason.clone()}</span></td>
                        <td class="strip" inner_html=strip(v, from)></td>
                    </tr>
                }).collect_view()}</tbody>
            </table></div>
        </section>
        <section aria-labelledby="queue-h">
            <h2 id="queue-h">"Low-priority queue"</h2>
            {if queued.is_empty() {
                view! { <p class="muted">"Nothing is waiting."</p> }.into_any()
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
            <thead><tr><th scope="col">"When (UTC)"</th><th scope="col">"Workload"</th><th scope="col">"Cluster"</th><th scope="col">"Action"</th><th scope="col">"Why"</th></tr></thead>
            <tbody>{events.into_iter().map(|e| view! {
                <tr><td class="mono">{crate::fleetmap::utc_time(e.at_ms)}</td><td>{e.workload}</td><td>{e.cluster}</td><td>{e.action}</td><td>{e.reason}</td></tr>
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}
