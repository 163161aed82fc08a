//! Sign-in and access services on both databases: accounts, sessions, login flows, API
//! tokens, roles, group mappings and the subject handed to the access decision.
use crate::support::on_both_databases;
use chrono::{Duration, Utc};
use flotilla_backend::sessions::LoginFlow;
use flotilla_backend::{AccessControl, AccountError, Accounts, ApiTokens, PeopleDirectory, SessionPolicy, Sessions, demo};
use flotilla_domain::{Dns1123Label, Kind, Permission, Scope, Target, Verb, allows};

#[tokio::test]
async fn local_accounts_check_passwords_and_refuse_weak_ones() {
    on_both_databases(|db, kind| async move {
        let accounts = Accounts::new(db.clone());
        assert!(matches!(accounts.create_local("root@x.test", "Root", "short", true).await, Err(AccountError::WeakPassword)));
        let id = accounts.create_local("root@x.test", "Root", "correct horse battery", true).await.unwrap();
        assert_eq!(accounts.verify("root@x.test", "correct horse battery").await.unwrap(), id, "{kind}");
        assert!(matches!(accounts.verify("root@x.test", "wrong horse battery").await, Err(AccountError::WrongCredentials)));
        assert!(matches!(accounts.verify("nobody@x.test", "correct horse battery").await, Err(AccountError::WrongCredentials)));
        // Setting a new password for the same e-mail keeps the user and replaces the hash.
        let again = accounts.create_local("root@x.test", "Root", "another long password", false).await.unwrap();
        assert_eq!(again, id);
        assert!(accounts.verify("root@x.test", "correct horse battery").await.is_err());
        let stored = PeopleDirectory::new(db).user(id).await.unwrap().unwrap();
        assert!(stored.is_admin, "re-running create without admin keeps the admin flag");
    })
    .await;
}

