//! The Costs page: what a project (or everything the person may see) cost over a period, as
//! stacked bars drawn by plotters in the browser, with the previous period, the month's
//! forecast against the budget, the top workloads, gaps, and a CSV export.
use crate::api::costs::{CostScope, CostView, RemoveBudget, SaveBudget, load_cost_scope, load_costs};
use crate::charts::{IDLE_COLOUR, SERIES, cost_bars};
use crate::components::{date_input::DateInput, error_view::action_error, loaded::Loaded, page_header::PageHeader};
use crate::links::query_value;
use flotilla_domain::format::money;
use flotilla_domain::{CostQuery, CostReport, GroupBy, MonthStatus, Step};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Series beyond this many are summed into "other".
const MAX_SERIES: usize = 8;

/// The report's controls, shared by the chart, the export link and the budget form.
#[derive(Clone, Copy)]
struct Controls {
    project: RwSignal<String>,
    from: RwSignal<String>,
    to: RwSignal<String>,
    step: RwSignal<Step>,
    group_by: RwSignal<GroupBy>,
    /// The period button last pressed, while the dates are still its own.
    preset: RwSignal<Option<&'static str>>,
}

impl Controls {
    /// This view's own address: the filters in the URL, so a view can be shared or bookmarked.
    fn page_url(&self) -> String {
        let q = self.query();
        let mut parts = Vec::new();
        for (k, v) in [("project", q.project.unwrap_or_default()), ("from", q.from), ("to", q.to)] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", query_value(&v)));
            }
        }
        if let Some(p) = self.preset.get() {
            parts.push(format!("period={p}"));
        }
        parts.push(format!("step={}", q.step.as_str()));
        parts.push(format!("group_by={}", q.group_by.as_str()));
        format!("/costs?{}", parts.join("&"))
    }

    fn query(&self) -> CostQuery {
        let project = self.project.get();
        CostQuery { project: (!project.is_empty()).then_some(project), from: self.from.get(), to: self.to.get(), step: self.step.get(), group_by: self.group_by.get() }
    }

    fn csv_link(&self) -> String {
        let q = self.query();
        format!(
            "/api/v1/costs?format=csv&project={}&from={}&to={}&step={}&group_by={}",
            query_value(q.project.as_deref().unwrap_or("")),
            query_value(&q.from),
            query_value(&q.to),
            q.step.as_str(),
            q.group_by.as_str()
        )
    }
}

#[component]
pub fn CostsPage() -> impl IntoView {
    // The filters come from the address (a shared link opens the same view) and go back to it.
    let query = use_query_map();
    let param = move |k: &str| query.with_untracked(|q| q.get(k).unwrap_or_default());
    let (from, to) = (param("from"), param("to"));
    let preset = PRESETS.iter().map(|p| p.0).find(|id| *id == param("period")).or((from.is_empty() && to.is_empty()).then_some("last-7"));
    let c = Controls {
        project: RwSignal::new(param("project")),
        from: RwSignal::new(from),
        to: RwSignal::new(to),
        step: RwSignal::new(Step::parse(&param("step")).unwrap_or(Step::Day)),
        group_by: RwSignal::new(GroupBy::parse(&param("group_by")).unwrap_or(GroupBy::Cluster)),
        preset: RwSignal::new(preset),
    };
    Effect::new(move |first: Option<()>| {
        let url = c.page_url();
        // Not on hydration: the address the page came from stays as it was.
        if first.is_some() {
            replace_url(&url);
        }
    });
    let scope = Resource::new(|| (), |_| load_cost_scope());
    let save = ServerAction::<SaveBudget>::new();
    let remove = ServerAction::<RemoveBudget>::new();
    // Reload after a budget was saved or removed — not after a refused save, so that what the
    // person typed stays in the form.
    let changed = RwSignal::new(0u32);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) || matches!(remove.value().get(), Some(Ok(_))) {
            changed.update(|n| *n += 1);
        }
    });
    let costs = Resource::new(move || (c.query(), changed.get()), |(q, _)| load_costs(q));
    view! {
        <PageHeader title="Costs" subtitle="What your work costs on every cluster: node prices split by CPU, memory and pod slots, with idle capacity shown honestly."/>
        <Loaded resource=scope loading="Loading your projects…" render=move |s: CostScope| controls(c, s)/>
        <Loaded resource=costs loading="Loading costs…" render=move |v: CostView| report_view(c, v, save, remove)/>
    }
}

