//! The login page: single sign-on, a local account form, and (demo mode only) demo accounts.
use crate::api::portal::{LoginChoices, sign_in_options};
use crate::components::{loaded::Loaded, page_header::PageHeader};
use crate::links::query_value;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// The sentence for `?error=…` set by the `/auth` routes (`wait`: seconds, for `rate`).
fn error_text(code: &str, wait: Option<u32>) -> Option<String> {
    Some(match code {
        "credentials" => "Wrong e-mail or password.".into(),
        "rate" => format!("Too many failed attempts. Wait {} seconds, then try again.", wait.unwrap_or(30)),
        "deactivated" => "This account is deactivated. Ask an administrator if you need it again.".into(),
        "provider-ended" => "Your identity provider has ended your sign-in. Please sign in again.".into(),
        "local-off" => "Password sign-in is switched off on this portal. Use single sign-on.".into(),
        "incomplete" => "Fill in both the e-mail and the password.".into(),
        _ => return None,
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let options = Resource::new(|| (), |_| sign_in_options());
    let next = move || query.read().get("next").unwrap_or_else(|| "/".into());
    let error = move || {
        let q = query.read();
        q.get("error").and_then(|c| error_text(&c, q.get("wait").and_then(|w| w.parse().ok())))
    };
    let signed_out = move || query.read().get("signed_out").is_some();
    let render = move |o| choices(o, next());
    view! {
        <div class="login">
            <PageHeader title="Sign in" subtitle="One portal for every cluster of the company."/>
            <Show when=signed_out>
                <p class="notice" role="status">"You are signed out."</p>
            </Show>
            {move || error().map(|e| view! { <p class="notice notice--error" role="alert">{e}</p> })}
            <Loaded resource=options loading="Checking how you can sign in…" render=render/>
        </div>
    }
}

fn choices(o: LoginChoices, next: String) -> AnyView {
    let sso = o.sso.map(|ready| match ready {
        Ok(()) => {
            let href = format!("/auth/login?next={}", query_value(&next));
            view! {
                <section class="login__card" aria-labelledby="sso-h">
                    <h2 id="sso-h">"Company sign-in"</h2>
                    <a class="button button--primary" href=href rel="external">"Sign in with single sign-on"</a>
                </section>
            }
            .into_any()
        }
        Err(why) => view! {
            <section class="login__card" aria-labelledby="sso-h">
                <h2 id="sso-h">"Company sign-in"</h2>
                <p class="notice notice--error" role="alert">{why}</p>
            </section>
        }
        .into_any(),
    });
    let local = o.local.then(|| {
        let next = next.clone();
        view! {
            <section class="login__card" aria-labelledby="local-h">
                <h2 id="local-h">"Local account"</h2>
                <form method="post" action="/auth/local" class="stack">
                    <input type="hidden" name="next" value=next/>
                    <label>"E-mail"<input type="email" name="email" autocomplete="username" required/></label>
                    <label>"Password"<input type="password" name="password" autocomplete="current-password" required/></label>
                    <button type="submit" class="button">"Sign in with password"</button>
                </form>
            </section>
        }
    });
    let demo = (!o.demo_accounts.is_empty()).then(|| {
        view! {
            <section class="login__card" aria-labelledby="demo-h">
                <h2 id="demo-h">"Demo accounts"</h2>
                <p class="muted">"This portal runs the embedded demo. Pick a person to see what their role allows."</p>
                <ul class="login__demo">
                    {o.demo_accounts.into_iter().map(|(login, what)| {
                        let next = next.clone();
                        let label = format!("Continue as {login}");
                        view! {
                            <li>
                                <form method="post" action="/auth/demo">
                                    <input type="hidden" name="login" value=login.clone()/>
                                    <input type="hidden" name="next" value=next/>
                                    <button type="submit" class="button">{label}</button>
                                    <span class="muted">" — "{what}</span>
                                </form>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        }
    });
    let nothing = (sso.is_none() && !o.local).then(|| {
        view! { <p class="notice notice--error" role="alert">"No way to sign in is configured. An administrator must set FLOTILLA_OIDC_ISSUER or FLOTILLA_LOCAL_LOGIN=true."</p> }
    });
    view! { <div class="login__choices">{sso}{local}{demo}{nothing}</div> }.into_any()
}
