//! Dashboards on SQLite and PostgreSQL: the built-in layout until someone saves their own; a
//! role's published default for people of that role; reset goes back to it; bad layouts refused.
use crate::support::on_both_databases;
use flotilla_backend::dashboards::Source;
use flotilla_backend::{Dashboards, PeopleDirectory};
use flotilla_domain::dashboard::{Dashboard, WidgetKind};

#[tokio::test]
async fn own_layouts_role_defaults_and_reset() {
    on_both_databases(|db, kind| async move {
        let people = PeopleDirectory::new(db.clone());
        let bob = people.ensure_user("bob@example.test", "Bob", false).await.unwrap();
        let dave = people.ensure_user("dave@example.test", "Dave", false).await.unwrap();
        let boards = Dashboards::new(db.clone());
        let developer = vec!["developer".to_owned()];
        assert_eq!(boards.for_user(bob, &developer).await.unwrap(), (Dashboard::built_in_for(&developer), Source::BuiltIn), "{kind}");

        // Bob adds a queue widget, moves it to the top and saves.
        let mut mine = Dashboard::built_in();
        let queue = mine.add(WidgetKind::LowPriorityQueue).unwrap();
        mine.move_by(queue, 0, -10);
        boards.save(bob, &mine).await.unwrap();
        boards.save(bob, &mine).await.unwrap();
        assert_eq!(boards.for_user(bob, &developer).await.unwrap(), (mine.clone(), Source::Own), "{kind}: kept, once");

        // An administrator publishes a default for developers: Dave (a developer) sees it, Bob keeps his.
        let mut published = Dashboard::default();
        published.add(WidgetKind::ClusterHealth);
        boards.publish("developer", &published).await.unwrap();
        assert_eq!(boards.for_user(dave, &developer).await.unwrap(), (published.clone(), Source::Role("developer".into())), "{kind}");
        assert_eq!(boards.for_user(dave, &["viewer".to_owned()]).await.unwrap().1, Source::BuiltIn, "{kind}: other roles keep the built-in");
        assert_eq!(boards.for_user(bob, &developer).await.unwrap().1, Source::Own, "{kind}");
        // Reset: Bob now sees his role's default.
        boards.reset(bob).await.unwrap();
        assert_eq!(boards.for_user(bob, &developer).await.unwrap(), (published.clone(), Source::Role("developer".into())), "{kind}");
        // Withdrawn: developers see the built-in default again; withdrawing twice says nothing was there.
        assert!(boards.unpublish("developer").await.unwrap(), "{kind}");
        assert_eq!(boards.for_user(bob, &developer).await.unwrap(), (Dashboard::built_in_for(&developer), Source::BuiltIn), "{kind}");
        assert!(!boards.unpublish("developer").await.unwrap(), "{kind}: nothing left to withdraw");
        boards.publish("developer", &published).await.unwrap();

        // An overlapping layout is refused in words and changes nothing.
        let mut bad = Dashboard::built_in();
        bad.widgets[1].y = 0;
        assert!(boards.save(bob, &bad).await.unwrap_err().to_string().contains("overlap"), "{kind}");
        // So is a setting the widget does not offer; a widget's own settings are kept.
        let mut odd = Dashboard::built_in();
        odd.set_settings(1, flotilla_domain::dashboard::WidgetSettings { project: Some("team-a".into()), ..Default::default() });
        assert!(boards.save(bob, &odd).await.unwrap_err().to_string().contains("does not offer"), "{kind}");
        let mut costs = Dashboard::built_in();
        let id = costs.add(flotilla_domain::dashboard::WidgetKind::CostOverTime).unwrap();
        costs.set_settings(id, flotilla_domain::dashboard::WidgetSettings { project: Some("team-a".into()), days: Some(30), ..Default::default() });
        boards.save(dave, &costs).await.unwrap();
        assert_eq!(boards.for_user(dave, &developer).await.unwrap(), (costs, Source::Own), "{kind}");
        assert_eq!(boards.for_user(bob, &developer).await.unwrap().1, Source::Role("developer".into()), "{kind}");
    })
    .await;
}
