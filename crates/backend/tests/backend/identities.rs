//! Sign-in you can trust, on both databases: SSO identities by (issuer, subject), linking by
//! verified e-mail only, administrators' link/unlink and deactivation, group grants that lapse,
//! tokens that cannot mint tokens, the password slow-down shared by replicas, refresh tokens
//! sealed at rest, and demo sessions refused outside the demo.
use crate::support::on_both_databases;
use chrono::{Duration, Utc};
use flotilla_backend::oidc::LinkByEmail;
use flotilla_backend::{
    AccessControl, AccountError, Accounts, ApiTokens, AuditLog, Caller, Identities, IdentityError, PeopleDirectory, SecretKey, SessionPolicy, Sessions, SsoIdentity, SsoSession, TokenError,
};
use flotilla_domain::{AuditQuery, Kind, Target, Verb, allows};

const ISSUER: &str = "https://sso.example.test";

fn person(subject: &str, email: &str, verified: bool, name: &str) -> SsoIdentity {
    SsoIdentity { issuer: ISSUER.into(), subject: subject.into(), email: email.into(), email_verified: verified, name: name.into(), ..Default::default() }
}

async fn denied_sign_ins(audit: &AuditLog) -> Vec<String> {
    let q = AuditQuery { action: "auth.sign-in".into(), outcome: "denied".into(), ..Default::default() };
    audit.search(&q).await.unwrap().into_iter().map(|l| l.detail).collect()
}

#[tokio::test]
async fn an_unverified_email_cannot_take_over_an_existing_account() {
    on_both_databases(|db, kind| async move {
        let accounts = Accounts::new(db.clone());
        let audit = AuditLog::new(db.clone());
        let people = PeopleDirectory::new(db.clone());
        let root = accounts.create_local("root@corp.test", "Root Admin", "correct horse battery", true).await.unwrap();
        let identities = Identities::new(db.clone(), audit.clone(), LinkByEmail::Verified);

        // Mallory edits her provider e-mail to the administrator's, unverified.
        let mallory = person("mallory-1", "ROOT@corp.test", false, "Mallory");
        let refused = identities.sign_in(&mallory, "203.0.113.9").await.unwrap_err();
        assert!(matches!(refused, IdentityError::LinkRefused { .. }), "{kind}: {refused}");
        assert!(refused.to_string().contains("An administrator must link your sign-in"), "{refused}");
        let root_now = people.user(root).await.unwrap().unwrap();
        assert_eq!(root_now.display_name, "Root Admin", "nothing about the account changed");
        assert!(denied_sign_ins(&audit).await.iter().any(|d| d.contains("not linked to the existing account root@corp.test")), "the refusal is audited");
        // Trying again changes nothing either; the attempt waits for an administrator.
        assert!(identities.sign_in(&mallory, "203.0.113.9").await.is_err());
        let waiting: Vec<_> = identities.list().await.unwrap().into_iter().filter(|i| i.user_id.is_none()).collect();
        assert_eq!(waiting.len(), 1, "one waiting identity, however often she tries");
        assert_eq!((waiting[0].subject.as_str(), waiting[0].email_verified), ("mallory-1", false));

        // A verified e-mail links — unless the portal says never.
        let never = Identities::new(db.clone(), audit.clone(), LinkByEmail::Never);
        let root_sso = person("root-sso", "root@corp.test", true, "Root via SSO");
        assert!(matches!(never.sign_in(&root_sso, "10.0.0.1").await, Err(IdentityError::LinkRefused { .. })));
        let linked = identities.sign_in(&root_sso, "10.0.0.1").await.unwrap();
        assert_eq!(linked.user_id, root, "{kind}");
        // Another person at the same provider with the same (verified) e-mail is not the owner.
        let twin = person("someone-else", "root@corp.test", true, "Twin");
        assert!(matches!(identities.sign_in(&twin, "10.0.0.2").await, Err(IdentityError::LinkRefused { .. })));
        // The linked identity keeps reaching the account when the provider's e-mail changes.
        let renamed = person("root-sso", "root.new@corp.test", true, "Root Renamed");
        assert_eq!(identities.sign_in(&renamed, "10.0.0.1").await.unwrap().user_id, root);
        assert_eq!(people.user(root).await.unwrap().unwrap().email, "root@corp.test", "the account's e-mail is its own");
    })
    .await;
}