/// The period buttons: id, label, days before today, bars.
const PRESETS: [(&str, &str, i64, Step); 4] =
    [("last-day", "Last 24 hours", 0, Step::Hour), ("last-7", "Last 7 days", 6, Step::Day), ("last-30", "Last 30 days", 29, Step::Day), ("last-365", "Last 12 months", 364, Step::Month)];

/// Puts the view's address in the location bar without a navigation (so nothing reloads).
fn replace_url(url: &str) {
    #[cfg(target_arch = "wasm32")]
    if let Ok(history) = leptos::prelude::window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(url));
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = url;
}

fn controls(c: Controls, scope: CostScope) -> AnyView {
    let everything = if scope.fleet_wide { "Everything (all projects, idle capacity)" } else { "All my projects" };
    view! {
        <form class="cost-controls" aria-label="Cost report" on:submit=|ev: leptos::ev::SubmitEvent| ev.prevent_default()>
            <label>"Project"
                <select name="project" on:change=move |ev| c.project.set(event_target_value(&ev)) prop:value=move || c.project.get()>
                    <option value="">{everything}</option>
                    {scope.projects.into_iter().map(|p| view! { <option value=p.name.clone()>{format!("{} ({})", p.display_name, p.name)}</option> }).collect_view()}
                </select>
            </label>
            <DateInput label="From" name="from" value=c.from on_set=Callback::new(move |()| c.preset.set(None))/>
            <DateInput label="To" name="to" value=c.to on_set=Callback::new(move |()| c.preset.set(None))/>
            <label>"Bars"
                <select name="step" on:change=move |ev| c.step.set(Step::parse(&event_target_value(&ev)).unwrap_or_default()) prop:value=move || c.step.get().as_str()>
                    <option value="hour">"Hourly"</option><option value="day">"Daily"</option><option value="month">"Monthly"</option>
                </select>
            </label>
            <label>"Stacked by"
                <select name="group_by" on:change=move |ev| c.group_by.set(GroupBy::parse(&event_target_value(&ev)).unwrap_or_default()) prop:value=move || c.group_by.get().as_str()>
                    <option value="cluster">"Cluster"</option><option value="workload">"Workload"</option>
                    <option value="namespace">"Namespace"</option><option value="project">"Project"</option>
                </select>
            </label>
            <div class="cost-presets" role="group" aria-label="Periods">
                {PRESETS.map(|(id, label, days, step)| view! {
                    <button type="button" data-preset=id
                        class=move || if c.preset.get() == Some(id) { "button button--quiet is-selected" } else { "button button--quiet" }
                        aria-pressed=move || if c.preset.get() == Some(id) { "true" } else { "false" }
                        on:click=move |_| {
                        // Empty "to" is today on the server; "from" counts back from it.
                        let today = js_today();
                        c.to.set(today.clone());
                        c.from.set(days_before(&today, days));
                        c.step.set(step);
                        c.preset.set(Some(id));
                    }>{label}</button>
                }).collect_view()}
            </div>
            <a class="button" data-testid="export-csv" download="flotilla-costs.csv" href=move || c.csv_link()>"Export CSV"</a>
        </form>
    }
    .into_any()
}

/// Today's date (UTC), as `YYYY-MM-DD`, from the browser's clock or the server's.
pub(crate) fn js_today() -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let iso: String = js_sys::Date::new_0().to_iso_string().into();
        iso.chars().take(10).collect()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let (y, m, d) = civil_from_days((secs / 86_400) as i64);
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// `date` minus `days`, as `YYYY-MM-DD` (civil calendar, no time zones involved).
pub(crate) fn days_before(date: &str, days: i64) -> String {
    let parts: Vec<i64> = date.split('-').filter_map(|p| p.parse().ok()).collect();
    let [y, m, d] = parts[..] else { return String::new() };
    let (y, m, d) = civil_from_days(days_from_civil(y, m, d) - days);
    format!("{y:04}-{m:02}-{d:02}")
}

