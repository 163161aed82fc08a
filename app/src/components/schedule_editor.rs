//! The schedule of a workload on its page: when it runs (always, or recurring windows built
//! from weekdays, times and a time zone, previewed as a sentence while typing), its priority,
//! and what the scheduler last decided about it.
use crate::api::schedules::{SaveSchedule, load_schedule};
use crate::components::error_view::action_error;
use flotilla_domain::schedule::{self, EVERY_DAY, Priority, Schedule, WEEKDAYS, WhenClosed};
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

#[derive(Clone, Copy)]
struct Form {
    recurring: RwSignal<bool>,
    days: RwSignal<u8>,
    start: RwSignal<String>,
    end: RwSignal<String>,
    tz: RwSignal<String>,
    priority: RwSignal<Priority>,
    movable: RwSignal<bool>,
}

impl Form {
    fn schedule(&self) -> Schedule {
        if self.recurring.get() {
            Schedule::Recurring { days: self.days.get(), start: self.start.get(), end: self.end.get(), tz: self.tz.get() }
        } else {
            Schedule::Always
        }
    }
}

#[component]
pub fn ScheduleSection(id: Signal<i64>) -> impl IntoView {
    let save = ServerAction::<SaveSchedule>::new();
    // Loaded in the browser only: the form is the person's until they save.
    let current = LocalResource::new(move || load_schedule(id.get()));
    let f = Form {
        recurring: RwSignal::new(false),
        days: RwSignal::new(WEEKDAYS),
        start: RwSignal::new("01:00".into()),
        end: RwSignal::new("05:00".into()),
        tz: RwSignal::new("UTC".into()),
        priority: RwSignal::new(Priority::Normal),
        movable: RwSignal::new(false),
    };
    let seeded = RwSignal::new(false);
    Effect::new(move |_| {
        if seeded.get_untracked() {
            return;
        }
        if let Some(Ok(v)) = current.get() {
            if let Some(v) = v {
                if let Schedule::Recurring { days, start, end, tz } = v.schedule {
                    f.recurring.set(true);
                    f.days.set(days);
                    f.start.set(start);
                    f.end.set(end);
                    f.tz.set(tz);
                }
                f.priority.set(v.priority);
                f.movable.set(v.movable);
            }
            seeded.set(true);
        }
    });
    let checked = Memo::new(move |_| schedule::check(&f.schedule()));
    let sentence = move || schedule::describe_at_ms(&f.schedule(), now_ms());
    let status = move || match save.value().get() {
        Some(Ok(v)) => Some((v.state, v.reason)),
        _ => current.get().and_then(Result::ok).flatten().map(|v| (v.state, v.reason)),
    };
    view! {
        <section aria-labelledby="schedule-h" class="schedule" data-testid="schedule">
            <h3 id="schedule-h">"Schedule"</h3>
            <form aria-label="Schedule" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                if checked.with_untracked(|c| c.is_ok()) {
                    save.dispatch(SaveSchedule { workload_id: id.get_untracked(), schedule: f.schedule(), when_closed: WhenClosed::Remove, priority: f.priority.get_untracked(), movable: f.movable.get_untracked() });
                }
            }>
                <div class="chips" role="radiogroup" aria-label="When it runs">
                    <button type="button" class="chip" aria-pressed=move || (!f.recurring.get()).to_string() on:click=move |_| f.recurring.set(false)>"All the time"</button>
                    <button type="button" class="chip" aria-pressed=move || f.recurring.get().to_string() on:click=move |_| f.recurring.set(true)>"In recurring windows"</button>
                </div>
                <div class="window-builder" hidden=move || !f.recurring.get()>
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
                <label>"Priority"
                    <select name="priority" on:change=move |ev| f.priority.set(Priority::parse(&event_target_value(&ev)).unwrap_or_default()) prop:value=move || f.priority.get().as_str()>
                        <option value="high">"High"</option>
                        <option value="normal">"Normal"</option>
                        <option value="low">"Low: only when a cluster has room, first to go in a burst"</option>
                    </select>
                </label>
                <label class="check"><input type="checkbox" bind:checked=f.movable/>"May be moved to another cluster"</label>
                <p class="notice" data-testid="schedule-sentence" aria-live="polite">{move || match checked.get() {
                    Ok(()) => sentence(),
                    Err(e) => format!("Not yet: {e}."),
                }}</p>
                <button type="submit" class="button" disabled=move || checked.with(|c| c.is_err())>"Save schedule"</button>
            </form>
            {move || action_error(save.value().get())}
            {move || status().map(|(state, reason)| view! { <p class="muted" data-testid="schedule-state">{format!("Now: {state} — {reason}")}</p> })}
        </section>
    }
}