#[tokio::test]
async fn new_people_get_accounts_and_administrators_link_and_unlink_identities() {
    on_both_databases(|db, kind| async move {
        let audit = AuditLog::new(db.clone());
        let identities = Identities::new(db.clone(), audit.clone(), LinkByEmail::Verified);
        let sessions = Sessions::new(db.clone(), SessionPolicy::default(), SecretKey::generate(), false);
        let dana = identities.sign_in(&person("dana", "dana@corp.test", false, "Dana"), "10.0.0.1").await.unwrap();
        assert_eq!(identities.sign_in(&person("dana", "dana@corp.test", false, "Dana"), "10.0.0.1").await.unwrap(), dana, "{kind}");
        // Ed's unverified sign-in with Dana's e-mail waits; an administrator who knows it is
        // Dana's second account at the provider links it.
        let ed = person("dana-second", "dana@corp.test", false, "Dana (2)");
        assert!(identities.sign_in(&ed, "10.0.0.1").await.is_err());
        let waiting = identities.list().await.unwrap().into_iter().find(|i| i.user_id.is_none()).unwrap();
        identities.link(waiting.id, dana.user_id).await.unwrap();
        let linked = identities.sign_in(&ed, "10.0.0.1").await.unwrap();
        assert_eq!(linked.user_id, dana.user_id);
        // Unlinking ends the sessions started with that identity, and the next sign-in
        // follows the rules again.
        let secret = sessions.start(dana.user_id, "sso", Some(SsoSession { identity_id: linked.identity_id, ..Default::default() })).await.unwrap();
        let other = sessions.start(dana.user_id, "sso", Some(SsoSession { identity_id: dana.identity_id, ..Default::default() })).await.unwrap();
        identities.unlink(linked.identity_id).await.unwrap();
        assert!(sessions.resolve(&secret).await.unwrap().is_none(), "the unlinked identity's session ended");
        assert!(sessions.resolve(&other).await.unwrap().is_some(), "the other identity's session goes on");
        assert!(identities.sign_in(&ed, "10.0.0.1").await.is_err());
        assert!(matches!(identities.link(9999, dana.user_id).await, Err(IdentityError::UnknownIdentity)));
    })
    .await;
}

#[tokio::test]
async fn deactivating_a_user_ends_every_session_and_token_at_once() {
    on_both_databases(|db, kind| async move {
        let accounts = Accounts::new(db.clone());
        let admin = accounts.create_local("admin@corp.test", "Admin", "correct horse battery", true).await.unwrap();
        let bob = accounts.create_local("bob@corp.test", "Bob", "correct horse battery", false).await.unwrap();
        let identities = Identities::new(db.clone(), AuditLog::new(db.clone()), LinkByEmail::Verified);
        let sessions = Sessions::new(db.clone(), SessionPolicy::default(), SecretKey::generate(), false);
        let tokens = ApiTokens::new(db.clone());
        let access = AccessControl::new(db.clone());
        let session = sessions.start(bob, "local", None).await.unwrap();
        let token = tokens.create(bob, "laptop", 30).await.unwrap();
        assert!(matches!(identities.set_active(admin, admin, false).await, Err(IdentityError::OwnAccount)), "{kind}");
        identities.set_active(admin, bob, false).await.unwrap();
        assert!(sessions.resolve(&session).await.unwrap().is_none());
        assert_eq!(tokens.resolve(&token.secret).await.unwrap(), None);
        assert!(access.subject_and_me(bob).await.is_err(), "no rights at all");
        assert!(matches!(accounts.sign_in("bob@corp.test", "correct horse battery", "10.0.0.1").await, Err(AccountError::Deactivated)));
        identities.set_active(admin, bob, true).await.unwrap();
        assert!(accounts.sign_in("bob@corp.test", "correct horse battery", "10.0.0.1").await.is_ok());
        assert_eq!(tokens.resolve(&token.secret).await.unwrap(), None, "reactivating does not bring tokens back");
    })
    .await;
}

