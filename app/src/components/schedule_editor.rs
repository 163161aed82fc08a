//! The schedule of a workload: when it runs (all the time, once between two moments, or in
//! recurring windows built from weekdays, times and a time zone, previewed as a sentence while
//! typing), what happens when a window closes, its priority and whether it may be moved. The
//! fields are one component used by the registration form and by the workload page's section.
use crate::api::schedules::{SaveSchedule, load_schedule};
use crate::components::{browser_data::BrowserData, error_view::action_error};
use flotilla_domain::schedule::{self, EVERY_DAY, Priority, Schedule, ScheduleSpec, WEEKDAYS, WhenClosed};
use leptos::prelude::*;

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn now_ms() -> i64 {
    #[cfg(target_arch = "wasm32")]
    {
        js_sys::Date::now() as i64
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        0
    }
}

/// A `datetime-local` value ("2026-11-25T01:00", the browser's time zone) as UTC milliseconds.
fn local_to_ms(s: &str) -> Option<i64> {
    #[cfg(target_arch = "wasm32")]
    {
        let ms = js_sys::Date::new(&wasm_bindgen::JsValue::from_str(s)).get_time();
        (!s.is_empty() && ms.is_finite()).then_some(ms as i64)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = s;
        None
    }
}

/// UTC milliseconds as a `datetime-local` value in the browser's time zone.
fn ms_to_local(ms: i64) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64));
        format!("{:04}-{:02}-{:02}T{:02}:{:02}", d.get_full_year(), d.get_month() + 1, d.get_date(), d.get_hours(), d.get_minutes())
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = ms;
        String::new()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Always,
    Once,
    Recurring,
}

/// What the schedule fields hold while someone types.
#[derive(Clone, Copy)]
pub struct ScheduleForm {
    kind: RwSignal<Kind>,
    days: RwSignal<u8>,
    start: RwSignal<String>,
    end: RwSignal<String>,
    tz: RwSignal<String>,
    once_start: RwSignal<String>,
    once_end: RwSignal<String>,
    when_closed: RwSignal<WhenClosed>,
    priority: RwSignal<Priority>,
    movable: RwSignal<bool>,
}

impl ScheduleForm {
    pub fn new() -> Self {
        Self {
            kind: RwSignal::new(Kind::Always),
            days: RwSignal::new(WEEKDAYS),
            start: RwSignal::new("01:00".into()),
            end: RwSignal::new("05:00".into()),
            tz: RwSignal::new("UTC".into()),
            once_start: RwSignal::new(String::new()),
            once_end: RwSignal::new(String::new()),
            when_closed: RwSignal::new(WhenClosed::Remove),
            priority: RwSignal::new(Priority::Normal),
            movable: RwSignal::new(false),
        }
    }

    fn schedule(&self) -> Schedule {
        match self.kind.get() {
            Kind::Always => Schedule::Always,
            Kind::Once => Schedule::Once { start_ms: local_to_ms(&self.once_start.get()).unwrap_or(0), end_ms: local_to_ms(&self.once_end.get()).unwrap_or(0) },
            Kind::Recurring => Schedule::Recurring { days: self.days.get(), start: self.start.get(), end: self.end.get(), tz: self.tz.get() },
        }
    }

    /// The schedule as typed (tracked: a closure over it re-runs while typing).
    pub fn spec(&self) -> ScheduleSpec {
        ScheduleSpec { schedule: self.schedule(), when_closed: self.when_closed.get(), priority: self.priority.get(), movable: self.movable.get() }
    }

    /// Whether the schedule can be saved; the error says what is missing.
    pub fn check(&self) -> Result<(), String> {
        if self.kind.get() == Kind::Once && (local_to_ms(&self.once_start.get()).is_none() || local_to_ms(&self.once_end.get()).is_none()) {
            return Err("choose when the window starts and ends".into());
        }
        schedule::check(&self.schedule())
    }

    /// Shows a saved schedule.
    fn show(&self, s: &ScheduleSpec) {
        match &s.schedule {
            Schedule::Always => self.kind.set(Kind::Always),
            Schedule::Once { start_ms, end_ms } => {
                self.kind.set(Kind::Once);
                self.once_start.set(ms_to_local(*start_ms));
                self.once_end.set(ms_to_local(*end_ms));
            }
            Schedule::Recurring { days, start, end, tz } => {
                self.kind.set(Kind::Recurring);
                self.days.set(*days);
                self.start.set(start.clone());
                self.end.set(end.clone());
                self.tz.set(tz.clone());
            }
        }
        self.when_closed.set(s.when_closed);
        self.priority.set(s.priority);
        self.movable.set(s.movable);
    }
}

impl Default for ScheduleForm {
    fn default() -> Self {
        Self::new()
    }
}

