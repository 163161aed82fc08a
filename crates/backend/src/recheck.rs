//! Rights that follow the provider: an SSO session is re-confirmed with the identity provider
//! every `oidc_recheck_minutes`. With a refresh token the provider is asked directly (groups
//! are re-applied; a refused refresh ends the session); without one the next page load goes
//! through the provider with `prompt=none`.
use crate::access::AccessControl;
use crate::audit::{AuditEvent, AuditLog, Outcome};
use crate::identities::Identities;
use crate::oidc::{OidcClient, OidcError};
use crate::sessions::{ActiveSession, Sessions};
use chrono::{Duration, Utc};

/// What a session needs before it may be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recheck {
    /// Not an SSO session, or confirmed recently enough (or just now).
    Fresh,
    /// Confirmation is due and needs the browser: send it through the provider silently.
    Silent,
    /// The provider no longer vouches for the session; it has been ended.
    Ended,
}

/// How long to wait before asking a provider that could not be reached again.
const RETRY_UNREACHABLE: Duration = Duration::minutes(1);

#[derive(Clone, Debug)]
pub struct SsoRecheck {
    oidc: Option<OidcClient>,
    sessions: Sessions,
    identities: Identities,
    access: AccessControl,
    audit: AuditLog,
    every: Duration,
}

impl SsoRecheck {
    pub fn new(oidc: Option<OidcClient>, sessions: Sessions, identities: Identities, access: AccessControl, audit: AuditLog, every: Duration) -> Self {
        Self { oidc, sessions, identities, access, audit, every }
    }

    /// Re-confirms `session` with the provider when it is due.
    pub async fn check(&self, session: &ActiveSession, ip: &str) -> Recheck {
        let now = Utc::now();
        if session.method != "sso" || session.checked_at.is_some_and(|at| now - at < self.every) {
            return Recheck::Fresh;
        }
        let (Some(oidc), Some(refresh), Some(identity)) = (&self.oidc, &session.refresh_token, session.identity_id) else {
            return Recheck::Silent;
        };
        let subject = match self.identities.issuer_and_subject(identity).await {
            Ok(Some((_, subject))) => subject,
            // The identity was unlinked: the session is no longer anyone's.
            Ok(None) => return self.end(session, ip, "the sign-in identity was unlinked").await,
            Err(e) => {
                tracing::error!("cannot read a session's identity: {e}");
                return Recheck::Fresh;
            }
        };
        match oidc.refresh(refresh, &subject).await {
            Ok(now_says) => {
                if let Some(groups) = &now_says.groups
                    && let Err(e) = self.access.apply_groups(session.user_id, groups).await
                {
                    tracing::error!("cannot re-apply groups after a refresh: {e}");
                    return Recheck::Fresh;
                }
                if let Err(e) = self.sessions.confirmed(&session.id, now_says.refresh_token.as_deref(), now).await {
                    tracing::error!("cannot record a session's re-confirmation: {e}");
                }
                Recheck::Fresh
            }
            Err(OidcError::Unavailable { reason, .. }) => {
                // Not the person's fault: keep the session, ask again in a minute. Group grants
                // still lapse on their own if the provider stays away.
                tracing::warn!("cannot re-confirm a session, the provider is unreachable: {reason}");
                self.postpone(session).await;
                Recheck::Fresh
            }
            Err(e) => self.end(session, ip, &e.to_string()).await,
        }
    }

    async fn end(&self, session: &ActiveSession, ip: &str, why: &str) -> Recheck {
        if let Err(e) = self.sessions.end_by_id(&session.id).await {
            tracing::error!("cannot end a session: {e}");
        }
        let event = AuditEvent::new(format!("user {}", session.user_id), "auth.recheck", "sso").outcome(Outcome::Denied).from_ip(ip).detail(format!("session ended: {why}"));
        self.audit.write_or_log(event).await;
        Recheck::Ended
    }

    /// Postpones the next confirmation (a silent sign-in could not even start).
    pub async fn postpone(&self, session: &ActiveSession) {
        let _ = self.sessions.confirmed(&session.id, None, Utc::now() - self.every + RETRY_UNREACHABLE).await;
    }
}