// Howard Hinnant's days-from-civil and back.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The chart's series: the largest first, the rest summed as "other"; idle in grey.
fn chart_series(r: &CostReport) -> Vec<(String, Vec<f64>, &'static str)> {
    let mut out = Vec::new();
    let mut other = vec![0.0; r.buckets.len()];
    let mut colour = 0;
    for s in &r.series {
        if s.key.starts_with('(') {
            out.push((s.key.clone(), s.values.clone(), IDLE_COLOUR));
        } else if colour < MAX_SERIES {
            out.push((s.key.clone(), s.values.clone(), SERIES[colour % SERIES.len()]));
            colour += 1;
        } else {
            other.iter_mut().zip(&s.values).for_each(|(o, v)| *o += v);
        }
    }
    if other.iter().any(|v| *v > 0.0) {
        out.push(("other".into(), other, SERIES[SERIES.len() - 1]));
    }
    out
}

fn report_view(c: Controls, v: CostView, save: ServerAction<SaveBudget>, remove: ServerAction<RemoveBudget>) -> AnyView {
    let r = v.report.clone();
    let cur = r.currency.clone();
    let change = r.change_percent().map(|p| format!("{}{p:.0} % vs the same time in the {} days before", if p >= 0.0 { "+" } else { "" }, r.buckets.len().max(1)));
    let empty = r.total == 0.0 && r.series.is_empty();
    view! {
        <div data-testid="cost-report">
            {v.alerts.iter().map(|a| view! { <p class="notice notice--warn" role="alert" data-testid="budget-banner">{a.clone()}</p> }).collect_view()}
            <div class="cost-cards">
                <div class="card"><span class="card__label">{format!("{} to {}", r.from, r.to)}</span>
                    <strong class="card__value" data-testid="cost-total">{money(r.total, &cur)}</strong>
                    <span class="muted">{change.unwrap_or_else(|| "nothing recorded in the period before".into())}</span></div>
                {r.month.clone().map(|m| month_cards(m, &cur))}
            </div>
            {if empty {
                view! { <p class="notice" data-testid="cost-empty">"No cost was recorded in this period. Costs are recorded every minute for clusters Flotilla can reach; pick a period after the clusters were registered."</p> }.into_any()
            } else {
                cost_chart(&r)
            }}
            {(!r.gaps.is_empty()).then(|| view! { <div class="notice" data-testid="cost-gaps"><strong>"Not observed: "</strong><ul>{r.gaps.iter().map(|g| view! { <li>{g.clone()}</li> }).collect_view()}</ul></div> })}
            {(!r.unpriced.is_empty()).then(|| view! { <div class="notice notice--warn" data-testid="cost-unpriced"><strong>"Nodes without a price (their cost is in no total; set it in Admin → Costs and prices): "</strong><ul>{r.unpriced.iter().map(|g| view! { <li>{g.clone()}</li> }).collect_view()}</ul></div> })}
            <div class="cost-columns">
                <section aria-labelledby="top-h">
                    <h2 id="top-h">"Top workloads"</h2>
                    {top_table(&r)}
                </section>
                <section aria-labelledby="series-h">
                    <h2 id="series-h">{format!("By {}", r.group_by.as_str())}</h2>
                    <div class="table-wrap"><table class="data-table" data-testid="series-table">
                        <thead><tr><th scope="col">{r.group_by.as_str().to_owned()}</th><th scope="col" class="num">"Cost"</th><th scope="col" class="num">"Share"</th></tr></thead>
                        <tbody>{r.series.iter().map(|s| view! {
                            <tr data-series=s.key.clone()><td>{s.key.clone()}</td><td class="num mono">{money(s.total, &cur)}</td>
                                <td class="num mono">{if r.total > 0.0 { format!("{:.0} %", s.total / r.total * 100.0) } else { "–".into() }}</td></tr>
                        }).collect_view()}</tbody>
                    </table></div>
                </section>
            </div>
            {r.month.clone().filter(|_| v.may_edit_budget || v.budget.is_some()).map(|_| budget_form(c, &v, save, remove))}
            {v.project_id.is_none().then(|| view! { <ProjectBudgets/> })}
        </div>
    }
    .into_any()
}

