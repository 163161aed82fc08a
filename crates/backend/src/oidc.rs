//! The OpenID Connect client: discovery (retried until the provider answers), the
//! authorization code flow with PKCE, state and nonce, ID token checks, and the claims
//! Flotilla reads (e-mail, name, groups — names configurable).
use crate::sessions::LoginFlow;
use base64::Engine;
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType,
    CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope,
};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

/// How Flotilla talks to the identity provider.
#[derive(Debug, Clone)]
pub struct OidcSettings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    /// Where the provider sends the browser back: `<public url>/auth/callback`.
    pub redirect_url: String,
    /// Where the provider sends the browser after signing out.
    pub post_logout_url: String,
    pub scopes: Vec<String>,
    pub email_claim: String,
    pub name_claim: String,
    pub groups_claim: String,
}

#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the sign-in provider at {issuer} cannot be reached right now ({reason})")]
    Unavailable { issuer: String, reason: String },
    #[error("the sign-in provider refused the code: {0}")]
    Exchange(String),
    #[error("the sign-in provider's answer did not pass the checks: {0}")]
    Invalid(String),
    #[error("the configuration is wrong: {0}")]
    Config(String),
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
struct LogoutMetadata {
    end_session_endpoint: Option<String>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

type Metadata = ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;
type Client = CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

struct Discovered {
    client: Client,
    end_session: Option<String>,
}

/// Who the provider says signed in.
#[derive(Debug, Clone)]
pub struct SsoIdentity {
    pub subject: String,
    pub email: String,
    pub name: String,
    pub groups: Vec<String>,
    /// The raw ID token, kept server-side as the hint for RP-initiated logout.
    pub id_token: String,
}

/// An authorization request ready to send the browser to.
pub struct LoginStart {
    pub url: String,
    pub state: String,
    pub flow: LoginFlow,
}

#[derive(Clone)]
pub struct OidcClient {
    settings: Arc<OidcSettings>,
    http: openidconnect::reqwest::Client,
    discovered: Arc<RwLock<Option<Arc<Discovered>>>>,
    last_attempt: Arc<std::sync::Mutex<Option<(Instant, String)>>>,
}

impl std::fmt::Debug for OidcClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcClient").field("issuer", &self.settings.issuer).finish_non_exhaustive()
    }
}

/// Do not ask a provider that is down more than once per this interval on behalf of pages.
const RETRY_AFTER: Duration = Duration::from_secs(3);

impl OidcClient {
    pub fn new(settings: OidcSettings) -> Result<Self, OidcError> {
        IssuerUrl::new(settings.issuer.clone()).map_err(|e| OidcError::Config(format!("issuer URL: {e}")))?;
        RedirectUrl::new(settings.redirect_url.clone()).map_err(|e| OidcError::Config(format!("redirect URL: {e}")))?;
        let http = openidconnect::reqwest::ClientBuilder::new()
            // Following redirects would open the client to SSRF via a hostile provider.
            .redirect(openidconnect::reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| OidcError::Config(format!("HTTP client: {e}")))?;
        Ok(Self {
            settings: Arc::new(settings),
            http,
            discovered: Arc::default(),
            last_attempt: Arc::default(),
        })
    }

    pub fn issuer(&self) -> &str {
        &self.settings.issuer
    }

