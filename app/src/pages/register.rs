//! Register a container: the form, and beside it a live preview of where it would run and why.
//! The preview runs the domain's validation and placement in the browser (WebAssembly) on the
//! live capacities of the project's clusters; the server runs the same code again on submit.
use crate::api::directory::list_projects;
use crate::api::workloads::{RegisterWorkload, load_placement_inputs};
use crate::components::schedule_editor::{ScheduleFields, ScheduleForm};
use crate::components::{browser_data::BrowserData, error_view::action_error, page_header::PageHeader};
use crate::error::AppError;
use flotilla_domain::placement::{Candidate, Placement, place};
use flotilla_domain::workload::{EnvVar, FieldError, PlacementRule, PortSpec, WorkloadForm, quantity_hint, validate};
use flotilla_domain::{PlacementInputs, RegisterOutcome};
use leptos::prelude::*;

/// The form's state: all text, so nothing typed is lost whatever the server says.
#[derive(Clone, Copy)]
struct Fields {
    project: RwSignal<String>,
    name: RwSignal<String>,
    image: RwSignal<String>,
    command: RwSignal<String>,
    args: RwSignal<String>,
    env: RwSignal<Vec<EnvVar>>,
    ports: RwSignal<Vec<PortSpec>>,
    replicas: RwSignal<String>,
    cpu_request: RwSignal<String>,
    cpu_limit: RwSignal<String>,
    memory_request: RwSignal<String>,
    memory_limit: RwSignal<String>,
    gpu: RwSignal<String>,
    mode: RwSignal<&'static str>,
    chosen: RwSignal<Vec<i64>>,
}

impl Fields {
    fn new() -> Self {
        Self {
            project: RwSignal::new(String::new()),
            name: RwSignal::new(String::new()),
            image: RwSignal::new(String::new()),
            command: RwSignal::new(String::new()),
            args: RwSignal::new(String::new()),
            env: RwSignal::new(vec![]),
            ports: RwSignal::new(vec![]),
            replicas: RwSignal::new("1".into()),
            cpu_request: RwSignal::new("250m".into()),
            cpu_limit: RwSignal::new(String::new()),
            memory_request: RwSignal::new("256Mi".into()),
            memory_limit: RwSignal::new(String::new()),
            gpu: RwSignal::new(String::new()),
            mode: RwSignal::new("least_loaded"),
            chosen: RwSignal::new(vec![]),
        }
    }

    fn form(&self) -> WorkloadForm {
        WorkloadForm {
            project: self.project.get(),
            name: self.name.get(),
            image: self.image.get(),
            command: self.command.get(),
            args: self.args.get(),
            env: self.env.get(),
            ports: self.ports.get(),
            replicas: self.replicas.get(),
            cpu_request: self.cpu_request.get(),
            cpu_limit: self.cpu_limit.get(),
            memory_request: self.memory_request.get(),
            memory_limit: self.memory_limit.get(),
            gpu: self.gpu.get(),
            placement: match self.mode.get() {
                "spread" => PlacementRule::Spread,
                "cheapest" => PlacementRule::Cheapest,
                "clusters" => PlacementRule::Clusters(self.chosen.get()),
                _ => PlacementRule::LeastLoaded,
            },
        }
    }
}

/// The preview kept on screen (with the project it is for), and whether the fields placement
/// reads are valid now.
type Preview = (Option<(String, Placement)>, Result<(), Vec<FieldError>>);

