//! Server functions of Admin → Users: sign-in identities (link, unlink) and deactivation.
use crate::error::AppError;
use flotilla_domain::IdentitySummary;
use leptos::prelude::*;

#[server]
pub async fn list_identities() -> Result<Vec<IdentitySummary>, AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Read, Kind::User, "identities.list", "the sign-in identities").await?;
    r.state.identities.list().await.map_err(identity_error)
}

/// Links a sign-in identity to an account: its next sign-in reaches that account.
#[server]
pub async fn link_identity(identity_id: i64, user_id: i64) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::User, "identity.link", "sign-in identities").await?;
    let (identity, account) = r.state.identities.link(identity_id, user_id).await.map_err(identity_error)?;
    r.record("identity.link", &account, &identity).await;
    Ok(())
}

/// Forgets a sign-in identity; its sessions end and its next sign-in follows the linking rules.
#[server]
pub async fn unlink_identity(identity_id: i64) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    r.authorize_portal(Verb::Update, Kind::User, "identity.unlink", "sign-in identities").await?;
    let identity = r.state.identities.unlink(identity_id).await.map_err(identity_error)?;
    r.record("identity.unlink", &identity, "").await;
    Ok(())
}

/// Deactivates (every session and token ends at once) or reactivates an account.
#[server]
pub async fn set_user_active(user_id: i64, active: bool) -> Result<(), AppError> {
    use flotilla_domain::{Kind, Verb};
    let r = crate::guard::request()?;
    let me = r.authorize_portal(Verb::Update, Kind::User, "user.deactivate", "accounts").await?.user_id();
    let email = r.state.identities.set_active(me, user_id, active).await.map_err(identity_error)?;
    r.record(if active { "user.reactivate" } else { "user.deactivate" }, &email, "").await;
    Ok(())
}

#[cfg(feature = "ssr")]
fn identity_error(e: flotilla_backend::IdentityError) -> AppError {
    use flotilla_backend::IdentityError as E;
    match e {
        E::UnknownIdentity => AppError::NotFound("That sign-in identity".into()),
        E::UnknownUser => AppError::NotFound("That user".into()),
        E::OwnAccount => AppError::Validation("You cannot deactivate your own account; ask another administrator.".into()),
        other => AppError::internal("change sign-in identities")(other),
    }
}
