//! Admin → Prices: the catalogue the cost ledger prices nodes with (instance type → hourly
//! price), edited line by line or imported and exported as CSV.
use crate::api::costs::{ImportPrices, RemovePrice, SavePrice, list_prices};
use crate::components::{error_view::action_error, loaded::Loaded};
use flotilla_domain::{PriceEntry, Provider};
use leptos::prelude::*;

const PROVIDERS: [Provider; 5] = [Provider::Eks, Provider::Gke, Provider::Aks, Provider::OnPrem, Provider::Other];

#[component]
pub fn PriceCatalogue() -> impl IntoView {
    let save = ServerAction::<SavePrice>::new();
    let remove = ServerAction::<RemovePrice>::new();
    let import = ServerAction::<ImportPrices>::new();
    let prices = Resource::new(move || (save.version().get(), remove.version().get(), import.version().get()), |_| list_prices());
    let filter = RwSignal::new(String::new());
    let (provider, instance_type, price, currency) = (RwSignal::new(Provider::Eks), RwSignal::new(String::new()), RwSignal::new(String::new()), RwSignal::new("USD".to_owned()));
    let csv = RwSignal::new(String::new());
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // A non-number becomes -1, which the server refuses in words (never silently zero).
        let per_hour = price.get_untracked().trim().parse().ok().filter(|p: &f64| p.is_finite()).unwrap_or(-1.0);
        save.dispatch(SavePrice {
            entry: PriceEntry { provider: provider.get_untracked(), instance_type: instance_type.get_untracked(), currency: currency.get_untracked(), price_per_hour: per_hour },
        });
    };
    let render = move |list: Vec<PriceEntry>| price_table(list, filter, save, remove);
    view! {
        <section aria-labelledby="prices-h" id="prices">
            <h2 id="prices-h">"Prices"</h2>
            <p class="muted">"Hourly prices of instance types, used to cost every node. A node whose type is not listed here is shown as unpriced, never as free."</p>
            <label>"Filter"<input type="search" placeholder="m5, gke, Standard_D…" bind:value=filter/></label>
            {move || action_error(save.value().get())}
            {move || action_error(remove.value().get())}
            <Loaded resource=prices loading="Loading prices…" render/>
            <form class="inline-form" on:submit=add aria-label="Add or change a price">
                <label>"Provider"<select on:change=move |ev| provider.set(Provider::parse(&event_target_value(&ev)))>
                    {PROVIDERS.map(|p| view! { <option value=p.as_str()>{p.label()}</option> }).collect_view()}
                </select></label>
                <label>"Instance type"<input type="text" name="instance_type" bind:value=instance_type placeholder="m5.xlarge"/></label>
                <label>"Per hour"<input type="text" inputmode="decimal" name="price" bind:value=price size="8"/></label>
                <label>"Currency"<input type="text" name="currency" bind:value=currency size="4"/></label>
                <button type="submit" class="button">"Save price"</button>
            </form>
            <details>
                <summary>"Import or export CSV"</summary>
                <p><a href="/api/v1/prices?format=csv" download="flotilla-prices.csv">"Download the catalogue as CSV"</a></p>
                <form on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); import.dispatch(ImportPrices { csv: csv.get_untracked() }); }>
                    <label>"Paste CSV ("<code>"provider,instance_type,currency,price_per_hour"</code>")"
                        <textarea rows="5" class="mono" name="csv" bind:value=csv></textarea></label>
                    <button type="submit" class="button">"Import"</button>
                </form>
                {move || action_error(import.value().get())}
                {move || match import.value().get() { Some(Ok(n)) => Some(view! { <p class="notice" role="status">{format!("{n} prices imported.")}</p> }), _ => None }}
            </details>
        </section>
    }
}

fn price_table(list: Vec<PriceEntry>, filter: RwSignal<String>, save: ServerAction<SavePrice>, remove: ServerAction<RemovePrice>) -> AnyView {
    if list.is_empty() {
        return view! { <p class="muted">"The catalogue is empty: add prices below or import a CSV file."</p> }.into_any();
    }
    view! {
        <div class="table-wrap"><table class="data-table" id="price-table">
            <thead><tr><th scope="col">"Provider"</th><th scope="col">"Instance type"</th><th scope="col">"Per hour"</th><th scope="col"><span class="sr-only">"Actions"</span></th></tr></thead>
            <tbody>{list.into_iter().map(|e| {
                let text = format!("{} {}", e.provider.as_str(), e.instance_type).to_lowercase();
                let value = RwSignal::new(e.price_per_hour.to_string());
                let (keep, gone) = (e.clone(), e.clone());
                view! {
                    <tr data-price=e.instance_type.clone() hidden=move || { let f = filter.get().to_lowercase(); !f.is_empty() && !text.contains(&f) }>
                        <td>{e.provider.label()}</td>
                        <td class="mono">{e.instance_type.clone()}</td>
                        <td><input type="text" inputmode="decimal" size="8" aria-label=format!("Price of {}", e.instance_type) bind:value=value/>" "{e.currency.clone()}</td>
                        <td class="actions">
                            <button type="button" class="button button--quiet" on:click=move |_| {
                                let per_hour = value.get_untracked().trim().parse().ok().filter(|p: &f64| p.is_finite()).unwrap_or(-1.0);
                                save.dispatch(SavePrice { entry: PriceEntry { price_per_hour: per_hour, ..keep.clone() } });
                            }>"Save"</button>
                            <button type="button" class="button button--quiet" on:click=move |_| {
                                remove.dispatch(RemovePrice { provider: gone.provider, instance_type: gone.instance_type.clone() });
                            }>"Remove"</button>
                        </td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table></div>
    }
    .into_any()
}
