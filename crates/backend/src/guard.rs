//! The one access guard every server function and REST route goes through: it asks the
//! domain decision, writes denials to the audit log, and marks the request as checked so a
//! route that forgot to ask is caught (and refused) by the server.
use crate::{AuditEvent, AuditLog, Outcome};
use flotilla_domain::{Me, Subject, Target, Verb, allows};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The signed-in person making a request, resolved once per request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub subject: Subject,
    pub me: Me,
    /// "session:<method>" or "token".
    pub via: String,
}

impl Caller {
    pub fn user_id(&self) -> i64 {
        self.subject.user_id
    }

    pub fn email(&self) -> &str {
        &self.me.email
    }
}

/// Set when a request's handler consulted the guard (or declared itself public).
#[derive(Debug, Clone, Default)]
pub struct GuardTrace(Arc<AtomicBool>);

impl GuardTrace {
    pub fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn consulted(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Why the guard said no.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nobody is signed in.
    NotSignedIn,
    /// Signed in, but not allowed. `hidden` = the object lies in a project the caller may
    /// not even read, so say "not found" rather than confirm it exists.
    Forbidden { hidden: bool },
}

/// What a request knows about its caller: who (if anyone), from where, and its trace.
#[derive(Debug, Clone, Default)]
pub struct RequestAccess {
    pub caller: Option<Caller>,
    pub source_ip: String,
    pub trace: GuardTrace,
}

impl RequestAccess {
    /// For routes that are open to everyone on purpose (the login page's options).
    pub fn public(&self) {
        self.trace.mark();
    }

    /// The caller, or `NotSignedIn`, for routes any signed-in person may use on their own
    /// things (their profile, their tokens).
    pub fn signed_in(&self) -> Result<&Caller, Refusal> {
        self.trace.mark();
        self.caller.as_ref().ok_or(Refusal::NotSignedIn)
    }

    /// May the caller do `verb` to `target`? Denials are audited with `action` as the action.
    pub async fn authorize(&self, audit: &AuditLog, verb: Verb, target: Target, action: &str, target_name: &str) -> Result<&Caller, Refusal> {
        let caller = self.signed_in()?;
        let decision = allows(&caller.subject, verb, &target);
        if decision.is_allowed() {
            return Ok(caller);
        }
        // Could the caller read the object at all? If not, do not confirm it exists.
        // Inside another project: answer as if it did not exist. Portal-wide objects
        // (users, roles, the audit log) are no secret: say "not allowed".
        let hidden = target.project.is_some() && !allows(&caller.subject, Verb::Read, &target).is_allowed();
        let event = AuditEvent::new(caller.email(), action, target_name).outcome(Outcome::Denied).from_ip(self.source_ip.clone()).detail(format!(
            "{} {} refused ({decision:?})",
            verb.label(),
            target.kind.label()
        ));
        audit.write_or_log(event).await;
        Err(Refusal::Forbidden { hidden })
    }

    /// Keeps the items the caller may `verb`; lists are filtered on the server, never only
    /// hidden in the page.
    pub fn visible<T>(&self, verb: Verb, items: Vec<T>, target: impl Fn(&T) -> Target) -> Result<Vec<T>, Refusal> {
        let caller = self.signed_in()?;
        Ok(items.into_iter().filter(|item| allows(&caller.subject, verb, &target(item)).is_allowed()).collect())
    }

    /// Audits a change the caller made.
    pub async fn record(&self, audit: &AuditLog, action: &str, target: &str, detail: &str) {
        let actor = self.caller.as_ref().map(|c| c.email().to_owned()).unwrap_or_else(|| "anonymous".into());
        audit.write_or_log(AuditEvent::new(actor, action, target).from_ip(self.source_ip.clone()).detail(detail)).await;
    }
}