#[tokio::test]
async fn sessions_expire_when_idle_or_too_old_and_end_on_sign_out() {
    on_both_databases(|db, kind| async move {
        demo::seed(&db).await.unwrap();
        let policy = SessionPolicy { idle: Duration::minutes(30), absolute: Duration::hours(2) };
        let sessions = Sessions::new(db.clone(), policy, flotilla_backend::SecretKey::generate(), false);
        let first = sessions.start(1, "local", None).await.unwrap();
        let second = sessions.start(1, "local", None).await.unwrap();
        assert_ne!(first, second, "every sign-in gets a fresh session id");
        let now = Utc::now();
        assert_eq!(sessions.resolve_at(&first, now).await.unwrap().unwrap().user_id, 1, "{kind}");
        // Used 20 minutes later: still alive, and the idle timer restarts.
        assert!(sessions.resolve_at(&first, now + Duration::minutes(20)).await.unwrap().is_some());
        assert!(sessions.resolve_at(&first, now + Duration::minutes(45)).await.unwrap().is_some());
        // Idle for longer than 30 minutes: gone, and stays gone.
        assert!(sessions.resolve_at(&first, now + Duration::minutes(80)).await.unwrap().is_none());
        assert!(sessions.resolve_at(&first, now).await.unwrap().is_none());
        // Busy but older than the absolute limit: gone.
        for step in 1..=4 {
            let t = now + Duration::minutes(25 * step);
            assert!(sessions.resolve_at(&second, t).await.unwrap().is_some(), "alive at {t}");
        }
        assert!(sessions.resolve_at(&second, now + Duration::minutes(125)).await.unwrap().is_none());
        let third = sessions.start(1, "local", None).await.unwrap();
        sessions.end(&third).await.unwrap();
        assert!(sessions.resolve(&third).await.unwrap().is_none());
        assert!(sessions.resolve("made-up").await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn a_login_flow_can_be_taken_once() {
    on_both_databases(|db, _| async move {
        let sessions = Sessions::new(db, SessionPolicy::default(), flotilla_backend::SecretKey::generate(), false);
        let flow = LoginFlow { nonce: "n".into(), pkce_verifier: "v".into(), return_to: "/costs".into(), silent: false };
        sessions.begin_login("state-1", flow).await.unwrap();
        assert!(sessions.take_login("tampered").await.unwrap().is_none());
        let taken = sessions.take_login("state-1").await.unwrap().unwrap();
        assert_eq!((taken.nonce.as_str(), taken.return_to.as_str()), ("n", "/costs"));
        assert!(sessions.take_login("state-1").await.unwrap().is_none(), "a replayed callback finds nothing");
    })
    .await;
}

#[tokio::test]
async fn api_tokens_are_shown_once_hashed_and_revocable_only_by_their_owner() {
    on_both_databases(|db, _| async move {
        demo::seed(&db).await.unwrap();
        let tokens = ApiTokens::new(db.clone());
        let created = tokens.create(2, "ci pipeline", 30).await.unwrap();
        assert!(created.secret.starts_with("flt_"));
        assert!(created.secret.starts_with(&created.info.prefix));
        assert_eq!(tokens.resolve(&created.secret).await.unwrap(), Some(2));
        assert_eq!(tokens.resolve("flt_guessed").await.unwrap(), None);
        let listed = tokens.list(2).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert!(listed[0].last_used_at.is_some());
        assert!(tokens.revoke(3, created.info.id).await.is_err(), "another user cannot revoke it");
        assert_eq!(tokens.resolve(&created.secret).await.unwrap(), Some(2));
        tokens.revoke(2, created.info.id).await.unwrap();
        assert_eq!(tokens.resolve(&created.secret).await.unwrap(), None);
        assert!(tokens.list(2).await.unwrap()[0].revoked);
        assert!(tokens.create(2, " ", 30).await.is_err());
        assert!(tokens.create(2, "forever", 0).await.is_err());
    })
    .await;
}

#[tokio::test]
async fn group_mappings_grant_roles_at_sign_in_and_are_reapplied() {
    on_both_databases(|db, kind| async move {
        demo::seed(&db).await.unwrap();
        let people = PeopleDirectory::new(db.clone());
        let access = AccessControl::new(db.clone());
        let team_a = people.project_named("team-a").await.unwrap().unwrap().id;
        let team_b = people.project_named("team-b").await.unwrap().unwrap().id;
        access.add_group_mapping("platform-admins", "administrator", None).await.unwrap();
        access.add_group_mapping("team-a-devs", "developer", Some("team-a")).await.unwrap();
        assert!(access.add_group_mapping("x", "no-such-role", None).await.is_err());
        assert!(access.add_group_mapping("x", "viewer", Some("no-such-project")).await.is_err());

        let dave = people.ensure_user("dave@x.test", "Dave", false).await.unwrap();
        access.apply_groups(dave, &["team-a-devs".into(), "unmapped".into()]).await.unwrap();
        let subject = access.subject(dave).await.unwrap();
        let workload_in = |p| Target { kind: Kind::Workload, project: Some(p), owner: Some(dave) };
        assert!(allows(&subject, Verb::Create, &workload_in(team_a)).is_allowed(), "{kind}");
        assert!(!allows(&subject, Verb::Read, &workload_in(team_b)).is_allowed());
        assert!(people.members(team_a).await.unwrap().iter().any(|m| m.user_id == dave && m.from_groups));

        // Next sign-in: moved to the admins group, out of team-a.
        access.apply_groups(dave, &["platform-admins".into()]).await.unwrap();
        let (subject, me) = access.subject_and_me(dave).await.unwrap();
        assert!(allows(&subject, Verb::Delete, &workload_in(team_b)).is_allowed());
        assert!(me.is_admin);
        assert_eq!(me.roles, vec!["Administrator".to_owned()]);
        assert!(people.members(team_a).await.unwrap().iter().all(|m| m.user_id != dave));

        // A membership given by hand survives sign-ins.
        people.set_member(team_b, dave, "viewer").await.unwrap();
        access.apply_groups(dave, &[]).await.unwrap();
        let subject = access.subject(dave).await.unwrap();
        assert!(allows(&subject, Verb::Read, &workload_in(team_b)).is_allowed());
        assert!(!allows(&subject, Verb::Create, &workload_in(team_b)).is_allowed());
    })
    .await;
}

#[tokio::test]
async fn custom_roles_grant_what_their_matrix_says_and_cannot_shadow_builtins() {
    on_both_databases(|db, _| async move {
        demo::seed(&db).await.unwrap();
        let access = AccessControl::new(db.clone());
        let people = PeopleDirectory::new(db.clone());
        let auditor = [Permission { kind: Kind::AuditLog, verb: Verb::Read, scope: Scope::All }];
        assert!(access.save_role("developer", "Mine", &auditor).await.is_err());
        access.save_role("auditor", "Auditor", &auditor).await.unwrap();
        let roles = access.roles().await.unwrap();
        assert_eq!(roles.iter().filter(|r| r.builtin).count(), 4);
        assert_eq!(roles.last().unwrap().key, "auditor");

        let erin = people.ensure_user("erin@x.test", "Erin", false).await.unwrap();
        access.grant_global(erin, "auditor").await.unwrap();
        let subject = access.subject(erin).await.unwrap();
        let log = Target { kind: Kind::AuditLog, project: None, owner: None };
        assert!(allows(&subject, Verb::Read, &log).is_allowed());
        assert!(!allows(&subject, Verb::Delete, &log).is_allowed());
        assert!(access.delete_role("auditor").await.is_err(), "a role in use cannot be deleted");

        let team_c = people.ensure_project(&Dns1123Label::parse("team-c").unwrap(), "C").await.unwrap();
        access.save_role("auditor", "Auditor", &[]).await.unwrap();
        assert!(!allows(&access.subject(erin).await.unwrap(), Verb::Read, &log).is_allowed(), "edits apply at once");
        let _ = team_c;
    })
    .await;
}
