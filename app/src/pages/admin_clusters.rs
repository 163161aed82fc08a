//! Admin → Clusters: register a cluster from a kubeconfig (pasted or uploaded, one context) or
//! from URL + CA + token, test the connection first, edit, disable and remove clusters.
use crate::api::clusters::{RegisterCluster, RemoveCluster, SetClusterEnabled, TestClusterConnection, UpdateCluster, kubeconfig_contexts};
use crate::api::fleet::list_clusters;
use crate::components::{error_view::action_error, loaded::Loaded};
use flotilla_domain::{ClusterMetadata, ClusterSummary, Connection, ConnectionReport, Provider, labels_text};
use leptos::prelude::*;

const DEFAULT_PRICE: &str = "0";

const PROVIDERS: [Provider; 5] = [Provider::Eks, Provider::Gke, Provider::Aks, Provider::OnPrem, Provider::Other];

/// Everything the form holds; kept across failed attempts so nothing typed is lost.
#[derive(Clone, Copy)]
struct Form {
    mode: RwSignal<&'static str>,
    yaml: RwSignal<String>,
    contexts: RwSignal<Vec<String>>,
    context: RwSignal<String>,
    server: RwSignal<String>,
    ca: RwSignal<String>,
    token: RwSignal<String>,
    name: RwSignal<String>,
    display_name: RwSignal<String>,
    provider: RwSignal<Provider>,
    region: RwSignal<String>,
    environment: RwSignal<String>,
    labels: RwSignal<String>,
    location: RwSignal<String>,
    price: RwSignal<String>,
    /// Editing this cluster (None = registering a new one).
    editing: RwSignal<Option<i64>>,
    replace_credentials: RwSignal<bool>,
}

impl Form {
    fn new() -> Self {
        Self {
            mode: RwSignal::new("kubeconfig"),
            yaml: RwSignal::new(String::new()),
            contexts: RwSignal::new(vec![]),
            context: RwSignal::new(String::new()),
            server: RwSignal::new(String::new()),
            ca: RwSignal::new(String::new()),
            token: RwSignal::new(String::new()),
            name: RwSignal::new(String::new()),
            display_name: RwSignal::new(String::new()),
            provider: RwSignal::new(Provider::Eks),
            region: RwSignal::new(String::new()),
            environment: RwSignal::new("production".into()),
            labels: RwSignal::new(String::new()),
            location: RwSignal::new(String::new()),
            price: RwSignal::new(DEFAULT_PRICE.into()),
            editing: RwSignal::new(None),
            replace_credentials: RwSignal::new(false),
        }
    }

    fn connection(&self) -> Connection {
        if self.mode.get_untracked() == "kubeconfig" {
            Connection::Kubeconfig { yaml: self.yaml.get_untracked(), context: self.context.get_untracked() }
        } else {
            Connection::Token { server: self.server.get_untracked(), ca_pem: self.ca.get_untracked(), token: self.token.get_untracked() }
        }
    }

    fn metadata(&self) -> ClusterMetadata {
        ClusterMetadata {
            name: self.name.get_untracked(),
            display_name: self.display_name.get_untracked(),
            provider: self.provider.get_untracked(),
            region: self.region.get_untracked(),
            environment: self.environment.get_untracked(),
            labels: self.labels.get_untracked(),
            location: self.location.get_untracked(),
            // A non-number becomes -1, which the server refuses with a message (never silently zero).
            control_plane_price_per_hour: self.price.get_untracked().trim().parse().ok().filter(|p: &f64| p.is_finite()).unwrap_or(-1.0),
        }
    }

    fn edit(&self, c: &ClusterSummary) {
        self.editing.set(Some(c.id));
        self.name.set(c.name.clone());
        self.display_name.set(c.display_name.clone());
        self.provider.set(c.provider);
        self.region.set(c.region.clone());
        self.environment.set(c.environment.clone());
        self.labels.set(labels_text(&c.labels));
        self.location.set(c.location.clone().unwrap_or_default());
        self.price.set(c.control_plane_price_per_hour.to_string());
        self.replace_credentials.set(false);
    }

    fn clear(&self) {
        self.editing.set(None);
        self.yaml.set(String::new());
        self.contexts.set(vec![]);
        self.context.set(String::new());
        self.token.set(String::new());
        self.name.set(String::new());
        self.display_name.set(String::new());
        self.labels.set(String::new());
        self.location.set(String::new());
        self.price.set(DEFAULT_PRICE.into());
    }
}

