//! The OpenID Connect client: discovery (retried until the provider answers), the
//! authorization code flow with PKCE, state and nonce, ID token checks, and the claims
//! Flotilla reads (e-mail, name, groups — names configurable).
use crate::sessions::LoginFlow;
use base64::Engine;
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode,
    CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, ProviderMetadata, RedirectUrl, Scope,
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
    /// Where the groups are: a claim name or a dotted path into nested claims
    /// (`realm_access.roles`, `resource_access.flotilla.roles`).
    pub groups_claim: String,
    /// Keycloak-style full group paths (`/org/team-a-devs`): match on the last segment.
    pub groups_last_segment: bool,
}

/// Whether a first SSO sign-in joins an existing account that has the same e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkByEmail {
    /// Only when the provider says the e-mail is verified (`email_verified: true`).
    #[default]
    Verified,
    /// Never: an administrator links identities by hand.
    Never,
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
    /// Entra ID's group overage: the token points to a Graph query instead of listing groups.
    #[error(
        "the identity provider sent a reference to your groups instead of the groups (Entra ID's group overage, more than 200 groups), so Flotilla cannot tell which roles you have. An administrator can fix it by letting the provider send only the groups assigned to the Flotilla application (Entra ID: Token configuration → groups claim → \"Groups assigned to the application\") or app roles (oidc_groups_claim = \"roles\")"
    )]
    GroupOverage,
    /// The provider no longer vouches for the session (refresh refused).
    #[error("the identity provider ended your sign-in: {0}")]
    Ended(String),
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
#[derive(Debug, Clone, Default)]
pub struct SsoIdentity {
    /// The provider's issuer URL: with the subject, the person's identity.
    pub issuer: String,
    pub subject: String,
    /// What the provider says the e-mail is now (an attribute, not the identity).
    pub email: String,
    /// Whether the provider says it verified that e-mail.
    pub email_verified: bool,
    pub name: String,
    pub groups: Vec<String>,
    /// The raw ID token, kept server-side as the hint for RP-initiated logout.
    pub id_token: String,
    /// The provider's refresh token, when it gives one (kept sealed, server-side).
    pub refresh_token: Option<String>,
}

/// What a refresh with the provider says now.
#[derive(Debug, Clone)]
pub struct Reconfirmed {
    /// None: the provider's answer carried no groups claim at all (some send groups only at
    /// sign-in); the grants then keep their last confirmation and lapse on their own.
    pub groups: Option<Vec<String>>,
    /// A rotated refresh token, when the provider sent a new one.
    pub refresh_token: Option<String>,
}

/// The claims Flotilla reads, from wherever the provider put them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadClaims {
    pub email: Option<String>,
    pub email_verified: Option<bool>,
    pub name: Option<String>,
    pub groups: GroupsClaim,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub enum GroupsClaim {
    #[default]
    Absent,
    Present(Vec<String>),
    /// Entra ID's group overage: a pointer to the groups instead of the groups.
    Overage,
}