    /// Keeps trying discovery in the background (1 s, doubling to 60 s) until it succeeds.
    pub fn discover_in_background(&self) {
        let this = self.clone();
        tokio::spawn(async move {
            let mut wait = Duration::from_secs(1);
            loop {
                match this.discover().await {
                    Ok(_) => {
                        tracing::info!(issuer = %this.settings.issuer, "sign-in provider discovered");
                        return;
                    }
                    Err(e) => tracing::warn!("{e}; retrying in {}s", wait.as_secs()),
                }
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(60));
            }
        });
    }

    async fn discover(&self) -> Result<Arc<Discovered>, OidcError> {
        if let Some(d) = self.discovered.read().await.clone() {
            return Ok(d);
        }
        let unavailable = |reason: String| OidcError::Unavailable { issuer: self.settings.issuer.clone(), reason };
        if let Some((at, reason)) = self.last_attempt.lock().expect("lock").clone() {
            if at.elapsed() < RETRY_AFTER {
                return Err(unavailable(reason));
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| OidcError::Config(e.to_string()))?;
        let metadata = match Metadata::discover_async(issuer, &self.http).await {
            Ok(m) => m,
            Err(e) => {
                let reason = error_chain(&e);
                *self.last_attempt.lock().expect("lock") = Some((Instant::now(), reason.clone()));
                return Err(unavailable(reason));
            }
        };
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(self.settings.client_secret.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(self.settings.redirect_url.clone()).map_err(|e| OidcError::Config(e.to_string()))?);
        let d = Arc::new(Discovered { client, end_session });
        *self.discovered.write().await = Some(d.clone());
        Ok(d)
    }

    /// Whether sign-in can start now; the error says why not, in words for the login page.
    pub async fn ready(&self) -> Result<(), OidcError> {
        self.discover().await.map(|_| ())
    }

    /// Builds the provider URL for a new sign-in; `return_to` is a local path.
    pub async fn begin(&self, return_to: &str) -> Result<LoginStart, OidcError> {
        let d = self.discover().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = d
            .client
            .authorize_url(AuthenticationFlow::<CoreResponseType>::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .set_pkce_challenge(challenge);
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(LoginStart {
            url: url.to_string(),
            state: state.secret().clone(),
            flow: LoginFlow {
                nonce: nonce.secret().clone(),
                pkce_verifier: verifier.secret().clone(),
                return_to: return_to.to_owned(),
            },
        })
    }

    /// Exchanges the code (with the PKCE verifier) and checks the ID token: signature,
    /// issuer, audience, expiry and nonce.
    pub async fn complete(&self, code: &str, flow: &LoginFlow) -> Result<SsoIdentity, OidcError> {
        let d = self.discover().await?;
        let response = d
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(error_chain(&e)))?;
        use openidconnect::TokenResponse;
        let id_token = response.id_token().ok_or_else(|| OidcError::Invalid("no ID token in the answer".into()))?;
        let verifier = d.client.id_token_verifier();
        let claims = id_token.claims(&verifier, &Nonce::new(flow.nonce.clone())).map_err(|e| OidcError::Invalid(error_chain(&e)))?;
        let raw = id_token.to_string();
        // The token is verified above; its payload also carries the claims not modelled by
        // the core types (groups, or e-mail and name under configured names).
        let extra = payload(&raw)?;
        let string_claim = |name: &str| extra.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let email = string_claim(&self.settings.email_claim)
            .or_else(|| claims.email().map(|e| e.to_string()))
            .ok_or_else(|| OidcError::Invalid(format!("the ID token has no \"{}\" claim", self.settings.email_claim)))?;
        let name = string_claim(&self.settings.name_claim).unwrap_or_else(|| email.clone());
        let groups = match extra.get(&self.settings.groups_claim) {
            Some(serde_json::Value::Array(items)) => items.iter().filter_map(|g| g.as_str().map(str::to_owned)).collect(),
            Some(serde_json::Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        };
        Ok(SsoIdentity { subject: claims.subject().to_string(), email, name, groups, id_token: raw })
    }

    /// The provider's sign-out URL (RP-initiated logout), when it offers one.
    pub async fn logout_url(&self, id_token_hint: Option<&str>) -> Option<String> {
        let d = self.discover().await.ok()?;
        let endpoint = d.end_session.as_ref()?;
        let mut url = url::Url::parse(endpoint).ok()?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &self.settings.client_id);
            q.append_pair("post_logout_redirect_uri", &self.settings.post_logout_url);
            if let Some(hint) = id_token_hint {
                q.append_pair("id_token_hint", hint);
            }
        }
        Some(url.to_string())
    }
}

fn payload(jwt: &str) -> Result<serde_json::Map<String, serde_json::Value>, OidcError> {
    let part = jwt.split('.').nth(1).ok_or_else(|| OidcError::Invalid("malformed ID token".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|e| OidcError::Invalid(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| OidcError::Invalid(e.to_string()))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}