/// The report's stacked bars with their legend (and the budget line when there is a budget).
pub(crate) fn cost_chart(r: &CostReport) -> AnyView {
    let series = chart_series(r);
    let labels: Vec<String> = r.buckets.iter().map(|b| b.label.clone()).collect();
    let budget_line = match (r.step, r.month.as_ref().and_then(|m| m.budget)) {
        (Step::Month, Some(b)) => Some(b),
        (Step::Day, Some(b)) => Some(b / 30.0),
        _ => None,
    };
    let svg = cost_bars(&labels, &series.iter().map(|(_, v, colour)| (v.clone(), *colour)).collect::<Vec<_>>(), budget_line, &r.currency);
    view! {
        <figure class="cost-chart" data-testid="cost-chart">
            <div class="chart-svg" inner_html=svg></div>
            <figcaption class="legend">{series.iter().map(|(k, _, colour)| view! {
                <span class="legend__item"><span class="legend__swatch" style=format!("background:{colour}")></span>{k.clone()}</span>
            }).collect_view()}{budget_line.map(|_| view! { <span class="legend__item legend__item--budget">"– – budget"</span> })}</figcaption>
        </figure>
    }
    .into_any()
}

fn month_cards(m: MonthStatus, cur: &str) -> impl IntoView {
    let of_budget = m.forecast_percent();
    let class = match m.status_class() {
        "ok" => "card".to_owned(),
        c => format!("card card--{c}"),
    };
    view! {
        <div class="card"><span class="card__label">{format!("{} so far", m.month)}</span>
            <strong class="card__value" data-testid="month-to-date">{money(m.to_date, cur)}</strong></div>
        <div class=class><span class="card__label">"Month-end forecast"</span>
            <strong class="card__value" data-testid="month-forecast">{money(m.forecast, cur)}</strong>
            <span class="muted">{match (m.budget, of_budget) {
                (Some(b), Some(p)) => format!("{p:.0} % of the {} budget", money(b, cur)),
                _ => "no budget set".into(),
            }}</span></div>
    }
}