#[component]
pub fn RegisterPage() -> impl IntoView {
    let f = Fields::new();
    // Loaded in the browser only: the form works on what the person types, not on a server render.
    let projects = BrowserData::new(list_projects);
    // The placement inputs of the project last chosen, tagged with it: each choice loads its
    // own (in the browser), and an answer for a project no longer chosen is dropped, so a late
    // answer can neither stand for the chosen project nor hide its answer.
    let inputs = RwSignal::new(None::<(String, Result<PlacementInputs, AppError>)>);
    Effect::new(move |_| {
        let p = f.project.get();
        if p.is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            let answer = load_placement_inputs(p.clone()).await;
            if f.project.get_untracked() == p {
                inputs.set(Some((p, answer)));
            }
        });
    });
    // The chosen project's inputs; None while they load.
    let current = move || {
        let chosen = f.project.get();
        if chosen.is_empty() {
            return Some(Ok(None));
        }
        inputs.with(|i| i.as_ref().filter(|(of, _)| *of == chosen).map(|(_, r)| r.clone().map(Some)))
    };
    // Start with the caller's first project.
    Effect::new(move |_| {
        if f.project.get_untracked().is_empty()
            && let Some(Ok(list)) = projects.get()
            && let Some(first) = list.first()
        {
            f.project.set(first.name.clone());
        }
    });
    let register = ServerAction::<RegisterWorkload>::new();
    let sched = ScheduleForm::new();
    let submitted = RwSignal::new(false);
    let touched = RwSignal::new(Vec::<&'static str>::new());
    let checked = Memo::new(move |_| validate(&f.form()));
    // Field errors: from the browser's check once a field was touched (or after submit), and the server's.
    let server_errors = move || match register.value().get() {
        Some(Ok(RegisterOutcome::Invalid(e))) => e,
        _ => vec![],
    };
    // Errors of the fields whose name is `field` or starts with `field.` (rows of env and ports).
    let errors_for = move |field: &str| -> Vec<String> {
        let matches = |e: &FieldError| e.field == field || e.field.starts_with(&format!("{field}."));
        let show = submitted.get() || touched.with(|t| t.contains(&field));
        let mut out: Vec<String> =
            if show { checked.with(|c| c.as_ref().err().map(|errs| errs.iter().filter(|e| matches(e)).map(|e| e.message.clone()).collect()).unwrap_or_default()) } else { vec![] };
        if out.is_empty() {
            out = server_errors().into_iter().filter(|e| matches(e)).map(|e| e.message).collect();
        }
        out
    };
    let error_for = move |field: &str| errors_for(field).into_iter().next();
    // What placement reads (project, replicas, requests, GPUs, the rule), checked on its own: a
    // missing name, a bad image or limit, or an env row do not stop the preview. The fields
    // placement does not read get stand-ins that always pass; the form itself is not touched.
    let demand = Memo::new(move |_| {
        let form = WorkloadForm {
            name: "preview".into(),
            image: "nginx".into(),
            command: String::new(),
            args: String::new(),
            env: vec![],
            ports: vec![],
            cpu_limit: String::new(),
            memory_limit: String::new(),
            ..f.form()
        };
        validate(&form).map(|spec| (spec.placement.clone(), spec.demand()))
    });
    // The newest preview that could be worked out, with the project it is for, and whether the
    // fields placement reads are valid now. While one is not (or after a refused register) the
    // last preview stays on screen, marked out of date, instead of the panel going back to "Fill
    // in the form". One memo carries both: a view reading `demand` beside it would miss a change
    // that leaves the kept preview equal (the memo graph settles `demand` while checking this).
    let preview = Memo::new(move |last: Option<&Preview>| {
        let project = f.project.get();
        let need = demand.get();
        let fresh = match (current(), &need) {
            (Some(Ok(Some(PlacementInputs { clusters, .. }))), Ok((rule, need))) => Some((project.clone(), place(rule, need, &clusters))),
            _ => None,
        };
        let kept = fresh.or_else(|| last.and_then(|(p, _)| p.clone()).filter(|(p, _)| *p == project));
        (kept, need.map(|_| ()))
    });
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(RegisterOutcome::Created { id, .. })) = register.value().get() {
            navigate(&format!("/workloads/{id}"), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        submitted.set(true);
        if checked.with_untracked(|c| c.is_ok()) && sched.check().is_ok() {
            register.dispatch(RegisterWorkload { form: f.form(), schedule: Some(sched.spec()) });
        }
    };
    let touch = move |field: &'static str| {
        touched.update(|t| {
            if !t.contains(&field) {
                t.push(field)
            }
        })
    };
    let text = move |label: &'static str, field: &'static str, sig: RwSignal<String>, placeholder: &'static str| {
        view! {
            <label class="field">{label}
                <input type="text" name=field placeholder=placeholder prop:value=move || sig.get()
                    on:input=move |ev| { sig.set(event_target_value(&ev)); touch(field); }
                    aria-invalid=move || error_for(field).is_some().to_string()/>
                {move || quantity_hint(field, &sig.get()).map(|h| view! { <span class="hint">{h}</span> })}
                {move || error_for(field).map(|e| view! { <span class="field-error" role="alert" data-field=field>{e}</span> })}
            </label>
        }
    };
    view! {
        <PageHeader title="Register a container" subtitle="Give the image and what it needs; Flotilla picks the cluster, deploys it and keeps it running."/>
        <div class="register">
            <form class="register__form" on:submit=submit novalidate>
                <fieldset>
                    <legend>"What to run"</legend>
                    <label class="field">"Project"
                        <select name="project" on:change=move |ev| f.project.set(event_target_value(&ev))>
                            {move || projects.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|p| {
                                let name = p.name.clone();
                                view! { <option value=p.name.clone() selected=move || f.project.get() == name>{p.display_name}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                    {text("Name", "name", f.name, "web")}
                    {text("Image", "image", f.image, "nginx:1.27 or registry.example.com/team/app:1.2")}
                    {text("Command (optional)", "command", f.command, "/bin/server")}
                    {text("Arguments (optional)", "args", f.args, "--port 8080")}
                </fieldset>
                <fieldset>
                    <legend>"Resources"</legend>
                    <div class="form-grid">
                        {text("Replicas", "replicas", f.replicas, "2")}
                        {text("GPUs per replica", "gpu", f.gpu, "0")}
                        {text("CPU request", "cpu_request", f.cpu_request, "250m")}
                        {text("CPU limit (optional)", "cpu_limit", f.cpu_limit, "1")}
                        {text("Memory request", "memory_request", f.memory_request, "256Mi")}
                        {text("Memory limit (optional)", "memory_limit", f.memory_limit, "512Mi")}
                    </div>
                </fieldset>
                <EnvRows f errors_for touch/>
                <PortRows f errors_for touch/>
                <fieldset>
                    <legend>"Placement"</legend>
                    <div class="chips" role="radiogroup" aria-label="Placement">
                        {[("least_loaded", "Least-loaded cluster that fits"), ("cheapest", "Cheapest cluster that fits"), ("spread", "Spread over clusters"), ("clusters", "Clusters I choose")].map(|(m, label)| view! {
                            <button type="button" class="chip" data-mode=m aria-pressed=move || (f.mode.get() == m).to_string() on:click=move |_| f.mode.set(m)>{label}</button>
                        }).collect_view()}
                    </div>
                    <div hidden=move || f.mode.get() != "clusters" class="choose-clusters">
                        {move || current().and_then(Result::ok).flatten().map(|i| i.clusters.into_iter().map(|c| {
                            let id = c.id;
                            view! { <label class="check"><input type="checkbox" name="cluster" value=c.name.clone() prop:checked=move || f.chosen.with(|v| v.contains(&id))
                                on:change=move |ev| { let on = event_target_checked(&ev); f.chosen.update(|v| { v.retain(|x| *x != id); if on { v.push(id); v.sort(); } }); }/>{c.name.clone()}</label> }
                        }).collect_view())}
                    </div>
                    {move || error_for("placement").map(|e| view! { <span class="field-error" role="alert" data-field="placement">{e}</span> })}
                </fieldset>
                {view! { <fieldset class="schedule" data-testid="register-schedule">
                    <legend>"Schedule"</legend>
                    <ScheduleFields f=sched/>
                    {move || error_for("schedule").map(|e| view! { <span class="field-error" role="alert" data-field="schedule">{e}</span> })}
                </fieldset> }.into_any()}
                <div class="actions">
                    <button type="submit" class="button button--primary" prop:disabled=move || register.pending().get()>
                        {move || match (register.pending().get(), sched.spec().deploys_at_once()) {
                            (true, _) => "Registering…",
                            (false, true) => "Register and deploy",
                            (false, false) => "Register and schedule",
                        }}</button>
                    <a class="button button--quiet" href="/workloads">"Cancel"</a>
                </div>
                {move || submitted.get().then(|| checked.with(|c| c.as_ref().err().map(|e| e.len()))).flatten().map(|n| view! {
                    <p class="notice notice--error" role="alert">{format!("{n} field{} need{} attention; nothing was deployed.", if n == 1 { "" } else { "s" }, if n == 1 { "s" } else { "" })}</p>
                })}
                {move || action_error(register.value().get())}
                {move || match register.value().get() {
                    Some(Ok(RegisterOutcome::NoRoom(p))) => Some(view! { <p class="notice notice--error" role="alert">{p.error.unwrap_or(p.summary)}</p> }),
                    _ => None,
                }}
            </form>
            <aside class="register__preview" aria-labelledby="preview-h" aria-live="polite">
                <h2 id="preview-h">"Where it would run"</h2>
                {move || (!sched.spec().deploys_at_once()).then_some(view! { <p class="muted" data-testid="placed-later">"Now. With this schedule it is placed when its window opens (low priority: when a cluster has room), on the clusters' load then."</p> })}
                {move || match (current(), preview.get()) {
                    (None, _) => view! { <p class="loading" role="status">"Reading the clusters' free capacity…"</p> }.into_any(),
                    (Some(Err(e)), _) => view! { <p class="notice notice--error" role="alert">{e.to_string()}</p> }.into_any(),
                    (Some(Ok(None)), _) => view! { <p class="muted">"Choose a project."</p> }.into_any(),
                    (_, (Some((_, p)), Ok(()))) => preview_view(p, false),
                    (_, (kept, Err(errors))) => blocked_view(kept.map(|(_, p)| p), errors),
                    (_, (None, Ok(()))) => view! { <p class="muted">"Fill in the form; the preview updates as you type."</p> }.into_any(),
                }}
            </aside>
        </div>
    }
}

/// The placement: its summary and every candidate cluster. `stale`: worked out from earlier
/// values of the form (a field placement reads is invalid now), shown dimmed.
fn preview_view(p: Placement, stale: bool) -> AnyView {
    view! {
        <div data-testid="placement-preview" data-stale=stale.to_string() class=if stale { "register__preview-stale" } else { "" }>
            {match &p.error {
                Some(e) => view! { <p class="notice notice--error" data-testid="placement-summary">{e.clone()}</p> }.into_any(),
                None => view! { <p class="notice" data-testid="placement-summary"><strong>{p.summary.clone()}</strong></p> }.into_any(),
            }}
            // Four columns (whether it fits and the score under the name, CPU and memory in one
            // cell) so the cost and the replicas fit the panel; a very long name scrolls the
            // table in its own box.
            <div class="table-wrap">
                <table class="data-table candidates">
                    <thead><tr><th scope="col">"Cluster"</th><th scope="col">"Free before → after"</th>
                        <th scope="col">"Cost a month (all replicas)"</th><th scope="col">"Replicas"</th></tr></thead>
                    <tbody>{p.candidates.into_iter().map(candidate_row).collect_view()}</tbody>
                </table>
            </div>
        </div>
    }
    .into_any()
}

/// A field placement reads is invalid: which one, in words, above the last preview (if any).
fn blocked_view(kept: Option<Placement>, errors: Vec<FieldError>) -> AnyView {
    let intro = if kept.is_some() { "Showing the last preview that could be worked out. To update it, fix:" } else { "The preview needs these fields first:" };
    view! {
        <div class="notice notice--warn register__preview-blocked" data-testid="preview-blocked">
            {intro}
            <ul>
                {errors.into_iter().map(|e| view! { <li data-field=e.field.clone()><strong>{field_label(&e.field)}</strong>{format!(": {}", e.message)}</li> }).collect_view()}
            </ul>
        </div>
        {kept.map(|p| preview_view(p, true))}
    }
    .into_any()
}

/// The label a form field carries, for the fields placement reads.
fn field_label(field: &str) -> &'static str {
    match field {
        "project" => "Project",
        "replicas" => "Replicas",
        "cpu_request" => "CPU request",
        "memory_request" => "Memory request",
        "gpu" => "GPUs per replica",
        "placement" => "Placement",
        _ => "A field",
    }
}

fn candidate_row(c: Candidate) -> impl IntoView {
    use flotilla_domain::inventory::{format_bytes, format_cpu};
    let chosen = c.chosen_replicas > 0;
    view! {
        <tr class:chosen=chosen data-candidate=c.cluster.clone()>
            <td><strong>{c.cluster.clone()}</strong>
                {if c.fits { view! { <span class="badge badge--ok">"fits"</span> }.into_any() }
                 else { view! { <span class="badge badge--bad">"no"</span><span class="muted candidates__why">{c.reason.clone().unwrap_or_default()}</span> }.into_any() }}
                <span class="muted candidates__why mono">{format!("score {:.2}", c.score)}</span></td>
            <td class="mono">
                <span class="candidates__free">{format!("CPU {} → {}", format_cpu(c.free_before.cpu_m), format_cpu(c.free_after.cpu_m))}</span>
                <span class="candidates__free">{format!("Memory {} → {}", format_bytes(c.free_before.mem_b), format_bytes(c.free_after.mem_b))}</span>
            </td>
            <td class="mono" data-testid="monthly-cost">{match c.monthly_cost {
                Some(m) => format!("≈ {}", flotilla_domain::format::money(m, &c.currency)),
                None => "no price known".into(),
            }}</td>
            <td>{if chosen { c.chosen_replicas.to_string() } else { "—".into() }}</td>
        </tr>
    }
}

#[component]
fn EnvRows(f: Fields, errors_for: impl Fn(&str) -> Vec<String> + Copy + Send + Sync + 'static, touch: impl Fn(&'static str) + Copy + Send + Sync + 'static) -> impl IntoView {
    // Rows are keyed by position, so typing never re-creates the input being typed in.
    let get = move |i: usize, pick: fn(&EnvVar) -> String| f.env.with(|v| v.get(i).map(pick).unwrap_or_default());
    view! {
        <fieldset>
            <legend>"Environment variables"</legend>
            <For each=move || 0..f.env.with(Vec::len) key=|i| *i let:i>
                <div class="row">
                    <input type="text" aria-label=format!("Variable {} name", i + 1) placeholder="NAME" prop:value=move || get(i, |e| e.name.clone())
                        on:input=move |ev| { f.env.update(|v| if let Some(e) = v.get_mut(i) { e.name = event_target_value(&ev) }); touch("env"); }/>
                    <input type="text" aria-label=format!("Variable {} value", i + 1) placeholder="value" prop:value=move || get(i, |e| e.value.clone())
                        on:input=move |ev| f.env.update(|v| if let Some(e) = v.get_mut(i) { e.value = event_target_value(&ev) })/>
                    <button type="button" class="button button--quiet" on:click=move |_| f.env.update(|v| { if i < v.len() { v.remove(i); } })>"Remove"</button>
                </div>
            </For>
            {move || errors_for("env").into_iter().map(|e| view! { <span class="field-error" role="alert" data-field="env">{e}</span> }).collect_view()}
            <button type="button" class="button" on:click=move |_| f.env.update(|v| v.push(EnvVar { name: String::new(), value: String::new() }))>"Add a variable"</button>
        </fieldset>
    }
}