/// Claims from the userinfo endpoint, as raw JSON (the standard ones included).
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize)]
#[serde(transparent)]
struct OtherClaims(serde_json::Map<String, serde_json::Value>);
impl openidconnect::AdditionalClaims for OtherClaims {}

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
        Ok(Self { settings: Arc::new(settings), http, discovered: Arc::default(), last_attempt: Arc::default() })
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
        if let Some((at, reason)) = self.last_attempt.lock().expect("lock").clone()
            && at.elapsed() < RETRY_AFTER
        {
            return Err(unavailable(reason));
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| OidcError::Config(e.to_string()))?;
        let metadata = match Metadata::discover_async(issuer, &self.http).await {
            Ok(m) => m,
            Err(e) => {
                let reason = crate::errors::chain(&e);
                *self.last_attempt.lock().expect("lock") = Some((Instant::now(), reason.clone()));
                return Err(unavailable(reason));
            }
        };
        let end_session = metadata.additional_metadata().end_session_endpoint.clone();
        let client = CoreClient::from_provider_metadata(metadata, ClientId::new(self.settings.client_id.clone()), Some(ClientSecret::new(self.settings.client_secret.clone())))
            .set_redirect_uri(RedirectUrl::new(self.settings.redirect_url.clone()).map_err(|e| OidcError::Config(e.to_string()))?);
        let d = Arc::new(Discovered { client, end_session });
        *self.discovered.write().await = Some(d.clone());
        Ok(d)
    }

    /// Whether sign-in can start now; the error says why not, in words for the login page.
    pub async fn ready(&self) -> Result<(), OidcError> {
        self.discover().await.map(|_| ())
    }

    /// Builds the provider URL for a new sign-in; `return_to` is a local path. A `silent` one
    /// (`prompt=none`) re-confirms a session without showing the provider's pages.
    pub async fn begin(&self, return_to: &str, silent: bool) -> Result<LoginStart, OidcError> {
        let d = self.discover().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = d.client.authorize_url(AuthenticationFlow::<CoreResponseType>::AuthorizationCode, CsrfToken::new_random, Nonce::new_random).set_pkce_challenge(challenge);
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        if silent {
            request = request.add_prompt(openidconnect::core::CoreAuthPrompt::None);
        }
        let (url, state, nonce) = request.url();
        Ok(LoginStart {
            url: url.to_string(),
            state: state.secret().clone(),
            flow: LoginFlow { nonce: nonce.secret().clone(), pkce_verifier: verifier.secret().clone(), return_to: return_to.to_owned(), silent },
        })
    }

    /// Exchanges the code (with the PKCE verifier) and checks the ID token: signature,
    /// issuer, audience, expiry and nonce. Claims missing from the ID token are read from the
    /// userinfo endpoint (for the same subject).
    pub async fn complete(&self, code: &str, flow: &LoginFlow) -> Result<SsoIdentity, OidcError> {
        let d = self.discover().await?;
        let response = d
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Config(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(flow.pkce_verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| OidcError::Exchange(crate::errors::chain(&e)))?;
        use openidconnect::{OAuth2TokenResponse, TokenResponse};
        let id_token = response.id_token().ok_or_else(|| OidcError::Invalid("no ID token in the answer".into()))?;
        let verifier = d.client.id_token_verifier();
        let claims = id_token.claims(&verifier, &Nonce::new(flow.nonce.clone())).map_err(|e| OidcError::Invalid(crate::errors::chain(&e)))?;
        let subject = claims.subject().clone();
        let raw = id_token.to_string();
        // The token is verified above; its payload also carries the claims not modelled by
        // the core types (groups, or e-mail and name under configured names).
        let read = self.read(&payload(&raw)?);
        let read = self.fill_from_userinfo(&d, read, response.access_token(), &subject).await?;
        let groups = match read.groups {
            GroupsClaim::Overage => return Err(OidcError::GroupOverage),
            GroupsClaim::Present(g) => g,
            GroupsClaim::Absent => Vec::new(),
        };
        let email = read.email.ok_or_else(|| {
            OidcError::Invalid(format!(
                "the provider sent no \"{}\" claim, neither in the ID token nor from its userinfo endpoint (ask for the \"email\" scope, or set oidc_email_claim)",
                self.settings.email_claim
            ))
        })?;
        Ok(SsoIdentity {
            issuer: self.settings.issuer.clone(),
            subject: subject.to_string(),
            name: read.name.unwrap_or_else(|| email.clone()),
            email,
            email_verified: read.email_verified.unwrap_or(false),
            groups,
            id_token: raw,
            refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        })
    }

    /// Asks the provider again, with the refresh token, what it says about `subject` now.
    /// A refusal (the person was removed, signed out everywhere, the grant revoked) is
    /// `Ended`; a provider that cannot be reached is `Unavailable`.
    pub async fn refresh(&self, refresh_token: &str, subject: &str) -> Result<Reconfirmed, OidcError> {
        let d = self.discover().await?;
        let token = openidconnect::RefreshToken::new(refresh_token.to_owned());
        let response = match d.client.exchange_refresh_token(&token).map_err(|e| OidcError::Config(e.to_string()))?.request_async(&self.http).await {
            Ok(r) => r,
            Err(openidconnect::RequestTokenError::ServerResponse(e)) => return Err(OidcError::Ended(e.to_string())),
            Err(e) => return Err(OidcError::Unavailable { issuer: self.settings.issuer.clone(), reason: crate::errors::chain(&e) }),
        };
        use openidconnect::{OAuth2TokenResponse, TokenResponse};
        let subject = openidconnect::SubjectIdentifier::new(subject.to_owned());
        let mut read = ReadClaims::default();
        if let Some(id_token) = response.id_token() {
            let verifier = d.client.id_token_verifier();
            // A refreshed ID token carries no nonce of ours; the subject must stay the same.
            let claims = id_token.claims(&verifier, |_: Option<&Nonce>| Ok(())).map_err(|e| OidcError::Invalid(crate::errors::chain(&e)))?;
            if claims.subject() != &subject {
                return Err(OidcError::Invalid("the refreshed ID token names another person".into()));
            }
            read = self.read(&payload(&id_token.to_string())?);
        }
        let read = self.fill_from_userinfo(&d, read, response.access_token(), &subject).await?;
        let groups = match read.groups {
            GroupsClaim::Overage => return Err(OidcError::GroupOverage),
            GroupsClaim::Present(g) => Some(g),
            GroupsClaim::Absent => None,
        };
        Ok(Reconfirmed { groups, refresh_token: response.refresh_token().map(|t| t.secret().clone()) })
    }

    fn read(&self, claims: &serde_json::Map<String, serde_json::Value>) -> ReadClaims {
        read_claims(claims, &self.settings.email_claim, &self.settings.name_claim, &self.settings.groups_claim, self.settings.groups_last_segment)
    }

    /// Claims the ID token did not carry, from the userinfo endpoint (strict providers put
    /// e-mail, name and groups only there). The answer must be about the same subject.
    async fn fill_from_userinfo(&self, d: &Discovered, read: ReadClaims, access_token: &openidconnect::AccessToken, subject: &openidconnect::SubjectIdentifier) -> Result<ReadClaims, OidcError> {
        let complete = read.email.is_some() && read.name.is_some() && read.groups != GroupsClaim::Absent;
        if complete || d.client.user_info_url().is_none() {
            return Ok(read);
        }
        let request = d.client.user_info(access_token.clone(), Some(subject.clone())).map_err(|e| OidcError::Config(e.to_string()))?;
        let info: openidconnect::UserInfoClaims<OtherClaims, openidconnect::core::CoreGenderClaim> =
            request.request_async(&self.http).await.map_err(|e| OidcError::Invalid(format!("userinfo: {}", crate::errors::chain(&e))))?;
        let json = match serde_json::to_value(&info) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => return Err(OidcError::Invalid("userinfo answer is not a JSON object".into())),
        };
        Ok(read.or(self.read(&json)))
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

impl ReadClaims {
    /// These claims, with what is missing taken from `other`.
    pub fn or(self, other: ReadClaims) -> ReadClaims {
        ReadClaims {
            email: self.email.or(other.email),
            email_verified: self.email_verified.or(other.email_verified),
            name: self.name.or(other.name),
            groups: match self.groups {
                GroupsClaim::Absent => other.groups,
                present => present,
            },
        }
    }
}

/// Reads e-mail, name and groups from one set of claims (an ID token's or userinfo's).
/// `groups_path` is dotted (`realm_access.roles`); groups may be an array or one string;
/// with `last_segment`, `/org/team-a-devs` counts as `team-a-devs`. A `_claim_names` entry for
/// the groups claim (or `hasgroups`) is Entra ID's overage: reported, never read as no groups.
pub fn read_claims(claims: &serde_json::Map<String, serde_json::Value>, email_claim: &str, name_claim: &str, groups_path: &str, last_segment: bool) -> ReadClaims {
    use serde_json::Value;
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let email_verified = match claims.get("email_verified") {
        Some(Value::Bool(b)) => Some(*b),
        // Some providers (AWS Cognito among them) send it as a string.
        Some(Value::String(s)) => Some(s.eq_ignore_ascii_case("true")),
        _ => None,
    };
    let mut path = groups_path.split('.');
    let first = path.next().unwrap_or(groups_path);
    let node = path.fold(claims.get(first), |node, part| node.and_then(|n| n.get(part)));
    let clean = |g: &str| {
        let g = g.trim();
        let g = if last_segment { g.trim_end_matches('/').rsplit('/').next().unwrap_or(g) } else { g };
        Some(g.to_owned()).filter(|g| !g.is_empty())
    };
    let overage = claims.get("_claim_names").and_then(Value::as_object).is_some_and(|names| names.contains_key(first)) || claims.get("hasgroups").and_then(Value::as_bool) == Some(true);
    let groups = match node {
        Some(Value::Array(items)) => GroupsClaim::Present(items.iter().filter_map(Value::as_str).filter_map(clean).collect()),
        Some(Value::String(one)) => GroupsClaim::Present(clean(one).into_iter().collect()),
        _ if overage => GroupsClaim::Overage,
        _ => GroupsClaim::Absent,
    };
    ReadClaims { email: text(email_claim).map(|e| e.to_lowercase()), email_verified, name: text(name_claim), groups }
}

fn payload(jwt: &str) -> Result<serde_json::Map<String, serde_json::Value>, OidcError> {
    let part = jwt.split('.').nth(1).ok_or_else(|| OidcError::Invalid("malformed ID token".into()))?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).map_err(|e| OidcError::Invalid(e.to_string()))?;
    serde_json::from_slice(&bytes).map_err(|e| OidcError::Invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: serde_json::Value, path: &str, last: bool) -> ReadClaims {
        read_claims(v.as_object().unwrap(), "email", "name", path, last)
    }

    #[test]
    fn groups_come_as_real_providers_send_them() {
        let list = |v: &[&str]| GroupsClaim::Present(v.iter().map(|s| s.to_string()).collect());
        assert_eq!(read(json!({"groups": ["a", "b"]}), "groups", false).groups, list(&["a", "b"]));
        assert_eq!(read(json!({"groups": "a"}), "groups", false).groups, list(&["a"]), "a single string");
        assert_eq!(read(json!({"realm_access": {"roles": ["team-a-devs"]}}), "realm_access.roles", false).groups, list(&["team-a-devs"]));
        assert_eq!(read(json!({"resource_access": {"flotilla": {"roles": ["owner"]}}}), "resource_access.flotilla.roles", false).groups, list(&["owner"]));
        assert_eq!(read(json!({"groups": ["/org/team-a-devs", "/x/"]}), "groups", true).groups, list(&["team-a-devs", "x"]), "Keycloak paths");
        assert_eq!(read(json!({"groups": ["/org/team-a-devs"]}), "groups", false).groups, list(&["/org/team-a-devs"]), "exact by default");
        assert_eq!(read(json!({}), "groups", false).groups, GroupsClaim::Absent);
        assert_eq!(read(json!({"realm_access": {}}), "realm_access.roles", false).groups, GroupsClaim::Absent);
    }

    #[test]
    fn entra_group_overage_is_reported_not_read_as_no_groups() {
        let overage = json!({"_claim_names": {"groups": "src1"}, "_claim_sources": {"src1": {"endpoint": "https://graph.microsoft.com/x"}}});
        assert_eq!(read(overage, "groups", false).groups, GroupsClaim::Overage);
        assert_eq!(read(json!({"hasgroups": true}), "groups", false).groups, GroupsClaim::Overage);
        assert_eq!(read(json!({"_claim_names": {"other": "src1"}}), "groups", false).groups, GroupsClaim::Absent);
    }

    #[test]
    fn email_and_its_verification_are_read_and_userinfo_fills_what_is_missing() {
        let id = read(json!({"sub": "1"}), "groups", false);
        assert_eq!(id, ReadClaims::default(), "a strict provider's ID token");
        let info = read(json!({"email": "Bob@Example.test", "email_verified": "true", "name": "Bob", "groups": ["g"]}), "groups", false);
        let merged = id.or(info);
        assert_eq!(merged.email.as_deref(), Some("bob@example.test"));
        assert_eq!(merged.email_verified, Some(true));
        assert_eq!(merged.groups, GroupsClaim::Present(vec!["g".into()]));
        let token_first = read(json!({"email": "a@x.test", "email_verified": false}), "groups", false).or(read(json!({"email": "b@x.test", "email_verified": true}), "groups", false));
        assert_eq!((token_first.email.as_deref(), token_first.email_verified), (Some("a@x.test"), Some(false)), "the ID token wins");
    }
}