/// The schedule's fields and its sentence preview (no form of its own).
#[component]
pub fn ScheduleFields(f: ScheduleForm) -> impl IntoView {
    let checked = Memo::new(move |_| f.check());
    let chip = move |k: Kind, label: &'static str| {
        view! {
            <button type="button" class="chip" aria-pressed=move || (f.kind.get() == k).to_string() on:click=move |_| {
                if k == Kind::Recurring && f.kind.get_untracked() != Kind::Recurring && f.tz.get_untracked() == "UTC" {
                    f.tz.set(crate::time::browser_zone());
                }
                f.kind.set(k);
            }>{label}</button>
        }
    };
    view! {
        <div class="chips" role="radiogroup" aria-label="When it runs">
            {chip(Kind::Always, "All the time")}
            {chip(Kind::Once, "Once")}
            {chip(Kind::Recurring, "In recurring windows")}
        </div>
        <div class="window-builder" hidden=move || f.kind.get() != Kind::Once>
            <label>"Starts"<input type="datetime-local" name="once_start" bind:value=f.once_start/></label>
            <label>"Ends"<input type="datetime-local" name="once_end" bind:value=f.once_end/></label>
        </div>
        <div class="window-builder" hidden=move || f.kind.get() != Kind::Recurring>
            <fieldset class="days"><legend>"Days"</legend>
                {DAYS.iter().enumerate().map(|(i, d)| {
                    let bit = 1u8 << i;
                    view! { <label class="check"><input type="checkbox" prop:checked=move || f.days.get() & bit != 0
                        on:change=move |_| f.days.update(|v| *v ^= bit)/>{*d}</label> }
                }).collect_view()}
                <button type="button" class="button button--quiet" on:click=move |_| f.days.set(WEEKDAYS)>"Weekdays"</button>
                <button type="button" class="button button--quiet" on:click=move |_| f.days.set(EVERY_DAY)>"Every day"</button>
            </fieldset>
            <label>"From"<input type="time" name="start" bind:value=f.start/></label>
            <label>"Until"<input type="time" name="end" bind:value=f.end/></label>
            <label>"Time zone"<input type="text" name="tz" size="18" placeholder="Asia/Tokyo" bind:value=f.tz/></label>
        </div>
        <fieldset class="when-closed" hidden=move || f.kind.get() == Kind::Always>
            <legend>"When a window closes"</legend>
            <label class="check"><input type="radio" name="when_closed" prop:checked=move || f.when_closed.get() == WhenClosed::Remove
                on:change=move |_| f.when_closed.set(WhenClosed::Remove)/>"Remove it from its clusters"</label>
            <label class="check"><input type="radio" name="when_closed" prop:checked=move || f.when_closed.get() == WhenClosed::ScaleToZero
                on:change=move |_| f.when_closed.set(WhenClosed::ScaleToZero)/>"Keep it, scaled to zero"</label>
        </fieldset>
        <label>"Priority"
            <select name="priority" on:change=move |ev| f.priority.set(Priority::parse(&event_target_value(&ev)).unwrap_or_default()) prop:value=move || f.priority.get().as_str()>
                <option value="high">"High"</option>
                <option value="normal">"Normal"</option>
                <option value="low">"Low: only when a cluster has room, first to go in a burst"</option>
            </select>
        </label>
        <label class="check"><input type="checkbox" name="movable" bind:checked=f.movable/>"May be moved to a quieter cluster when its cluster stays busy"</label>
        <p class="notice" data-testid="schedule-sentence" aria-live="polite">{move || match checked.get() {
            Ok(()) => sentence(&f.spec()),
            Err(e) => format!("Not yet: {e}."),
        }}</p>
    }
    .into_any()
}

fn sentence(s: &ScheduleSpec) -> String {
    let mut out = schedule::describe_at_ms(&s.schedule, now_ms());
    if s.schedule != Schedule::Always && s.when_closed == WhenClosed::ScaleToZero {
        out.push_str("; scaled to zero between windows");
    }
    match s.priority {
        Priority::Low => out.push_str("; low priority: only while a cluster has room"),
        Priority::High => out.push_str("; high priority"),
        Priority::Normal => {}
    }
    if s.movable {
        out.push_str("; may be moved");
    }
    out
}

#[component]
pub fn ScheduleSection(id: Signal<i64>) -> impl IntoView {
    let save = ServerAction::<SaveSchedule>::new();
    // Loaded in the browser only: the form is the person's until they save.
    let current = BrowserData::new(move || load_schedule(id.get()));
    let f = ScheduleForm::new();
    let seeded = RwSignal::new(false);
    Effect::new(move |_| {
        if seeded.get_untracked() {
            return;
        }
        if let Some(Ok(v)) = current.get() {
            if let Some(v) = v {
                f.show(&ScheduleSpec { schedule: v.schedule, when_closed: v.when_closed, priority: v.priority, movable: v.movable });
            }
            seeded.set(true);
        }
    });
    let status = move || match save.value().get() {
        Some(Ok(v)) => Some((v.state, v.reason)),
        _ => current.get().and_then(Result::ok).flatten().map(|v| (v.state, v.reason)),
    };
    view! {
        <section aria-labelledby="schedule-h" class="schedule" data-testid="schedule">
            <h3 id="schedule-h">"Schedule"</h3>
            <form aria-label="Schedule" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if f.check().is_ok() {
                    let s = f.spec();
                    save.dispatch(SaveSchedule { workload_id: id.get_untracked(), schedule: s.schedule, when_closed: s.when_closed, priority: s.priority, movable: s.movable });
                }
            }>
                <ScheduleFields f=f/>
                <button type="submit" class="button" disabled=move || f.check().is_err()>"Save schedule"</button>
            </form>
            {move || action_error(save.value().get())}
            {move || status().map(|(state, reason)| view! { <p class="muted" data-testid="schedule-state">{format!("Now: {state} — {reason}")}</p> })}
        </section>
    }
}