#[tokio::test]
async fn group_grants_lapse_without_the_provider_confirming_them() {
    on_both_databases(|db, kind| async move {
        flotilla_backend::demo::seed(&db).await.unwrap();
        let people = PeopleDirectory::new(db.clone());
        let access = AccessControl::new(db.clone()).with_group_grant_ttl(Duration::days(7));
        let team_b = people.project_named("team-b").await.unwrap().unwrap().id;
        access.add_group_mapping("platform-admins", "administrator", None).await.unwrap();
        access.add_group_mapping("team-a-devs", "developer", Some("team-a")).await.unwrap();
        let erin = people.ensure_user("erin@corp.test", "Erin", false).await.unwrap();
        people.set_member(team_b, erin, "viewer").await.unwrap();
        access.apply_groups(erin, &["platform-admins".into(), "team-a-devs".into()]).await.unwrap();
        let now = Utc::now();
        let (_, me) = access.subject_and_me_at(erin, now + Duration::days(6)).await.unwrap();
        assert!(me.is_admin, "{kind}: confirmed six days ago");
        let (subject, me) = access.subject_and_me_at(erin, now + Duration::days(8)).await.unwrap();
        assert!(!me.is_admin, "eight days without the provider: the group's Administrator lapsed");
        assert_eq!(me.roles, vec!["Viewer in team-b".to_owned()], "only the grant given by hand is left");
        assert!(allows(&subject, Verb::Read, &Target { kind: Kind::Workload, project: Some(team_b), owner: None }).is_allowed());
        // The provider confirms again (a refresh or a sign-in): the grants are back.
        access.apply_groups(erin, &["platform-admins".into()]).await.unwrap();
        assert!(access.subject_and_me_at(erin, Utc::now() + Duration::days(6)).await.unwrap().1.is_admin);
    })
    .await;
}