pub(crate) fn top_table(r: &CostReport) -> AnyView {
    if r.top_workloads.is_empty() {
        return view! { <p class="muted">"No workload had a cost in this period."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="data-table" data-testid="top-workloads">
            <thead><tr><th scope="col">"Workload"</th><th scope="col">"Namespace"</th><th scope="col">"Cluster"</th><th scope="col" class="num">"Cost"</th></tr></thead>
            <tbody>{r.top_workloads.iter().map(|w| view! {
                <tr><td>{w.workload.clone()}</td><td class="mono">{w.namespace.clone()}</td><td>{w.cluster.clone()}</td><td class="num mono">{money(w.cost, &r.currency)}</td></tr>
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

fn budget_form(c: Controls, v: &CostView, save: ServerAction<SaveBudget>, remove: ServerAction<RemoveBudget>) -> AnyView {
    let project = c.project.get_untracked();
    let Some(project_id) = v.budget.as_ref().map(|b| b.project_id).or(v.project_id) else { return ().into_any() };
    let amount = RwSignal::new(v.budget.as_ref().map(|b| format!("{:.2}", b.monthly)).unwrap_or_default());
    let currency = RwSignal::new(v.budget.as_ref().map(|b| b.currency.clone()).unwrap_or_else(|| v.report.currency.clone()));
    let webhook = RwSignal::new(String::new());
    let clear = RwSignal::new(false);
    let has_hook = v.budget.as_ref().is_some_and(|b| b.webhook_set);
    let editable = v.may_edit_budget;
    view! {
        <section aria-labelledby="budget-h" class="budget">
            <h2 id="budget-h">{format!("Monthly budget of {project}")}</h2>
            <p class="muted">"At 80 % and 100 % of the budget (spent, or forecast for the month's end) the project's owners get a notification, and the webhook (Slack-compatible) is called — once per threshold and month."</p>
            <form class="inline-form" aria-label="Budget" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save.dispatch(SaveBudget { project_id, monthly: amount.get_untracked(), currency: currency.get_untracked(), webhook: webhook.get_untracked(), clear_webhook: clear.get_untracked() });
            }>
                <label>"Per month"<input type="text" inputmode="decimal" name="budget" size="10" bind:value=amount disabled=!editable/></label>
                <label>"Currency"<input type="text" name="currency" size="4" bind:value=currency disabled=!editable/></label>
                <label>"Webhook URL"<input type="url" name="webhook" size="40" bind:value=webhook disabled=!editable
                    placeholder=if has_hook { "set (hidden); type a new URL to replace it" } else { "https://hooks.slack.com/services/…" }/></label>
                {has_hook.then(|| view! { <label class="check"><input type="checkbox" bind:checked=clear disabled=!editable/>"Remove the webhook"</label> })}
                {editable.then(|| view! { <button type="submit" class="button">"Save budget"</button> })}
                {(editable && v.budget.is_some()).then(|| view! { <button type="button" class="button button--quiet" on:click=move |_| { remove.dispatch(RemoveBudget { project_id }); }>"Remove budget"</button> })}
            </form>
            {move || action_error(save.value().get())}
            {move || action_error(remove.value().get())}
            {move || matches!(save.value().get(), Some(Ok(_))).then(|| view! { <p class="notice" role="status">"Budget saved."</p> })}
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_back_across_months_and_leap_days() {
        assert_eq!(days_before("2026-11-24", 6), "2026-11-18");
        assert_eq!(days_before("2028-03-01", 1), "2028-02-29");
        assert_eq!(days_before("2027-01-05", 29), "2026-12-07");
        assert_eq!(days_before("nonsense", 3), "");
    }
}

/// Each project's month against its budget (the dashboard's budget widget, and the Costs page
/// under "All my projects", where the budget form needs one project).
pub(crate) fn budget_list(lines: Vec<flotilla_domain::BudgetLine>) -> AnyView {
    if lines.is_empty() {
        return view! { <p class="muted">"No project whose costs you may see."</p> }.into_any();
    }
    view! {
        <ul class="budget-list">
            {lines.into_iter().map(|l| {
                let m = &l.month;
                let href = format!("/costs?project={}", crate::links::query_value(&l.project));
                let detail = match (m.budget, m.forecast_percent()) {
                    (Some(b), Some(p)) => format!("{} of {} spent in {}; forecast {} ({p:.0} %)", money(m.to_date, &l.currency), money(b, &l.currency), m.month, money(m.forecast, &l.currency)),
                    _ => format!("{} spent in {}; no budget set", money(m.to_date, &l.currency), m.month),
                };
                let spent = m.budget.filter(|b| *b > 0.0).map(|b| (m.to_date / b * 100.0).min(100.0));
                let forecast = m.forecast_percent().map(|p| p.min(100.0));
                view! {
                    <li data-project=l.project.clone()>
                        <a href=href>{l.display_name.clone()}</a>
                        {spent.map(|s| view! {
                            <span class="budget-bar" role="img" aria-label=format!("{s:.0} % of the budget spent")>
                                <span class=format!("budget-bar__forecast budget-bar__forecast--{}", m.status_class()) style=format!("width:{:.1}%", forecast.unwrap_or(s))></span>
                                <span class="budget-bar__spent" style=format!("width:{s:.1}%")></span>
                            </span>
                        })}
                        <span class="muted">{detail}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Under "All my projects": every project's budget, each linking to its own view.
#[component]
fn ProjectBudgets() -> impl IntoView {
    let data = Resource::new(|| (), |_| crate::api::costs::load_budget_status());
    view! {
        <section aria-labelledby="budgets-h" data-testid="project-budgets">
            <h2 id="budgets-h">"Budgets this month"</h2>
            <Loaded resource=data loading="Loading budgets…" render=budget_list/>
            <p class="muted">"Choose a project above to set or change its budget."</p>
        </section>
    }
}