/// Where the cluster will appear on the world map, in words, as the administrator types.
fn location_hint(provider: Provider, region: &str, location: &str) -> String {
    use flotilla_domain::geo;
    match location.trim() {
        "" => match geo::region_location(provider, region.trim()) {
            Some(_) => format!("Empty: placed by its region {}.", region.trim()),
            None => "Empty: not on the map (its region is not a known cloud region). Type a city or latitude, longitude.".into(),
        },
        text => match geo::parse_location(text) {
            Ok(at) => format!("Placed at {:.2}, {:.2}.", at.lat, at.lon),
            Err(e) => format!("{e}."),
        },
    }
}

/// A context name as a cluster name: lower case, other characters as '-'.
fn suggested_name(context: &str) -> String {
    let s: String = context.to_ascii_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    s.trim_matches('-').chars().take(63).collect()
}

/// Counts the changes this page makes to the cluster list, so other sections that list clusters
/// (a new project's cluster choice) reload with them instead of showing the list as it was.
#[derive(Clone, Copy)]
pub struct ClustersChanged(pub RwSignal<u64>);

#[component]
pub fn ClusterAdmin() -> impl IntoView {
    let form = Form::new();
    let register = ServerAction::<RegisterCluster>::new();
    let update = ServerAction::<UpdateCluster>::new();
    let enable = ServerAction::<SetClusterEnabled>::new();
    let remove = ServerAction::<RemoveCluster>::new();
    let test = ServerAction::<TestClusterConnection>::new();
    let changes = move || register.version().get() + update.version().get() + enable.version().get() + remove.version().get();
    let clusters = Resource::new(changes, |_| list_clusters());
    if let Some(ClustersChanged(shared)) = use_context::<ClustersChanged>() {
        Effect::new(move |_| shared.set(changes() as u64));
    }
    // A successful save clears the form; a failed one keeps everything typed.
    Effect::new(move |_| {
        if matches!(register.value().get(), Some(Ok(_))) || matches!(update.value().get(), Some(Ok(_))) {
            form.clear();
        }
    });
    let table = move |list: Vec<ClusterSummary>| cluster_table(list, form, enable, remove);
    view! {
        <section aria-labelledby="clusters-h" id="clusters">
            <h2 id="clusters-h">"Clusters"</h2>
            <p class="muted">"Register each cluster once; Flotilla keeps a live picture of it. Credentials are encrypted at rest and never shown again."</p>
            <Loaded resource=clusters loading="Loading clusters…" render=table/>
            {move || action_error(enable.value().get())}
            {move || action_error(remove.value().get())}
            <ClusterForm form register update test/>
        </section>
    }
}