#[component]
fn PortRows(f: Fields, errors_for: impl Fn(&str) -> Vec<String> + Copy + Send + Sync + 'static, touch: impl Fn(&'static str) + Copy + Send + Sync + 'static) -> impl IntoView {
    let get = move |i: usize| f.ports.with(|v| v.get(i).cloned()).unwrap_or(PortSpec { port: 0, protocol: "TCP".into(), expose: false });
    view! {
        <fieldset>
            <legend>"Ports"</legend>
            <For each=move || 0..f.ports.with(Vec::len) key=|i| *i let:i>
                <div class="row">
                    <input type="number" min="1" max="65535" aria-label=format!("Port {}", i + 1) prop:value=move || get(i).port.to_string()
                        on:input=move |ev| { f.ports.update(|v| if let Some(p) = v.get_mut(i) { p.port = event_target_value(&ev).parse().unwrap_or(0) }); touch("ports"); }/>
                    <select aria-label=format!("Port {} protocol", i + 1) prop:value=move || get(i).protocol
                        on:change=move |ev| f.ports.update(|v| if let Some(p) = v.get_mut(i) { p.protocol = event_target_value(&ev) })>
                        <option value="TCP">"TCP"</option>
                        <option value="UDP">"UDP"</option>
                    </select>
                    <label class="check"><input type="checkbox" prop:checked=move || get(i).expose
                        on:change=move |ev| f.ports.update(|v| if let Some(p) = v.get_mut(i) { p.expose = event_target_checked(&ev) })/>"Expose as a Service"</label>
                    <button type="button" class="button button--quiet" on:click=move |_| f.ports.update(|v| { if i < v.len() { v.remove(i); } })>"Remove"</button>
                </div>
            </For>
            {move || errors_for("ports").into_iter().map(|e| view! { <span class="field-error" role="alert" data-field="ports">{e}</span> }).collect_view()}
            <button type="button" class="button" on:click=move |_| f.ports.update(|v| v.push(PortSpec { port: 8080, protocol: "TCP".into(), expose: true }))>"Add a port"</button>
        </fieldset>
    }
}
