//! The demo seed fills the directory once and is safe to run again.
use crate::support::on_both_databases;
use flotilla_backend::{AuditLog, PeopleDirectory, demo};

#[tokio::test]
async fn demo_seed_creates_people_and_projects_once() {
    on_both_databases(|db, kind| async move {
        demo::seed(&db).await.unwrap();
        demo::seed(&db).await.unwrap();
        let people = PeopleDirectory::new(db.clone());
        let users = people.users().await.unwrap();
        assert_eq!(users.len(), demo::DEMO_ACCOUNTS.len(), "{kind}: one row per demo account");
        let alice = users.iter().find(|u| u.email.starts_with("alice")).unwrap();
        assert!(alice.is_admin, "{kind}: alice is the administrator");
        assert!(!users.iter().find(|u| u.email.starts_with("bob")).unwrap().is_admin);
        let projects = people.projects().await.unwrap();
        let names: Vec<_> = projects.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["team-a", "team-b", "team-c"], "{kind}");
        assert_eq!(projects[0].members, 1, "{kind}: bob is in team-a");
        assert_eq!(projects[1].members, 1, "{kind}: carol owns team-b");
        let audit = AuditLog::new(db).recent(10).await.unwrap();
        assert_eq!(audit.len(), 1, "{kind}: seeding is audited once");
        assert_eq!(audit[0].action, "demo.seeded");
    })
    .await;
}