fn cluster_table(list: Vec<ClusterSummary>, form: Form, enable: ServerAction<SetClusterEnabled>, remove: ServerAction<RemoveCluster>) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted">"No clusters registered yet: add the first one below."</p> }.into_any();
    }
    let confirming = RwSignal::new(None::<i64>);
    view! {
        <div class="table-wrap"><table class="data-table" id="cluster-admin-table">
            <thead><tr><th scope="col">"Cluster"</th><th scope="col">"Provider"</th><th scope="col">"Region"</th><th scope="col">"API server"</th>
                <th scope="col">"Status"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>{list.into_iter().map(|c| {
                let id = c.id;
                let enabled = c.enabled;
                let for_edit = c.clone();
                view! {
                    <tr data-cluster-row=c.name.clone()>
                        <td><a href=format!("/clusters/{id}")><strong>{c.display_name.clone()}</strong></a><br/><span class="muted mono">{c.name.clone()}</span></td>
                        <td>{c.provider.label()}</td>
                        <td class="mono">{c.region.clone()}</td>
                        <td class="mono">{if c.api_server.is_empty() { "—".to_owned() } else { c.api_server.clone() }}</td>
                        <td>{if enabled { view! { <span class="badge badge--ok">"Enabled"</span> }.into_any() } else { view! { <span class="badge badge--off">"Disabled"</span> }.into_any() }}</td>
                        <td class="actions">
                            <button type="button" class="button button--quiet" on:click=move |_| form.edit(&for_edit)>"Edit"</button>
                            <button type="button" class="button button--quiet" on:click=move |_| { enable.dispatch(SetClusterEnabled { id, enabled: !enabled }); }>
                                {if enabled { "Disable" } else { "Enable" }}</button>
                            {move || if confirming.get() == Some(id) {
                                view! {
                                    <button type="button" class="button button--danger" on:click=move |_| { remove.dispatch(RemoveCluster { id }); confirming.set(None); }>"Confirm removal"</button>
                                    <button type="button" class="button button--quiet" on:click=move |_| confirming.set(None)>"Keep"</button>
                                }.into_any()
                            } else {
                                view! { <button type="button" class="button button--quiet" on:click=move |_| confirming.set(Some(id))>"Remove"</button> }.into_any()
                            }}
                        </td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}

#[component]
fn ClusterForm(form: Form, register: ServerAction<RegisterCluster>, update: ServerAction<UpdateCluster>, test: ServerAction<TestClusterConnection>) -> impl IntoView {
    let contexts_error = RwSignal::new(None::<String>);
    let read_contexts = move || {
        let yaml = form.yaml.get_untracked();
        if yaml.trim().is_empty() {
            return;
        }
        leptos::task::spawn_local(async move {
            match kubeconfig_contexts(yaml).await {
                Ok(list) => {
                    contexts_error.set(None);
                    if let Some(first) = list.first() {
                        form.context.set(first.clone());
                        if form.name.get_untracked().is_empty() {
                            form.name.set(suggested_name(first));
                        }
                    }
                    form.contexts.set(list);
                }
                Err(e) => {
                    form.contexts.set(vec![]);
                    contexts_error.set(Some(e.to_string()));
                }
            }
        });
    };
    let on_file = move |ev: leptos::ev::Event| {
        use wasm_bindgen::JsCast;
        let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) else { return };
        let Some(file) = input.files().and_then(|f| f.get(0)) else { return };
        leptos::task::spawn_local(async move {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
                && let Some(text) = text.as_string()
            {
                form.yaml.set(text);
                read_contexts();
            }
        });
    };
    let editing = move || form.editing.get().is_some();
    let show_connection = move || !editing() || form.replace_credentials.get();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        match form.editing.get_untracked() {
            Some(id) => {
                let connection = form.replace_credentials.get_untracked().then(|| form.connection());
                update.dispatch(UpdateCluster { id, metadata: form.metadata(), connection });
            }
            None => {
                register.dispatch(RegisterCluster { metadata: form.metadata(), connection: form.connection() });
            }
        }
    };
    view! {
        <form class="cluster-form" on:submit=submit aria-labelledby="cluster-form-h">
            <h3 id="cluster-form-h">{move || if editing() { format!("Edit cluster {}", form.name.get()) } else { "Add a cluster".to_owned() }}</h3>
            {move || editing().then(|| view! {
                <label class="check"><input type="checkbox" prop:checked=move || form.replace_credentials.get()
                    on:change=move |ev| form.replace_credentials.set(event_target_checked(&ev))/>"Replace the credentials"</label>
            })}
            <fieldset class="connection" hidden=move || !show_connection()>
                <legend>"Connection"</legend>
                <div class="chips" role="radiogroup" aria-label="How to connect">
                    <button type="button" class="chip" aria-pressed=move || (form.mode.get() == "kubeconfig").to_string() on:click=move |_| form.mode.set("kubeconfig")>"Kubeconfig"</button>
                    <button type="button" class="chip" aria-pressed=move || (form.mode.get() == "token").to_string() on:click=move |_| form.mode.set("token")>"URL, CA and token"</button>
                </div>
                <div hidden=move || form.mode.get() != "kubeconfig">
                    <label>"Upload a kubeconfig"<input type="file" accept=".yaml,.yml,.conf,.config,text/*" on:change=on_file/></label>
                    <label>"…or paste it"
                        <textarea name="kubeconfig" rows="8" spellcheck="false" class="mono" placeholder="apiVersion: v1\nkind: Config\n…"
                            prop:value=move || form.yaml.get() on:input=move |ev| form.yaml.set(event_target_value(&ev)) on:blur=move |_| read_contexts()></textarea>
                    </label>
                    <p class="muted">"Use embedded credentials ("<code>"kubectl config view --minify --flatten --raw"</code>"); exec plugins and file paths are refused."</p>
                    {move || contexts_error.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <label>"Context"
                        <select name="context" on:change=move |ev| { let c = event_target_value(&ev); form.name.set(suggested_name(&c)); form.context.set(c); }>
                            <For each=move || form.contexts.get() key=|c| c.clone() let:c>
                                <option value=c.clone() selected=move || form.context.get() == c>{c.clone()}</option>
                            </For>
                        </select>
                    </label>
                </div>
                <div hidden=move || form.mode.get() != "token">
                    <label>"API server URL"<input type="url" name="server" placeholder="https://10.0.0.1:6443" bind:value=form.server/></label>
                    <label>"CA certificate (PEM)"<textarea name="ca" rows="4" class="mono" placeholder="-----BEGIN CERTIFICATE-----" bind:value=form.ca></textarea></label>
                    <label>"Bearer token"<input type="password" name="token" autocomplete="off" bind:value=form.token/></label>
                </div>
                <div class="actions">
                    <button type="button" class="button" on:click=move |_| { test.dispatch(TestClusterConnection { connection: form.connection() }); }>
                        {move || if test.pending().get() { "Testing…" } else { "Test connection" }}
                    </button>
                </div>
                {move || test.value().get().map(|r| match r {
                    Ok(report) => report_view(report),
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </fieldset>
            <fieldset>
                <legend>"Description"</legend>
                <div class="form-grid">
                    <label>"Name (DNS label)"<input type="text" name="name" required prop:disabled=editing bind:value=form.name placeholder="tokyo-prod"/></label>
                    <label>"Display name"<input type="text" name="display_name" bind:value=form.display_name placeholder="Tokyo production"/></label>
                    <label>"Provider"
                        <select name="provider" on:change=move |ev| form.provider.set(Provider::parse(&event_target_value(&ev)))>
                            {PROVIDERS.map(|p| view! { <option value=p.as_str() selected=move || form.provider.get() == p>{p.label()}</option> }).collect_view()}
                        </select>
                    </label>
                    <label>"Region"<input type="text" name="region" bind:value=form.region placeholder="ap-northeast-1"/></label>
                    <label>"Environment"<input type="text" name="environment" bind:value=form.environment/></label>
                    <label>"Labels"<input type="text" name="labels" bind:value=form.labels placeholder="team=payments, tier=gold"/></label>
                    // The hint is outside the label, so that it describes the field without naming it.
                    <div class="field">
                        <label>"Location on the world map"<input type="text" name="location" bind:value=form.location placeholder="Yokohama, or 35.44, 139.64" aria-describedby="location-hint"/></label>
                        <span id="location-hint" class="hint" data-testid="location-hint">{move || location_hint(form.provider.get(), &form.region.get(), &form.location.get())}</span>
                    </div>
                    <label>"Control-plane price per hour"<input type="text" inputmode="decimal" name="price" bind:value=form.price/></label>
                </div>
            </fieldset>
            <div class="actions">
                <button type="submit" class="button button--primary">{move || if editing() { "Save changes" } else { "Register cluster" }}</button>
                {move || editing().then(|| view! { <button type="button" class="button button--quiet" on:click=move |_| form.clear()>"Cancel"</button> })}
            </div>
            {move || action_error(register.value().get())}
            {move || action_error(update.value().get())}
            {move || matches!(register.value().get(), Some(Ok(_))).then(|| view! { <p class="notice" role="status">"Cluster registered. Its nodes appear on the fleet map within seconds."</p> })}
        </form>
    }
}

fn report_view(r: ConnectionReport) -> AnyView {
    let ok = r.ok();
    view! {
        <div class=if ok { "report report--ok" } else { "report report--bad" } role="status" data-testid="connection-report">
            <p><strong>{if ok { "Connection works." } else if r.error.is_some() { "Connection failed." } else { "Connected, but permissions are missing." }}</strong></p>
            {r.error.clone().map(|e| view! { <p>{e}</p> })}
            <ul>
                <li>{format!("API server {}", r.server)}</li>
                {r.server_version.clone().map(|v| view! { <li>{format!("Kubernetes {v}")}</li> })}
                {r.nodes.map(|n| view! { <li>{format!("{n} nodes")}</li> })}
                {(r.error.is_none()).then(|| view! { <li>{if r.metrics { "metrics.k8s.io available: usage will be shown" } else { "no metrics.k8s.io: requests only" }}</li> })}
            </ul>
            {(!r.missing.is_empty()).then(|| view! {
                <p>"Flotilla's credentials may not:"</p>
                <ul class="missing">{r.missing.iter().map(|m| view! { <li class="mono">{m.clone()}</li> }).collect_view()}</ul>
            })}
        </div>
    }
    .into_any()
}