#[tokio::test]
async fn an_api_token_cannot_create_tokens() {
    on_both_databases(|db, _| async move {
        let accounts = Accounts::new(db.clone());
        let bob = accounts.create_local("bob@corp.test", "Bob", "correct horse battery", false).await.unwrap();
        let (subject, me) = AccessControl::new(db.clone()).subject_and_me(bob).await.unwrap();
        let tokens = ApiTokens::new(db.clone());
        let by_token = Caller { subject: subject.clone(), me: me.clone(), via: "token".into() };
        assert!(matches!(tokens.create_for(&by_token, "minted", 30).await, Err(TokenError::FromToken)));
        assert!(tokens.list(bob).await.unwrap().is_empty(), "nothing was made");
        let by_session = Caller { subject, me, via: "session:local".into() };
        assert!(tokens.create_for(&by_session, "laptop", 30).await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn failed_passwords_slow_down_per_email_and_address_across_replicas() {
    on_both_databases(|db, kind| async move {
        let replica_a = Accounts::new(db.clone());
        let replica_b = Accounts::new(db.clone());
        replica_a.create_local("carol@corp.test", "Carol", "correct horse battery", false).await.unwrap();
        for n in 0..3 {
            let e = replica_a.sign_in("carol@corp.test", "wrong guess", &format!("198.51.100.{n}")).await.unwrap_err();
            assert!(matches!(e, AccountError::WrongCredentials), "{kind}: attempt {n}: {e}");
        }
        // The next try, from another replica and another address, waits — even with the
        // right password, so guessing cannot go faster by spreading out.
        let slowed = replica_b.sign_in("CAROL@corp.test", "correct horse battery", "198.51.100.77").await.unwrap_err();
        let AccountError::SlowDown(wait) = slowed else { panic!("{kind}: expected a slow-down, got {slowed}") };
        assert!((1..=30).contains(&wait), "a short wait, never a lock-out: {wait}");
        // Other people are not affected.
        replica_b.create_local("dave@corp.test", "Dave", "correct horse battery", false).await.unwrap();
        assert!(replica_b.sign_in("dave@corp.test", "correct horse battery", "198.51.100.78").await.is_ok());
        // The wait is bounded: the victim's wait never exceeds the ceiling, however many
        // failures a stranger piles up (simulate old failures by moving them back in time).
        use flotilla_backend::entity::login_throttle;
        use sea_orm::{EntityTrait, sea_query::Expr};
        login_throttle::Entity::update_many()
            .col_expr(login_throttle::Column::Failures, Expr::value(40))
            .col_expr(login_throttle::Column::LastFailureAt, Expr::value(Utc::now() - Duration::seconds(31)))
            .exec(db.conn())
            .await
            .unwrap();
        assert!(replica_a.sign_in("carol@corp.test", "correct horse battery", "198.51.100.5").await.is_ok(), "{kind}: after the ceiling, she is in");
    })
    .await;
}

#[tokio::test]
async fn refresh_tokens_are_sealed_and_demo_sessions_only_count_in_the_demo() {
    on_both_databases(|db, kind| async move {
        let accounts = Accounts::new(db.clone());
        let bob = accounts.create_local("bob@corp.test", "Bob", "correct horse battery", false).await.unwrap();
        let key = SecretKey::generate();
        let portal = Sessions::new(db.clone(), SessionPolicy::default(), key.clone(), false);
        let demo = Sessions::new(db.clone(), SessionPolicy::default(), key, true);
        let sso = SsoSession { identity_id: 1, id_token: "id.token.x".into(), refresh_token: Some("refresh-secret-123".into()) };
        let secret = portal.start(bob, "sso", Some(sso)).await.unwrap();
        let found = portal.resolve(&secret).await.unwrap().unwrap();
        assert_eq!(found.refresh_token.as_deref(), Some("refresh-secret-123"), "{kind}");
        assert!(found.checked_at.is_some());
        use sea_orm::EntityTrait;
        let row = flotilla_backend::entity::session::Entity::find().one(db.conn()).await.unwrap().unwrap();
        let raw = row.refresh_token;
        assert!(!raw.unwrap().contains("refresh-secret-123"), "sealed at rest");
        // A one-click demo sign-in proves nothing outside the demo.
        let clicked = demo.start(bob, "demo", None).await.unwrap();
        assert!(demo.resolve(&clicked).await.unwrap().is_some());
        assert!(portal.resolve(&clicked).await.unwrap().is_none(), "flotilla serve refuses it");
    })
    .await;
}

/// The audit log is read in pages, newest first: each page starts below the last id of the one
/// above, so every entry is seen once however long the log is.
#[tokio::test]
async fn the_audit_log_is_read_in_pages() {
    on_both_databases(|db, kind| async move {
        let audit = AuditLog::new(db.clone());
        for i in 1..=5 {
            audit.record("root@corp.test", "project.create", &format!("p{i}"), "").await.unwrap();
        }
        let page = |before: Option<i64>| {
            let audit = audit.clone();
            async move { audit.search(&AuditQuery { action: "project.create".into(), limit: 2, before, ..Default::default() }).await.unwrap() }
        };
        let mut seen = vec![];
        let mut before = None;
        loop {
            let lines = page(before).await;
            assert!(lines.len() <= 2, "{kind}: a page holds at most the limit");
            let Some(last) = lines.last() else { break };
            before = Some(last.id);
            seen.extend(lines.into_iter().map(|l| l.target));
        }
        assert_eq!(seen, ["p5", "p4", "p3", "p2", "p1"], "{kind}: newest first, each entry once");
    })
    .await;
}
